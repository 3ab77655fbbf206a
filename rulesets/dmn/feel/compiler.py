"""Compiles FEEL ASTs once into Python closures `evaluate(scope) -> value`.

Unary tests compile to `test(value, scope) -> True | False | None`; a decision-table rule
matches only on True, so a null or mistyped input never matches a comparison.
"""

import datetime
import decimal

from . import limits
from .builtins import BUILTIN_FUNCTIONS, call_builtin, to_text
from .errors import FeelEvaluationError, FeelSyntaxError
from .external import guarded, java_function
from .temporal import add_months, duration_property, parse_temporal, temporal_property
from .types import instance_check
from .values import (
    CYCLE_DAYS,
    FAR_TYPES,
    FEEL_CONTEXT,
    NANO_TYPES,
    Decimal,
    Function,
    NanoDuration,
    Range,
    YearsMonthsDuration,
    compare,
    equal,
    far,
    kind_of,
    plain,
    split_far,
)

INPUT_NAME = "?"
TEMPORAL_TYPES = (datetime.date, datetime.datetime, datetime.time)


def uses_input(node):
    if not isinstance(node, tuple):
        if isinstance(node, list):
            return any(uses_input(item) for item in node)
        return False
    if node == ("input",):
        return True
    return any(uses_input(part) for part in node[1:] if isinstance(part, (tuple, list)))


def compile_expression(node):
    kind = node[0]
    handler = _COMPILERS.get(kind)
    if handler is None:
        raise FeelSyntaxError("%s is not allowed here" % kind.replace("_", " "))
    return handler(node)


def _constant(value):
    return lambda scope: value


def _name(node):
    name = node[1]
    if "." in name:  # a declared name like 'Person.Gender' is also read as a path where not bound
        head, *members = name.split(".")

        def dotted(scope):
            if name in scope:
                return scope[name]
            value = scope.get(head)
            for member in members:
                value = property_of(value, member)
            return value

        return dotted

    def lookup(scope):
        value = scope.get(name, lookup)
        if value is lookup:
            return BUILTIN_FUNCTIONS.get(name)
        return value

    return lookup


def _temporal(node):
    value = parse_temporal(node[1])
    if value is None:  # an error where it is evaluated, so the model's other decisions still load
        message = '@"%s" is not a date, time, date and time or duration this engine can represent' % node[1]

        def invalid(scope):
            raise FeelEvaluationError(message)

        return invalid
    return _constant(value)


def _negate(node):
    operand = compile_expression(node[1])

    def negate(scope):
        value = plain(operand(scope))
        if type(value) is Decimal:
            return -value
        if type(value) is datetime.timedelta:
            return -value
        if type(value) is YearsMonthsDuration:
            return YearsMonthsDuration(-value.months)
        return None

    return negate


def arithmetic(operator, left, right):
    if left is None or right is None:
        return None
    left_type, right_type = type(left), type(right)
    try:
        if left_type is Decimal and right_type is Decimal:
            if operator == "+":
                return FEEL_CONTEXT.add(left, right)
            if operator == "-":
                return FEEL_CONTEXT.subtract(left, right)
            if operator == "*":
                return FEEL_CONTEXT.multiply(left, right)
            if operator == "/":
                return None if right == 0 else FEEL_CONTEXT.divide(left, right)
            if operator == "**":
                if abs(right) > 999999999:
                    return None
                return FEEL_CONTEXT.power(left, right)
        if operator == "+" and left_type is str and right_type is str:
            return limits.check_string(left + right)
        if left_type in NANO_TYPES or right_type in NANO_TYPES:  # arithmetic at microseconds
            left, right = plain(left), plain(right)
            left_type, right_type = type(left), type(right)
        return _temporal_arithmetic(operator, left, right, left_type, right_type)
    except (ArithmeticError, ValueError, TypeError, AttributeError):
        return None


_DATES = (datetime.date, datetime.datetime)
_ALL_DATES = _DATES + FAR_TYPES
_MIDNIGHT = datetime.time()


def _as_datetime(value, tzinfo=None):
    if type(value) is datetime.datetime:
        return value
    return datetime.datetime.combine(value, _MIDNIGHT).replace(tzinfo=tzinfo)


