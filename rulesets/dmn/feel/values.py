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

    __slots__ = ("months",)

    def __init__(self, months):
        self.months = int(months)

    def __eq__(self, other):
        return type(other) is YearsMonthsDuration and other.months == self.months

    def __hash__(self):
        return hash(("ym", self.months))

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
        text = ("%dY" % years if years else "") + ("%dM" % months if months or not years else "")
        return ("-P" if self.months < 0 else "P") + text

    __repr__ = __str__


class Range:
    """A FEEL range value; an endpoint of None is unbounded.

    `operator` is set for a range written as a unary comparison, `(< 10)`, `(= 10)` or `(!= 10)`:
    it contains the same values as `(null..10)` or `[10..10]`, but is not equal to them."""

    __slots__ = ("start", "start_included", "end", "end_included", "operator")

    def __init__(self, start, start_included, end, end_included, operator=None):
        self.start, self.start_included, self.end, self.end_included = start, start_included, end, end_included
        self.operator = operator

    def contains(self, value):
        if value is None:
            return None
        if type(value) is Range:
            return None
        if self.operator == "!=":
            verdict = equal(value, self.start)
            return None if verdict is None else not verdict
        if self.operator is None and (self.start is None or self.end is None):
            return None  # (null..10]: an unknown endpoint, not an unbounded one
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
        return (
            isinstance(other, Range)
            and self.operator == other.operator
            and equal(self.start, other.start) is True
            and equal(self.end, other.end) is True
            and self.start_included == other.start_included
            and self.end_included == other.end_included
        )

    __hash__ = None


class Function:
    """A FEEL function value: BKMs, function definitions and built-ins.

    `parameters` None means variadic (a built-in taking any number of arguments); `types` the
    declared parameter types (type ASTs or None), checked by `instance of function<...>`."""

    __slots__ = ("parameters", "body", "name", "types", "result_type")

    def __init__(self, parameters, body, name=None, types=None, result_type=None):
        self.parameters, self.body, self.name = parameters, body, name
        self.types, self.result_type = types, result_type

    def invoke(self, positional, named):
        if named is not None:
            if self.parameters is None:
                return None
            unknown = [n for n in named if n not in self.parameters]
            if unknown:
                return None
            positional = [named.get(p) for p in self.parameters]
        elif self.parameters is not None and len(positional) != len(self.parameters):
            return None
        return self.body(*positional)


DURATION_PATTERN = re.compile(
    r"^(-)?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d*)?)S)?)?$"
)


def parse_duration(text):
    match = DURATION_PATTERN.match(text.strip()) if isinstance(text, str) else None
    if not match or text.strip().endswith(("P", "T")):
        return None
    sign, years, months, days, hours, minutes, seconds = match.groups()
    if years or months:
        if days or hours or minutes or seconds:
            return None
        total = int(years or 0) * 12 + int(months or 0)
        return YearsMonthsDuration(-total if sign else total)
    total = ((int(days or 0) * 24 + int(hours or 0)) * 60 + int(minutes or 0)) * 60 * 10**9 + int(
        Decimal(seconds or 0) * 10**9
    )
    if sign:
        total = -total
    microseconds, nanoseconds = divmod(total, 1000)
    try:
        if nanoseconds:
            return NanoDuration(microseconds=microseconds, nanoseconds=nanoseconds)
        return datetime.timedelta(microseconds=microseconds)
    except OverflowError:
        return None


def duration_text(delta):
    """ISO-8601 text of a days-and-time duration, as the DMN TCK writes it."""
    total = Decimal(delta.days * 86400 + delta.seconds) + Decimal(delta.microseconds) / Decimal(1000000)
    if type(delta) is NanoDuration:
        total += Decimal(delta.nanoseconds) / Decimal(1000000000)
    sign = "-" if total < 0 else ""
    total = abs(total)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    text = "P" + ("%dD" % days if days else "")
    time = (
        ("%dH" % hours if hours else "")
        + ("%dM" % minutes if minutes else "")
        + (("%sS" % _plain(seconds)) if seconds else "")
    )
    if time:
        text += "T" + time
    if text == "P":
        text = "PT0S"
    return sign + text


def _plain(number):
    text = format(number.normalize(), "f")
    return text


