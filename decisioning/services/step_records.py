"""A decision, its step records and its audit event written in bulk, and the decision primed for rendering.

`bulk_create` sends no post_save signal, so the audit chain's AuditPending rows for the
decision, its step records and its audit event are queued here, in one INSERT, in the same
transaction (exactly what core.signals would have written one by one). The decision is then
given, in memory, the relations its serializer reads (steps, their models' ruleset versions, the
review case and its empty history), so rendering the answer costs no query.
"""

from django.db.models import QuerySet

from core.chain import partner_id_of, scope_for
from core.models import AuditEvent, AuditPending
from rulesets.models import RulesetVersion

from ..models import Decision, InsightTransaction, ReviewCase, TransactionStatus

_MODEL_TO_RULESET_VERSION = RulesetVersion._meta.get_field("published_model").remote_field
_DECISION_TO_REVIEW_CASE = ReviewCase._meta.get_field("decision").remote_field


def decision_insert(decision: Decision) -> Decision:
    """INSERT the decision without its post_save signal: queue it with audit_pending_queue."""
    Decision.objects.bulk_create([decision])
    return decision


def audit_pending_queue(records) -> None:
    """What core.signals queues for each new sealed row, for rows written with bulk_create: one INSERT."""
    AuditPending.objects.bulk_create(
        [
            AuditPending(
                scope=scope_for(partner_id_of(record, record._meta.label_lower)),
                record_type=record._meta.label_lower,
                record_id=str(record.pk),
            )
            for record in records
        ]
    )


def audit_event_insert(event: AuditEvent) -> AuditEvent:
    """INSERT an audit event (core.services.audit_event_build's) without its post_save signal: queue it with
    audit_pending_queue."""
    AuditEvent.objects.bulk_create([event])
    return event


def step_records_create(*, partner, decision, evaluations, requested_by) -> list:
    """One InsightTransaction per (resolved step, evaluation) in one INSERT, without post_save signals:
    queue them with audit_pending_queue."""
    requester = requested_by if getattr(requested_by, "pk", None) else None
    rows = [
        InsightTransaction(
            partner=partner,
            model=evaluation.model,
            artifact_sha256=evaluation.model.sha256,
            imported_artifacts=evaluation.model.imports,
            engine_name=evaluation.engine_name,
            engine_version=evaluation.engine_version,
            field_mapping=evaluation.field_mapping,
            arguments=evaluation.arguments,
            results=evaluation.results,
            explanation=evaluation.explanation,
            error=evaluation.error,
            status=TransactionStatus.OK if evaluation.ok else TransactionStatus.ERROR,
            duration_us=evaluation.duration_us,
            requested_by=requester,
            decision=decision,
            step_kind=step.kind,
            step_position=step.position,
        )
        for step, evaluation in evaluations
    ]
    if rows:
        InsightTransaction.objects.bulk_create(rows)
    for (step, _), row in zip(evaluations, rows):
        # The serializer shows the ruleset version a DMN model was published from: known already.
        version = getattr(step, "ruleset_version", None)
        if version is not None and not _MODEL_TO_RULESET_VERSION.is_cached(row.model):
            _MODEL_TO_RULESET_VERSION.set_cached_value(row.model, version)
    return rows


def _prefetched(queryset: QuerySet, objects) -> QuerySet:
    queryset._result_cache = list(objects)
    queryset._prefetch_done = True
    return queryset


def decision_prime(decision: Decision, *, steps, review_case) -> Decision:
    """Give a just-written decision its steps and review case in memory (no query when rendered)."""
    caches = getattr(decision, "_prefetched_objects_cache", None)
    if caches is None:
        caches = decision._prefetched_objects_cache = {}
    caches["steps"] = _prefetched(InsightTransaction.objects.filter(decision=decision), steps)
    _DECISION_TO_REVIEW_CASE.set_cached_value(decision, review_case)
    if review_case is not None:
        review_case._prefetched_objects_cache = {"actions": _prefetched(review_case.actions.all(), [])}
    return decision
