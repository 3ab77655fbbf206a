"""The one JSON:API request parser: a bounded, well-formed document, or a 400 naming the pointer.

Every request body is hostile. Before any serializer or service sees it, the document is checked
for what would otherwise crash further in (a RecursionError, a text column refusing NUL, an
encoder refusing a lone surrogate, a `dict.update` over a list): nesting depth, characters that
no text can hold, and the JSON:API shape of `data`, `attributes` and `relationships`.
"""

import json
import re

from django.conf import settings
from rest_framework_json_api import parsers

from .exceptions import MalformedDocument, pointer

# The document root is depth 1; `data` 2, `attributes` 3, an argument's value 4. Real
# applications nest a few levels; 32 leaves room for any of them and none for a parser bomb.
MAX_DEPTH = 32

# A lone surrogate cannot be encoded as UTF-8 (nor stored, nor encrypted); NUL cannot be stored in
# a PostgreSQL text column. Neither belongs in any text a partner sends.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}:,]')


def _refuse_constant(name):
    raise ValueError(f"{name} is not a JSON number")


def _unstorable(text):
    match = _UNSTORABLE.search(text)
    if match is None:
        return None
    character = match.group()
    if character == "\x00":
        return "contains a NUL character (U+0000), which no text may hold"
    return f"contains a lone surrogate (U+{ord(character):04X}), which is not a character"


def _path_beyond_depth(text, limit):
    """The path to the first container nested deeper than `limit` (for a body too deep to decode)."""
    stack = []  # one [opening, key or index, expecting a key] per open container
    for token in _TOKEN.finditer(text):
        symbol = token.group()
        if symbol in "{[":
            if len(stack) >= limit:
                return [frame[1] for frame in stack]
            stack.append([symbol, 0 if symbol == "[" else None, symbol == "{"])
        elif symbol in "}]":
            if stack:
                stack.pop()
        elif symbol == ",":
            if stack and stack[-1][0] == "[":
                stack[-1][1] += 1
            elif stack:
                stack[-1][2] = True
        elif symbol.startswith('"') and stack and stack[-1][0] == "{" and stack[-1][2]:
            try:
                stack[-1][1] = json.loads(symbol)
            except ValueError:
                stack[-1][1] = symbol[1:-1]
            stack[-1][2] = False
    return []


def check_values(document, *, max_depth=MAX_DEPTH):
    """Depth and characters of every member name and string, without recursion."""
    pending = [(document, (), 1)]
    while pending:
        value, path, depth = pending.pop()
        if isinstance(value, (dict, list)):
            if depth > max_depth:
                raise MalformedDocument(
                    pointer(path), f"The document nests deeper than {max_depth} levels here.", code="too_deep"
                )
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str):
                    problem = _unstorable(key)
                    if problem:
                        raise MalformedDocument(
                            pointer(path + (key,)), f"This member's name {problem}.", code="invalid_character"
                        )
                pending.append((item, path + (key,), depth + 1))
        elif isinstance(value, str):
            problem = _unstorable(value)
            if problem:
                raise MalformedDocument(pointer(path), f"This text {problem}.", code="invalid_character")


def _require_object(value, path, what):
    if not isinstance(value, dict):
        raise MalformedDocument(pointer(path), f"{what} must be a JSON object.", code="invalid_document")


def _check_identifier(identifier, path):
    _require_object(identifier, path, "A resource identifier")
    for member in ("type", "id"):
        if not isinstance(identifier.get(member), str):
            raise MalformedDocument(
                pointer(path + (member,)),
                f"A resource identifier's `{member}` must be a string.",
                code="invalid_document",
            )


RESOURCE_OBJECT_MEMBERS = frozenset({"type", "id", "lid", "attributes", "relationships", "links", "meta"})


def check_structure(document):
    """The JSON:API shape that the library's parser assumes without checking."""
    _require_object(document, (), "A JSON:API document")
    if "data" not in document:
        raise MalformedDocument("/data", "The document has no primary `data`.", code="invalid_document")
    data = document["data"]
    _require_object(data, ("data",), "The primary data")
    if not isinstance(data.get("type"), str):
        raise MalformedDocument("/data/type", "The primary data needs a `type` (a string).", code="invalid_document")
    # JSON:API's resource object members only: an unknown one is refused, not silently dropped.
    unknown = sorted(set(data) - RESOURCE_OBJECT_MEMBERS)
    if unknown:
        raise MalformedDocument(
            pointer(("data", unknown[0])),
            f"`{unknown[0]}` is not a member of a resource object (use {', '.join(sorted(RESOURCE_OBJECT_MEMBERS))}).",
            code="invalid_document",
        )
    if "id" in data and not isinstance(data["id"], str):
        raise MalformedDocument("/data/id", "`id` must be a string.", code="invalid_document")
    for container, where in ((document, ()), (data, ("data",))):
        if "meta" in container:
            _require_object(container["meta"], where + ("meta",), "`meta`")
    if "attributes" in data:
        _require_object(data["attributes"], ("data", "attributes"), "`attributes`")
    if "relationships" in data:
        relationships = data["relationships"]
        _require_object(relationships, ("data", "relationships"), "`relationships`")
        for name, relationship in relationships.items():
            path = ("data", "relationships", name)
            _require_object(relationship, path, "A relationship")
            if "data" not in relationship:
                raise MalformedDocument(
                    pointer(path + ("data",)), "A relationship needs `data`.", code="invalid_document"
                )
            linkage = relationship["data"]
            if isinstance(linkage, list):
                for position, identifier in enumerate(linkage):
                    _check_identifier(identifier, path + ("data", position))
            elif linkage is not None:
                _check_identifier(linkage, path + ("data",))


class JSONParser(parsers.JSONParser):
    """JSON:API documents, checked as the module docstring says, then parsed by the library."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        raw = stream.read()
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as error:
            raise MalformedDocument(
                "", f"The body is not valid {encoding}: byte {error.start} cannot be decoded.", code="parse_error"
            ) from None
        except LookupError:
            raise MalformedDocument("", f"Unknown character set {encoding!r}.", code="parse_error") from None
        try:
            document = json.loads(text, parse_constant=_refuse_constant)
        except RecursionError:
            path = _path_beyond_depth(text, MAX_DEPTH)
            raise MalformedDocument(
                pointer(path), f"The document nests deeper than {MAX_DEPTH} levels here.", code="too_deep"
            ) from None
        except ValueError as error:
            raise MalformedDocument("", f"The body is not JSON: {error}.", code="parse_error") from None
        check_values(document)
        check_structure(document)
        return self.parse_data(document, parser_context)
