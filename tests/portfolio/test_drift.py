"""The column-wise drift helpers give exactly what the value-by-value ones give."""

import math

import numpy
from hypothesis import given, settings
from hypothesis import strategies as st

from portfolio import drift
from portfolio.evaluation import columns_of

NUMBERS = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**6), 10**6),
    st.sampled_from([0.5, 1.0, 2.0, 2.5]),  # values on the edges too
)


@settings(max_examples=200, deadline=None)
@given(st.lists(NUMBERS, max_size=60), st.lists(NUMBERS, max_size=60))
def test_numeric_counts_of_a_column_equal_counts_value_by_value(baseline_values, values):
    spec = {"kind": "numeric", "edges": drift.numeric_edges(baseline_values)}
    column = columns_of([{"x": value} for value in values], ["x"])["x"]
    assert drift.count_numeric({}, spec, column) == drift.count_into({}, spec, values)


@settings(max_examples=200, deadline=None)
@given(st.lists(NUMBERS, max_size=60))
def test_numeric_edges_of_an_array_equal_numeric_edges(values):
    present = numpy.array([v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))], float)
    assert drift.numeric_edges_of_array(present) == drift.numeric_edges(values)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(NUMBERS, st.booleans(), st.text(max_size=2), st.lists(st.integers(), max_size=2))))
def test_categorical_counts_tell_one_from_one_point_zero_and_true(values):
    spec = {"kind": "categorical", "counts": {}}
    expected = {}
    for value in values:
        key = drift.bin_of(spec, value)
        expected[key] = expected.get(key, 0) + 1
    assert drift.count_into({}, spec, values) == expected


@settings(max_examples=100, deadline=None)
@given(st.lists(st.dictionaries(st.sampled_from("abc"), st.one_of(NUMBERS, st.text(max_size=2)), max_size=3)))
def test_columns_hold_every_record_value_with_none_or_nan_for_missing(records):
    columns = columns_of(records, ["a", "b", "c"])
    for name, column in columns.items():
        assert len(column) == len(records)
        for record, cell in zip(records, column.tolist()):
            value = record.get(name)
            if value is None or (isinstance(value, float) and math.isnan(value)):
                assert cell is None or (isinstance(cell, float) and math.isnan(cell))
            else:
                assert cell == value
