"""FEEL built-in functions used by credit models; every one returns null on bad arguments."""
import datetime
import decimal
import math
import re

from .values import (
    FEEL_CONTEXT,
    Decimal,
    Function,
    Range,
    YearsMonthsDuration,
    compare,
    duration_text,
    equal,
    kind_of,
    parse_duration,
)


def _numbers(values):
    return all(type(v) is Decimal for v in values)


def _items(arguments):
    """FEEL list functions take a list or the items as separate arguments."""
    if len(arguments) == 1 and type(arguments[0]) is list:
        return arguments[0]
    return list(arguments)


def feel_min(*arguments):
    items = _items(arguments)
    if not items or any(v is None for v in items):
        return None
    best = items[0]
    for item in items[1:]:
        order = compare(item, best)
        if order is None:
            return None
        if order < 0:
            best = item
    return best


def feel_max(*arguments):
    items = _items(arguments)
    if not items or any(v is None for v in items):
        return None
    best = items[0]
    for item in items[1:]:
        order = compare(item, best)
        if order is None:
            return None
        if order > 0:
            best = item
    return best


def feel_sum(*arguments):
    items = _items(arguments)
    if not items or not _numbers(items):
        return None
    total = Decimal(0)
    for item in items:
        total = FEEL_CONTEXT.add(total, item)
    return total


def feel_mean(*arguments):
    items = _items(arguments)
    total = feel_sum(*arguments)
    return None if total is None else FEEL_CONTEXT.divide(total, Decimal(len(items)))


def feel_count(*arguments):
    return Decimal(len(_items(arguments)))


def feel_product(*arguments):
    items = _items(arguments)
    if not items or not _numbers(items):
        return None
    total = Decimal(1)
    for item in items:
        total = FEEL_CONTEXT.multiply(total, item)
    return total


def feel_abs(number):
    if type(number) is Decimal:
        return abs(number)
    if type(number) is datetime.timedelta:
        return abs(number)
    if type(number) is YearsMonthsDuration:
        return YearsMonthsDuration(abs(number.months))
    return None


def _round(number, scale, rounding):
    if type(number) is not Decimal or type(scale) is not Decimal or scale != scale.to_integral_value():
        return None
    try:
        return number.quantize(Decimal(1).scaleb(-int(scale)), rounding=rounding, context=FEEL_CONTEXT)
    except decimal.InvalidOperation:
        return None


def feel_floor(number, scale=Decimal(0)):
    return _round(number, scale, decimal.ROUND_FLOOR)


def feel_ceiling(number, scale=Decimal(0)):
    return _round(number, scale, decimal.ROUND_CEILING)


def feel_decimal(number, scale):
    return _round(number, scale, decimal.ROUND_HALF_EVEN)


def feel_round_half_up(number, scale=Decimal(0)):
    return _round(number, scale, decimal.ROUND_HALF_UP)


def feel_round_half_down(number, scale=Decimal(0)):
    return _round(number, scale, decimal.ROUND_HALF_DOWN)


def feel_round_up(number, scale=Decimal(0)):
    return _round(number, scale, decimal.ROUND_UP)


def feel_round_down(number, scale=Decimal(0)):
    return _round(number, scale, decimal.ROUND_DOWN)


def feel_modulo(dividend, divisor):
    if not _numbers([dividend, divisor]) or divisor == 0:
        return None
    return FEEL_CONTEXT.subtract(dividend, FEEL_CONTEXT.multiply(divisor, (dividend / divisor).to_integral_value(
        rounding=decimal.ROUND_FLOOR)))


def feel_sqrt(number):
    if type(number) is not Decimal or number < 0:
        return None
    return number.sqrt(FEEL_CONTEXT)


def feel_exp(number):
    return number.exp(FEEL_CONTEXT) if type(number) is Decimal else None


def feel_log(number):
    return number.ln(FEEL_CONTEXT) if type(number) is Decimal and number > 0 else None


