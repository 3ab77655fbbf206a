"""PMML built-in functions for Apply, with PMML's missing-value rules (missing in -> missing out)."""

import math

import numpy as np

from ..errors import EvaluationError, ModelLoadError, UnsupportedElement
from ..limits import MAX_STRING_RESULT
from ..limits import check_format_pattern as _check_format_pattern
from .expressions import EXPRESSION_TAGS, Expr, compile_expression
from .values import NUMERIC, coerce, vector_missing, vector_of

_NUMERIC_2 = {
    "+": (lambda a, b: a + b, np.add),
    "-": (lambda a, b: a - b, np.subtract),
    "*": (lambda a, b: a * b, np.multiply),
    "/": (lambda a, b: a / b if b != 0 else None, None),
    "pow": (lambda a, b: math.pow(a, b), np.power),
}
_NUMERIC_1 = {
    "log10": (math.log10, np.log10),
    "ln": (math.log, np.log),
    "sqrt": (math.sqrt, np.sqrt),
    "abs": (abs, np.abs),
    "exp": (math.exp, np.exp),
    "floor": (math.floor, np.floor),
    "ceil": (math.ceil, np.ceil),
    "round": (lambda x: math.floor(x + 0.5), lambda x: np.floor(x + 0.5)),
    "x-atan": (math.atan, np.arctan),
    "x-tanh": (math.tanh, np.tanh),
    "x-sin": (math.sin, np.sin),
    "x-cos": (math.cos, np.cos),
    "x-expm1": (math.expm1, np.expm1),
    "x-log1p": (math.log1p, np.log1p),
}
_AGGREGATES = {
    "min": (min, np.min),
    "max": (max, np.max),
    "sum": (sum, np.sum),
    "avg": (lambda xs: sum(xs) / len(xs), np.mean),
    "product": (math.prod, np.prod),
}
_COMPARISONS = {
    "equal": lambda a, b: a == b,
    "notEqual": lambda a, b: a != b,
    "lessThan": lambda a, b: a < b,
    "lessOrEqual": lambda a, b: a <= b,
    "greaterThan": lambda a, b: a > b,
    "greaterOrEqual": lambda a, b: a >= b,
}


def compile_apply(node, scope):
    name = node.get("function")
    arguments = [compile_expression(child, scope) for child in node.children if child.tag in EXPRESSION_TAGS]
    fields = frozenset().union(*(a.fields for a in arguments)) if arguments else frozenset()
    if name in scope.functions:
        return scope.functions[name](arguments, node)
    scalar, vector, pmml_type = _function(name, arguments, node)
    replacement = node.get("mapMissingTo")
    default = node.get("defaultValue")
    if replacement is not None or default is not None:
        # mapMissingTo applies when an input is missing, defaultValue when the function gives none.
        mapped = coerce(replacement, pmml_type) if replacement is not None else None
        fallback = coerce(default, pmml_type) if default is not None else None
        inner_scalar = scalar

        def scalar(env):
            if mapped is not None and any(a.scalar(env) is None for a in arguments):
                return mapped
            result = inner_scalar(env)
            return fallback if result is None else result

        def vector(env, n):
            return vector_of([scalar(_row(env, arguments, i)) for i in range(n)], pmml_type, n)

    return Expr(pmml_type, scalar, vector, fields)


def _row(env, arguments, i):
    row = {}
    for name in frozenset().union(*(a.fields for a in arguments)):
        value = env[name][i]
        if isinstance(value, (float, np.floating)):
            value = None if value != value else float(value)
        row[name] = value
    return row


def _safe(function):
    def call(*values):
        try:
            return function(*values)
        except (ValueError, TypeError, ZeroDivisionError, OverflowError):
            return None

    return call


