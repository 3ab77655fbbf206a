"""A decision's step records built for core.sealed_rows.insert_sealed (which writes them with the
decision, its review case and its audit event, and queues the sealed ones for the audit chain, in
one statement on PostgreSQL), and the decision primed for rendering: given, in memory, the
relations its serializer reads (steps, their models' ruleset versions, the review case and its
empty history), so rendering the answer costs no query.
"""

from django.db.models import QuerySet

from rulesets.models import RulesetVersion

from ..models import Decision, InsightTransaction, ReviewCase, TransactionStatus

_MODEL_TO_RULESET_VERSION = RulesetVersion._meta.get_field("published_model").remote_field
_DECISION_TO_REVIEW_CASE = ReviewCase._meta.get_field("decision").remote_field


def step_records_build(*, partner, decision, evaluations, requested_by) -> list:
    """One unsaved InsightTransaction per (resolved step, evaluation), for insert_sealed."""
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
    # The related manager's queryset (its filter is built only if the queryset is ever run), as
    # prefetch_related would have left it.
    caches["steps"] = _prefetched(decision.steps.all(), steps)
    _DECISION_TO_REVIEW_CASE.set_cached_value(decision, review_case)
    if review_case is not None:
        review_case._prefetched_objects_cache = {"actions": _prefetched(review_case.actions.all(), [])}
    return decision