def feel_odd(number):
    return bool(number % 2) if type(number) is Decimal and number == number.to_integral_value() else None


def feel_even(number):
    return not number % 2 if type(number) is Decimal and number == number.to_integral_value() else None


def feel_substring(string, start, length=None):
    if type(string) is not str or type(start) is not Decimal or (length is not None and type(length) is not Decimal):
        return None
    start = int(start)
    if start == 0:
        return None
    characters = list(string)  # FEEL counts code points
    index = start - 1 if start > 0 else len(characters) + start
    index = max(index, 0)
    end = len(characters) if length is None else index + int(length)
    return ''.join(characters[index:end])


def feel_string_length(string):
    return Decimal(len(string)) if type(string) is str else None


def feel_upper_case(string):
    return string.upper() if type(string) is str else None


def feel_lower_case(string):
    return string.lower() if type(string) is str else None


def feel_contains(string, match):
    return match in string if type(string) is str and type(match) is str else None


def feel_starts_with(string, match):
    return string.startswith(match) if type(string) is str and type(match) is str else None


def feel_ends_with(string, match):
    return string.endswith(match) if type(string) is str and type(match) is str else None


def feel_substring_before(string, match):
    if type(string) is not str or type(match) is not str:
        return None
    return string.split(match, 1)[0] if match in string else ''


def feel_substring_after(string, match):
    if type(string) is not str or type(match) is not str:
        return None
    return string.split(match, 1)[1] if match in string else ''


def feel_matches(string, pattern, flags=''):
    if type(string) is not str or type(pattern) is not str:
        return None
    try:
        return re.search(pattern, string) is not None
    except re.error:
        return None


def feel_replace(string, pattern, replacement, flags=''):
    if type(string) is not str or type(pattern) is not str or type(replacement) is not str:
        return None
    try:
        return re.sub(pattern, re.sub(r'\$(\d)', r'\\\1', replacement), string)
    except re.error:
        return None


def feel_string(value):
    if value is None:
        return None
    return to_text(value)


def to_text(value):
    kind = type(value)
    if kind is str:
        return value
    if kind is bool:
        return 'true' if value else 'false'
    if kind is Decimal:
        text = format(value.normalize(FEEL_CONTEXT), 'f') if value != 0 else '0'
        return text
    if kind is datetime.timedelta:
        return duration_text(value)
    if kind in (datetime.date, datetime.datetime, datetime.time):
        return value.isoformat()
    if kind is YearsMonthsDuration:
        return str(value)
    if kind is list:
        return '[' + ', '.join('null' if v is None else to_text(v) for v in value) + ']'
    if kind is dict:
        return '{' + ', '.join('%s: %s' % (k, 'null' if v is None else to_text(v)) for k, v in value.items()) + '}'
    return str(value)


def feel_number(text, grouping=None, decimal_separator=None):
    if type(text) is not str:
        return None
    if grouping:
        text = text.replace(grouping, '')
    if decimal_separator:
        text = text.replace(decimal_separator, '.')
    try:
        return Decimal(text)
    except decimal.InvalidOperation:
        return None


def feel_not(value):
    return (not value) if type(value) is bool else None


DATE_PATTERN = re.compile(r'^-?\d{4,9}-\d{2}-\d{2}$')


def feel_date(*arguments):
    if len(arguments) == 1:
        value = arguments[0]
        if type(value) is str:
            if not DATE_PATTERN.match(value):
                return None
            try:
                return datetime.date.fromisoformat(value)
            except ValueError:
                return None
        if type(value) is datetime.datetime:
            return value.date()
        if type(value) is datetime.date:
            return value
        return None
    if len(arguments) == 3 and _numbers(arguments):
        try:
            return datetime.date(int(arguments[0]), int(arguments[1]), int(arguments[2]))
        except ValueError:
            return None
    return None