def _function(name, arguments, node):
    if name in _NUMERIC_2 and len(arguments) == 2:
        scalar_op, vector_op = _NUMERIC_2[name]
        left, right = arguments
        scalar_op = _safe(scalar_op)

        def general(env):
            a, b = left.scalar(env), right.scalar(env)
            return None if a is None or b is None else scalar_op(a, b)

        scalar = _fast_arithmetic(name, left, right) or general
        if vector_op is None:

            def vector(env, n):
                with np.errstate(divide="ignore", invalid="ignore"):
                    b = right.vector(env, n)
                    out = left.vector(env, n) / b
                out[b == 0] = np.nan
                return out
        else:

            def vector(env, n):
                with np.errstate(all="ignore"):
                    return vector_op(left.vector(env, n), right.vector(env, n))

        return scalar, vector, "double"
    if name in _NUMERIC_1 and len(arguments) == 1:
        scalar_op, vector_op = _NUMERIC_1[name]
        (argument,) = arguments
        scalar_op = _safe(scalar_op)

        def scalar(env):
            a = argument.scalar(env)
            return None if a is None else scalar_op(a)

        def vector(env, n):
            with np.errstate(all="ignore"):
                return vector_op(argument.vector(env, n)).astype(np.float64)

        return scalar, vector, "integer" if name in ("floor", "ceil", "round") else "double"
    if name in _AGGREGATES:
        scalar_op, vector_op = _AGGREGATES[name]

        def scalar(env):
            values = [a.scalar(env) for a in arguments]
            return None if any(v is None for v in values) else scalar_op(values)

        def vector(env, n):
            return vector_op(np.array([a.vector(env, n) for a in arguments]), axis=0)

        return scalar, vector, "double"
    if name in ("isMissing", "isNotMissing"):
        (argument,) = arguments
        wanted = name == "isMissing"

        def scalar(env):
            return (argument.scalar(env) is None) == wanted

        def vector(env, n):
            return (vector_missing(argument.vector(env, n)) == wanted).astype(np.float64)

        return scalar, vector, "boolean"
    if name in _COMPARISONS:
        compare = _COMPARISONS[name]
        left, right = arguments

        def scalar(env):
            a, b = left.scalar(env), right.scalar(env)
            return None if a is None or b is None else compare(a, b)

        def vector(env, n):
            a, b = left.vector(env, n), right.vector(env, n)
            out = np.asarray(compare(a, b), dtype=np.float64)
            out[vector_missing(a) | vector_missing(b)] = np.nan
            return out

        return scalar, vector, "boolean"
    if name in ("and", "or"):
        combine = all if name == "and" else any

        def scalar(env):
            values = [a.scalar(env) for a in arguments]
            return None if any(v is None for v in values) else combine(values)

        def vector(env, n):
            values = np.array([a.vector(env, n) for a in arguments])
            out = (np.all(values == 1.0, axis=0) if name == "and" else np.any(values == 1.0, axis=0)).astype(float)
            out[np.any(np.isnan(values), axis=0)] = np.nan
            return out

        return scalar, vector, "boolean"
    if name == "not":
        (argument,) = arguments

        def scalar(env):
            a = argument.scalar(env)
            return None if a is None else not a

        def vector(env, n):
            return 1.0 - argument.vector(env, n)

        return scalar, vector, "boolean"
    if name in ("isIn", "isNotIn"):
        value, *members = arguments
        wanted = name == "isIn"

        def scalar(env):
            a = value.scalar(env)
            return None if a is None else (a in [m.scalar(env) for m in members]) == wanted

        def vector(env, n):
            return vector_of([scalar(_row(env, arguments, i)) for i in range(n)], "boolean", n)

        return scalar, vector, "boolean"
    if name == "if":
        condition, then = arguments[0], arguments[1]
        otherwise = arguments[2] if len(arguments) > 2 else None
        pmml_type = then.pmml_type

        def scalar(env):
            test = condition.scalar(env)
            if test is None:
                return None
            if test:
                return then.scalar(env)
            return otherwise.scalar(env) if otherwise is not None else None

        def vector(env, n):
            if pmml_type in NUMERIC or pmml_type == "boolean":
                test = condition.vector(env, n)
                out = np.where(
                    test == 1.0, then.vector(env, n), otherwise.vector(env, n) if otherwise is not None else np.nan
                )
                out[np.isnan(test)] = np.nan
                return out.astype(np.float64)
            return vector_of([scalar(_row(env, arguments, i)) for i in range(n)], pmml_type, n)

        return scalar, vector, pmml_type
    if name == "threshold":
        left, right = arguments

        def scalar(env):
            a, b = left.scalar(env), right.scalar(env)
            return None if a is None or b is None else (1.0 if a > b else 0.0)

        def vector(env, n):
            a, b = left.vector(env, n), right.vector(env, n)
            out = (a > b).astype(np.float64)
            out[np.isnan(a) | np.isnan(b)] = np.nan
            return out

        return scalar, vector, "integer"
    string_functions = {
        "uppercase": lambda s: s.upper(),
        "lowercase": lambda s: s.lower(),
        "trimBlanks": lambda s: s.strip(),
    }
    if name in string_functions or name in ("concat", "substring"):

        def call(values):
            if name == "concat":
                parts = [str(v) for v in values]
                _check_result_length(sum(map(len, parts)), name, node)
                return "".join(parts)
            if name == "substring":
                text, start, length = values
                return text[int(start) - 1 : int(start) - 1 + int(length)]
            return string_functions[name](values[0])

        call = _safe_but_bounded(call)

        def scalar(env):
            values = [a.scalar(env) for a in arguments]
            return None if any(v is None for v in values) else call(values)

        def vector(env, n):
            return vector_of([scalar(_row(env, arguments, i)) for i in range(n)], "string", n)

        return scalar, vector, "string"
    if name == "formatNumber":
        value, pattern = arguments
        if not pattern.fields:  # a pattern that reads no field is known now: refuse it at load
            static = pattern.scalar({})
            if static is not None:
                _check_format_pattern(str(static), node, ModelLoadError)

        def scalar(env):
            number, text = value.scalar(env), pattern.scalar(env)
            if number is None or text is None:
                return None
            text = str(text)
            _check_format_pattern(text, node, EvaluationError)
            try:
                return text % number
            except (TypeError, ValueError, OverflowError):  # e.g. %c of a number beyond Unicode
                return text

        def vector(env, n):
            return vector_of([scalar(_row(env, arguments, i)) for i in range(n)], "string", n)

        return scalar, vector, "string"
    raise UnsupportedElement(f"Apply function {name!r} is not supported by the native engine", node.where())


def _check_result_length(length, name, node):
    if length > MAX_STRING_RESULT:
        raise EvaluationError(
            f"{name} would produce {length:,} characters; the limit is {MAX_STRING_RESULT:,}", node.where()
        )


def _safe_but_bounded(function):
    """Like _safe (bad input -> missing), but a result over the limit is an error, not a missing value."""

    def call(*values):
        try:
            return function(*values)
        except EvaluationError:
            raise
        except (ValueError, TypeError, ZeroDivisionError, OverflowError):
            return None

    return call


def _fast_arithmetic(name, left, right):
    """Specialised scalar closures for the shapes exporters write most: (field or expression) op constant,
    e.g. a standard scaler's (x - mean) / scale, which dominate single-record time."""
    import operator

    if name not in ("+", "-", "*", "/") or right.constant is None or isinstance(right.constant, bool):
        return None
    c = float(right.constant)
    if name == "/" and c == 0.0:
        return None
    op = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}[name]
    if left.ref is not None:
        field = left.ref

        def scalar(env):
            a = env[field]
            return None if a is None else op(a, c)

        return scalar
    inner = left.scalar

    def scalar(env):
        a = inner(env)
        return None if a is None else op(a, c)

    return scalar
