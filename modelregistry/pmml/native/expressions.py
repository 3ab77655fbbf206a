"""PMML expressions and predicates, each compiled once into a scalar and a vectorised callable.

A compiled expression is an `Expr(pmml_type, scalar, vector, fields)`: `scalar(env)` reads a dict of
Python values, `vector(env, n)` a dict of arrays; `fields` are the names it reads, for ordering
derived fields. Predicates are three-valued: True/False/None, and 1.0/0.0/NaN in vectors.
"""

import math
from typing import Callable, NamedTuple

import numpy as np

from ..errors import ModelLoadError, UnsupportedElement
from .values import NUMERIC, coerce, vector_missing, vector_of


class Expr(NamedTuple):
    pmml_type: str
    scalar: Callable
    vector: Callable
    fields: frozenset
    ref: str = None  # the field name, for a plain FieldRef (lets callers read env directly)
    constant: object = None  # the value, for a Constant


class Predicate(NamedTuple):
    scalar: Callable
    vector: Callable
    fields: frozenset
    # For SimplePredicate/SimpleSetPredicate: (field, test_on_a_present_value, boundary values); else None.
    simple: object = None


EXPRESSION_TAGS = (
    "Constant",
    "FieldRef",
    "NormContinuous",
    "NormDiscrete",
    "Discretize",
    "MapValues",
    "Apply",
    "TextIndex",
    "Aggregate",
    "Lag",
)
PREDICATE_TAGS = ("SimplePredicate", "SimpleSetPredicate", "CompoundPredicate", "True", "False")


def expression_child(node):
    for child in node.children:
        if child.tag in EXPRESSION_TAGS:
            return child
    return None


def predicate_child(node):
    for child in node.children:
        if child.tag in PREDICATE_TAGS:
            return child
    return None


class Scope:
    """The fields visible to an expression: name -> PMML data type; user-defined functions."""

    def __init__(self, types=None, functions=None, data_fields=None):
        self.types = dict(types or {})
        self.functions = dict(functions or {})
        self.data_fields = data_fields or {}

    def type_of(self, name, node):
        if name not in self.types:
            raise ModelLoadError(f"field {name!r} is not defined", node.where())
        return self.types[name]

    def child(self):
        return Scope(self.types, self.functions, self.data_fields)


def _mapped_missing(node, pmml_type):
    text = node.get("mapMissingTo")
    return None if text is None else coerce(text, pmml_type)


def _parse_constant(node, pmml_type):
    text = node.text
    if node.get("missing") == "true":
        return None
    if pmml_type is None:
        try:
            float(text)
            pmml_type = "double"
        except ValueError:
            pmml_type = "string"
    return pmml_type, coerce(text, pmml_type)


def compile_expression(node, scope):
    tag = node.tag
    if tag == "Constant":
        pmml_type, value = _parse_constant(node, node.get("dataType"))
        if pmml_type in NUMERIC or pmml_type == "boolean":
            fill = math.nan if value is None else float(value)
            return Expr(pmml_type, lambda env: value, lambda env, n: np.full(n, fill), frozenset(), None, value)
        return Expr(pmml_type, lambda env: value, lambda env, n: np.full(n, value, dtype=object), frozenset())
    if tag == "FieldRef":
        name = node.get("field")
        pmml_type = scope.type_of(name, node)
        replacement = _mapped_missing(node, pmml_type)
        if replacement is None:
            return Expr(pmml_type, lambda env: env[name], lambda env, n: env[name], frozenset([name]), name)

        def scalar(env):
            value = env[name]
            return replacement if value is None else value

        def vector(env, n):
            values = env[name]
            out = values.copy()
            out[vector_missing(values)] = replacement
            return out

        return Expr(pmml_type, scalar, vector, frozenset([name]))
    if tag == "NormContinuous":
        return _norm_continuous(node, scope)
    if tag == "NormDiscrete":
        return _norm_discrete(node, scope)
    if tag == "Discretize":
        return _discretize(node, scope)
    if tag == "MapValues":
        return _map_values(node, scope)
    if tag == "Apply":
        from .functions import compile_apply

        return compile_apply(node, scope)
    raise UnsupportedElement(f"{tag} is not supported by the native engine", node.where())


