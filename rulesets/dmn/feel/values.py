"""FEEL runtime values and the null-propagating operations on them.

FEEL numbers are decimal.Decimal with 34 significant digits (IEEE 754 decimal128, as the
standard asks), so 0.1 + 0.2 = 0.3. Every operation on a null or on mismatched types gives
null instead of raising: that is FEEL's three-valued semantics.
"""
import datetime
import decimal
import re

Decimal = decimal.Decimal
FEEL_CONTEXT = decimal.Context(prec=34, rounding=decimal.ROUND_HALF_EVEN, Emax=6144, Emin=-6143)


class YearsMonthsDuration:
    """A years-and-months duration; Python has no type for it (timedelta is days and time)."""
    __slots__ = ('months',)

    def __init__(self, months):
        self.months = int(months)

    def __eq__(self, other):
        return type(other) is YearsMonthsDuration and other.months == self.months

    def __hash__(self):
        return hash(('ym', self.months))

    def __lt__(self, other):
        return self.months < other.months

    def __le__(self, other):
        return self.months <= other.months

    def __gt__(self, other):
        return self.months > other.months

    def __ge__(self, other):
        return self.months >= other.months

    def __str__(self):
        months = abs(self.months)
        years, months = divmod(months, 12)
        text = ('%dY' % years if years else '') + ('%dM' % months if months or not years else '')
        return ('-P' if self.months < 0 else 'P') + text

    __repr__ = __str__


class Range:
    __slots__ = ('start', 'start_included', 'end', 'end_included')

    def __init__(self, start, start_included, end, end_included):
        self.start, self.start_included, self.end, self.end_included = start, start_included, end, end_included

    def contains(self, value):
        if value is None:
            return None
        if self.start is not None:
            low = compare(value, self.start)
            if low is None:
                return None
            if low < 0 or (low == 0 and not self.start_included):
                return False
        if self.end is not None:
            high = compare(value, self.end)
            if high is None:
                return None
            if high > 0 or (high == 0 and not self.end_included):
                return False
        return True

    def __eq__(self, other):
        return isinstance(other, Range) and (self.start, self.start_included, self.end, self.end_included) == \
            (other.start, other.start_included, other.end, other.end_included)


class Function:
    """A FEEL function value: BKMs, function definitions and built-ins."""
    __slots__ = ('parameters', 'body', 'name')

    def __init__(self, parameters, body, name=None):
        self.parameters, self.body, self.name = parameters, body, name

    def invoke(self, positional, named):
        if named is not None:
            unknown = [n for n in named if n not in self.parameters]
            if unknown:
                return None
            positional = [named.get(p) for p in self.parameters]
        elif len(positional) != len(self.parameters) and self.parameters is not None:
            return None
        return self.body(*positional)


DURATION_PATTERN = re.compile(
    r'^(-)?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$')


def parse_duration(text):
    match = DURATION_PATTERN.match(text.strip()) if isinstance(text, str) else None
    if not match or text.strip().endswith(('P', 'T')):
        return None
    sign, years, months, days, hours, minutes, seconds = match.groups()
    if years or months:
        if days or hours or minutes or seconds:
            return None
        total = int(years or 0) * 12 + int(months or 0)
        return YearsMonthsDuration(-total if sign else total)
    delta = datetime.timedelta(days=int(days or 0), hours=int(hours or 0), minutes=int(minutes or 0),
                               seconds=float(Decimal(seconds or 0)))
    return -delta if sign else delta


def duration_text(delta):
    """ISO-8601 text of a days-and-time duration, as the DMN TCK writes it."""
    total = Decimal(delta.days * 86400 + delta.seconds) + Decimal(delta.microseconds) / Decimal(1000000)
    sign = '-' if total < 0 else ''
    total = abs(total)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    text = 'P' + ('%dD' % days if days else '')
    time = ('%dH' % hours if hours else '') + ('%dM' % minutes if minutes else '') + \
        (('%sS' % _plain(seconds)) if seconds else '')
    if time:
        text += 'T' + time
    if text == 'P':
        text = 'PT0S'
    return sign + text


def _plain(number):
    text = format(number.normalize(), 'f')
    return text


def kind_of(value):
    """The FEEL type family used to decide whether two values are comparable."""
    kind = type(value)
    if kind is Decimal:
        return 'number'
    if kind is bool:
        return 'boolean'
    if kind is str:
        return 'string'
    if kind is datetime.date:
        return 'date'
    if kind is datetime.datetime:
        return 'date and time'
    if kind is datetime.time:
        return 'time'
    if kind is datetime.timedelta:
        return 'days and time duration'
    if kind is YearsMonthsDuration:
        return 'years and months duration'
    if kind is list:
        return 'list'
    if kind is dict:
        return 'context'
    if kind is Range:
        return 'range'
    if kind is Function:
        return 'function'
    return 'null' if value is None else 'other'


ORDERED = {'number', 'string', 'date', 'date and time', 'time', 'days and time duration', 'years and months duration'}


def compare(left, right):
    """-1/0/1, or None when the values are null or not comparable (FEEL gives null then)."""
    if left is None or right is None:
        return None
    left_kind, right_kind = kind_of(left), kind_of(right)
    if left_kind != right_kind or left_kind not in ORDERED:
        return None
    if left_kind == 'date and time' and (left.tzinfo is None) != (right.tzinfo is None):
        return None
    try:
        return -1 if left < right else (1 if left > right else 0)
    except TypeError:
        return None


def equal(left, right):
    """FEEL '=': null equals only null; values of different types give null."""
    if left is None or right is None:
        return left is None and right is None
    left_kind, right_kind = kind_of(left), kind_of(right)
    if left_kind != right_kind:
        return None
    if left_kind == 'list':
        if len(left) != len(right):
            return False
        for a, b in zip(left, right):
            if equal(a, b) is not True:
                return False
        return True
    if left_kind == 'context':
        if set(left) != set(right):
            return False
        return all(equal(left[k], right[k]) is True for k in left)
    if left_kind == 'date and time' and (left.tzinfo is None) != (right.tzinfo is None):
        return False
    return left == right
