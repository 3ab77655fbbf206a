"""Compiles FEEL ASTs once into Python closures `evaluate(scope) -> value`.

Unary tests compile to `test(value, scope) -> True | False | None`; a decision-table rule
matches only on True, so a null or mistyped input never matches a comparison.
"""
import datetime
import decimal

from .builtins import BUILTIN_FUNCTIONS, call_builtin, to_text
from .errors import FeelSyntaxError
from .values import FEEL_CONTEXT, Decimal, Function, Range, YearsMonthsDuration, compare, equal, kind_of, parse_duration

INPUT_NAME = '?'
TEMPORAL_TYPES = (datetime.date, datetime.datetime, datetime.time)


def uses_input(node):
    if not isinstance(node, tuple):
        if isinstance(node, list):
            return any(uses_input(item) for item in node)
        return False
    if node == ('input',):
        return True
    return any(uses_input(part) for part in node[1:] if isinstance(part, (tuple, list)))


def compile_expression(node):
    kind = node[0]
    handler = _COMPILERS.get(kind)
    if handler is None:
        raise FeelSyntaxError('%s is not allowed here' % kind.replace('_', ' '))
    return handler(node)


def _constant(value):
    return lambda scope: value


def _name(node):
    name = node[1]
    if '.' in name:  # a declared name like 'Person.Gender' is also read as a path where not bound
        head, *members = name.split('.')

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
    text = node[1]
    value = parse_duration(text) if text.startswith(('P', '-P')) else None
    if value is None:
        from .builtins import feel_date, feel_date_and_time, feel_time
        value = feel_date(text) or (feel_date_and_time(text) if 'T' in text else feel_time(text))
    return _constant(value)


def _negate(node):
    operand = compile_expression(node[1])

    def negate(scope):
        value = operand(scope)
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
            if operator == '+':
                return FEEL_CONTEXT.add(left, right)
            if operator == '-':
                return FEEL_CONTEXT.subtract(left, right)
            if operator == '*':
                return FEEL_CONTEXT.multiply(left, right)
            if operator == '/':
                return None if right == 0 else FEEL_CONTEXT.divide(left, right)
            if operator == '**':
                return FEEL_CONTEXT.power(left, right)
        if operator == '+' and left_type is str and right_type is str:
            return left + right
        return _temporal_arithmetic(operator, left, right, left_type, right_type)
    except (decimal.InvalidOperation, OverflowError, ValueError, TypeError):
        return None


def _add_months(value, months):
    month_index = value.year * 12 + value.month - 1 + months
    year, month = divmod(month_index, 12)
    import calendar
    day = min(value.day, calendar.monthrange(year, month + 1)[1])
    return value.replace(year=year, month=month + 1, day=day)


def _temporal_arithmetic(operator, left, right, left_type, right_type):
    dates = (datetime.date, datetime.datetime)
    if operator in '+-':
        sign = 1 if operator == '+' else -1
        if left_type in dates and right_type is YearsMonthsDuration:
            return _add_months(left, sign * right.months)
        if left_type is YearsMonthsDuration and right_type in dates and operator == '+':
            return _add_months(right, left.months)
        if left_type in dates and right_type is datetime.timedelta:
            if left_type is datetime.date:
                moved = datetime.datetime.combine(left, datetime.time()) + sign * right
                return moved.date()
            return left + sign * right
        if left_type is datetime.timedelta and right_type in dates and operator == '+':
            return _temporal_arithmetic('+', right, left, right_type, left_type)
        if left_type is datetime.time and right_type is datetime.timedelta:
            moved = datetime.datetime.combine(datetime.date(2000, 1, 1), left) + sign * right
            return moved.timetz()
        if left_type is datetime.timedelta and right_type is datetime.timedelta:
            return left + sign * right
        if left_type is YearsMonthsDuration and right_type is YearsMonthsDuration:
            return YearsMonthsDuration(left.months + sign * right.months)
        if operator == '-' and left_type in dates and right_type in dates:
            if (getattr(left, 'tzinfo', None) is None) != (getattr(right, 'tzinfo', None) is None):
                return None
            as_datetime = [v if type(v) is datetime.datetime else datetime.datetime.combine(v, datetime.time())
                           for v in (left, right)]
            return as_datetime[0] - as_datetime[1]
        if operator == '-' and left_type is datetime.time and right_type is datetime.time:
            base = datetime.date(2000, 1, 1)
            return datetime.datetime.combine(base, left) - datetime.datetime.combine(base, right)
        return None
    if operator == '*':
        if left_type is Decimal and right_type in (datetime.timedelta, YearsMonthsDuration):
            left, right, left_type, right_type = right, left, right_type, left_type
        if left_type is datetime.timedelta and right_type is Decimal:
            return datetime.timedelta(seconds=float(Decimal(left.total_seconds()) * right))
        if left_type is YearsMonthsDuration and right_type is Decimal:
            return YearsMonthsDuration(int(left.months * right))
        return None
    if operator == '/':
        if left_type is datetime.timedelta and right_type is Decimal and right != 0:
            return datetime.timedelta(seconds=float(Decimal(left.total_seconds()) / right))
        if left_type is YearsMonthsDuration and right_type is Decimal and right != 0:
            return YearsMonthsDuration(int(left.months / right))
        if left_type is datetime.timedelta and right_type is datetime.timedelta and right:
            return FEEL_CONTEXT.divide(Decimal(left.total_seconds()), Decimal(right.total_seconds()))
        if left_type is YearsMonthsDuration and right_type is YearsMonthsDuration and right.months:
            return FEEL_CONTEXT.divide(Decimal(left.months), Decimal(right.months))
    return None