def _norm_continuous(node, scope):
    name = node.get("field")
    scope.type_of(name, node)
    points = [(float(p.get("orig")), float(p.get("norm"))) for p in node.findall("LinearNorm")]
    if len(points) < 2:
        raise ModelLoadError("NormContinuous needs at least two LinearNorm elements", node.where())
    points.sort()
    origs = np.array([p[0] for p in points])
    norms = np.array([p[1] for p in points])
    outliers = node.get("outliers", "asIs")
    replacement = _mapped_missing(node, "double")

    def scalar(env):
        x = env[name]
        if x is None:
            return replacement
        if x < origs[0] or x > origs[-1]:
            if outliers == "asMissingValues":
                return None
            if outliers == "asExtremeValues":
                return float(norms[0] if x < origs[0] else norms[-1])
        i = 1
        while i < len(points) - 1 and x > points[i][0]:
            i += 1
        (x0, y0), (x1, y1) = points[i - 1], points[i]
        return y0 + (x - x0) * (y1 - y0) / (x1 - x0)

    def vector(env, n):
        x = env[name]
        index = np.clip(np.searchsorted(origs, x, side="left"), 1, len(origs) - 1)
        x0, x1, y0, y1 = origs[index - 1], origs[index], norms[index - 1], norms[index]
        out = y0 + (x - x0) * (y1 - y0) / (x1 - x0)
        if outliers == "asMissingValues":
            out[(x < origs[0]) | (x > origs[-1])] = np.nan
        elif outliers == "asExtremeValues":
            out[x < origs[0]] = norms[0]
            out[x > origs[-1]] = norms[-1]
        if replacement is not None:
            out[np.isnan(x)] = replacement
        return out

    return Expr("double", scalar, vector, frozenset([name]))


def _norm_discrete(node, scope):
    name = node.get("field")
    field_type = scope.type_of(name, node)
    value = coerce(node.get("value"), field_type)
    replacement = _mapped_missing(node, "double")
    fill = math.nan if replacement is None else replacement

    def scalar(env):
        x = env[name]
        if x is None:
            return replacement
        return 1.0 if x == value else 0.0

    def vector(env, n):
        x = env[name]
        out = (x == value).astype(np.float64)
        out[vector_missing(x)] = fill
        return out

    return Expr("double", scalar, vector, frozenset([name]))


def _discretize(node, scope):
    name = node.get("field")
    scope.type_of(name, node)
    pmml_type = node.get("dataType", "string")
    bins = []
    for bin_node in node.findall("DiscretizeBin"):
        interval = bin_node.find("Interval")
        low = float(interval.get("leftMargin", "-inf"))
        high = float(interval.get("rightMargin", "inf"))
        closure = interval.get("closure", "closedClosed")
        bins.append(
            (
                low,
                high,
                closure.startswith("closed"),
                closure.endswith("Closed"),
                coerce(bin_node.get("binValue"), pmml_type),
            )
        )
    replacement = _mapped_missing(node, pmml_type)
    default = coerce(node.get("defaultValue"), pmml_type) if node.get("defaultValue") is not None else None

    def scalar(env):
        x = env[name]
        if x is None:
            return replacement
        for low, high, left_closed, right_closed, value in bins:
            if (x > low or (left_closed and x == low)) and (x < high or (right_closed and x == high)):
                return value
        return default

    def vector(env, n):
        return vector_of([scalar({name: None if v != v else float(v)}) for v in env[name]], pmml_type, n)

    return Expr(pmml_type, scalar, vector, frozenset([name]))


def _map_values(node, scope):
    pmml_type = node.get("dataType", "string")
    output_column = node.get("outputColumn")
    pairs = [(p.get("field"), p.get("column")) for p in node.findall("FieldColumnPair")]
    for field, _ in pairs:
        scope.type_of(field, node)
    table = node.find("InlineTable")
    if table is None:
        raise UnsupportedElement("MapValues without an InlineTable", node.where())
    lookup = {}
    for row in table.findall("row"):
        cells = {child.tag: child.text for child in row.children}
        key = tuple(coerce(cells.get(column), scope.types[field]) for field, column in pairs)
        lookup.setdefault(key, coerce(cells.get(output_column), pmml_type))
    replacement = _mapped_missing(node, pmml_type)
    default = coerce(node.get("defaultValue"), pmml_type) if node.get("defaultValue") is not None else None
    names = [field for field, _ in pairs]

    def scalar(env):
        key = tuple(env[field] for field in names)
        if any(v is None for v in key):
            return replacement
        return lookup.get(key, default)

    def vector(env, n):
        columns = [env[field] for field in names]
        rows = []
        for i in range(n):
            rows.append(scalar({field: _item(column[i]) for field, column in zip(names, columns)}))
        return vector_of(rows, pmml_type, n)

    return Expr(pmml_type, scalar, vector, frozenset(names))


def _item(value):
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, np.floating):
        return None if value != value else float(value)
    return value


# ---------------------------------------------------------------- predicates

_COMPARE = {
    "equal": lambda a, b: a == b,
    "notEqual": lambda a, b: a != b,
    "lessThan": lambda a, b: a < b,
    "lessOrEqual": lambda a, b: a <= b,
    "greaterThan": lambda a, b: a > b,
    "greaterOrEqual": lambda a, b: a >= b,
}


