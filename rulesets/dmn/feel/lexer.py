"""FEEL tokens. Names may contain spaces and '-' ('Pre-bureau risk category'), which no
context-free lexer can tell from an expression, so names the model declares are matched
first, longest first; anything else is a plain identifier."""

import functools
import re

from .errors import FeelSyntaxError

# FEEL's NameStartChar/NamePartChar (DMN 1.5, 10.3.1.2): letters, '_', '?' and the astral
# planes (so an emoji is a name).
_NAME_START = r"[^\W\d]|[\U00010000-\U000EFFFF]"  # Unicode letters (\w covers the BMP's) and the astral planes
_NAME_PART = r"[\w?'\u00B7\U00010000-\U000EFFFF]"
TOKEN_PATTERN = re.compile(
    r"""
    (?P<space>\s+|//[^\n]*|/\*.*?\*/)
  | (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<temporal>@"(?:[^"\\]|\\.)*")
  | (?P<operator>\.\.|<=|>=|!=|\*\*|->|[-+*/<>=(),\[\]{}.:?])
  | (?P<name>(?:%s)(?:%s)*)
"""
    % (_NAME_START, _NAME_PART),
    re.VERBOSE | re.UNICODE | re.DOTALL,
)

KEYWORDS = {
    "if",
    "then",
    "else",
    "and",
    "or",
    "for",
    "in",
    "return",
    "some",
    "every",
    "satisfies",
    "between",
    "instance",
    "of",
    "function",
    "true",
    "false",
    "null",
}
NAME_CHARACTER = re.compile(_NAME_PART, re.UNICODE)
MAX_LENGTH = 100_000  # characters of one FEEL text; an upload is bounded before this, this bounds a cell


class Token:
    __slots__ = ("kind", "text", "position", "end")

    def __init__(self, kind, text, position):
        self.kind, self.text, self.position = kind, text, position
        self.end = position + len(text)

    def __repr__(self):
        return "%s(%r)" % (self.kind, self.text)


def tokenize(text, known_names=()):
    """Tokens of `text`; `known_names` are names with spaces or symbols, sorted longest first."""
    if len(text) > MAX_LENGTH:
        raise FeelSyntaxError("expression longer than %d characters" % MAX_LENGTH)
    tokens, position, length = [], 0, len(text)
    while position < length:
        character = text[position]
        if character.isalpha() or character == "_":
            matched = _known_name_at(text, position, known_names)
            if matched:
                token = Token("name", matched[0], position)
                token.end = matched[1]
                tokens.append(token)
                position = matched[1]
                continue
        match = TOKEN_PATTERN.match(text, position)
        if not match:
            raise FeelSyntaxError("unexpected character %r" % character, position)
        kind = match.lastgroup
        if kind != "space":
            value = match.group(kind)
            if kind == "name" and value in KEYWORDS:
                kind = "keyword"
            tokens.append(Token(kind, value, position))
        position = match.end()
    tokens.append(Token("end", "", length))
    return tokens


def _known_name_at(text, position, known_names):
    """(name, end) of the longest known name at `position` ending at a name boundary, or None."""
    if not known_names:
        return None
    match = _known_names_pattern(known_names).match(text, position)
    if match is None:
        return None
    text = match.group()
    return (text if text.isprintable() and "  " not in text else " ".join(text.split())), match.end()


@functools.lru_cache(maxsize=256)
def _known_names_pattern(known_names):
    """One alternation of the names, longest first; a space in a name matches any run of white space."""
    alternatives = "|".join(r"\s+".join(re.escape(word) for word in name.split(" ")) for name in known_names)
    return re.compile("(?:%s)(?!%s)" % (alternatives, _NAME_PART), re.UNICODE)