def _arithmetic(node):
    _, operator, left_node, right_node = node
    left, right = compile_expression(left_node), compile_expression(right_node)
    if operator == '+':
        def add(scope):
            a, b = left(scope), right(scope)
            if type(a) is Decimal and type(b) is Decimal:
                return FEEL_CONTEXT.add(a, b)
            return arithmetic('+', a, b)
        return add
    return lambda scope: arithmetic(operator, left(scope), right(scope))


def compare_operator(operator, left, right):
    if operator == '=':
        return equal(left, right)
    if operator == '!=':
        result = equal(left, right)
        return None if result is None else not result
    order = compare(left, right)
    if order is None:
        return None
    if operator == '<':
        return order < 0
    if operator == '<=':
        return order <= 0
    if operator == '>':
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
        first, second = compare_operator('>=', item, low(scope)), compare_operator('<=', item, high(scope))
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
    condition, then, otherwise = (compile_expression(n) for n in node[1:])
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
        if operator in ('<', '<='):
            return Range(None, False, value, operator == '<=')
        return Range(value, operator == '>=', None, False)
    return open_range


def _context(node):
    entries = [(key, compile_expression(value)) for key, value in node[1]]

    def context(scope):
        result = {}
        local = dict(scope)
        for key, value in entries:
            result[key] = local[key] = value(local)
        return result
    return context


PROPERTIES = {
    'year': lambda v: Decimal(v.year), 'month': lambda v: Decimal(v.month), 'day': lambda v: Decimal(v.day),
    'weekday': lambda v: Decimal(v.isoweekday()), 'hour': lambda v: Decimal(v.hour),
    'minute': lambda v: Decimal(v.minute), 'second': lambda v: Decimal(v.second),
}


