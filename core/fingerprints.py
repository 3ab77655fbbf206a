"""Keyed fingerprints of requests: equal for equal values, useless for confirming a guess.

`canonical_json` writes a value so that two documents meaning the same thing give the same text:
members sorted by name, no whitespace, and numbers by value (`16100`, `16100.0` and
`Decimal("16100.00")` are all `16100`). RFC 8785 (JCS) libraries format numbers as IEEE doubles,
which would round a Decimal; here every number goes through Decimal, exactly.

`fingerprint` is an HMAC-SHA256 of that text under a server key, so someone who can read the
table cannot test a guessed application against it. The key is FINGERPRINT_KEY when set, else
derived from SECRET_KEY; fingerprints under SECRET_KEY_FALLBACKS are still recognised, so a
rotated SECRET_KEY does not turn a retry into a conflict.
"""

import datetime
import decimal
import hmac
import json
from json.encoder import encode_basestring  # what json.dumps(text, ensure_ascii=False) returns, without its set-up

from django.conf import settings
from django.utils.crypto import salted_hmac


def _number(value):
    number = decimal.Decimal(repr(value)) if isinstance(value, float) else decimal.Decimal(value)
    if not number.is_finite():
        return json.dumps(str(number))
    if number.is_zero():
        return "0"
    return format(number.normalize(), "f")


def canonical_json(value):
    """The canonical text of a JSON-like value (see the module docstring)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, decimal.Decimal)):
        return _number(value)
    if isinstance(value, str):
        return encode_basestring(value)
    if isinstance(value, (datetime.date, datetime.time)):
        return json.dumps(value.isoformat())
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(canonical_json(item) for item in value) + "]"
    if isinstance(value, dict):
        members = sorted((str(key), item) for key, item in value.items())
        return "{" + ",".join(encode_basestring(key) + ":" + canonical_json(item) for key, item in members) + "}"
    raise TypeError(f"cannot fingerprint a value of type {type(value).__name__}")


def _secrets():
    dedicated = getattr(settings, "FINGERPRINT_KEY", "")
    if dedicated:
        return [dedicated]
    return [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]


def _hmac(purpose, text, secret):
    return salted_hmac(f"creditbox.fingerprint.{purpose}", text, secret=secret, algorithm="sha256").hexdigest()


def fingerprint(value, *, purpose):
    """HMAC-SHA256 (hex, 64 characters) of `value`'s canonical text under the current key."""
    return _hmac(purpose, canonical_json(value), _secrets()[0])


def fingerprint_matches(value, stored, *, purpose):
    """Whether `stored` is `value`'s fingerprint under the current key or a fallback."""
    text = canonical_json(value)
    return any(hmac.compare_digest(_hmac(purpose, text, secret), stored or "") for secret in _secrets())
