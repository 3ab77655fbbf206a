"""Recursive-descent parser for FEEL expressions and unary tests, producing tuple ASTs.

Grammar (lowest precedence first), after DMN 1.5 chapter 10.3.1:
    expression  := 'if' e 'then' e 'else' e | 'for' iterations 'return' e
                 | ('some'|'every') iterations 'satisfies' e | 'function' '(' params ')' e | disjunction
    disjunction := conjunction ('or' conjunction)*
    conjunction := comparison ('and' comparison)*
    comparison  := additive [('='|'!='|'<'|'<='|'>'|'>=') additive | 'between' additive 'and' additive
                            | 'in' positive-tests | 'instance' 'of' type]
    additive    := multiplicative (('+'|'-') multiplicative)*
    multiplicative := power (('*'|'/') power)*
    power       := unary ('**' unary)*
    unary       := '-' unary | postfix
    postfix     := primary ('.' name | '[' expression ']' | '(' arguments ')')*
    primary     := literal | name | '?' | '(' expression ')' | list | range | context | @"temporal"
    unary tests := '-' | 'not' '(' tests ')' | tests
    tests       := test (',' test)* ; test := ('<'|'<='|'>'|'>='|'='|'!=') endpoint | range | expression
"""

import re
from decimal import Decimal

from .builtins import MULTI_WORD_BUILTINS
from .errors import FeelSyntaxError
from .lexer import tokenize

DEFAULT_NAMES = tuple(sorted(MULTI_WORD_BUILTINS, key=len, reverse=True))

COMPARISONS = {"=", "!=", "<", "<=", ">", ">="}
MAX_DEPTH = 60  # nesting of FEEL expressions; deeper texts are refused at load, before Python's stack runs out
MULTI_WORD_PROPERTIES = {("time", "offset"), ("start", "included"), ("end", "included")}
BUILT_IN_TYPES = {
    "number",
    "string",
    "boolean",
    "date",
    "time",
    "date and time",
    "days and time duration",
    "years and months duration",
    "Any",
    "Null",
    "list",
    "context",
    "range",
    "function",
    "dayTimeDuration",
    "yearMonthDuration",
    "dateTime",
}


