"""FEEL dates, times, date-times and durations: parsing, text, properties and arithmetic.

Python's datetime types carry the values: a time or date and time is local (no tzinfo), has a
fixed offset (datetime.timezone) or a zone id (zoneinfo.ZoneInfo, kept so `@Europe/Paris`
prints back as written). Years outside 1..9999 are beyond Python's types and give null.
"""

import calendar
import datetime
import re
import zoneinfo

from .values import FAR_TYPES, KINDS, Decimal, NanoDateTime, NanoTime, YearsMonthsDuration, far, make_date, split_far

DATE_PATTERN = re.compile(r"^(-?\d{4,9})-(\d\d)-(\d\d)$")
TIME_PATTERN = re.compile(r"^(\d\d):(\d\d):(\d\d)(\.\d+)?(?:(Z)|([+-]\d\d:\d\d(?::\d\d)?)|@([A-Za-z][\w/+\-]*))?$")
DATE_START = re.compile(r"^-?\d{4,9}-\d\d-\d\d")
MAX_ZONE_OFFSET = datetime.timedelta(hours=14)


def zone(name):
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return None


def parse_date(text):
    match = DATE_PATTERN.match(text)
    if not match:
        return None
    year, month, day = (int(g) for g in match.groups())
    if len(match.group(1).lstrip("-")) > 4 and match.group(1).lstrip("-").startswith("0"):
        return None  # a year of more than four digits has no leading zero
    if 1 <= year <= 9999:
        try:
            return datetime.date(year, month, day)
        except ValueError:
            return None
    return make_date(year, month, day)


def _time_parts(text):
    """(hour, minute, second, microsecond, tzinfo) of a FEEL time text, or None."""
    match = TIME_PATTERN.match(text)
    if not match:
        return None
    hour, minute, second, fraction, utc, offset, zone_name = match.groups()
    hour, minute, second = int(hour), int(minute), int(second)
    if hour == 24 and minute == 0 and second == 0 and not fraction:
        hour = 0  # 24:00:00 is the midnight ending the day
    elif hour > 23 or minute > 59 or second > 59:
        return None
    digits = (fraction[1:] + "000000000")[:9] if fraction else "0" * 9
    microsecond, nanoseconds = int(digits[:6]), int(digits[6:])
    tzinfo = None
    if utc:
        tzinfo = datetime.timezone.utc
    elif offset:
        sign = -1 if offset[0] == "-" else 1
        pieces = [int(p) for p in offset[1:].split(":")]
        delta = datetime.timedelta(hours=pieces[0], minutes=pieces[1], seconds=pieces[2] if len(pieces) > 2 else 0)
        if delta > MAX_ZONE_OFFSET:
            return None
        tzinfo = datetime.timezone(sign * delta)
    elif zone_name:
        tzinfo = zone(zone_name)
        if tzinfo is None:
            return None
    return hour, minute, second, microsecond, tzinfo, nanoseconds


def parse_time(text):
    parts = _time_parts(text)
    if parts is None:
        return None
    return NanoTime(*parts[:5], nanoseconds=parts[5]) if parts[5] else datetime.time(*parts[:5])


def parse_date_and_time(text):
    if "T" not in text:
        date = parse_date(text)
        return make_date(date.year, date.month, date.day, 0) if date else None
    date_text, _, time_text = text.partition("T")
    date, parts = parse_date(date_text), _time_parts(time_text)
    if date is None or parts is None:
        return None
    value = make_date(date.year, date.month, date.day, *parts[:4], tzinfo=parts[4], nanoseconds=parts[5])
    if value is not None and time_text.startswith("24"):
        cycles, base = split_far(value)
        value = far(base + datetime.timedelta(days=1), cycles)
    return value


def parse_temporal(text):
    """An @"..." literal: a duration, date and time, date or time."""
    if text.startswith(("P", "-P")):
        from .values import parse_duration

        return parse_duration(text)
    if DATE_START.match(text):
        return parse_date_and_time(text) if "T" in text else parse_date(text)
    return parse_time(text)


