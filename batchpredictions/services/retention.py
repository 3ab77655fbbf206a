"""The download window: inputs and results are deleted once it has passed (a beat task)."""

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.services import audit_event_record

from ..models import BatchPrediction, BatchPredictionStatus


def expires_after(moment):
    return moment + datetime.timedelta(days=settings.BATCH_PREDICTION_RETENTION_DAYS)


def batch_predictions_expire(*, now=None) -> int:
    """Delete the rows and results of every job whose window has passed; the job stays, marked
    expired, with its counts (no applicant data). Returns how many jobs expired; safe to run twice."""
    now = now or timezone.now()
    expired = 0
    ids = list(
        BatchPrediction.objects.filter(expires__lte=now)
        .exclude(status=BatchPredictionStatus.EXPIRED)
        .values_list("pk", flat=True)
    )
    for job_id in ids:
        with transaction.atomic():
            job = (
                BatchPrediction.objects.select_for_update()
                .filter(pk=job_id, expires__lte=now)
                .exclude(status=BatchPredictionStatus.EXPIRED)
                .first()
            )
            if job is None:
                continue
            deleted, _ = job.chunks.all().delete()
            previous = job.status
            job.status = BatchPredictionStatus.EXPIRED
            job.save(update_fields=["status"])
            audit_event_record(
                actor=None,
                action="batch_prediction.expire",
                obj=job,
                data={"chunks_deleted": deleted, "status_before": previous, "expired": job.expires.isoformat()},
            )
            expired += 1
    return expired
