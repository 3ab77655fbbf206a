"""Population stability: bin a distribution like the baseline's and compare (no Django here)."""

import bisect
import math
from collections import Counter

MISSING = "(missing)"
DECILES = 10
STABLE, WATCH, SHIFT = "stable", "watch", "shift"


def numeric_edges(values, bins=DECILES):
    """Interior bin edges at the quantiles of `values` (deduplicated)."""
    present = sorted(float(v) for v in values if v is not None and not (isinstance(v, float) and math.isnan(v)))
    if not present:
        return []
    edges = sorted({present[min(len(present) - 1, (len(present) * k) // bins)] for k in range(1, bins)})
    return edges


def numeric_edges_of_array(present, bins=DECILES):
    """`numeric_edges` of a float64 numpy array without NaN."""
    import numpy

    ordered = numpy.sort(present)
    count = len(ordered)
    if not count:
        return []
    return sorted({float(ordered[min(count - 1, (count * k) // bins)]) for k in range(1, bins)})


def spec_for(values):
    """A baseline spec for one attribute, from the values seen at origination."""
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        return {"kind": "numeric", "edges": numeric_edges(present), "counts": {}}
    return {"kind": "categorical", "counts": {}}


def bin_of(spec, value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    if spec["kind"] == "numeric":
        try:
            return str(bisect.bisect_right(spec["edges"], float(value)))
        except (TypeError, ValueError):
            return MISSING
    return str(value)


def count_into(counts, spec, values):
    # Each distinct value is binned once; the type is part of the key, so 1 and 1.0 (equal, but
    # "1" and "1.0" as categories) are told apart.
    try:
        distinct = Counter(zip(map(type, values), values)).items()
    except TypeError:  # an unhashable value (a list, say)
        distinct = [((type(value), value), 1) for value in values]
    for (_kind, value), count in distinct:
        key = bin_of(spec, value)
        counts[key] = counts.get(key, 0) + count
    return counts


def count_numeric(counts, spec, column):
    """`count_into` of a numeric spec over a float64 numpy array (NaN = missing), in one searchsorted
    (side="right" is bisect_right)."""
    import numpy

    missing = numpy.isnan(column)
    bins = numpy.searchsorted(numpy.asarray(spec["edges"], dtype=numpy.float64), column[~missing], side="right")
    for bin_index, count in zip(*numpy.unique(bins, return_counts=True)):
        key = str(int(bin_index))
        counts[key] = counts.get(key, 0) + int(count)
    if missing.any():
        counts[MISSING] = counts.get(MISSING, 0) + int(missing.sum())
    return counts


def psi(expected: dict, actual: dict, *, floor=1e-4) -> float:
    """Population stability index of `actual` against `expected` bin counts (same bin keys)."""
    expected_total, actual_total = sum(expected.values()), sum(actual.values())
    if not expected_total or not actual_total:
        return 0.0
    total = 0.0
    for key in set(expected) | set(actual):
        e = max(expected.get(key, 0) / expected_total, floor)
        a = max(actual.get(key, 0) / actual_total, floor)
        total += (a - e) * math.log(a / e)
    return total


def band(value):
    return STABLE if value < 0.1 else WATCH if value <= 0.25 else SHIFT
