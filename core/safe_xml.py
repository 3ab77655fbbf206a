"""The one door every uploaded XML document passes before an engine reads it.

Plain Python with no Django import: the engines (`modelregistry/pmml/`, `rulesets/dmn/`) read their
XML through `parse`, and the Excel import checks each XML part of a workbook with it, so PMML, DMN
and workbooks share one set of rules:

- a DOCTYPE (and so any ENTITY declaration, internal or external, or external DTD) is refused inside
  the parser (defusedxml), whatever the document's encoding, with the line it is on: entities are
  how an upload reads server files, fetches internal URLs or expands a kilobyte into gigabytes;
  XInclude elements are refused too;
- bytes are decoded here, once (byte-order mark, else the XML declaration, else UTF-8), and the
  text that was checked is what every later reader gets, so no second parser can see the document
  differently (e.g. the pypmml reference engine, which is handed the same text);
- size, nesting depth and element count are bounded while reading, before any engine builds
  anything from the document;
"""

import codecs
import re
from dataclasses import dataclass
from xml.etree.ElementTree import ParseError

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Generous for real exports: a 100-tree ensemble PMML is a few MB and ~100k elements."""

    max_bytes: int = MAX_DOCUMENT_BYTES
    max_depth: int = 256
    max_elements: int = 500_000


DEFAULT_LIMITS = Limits()


class XMLRefused(ValueError):
    """The document is not accepted; `line` (and `column`) say where, when known."""

    def __init__(self, message, line=None, column=None):
        self.message, self.line, self.column = message, line, column
        if line is None:
            self.location = None
        else:
            self.location = f"line {line}" + (f", column {column}" if column is not None else "")
        super().__init__(message if self.location is None else f"{message} ({self.location})")


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_DECLARED_ENCODING = re.compile(rb"""^<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z][A-Za-z0-9._-]{0,40})["']""")


def decode(data) -> str:
    """The text of `data` (bytes or str) as an XML parser would read it, for every reader alike."""
    if isinstance(data, str):
        return data
    if not isinstance(data, (bytes, bytearray)):
        raise XMLRefused(f"cannot read an XML document from {type(data).__name__}")
    data = bytes(data)
    _check_size(len(data), DEFAULT_LIMITS)
    encoding, start = None, 0
    for bom, name in _BOMS:
        if data.startswith(bom):
            encoding, start = name, len(bom)
            break
    if encoding is None:
        if data[:4] == b"<\x00?\x00":
            encoding = "utf-16-le"
        elif data[:4] == b"\x00<\x00?":
            encoding = "utf-16-be"
        else:
            declared = _DECLARED_ENCODING.match(data)
            encoding = declared.group(1).decode("ascii").lower() if declared else "utf-8"
    try:
        return codecs.decode(data[start:], encoding)
    except LookupError:
        raise XMLRefused(f"the XML declaration names an unknown encoding {encoding!r}", 1) from None
    except UnicodeDecodeError as error:
        raise XMLRefused(f"the document is not valid {encoding} text (byte {start + error.start})") from None


def _check_size(size, limits):
    if size > limits.max_bytes:
        raise XMLRefused(f"the document is {size:,} bytes; the limit is {limits.max_bytes:,} bytes")


_XINCLUDE = ("{http://www.w3.org/2001/XInclude}", "{http://www.w3.org/2003/XInclude}")


class _Stop(Exception):
    pass


class _Target:
    """Counts depth and elements for the limits and passes each event on with its line."""

    def __init__(self, target, limits, root_only):
        self.target, self.limits, self.root_only = target, limits, root_only
        self.expat = None
        self.depth = 0
        self.elements = 0
        self.root_tag = None

    def start(self, tag, attrib):
        line = self.expat.CurrentLineNumber
        self.depth += 1
        self.elements += 1
        if self.root_tag is None:
            self.root_tag = tag
            if self.root_only:
                raise _Stop
        if tag.startswith(_XINCLUDE):  # another way to pull in files, should any later reader honour it
            raise XMLRefused(
                "the document uses XInclude, which is refused: it can read files and URLs on the server", line
            )
        if self.depth > self.limits.max_depth:
            raise XMLRefused(f"elements are nested more than {self.limits.max_depth} deep", line)
        if self.elements > self.limits.max_elements:
            raise XMLRefused(f"the document has more than {self.limits.max_elements:,} elements", line)
        if self.target is not None:
            self.target.start(tag, attrib, line)

    def end(self, tag):
        self.depth -= 1
        if self.target is not None:
            self.target.end(tag)

    def data(self, text):
        if self.target is not None:
            self.target.data(text)

    def close(self):
        return None


def parse(source, target=None, *, limits=DEFAULT_LIMITS, root_only=False):
    """Read `source` (bytes or str) through the door and return the checked text.

    `target` (optional) receives `start(tag, attrib, line)`, `end(tag)` and `data(text)`; tags and
    attribute names are `{namespace}local` when namespaced. With `root_only`, reading stops at the
    root element's start tag (`root_tag(...)` uses that; a DOCTYPE comes before it, so is still
    refused). Raises XMLRefused naming the line.
    """
    from defusedxml import DefusedXmlException  # imported on first use: keeps it off start-up paths
    from defusedxml.ElementTree import DefusedXMLParser

    text = decode(source)
    if len(text) > limits.max_bytes // 4:  # cheap bound first; the exact one costs an encode
        _check_size(len(text.encode("utf-8", "surrogatepass")), limits)
    adapter = _Target(target, limits, root_only)
    parser = DefusedXMLParser(target=adapter, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    adapter.expat = parser.parser
    chunk = 1 << 16 if root_only else len(text) or 1
    try:
        for offset in range(0, len(text), chunk):
            parser.feed(text[offset : offset + chunk])
        parser.close()
    except _Stop:
        pass
    except DefusedXmlException as error:
        raise XMLRefused(_refusal(error), parser.parser.CurrentLineNumber) from None
    except ParseError as error:
        line, column = getattr(error, "position", (None, None))
        message = str(error).split(": line ", 1)[0]
        raise XMLRefused(f"not well-formed XML: {message}", line, column + 1 if column is not None else None) from None
    if adapter.root_tag is None:
        raise XMLRefused("the document has no root element")
    if root_only:
        return adapter.root_tag
    return text


def root_tag(source, *, limits=DEFAULT_LIMITS):
    """The root element's tag (`{namespace}local`), reading no further than its start tag."""
    return parse(source, root_only=True, limits=limits)


def check(source, *, limits=DEFAULT_LIMITS, on_start=None):
    """Read the whole document through the door for its rules alone (e.g. a workbook's XML parts).

    `on_start(tag, line)`, when given, sees every element (to count cells, say).
    """
    target = _Callback(on_start) if on_start is not None else None
    parse(source, target, limits=limits)


class _Callback:
    def __init__(self, on_start):
        self.on_start = on_start

    def start(self, tag, attrib, line):
        self.on_start(tag, line)

    def end(self, tag):
        pass

    def data(self, text):
        pass


def _refusal(error):
    what = type(error).__name__
    if what == "DTDForbidden":
        kind = "a DOCTYPE declaration"
    elif what == "EntitiesForbidden":
        kind = "an ENTITY declaration"
    else:
        kind = "a reference to an external entity"
    return (
        f"the document contains {kind}; DOCTYPEs and entities are refused (they can read files and URLs "
        "on the server): remove it"
    )
