"""FEEL built-in functions (DMN 1.5, 10.3.4); every one returns null on bad arguments."""

import datetime
import decimal
import functools
import math
import re

from . import limits
from .errors import FeelEvaluationError
from .temporal import parse_date, parse_date_and_time, parse_time, temporal_text
from .values import (
    FEEL_CONTEXT,
    Decimal,
    FarDate,
    FarDateTime,
    Function,
    NanoDateTime,
    NanoDuration,
    NanoTime,
    Range,
    YearsMonthsDuration,
    compare,
    duration_text,
    equal,
    kind_of,
    make_date,
    parse_duration,
    plain,
)

DATES = (datetime.date, datetime.datetime, FarDate, FarDateTime, NanoDateTime)


def _numbers(values):
    return all(type(v) is Decimal for v in values)


def _items(arguments):
    """FEEL list functions take a list or the items as separate arguments."""
    if len(arguments) == 1 and type(arguments[0]) is list:
        return arguments[0]
    return list(arguments)


def _extreme(arguments, sign):
    items = _items(arguments)
    if not items or any(v is None for v in items):
        return None
    best = items[0]
    for item in items[1:]:
        order = compare(item, best)
        if order is None:
            return None
        if order * sign > 0:
            best = item
    if len(items) == 1 and kind_of(best) not in (
        "number",
        "string",
        "date",
        "date and time",
        "time",
        "days and time duration",
        "years and months duration",
    ):
        return None
    return best


def feel_min(*arguments):
    return _extreme(arguments, -1)


def feel_max(*arguments):
    return _extreme(arguments, 1)


def feel_sum(*arguments):
    items = _items(arguments)
    if not _numbers(items):
        return None
    if not items:
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
    items = _items(arguments) if len(arguments) != 1 or type(arguments[0]) is list else None
    return None if items is None else Decimal(len(items))


def feel_product(*arguments):
    items = _items(arguments)
    if not items or not _numbers(items):
        return None
    total = Decimal(1)
    for item in items:
        total = FEEL_CONTEXT.multiply(total, item)
    return total


def feel_median(*arguments):
    items = _items(arguments)
    if not items or not _numbers(items):
        return None
    ordered = sorted(items)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return FEEL_CONTEXT.divide(FEEL_CONTEXT.add(ordered[middle - 1], ordered[middle]), Decimal(2))


def feel_stddev(*arguments):
    items = _items(arguments)
    if len(items) < 2 or not _numbers(items):
        return None
    mean = FEEL_CONTEXT.divide(sum(items, Decimal(0)), Decimal(len(items)))
    squares = sum(((item - mean) ** 2 for item in items), Decimal(0))
    return FEEL_CONTEXT.divide(squares, Decimal(len(items) - 1)).sqrt(FEEL_CONTEXT)


def feel_mode(*arguments):
    items = _items(arguments)
    if not _numbers(items):
        return None
    counts = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    if not counts:
        return []
    most = max(counts.values())
    return sorted(item for item, count in counts.items() if count == most)


def feel_abs(number):
    number = plain(number)
    if type(number) in (Decimal, datetime.timedelta):
        return abs(number)
    if type(number) is YearsMonthsDuration:
        return YearsMonthsDuration(abs(number.months))
    return None


def _round(number, scale, rounding):
    if type(number) is not Decimal or type(scale) is not Decimal:
        return None
    scale = scale.to_integral_value(decimal.ROUND_DOWN)
    if not -6111 <= scale <= 6176:
        return None
    if number.is_finite() and -number.as_tuple().exponent <= scale:
        return number  # already no more decimals than the scale asks
    try:
        result = number.quantize(Decimal(1).scaleb(-int(scale)), rounding=rounding, context=FEEL_CONTEXT)
    except decimal.InvalidOperation:
        return None
    return result if result else Decimal(0)


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
    quotient = FEEL_CONTEXT.divide(dividend, divisor).to_integral_value(rounding=decimal.ROUND_FLOOR)
    return FEEL_CONTEXT.subtract(dividend, FEEL_CONTEXT.multiply(divisor, quotient))


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