class Parser:
    def __init__(self, text, known_names=()):
        self.text = text
        self.tokens = tokenize(text, known_names or DEFAULT_NAMES)
        self.index = 0
        self.depth = 0
        self.in_range_end = False  # `[1..10[`: the '[' closes the range, it does not filter 10

    # ---------------------------------------------------------------- helpers
    @property
    def token(self):
        return self.tokens[self.index]

    def peek(self, offset=1):
        return self.tokens[min(self.index + offset, len(self.tokens) - 1)]

    def at(self, text, kind=None):
        token = self.token
        return token.text == text and token.kind in ((kind,) if kind else ("operator", "keyword", "name"))

    def advance(self):
        token = self.token
        self.index += 1
        return token

    def expect(self, text):
        if self.token.text != text or self.token.kind == "string":
            self.fail("expected %r" % text)
        return self.advance()

    def fail(self, message):
        token = self.token
        found = "end of text" if token.kind == "end" else repr(token.text)
        raise FeelSyntaxError("%s, found %s" % (message, found), token.position)

    def finish(self, node):
        if self.token.kind != "end":
            self.fail("unexpected text after the expression")
        return node

    # ---------------------------------------------------------------- expressions
    def expression(self):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.fail("expression nested deeper than %d levels" % MAX_DEPTH)
        try:
            return self._expression()
        finally:
            self.depth -= 1

    def _expression(self):
        token = self.token
        if token.kind == "keyword":
            if token.text == "if":
                self.advance()
                condition = self.expression()
                self.expect("then")
                then = self.expression()
                self.expect("else")
                return ("if", condition, then, self.expression())
            if token.text == "for":
                self.advance()
                iterations = self.iterations()
                self.expect("return")
                return ("for", iterations, self.expression())
            if token.text in ("some", "every"):
                self.advance()
                iterations = self.iterations()
                self.expect("satisfies")
                return (token.text, iterations, self.expression())
            if token.text == "function" and self.peek().text == "(":
                self.advance()
                self.expect("(")
                parameters, types = [], []
                while not self.at(")"):
                    parameters.append(self.name_token())
                    types.append(None)
                    if self.at(":"):
                        self.advance()
                        types[-1] = self.type_name()
                    if not self.at(")"):
                        self.expect(",")
                self.expect(")")
                if self.at("external"):
                    self.advance()
                    return ("function", parameters, ("external", self.expression()), types)
                return ("function", parameters, self.expression(), types if any(types) else None)
        return self.disjunction()

    def iterations(self):
        iterations = []
        while True:
            name = self.name_token()
            self.expect("in")
            start = self.expression()
            if self.at(".."):
                self.advance()
                start = ("numbers", start, self.expression())
            iterations.append((name, start))
            if not self.at(","):
                return iterations
            self.advance()

    def name_token(self):
        if self.token.kind != "name":
            self.fail("expected a name")
        return self.advance().text

    def type_name(self):
        """A FEEL type: ('type', name) | ('list type', t) | ('context type', [(key, t)])
        | ('range type', t) | ('function type', [t], t)."""
        token = self.token
        if token.kind not in ("name", "keyword"):
            self.fail("expected a type name")
        if token.text == "function" and self.peek().text == "<":
            self.advance()
            self.advance()
            parameters = []
            while not self.at(">", "operator"):
                parameters.append(self.type_name())
                if not self.at(">", "operator"):
                    self.expect(",")
            self.advance()
            self.expect("->")
            return ("function type", parameters, self.type_name())
        self.advance()
        parts = [token.text]
        if token.text in ("date", "days", "years") and self.at("and"):
            while self.token.kind in ("name", "keyword") and " ".join(parts) not in (
                "date and time",
                "days and time duration",
                "years and months duration",
            ):
                parts.append(self.advance().text)
        name = " ".join(parts)
        while self.at(".", "operator") and self.peek().kind == "name":  # a qualified (imported) name
            self.advance()
            name += "." + self.advance().text
        if self.at("<", "operator") and name in ("list", "range", "context"):
            self.advance()
            if name == "context":
                entries = []
                while not self.at(">", "operator"):
                    key = self.advance().text
                    self.expect(":")
                    entries.append((key, self.type_name()))
                    if not self.at(">", "operator"):
                        self.expect(",")
                self.advance()
                return ("context type", entries)
            element = self.type_name()
            self.expect(">")
            return (name + " type", element)
        return ("type", name)

    def disjunction(self):
        node = self.conjunction()
        while self.at("or", "keyword"):
            self.advance()
            node = ("or", node, self.conjunction())
        return node

    def conjunction(self):
        node = self.comparison()
        while self.at("and", "keyword"):
            self.advance()
            node = ("and", node, self.comparison())
        return node

    def comparison(self):
        node = self.additive()
        token = self.token
        if token.kind == "operator" and token.text in COMPARISONS:
            self.advance()
            return ("compare", token.text, node, self.additive())
        if token.kind == "keyword":
            if token.text == "between":
                self.advance()
                low = self.additive()
                self.expect("and")
                return ("between", node, low, self.additive())
            if token.text == "in":
                self.advance()
                if self.at("("):
                    saved = self.index
                    self.advance()
                    try:
                        tests = self.positive_tests()
                        self.expect(")")
                        return ("in", node, tests)
                    except FeelSyntaxError:
                        self.index = saved
                return ("in", node, [self.positive_test()])
            if token.text == "instance":
                self.advance()
                self.expect("of")
                return ("instance of", node, self.type_name())
        return node

    def additive(self):
        node = self.multiplicative()
        while self.token.kind == "operator" and self.token.text in ("+", "-"):
            operator = self.advance().text
            node = ("arithmetic", operator, node, self.multiplicative())
        return node

    def multiplicative(self):
        node = self.power()
        while self.token.kind == "operator" and self.token.text in ("*", "/"):
            operator = self.advance().text
            node = ("arithmetic", operator, node, self.power())
        return node

    def power(self):
        node = self.unary()
        while self.at("**", "operator"):
            self.advance()
            node = ("arithmetic", "**", node, self.unary())
        return node

    def unary(self):
        if self.at("-", "operator"):
            self.advance()
            operand = self.unary()
            if operand[0] == "number":
                return ("number", -operand[1])
            return ("negate", operand)
        return self.postfix()

    def postfix(self):
        node = self.primary()
        while True:
            if self.at(".", "operator"):
                self.advance()
                token = self.advance()
                if token.kind not in ("name", "keyword"):
                    self.index -= 1
                    self.fail('expected a name after "."')
                name = token.text
                if (name, self.token.text) in MULTI_WORD_PROPERTIES:
                    name += " " + self.advance().text
                node = ("path", node, name)
            elif self.at("[", "operator") and not self.in_range_end:
                self.advance()
                condition = self.expression()
                self.expect("]")
                node = ("filter", node, condition)
            elif self.at("(", "operator"):
                self.advance()
                node = ("call", node) + self.arguments()
            else:
                return node

    def arguments(self):
        positional, named = [], None
        while not self.at(")"):
            name = self.argument_name()
            if name is not None:
                named = named or []
                named.append((name, self.expression()))
            else:
                if named:
                    self.fail("positional argument after named arguments")
                positional.append(self.expression())
            if not self.at(")"):
                self.expect(",")
        self.expect(")")
        return positional, named

    def argument_name(self):
        """`name:` (a name may have spaces: `start position: 3`) before a named argument, or None."""
        offset = 0
        while self.peek(offset).kind in ("name", "keyword"):
            offset += 1
        if offset and self.peek(offset).text == ":" and self.peek(offset).kind == "operator":
            words = [self.advance().text for _ in range(offset)]
            self.advance()
            return " ".join(words)
        return None

    def primary(self):
        token = self.token
        kind = token.kind
        if kind == "number":
            self.advance()
            return ("number", Decimal(token.text))
        if kind == "string":
            self.advance()
            return ("string", unescape(token.text[1:-1]))
        if kind == "temporal":
            self.advance()
            return ("temporal", unescape(token.text[2:-1]))
        if kind == "keyword":
            if token.text in ("true", "false"):
                self.advance()
                return ("boolean", token.text == "true")
            if token.text == "null":
                self.advance()
                return ("null",)
            self.fail("unexpected keyword")
        if kind == "name":
            self.advance()
            return ("name", token.text)
        if kind == "operator":
            if token.text == "?":
                self.advance()
                return ("input",)
            if token.text in ("(", "["):
                saved, self.in_range_end = self.in_range_end, False
                try:
                    return self.bracketed(token)
                finally:
                    self.in_range_end = saved
            if token.text == "]":
                self.advance()
                return self.range_rest(False, self.expression(), expect_dots=True)
            if token.text == "{":
                return self.context()
        self.fail("expected an expression")

    def bracketed(self, token):
        """A parenthesised expression, a list or a range starting with '(' or '['."""
        self.advance()
        if token.text == "(":
            operator = self.token
            if operator.kind == "operator" and operator.text in COMPARISONS:
                self.advance()  # a unary comparison as a range value: (< 10), (= 10), (!= 10)
                value = self.additive()
                self.expect(")")
                return ("open range", operator.text, value)
            node = self.expression()
            if self.at(".."):
                return self.range_rest(False, node)
            self.expect(")")
            return node
        if self.at("]"):
            self.advance()
            return ("list", [])
        first = self.expression()
        if self.at(".."):
            return self.range_rest(True, first)
        items = [first]
        while self.at(","):
            self.advance()
            items.append(self.expression())
        self.expect("]")
        return ("list", items)

    def range_rest(self, start_included, start, expect_dots=True):
        self.expect("..")
        saved, self.in_range_end = self.in_range_end, True
        try:
            end = self.expression()
        finally:
            self.in_range_end = saved
        closing = self.token
        if closing.text == "]" and closing.kind == "operator":
            end_included = True
        elif closing.text in (")", "[") and closing.kind == "operator":
            end_included = False
        else:
            self.fail('expected "]", ")" or "[" to end the range')
        self.advance()
        return ("range", start_included, start, end, end_included)

    def context(self):
        self.expect("{")
        entries = []
        while not self.at("}"):
            token = self.token
            if token.kind == "string":
                self.advance()
                key = unescape(token.text[1:-1])
            else:
                first = self.index
                while self.token.kind != "end" and not (self.token.text == ":" and self.token.kind == "operator"):
                    self.advance()
                if self.index == first or self.tokens[first].kind not in ("name", "keyword"):
                    self.index = first
                    self.fail("expected a context key")
                key = self.text[self.tokens[first].position : self.tokens[self.index - 1].end]
                key = " ".join(key.split())
            self.expect(":")
            entries.append((key, self.expression()))
            if not self.at("}"):
                self.expect(",")
        self.expect("}")
        return ("context", entries)

    # ---------------------------------------------------------------- unary tests
    def unary_tests(self):
        if self.at("-", "operator") and self.peek().kind == "end":
            self.advance()
            return ("any",)
        if self.at("not") and self.peek().text == "(":
            saved = self.index
            self.advance()
            self.advance()
            tests = self.positive_tests()
            if self.at(")") and self.peek().kind == "end":
                self.advance()
                return ("not", tests)
            self.index = saved
        return ("tests", self.positive_tests())

    def positive_tests(self):
        tests = [self.positive_test()]
        while self.at(",", "operator"):
            self.advance()
            tests.append(self.positive_test())
        return tests

    def positive_test(self):
        token = self.token
        if token.kind == "operator" and token.text in ("<", "<=", ">", ">=", "=", "!="):
            self.advance()
            return ("compare input", token.text, self.additive())
        return ("expression test", self.expression())


ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|U([0-9a-fA-F]{6})|(.))", re.DOTALL)
SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "'": "'", "\\": "\\"}
SURROGATE_PAIR = re.compile("[\ud800-\udbff][\udc00-\udfff]")


