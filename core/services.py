from django.apps import apps
from django.db import transaction
from django.utils import timezone

from . import chain
from .models import AuditBlock, AuditChain, AuditEvent, AuditPending

# Records per block: bounds the seal transaction and the block row; a backlog makes several blocks.
SEAL_BLOCK_SIZE = 1000


def audit_event_record(*, actor, action, obj, partner=None, data=None) -> AuditEvent:
    """Record `action` on `obj`. Call inside the service's transaction."""
    event = audit_event_build(actor=actor, action=action, obj=obj, partner=partner, data=data)
    event.save(force_insert=True)
    return event


def audit_event_build(*, actor, action, obj, partner=None, data=None) -> AuditEvent:
    """The unsaved AuditEvent that audit_event_record saves: for a service that writes its rows in
    bulk, which then queues the event for the audit chain itself (bulk_create sends no post_save)."""
    if partner is None:
        partner = getattr(obj, "partner", None)
    if actor is not None and not getattr(actor, "pk", None):
        actor = None
    return AuditEvent(
        partner=partner,
        actor=actor,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        data=data or {},
    )


def audit_chain_seal_all() -> dict:
    """Seal every chain's pending records. Returns {scope: blocks written}; safe to run twice."""
    written = {}
    for scope in AuditPending.objects.order_by().values_list("scope", flat=True).distinct():
        while audit_chain_seal_block(scope=scope) is not None:
            written[scope] = written.get(scope, 0) + 1
    return written


@transaction.atomic
def audit_chain_seal_block(*, scope) -> AuditBlock | None:
    """Seal up to SEAL_BLOCK_SIZE of `scope`'s pending records into the chain's next block.

    Locks only the chain's head row, so two seal runs of one partner take turns while requests,
    which only queue records, never wait. The block, the head and the removal of the pending
    entries commit together: a seal killed half-way leaves the records pending.
    """
    head, _ = AuditChain.objects.get_or_create(scope=scope, defaults={"partner_id": _partner_id(scope)})
    head = AuditChain.objects.select_for_update().get(pk=head.pk)
    pending = list(AuditPending.objects.filter(scope=scope).order_by("id")[:SEAL_BLOCK_SIZE])
    if not pending:
        return None
    key = chain.chain_key()
    schema, rows = {}, {}
    for label in {entry.record_type for entry in pending}:
        model = apps.get_model(label)
        schema[label] = chain.sealed_field_names(model)
        ids = [entry.record_id for entry in pending if entry.record_type == label]
        rows[label] = {str(row.pk): row for row in model._base_manager.filter(pk__in=ids)}
    # A pending record without its row was deleted before it could be sealed: nothing to vouch for.
    records = [
        [
            entry.record_type,
            entry.record_id,
            chain.record_mac(key, rows[entry.record_type][entry.record_id], schema[entry.record_type]),
        ]
        for entry in pending
        if entry.record_id in rows[entry.record_type]
    ]
    sealed_at = timezone.now()
    sequence = head.head_sequence + 1
    block_mac = chain.block_mac(
        key,
        scope=scope,
        sequence=sequence,
        previous_mac=head.head_mac,
        sealed_at=chain.timestamp(sealed_at),
        schema=schema,
        records=records,
    )
    block = AuditBlock.objects.create(
        chain=head,
        sequence=sequence,
        previous_mac=head.head_mac,
        mac=block_mac,
        key_id=chain.key_id(key),
        sealed_at=sealed_at,
        schema=schema,
        records=records,
        record_count=len(records),
    )
    head.head_sequence, head.head_mac = sequence, block_mac
    head.save(update_fields=["head_sequence", "head_mac"])
    AuditPending.objects.filter(pk__in=[entry.pk for entry in pending]).delete()
    return block


def _partner_id(scope):
    return int(scope.split(":", 1)[1]) if scope.startswith("partner:") else None