def feel_date_and_time(*arguments):
    if len(arguments) == 1 and type(arguments[0]) is str:
        text = arguments[0]
        if 'T' not in text:
            date = feel_date(text)
            return datetime.datetime(date.year, date.month, date.day) if date else None
        try:
            return datetime.datetime.fromisoformat(text.replace('Z', '+00:00'))
        except ValueError:
            return None
    if len(arguments) == 2 and type(arguments[0]) in (datetime.date, datetime.datetime) \
            and type(arguments[1]) is datetime.time:
        date, time = arguments
        return datetime.datetime.combine(date if type(date) is datetime.date else date.date(), time)
    return None


def feel_time(*arguments):
    if len(arguments) == 1:
        value = arguments[0]
        if type(value) is str:
            try:
                return datetime.time.fromisoformat(value.replace('Z', '+00:00'))
            except ValueError:
                return None
        if type(value) is datetime.datetime:
            return value.timetz()
        if type(value) is datetime.time:
            return value
        return None
    if len(arguments) in (3, 4) and _numbers(arguments[:3]):
        try:
            seconds = arguments[2]
            return datetime.time(int(arguments[0]), int(arguments[1]), int(seconds),
                                 int((seconds - int(seconds)) * 1000000))
        except ValueError:
            return None
    return None


def feel_duration(text):
    return parse_duration(text) if type(text) is str else None


def feel_years_and_months_duration(start, end):
    if type(start) not in (datetime.date, datetime.datetime) or type(end) not in (datetime.date, datetime.datetime):
        return None
    months = (end.year - start.year) * 12 + end.month - start.month
    if months > 0 and (end.day, _time_of(end)) < (start.day, _time_of(start)):
        months -= 1
    elif months < 0 and (end.day, _time_of(end)) > (start.day, _time_of(start)):
        months += 1
    return YearsMonthsDuration(months)


def _time_of(value):
    return value.time() if type(value) is datetime.datetime else datetime.time()


def feel_list_contains(items, element):
    if type(items) is not list:
        return None
    return any(equal(item, element) is True for item in items)


def feel_append(items, *elements):
    return items + list(elements) if type(items) is list else None


def feel_concatenate(*lists):
    if not all(type(item) is list for item in lists):
        return None
    return [item for items in lists for item in items]


def feel_reverse(items):
    return items[::-1] if type(items) is list else None


def feel_flatten(items):
    if type(items) is not list:
        return None
    flat = []
    for item in items:
        flat.extend(feel_flatten(item) if type(item) is list else [item])
    return flat


def feel_distinct_values(items):
    if type(items) is not list:
        return None
    result = []
    for item in items:
        if not any(equal(item, seen) is True for seen in result):
            result.append(item)
    return result


def feel_index_of(items, match):
    if type(items) is not list:
        return None
    return [Decimal(i + 1) for i, item in enumerate(items) if equal(item, match) is True]


def feel_sublist(items, start, length=None):
    if type(items) is not list or type(start) is not Decimal:
        return None
    start = int(start)
    index = start - 1 if start > 0 else len(items) + start
    return items[index:] if length is None else items[index:index + int(length)]


def feel_all(*arguments):
    items = _items(arguments)
    if any(item is False for item in items):
        return False
    if all(item is True for item in items):
        return True
    return None


def feel_any(*arguments):
    items = _items(arguments)
    if any(item is True for item in items):
        return True
    if all(item is False for item in items):
        return False
    return None


def feel_sort(items, precedes=None):
    if type(items) is not list:
        return None
    import functools
    if precedes is None:
        return sorted(items, key=functools.cmp_to_key(lambda a, b: compare(a, b) or 0))
    return sorted(items, key=functools.cmp_to_key(
        lambda a, b: -1 if precedes.invoke([a, b], None) is True else 1))


def feel_get_value(context, key):
    return context.get(key) if type(context) is dict else None


def feel_get_entries(context):
    return [{'key': k, 'value': v} for k, v in context.items()] if type(context) is dict else None


def feel_is_defined(value):
    return value is not None


def feel_day_of_week(date):
    if type(date) not in (datetime.date, datetime.datetime):
        return None
    return ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'][date.weekday()]


