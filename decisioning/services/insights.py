from django.db import transaction

from core.exceptions import EngineError
from modelregistry.selectors import predictive_model_get

from .. import evaluation as model_evaluation
from ..models import InsightTransaction, TransactionStatus


def insight_create(*, partner, model_id, arguments, requested_by) -> InsightTransaction:
    """Evaluate the partner's model on `arguments` (dictionary names) and store the encrypted record.

    Bad input raises ArgumentErrors before anything reaches the engine or the database. An engine
    failure is stored as an `error` transaction and then raised as EngineError naming it — the
    record is committed first, so the failure stays on the record.
    """
    model = predictive_model_get(partner=partner, model_id=model_id)
    record, keys, mapping = model_evaluation.prepare(model, arguments)
    evaluation = model_evaluation.evaluate(model, arguments, record=record, keys=keys, mapping=mapping)
    insight = insight_record(partner=partner, evaluation=evaluation, requested_by=requested_by)
    if not evaluation.ok:
        raise EngineError(
            f"{model} could not evaluate these arguments: {evaluation.error}",
            insight_id=insight.pk,
            location=evaluation.error_location,
        )
    return insight


@transaction.atomic
def insight_record(*, partner, evaluation, requested_by, **links) -> InsightTransaction:
    model = evaluation.model
    return InsightTransaction.objects.create(
        partner=partner,
        model=model,
        artifact_sha256=model.sha256,
        imported_artifacts=model.imports,
        engine_name=evaluation.engine_name,
        engine_version=evaluation.engine_version,
        field_mapping=evaluation.field_mapping,
        arguments=evaluation.arguments,
        results=evaluation.results,
        explanation=evaluation.explanation,
        error=evaluation.error,
        status=TransactionStatus.OK if evaluation.ok else TransactionStatus.ERROR,
        duration_us=evaluation.duration_us,
        requested_by=requested_by if getattr(requested_by, "pk", None) else None,
        **links,
    )
