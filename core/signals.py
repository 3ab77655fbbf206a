"""Queue every new row of a sealed model for the audit chain, in the transaction that writes it.

A signal rather than a call in each service: the chain has to cover rows however they are
written (services, admin, data migrations), and the services stay unaware of it. Rows written
with bulk_create or raw SQL send no signal: core.sealed_rows.insert_sealed queues them with the
same entry (queue_entry); verify_audit_chain reports any other as unsealed.
"""

from django.db.models.signals import post_save

from .chain import SEALED_MODELS
from .sealed_rows import queue_entry


def _queue_for_sealing(sender, instance, created, **kwargs):
    if not created:
        return
    queue_entry(instance).save()


def connect():
    for label in SEALED_MODELS:
        post_save.connect(_queue_for_sealing, sender=label, dispatch_uid=f"audit-chain-{label}")