def feel_split(string, delimiter):
    if type(string) is not str or type(delimiter) is not str:
        return None
    return re.split(delimiter, string)


def feel_string_join(items, delimiter=''):
    if type(items) is not list or not all(type(i) is str or i is None for i in items):
        return None
    return (delimiter or '').join(i for i in items if i is not None)


BUILTINS = {
    'min': (None, feel_min), 'max': (None, feel_max), 'sum': (None, feel_sum), 'mean': (None, feel_mean),
    'count': (['list'], feel_count), 'product': (None, feel_product), 'abs': (['n'], feel_abs),
    'floor': (['n', 'scale'], feel_floor), 'ceiling': (['n', 'scale'], feel_ceiling),
    'decimal': (['n', 'scale'], feel_decimal), 'round half up': (['n', 'scale'], feel_round_half_up),
    'round half down': (['n', 'scale'], feel_round_half_down), 'round up': (['n', 'scale'], feel_round_up),
    'round down': (['n', 'scale'], feel_round_down), 'modulo': (['dividend', 'divisor'], feel_modulo),
    'sqrt': (['number'], feel_sqrt), 'exp': (['number'], feel_exp), 'log': (['number'], feel_log),
    'odd': (['number'], feel_odd), 'even': (['number'], feel_even),
    'substring': (['string', 'start position', 'length'], feel_substring),
    'string length': (['string'], feel_string_length), 'upper case': (['string'], feel_upper_case),
    'lower case': (['string'], feel_lower_case), 'contains': (['string', 'match'], feel_contains),
    'starts with': (['string', 'match'], feel_starts_with), 'ends with': (['string', 'match'], feel_ends_with),
    'substring before': (['string', 'match'], feel_substring_before),
    'substring after': (['string', 'match'], feel_substring_after),
    'matches': (['input', 'pattern', 'flags'], feel_matches),
    'replace': (['input', 'pattern', 'replacement', 'flags'], feel_replace),
    'string': (['from'], feel_string), 'number': (['from', 'grouping separator', 'decimal separator'], feel_number),
    'not': (['negand'], feel_not), 'date': (None, feel_date), 'date and time': (None, feel_date_and_time),
    'time': (None, feel_time), 'duration': (['from'], feel_duration),
    'years and months duration': (['from', 'to'], feel_years_and_months_duration),
    'list contains': (['list', 'element'], feel_list_contains), 'append': (None, feel_append),
    'concatenate': (None, feel_concatenate), 'reverse': (['list'], feel_reverse),
    'flatten': (['list'], feel_flatten), 'distinct values': (['list'], feel_distinct_values),
    'index of': (['list', 'match'], feel_index_of), 'sublist': (['list', 'start position', 'length'], feel_sublist),
    'all': (None, feel_all), 'any': (None, feel_any), 'sort': (['list', 'precedes'], feel_sort),
    'get value': (['m', 'key'], feel_get_value), 'get entries': (['m'], feel_get_entries),
    'is defined': (['value'], feel_is_defined), 'day of week': (['date'], feel_day_of_week),
    'split': (['string', 'delimiter'], feel_split), 'string join': (['list', 'delimiter'], feel_string_join),
}

BUILTIN_FUNCTIONS = {name: Function(parameters, body, name) for name, (parameters, body) in BUILTINS.items()}
MULTI_WORD_BUILTINS = [name for name in BUILTINS if ' ' in name]


def call_builtin(function, positional, named):
    """Invoke a built-in; wrong arity gives null, as FEEL asks."""
    try:
        if named is not None:
            if function.parameters is None:
                return None
            if any(n not in function.parameters for n in named):
                return None
            positional = [named[p] for p in function.parameters if p in named]
        return function.body(*positional)
    except (TypeError, ValueError, ArithmeticError, OverflowError):
        return None


__all__ = ['BUILTIN_FUNCTIONS', 'MULTI_WORD_BUILTINS', 'call_builtin', 'to_text', 'Range', 'kind_of', 'math']