def unescape(text):
    """FEEL string escapes: \\n \\t \\r \\" \\\\ \\uXXXX (surrogate pairs joined) and \\UXXXXXX."""
    if "\\" not in text:
        return text

    def replace(match):
        four, six, single = match.groups()
        if four or six:
            return chr(int(four or six, 16))
        return SIMPLE_ESCAPES.get(single, "\\" + single)

    text = ESCAPE.sub(replace, text)
    return SURROGATE_PAIR.sub(
        lambda m: chr(0x10000 + ((ord(m.group()[0]) - 0xD800) << 10) + ord(m.group()[1]) - 0xDC00), text
    )


MAX_TREE_DEPTH = 400  # nested tuples and lists of the AST: `1+1+...+1` is as deep as it is long


def _checked_depth(tree):
    """Raise FeelSyntaxError when the AST is deeper than the compiler and evaluator may recurse."""
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_TREE_DEPTH:
            raise FeelSyntaxError(
                "expression nested deeper than the engine allows (%d operations in a chain or "
                "levels of nesting)" % (MAX_TREE_DEPTH // 2)
            )
        stack.extend((child, depth + 1) for child in node if isinstance(child, (tuple, list)))
    return tree


def parse_expression(text, known_names=()):
    parser = Parser(text, known_names)
    return _checked_depth(parser.finish(parser.expression()))


def parse_unary_tests(text, known_names=()):
    parser = Parser(text, known_names)
    return _checked_depth(parser.finish(parser.unary_tests()))
