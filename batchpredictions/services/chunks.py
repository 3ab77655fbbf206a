"""Scoring one chunk of a batch prediction: safe to deliver twice, counted once."""

from celery.exceptions import SoftTimeLimitExceeded
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.exceptions import Conflict, DomainError

from ..models import BatchPrediction, BatchPredictionChunk, BatchPredictionStatus
from ..scoring import flow_target, model_target, score_rows
from .retention import expires_after

# A chunk started this often without finishing keeps killing its workers (a poison message): stop.
MAX_RUNS = 10
STOPPED = (BatchPredictionStatus.FAILED, BatchPredictionStatus.EXPIRED)


def batch_prediction_target(job):
    """What scores the job's rows: its model version, or its flow version with the step versions
    effective when the job was submitted (every chunk runs the same versions)."""
    if job.model_id:
        return model_target(job.model)
    return flow_target(job.flow, at=job.versions_at)


def batch_prediction_chunk_run(*, chunk_id) -> dict:
    """Score the chunk's rows and store their results (encrypted), in one transaction.

    The chunk's row is locked first: a second delivery running at the same time waits, then sees
    the chunk completed and writes nothing. A delivery killed mid-chunk wrote nothing (its
    transaction never committed), so the redelivery does the whole chunk. A chunk deleted with
    its expired job is nothing to do.
    """
    BatchPredictionChunk.objects.filter(pk=chunk_id).update(runs=F("runs") + 1)
    with transaction.atomic():
        chunk = (
            BatchPredictionChunk.objects.select_for_update(of=("self",))
            .select_related("job__model", "job__flow")
            .filter(pk=chunk_id)
            .first()
        )
        if chunk is None or chunk.completed is not None or chunk.job.status in STOPPED:
            return {"chunk": chunk_id, "scored": 0}
        job = chunk.job
        if chunk.runs > MAX_RUNS:
            _fail(job, f"Chunk {chunk.index} was started {MAX_RUNS} times without finishing.")
            raise Conflict(f"Chunk {chunk.index} of batch prediction {job.pk} was started {MAX_RUNS} times.")
        BatchPrediction.objects.filter(pk=job.pk, status=BatchPredictionStatus.QUEUED).update(
            status=BatchPredictionStatus.RUNNING, started=timezone.now()
        )
        try:
            target = batch_prediction_target(job)
        except DomainError as error:  # the model was retired, the flow's rules withdrawn since submission
            _fail(job, str(error))
            return {"chunk": chunk.index, "scored": 0}
        try:
            chunk.results = score_rows(target, job.columns, chunk.rows)
        except SoftTimeLimitExceeded:
            raise  # the task retries the chunk; MAX_RUNS stops a chunk that never fits
        except Exception as error:  # noqa: BLE001 — a fault that is no row's: the job stops saying so, never stays "running"
            _fail(
                job,
                f"Chunk {chunk.index} (rows from {chunk.first_row}) could not be scored: {type(error).__name__}: {error}",
            )
            return {"chunk": chunk.index, "scored": 0}
        chunk.completed = timezone.now()
        chunk.save(update_fields=["results", "completed"])
        failed = sum(1 for result in chunk.results if result[-1])
        BatchPrediction.objects.filter(pk=job.pk).update(
            done=F("done") + len(chunk.results) - failed, failed=F("failed") + failed
        )
    _complete_if_finished(job.pk)
    return {"chunk": chunk.index, "scored": len(chunk.results)}


def _fail(job, message):
    BatchPrediction.objects.filter(pk=job.pk).exclude(status__in=STOPPED).update(
        status=BatchPredictionStatus.FAILED, finished=timezone.now(), error=message[:2000]
    )


def _complete_if_finished(job_id):
    with transaction.atomic():
        job = BatchPrediction.objects.select_for_update().get(pk=job_id)
        if job.status != BatchPredictionStatus.RUNNING or job.chunks.filter(completed__isnull=True).exists():
            return
        job.status = BatchPredictionStatus.COMPLETED
        job.finished = timezone.now()
        # The download window starts when the results are there.
        job.expires = expires_after(job.finished)
        job.save(update_fields=["status", "finished", "expires"])
