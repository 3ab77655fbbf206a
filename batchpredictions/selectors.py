"""Partner-scoped reads of batch predictions."""

from django.db.models import QuerySet

from core.exceptions import NotFound
from core.ids import parse_uuid
from decisioning.models import Flow, FlowVersionStatus
from modelregistry.models import ModelStatus, PredictiveModel
from partners import roles

from .models import BatchPrediction

# Score files and read the results: the people who work with models and with the book; the
# partner admin as everywhere. The auditor reads (and downloads) what was scored.
RUNNERS = (roles.DATA_SCIENTIST, roles.RISK_MANAGER, roles.PARTNER_ADMIN)
READERS = (*RUNNERS, roles.AUDITOR)


def batch_prediction_list(*, partner) -> QuerySet:
    return BatchPrediction.objects.filter(partner=partner).select_related("model", "flow", "created_by")


def batch_prediction_get(*, partner, job_id):
    pk = parse_uuid(job_id)
    job = batch_prediction_list(partner=partner).filter(pk=pk).first() if pk else None
    if job is None:
        raise NotFound(f"No batch prediction {job_id}.")
    return job


def scorable_models(*, partner) -> QuerySet:
    """The partner's active model versions (DMN rules included), newest version first per name."""
    return PredictiveModel.objects.filter(partner=partner, status=ModelStatus.ACTIVE).defer("source_file", "artifact")


def scorable_flows(*, partner) -> QuerySet:
    """The partner's flows with a published version (the effective one scores)."""
    return (
        Flow.objects.filter(partner=partner, versions__status=FlowVersionStatus.PUBLISHED).distinct().order_by("name")
    )


def rows_with_errors(*, job, limit) -> list:
    """The first `limit` rows with an error: [(row number, error)], decrypted one chunk at a time."""
    found = []
    for chunk in job.chunks.order_by("index").only("first_row", "results").iterator(chunk_size=1):
        for offset, result in enumerate(chunk.results or []):
            if result and result[-1]:
                found.append((chunk.first_row + offset, result[-1]))
                if len(found) >= limit:
                    return found
    return found