def property_of(value, name):
    kind = type(value)
    if kind is dict:
        return value.get(name)
    if kind is list:
        return [property_of(item, name) for item in value]
    if kind in (datetime.date, datetime.datetime, datetime.time):
        getter = PROPERTIES.get(name)
        try:
            return getter(value) if getter else None
        except AttributeError:
            return None
    if kind is YearsMonthsDuration:
        sign = -1 if value.months < 0 else 1
        if name == 'years':
            return Decimal(sign * (abs(value.months) // 12))
        if name == 'months':
            return Decimal(sign * (abs(value.months) % 12))
        return None
    if kind is datetime.timedelta:
        total = int(value.total_seconds())
        sign = -1 if total < 0 else 1
        total = abs(total)
        parts = {'days': total // 86400, 'hours': total % 86400 // 3600, 'minutes': total % 3600 // 60,
                 'seconds': total % 60}
        return Decimal(sign * parts[name]) if name in parts else None
    if kind is Range:
        return {'start': value.start, 'end': value.end, 'start included': value.start_included,
                'end included': value.end_included}.get(name)
    return None


def _path(node):
    target, name = compile_expression(node[1]), node[2]
    return lambda scope: property_of(target(scope), name)


def _filter(node):
    target, condition_node = compile_expression(node[1]), node[2]
    condition = compile_expression(condition_node)
    is_index = condition_node[0] in ('number', 'negate')

    def filter_list(scope):
        items = target(scope)
        if items is None:
            return None
        if type(items) is not list:
            items = [items]
        if is_index:
            index = condition(scope)
            if type(index) is not Decimal or index == 0:
                return None
            position = int(index) - 1 if index > 0 else len(items) + int(index)
            return items[position] if 0 <= position < len(items) else None
        kept = []
        for item in items:
            local = dict(scope)
            if type(item) is dict:
                local.update(item)
            local['item'] = item
            verdict = condition(local)
            if verdict is True:
                kept.append(item)
            elif type(verdict) is Decimal and not kept and item is items[0]:
                position = int(verdict) - 1 if verdict > 0 else len(items) + int(verdict)
                return items[position] if 0 <= position < len(items) else None
        return kept
    return filter_list


def invoke(function, positional, named):
    if isinstance(function, Function):
        if function.name is not None and function.body is not None and function.name in BUILTIN_FUNCTIONS \
                and BUILTIN_FUNCTIONS[function.name] is function:
            return call_builtin(function, positional, named)
        return function.invoke(positional, named)
    if callable(function):
        return function(*positional)
    return None


def _call(node):
    _, callee_node, positional_nodes, named_nodes = node
    callee = compile_expression(callee_node)
    positional = [compile_expression(n) for n in positional_nodes]
    named = [(name, compile_expression(n)) for name, n in named_nodes] if named_nodes else None
    if named is None:
        def call(scope):
            return invoke(callee(scope), [argument(scope) for argument in positional], None)
    else:
        def call(scope):
            return invoke(callee(scope), [argument(scope) for argument in positional],
                          {name: argument(scope) for name, argument in named})
    return call


def _function(node):
    _, parameters, body_node = node
    body = compile_expression(body_node)

    def define(scope):
        def run(*arguments):
            local = dict(scope)
            local.update(zip(parameters, arguments))
            return body(local)
        return Function(list(parameters), run)
    return define


def _iterations(iterations):
    compiled = []
    for name, source in iterations:
        if source[0] == 'numbers':
            low, high = compile_expression(source[1]), compile_expression(source[2])

            def numbers(scope, low=low, high=high):
                first, last = low(scope), high(scope)
                if type(first) is not Decimal or type(last) is not Decimal:
                    return None
                step = 1 if last >= first else -1
                return [Decimal(i) for i in range(int(first), int(last) + step, step)]
            compiled.append((name, numbers))
        else:
            compiled.append((name, compile_expression(source)))
    return compiled


def _bindings(compiled, scope):
    if not compiled:
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
        yield from _bindings(compiled[1:], local)


def _for(node):
    compiled, body = _iterations(node[1]), compile_expression(node[2])
    return lambda scope: [body(local) for local in _bindings(compiled, scope)]


def _quantifier(node):
    compiled, condition = _iterations(node[1]), compile_expression(node[2])
    every = node[0] == 'every'

    def quantified(scope):
        verdicts = [condition(local) for local in _bindings(compiled, scope)]
        if every:
            return False if any(v is False for v in verdicts) else (True if all(v is True for v in verdicts) else None)
        return True if any(v is True for v in verdicts) else (False if all(v is False for v in verdicts) else None)
    return quantified


TYPE_KINDS = {'number': 'number', 'string': 'string', 'boolean': 'boolean', 'date': 'date',
              'date and time': 'date and time', 'time': 'time', 'days and time duration': 'days and time duration',
              'years and months duration': 'years and months duration', 'list': 'list', 'context': 'context',
              'function': 'function', 'range': 'range'}


def _instance_of(node):
    value, type_name = compile_expression(node[1]), node[2]
    expected = TYPE_KINDS.get(type_name.split(':')[-1])
    if type_name == 'Any':
        return lambda scope: value(scope) is not None
    return lambda scope: kind_of(value(scope)) == expected


def _in(node):
    value = compile_expression(node[1])
    tests = [compile_positive_test(test) for test in node[2]]

    def contained(scope):
        item = value(scope)
        return any_of(tests, item, scope)
    return contained


_COMPILERS = {
    'number': lambda node: _constant(node[1]), 'string': lambda node: _constant(node[1]),
    'boolean': lambda node: _constant(node[1]), 'null': lambda node: _constant(None),
    'name': _name, 'input': lambda node: (lambda scope: scope.get(INPUT_NAME)), 'temporal': _temporal,
    'negate': _negate, 'arithmetic': _arithmetic, 'compare': _compare, 'between': _between,
    'and': _conjunction, 'or': _disjunction, 'if': _if, 'list': _list, 'range': _range,
    'open range': _open_range, 'context': _context, 'path': _path, 'filter': _filter, 'call': _call,
    'function': _function, 'for': _for, 'some': _quantifier, 'every': _quantifier,
    'instance of': _instance_of, 'in': _in,
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


def compile_unary_tests(node):
    """('any',) | ('not', tests) | ('tests', tests) -> test(value, scope) -> True/False/None."""
    if node[0] == 'any':
        return lambda value, scope: True
    tests = [compile_positive_test(test) for test in node[1]]
    if node[0] == 'not':
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
    if kind in ('number', 'string', 'boolean'):
        return node[1]
    if kind == 'null':
        return None
    if kind == 'temporal':
        return _temporal(node)(None)
    if kind == 'call' and node[1][0] == 'name' and node[1][1] in ('date', 'date and time', 'time', 'duration') \
            and not node[3] and len(node[2]) == 1 and node[2][0][0] == 'string':
        return compile_expression(node)({})
    return NOT_LITERAL


NOT_LITERAL = object()


def _comparison_test(operator, constant):
    """Fast test against a literal: a value of another type gives None, never a match."""
    constant_type = type(constant)
    if operator == '<':
        return lambda value, scope: (value < constant) if type(value) is constant_type else None
    if operator == '<=':
        return lambda value, scope: (value <= constant) if type(value) is constant_type else None
    if operator == '>':
        return lambda value, scope: (value > constant) if type(value) is constant_type else None
    if operator == '>=':
        return lambda value, scope: (value >= constant) if type(value) is constant_type else None
    if operator == '=':
        if constant is None:
            return lambda value, scope: value is None
        return lambda value, scope: (value == constant) if type(value) is constant_type else \
            (False if value is None else None)
    if operator == '!=':
        if constant is None:
            return lambda value, scope: value is not None
        return lambda value, scope: (value != constant) if type(value) is constant_type else \
            (True if value is None else None)
    raise FeelSyntaxError('unknown comparison %r' % operator)


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
    if kind == 'compare input':
        _, operator, endpoint_node = test
        constant = literal_value(endpoint_node)
        if constant is not NOT_LITERAL and kind_of(constant) in ('number', 'string', 'date', 'boolean', 'null',
                                                                 'date and time', 'time', 'days and time duration'):
            if constant is not None or operator in ('=', '!='):
                return _comparison_test(operator, constant)
        endpoint = compile_expression(endpoint_node)
        return lambda value, scope: compare_operator(operator, value, endpoint(scope))
    expression_node = test[1]
    expression_kind = expression_node[0]
    if expression_kind == 'range':
        _, low_included, low_node, high_node, high_included = expression_node
        low, high = literal_value(low_node), literal_value(high_node)
        if low is not NOT_LITERAL and high is not NOT_LITERAL:
            fast = _range_test(low, low_included, high, high_included)
            if fast:
                return fast
        compiled_range = compile_expression(expression_node)
        return lambda value, scope: compiled_range(scope).contains(value)
    if expression_kind == 'open range':
        return compile_positive_test(('compare input', expression_node[1], expression_node[2]))
    constant = literal_value(expression_node)
    if constant is not NOT_LITERAL and type(constant) is not bool:
        return _comparison_test('=', constant)
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
        if type(expected) is list and type(value) is not list:
            return any_of([lambda v, s, e=e: equal(v, e) for e in expected], value, scope)
        if type(expected) is bool and type(value) is not bool and value is not None:
            return expected  # a boolean expression of other inputs
        return equal(value, expected)
    return expression_test


__all__ = ['compile_expression', 'compile_unary_tests', 'to_text', 'uses_input', 'TEMPORAL_TYPES']