# ---------------------------------------------------------------- strings
def _integer(value):
    return type(value) is Decimal and value == value.to_integral_value()


def feel_substring(string, start, length=None):
    if type(string) is not str or type(start) is not Decimal or (length is not None and type(length) is not Decimal):
        return None
    characters = list(string)  # FEEL counts code points
    start = int(start.to_integral_value(rounding=decimal.ROUND_HALF_EVEN))
    if start == 0 or abs(start) > len(characters) and start < 0:
        return None if start == 0 else "".join(characters[: int(length)] if length is not None else characters)
    index = start - 1 if start > 0 else len(characters) + start
    if length is not None:
        length = int(length)
        if length < 0:
            return None
    end = len(characters) if length is None else index + length
    return "".join(characters[index:end])


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
    return string.split(match, 1)[0] if match and match in string else ""


def feel_substring_after(string, match):
    if type(string) is not str or type(match) is not str:
        return None
    if not match:
        return string
    return string.split(match, 1)[1] if match in string else ""


CLASS_SUBTRACTION = re.compile(r"\[([^\[\]]*)-\[([^\[\]]*)\]\]")


def _without_free_spacing(pattern):
    """The `x` flag: white space outside character classes is dropped."""
    kept, in_class, escaped = [], False, False
    for character in pattern:
        if character.isspace() and not in_class:
            continue  # dropped even after a backslash: `\ s` is `\s`
        if escaped:
            escaped = False
        elif character == "\\":
            escaped = True
        elif character == "[":
            in_class = True
        elif character == "]":
            in_class = False
        kept.append(character)
    return "".join(kept)


UNICODE_BLOCKS = {
    "IsBasicLatin": "\x00-\x7f",
    "IsLatin-1Supplement": "\x80-\xff",
    "IsLatinExtended-A": "\u0100-\u017f",
    "IsLatinExtended-B": "\u0180-\u024f",
    "IsGreek": "\u0370-\u03ff",
    "IsGreekandCoptic": "\u0370-\u03ff",
    "IsCyrillic": "\u0400-\u04ff",
    "IsHebrew": "\u0590-\u05ff",
    "IsArabic": "\u0600-\u06ff",
}
CATEGORIES = {"L": "[^\\W\\d_]", "Nd": "\\d", "N": "\\d"}


def _python_pattern(pattern, dot_all):
    """XML Schema regex -> Python: '.' excludes CR and LF, \\p{Block} and a few \\p{Category};
    None for what XML Schema refuses (a back-reference inside a character class)."""
    out, index, in_class = [], 0, False
    while index < len(pattern):
        character = pattern[index]
        if character == "\\" and index + 1 < len(pattern):
            following = pattern[index + 1]
            if in_class and following.isdigit():
                return None
            if following in "pP" and pattern[index + 2 : index + 3] == "{":
                end = pattern.find("}", index)
                if end < 0:
                    return None
                name = pattern[index + 3 : end]
                if name in UNICODE_BLOCKS:
                    ranges = UNICODE_BLOCKS[name]
                    out.append(
                        ranges
                        if in_class and following == "p"
                        else "[%s%s]" % ("^" if following == "P" else "", ranges)
                    )
                elif name in CATEGORIES and not in_class and following == "p":
                    out.append(CATEGORIES[name])
                else:
                    return None
                index = end + 1
                continue
            out.append(pattern[index : index + 2])
            index += 2
            continue
        if character == "[" and not in_class:
            in_class = True
        elif character == "]" and in_class:
            in_class = False
        elif character == "." and not in_class and not dot_all:
            character = "[^\\n\\r]"
        out.append(character)
        index += 1
    return "".join(out)