def compile_predicate(node, scope):
    tag = node.tag
    if tag == "True":
        return Predicate(lambda env: True, lambda env, n: np.ones(n), frozenset())
    if tag == "False":
        return Predicate(lambda env: False, lambda env, n: np.zeros(n), frozenset())
    if tag == "SimplePredicate":
        return _simple_predicate(node, scope)
    if tag == "SimpleSetPredicate":
        return _set_predicate(node, scope)
    if tag == "CompoundPredicate":
        return _compound_predicate(node, scope)
    raise UnsupportedElement(f"{tag} is not supported as a predicate", node.where())


def _simple_predicate(node, scope):
    name = node.get("field")
    field_type = scope.type_of(name, node)
    operator = node.get("operator")
    if operator in ("isMissing", "isNotMissing"):
        wanted = operator == "isMissing"

        def scalar(env):
            return (env[name] is None) == wanted

        def vector(env, n):
            return (vector_missing(env[name]) == wanted).astype(np.float64)

        return Predicate(scalar, vector, frozenset([name]), (name, lambda x: not wanted, (), wanted))
    if operator not in _COMPARE:
        raise ModelLoadError(f"unknown operator {operator!r}", node.where())
    try:
        value = coerce(node.get("value"), field_type)
    except ValueError:
        raise ModelLoadError(f"value {node.get('value')!r} is not a {field_type}", node.where()) from None
    compare = _COMPARE[operator]

    def scalar(env):
        x = env[name]
        return None if x is None else compare(x, value)

    def vector(env, n):
        x = env[name]
        out = compare(x, value).astype(np.float64)
        out[vector_missing(x)] = np.nan
        return out

    return Predicate(scalar, vector, frozenset([name]), (name, lambda x: compare(x, value), (value,), None))


def _set_predicate(node, scope):
    name = node.get("field")
    field_type = scope.type_of(name, node)
    array = node.find("Array")
    members = frozenset(coerce(v, field_type) for v in parse_array(array))
    inside = node.get("booleanOperator", "isIn") == "isIn"

    def scalar(env):
        x = env[name]
        return None if x is None else ((x in members) == inside)

    def vector(env, n):
        x = env[name]
        missing = vector_missing(x)
        out = np.array([(v in members) == inside for v in x], dtype=np.float64) if len(x) else np.zeros(0)
        out[missing] = np.nan
        return out

    return Predicate(
        scalar, vector, frozenset([name]), (name, lambda x: (x in members) == inside, tuple(members), None)
    )


def parse_array(node):
    """Values of a PMML Array: whitespace separated, double quotes for values with spaces."""
    if node is None:
        return []
    text, values, i = node.text, [], 0
    while i < len(text):
        if text[i].isspace():
            i += 1
        elif text[i] == '"':
            j, chars = i + 1, []
            while j < len(text) and text[j] != '"':
                if text[j] == "\\" and j + 1 < len(text):
                    j += 1
                chars.append(text[j])
                j += 1
            values.append("".join(chars))
            i = j + 1
        else:
            j = i
            while j < len(text) and not text[j].isspace():
                j += 1
            values.append(text[i:j])
            i = j
    return values


def _compound_predicate(node, scope):
    operator = node.get("booleanOperator")
    parts = [compile_predicate(child, scope) for child in node.children if child.tag in PREDICATE_TAGS]
    fields = frozenset().union(*(p.fields for p in parts))
    if operator == "surrogate":

        def scalar(env):
            for part in parts:
                result = part.scalar(env)
                if result is not None:
                    return result
            return None

        def vector(env, n):
            out = np.full(n, np.nan)
            for part in parts:
                result = part.vector(env, n)
                unset = np.isnan(out)
                out[unset] = result[unset]
            return out

        return Predicate(scalar, vector, fields)
    if operator in ("and", "or"):
        decisive = operator == "or"  # the value that settles the result

        def scalar(env):
            unknown = False
            for part in parts:
                result = part.scalar(env)
                if result is None:
                    unknown = True
                elif result == decisive:
                    return decisive
            return None if unknown else (not decisive)

        def vector(env, n):
            results = np.array([part.vector(env, n) for part in parts])
            settled = np.any(results == float(decisive), axis=0)
            unknown = np.any(np.isnan(results), axis=0)
            out = np.where(settled, float(decisive), np.where(unknown, np.nan, float(not decisive)))
            return out

        return Predicate(scalar, vector, fields)
    if operator == "xor":

        def scalar(env):
            results = [part.scalar(env) for part in parts]
            if any(r is None for r in results):
                return None
            return sum(results) % 2 == 1

        def vector(env, n):
            results = np.array([part.vector(env, n) for part in parts])
            return np.sum(results, axis=0) % 2

        return Predicate(scalar, vector, fields)
    raise ModelLoadError(f"unknown booleanOperator {operator!r}", node.where())
