"""FEEL tokens. Names may contain spaces and '-' ('Pre-bureau risk category'), which no
context-free lexer can tell from an expression, so names the model declares are matched
first, longest first; anything else is a plain identifier."""
import re

from .errors import FeelSyntaxError

TOKEN_PATTERN = re.compile(r'''
    (?P<space>\s+)
  | (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<temporal>@"(?:[^"\\]|\\.)*")
  | (?P<operator>\.\.|<=|>=|!=|\*\*|[-+*/<>=(),\[\]{}.:?])
  | (?P<name>[^\W\d][\w?']*)
''', re.VERBOSE | re.UNICODE)

KEYWORDS = {'if', 'then', 'else', 'and', 'or', 'for', 'in', 'return', 'some', 'every', 'satisfies',
            'between', 'instance', 'of', 'function', 'true', 'false', 'null'}
NAME_CHARACTER = re.compile(r'[\w?\']', re.UNICODE)


class Token:
    __slots__ = ('kind', 'text', 'position')

    def __init__(self, kind, text, position):
        self.kind, self.text, self.position = kind, text, position

    def __repr__(self):
        return '%s(%r)' % (self.kind, self.text)


def tokenize(text, known_names=()):
    """Tokens of `text`; `known_names` are names with spaces or symbols, sorted longest first."""
    tokens, position, length = [], 0, len(text)
    while position < length:
        character = text[position]
        if character.isalpha() or character == '_':
            matched = _known_name_at(text, position, known_names)
            if matched:
                tokens.append(Token('name', matched, position))
                position += len(matched)
                continue
        match = TOKEN_PATTERN.match(text, position)
        if not match:
            raise FeelSyntaxError('unexpected character %r' % character, position)
        kind = match.lastgroup
        if kind != 'space':
            value = match.group(kind)
            if kind == 'name' and value in KEYWORDS:
                kind = 'keyword'
            tokens.append(Token(kind, value, position))
        position = match.end()
    tokens.append(Token('end', '', length))
    return tokens


def _known_name_at(text, position, known_names):
    for name in known_names:
        if text.startswith(name, position):
            end = position + len(name)
            if end >= len(text) or not NAME_CHARACTER.match(text[end]):
                return name
    return None