class NanoDateTime(datetime.datetime):
    """A date and time written with more than six fractional digits: Python keeps microseconds,
    this keeps the nanoseconds below them (0..999) so the value prints back as written.
    Arithmetic works on the microsecond value (see `plain`)."""

    __slots__ = ("nanoseconds",)

    def __new__(cls, *arguments, nanoseconds=0, **keywords):
        value = super().__new__(cls, *arguments, **keywords)
        value.nanoseconds = nanoseconds
        return value

    def replace(self, **changes):
        value = datetime.datetime.replace(plain(self), **changes)
        return NanoDateTime(
            value.year,
            value.month,
            value.day,
            value.hour,
            value.minute,
            value.second,
            value.microsecond,
            value.tzinfo,
            nanoseconds=self.nanoseconds,
        )


class NanoDuration(datetime.timedelta):
    """A days-and-time duration written with more than six fractional digits of seconds (see NanoDateTime)."""

    __slots__ = ("nanoseconds",)

    def __new__(cls, *arguments, nanoseconds=0, **keywords):
        value = super().__new__(cls, *arguments, **keywords)
        value.nanoseconds = nanoseconds
        return value


class NanoTime(datetime.time):
    """A time written with more than six fractional digits (see NanoDateTime)."""

    __slots__ = ("nanoseconds",)

    def __new__(cls, *arguments, nanoseconds=0, **keywords):
        value = super().__new__(cls, *arguments, **keywords)
        value.nanoseconds = nanoseconds
        return value


NANO_TYPES = (NanoDateTime, NanoDuration, NanoTime)


def plain(value):
    """The Python value without the nanoseconds below the microsecond."""
    kind = type(value)
    if kind is NanoDateTime:
        return datetime.datetime(
            value.year, value.month, value.day, value.hour, value.minute, value.second, value.microsecond, value.tzinfo
        )
    if kind is NanoDuration:
        return datetime.timedelta(value.days, value.seconds, value.microseconds)
    if kind is NanoTime:
        return datetime.time(value.hour, value.minute, value.second, value.microsecond, value.tzinfo)
    return value


CYCLE_YEARS, CYCLE_DAYS = 400, 146097  # the Gregorian calendar repeats every 400 years, weekdays too
BASE_YEAR = 2000
MAX_YEAR = 999_999_999


class FarDate:
    """A date whose year is outside Python's 1..9999 (FEEL allows -999,999,999..999,999,999):
    the Python date at the same place in the 400-year cycle, and the number of whole cycles
    between. Every calendar question but the year is answered by the Python date."""

    __slots__ = ("base", "cycles")

    def __init__(self, base, cycles):
        self.base, self.cycles = base, cycles

    @property
    def year(self):
        return self.base.year + CYCLE_YEARS * self.cycles

    def __getattr__(self, name):
        return getattr(self.base, name)

    def date(self):
        return far(self.base.date(), self.cycles) if type(self.base) is datetime.datetime else self

    def replace(self, **changes):
        return far(self.base.replace(**changes), self.cycles)

    def __repr__(self):
        return "%s(%r, %d)" % (type(self).__name__, self.base, self.cycles)


class FarDateTime(FarDate):
    """A date and time whose year is outside 1..9999 (see FarDate)."""

    __slots__ = ()


FAR_TYPES = (FarDate, FarDateTime)


def split_far(value):
    """(cycles, Python date or datetime with its year in 2000..2399) of any FEEL date or date and time."""
    if type(value) in FAR_TYPES:
        cycles, base = value.cycles, value.base
    else:
        cycles, base = 0, value
    shift = (base.year - BASE_YEAR) // CYCLE_YEARS
    if shift:
        base = base.replace(year=base.year - CYCLE_YEARS * shift)
    return cycles + shift, base


def far(base, cycles):
    """A FEEL date or date and time from a Python one moved by `cycles` 400-year cycles;
    a plain Python value when the year fits Python's range; None beyond FEEL's."""
    if not cycles:
        return base
    year = base.year + CYCLE_YEARS * cycles
    if 1 <= year <= 9999:
        return base.replace(year=year)
    if abs(year) > MAX_YEAR:
        return None
    shift = (base.year - BASE_YEAR) // CYCLE_YEARS
    if shift:
        base, cycles = base.replace(year=base.year - CYCLE_YEARS * shift), cycles + shift
    return (FarDateTime if type(base) is datetime.datetime else FarDate)(base, cycles)