def _far_arithmetic(operator, left, right):
    """Date arithmetic beyond Python's years: on the values moved into 2000..2399, cycles kept aside."""
    left_cycles = right_cycles = 0
    if type(left) in _ALL_DATES:
        left_cycles, left = split_far(left)
    if type(right) in _ALL_DATES:
        right_cycles, right = split_far(right)
    result = _temporal_arithmetic(operator, left, right, type(left), type(right))
    if type(result) is datetime.timedelta and type(left) in _DATES and type(right) in _DATES:
        return result + datetime.timedelta(days=(left_cycles - right_cycles) * CYCLE_DAYS)
    if type(result) in _DATES:
        cycles, base = split_far(result)
        return far(base, cycles + left_cycles + right_cycles)
    return result


def _temporal_arithmetic(operator, left, right, left_type, right_type):
    if left_type in FAR_TYPES or right_type in FAR_TYPES:
        return _far_arithmetic(operator, left, right)
    if operator in "+-":
        sign = 1 if operator == "+" else -1
        if left_type in _DATES and right_type is YearsMonthsDuration:
            return add_months(left, sign * right.months)
        if left_type is YearsMonthsDuration and right_type in _DATES and operator == "+":
            return add_months(right, left.months)
        if left_type in _DATES and right_type is datetime.timedelta:
            if left_type is datetime.date:
                return (datetime.datetime.combine(left, _MIDNIGHT) + sign * right).date()
            if getattr(left.tzinfo, "key", None):  # a zone id: move the instant, keep the zone
                return (left.astimezone(datetime.timezone.utc) + sign * right).astimezone(left.tzinfo)
            return left + sign * right
        if left_type is datetime.timedelta and right_type in _DATES and operator == "+":
            return _temporal_arithmetic("+", right, left, right_type, left_type)
        if left_type is datetime.time and right_type is datetime.timedelta:
            moved = datetime.datetime.combine(datetime.date(2000, 1, 1), left) + sign * right
            return moved.timetz()
        if left_type is datetime.timedelta and right_type is datetime.time and operator == "+":
            return _temporal_arithmetic("+", right, left, right_type, left_type)
        if left_type is datetime.timedelta and right_type is datetime.timedelta:
            return left + sign * right
        if left_type is YearsMonthsDuration and right_type is YearsMonthsDuration:
            return YearsMonthsDuration(left.months + sign * right.months)
        if operator == "-" and left_type in _DATES and right_type in _DATES:
            if left_type is not right_type:  # a date among date-times is midnight UTC
                left, right = _as_datetime(left, datetime.timezone.utc), _as_datetime(right, datetime.timezone.utc)
            elif left_type is datetime.date:
                return datetime.timedelta(days=(left - right).days)
            if (left.tzinfo is None) != (right.tzinfo is None):
                return None
            return _as_datetime(left) - _as_datetime(right)
        if operator == "-" and left_type is datetime.time and right_type is datetime.time:
            if (left.tzinfo is None) != (right.tzinfo is None):
                return None
            base = datetime.date(2000, 1, 1)
            return datetime.datetime.combine(base, left) - datetime.datetime.combine(base, right)
        return None
    if operator == "*":
        if left_type is Decimal and right_type in (datetime.timedelta, YearsMonthsDuration):
            left, right, left_type, right_type = right, left, right_type, left_type
        if left_type is datetime.timedelta and right_type is Decimal:
            return _seconds_duration(_total_seconds(left) * right)
        if left_type is YearsMonthsDuration and right_type is Decimal:
            return YearsMonthsDuration(int((left.months * right).to_integral_value(decimal.ROUND_DOWN)))
        return None
    if operator == "/":
        if left_type is datetime.timedelta and right_type is Decimal and right != 0:
            return _seconds_duration(_total_seconds(left) / right)
        if left_type is YearsMonthsDuration and right_type is Decimal and right != 0:
            return YearsMonthsDuration(int((left.months / right).to_integral_value(decimal.ROUND_DOWN)))
        if left_type is datetime.timedelta and right_type is datetime.timedelta and right:
            return FEEL_CONTEXT.divide(_total_seconds(left), _total_seconds(right))
        if left_type is YearsMonthsDuration and right_type is YearsMonthsDuration and right.months:
            return FEEL_CONTEXT.divide(Decimal(left.months), Decimal(right.months))
    return None


def _total_seconds(delta):
    return Decimal(delta.days * 86400 + delta.seconds) + Decimal(delta.microseconds) / Decimal(1000000)


def _seconds_duration(seconds):
    whole = seconds.to_integral_value(decimal.ROUND_FLOOR)
    return datetime.timedelta(seconds=int(whole), microseconds=int((seconds - whole) * 1000000))


