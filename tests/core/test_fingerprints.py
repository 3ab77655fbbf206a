import datetime
import decimal
import json

from hypothesis import given
from hypothesis import strategies as st

from core.fingerprints import canonical_json, fingerprint, fingerprint_matches


def test_numbers_are_written_by_value():
    for same in (
        [16100, 16100.0, decimal.Decimal("16100.00"), decimal.Decimal("1.61E+4")],
        [0.1, decimal.Decimal("0.10")],
        [0, 0.0, -0.0, decimal.Decimal("-0.000")],
        [-2.5, decimal.Decimal("-2.50")],
    ):
        assert len({canonical_json(value) for value in same}) == 1, same
    assert canonical_json(16100.0) == "16100" and canonical_json(1e21) == "1000000000000000000000"
    assert (
        canonical_json(decimal.Decimal("0.1000000000000000000001")) == "0.1000000000000000000001"
    )  # not rounded through a float


def test_types_stay_apart_and_members_are_sorted():
    assert (
        canonical_json({"b": [1, "1", True, None], "a": {"y": 1, "x": 2}})
        == '{"a":{"x":2,"y":1},"b":[1,"1",true,null]}'
    )
    assert canonical_json(True) != canonical_json(1) and canonical_json("1") != canonical_json(1)
    assert canonical_json({"when": datetime.date(2024, 2, 29)}) == '{"when":"2024-02-29"}'
    assert canonical_json("é") == '"é"'


def test_fingerprints_depend_on_the_key_and_the_purpose(settings):
    value = {"amount": 16100}
    settings.FINGERPRINT_KEY = ""
    settings.SECRET_KEY = "first secret " * 4
    from_secret = fingerprint(value, purpose="p")
    assert len(from_secret) == 64 and from_secret == fingerprint({"amount": 16100.0}, purpose="p")
    assert fingerprint(value, purpose="other") != from_secret
    settings.FINGERPRINT_KEY = "dedicated key"
    assert fingerprint(value, purpose="p") != from_secret


def test_a_rotated_secret_key_still_recognises_old_fingerprints(settings):
    settings.FINGERPRINT_KEY = ""
    settings.SECRET_KEY = "old secret " * 5
    old = fingerprint({"a": 1}, purpose="p")
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "new secret " * 5, ["old secret " * 5]
    assert fingerprint({"a": 1}, purpose="p") != old
    assert fingerprint_matches({"a": 1.0}, old, purpose="p")
    assert not fingerprint_matches({"a": 2}, old, purpose="p") and not fingerprint_matches({"a": 1}, "", purpose="p")


@given(st.recursive(st.text(), lambda inner: st.dictionaries(st.text(), inner, max_size=4), max_leaves=12))
def test_text_is_written_as_json_writes_it(value):
    """Strings and member names are JSON strings exactly as json.dumps(..., ensure_ascii=False)
    writes them (lone surrogates, control characters and quotes included), so fingerprints stored
    before keep matching."""

    def reference(item):
        if isinstance(item, str):
            return json.dumps(item, ensure_ascii=False)
        members = sorted(item.items())
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + reference(v) for k, v in members) + "}"

    assert canonical_json(value) == reference(value)
