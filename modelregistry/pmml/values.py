"""Conversion of engine outputs to the plain Python values the engine interface promises."""

import math


def plain(value):
    """numpy scalars -> int/float/bool/str; NaN -> None."""
    if value is None:
        return None
    if isinstance(value, (bool, str)):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, int):
        return value
    item = getattr(value, "item", None)
    if item is not None:
        return plain(item())
    return value


def is_missing(value):
    return value is None or (isinstance(value, float) and math.isnan(value))