def _arithmetic(node):
    _, operator, left_node, right_node = node
    left, right = compile_expression(left_node), compile_expression(right_node)
    if operator == "+":

        def add(scope):
            a, b = left(scope), right(scope)
            if type(a) is Decimal and type(b) is Decimal:
                return FEEL_CONTEXT.add(a, b)
            return arithmetic("+", a, b)

        return add
    return lambda scope: arithmetic(operator, left(scope), right(scope))


def compare_operator(operator, left, right):
    if operator == "=":
        return equal(left, right)
    if operator == "!=":
        result = equal(left, right)
        return None if result is None else not result
    order = compare(left, right)
    if order is None:
        return None
    if operator == "<":
        return order < 0
    if operator == "<=":
        return order <= 0
    if operator == ">":
        return order > 0
    return order >= 0


def _compare(node):
    _, operator, left_node, right_node = node
    left, right = compile_expression(left_node), compile_expression(right_node)
    return lambda scope: compare_operator(operator, left(scope), right(scope))


def _between(node):
    value, low, high = (compile_expression(n) for n in node[1:])

    def between(scope):
        item = value(scope)
        first, second = compare_operator(">=", item, low(scope)), compare_operator("<=", item, high(scope))
        return _and(first, second)

    return between


def _and(first, second):
    if first is False or second is False:
        return False
    if first is True and second is True:
        return True
    return None


def _or(first, second):
    if first is True or second is True:
        return True
    if first is False and second is False:
        return False
    return None


def _conjunction(node):
    left, right = compile_expression(node[1]), compile_expression(node[2])

    def conjunction(scope):
        first = left(scope)
        if first is False:
            return False
        second = right(scope)
        first = first if type(first) is bool else None
        second = second if type(second) is bool else None
        return _and(first, second)

    return conjunction


def _disjunction(node):
    left, right = compile_expression(node[1]), compile_expression(node[2])

    def disjunction(scope):
        first = left(scope)
        if first is True:
            return True
        second = right(scope)
        first = first if type(first) is bool else None
        second = second if type(second) is bool else None
        return _or(first, second)

    return disjunction


def _if(node):
    condition, then, otherwise = (compile_expression(n) for n in node[1:4])
    return lambda scope: then(scope) if condition(scope) is True else otherwise(scope)


def _list(node):
    items = [compile_expression(n) for n in node[1]]
    return lambda scope: [item(scope) for item in items]


def _range(node):
    _, start_included, start_node, end_node, end_included = node
    start, end = compile_expression(start_node), compile_expression(end_node)
    return lambda scope: Range(start(scope), start_included, end(scope), end_included)


def _open_range(node):
    _, operator, end_node = node
    end = compile_expression(end_node)

    def open_range(scope):
        value = end(scope)
        if operator in ("<", "<="):
            return Range(None, False, value, operator == "<=", operator)
        if operator in ("=", "!="):
            return Range(value, True, value, True, operator)
        return Range(value, operator == ">=", None, False, operator)

    return open_range


def _context(node):
    entries = [(key, compile_expression(value)) for key, value in node[1]]
    keys = [key for key, _ in entries]
    if len(set(keys)) != len(keys):  # a key given twice: not a context, null where it is evaluated
        return _constant(None)

    def context(scope):
        result = {}
        local = dict(scope)
        for key, value in entries:
            result[key] = local[key] = value(local)
        return result

    return context


_TEMPORAL = (datetime.date, datetime.datetime, datetime.time) + FAR_TYPES + (NANO_TYPES[0], NANO_TYPES[2])


def property_of(value, name):
    kind = type(value)
    if kind is dict:
        return value.get(name)
    if kind is list:
        return [property_of(item, name) for item in value]
    if kind in _TEMPORAL:
        return temporal_property(value, name)
    if kind is YearsMonthsDuration or kind is datetime.timedelta or kind is NanoDuration:
        return duration_property(value, name)
    if kind is Range:
        return {
            "start": value.start,
            "end": value.end,
            "start included": value.start_included,
            "end included": value.end_included,
        }.get(name)
    return None


def _path(node):
    target, name = compile_expression(node[1]), node[2]
    return lambda scope: property_of(target(scope), name)


