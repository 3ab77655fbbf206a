"""An encrypted JSON field that keeps value types exactly.

Built on django-fernet-fields-v2's EncryptedTextField. Plain JSON cannot tell 1 from 1.0 once a
value passes through a float, and has no dates or decimals; values here are encoded with tags
so that an int comes back an int, a Decimal a Decimal and a date a date.
"""

import datetime
import decimal
import json
from functools import lru_cache

import orjson
from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.core.exceptions import ValidationError
from fernet_fields import EncryptedTextField as FernetTextField

from .fernet_batch import BatchDecryptor

_TAG = "$type"


_PLAIN = frozenset((str, int, bool, type(None)))


def _encode(value):
    """The value with every type JSON cannot keep tagged. Plain values (exact str, int, bool, None
    and finite floats, by far the most common) take the first lines; anything else, subclasses
    included, goes through _encode_other."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is float:
        return value if value - value == 0.0 else {_TAG: "float", "value": repr(value)}  # NaN, ±inf: tagged
    if kind is dict:
        encoded = {}
        for key, item in value.items():
            if type(key) is not str:
                key = str(key)
            item_kind = type(item)
            if item_kind in _PLAIN or (item_kind is float and item - item == 0.0):
                encoded[key] = item
            else:
                encoded[key] = _encode(item)
        if _TAG in encoded:
            return {_TAG: "dict", "value": encoded}
        return encoded
    if kind is list or kind is tuple:
        return [
            item if type(item) in _PLAIN or (type(item) is float and item - item == 0.0) else _encode(item)
            for item in value
        ]
    return _encode_other(value)


def _encode_other(value):
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return {_TAG: "float", "value": repr(value)}
        return value
    if isinstance(value, decimal.Decimal):
        return {_TAG: "decimal", "value": str(value)}
    if isinstance(value, datetime.datetime):
        return {_TAG: "datetime", "value": value.isoformat()}
    if isinstance(value, datetime.date):
        return {_TAG: "date", "value": value.isoformat()}
    if isinstance(value, datetime.time):
        return {_TAG: "time", "value": value.isoformat()}
    if isinstance(value, datetime.timedelta):
        return {_TAG: "timedelta", "value": value.total_seconds()}
    if isinstance(value, (list, tuple)):
        return [_encode(item) for item in value]
    if isinstance(value, dict):
        encoded = {str(key): _encode(item) for key, item in value.items()}
        if _TAG in encoded:
            return {_TAG: "dict", "value": encoded}
        return encoded
    if hasattr(value, "item"):  # numpy scalar
        return _encode(value.item())
    raise TypeError(f"cannot store a value of type {type(value).__name__} as JSON")


_DECODERS = {
    "float": float,
    "decimal": decimal.Decimal,
    "datetime": datetime.datetime.fromisoformat,
    "date": datetime.date.fromisoformat,
    "time": datetime.time.fromisoformat,
    "timedelta": lambda seconds: datetime.timedelta(seconds=seconds),
}


def _decode(value):
    if isinstance(value, list):
        return [_decode(item) for item in value]
    if isinstance(value, dict):
        tag = value.get(_TAG)
        if tag == "dict":
            return {key: _decode(item) for key, item in value["value"].items()}
        if tag in _DECODERS:
            return _DECODERS[tag](value["value"])
        return {key: _decode(item) for key, item in value.items()}
    return value


def dumps(value):
    return json.dumps(_encode(value), separators=(",", ":"), allow_nan=False)


def canonical_dumps(value):
    """One spelling per value: type-tagged as stored, keys sorted, no spaces (for MACs and hashes)."""
    return json.dumps(_encode(value), sort_keys=True, separators=(",", ":"), allow_nan=False)


def loads(text):
    return _decode(json.loads(text))


def dumps_stored(value) -> str:
    """`dumps` for an encrypted column: the same tagged JSON, written by orjson (raw UTF-8 where
    json escapes, shortest float spellings), which `loads` and `loads_many` read back to equal
    values of equal types; json writes what orjson refuses (integers beyond 64 bits)."""
    encoded = _encode(value)
    try:
        return orjson.dumps(encoded).decode()
    except (orjson.JSONEncodeError, TypeError):
        return json.dumps(encoded, separators=(",", ":"), allow_nan=False)


_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_NINETEEN_DIGITS = b"0" * 19


def loads_many(texts) -> list:
    """`loads` of each text (bytes), faster: orjson, and the tag walk only where a tag can be.

    A tag is a "$type" key; the encoder never escapes "$", so a text without `$type"` (and without
    any \\u escape that could spell it) has no tag and is returned as parsed. orjson reads an
    integer beyond 64 bits as a float (or refuses it): a text with 19 digits in a row (no float
    repr has more than 17) is read by json instead.
    """
    out = []
    for text in texts:
        if _NINETEEN_DIGITS in text.translate(_DIGITS_AS_ZERO):  # a regex search costs ten times more
            value = json.loads(text)
        else:
            try:
                value = orjson.loads(text)
            except orjson.JSONDecodeError:  # what json accepts and orjson does not (NaN, say)
                value = json.loads(text)
        if b'$type"' in text or b"\\u" in text:
            value = _decode(value)
        out.append(value)
    return out


@lru_cache(maxsize=8)
def _fernet_for(keys):
    fernets = [Fernet(key.encode() if isinstance(key, str) else key) for key in keys]
    return fernets[0] if len(fernets) == 1 else MultiFernet(fernets)


@lru_cache(maxsize=8)
def _batch_decryptor_for(keys):
    return BatchDecryptor(keys)


class CurrentKeysMixin:
    """Resolve FERNET_KEYS on every use, so key rotation takes effect without a restart."""

    @property
    def fernet(self):
        return _fernet_for(self._current_keys())

    @property
    def batch_decryptor(self):
        """Decrypts many stored values at once (core/fernet_batch.py), with the same keys as `fernet`."""
        return _batch_decryptor_for(self._current_keys())

    @staticmethod
    def _current_keys():
        keys = tuple(settings.FERNET_KEYS)
        if getattr(settings, "FERNET_USE_HKDF", True):
            from fernet_fields import hkdf

            keys = tuple(hkdf.derive_fernet_key(key) for key in keys)
        return keys


class EncryptedTextField(CurrentKeysMixin, FernetTextField):
    def get_placeholder(self, value, compiler, connection):
        """The default placeholder. Defining it keeps bulk INSERTs of encrypted rows out of Django's
        UNNEST form on PostgreSQL, where every ciphertext would be escaped into a text array by
        psycopg's pure-Python list dumper and parsed back by the server: for the 5 step records of a
        decision that cost ~0.35 ms more CPU than one placeholder per value (tests/core/test_encryption.py)."""
        return "%s"


class EncryptedJSONField(EncryptedTextField):
    description = "JSON value encrypted with Fernet, value types preserved"

    def get_prep_value(self, value):
        if value is None:
            return None
        try:
            return dumps_stored(value)
        except (TypeError, ValueError) as error:
            raise ValidationError(str(error)) from error

    def to_python(self, value):
        if value is None or not isinstance(value, str):
            return value
        return loads(value)

    def value_to_string(self, obj):
        return dumps(self.value_from_object(obj))

    def from_db_values(self, values) -> list:
        """What `from_db_value` gives for each stored value (ciphertext bytes or None), in one batch."""
        present = [position for position, value in enumerate(values) if value is not None]
        plaintexts = self.batch_decryptor.decrypt_many([values[position] for position in present])
        out = [None] * len(values)
        for position, value in zip(present, loads_many(plaintexts)):
            out[position] = value
        return out
