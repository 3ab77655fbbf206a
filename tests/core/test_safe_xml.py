"""The safe XML door (core/safe_xml.py) on its own: no Django, no engine."""

import subprocess
import sys
from pathlib import Path

import pytest

from core import safe_xml

REPO = Path(__file__).resolve().parents[2]

DECLARATION = '<?xml version="1.0" encoding="{encoding}"?>\n'
EXTERNAL_FILE = '<!DOCTYPE PMML [\n  <!ENTITY secret SYSTEM "file:///etc/passwd">\n]>\n<PMML>&secret;</PMML>\n'
EXTERNAL_PARAMETER_DTD = (
    '<!DOCTYPE PMML [\n  <!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd">\n  %remote;\n]>\n<PMML/>\n'
)
EXTERNAL_DTD = '<!DOCTYPE PMML SYSTEM "http://127.0.0.1:9/evil.dtd">\n<PMML/>\n'
BILLION_LAUGHS = (
    '<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n' for i in range(1, 10))
    + "]>\n<lolz>&lol9;</lolz>\n"
)
INTERNAL_ENTITY = '<!DOCTYPE PMML [<!ENTITY name "value">]>\n<PMML>&name;</PMML>\n'
EMPTY_DOCTYPE = "<!DOCTYPE PMML>\n<PMML/>\n"


@pytest.mark.parametrize(
    "body",
    [EXTERNAL_FILE, EXTERNAL_PARAMETER_DTD, EXTERNAL_DTD, BILLION_LAUGHS, INTERNAL_ENTITY, EMPTY_DOCTYPE],
    ids=["file-entity", "parameter-dtd", "external-dtd", "billion-laughs", "internal-entity", "bare-doctype"],
)
@pytest.mark.parametrize(
    "encoding, codec",
    [
        ("UTF-8", "utf-8"),
        ("UTF-8", "utf-8-sig"),
        ("UTF-16", "utf-16"),
        ("UTF-16", "utf-16-le"),
        ("UTF-16", "utf-16-be"),
        ("UTF-32", "utf-32"),
        ("ISO-8859-1", "latin-1"),
    ],
)
def test_a_doctype_is_refused_in_any_encoding_naming_its_line(body, encoding, codec):
    document = DECLARATION.format(encoding=encoding) + "\n" + body
    with pytest.raises(safe_xml.XMLRefused, match="DOCTYPE") as refused:
        safe_xml.parse(document.encode(codec))
    assert refused.value.line == 3
    assert "line 3" in str(refused.value)


def test_a_doctype_in_text_already_decoded_is_refused_too():
    with pytest.raises(safe_xml.XMLRefused, match=r"DOCTYPE.*\(line 1\)"):
        safe_xml.parse(EXTERNAL_FILE)


def test_the_root_tag_is_read_without_reading_further_but_a_doctype_before_it_is_refused():
    assert (
        safe_xml.root_tag('<PMML xmlns="http://www.dmg.org/PMML-4_4"><unclosed>') == "{http://www.dmg.org/PMML-4_4}PMML"
    )
    with pytest.raises(safe_xml.XMLRefused, match="DOCTYPE"):
        safe_xml.root_tag(BILLION_LAUGHS)


def test_an_xinclude_is_refused_naming_its_line():
    document = (
        '<PMML xmlns:xi="http://www.w3.org/2001/XInclude">\n'
        '  <xi:include href="file:///etc/passwd" parse="text"/>\n</PMML>'
    )
    with pytest.raises(safe_xml.XMLRefused, match=r"XInclude.*\(line 2\)"):
        safe_xml.parse(document)


def test_an_undeclared_entity_reference_is_not_well_formed():
    with pytest.raises(safe_xml.XMLRefused, match=r"not well-formed XML: undefined entity \(line 2"):
        safe_xml.parse("<PMML>\n&secret;</PMML>")


def test_depth_and_element_limits_name_the_line():
    deep = "<a>\n" * 20 + "</a>" * 20
    with pytest.raises(safe_xml.XMLRefused, match=r"nested more than 10 deep \(line 11\)"):
        safe_xml.parse(deep, limits=safe_xml.Limits(max_depth=10))
    many = "<a>" + "<b/>\n" * 50 + "</a>"
    with pytest.raises(safe_xml.XMLRefused, match=r"more than 20 elements \(line 20\)"):
        safe_xml.parse(many, limits=safe_xml.Limits(max_elements=20))


def test_a_document_over_the_size_limit_is_refused_before_it_is_parsed():
    with pytest.raises(safe_xml.XMLRefused, match="the limit is 100 bytes"):
        safe_xml.parse("<a>" + "x" * 200 + "</a>", limits=safe_xml.Limits(max_bytes=100))
    with pytest.raises(safe_xml.XMLRefused, match="limit is 20,971,520 bytes"):
        safe_xml.decode(b"<a>" + b" " * safe_xml.MAX_DOCUMENT_BYTES + b"</a>")


def test_events_carry_lines_and_text_arrives_whole_to_the_target():
    events = []

    class Target:
        def start(self, tag, attrib, line):
            events.append(("start", tag, dict(attrib), line))

        def end(self, tag):
            events.append(("end", tag))

        def data(self, text):
            events.append(("data", text))

    text = safe_xml.parse(b'\xef\xbb\xbf<r xmlns="urn:x">\n  <c a="1">caf\xc3\xa9</c>\n</r>', Target())
    assert text.startswith("<r ")  # the BOM is gone; this text is what every later reader gets
    assert events[0] == ("start", "{urn:x}r", {}, 1)
    assert ("start", "{urn:x}c", {"a": "1"}, 2) in events
    assert "".join(e[1] for e in events if e[0] == "data").strip().startswith("café")


def test_text_in_an_unknown_or_wrong_encoding_is_refused():
    with pytest.raises(safe_xml.XMLRefused, match="unknown encoding"):
        safe_xml.decode(b'<?xml version="1.0" encoding="klingon"?><a/>')
    with pytest.raises(safe_xml.XMLRefused, match="not valid utf-8"):
        safe_xml.decode(b"<a>\xff</a>")


def test_the_door_imports_no_django():
    code = "import sys; import core.safe_xml; print('django' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
