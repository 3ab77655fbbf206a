"""The batch Fernet decryptor and batch JSON decoding against cryptography's Fernet and core.fields.loads."""

import base64
import datetime
import decimal

import pytest
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from hypothesis import given, settings
from hypothesis import strategies as st

from core.fernet_batch import BatchDecryptor
from core.fields import dumps, dumps_stored, loads, loads_many

KEYS = [Fernet.generate_key(), Fernet.generate_key()]


def _tamper(token, at):
    data = bytearray(base64.urlsafe_b64decode(token))
    data[at % len(data)] ^= 0x01
    return base64.urlsafe_b64encode(bytes(data))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.binary(max_size=300), st.integers(0, 1)), max_size=40))
def test_batch_decryption_equals_fernet_for_every_token_and_key(messages):
    tokens = [Fernet(KEYS[key]).encrypt(message) for message, key in messages]
    assert BatchDecryptor(KEYS).decrypt_many(tokens) == [MultiFernet(map(Fernet, KEYS)).decrypt(t) for t in tokens]
    assert BatchDecryptor(KEYS).decrypt_many([t.decode() for t in tokens]) == [m for m, _ in messages]
    assert BatchDecryptor(KEYS).decrypt_many([memoryview(t) for t in tokens]) == [m for m, _ in messages]


@settings(max_examples=60, deadline=None)
@given(st.binary(min_size=0, max_size=100), st.integers(min_value=0))
def test_a_token_with_any_flipped_bit_is_refused_as_fernet_refuses_it(message, at):
    good = Fernet(KEYS[0]).encrypt(message)
    with pytest.raises(InvalidToken):
        BatchDecryptor(KEYS).decrypt_many([good, _tamper(good, at)])


@pytest.mark.parametrize(
    "token",
    [b"", b"not base64!", b"gAAAAA==", base64.urlsafe_b64encode(b"\x81" + b"\x00" * 80)],
)
def test_malformed_tokens_raise_invalid_token(token):
    with pytest.raises(InvalidToken):
        BatchDecryptor(KEYS).decrypt_many([token])


def test_a_non_ascii_text_token_raises_what_fernet_raises():
    with pytest.raises(ValueError) as fernet_error:
        Fernet(KEYS[0]).decrypt("ü")
    with pytest.raises(type(fernet_error.value)):
        BatchDecryptor(KEYS).decrypt_many(["ü"])


def test_a_token_of_an_unknown_key_is_refused():
    token = Fernet(Fernet.generate_key()).encrypt(b"secret")
    with pytest.raises(InvalidToken):
        BatchDecryptor(KEYS).decrypt_many([token])


def test_a_token_with_a_correct_mac_but_bad_padding_is_refused():
    """Only a key holder can make one; it must still not decrypt to garbage."""
    from cryptography.hazmat.primitives import hashes, hmac
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    raw = base64.urlsafe_b64decode(KEYS[0])
    iv = b"\x00" * 16
    ciphertext = Cipher(algorithms.AES(raw[16:]), modes.CBC(iv)).encryptor().update(b"A" * 16)  # no padding block
    body = b"\x80" + (0).to_bytes(8, "big") + iv + ciphertext
    signer = hmac.HMAC(raw[:16], hashes.SHA256())
    signer.update(body)
    token = base64.urlsafe_b64encode(body + signer.finalize())
    with pytest.raises(InvalidToken):
        Fernet(KEYS[0]).decrypt(token)
    with pytest.raises(InvalidToken):
        BatchDecryptor(KEYS).decrypt_many([token])


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10)
    | st.decimals(allow_nan=False, allow_infinity=False, places=3)
    | st.dates(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(st.lists(JSON_VALUES, max_size=5))
def test_loads_many_equals_loads_value_and_type(values):
    texts = [dumps(value).encode() for value in values]
    decoded = loads_many(texts)
    expected = [loads(text.decode()) for text in texts]
    assert decoded == expected
    assert [repr(value) for value in decoded] == [repr(value) for value in expected]  # 1 stays 1, 1.0 stays 1.0


def test_loads_many_decodes_tags_and_leaves_a_tag_lookalike_alone():
    values = [
        {"amount": decimal.Decimal("0.30"), "when": datetime.date(2026, 1, 2), "nan": float("nan")},
        {"nested": {"$type": "not a tag"}, "snow": "☃"},
    ]
    decoded = loads_many([dumps(value).encode() for value in values])
    assert decoded[0]["amount"] == decimal.Decimal("0.30") and decoded[0]["when"] == datetime.date(2026, 1, 2)
    assert decoded[0]["nan"] != decoded[0]["nan"]
    assert decoded[1] == values[1]


STORED_VALUES = st.recursive(
    JSON_VALUES
    | st.floats()  # NaN and ±inf too: tagged
    | st.text(alphabet=st.characters(codec="utf-8"), max_size=8).map(lambda text: "$type" + text)
    | st.datetimes()
    | st.timedeltas(),
    lambda children: (
        st.lists(children, max_size=4)
        | st.tuples(children, children)
        | st.dictionaries(st.text(max_size=6) | st.sampled_from(["$type", "value"]), children, max_size=4)
    ),
    max_leaves=16,
)


@settings(max_examples=300, deadline=None)
@given(STORED_VALUES)
def test_the_stored_text_reads_back_as_the_json_text_does(value):
    """dumps_stored (orjson, what encrypted columns hold) and dumps (json) read back, by loads and by
    loads_many, to the same values of the same types, NaN and tag look-alikes included."""
    stored, reference = dumps_stored(value), dumps(value)
    expected = loads(reference)
    for decoded in (loads(stored), loads_many([stored.encode()])[0]):
        assert repr(decoded) == repr(expected)  # repr: 1 stays 1, 1.0 stays 1.0, NaN compares as written


def test_the_stored_text_keeps_what_orjson_cannot_write_and_refuses_what_json_refuses():
    huge = {"big": 2**70, "neg": -(2**65), "snow": "☃", "nan": float("nan")}
    decoded = loads(dumps_stored(huge))
    assert decoded["big"] == 2**70 and type(decoded["big"]) is int and decoded["snow"] == "☃"
    assert decoded["nan"] != decoded["nan"]
    with pytest.raises(TypeError):
        dumps_stored({"when": object()})