def _filter(node):
    target, condition_node = compile_expression(node[1]), node[2]
    condition = compile_expression(condition_node)
    is_index = condition_node[0] in ("number", "negate")

    def filter_list(scope):
        items = target(scope)
        if items is None:
            return None
        if type(items) is not list:
            items = [items]
        if is_index:
            return _item_at(items, condition(scope))
        if len(items) > 1024:
            limits.spend(len(items))
        kept = []
        for item in items:
            local = dict(scope)
            local["item"] = item
            if type(item) is dict:
                local.update(item)
            verdict = condition(local)
            if verdict is True:
                kept.append(item)
            elif type(verdict) is Decimal and item is items[0]:
                return _item_at(items, verdict)
        return kept

    return filter_list


def _item_at(items, index):
    if type(index) is not Decimal or index == 0 or index != index.to_integral_value():
        return None
    position = int(index) - 1 if index > 0 else len(items) + int(index)
    return items[position] if 0 <= position < len(items) else None


def invoke(function, positional, named):
    if type(function) is Function:
        if function.name is not None and BUILTIN_FUNCTIONS.get(function.name) is function:
            return call_builtin(function, positional, named)
        return function.invoke(positional, named)
    return None


def _call(node):
    _, callee_node, positional_nodes, named_nodes = node
    callee = compile_expression(callee_node)
    positional = [compile_expression(n) for n in positional_nodes]
    named = [(name, compile_expression(n)) for name, n in named_nodes] if named_nodes else None
    if callee_node[0] == "name" and callee_node[1] in BUILTIN_FUNCTIONS:
        builtin_name = callee_node[1]
        builtin = BUILTIN_FUNCTIONS[builtin_name]

        def call_known(scope):  # a built-in unless the scope shadows its name
            function = scope.get(builtin_name, builtin)
            return invoke(
                function,
                [argument(scope) for argument in positional],
                None if named is None else {name: argument(scope) for name, argument in named},
            )

        return call_known
    if named is None:

        def call(scope):
            return invoke(callee(scope), [argument(scope) for argument in positional], None)
    else:

        def call(scope):
            return invoke(
                callee(scope),
                [argument(scope) for argument in positional],
                {name: argument(scope) for name, argument in named},
            )

    return call


def _function(node):
    _, parameters, body_node = node[:3]
    types = node[3] if len(node) > 3 else None
    if body_node[0] == "external":
        return _external(parameters, body_node)
    body = compile_expression(body_node)
    names = [p for p in parameters]

    def define(scope):
        def run(*arguments):
            if types:
                for argument, expected in zip(arguments, types):
                    if expected is not None and argument is not None and not instance_check(argument, expected):
                        return None
            local = dict(scope)
            local.update(zip(names, arguments))
            return body(local)

        return Function(list(names), run, types=types)

    return define


def _external(parameters, body_node):
    """`function(...) external {java: ...}`: a listed java.lang static method, else null (external.py)."""
    specification = compile_expression(body_node[1])

    def define(scope):
        function = java_function(specification(scope))
        return Function(list(parameters), guarded(function) if function else (lambda *arguments: None))

    return define


def _iterations(iterations):
    compiled = []
    for name, source in iterations:
        if source[0] == "numbers":
            low, high = compile_expression(source[1]), compile_expression(source[2])

            def numbers(scope, low=low, high=high):
                first, last = low(scope), high(scope)
                if type(first) is datetime.date and type(last) is datetime.date:
                    limits.check_count(abs((last - first).days) + 1)
                    step = datetime.timedelta(days=1 if last >= first else -1)
                    return [first + step * i for i in range(abs((last - first).days) + 1)]
                if not _whole(first) or not _whole(last):
                    raise _NoIteration()
                limits.check_count(abs(last - first) + 1)
                step = 1 if last >= first else -1
                return [Decimal(i) for i in range(int(first), int(last) + step, step)]

            compiled.append((name, numbers))
        else:
            source_value = compile_expression(source)

            def items_of(scope, source_value=source_value):
                items = source_value(scope)
                if type(items) is Range:
                    items = _range_items(items)
                    if items is None:
                        raise _NoIteration()
                return items

            compiled.append((name, items_of))
    return compiled


class _NoIteration(Exception):
    """An iteration domain that is not a list or a range of integers or dates: the loop is null."""


def _whole(value):
    return type(value) is Decimal and value == value.to_integral_value()