def _seconds_text(value):
    text = "%02d:%02d:%02d" % (value.hour, value.minute, value.second)
    nanoseconds = getattr(value, "nanoseconds", 0)
    if nanoseconds:
        text += (".%06d%03d" % (value.microsecond, nanoseconds)).rstrip("0")
    elif value.microsecond:
        text += (".%06d" % value.microsecond).rstrip("0")
    return text


def zone_text(value):
    tz = value.tzinfo
    if tz is None:
        return ""
    key = getattr(tz, "key", None)
    if key:
        return "@" + key
    offset = tz.utcoffset(None)
    if not offset:
        return "Z"
    sign = "-" if offset < datetime.timedelta(0) else "+"
    seconds = int(abs(offset).total_seconds())
    text = "%s%02d:%02d" % (sign, seconds // 3600, seconds % 3600 // 60)
    return text + (":%02d" % (seconds % 60) if seconds % 60 else "")


def temporal_text(value):
    kind = type(value)
    if kind in FAR_TYPES:
        text = temporal_text(value.base)
        year = value.year
        return ("-%04d" % -year if year < 0 else "%04d" % year) + text[text.index("-", 1) :]
    if kind is datetime.date:
        return value.isoformat()
    if kind is datetime.datetime or kind is NanoDateTime:
        return value.date().isoformat() + "T" + _seconds_text(value) + zone_text(value)
    return _seconds_text(value) + zone_text(value)


def add_months(value, months):
    cycles, base = split_far(value) if type(value) in FAR_TYPES or not 1000 < value.year < 9000 else (0, value)
    month_index = base.year * 12 + base.month - 1 + months
    year, month = divmod(month_index, 12)
    extra_cycles, year = divmod(year - 2000, 400)
    year += 2000
    day = min(base.day, calendar.monthrange(year, month + 1)[1])
    return far(base.replace(year=year, month=month + 1, day=day), cycles + extra_cycles)


def offset_of(value):
    """The UTC offset of a time or date and time as a duration, or None when local."""
    tz = value.tzinfo
    if tz is None:
        return None
    if KINDS.get(type(value)) == "date and time":
        return value.utcoffset()
    return tz.utcoffset(None) if not getattr(tz, "key", None) else None


def _weekday(value):
    return Decimal(value.isoweekday())


DATE_PROPERTIES = {
    "year": lambda v: Decimal(v.year),
    "month": lambda v: Decimal(v.month),
    "day": lambda v: Decimal(v.day),
    "weekday": _weekday,
}
TIME_PROPERTIES = {
    "hour": lambda v: Decimal(v.hour),
    "minute": lambda v: Decimal(v.minute),
    "second": lambda v: Decimal(v.second) + (Decimal(v.microsecond) / Decimal(1000000) if v.microsecond else 0),
    "time offset": offset_of,
    "timezone": lambda v: getattr(v.tzinfo, "key", None),
}
DATE_AND_TIME_PROPERTIES = dict(DATE_PROPERTIES, **TIME_PROPERTIES)


def temporal_property(value, name):
    kind = type(value)
    table = {"date and time": DATE_AND_TIME_PROPERTIES, "time": TIME_PROPERTIES}.get(KINDS.get(kind), DATE_PROPERTIES)
    getter = table.get(name)
    return getter(value) if getter else None


def duration_property(value, name):
    if type(value) is YearsMonthsDuration:
        sign = -1 if value.months < 0 else 1
        if name == "years":
            return Decimal(sign * (abs(value.months) // 12))
        if name == "months":
            return Decimal(sign * (abs(value.months) % 12))
        return None
    total = value.days * 86400 + value.seconds
    sign = -1 if value < datetime.timedelta(0) else 1
    if sign < 0:
        total = -(value.days * 86400 + value.seconds) - (1 if value.microseconds else 0)
        micro = (1000000 - value.microseconds) % 1000000
    else:
        micro = value.microseconds
    parts = {
        "days": total // 86400,
        "hours": total % 86400 // 3600,
        "minutes": total % 3600 // 60,
        "seconds": total % 60,
    }
    if name not in parts:
        return None
    number = Decimal(parts[name])
    if name == "seconds" and micro:
        number += Decimal(micro) / Decimal(1000000)
    return sign * number
