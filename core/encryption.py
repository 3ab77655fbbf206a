"""Re-encrypting stored values with the first of FERNET_KEYS (key rotation)."""

from django.apps import apps
from django.db import transaction

from .fields import CurrentKeysMixin


def encrypted_fields():
    """(model, [field names]) for every model with encrypted fields."""
    for model in apps.get_models():
        names = [f.name for f in model._meta.concrete_fields if isinstance(f, CurrentKeysMixin)]
        if names:
            yield model, names


def reencrypt_all(*, batch_size=500, progress=None) -> dict:
    """Read every encrypted value (any configured key decrypts) and write it back under the first key.

    Each batch is its own transaction, so a long rotation can be resumed: re-running it is safe.
    Returns {model label: rows rewritten}.
    """
    counts = {}
    for model, names in encrypted_fields():
        counts[model._meta.label] = 0
        primary_keys = list(model._base_manager.order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(primary_keys), batch_size):
            with transaction.atomic():
                rows = list(
                    model._base_manager.filter(pk__in=primary_keys[start : start + batch_size]).only("pk", *names)
                )
                # Row by row: bulk_update bypasses get_db_prep_save, where the field encrypts.
                for row in rows:
                    row.save(update_fields=names)
            counts[model._meta.label] += len(rows)
            if progress:
                progress(model._meta.label, counts[model._meta.label], len(primary_keys))
    return counts
