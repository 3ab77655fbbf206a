"""The API's JSON renderer: orjson's output means what DRF's compact JSON means, value for value."""

import datetime
import decimal
import json
import uuid

from django.utils.translation import gettext_lazy
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.renderers import JSONRenderer as DRFJSONRenderer

from core.api.renderers import FastJSONRenderer, JSONRenderer

fast, reference = FastJSONRenderer(), DRFJSONRenderer()

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
    | st.decimals(allow_nan=False, allow_infinity=False, places=4)
    | st.datetimes(timezones=st.sampled_from([None, datetime.UTC]))
    | st.dates()
    | st.uuids()
)
documents = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5), max_leaves=30
)


@given(documents.filter(lambda value: value is not None))
def test_the_document_parses_to_what_drf_writes(value):
    assert json.loads(fast.render(value)) == json.loads(reference.render(value))


exact = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text() | st.datetimes() | st.uuids(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=30,
)


@given(exact.filter(lambda value: value is not None))
def test_without_floats_the_bytes_are_drfs(value):
    assert fast.render(value) == reference.render(value)


def test_text_datetimes_and_decimals_are_written_as_drf_writes_them():
    value = {
        "name": 'Zoë \u2028 \u2029 "quoted"',
        "when": datetime.datetime(2026, 11, 30, 14, 5, 6, 789000, tzinfo=datetime.UTC),
        "day": datetime.date(2026, 11, 30),
        "amount": decimal.Decimal("1234.50"),
        "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "lazy": gettext_lazy("Approved"),
        "codes": ("R1", "R2"),
    }
    assert fast.render(value) == reference.render(value)
    assert b"\\u2028" in fast.render(value) and "\u2028".encode() not in fast.render(value)


def test_what_orjson_cannot_write_goes_through_drf():
    for value in ({"big": 2**70}, {1: "a key that is not a string"}):
        assert fast.render(value) == reference.render(value)
    assert fast.render(None) == b""


def test_an_indented_answer_is_drfs():
    value = {"a": [1, 2]}
    assert fast.render(value, "application/json; indent=4") == reference.render(value, "application/json; indent=4")
    assert b"\n" in fast.render(value, "application/json; indent=4")


def test_nan_is_null_instead_of_a_failed_request():
    assert json.loads(fast.render({"score": float("nan"), "limit": float("inf")})) == {"score": None, "limit": None}


def test_the_api_renderer_writes_with_orjson():
    assert issubclass(JSONRenderer, FastJSONRenderer)