def make_date(year, month, day, *time, tzinfo=None, nanoseconds=0):
    """A FEEL date (no time given) or date and time for any year FEEL allows, else None."""
    if abs(year) > MAX_YEAR:
        return None
    if 1 <= year <= 9999:
        cycles, base_year = 0, year
    else:
        cycles = (year - BASE_YEAR) // CYCLE_YEARS
        base_year = year - CYCLE_YEARS * cycles
    try:
        if nanoseconds:
            base = NanoDateTime(base_year, month, day, *time, tzinfo=tzinfo, nanoseconds=nanoseconds)
        elif time or tzinfo:
            base = datetime.datetime(base_year, month, day, *time, tzinfo=tzinfo)
        else:
            base = datetime.date(base_year, month, day)
    except ValueError:
        return None
    return far(base, cycles)


KINDS = {
    Decimal: "number",
    bool: "boolean",
    str: "string",
    datetime.date: "date",
    datetime.datetime: "date and time",
    datetime.time: "time",
    datetime.timedelta: "days and time duration",
    YearsMonthsDuration: "years and months duration",
    list: "list",
    dict: "context",
    Range: "range",
    Function: "function",
    FarDate: "date",
    FarDateTime: "date and time",
    NanoDateTime: "date and time",
    NanoDuration: "days and time duration",
    NanoTime: "time",
}


def kind_of(value):
    """The FEEL type family used to decide whether two values are comparable."""
    kind = KINDS.get(type(value))
    if kind is not None:
        return kind
    return "null" if value is None else "other"


ORDERED = {"number", "string", "date", "date and time", "time", "days and time duration", "years and months duration"}


def _zone_kind(value):
    """How a time or date and time is anchored: None (local), a fixed offset, or a zone id."""
    tz = value.tzinfo
    if tz is None:
        return None
    key = getattr(tz, "key", None)
    return ("zone", key) if key else ("offset", tz.utcoffset(None))


def compare(left, right):
    """-1/0/1, or None when the values are null or not comparable (FEEL gives null then)."""
    if left is None or right is None:
        return None
    left_kind = KINDS.get(type(left))
    if left_kind is None or left_kind != KINDS.get(type(right)) or left_kind not in ORDERED:
        return None
    if left_kind == "date and time" and (left.tzinfo is None) != (right.tzinfo is None):
        return None
    if type(left) in FAR_TYPES or type(right) in FAR_TYPES:
        left, right = split_far(left), split_far(right)
    if left_kind == "time":
        left, right = _time_instant(left), _time_instant(right)
        if left is None or right is None:
            return None
    try:
        return -1 if left < right else (1 if left > right else 0)
    except TypeError:
        return None


def _time_instant(value):
    """A time as seconds since midnight UTC (local times as they are), or None for a zone-id time."""
    tz = value.tzinfo
    seconds = value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
    if tz is None:
        return ("local", seconds)
    if getattr(tz, "key", None):
        return None
    return ("offset", seconds - tz.utcoffset(None).total_seconds())


def equal(left, right):
    """FEEL '=': null equals only null; values of different types give null."""
    if left is None or right is None:
        return left is None and right is None
    left_kind = KINDS.get(type(left))
    if left_kind != KINDS.get(type(right)) or left_kind is None:
        return None
    if left_kind == "number" or left_kind == "string" or left_kind == "boolean":
        return left == right
    if left_kind == "list":
        if len(left) != len(right):
            return False
        for a, b in zip(left, right):
            if equal(a, b) is not True:
                return False
        return True
    if left_kind == "context":
        if set(left) != set(right):
            return False
        return all(equal(left[k], right[k]) is True for k in left)
    if left_kind == "date and time" or left_kind == "date":
        if left_kind == "date and time" and (left.tzinfo is None) != (right.tzinfo is None):
            return False
        if type(left) in FAR_TYPES or type(right) in FAR_TYPES:
            return split_far(left) == split_far(right)
        return left == right
    if left_kind == "time":
        zones = _zone_kind(left), _zone_kind(right)
        if zones[0] and zones[0][0] == "zone" or zones[1] and zones[1][0] == "zone":
            return zones[0] == zones[1] and left.replace(tzinfo=None) == right.replace(tzinfo=None)
        if (zones[0] is None) != (zones[1] is None):
            return False
        return _time_instant(left) == _time_instant(right)
    if left_kind == "range":
        return left == right
    if left_kind == "function":
        return left is right
    return left == right
