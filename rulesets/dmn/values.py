"""Conversions between caller values (int, float, numpy scalars, pandas NaN) and FEEL values."""

import datetime
import decimal
import math
import numbers

Decimal = decimal.Decimal


def to_feel(value):
    """Caller value -> FEEL value: numbers become Decimal, NaN becomes null (missing)."""
    kind = type(value)
    if kind is Decimal or kind is str or value is None or kind is bool:
        return value
    if kind is int:
        return Decimal(value)
    if kind is float:
        return None if value != value else Decimal(repr(value))
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return Decimal(int(value))
    if isinstance(value, numbers.Real):
        value = float(value)
        return None if math.isnan(value) else Decimal(repr(value))
    if isinstance(value, dict):
        return {k: to_feel(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_feel(v) for v in value]
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp
        return value.to_pydatetime()
    if type(value).__name__ == "NaTType":
        return None
    if hasattr(value, "item") and not isinstance(value, (datetime.date, datetime.time, datetime.timedelta)):
        return to_feel(value.item())  # numpy scalar
    return value


def is_missing(value):
    return value is None or (type(value) is float and value != value) or type(value).__name__ in ("NaTType", "NAType")