def _range_items(value):
    """The numbers (or dates) a range of integers (or dates) iterates over."""
    start, end = value.start, value.end
    if compare(start, end) != -1 and not (compare(start, end) == 0 and value.start_included and value.end_included):
        return None  # descending or empty: not a domain to iterate
    if _whole(start) and _whole(end):
        first = int(start) + (0 if value.start_included else (1 if end >= start else -1))
        last = int(end) - (0 if value.end_included else (1 if end >= start else -1))
        step = 1 if last >= first else -1
        limits.check_count(abs(last - first) + 1)
        return [Decimal(i) for i in range(first, last + step, step)]
    if type(start) is datetime.date and type(end) is datetime.date:
        first = start if value.start_included else start + datetime.timedelta(days=1)
        last = end if value.end_included else end - datetime.timedelta(days=1)
        limits.check_count((last - first).days + 1)
        return [first + datetime.timedelta(days=i) for i in range((last - first).days + 1)]
    return None


def _bindings(compiled, scope, counter):
    if not compiled:
        counter[0] += 1
        if counter[0] > limits.MAX_LIST_LENGTH:
            limits.check_count(counter[0])
        limits.spend(1)
        yield scope
        return
    name, source = compiled[0]
    items = source(scope)
    if items is None:
        return
    if type(items) is not list:
        items = [items]
    for item in items:
        local = dict(scope)
        local[name] = item
        yield from _bindings(compiled[1:], local, counter)


def _for(node):
    compiled, body = _iterations(node[1]), compile_expression(node[2])

    def loop(scope):
        results = []
        try:
            for local in _bindings(compiled, scope, [0]):
                local["partial"] = results
                results.append(body(local))
        except _NoIteration:
            return None
        return results

    return loop


def _quantifier(node):
    compiled, condition = _iterations(node[1]), compile_expression(node[2])
    every = node[0] == "every"

    def quantified(scope):
        try:
            verdicts = [condition(local) for local in _bindings(compiled, scope, [0])]
        except _NoIteration:
            return None
        if every:
            return False if any(v is False for v in verdicts) else (True if all(v is True for v in verdicts) else None)
        return True if any(v is True for v in verdicts) else (False if all(v is False for v in verdicts) else None)

    return quantified


def _instance_of(node):
    value, type_node = compile_expression(node[1]), node[2]
    return lambda scope: instance_check(value(scope), type_node, scope)


def _in(node):
    value = compile_expression(node[1])
    tests = [compile_positive_test(test) for test in node[2]]

    def contained(scope):
        item = value(scope)
        return any_of(tests, item, scope)

    return contained


_COMPILERS = {
    "number": lambda node: _constant(node[1]),
    "string": lambda node: _constant(node[1]),
    "boolean": lambda node: _constant(node[1]),
    "null": lambda node: _constant(None),
    "name": _name,
    "input": lambda node: lambda scope: scope.get(INPUT_NAME),
    "temporal": _temporal,
    "negate": _negate,
    "arithmetic": _arithmetic,
    "compare": _compare,
    "between": _between,
    "and": _conjunction,
    "or": _disjunction,
    "if": _if,
    "list": _list,
    "range": _range,
    "open range": _open_range,
    "context": _context,
    "path": _path,
    "filter": _filter,
    "call": _call,
    "function": _function,
    "for": _for,
    "some": _quantifier,
    "every": _quantifier,
    "instance of": _instance_of,
    "in": _in,
}


# ---------------------------------------------------------------- unary tests
def any_of(tests, value, scope):
    """FEEL disjunction of unary tests: True if one holds, None if none holds but one was null."""
    unknown = False
    for test in tests:
        verdict = test(value, scope)
        if verdict is True:
            return True
        if verdict is None:
            unknown = True
    return None if unknown else False


def _list_membership(value, items):
    """`value in [a, b, ...]`: value = a or value = b ..., a range item by containment; values of
    other types are simply not members."""
    for item in items:
        verdict = item.contains(value) if type(item) is Range else equal(value, item)
        if verdict is True:
            return True
    if type(value) is list:
        return equal(value, items) is True
    return False if value is not None or items else None


def compile_unary_tests(node):
    """('any',) | ('not', tests) | ('tests', tests) -> test(value, scope) -> True/False/None."""
    if node[0] == "any":
        return lambda value, scope: True
    tests = [compile_positive_test(test) for test in node[1]]
    if node[0] == "not":

        def negated(value, scope):
            verdict = any_of(tests, value, scope)
            return None if verdict is None else not verdict

        return negated
    if len(tests) == 1:
        return tests[0]
    return lambda value, scope: any_of(tests, value, scope)


