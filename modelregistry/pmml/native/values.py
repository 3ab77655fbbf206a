"""Value conventions of the native engine.

Scalar path: numbers are Python floats, strings str, booleans bool, missing is None.
Vector path: numeric fields are float64 arrays with NaN for missing; other fields object arrays
with None for missing; booleans are float arrays of 1.0/0.0 (NaN = unknown).
"""

import math

import numpy as np

NUMERIC = frozenset({"double", "float", "integer"})


def is_numeric(pmml_type):
    return pmml_type in NUMERIC


def to_number(value):
    """A Python float from an input value, None when missing; raises ValueError when not a number."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if text == "" or text.lower() in ("nan", "na", "n/a"):
            return None
        return float(text)
    number = float(value)
    return None if number != number else number


def to_text(value):
    """A str from an input value (1.0 -> "1", as a categorical integer code), None when missing."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value != value:
            return None
        if value.is_integer():
            return str(int(value))
        return repr(value)
    item = getattr(value, "item", None)
    if item is not None:
        return to_text(item())
    return str(value)


def to_boolean(value):
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("true", "1", "1.0"):
            return True
        if text in ("false", "0", "0.0"):
            return False
        if text == "":
            return None
        raise ValueError(f"{value!r} is not a boolean")
    if isinstance(value, float) and value != value:
        return None
    return bool(value)


def coerce(value, pmml_type):
    """Scalar value of `pmml_type` (raises ValueError for an unconvertible value)."""
    if pmml_type == "float":
        # float fields hold 32-bit values (XGBoost exports): round so comparisons match the trainer.
        number = to_number(value)
        return None if number is None else float(np.float32(number))
    if pmml_type in NUMERIC:
        return to_number(value)
    if pmml_type == "boolean":
        return to_boolean(value)
    return to_text(value)


def vector_of(values, pmml_type, n):
    """Array of `pmml_type` from any sequence (list, numpy array, pandas Series); None if absent."""
    if values is None:
        return np.full(n, np.nan) if pmml_type in NUMERIC or pmml_type == "boolean" else np.full(n, None, dtype=object)
    if pmml_type in NUMERIC:
        array = np.asarray(values)
        if array.dtype.kind in "fiub":
            array = array.astype(np.float64, copy=True)
        else:
            array = np.array([_number_or_nan(v) for v in array], dtype=np.float64)
        return array.astype(np.float32).astype(np.float64) if pmml_type == "float" else array
    if pmml_type == "boolean":
        array = np.asarray(values)
        if array.dtype.kind in "fiub":
            return array.astype(np.float64, copy=True)
        return np.array([_nan_if_none(to_boolean(v)) for v in array], dtype=np.float64)
    array = np.asarray(values, dtype=object)
    if not len(array):
        return np.empty(0, dtype=object)
    import pandas as pd

    series = pd.Series(array, dtype=object)
    if pd.api.types.infer_dtype(series, skipna=True) in ("string", "empty"):
        # All present cells are already text: only the missing ones need rewriting (NaN -> None).
        missing = series.isna().to_numpy()
        if missing.any():
            array = array.copy()
            array[missing] = None
        return array
    return np.array([to_text(v) for v in array], dtype=object)


def _number_or_nan(value):
    number = to_number(value) if not (isinstance(value, float) and value != value) else None
    return math.nan if number is None else number


def _nan_if_none(value):
    return math.nan if value is None else float(value)


def vector_missing(array):
    if array.dtype == object:
        return np.equal(array, None)
    return np.isnan(array)


def vector_isin(array, members):
    """Membership test of an array against a set of values (hash-based for text)."""
    members = list(members)
    if array.dtype == object:
        import pandas as pd

        return pd.Series(array, dtype=object).isin(members).to_numpy()
    return np.isin(array, np.array(members, dtype=np.float64))


def scalar_result(value, pmml_type=None):
    """Final conversion of a result to a plain Python value."""
    if value is None:
        return None
    if isinstance(value, float):
        if value != value:
            return None
        if pmml_type == "integer" and value.is_integer():
            return int(value)
        if pmml_type == "boolean":
            return bool(value)
        return value
    item = getattr(value, "item", None)
    if item is not None:
        return scalar_result(item(), pmml_type)
    return value
