"""Queue every new row of a sealed model for the audit chain, in the transaction that writes it.

A signal rather than a call in each service: the chain has to cover rows however they are
written (services, admin, data migrations), and the services stay unaware of it. Rows written
with bulk_create or raw SQL send no signal; verify_audit_chain reports them as unsealed.
"""

from django.db.models.signals import post_save

from .chain import SEALED_MODELS, partner_id_of, scope_for
from .models import AuditPending


def _queue_for_sealing(sender, instance, created, **kwargs):
    if not created:
        return
    label = sender._meta.label_lower
    AuditPending.objects.create(
        scope=scope_for(partner_id_of(instance, label)), record_type=label, record_id=str(instance.pk)
    )


def connect():
    for label in SEALED_MODELS:
        post_save.connect(_queue_for_sealing, sender=label, dispatch_uid=f"audit-chain-{label}")
