"""FEEL (Friendly Enough Expression Language): parse once, compile to closures, evaluate many."""

import re

from .builtins import MULTI_WORD_BUILTINS, to_text
from .compiler import compile_expression, compile_unary_tests
from .errors import FeelEvaluationError, FeelSyntaxError
from .parser import parse_expression, parse_unary_tests
from .values import Decimal, Range, YearsMonthsDuration, duration_text, parse_duration

SIMPLE_NAME = re.compile(r"^[^\W\d][\w?']*$", re.UNICODE)


def vocabulary(names):
    """Names a lexer must match whole (they contain spaces or symbols), longest first."""
    special = {name for name in names if name and not SIMPLE_NAME.match(name)} | set(MULTI_WORD_BUILTINS)
    return tuple(sorted(special, key=len, reverse=True))


def compile_feel_expression(text, known_names=()):
    """(ast, evaluate(scope)) for a FEEL expression; raises FeelSyntaxError."""
    tree = parse_expression(text, known_names)
    return tree, compile_expression(tree)


def compile_feel_unary_tests(text, known_names=()):
    """(ast, test(value, scope)) for the unary tests of a decision-table input entry."""
    tree = parse_unary_tests(text, known_names)
    return tree, compile_unary_tests(tree)


__all__ = [
    "vocabulary",
    "compile_feel_expression",
    "compile_feel_unary_tests",
    "FeelSyntaxError",
    "FeelEvaluationError",
    "Decimal",
    "Range",
    "YearsMonthsDuration",
    "duration_text",
    "parse_duration",
    "to_text",
]