def _pattern(pattern, flags):
    """An XML Schema regular expression (with XPath flags s m i x q) as a compiled Python pattern."""
    if type(pattern) is not str or (flags is not None and type(flags) is not str):
        return None
    flags = flags or ""
    if any(f not in "smixq" for f in flags):
        return None
    options = 0
    if "q" in flags:
        pattern = re.escape(pattern)
    else:
        if "x" in flags:
            pattern = _without_free_spacing(pattern)
        pattern = CLASS_SUBTRACTION.sub(lambda m: "(?![%s])[%s]" % (m.group(2), m.group(1)), pattern)
        pattern = _python_pattern(pattern, "s" in flags)
        if pattern is None:
            return None
    if "s" in flags:
        options |= re.DOTALL
    if "m" in flags:
        options |= re.MULTILINE
    if "i" in flags:
        options |= re.IGNORECASE
    try:
        return re.compile(pattern, options)
    except (re.error, OverflowError, RecursionError):
        return None


def feel_matches(string, pattern, flags=None):
    if type(string) is not str:
        return None
    compiled = _pattern(pattern, flags)
    return None if compiled is None else compiled.search(string) is not None


def feel_replace(string, pattern, replacement, flags=None):
    if type(string) is not str or type(replacement) is not str:
        return None
    compiled = _pattern(pattern, flags)
    if compiled is None:
        return None
    if flags and "q" in flags:
        replacement = replacement.replace("\\", "\\\\")
    else:
        replacement = re.sub(r"\$(\d+)", r"\\g<\1>", replacement.replace("\\$", "\x00")).replace("\x00", "$")
    try:
        result = compiled.sub(replacement, string)
    except (re.error, IndexError):
        return None
    limits.check_string(result)
    return result


def feel_split(string, delimiter, flags=None):
    if type(string) is not str:
        return None
    compiled = _pattern(delimiter, flags)
    if compiled is None or compiled.pattern == "":
        return None
    return compiled.split(string)


def feel_string_join(items, delimiter=None):
    if type(items) is str:
        items = [items]
    if type(items) is not list or not all(type(i) is str or i is None for i in items):
        return None
    if delimiter is not None and type(delimiter) is not str:
        return None
    return limits.check_string((delimiter or "").join(i for i in items if i is not None))


def feel_string(value):
    if value is None:
        return None
    return to_text(value)


def number_text(value):
    if value == 0:
        return "0"
    return format(value.normalize(FEEL_CONTEXT), "f")


def to_text(value, quoted=False):
    kind = type(value)
    if kind is str:
        return '"%s"' % value if quoted else value
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    if kind is Decimal:
        return number_text(value)
    if kind is datetime.timedelta or kind is NanoDuration:
        return duration_text(value)
    if kind in (datetime.date, datetime.datetime, datetime.time, FarDate, FarDateTime, NanoDateTime, NanoTime):
        return temporal_text(value)
    if kind is YearsMonthsDuration:
        return str(value)
    if kind is list:
        return "[" + ", ".join(to_text(v, True) for v in value) + "]"
    if kind is dict:
        return "{" + ", ".join("%s: %s" % (k, to_text(v, True)) for k, v in value.items()) + "}"
    if kind is Range:
        return "%s%s..%s%s" % (
            "[" if value.start_included else "(",
            to_text(value.start, True),
            to_text(value.end, True),
            "]" if value.end_included else ")",
        )
    return str(value)


