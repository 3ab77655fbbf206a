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
from decimal import Decimal

from .errors import FeelSyntaxError
from .lexer import tokenize

COMPARISONS = {'=', '!=', '<', '<=', '>', '>='}


class Parser:
    def __init__(self, text, known_names=()):
        self.text = text
        self.tokens = tokenize(text, known_names)
        self.index = 0

    # ---------------------------------------------------------------- helpers
    @property
    def token(self):
        return self.tokens[self.index]

    def peek(self, offset=1):
        return self.tokens[min(self.index + offset, len(self.tokens) - 1)]

    def at(self, text, kind=None):
        token = self.token
        return token.text == text and token.kind in ((kind,) if kind else ('operator', 'keyword', 'name'))

    def advance(self):
        token = self.token
        self.index += 1
        return token

    def expect(self, text):
        if self.token.text != text or self.token.kind == 'string':
            self.fail('expected %r' % text)
        return self.advance()

    def fail(self, message):
        token = self.token
        found = 'end of text' if token.kind == 'end' else repr(token.text)
        raise FeelSyntaxError('%s, found %s' % (message, found), token.position)

    def finish(self, node):
        if self.token.kind != 'end':
            self.fail('unexpected text after the expression')
        return node

    # ---------------------------------------------------------------- expressions
    def expression(self):
        token = self.token
        if token.kind == 'keyword':
            if token.text == 'if':
                self.advance()
                condition = self.expression()
                self.expect('then')
                then = self.expression()
                self.expect('else')
                return ('if', condition, then, self.expression())
            if token.text == 'for':
                self.advance()
                iterations = self.iterations()
                self.expect('return')
                return ('for', iterations, self.expression())
            if token.text in ('some', 'every'):
                self.advance()
                iterations = self.iterations()
                self.expect('satisfies')
                return (token.text, iterations, self.expression())
            if token.text == 'function':
                self.advance()
                self.expect('(')
                parameters = []
                while not self.at(')'):
                    parameters.append(self.name_token())
                    if self.at(':'):  # a parameter type: skip it, FEEL functions are not type-checked here
                        self.advance()
                        self.type_name()
                    if not self.at(')'):
                        self.expect(',')
                self.expect(')')
                return ('function', parameters, self.expression())
        return self.disjunction()

    def iterations(self):
        iterations = []
        while True:
            name = self.name_token()
            self.expect('in')
            start = self.expression()
            if self.at('..'):
                self.advance()
                start = ('numbers', start, self.expression())
            iterations.append((name, start))
            if not self.at(','):
                return iterations
            self.advance()

    def name_token(self):
        if self.token.kind != 'name':
            self.fail('expected a name')
        return self.advance().text

    def type_name(self):
        parts = [self.advance().text]
        while self.token.kind in ('name', 'keyword') and not self.at(',') and not self.at(')'):
            if self.token.text in ('then', 'else', 'and', 'or', 'return', 'satisfies'):
                break
            parts.append(self.advance().text)
        if self.at('<'):  # list<number>, context<...>: keep the outer name
            depth = 0
            while True:
                token = self.advance()
                depth += token.text == '<'
                depth -= token.text == '>'
                if depth == 0 or token.kind == 'end':
                    break
        return ' '.join(parts)

    def disjunction(self):
        node = self.conjunction()
        while self.at('or', 'keyword'):
            self.advance()
            node = ('or', node, self.conjunction())
        return node

    def conjunction(self):
        node = self.comparison()
        while self.at('and', 'keyword'):
            self.advance()
            node = ('and', node, self.comparison())
        return node

    def comparison(self):
        node = self.additive()
        token = self.token
        if token.kind == 'operator' and token.text in COMPARISONS:
            self.advance()
            return ('compare', token.text, node, self.additive())
        if token.kind == 'keyword':
            if token.text == 'between':
                self.advance()
                low = self.additive()
                self.expect('and')
                return ('between', node, low, self.additive())
            if token.text == 'in':
                self.advance()
                if self.at('('):
                    saved = self.index
                    self.advance()
                    try:
                        tests = self.positive_tests()
                        self.expect(')')
                        return ('in', node, tests)
                    except FeelSyntaxError:
                        self.index = saved
                return ('in', node, [self.positive_test()])
            if token.text == 'instance':
                self.advance()
                self.expect('of')
                return ('instance of', node, self.type_name())
        return node

    def additive(self):
        node = self.multiplicative()
        while self.token.kind == 'operator' and self.token.text in ('+', '-'):
            operator = self.advance().text
            node = ('arithmetic', operator, node, self.multiplicative())
        return node

    def multiplicative(self):
        node = self.power()
        while self.token.kind == 'operator' and self.token.text in ('*', '/'):
            operator = self.advance().text
            node = ('arithmetic', operator, node, self.power())
        return node

    def power(self):
        node = self.unary()
        while self.at('**', 'operator'):
            self.advance()
            node = ('arithmetic', '**', node, self.unary())
        return node

    def unary(self):
        if self.at('-', 'operator'):
            self.advance()
            operand = self.unary()
            if operand[0] == 'number':
                return ('number', -operand[1])
            return ('negate', operand)
        return self.postfix()

    def postfix(self):
        node = self.primary()
        while True:
            if self.at('.', 'operator'):
                self.advance()
                token = self.advance()
                if token.kind not in ('name', 'keyword'):
                    self.index -= 1
                    self.fail('expected a name after "."')
                node = ('path', node, token.text)
            elif self.at('[', 'operator'):
                self.advance()
                condition = self.expression()
                self.expect(']')
                node = ('filter', node, condition)
            elif self.at('(', 'operator'):
                self.advance()
                node = ('call', node) + self.arguments()
            else:
                return node

    def arguments(self):
        positional, named = [], None
        while not self.at(')'):
            if self.token.kind == 'name' and self.peek().text == ':' and self.peek().kind == 'operator':
                name = self.advance().text
                self.advance()
                named = named or []
                named.append((name, self.expression()))
            else:
                if named:
                    self.fail('positional argument after named arguments')
                positional.append(self.expression())
            if not self.at(')'):
                self.expect(',')
        self.expect(')')
        return positional, named

    def primary(self):
        token = self.token
        kind = token.kind
        if kind == 'number':
            self.advance()
            return ('number', Decimal(token.text))
        if kind == 'string':
            self.advance()
            return ('string', unescape(token.text[1:-1]))
        if kind == 'temporal':
            self.advance()
            return ('temporal', unescape(token.text[2:-1]))
        if kind == 'keyword':
            if token.text in ('true', 'false'):
                self.advance()
                return ('boolean', token.text == 'true')
            if token.text == 'null':
                self.advance()
                return ('null',)
            self.fail('unexpected keyword')
        if kind == 'name':
            self.advance()
            return ('name', token.text)
        if kind == 'operator':
            if token.text == '?':
                self.advance()
                return ('input',)
            if token.text == '(':
                self.advance()
                node = self.expression()
                if self.at('..'):
                    return self.range_rest(False, node)
                self.expect(')')
                return node
            if token.text == ']':
                self.advance()
                return self.range_rest(False, self.expression(), expect_dots=True)
            if token.text == '[':
                self.advance()
                if self.at(']'):
                    self.advance()
                    return ('list', [])
                first = self.expression()
                if self.at('..'):
                    return self.range_rest(True, first)
                items = [first]
                while self.at(','):
                    self.advance()
                    items.append(self.expression())
                self.expect(']')
                return ('list', items)
            if token.text == '{':
                return self.context()
        self.fail('expected an expression')

    def range_rest(self, start_included, start, expect_dots=True):
        self.expect('..')
        end = self.expression()
        closing = self.token
        if closing.text == ']' and closing.kind == 'operator':
            end_included = True
        elif closing.text in (')', '[') and closing.kind == 'operator':
            end_included = False
        else:
            self.fail('expected "]", ")" or "[" to end the range')
        self.advance()
        return ('range', start_included, start, end, end_included)

    def context(self):
        self.expect('{')
        entries = []
        while not self.at('}'):
            token = self.advance()
            if token.kind == 'string':
                key = unescape(token.text[1:-1])
            elif token.kind in ('name', 'keyword'):
                key = token.text
                while self.token.kind in ('name', 'keyword') and not self.at(':'):
                    key += ' ' + self.advance().text
            else:
                self.index -= 1
                self.fail('expected a context key')
            self.expect(':')
            entries.append((key, self.expression()))
            if not self.at('}'):
                self.expect(',')
        self.expect('}')
        return ('context', entries)

    # ---------------------------------------------------------------- unary tests
    def unary_tests(self):
        if self.at('-', 'operator') and self.peek().kind == 'end':
            self.advance()
            return ('any',)
        if self.at('not') and self.peek().text == '(':
            saved = self.index
            self.advance()
            self.advance()
            tests = self.positive_tests()
            if self.at(')') and self.peek().kind == 'end':
                self.advance()
                return ('not', tests)
            self.index = saved
        return ('tests', self.positive_tests())

    def positive_tests(self):
        tests = [self.positive_test()]
        while self.at(',', 'operator'):
            self.advance()
            tests.append(self.positive_test())
        return tests

    def positive_test(self):
        token = self.token
        if token.kind == 'operator' and token.text in ('<', '<=', '>', '>=', '=', '!='):
            self.advance()
            return ('compare input', token.text, self.additive())
        return ('expression test', self.expression())


def unescape(text):
    if '\\' not in text:
        return text
    return text.encode('latin-1', 'backslashreplace').decode('unicode_escape') if text.isascii() else \
        text.replace('\\"', '"').replace('\\n', '\n').replace('\\t', '\t').replace('\\\\', '\\')


def parse_expression(text, known_names=()):
    parser = Parser(text, known_names)
    return parser.finish(parser.expression())


def parse_unary_tests(text, known_names=()):
    parser = Parser(text, known_names)
    return parser.finish(parser.unary_tests())
