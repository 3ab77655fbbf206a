from dataclasses import dataclass

from django.apps import apps

from . import chain
from .models import AuditBlock, AuditChain, AuditEvent, AuditPending


def audit_event_list(*, partner, object_type=None, object_id=None):
    events = AuditEvent.objects.filter(partner=partner).select_related("actor")
    if object_type is not None:
        events = events.filter(object_type=object_type)
    if object_id is not None:
        events = events.filter(object_id=str(object_id))
    return events


@dataclass(frozen=True)
class ChainProblem:
    chain: str
    problem: str
    block: int | None = None
    record_type: str = ""
    record_id: str = ""

    def __str__(self):
        where = f"block {self.block} of the {self.chain} chain" if self.block else f"the {self.chain} chain"
        if self.record_type:
            return f"{self.record_type} {self.record_id} ({where}): {self.problem}"
        return f"{where[0].upper()}{where[1:]}: {self.problem}"


@dataclass
class ChainReport:
    problems: list
    blocks: int = 0
    sealed: int = 0
    pending: int = 0

    @property
    def intact(self):
        return not self.problems


def audit_chain_verify(*, partner=None) -> ChainReport:
    """Check every block of every chain (or `partner`'s) against the records as they are now.

    Problems come in chain order, so the first names the first altered, deleted or unsealed
    record. Reads the sealed tables, then the pending queue, then the blocks: a record committed
    while this runs is then always found pending or sealed, never reported as unsealed.
    """
    key = chain.chain_key()
    if partner is not None:
        scopes = {chain.scope_for(partner.pk): partner.slug}
    else:
        scopes = {head.scope: _chain_name(head) for head in AuditChain.objects.select_related("partner")}
        scopes.update(
            {
                scope: scope
                for scope in AuditPending.objects.order_by().values_list("scope", flat=True).distinct()
                if scope not in scopes
            }
        )
        scopes.update(_scopes_with_records(scopes))
    report = ChainReport(problems=[])
    for scope in sorted(scopes):
        _verify_scope(report, key, scope, scopes[scope])
    return report


def _chain_name(head):
    return head.partner.slug if head.partner_id else head.scope


def _scopes_with_records(known):
    """Partners with sealed-model rows but no chain and nothing pending: rows written behind the app's back."""
    partners = apps.get_model("partners", "Partner")
    found = {}
    for label, sealed in chain.SEALED_MODELS.items():
        model = apps.get_model(label)
        partner_ids = model._base_manager.order_by().values_list(sealed.partner_lookup, flat=True).distinct()
        for partner_id in partner_ids:
            scope = chain.scope_for(partner_id)
            if scope not in known and scope not in found:
                found[scope] = partners.objects.get(pk=partner_id).slug if partner_id is not None else scope
    return found


def _record_ids(scope):
    partner_id = None if scope == chain.GLOBAL_SCOPE else int(scope.split(":", 1)[1])
    ids = {}
    for label, sealed in chain.SEALED_MODELS.items():
        model = apps.get_model(label)
        if partner_id is None and not model._meta.get_field(sealed.partner_lookup.split("__")[0]).null:
            continue
        lookup = (
            {f"{sealed.partner_lookup.removesuffix('_id')}__isnull": True}
            if partner_id is None
            else {sealed.partner_lookup: partner_id}
        )
        ids[label] = {str(pk) for pk in model._base_manager.filter(**lookup).values_list("pk", flat=True)}
    return ids


def _verify_scope(report, key, scope, name):
    existing = _record_ids(scope)
    pending = set(AuditPending.objects.filter(scope=scope).values_list("record_type", "record_id"))
    report.pending += len(pending)
    sealed = set()
    head = AuditChain.objects.filter(scope=scope).first()
    if head is not None:
        sealed = _verify_blocks(report, key, head, name)
    for label, ids in existing.items():
        for record_id in sorted(ids):
            if (label, record_id) not in sealed and (label, record_id) not in pending:
                report.problems.append(
                    ChainProblem(
                        name, "in no block and not pending: written outside the application", None, label, record_id
                    )
                )


def _verify_blocks(report, key, head, name) -> set:
    current_key_id = chain.key_id(key)
    sealed, previous_mac, expected = set(), "", 1
    problems = report.problems
    for block in AuditBlock.objects.filter(chain=head).order_by("sequence").iterator(chunk_size=20):
        report.blocks += 1
        if block.sequence != expected:
            problems.append(
                ChainProblem(
                    name, f"missing: the chain goes from block {expected - 1} to block {block.sequence}", expected
                )
            )
        if block.previous_mac != previous_mac:
            problems.append(
                ChainProblem(name, "does not follow the block before it (previous HMAC differs)", block.sequence)
            )
        previous_mac, expected = block.mac, block.sequence + 1
        sealed.update((label, record_id) for label, record_id, _ in block.records)
        report.sealed += len(block.records)
        if block.key_id != current_key_id:
            problems.append(
                ChainProblem(
                    name,
                    f"sealed under another key ({block.key_id}); is AUDIT_CHAIN_KEY the one it was sealed with?",
                    block.sequence,
                )
            )
            continue
        recomputed = chain.block_mac(
            key,
            scope=head.scope,
            sequence=block.sequence,
            previous_mac=block.previous_mac,
            sealed_at=chain.timestamp(block.sealed_at),
            schema=block.schema,
            records=block.records,
        )
        if not chain.same(recomputed, block.mac):
            problems.append(
                ChainProblem(name, "altered: its header or record list does not match its HMAC", block.sequence)
            )
        problems.extend(_verify_records(key, block, name))
    if head.head_sequence != expected - 1 or head.head_mac != previous_mac:
        problems.append(
            ChainProblem(
                name,
                f"its head names block {head.head_sequence}, but the last block is {expected - 1}: blocks removed?",
            )
        )
    return sealed


def _verify_records(key, block, name):
    rows = {}
    for label in {label for label, _, _ in block.records}:
        ids = [record_id for record_type, record_id, _ in block.records if record_type == label]
        rows[label] = {str(row.pk): row for row in apps.get_model(label)._base_manager.filter(pk__in=ids)}
    for label, record_id, record_mac in block.records:
        row = rows[label].get(record_id)
        if row is None:
            yield ChainProblem(name, "deleted", block.sequence, label, record_id)
        elif not chain.same(chain.record_mac(key, row, block.schema[label]), record_mac):
            yield ChainProblem(name, "altered since it was sealed", block.sequence, label, record_id)
