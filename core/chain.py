"""The audit chain's canonical forms and MACs: what is sealed, and how a seal is computed.

A record is sealed by its canonical plaintext: every sealed field of the row as read through the
ORM (encrypted fields decrypted), type-tagged as the encrypted JSON field tags values, as JSON
with sorted keys. Re-encrypting a row under a new Fernet key changes its ciphertext, not this
form, so key rotation leaves every seal valid; changing any sealed value, in clear or encrypted,
does not.

Each record's MAC and each block's MAC are HMAC-SHA256 under the chain key. MACs, not plain
hashes: a plain hash of an application would let anyone who reads the table confirm a guessed
application.
"""

import datetime
import hashlib
import hmac
import uuid
from dataclasses import dataclass, field

from django.conf import settings

from .fields import canonical_dumps


@dataclass(frozen=True)
class Sealed:
    """How a sealed model is scoped to its partner, and which of its fields may change later."""

    partner_path: str  # attribute path from an instance to its partner id
    partner_lookup: str  # the same as a queryset lookup
    mutable_fields: tuple = field(default=())


# Label → how it is sealed. A decision's final outcome changes when a review settles it: the
# review action that changed it is sealed instead.
SEALED_MODELS = {
    "decisioning.insighttransaction": Sealed("partner_id", "partner_id"),
    "decisioning.decision": Sealed("partner_id", "partner_id", mutable_fields=("final_outcome", "updated")),
    "decisioning.reviewaction": Sealed("case.partner_id", "case__partner_id"),
    "core.auditevent": Sealed("partner_id", "partner_id"),
}

GLOBAL_SCOPE = "global"


def scope_for(partner_id) -> str:
    """The chain a record belongs to: its partner's, or the global chain for partner-less events."""
    return f"partner:{partner_id}" if partner_id is not None else GLOBAL_SCOPE


def partner_id_of(instance, label):
    value = instance
    for name in SEALED_MODELS[label].partner_path.split("."):
        value = getattr(value, name)
    return value


def sealed_field_names(model) -> list:
    """Attribute names of the fields sealed for `model` today (the schema a new block records)."""
    mutable = SEALED_MODELS[model._meta.label_lower].mutable_fields
    return sorted(f.attname for f in model._meta.concrete_fields if f.name not in mutable)


def _plain(value):
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def canonical(values: dict) -> bytes:
    return canonical_dumps(_plain(values)).encode()


def record_canonical(instance, field_names) -> bytes:
    """The record's canonical plaintext over `field_names`; a field the row no longer has is null."""
    values = {name: getattr(instance, name, None) for name in field_names}
    return canonical({"model": instance._meta.label_lower, "fields": values})


def chain_key() -> bytes:
    """AUDIT_CHAIN_KEY, or a key derived from SECRET_KEY when none is set (see docs/audit-chain.md)."""
    configured = getattr(settings, "AUDIT_CHAIN_KEY", "")
    if configured:
        return configured.encode()
    return hmac.new(settings.SECRET_KEY.encode(), b"creditbox audit chain v1", hashlib.sha256).digest()


def key_id(key) -> str:
    """Names the key a block was sealed under without revealing it."""
    return hmac.new(key, b"key id", hashlib.sha256).hexdigest()[:16]


def mac(key, purpose: bytes, message: bytes) -> str:
    return hmac.new(key, purpose + b"\0" + message, hashlib.sha256).hexdigest()


def record_mac(key, instance, field_names) -> str:
    return mac(key, b"record", record_canonical(instance, field_names))


def block_mac(key, *, scope, sequence, previous_mac, sealed_at, schema, records) -> str:
    """The block's MAC: over the previous block's MAC, its own header and every record's MAC."""
    header = {
        "scope": scope,
        "sequence": sequence,
        "previous": previous_mac,
        "sealedAt": sealed_at,
        "schema": schema,
        "records": records,
    }
    return mac(key, b"block", canonical(header))


def same(left: str, right: str) -> bool:
    return hmac.compare_digest(left.encode(), right.encode())


def timestamp(moment) -> str:
    """A datetime as the block MAC spells it: UTC, ISO 8601, microseconds."""
    return moment.astimezone(datetime.timezone.utc).isoformat(timespec="microseconds")