def feel_number(text, grouping=None, decimal_separator=None):
    if type(text) is not str:
        return None
    if grouping is not None and grouping not in (" ", ",", "."):
        return None
    if decimal_separator is not None and decimal_separator not in (".", ","):
        return None
    if grouping is not None and grouping == decimal_separator:
        return None
    if grouping:
        text = text.replace(grouping, "")
    if decimal_separator:
        text = text.replace(decimal_separator, ".")
    if not re.match(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$", text):
        return None
    return Decimal(text)


def feel_not(value):
    return (not value) if type(value) is bool else None


# ---------------------------------------------------------------- dates and times
def feel_date(*arguments):
    if len(arguments) == 1:
        value = arguments[0]
        if type(value) is str:
            return parse_date(value)
        if type(value) in (datetime.datetime, FarDateTime, NanoDateTime):
            return value.date()
        if type(value) in (datetime.date, FarDate):
            return value
        return None
    if len(arguments) == 3 and all(_integer(a) for a in arguments):
        return make_date(int(arguments[0]), int(arguments[1]), int(arguments[2]))
    return None


def feel_date_and_time(*arguments):
    if len(arguments) == 1:
        if type(arguments[0]) is str:
            return parse_date_and_time(arguments[0])
        return None
    if len(arguments) == 2:
        date, time = arguments
        if type(date) in DATES and type(time) in (datetime.time, NanoTime):
            return make_date(
                date.year,
                date.month,
                date.day,
                time.hour,
                time.minute,
                time.second,
                time.microsecond,
                tzinfo=time.tzinfo,
                nanoseconds=getattr(time, "nanoseconds", 0),
            )
        if type(date) is datetime.datetime and type(time) is str:
            from .temporal import zone

            tz = zone(time)
            return date.replace(tzinfo=tz) if tz else None
    return None


def feel_time(*arguments):
    if len(arguments) == 1:
        value = arguments[0]
        if type(value) is str:
            return parse_time(value)
        if type(value) in (datetime.datetime, FarDateTime, NanoDateTime):
            return value.timetz()
        if type(value) in (datetime.date, FarDate):
            return datetime.time(0, 0, 0, tzinfo=datetime.timezone.utc)
        if type(value) in (datetime.time, NanoTime):
            return value
        return None
    if len(arguments) in (3, 4) and _numbers(arguments[:3]):
        hour, minute, seconds = arguments[:3]
        if not _integer(hour) or not _integer(minute):
            return None
        offset = arguments[3] if len(arguments) == 4 else None
        if offset is not None and type(offset) is not datetime.timedelta:
            return None
        try:
            tzinfo = datetime.timezone(offset) if offset is not None else None
            return datetime.time(int(hour), int(minute), int(seconds), int(seconds % 1 * 1000000), tzinfo=tzinfo)
        except ValueError:
            return None
    return None


def feel_duration(text):
    return parse_duration(text) if type(text) is str else None


def feel_years_and_months_duration(start, end):
    if type(start) not in DATES or type(end) not in DATES:
        return None
    months = (end.year - start.year) * 12 + end.month - start.month
    if months > 0 and end.day < start.day:
        months -= 1
    elif months < 0 and end.day > start.day:
        months += 1
    return YearsMonthsDuration(months)


def feel_day_of_week(date):
    if type(date) not in DATES:
        return None
    return ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"][date.weekday()]


def feel_day_of_year(date):
    return Decimal(date.timetuple().tm_yday) if type(date) in DATES else None


def feel_week_of_year(date):
    return Decimal(date.isocalendar()[1]) if type(date) in DATES else None


def feel_month_of_year(date):
    if type(date) not in DATES:
        return None
    return [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ][date.month - 1]


def feel_now():
    return datetime.datetime.now(datetime.timezone.utc)


def feel_today():
    return datetime.date.today()


def feel_is(first, second):
    if first is None or second is None:
        return first is None and second is None
    if kind_of(first) != kind_of(second):
        return False
    if type(first) in (datetime.datetime, datetime.time):
        return first.replace(tzinfo=None) == second.replace(tzinfo=None) and temporal_text(first) == temporal_text(
            second
        )
    return equal(first, second) is True


# ---------------------------------------------------------------- lists
def feel_list_contains(items, element):
    if type(items) is not list:
        return None
    return any(equal(item, element) is True for item in items)


def feel_append(items, *elements):
    if type(items) is not list:
        return None
    return limits.check_list(items + list(elements))


def feel_concatenate(*lists):
    if not all(type(item) is list for item in lists):
        return None
    return limits.check_list([item for items in lists for item in items])


def feel_insert_before(items, position, new_item):
    if type(items) is not list or not _integer(position):
        return None
    index = _position(items, position)
    if index is None:
        return None
    return items[:index] + [new_item] + items[index:]


def _position(items, position):
    position = int(position)
    if position == 0 or abs(position) > len(items):
        return None
    return position - 1 if position > 0 else len(items) + position


def feel_remove(items, position):
    if type(items) is not list or not _integer(position):
        return None
    index = _position(items, position)
    return None if index is None else items[:index] + items[index + 1 :]


def feel_list_replace(items, position, new_item):
    if items is None:
        return None
    if type(items) is not list:
        items = [items]
    if isinstance(position, Function):
        result = []
        for item in items:
            verdict = position.invoke([item, new_item], None)
            if type(verdict) is not bool:
                return None
            result.append(new_item if verdict else item)
        return result
    if type(position) is not Decimal:
        return None
    index = _position(items, int(position))
    return None if index is None else items[:index] + [new_item] + items[index + 1 :]


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


def feel_union(*lists):
    if not all(type(item) is list for item in lists):
        return None
    return feel_distinct_values([item for items in lists for item in items])


def feel_index_of(items, match):
    if type(items) is not list:
        return None
    return [Decimal(i + 1) for i, item in enumerate(items) if equal(item, match) is True]


def feel_sublist(items, start, length=None):
    if type(items) is not list or not _integer(start) or (length is not None and not _integer(length)):
        return None
    index = _position(items, start)
    if index is None:
        return None
    if length is None:
        return items[index:]
    if length < 0 or index + int(length) > len(items):
        return None
    return items[index : index + int(length)]


def feel_all(*arguments):
    items = _items(arguments)
    if len(arguments) == 1 and type(arguments[0]) is not list and type(arguments[0]) is not bool:
        return None
    if any(item is False for item in items):
        return False
    if all(item is True for item in items):
        return True
    return None


def feel_any(*arguments):
    items = _items(arguments)
    if len(arguments) == 1 and type(arguments[0]) is not list and type(arguments[0]) is not bool:
        return None
    if any(item is True for item in items):
        return True
    if all(item is False for item in items):
        return False
    return None


class _Unordered(Exception):
    pass


def feel_sort(items, precedes=None):
    if type(items) is not list:
        return None
    if precedes is None:

        def order(a, b):
            result = compare(a, b)
            if result is None:
                raise _Unordered()
            return result
    elif isinstance(precedes, Function):

        def order(a, b):
            verdict = precedes.invoke([a, b], None)
            if type(verdict) is not bool:
                raise _Unordered()
            return -1 if verdict else 1
    else:
        return None
    try:
        return sorted(items, key=functools.cmp_to_key(order))
    except _Unordered:
        return None


# ---------------------------------------------------------------- contexts
def feel_get_value(context, key):
    if type(context) is not dict or type(key) is not str:
        return None
    return context.get(key)


def feel_get_entries(context):
    return [{"key": k, "value": v} for k, v in context.items()] if type(context) is dict else None


def feel_context(entries):
    if type(entries) is dict:
        entries = [entries]
    if type(entries) is not list:
        return None
    result = {}
    for entry in entries:
        if type(entry) is not dict or "key" not in entry or "value" not in entry or type(entry["key"]) is not str:
            return None
        if entry["key"] in result:
            return None
        result[entry["key"]] = entry["value"]
    return result


def feel_context_put(context, key, value):
    if type(context) is not dict:
        return None
    if type(key) is list:
        if not key or not all(type(k) is str for k in key):
            return None
        if len(key) == 1:
            return feel_context_put(context, key[0], value)
        inner = context.get(key[0])
        if type(inner) is not dict:
            return None
        nested = feel_context_put(inner, key[1:], value)
        return None if nested is None else feel_context_put(context, key[0], nested)
    if type(key) is not str:
        return None
    result = dict(context)
    result[key] = value
    return result


def feel_context_merge(contexts):
    if type(contexts) is dict:
        contexts = [contexts]
    if type(contexts) is not list or not all(type(c) is dict for c in contexts):
        return None
    result = {}
    for context in contexts:
        result.update(context)
    return result


def feel_is_defined(value):
    return value is not None


# ---------------------------------------------------------------- ranges (Allen's interval relations)
def _as_range(value):
    if type(value) is Range:
        return value
    if value is None:
        return None
    return Range(value, True, value, True)


def _cmp(a, b, a_is_start, b_is_start):
    if a is None and b is None:
        return 0 if a_is_start == b_is_start else (-1 if a_is_start else 1)
    if a is None:
        return -1 if a_is_start else 1
    if b is None:
        return 1 if b_is_start else -1
    result = compare(a, b)
    if result is None:
        raise _Unordered()
    return result


def _range_relation(check):
    def relation(first, second):
        a, b = _as_range(first), _as_range(second)
        if a is None or b is None:
            return None
        try:
            return check(a, b)
        except _Unordered:
            return None

    return relation


def _before(a, b):
    order = _cmp(a.end, b.start, False, True)
    return order < 0 or (order == 0 and not (a.end_included and b.start_included))


def _meets(a, b):
    return a.end_included and b.start_included and _cmp(a.end, b.start, False, True) == 0


def _overlaps(a, b):
    first = _cmp(a.end, b.start, False, True)
    second = _cmp(a.start, b.end, True, False)
    return (first > 0 or (first == 0 and a.end_included and b.start_included)) and (
        second < 0 or (second == 0 and a.start_included and b.end_included)
    )


def _overlaps_before(a, b):
    starts = _cmp(a.start, b.start, True, True)
    end_start = _cmp(a.end, b.start, False, True)
    ends = _cmp(a.end, b.end, False, False)
    return (
        (starts < 0 or (starts == 0 and a.start_included and not b.start_included))
        and (end_start > 0 or (end_start == 0 and a.end_included and b.start_included))
        and (ends < 0 or (ends == 0 and (not a.end_included or b.end_included)))
    )


def _finishes(a, b):
    if a.start == a.end and a.start_included and a.end_included and a.start is not None:  # a point
        return b.end_included and _cmp(a.end, b.end, False, False) == 0
    starts = _cmp(a.start, b.start, True, True)
    return (
        a.end_included == b.end_included
        and _cmp(a.end, b.end, False, False) == 0
        and (starts > 0 or (starts == 0 and (not a.start_included or b.start_included)))
    )


def _includes(a, b):
    starts = _cmp(a.start, b.start, True, True)
    ends = _cmp(a.end, b.end, False, False)
    return (starts < 0 or (starts == 0 and (a.start_included or not b.start_included))) and (
        ends > 0 or (ends == 0 and (a.end_included or not b.end_included))
    )


def _starts(a, b):
    if a.start == a.end and a.start_included and a.end_included and a.start is not None:  # a point
        return b.start_included and _cmp(a.start, b.start, True, True) == 0
    ends = _cmp(a.end, b.end, False, False)
    return (
        a.start_included == b.start_included
        and _cmp(a.start, b.start, True, True) == 0
        and (ends < 0 or (ends == 0 and (not a.end_included or b.end_included)))
    )


def _coincides(a, b):
    return (
        a.start_included == b.start_included
        and a.end_included == b.end_included
        and _cmp(a.start, b.start, True, True) == 0
        and _cmp(a.end, b.end, False, False) == 0
    )


def _swap(check):
    return lambda a, b: check(b, a)


def feel_range(text):
    """range("[1..10)"): a range from its FEEL text; endpoints must be literals."""
    if type(text) is not str:
        return None
    from .compiler import NOT_LITERAL, compile_expression, literal_value
    from .errors import FeelSyntaxError
    from .parser import parse_expression

    try:
        tree = parse_expression(text)
    except FeelSyntaxError:
        return None
    if tree[0] == "range":
        endpoints = [tree[2], tree[3]]
    elif tree[0] == "open range":
        endpoints = [tree[2]]
    else:
        return None
    values = [literal_value(node) for node in endpoints]
    if any(value is NOT_LITERAL for value in values):
        return None
    kinds = {kind_of(value) for value in values if value is not None}
    if len(kinds) > 1 or kinds - {
        "number",
        "string",
        "date",
        "date and time",
        "time",
        "days and time duration",
        "years and months duration",
    }:
        return None
    if all(value is None for value in values):
        return None
    if len(values) == 2 and None not in values and compare(values[0], values[1]) == 1:
        return None  # a descending range is empty: not a range value
    return compile_expression(tree)({})


BUILTINS = {
    "min": (None, feel_min),
    "max": (None, feel_max),
    "sum": (None, feel_sum),
    "mean": (None, feel_mean),
    "count": (["list"], feel_count),
    "product": (None, feel_product),
    "median": (None, feel_median),
    "stddev": (None, feel_stddev),
    "mode": (None, feel_mode),
    "abs": (["n"], feel_abs),
    "floor": (["n", "scale"], feel_floor),
    "ceiling": (["n", "scale"], feel_ceiling),
    "decimal": (["n", "scale"], feel_decimal),
    "round half up": (["n", "scale"], feel_round_half_up),
    "round half down": (["n", "scale"], feel_round_half_down),
    "round up": (["n", "scale"], feel_round_up),
    "round down": (["n", "scale"], feel_round_down),
    "modulo": (["dividend", "divisor"], feel_modulo),
    "sqrt": (["number"], feel_sqrt),
    "exp": (["number"], feel_exp),
    "log": (["number"], feel_log),
    "odd": (["number"], feel_odd),
    "even": (["number"], feel_even),
    "substring": (["string", "start position", "length"], feel_substring),
    "string length": (["string"], feel_string_length),
    "upper case": (["string"], feel_upper_case),
    "lower case": (["string"], feel_lower_case),
    "contains": (["string", "match"], feel_contains),
    "starts with": (["string", "match"], feel_starts_with),
    "ends with": (["string", "match"], feel_ends_with),
    "substring before": (["string", "match"], feel_substring_before),
    "substring after": (["string", "match"], feel_substring_after),
    "matches": (["input", "pattern", "flags"], feel_matches),
    "replace": (["input", "pattern", "replacement", "flags"], feel_replace),
    "split": (["string", "delimiter", "flags"], feel_split),
    "string join": (["list", "delimiter"], feel_string_join),
    "string": (["from"], feel_string),
    "number": (["from", "grouping separator", "decimal separator"], feel_number),
    "not": (["negand"], feel_not),
    "date": ([["from"], ["year", "month", "day"]], feel_date),
    "date and time": ([["from"], ["date", "time"]], feel_date_and_time),
    "time": ([["from"], ["hour", "minute", "second", "offset"]], feel_time),
    "duration": (["from"], feel_duration),
    "years and months duration": (["from", "to"], feel_years_and_months_duration),
    "day of week": (["date"], feel_day_of_week),
    "day of year": (["date"], feel_day_of_year),
    "week of year": (["date"], feel_week_of_year),
    "month of year": (["date"], feel_month_of_year),
    "now": ([], feel_now),
    "today": ([], feel_today),
    "is": (["value1", "value2"], feel_is),
    "list contains": (["list", "element"], feel_list_contains),
    "append": (None, feel_append),
    "concatenate": (None, feel_concatenate),
    "insert before": (["list", "position", "newItem"], feel_insert_before),
    "remove": (["list", "position"], feel_remove),
    "reverse": (["list"], feel_reverse),
    "list replace": ([["list", "position", "newItem"], ["list", "match", "newItem"]], feel_list_replace),
    "flatten": (["list"], feel_flatten),
    "distinct values": (["list"], feel_distinct_values),
    "union": (None, feel_union),
    "index of": (["list", "match"], feel_index_of),
    "sublist": (["list", "start position", "length"], feel_sublist),
    "all": (None, feel_all),
    "any": (None, feel_any),
    "and": (None, feel_all),
    "or": (None, feel_any),
    "sort": (["list", "precedes"], feel_sort),
    "get value": (["m", "key"], feel_get_value),
    "get entries": (["m"], feel_get_entries),
    "context": (["entries"], feel_context),
    "context put": ([["context", "key", "value"], ["context", "keys", "value"]], feel_context_put),
    "context merge": (["contexts"], feel_context_merge),
    "is defined": (["value"], feel_is_defined),
    "before": (["point1", "point2"], _range_relation(_before)),
    "after": (["point1", "point2"], _range_relation(_swap(_before))),
    "meets": (["range1", "range2"], _range_relation(_meets)),
    "met by": (["range1", "range2"], _range_relation(_swap(_meets))),
    "overlaps": (["range1", "range2"], _range_relation(_overlaps)),
    "overlaps before": (["range1", "range2"], _range_relation(_overlaps_before)),
    "overlaps after": (["range1", "range2"], _range_relation(_swap(_overlaps_before))),
    "finishes": (["point", "range"], _range_relation(_finishes)),
    "finished by": (["range", "point"], _range_relation(_swap(_finishes))),
    "includes": (["range", "point"], _range_relation(_includes)),
    "during": (["point", "range"], _range_relation(_swap(_includes))),
    "starts": (["point", "range"], _range_relation(_starts)),
    "started by": (["range", "point"], _range_relation(_swap(_starts))),
    "coincides": (["point1", "point2"], _range_relation(_coincides)),
    "range": (["from"], feel_range),
}

# Named-argument spellings the standard uses for some signatures besides the first.
ALTERNATIVE_PARAMETERS = {
    "before": [["point", "range"], ["range", "point"], ["range1", "range2"]],
    "after": [["point", "range"], ["range", "point"], ["range1", "range2"]],
    "finishes": [["range1", "range2"]],
    "finished by": [["range1", "range2"]],
    "includes": [["range1", "range2"]],
    "during": [["range1", "range2"]],
    "starts": [["range1", "range2"]],
    "started by": [["range1", "range2"]],
    "coincides": [["range1", "range2"]],
}


def _signatures(name, parameters):
    if parameters and type(parameters[0]) is list:
        return parameters
    return [parameters] + ALTERNATIVE_PARAMETERS.get(name, [])


BUILTIN_FUNCTIONS = {
    name: Function(None if parameters is None else _signatures(name, parameters)[0], body, name)
    for name, (parameters, body) in BUILTINS.items()
}
BUILTIN_SIGNATURES = {
    name: (None if parameters is None else _signatures(name, parameters)) for name, (parameters, _) in BUILTINS.items()
}
MULTI_WORD_BUILTINS = [name for name in BUILTINS if " " in name] + ["time offset", "start included", "end included"]


TEXT_FUNCTIONS = {
    "upper case",
    "lower case",
    "string length",
    "substring",
    "substring before",
    "substring after",
    "contains",
    "starts with",
    "ends with",
    "matches",
    "replace",
    "split",
}


def call_builtin(function, positional, named):
    """Invoke a built-in; wrong arity or argument names give null, as FEEL asks."""
    signatures = BUILTIN_SIGNATURES[function.name]
    try:
        if named is not None:
            if signatures is None:  # a list function taking items or one list: named, the list
                return function.body(named["list"]) if list(named) == ["list"] else None
            if function.name == "context put" and type(named.get("key")) is list:
                return None  # `key` names one entry; a path of keys is passed as `keys`
            for parameters in signatures:
                if all(n in parameters for n in named):
                    last = max(parameters.index(n) for n in named) if named else -1
                    positional = [named.get(p) for p in parameters[: last + 1]]
                    try:
                        return function.body(*positional)
                    except TypeError:  # a required parameter not named is null
                        return function.body(*[named.get(p) for p in parameters])
            return None
        if signatures is None and not positional:
            return None
        if function.name in TEXT_FUNCTIONS:  # a singleton list where a string is expected is its item
            positional = [a[0] if type(a) is list and len(a) == 1 else a for a in positional]
        if signatures is not None and len(positional) > max(len(p) for p in signatures):
            return None
        result = function.body(*positional)
        if type(result) is str and len(result) > 4096:
            limits.check_string(result)
        return result
    except FeelEvaluationError:
        raise
    except (TypeError, ValueError, ArithmeticError, OverflowError, IndexError, _Unordered):
        return None


__all__ = ["BUILTIN_FUNCTIONS", "MULTI_WORD_BUILTINS", "call_builtin", "to_text", "Range", "kind_of", "math"]