def literal_value(node):
    """The constant a literal AST node stands for, or a sentinel when it is not a literal."""
    kind = node[0]
    if kind in ("number", "string", "boolean"):
        return node[1]
    if kind == "null":
        return None
    if kind == "temporal":
        return _temporal(node)(None)
    if (
        kind == "call"
        and node[1][0] == "name"
        and node[1][1] in ("date", "date and time", "time", "duration")
        and not node[3]
        and len(node[2]) == 1
        and node[2][0][0] == "string"
    ):
        return compile_expression(node)({})
    return NOT_LITERAL


NOT_LITERAL = object()


def _comparison_test(operator, constant):
    """Fast test against a literal: a value of another type gives None, never a match."""
    constant_type = type(constant)
    if operator == "<":
        return lambda value, scope: (value < constant) if type(value) is constant_type else None
    if operator == "<=":
        return lambda value, scope: (value <= constant) if type(value) is constant_type else None
    if operator == ">":
        return lambda value, scope: (value > constant) if type(value) is constant_type else None
    if operator == ">=":
        return lambda value, scope: (value >= constant) if type(value) is constant_type else None
    if operator == "=":
        if constant is None:
            return lambda value, scope: value is None
        return lambda value, scope: (
            (value == constant) if type(value) is constant_type else (False if value is None else None)
        )
    if operator == "!=":
        if constant is None:
            return lambda value, scope: value is not None
        return lambda value, scope: (
            (value != constant) if type(value) is constant_type else (True if value is None else None)
        )
    raise FeelSyntaxError("unknown comparison %r" % operator)


def _range_test(low, low_included, high, high_included):
    if type(low) is not type(high) or type(low) in (bool, list, dict):
        return None
    constant_type = type(low)
    if low_included and high_included:
        return lambda value, scope: (low <= value <= high) if type(value) is constant_type else None
    if low_included:
        return lambda value, scope: (low <= value < high) if type(value) is constant_type else None
    if high_included:
        return lambda value, scope: (low < value <= high) if type(value) is constant_type else None
    return lambda value, scope: (low < value < high) if type(value) is constant_type else None


def compile_positive_test(test):
    kind = test[0]
    if kind == "compare input":
        _, operator, endpoint_node = test
        constant = literal_value(endpoint_node)
        if constant is not NOT_LITERAL and kind_of(constant) in (
            "number",
            "string",
            "date",
            "boolean",
            "null",
            "date and time",
            "time",
            "days and time duration",
        ):
            if constant is not None or operator in ("=", "!="):
                return _comparison_test(operator, constant)
        endpoint = compile_expression(endpoint_node)
        return lambda value, scope: compare_operator(operator, value, endpoint(scope))
    expression_node = test[1]
    expression_kind = expression_node[0]
    if expression_kind == "range":
        _, low_included, low_node, high_node, high_included = expression_node
        low, high = literal_value(low_node), literal_value(high_node)
        if low is not NOT_LITERAL and high is not NOT_LITERAL:
            fast = _range_test(low, low_included, high, high_included)
            if fast:
                return fast
        compiled_range = compile_expression(expression_node)
        return lambda value, scope: compiled_range(scope).contains(value)
    if expression_kind == "open range":
        return compile_positive_test(("compare input", expression_node[1], expression_node[2]))
    constant = literal_value(expression_node)
    if constant is not NOT_LITERAL and type(constant) is not bool:
        return _comparison_test("=", constant)
    if constant is not NOT_LITERAL:  # true/false: equality, so null and non-booleans do not match
        return lambda value, scope: (value is constant) if type(value) is bool else (False if value is None else None)
    expression = compile_expression(expression_node)
    if uses_input(expression_node):

        def boolean_test(value, scope):
            local = dict(scope)
            local[INPUT_NAME] = value
            return expression(local)

        return boolean_test

    def expression_test(value, scope):
        expected = expression(scope)
        if type(expected) is Range:
            return expected.contains(value)
        if type(expected) is list:
            return _list_membership(value, expected)
        if type(expected) is bool and type(value) is not bool and value is not None:
            return expected  # a boolean expression of other inputs
        return equal(value, expected)

    return expression_test


__all__ = ["compile_expression", "compile_unary_tests", "to_text", "uses_input", "TEMPORAL_TYPES"]
