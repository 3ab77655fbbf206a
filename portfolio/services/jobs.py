"""Submitting and cancelling re-evaluation jobs (kept out of __init__: it imports the tasks)."""

from django.db import transaction
from django.utils import timezone

from core.exceptions import ArgumentError, Conflict, EngineError, NotFound
from core.ids import parse_uuid
from core.jobs import job_submit
from core.services import audit_event_record
from decisioning.services.decisions import flow_version_resolve

from .. import evaluation
from ..models import JobStatus, Loan, LoanStatus, ReevaluationChunk, ReevaluationJob
from ..tasks import reevaluate_chunk

DEFAULT_CHUNK_SIZE = 5000
MAX_CHUNK_SIZE = 20000


def reevaluation_job_submit(
    *, partner, user, flow_id=None, statuses=None, chunk_size=DEFAULT_CHUNK_SIZE, queue=None
) -> ReevaluationJob:
    """Create the job (reevaluation_job_create) and queue one Celery task per chunk.

    The job and its chunks are committed before any task is queued (a worker must find them);
    when the queue is down the job is marked failed and ServiceUnavailable is raised. `queue`
    names a Celery queue other than the default (dedicated workers, tests).
    """
    job = reevaluation_job_create(partner=partner, user=user, flow_id=flow_id, statuses=statuses, chunk_size=chunk_size)
    try:
        for chunk_id in job.chunks.order_by("index").values_list("pk", flat=True):
            job_submit(reevaluate_chunk.s(chunk_id).set(queue=queue) if queue else reevaluate_chunk.s(chunk_id))
    except Exception:
        ReevaluationJob.objects.filter(pk=job.pk).update(
            status=JobStatus.FAILED, error="The job queue could not be reached."
        )
        raise
    job.refresh_from_db()
    return job


def reevaluation_job_create(
    *, partner, user, flow_id=None, statuses=None, chunk_size=DEFAULT_CHUNK_SIZE
) -> ReevaluationJob:
    """Pin the flow's step versions now and split the loans in scope into chunks (nothing queued)."""
    if flow_id is not None and parse_uuid(flow_id) is None:
        raise NotFound(f"No flow {flow_id}.")
    flow = flow_version_resolve(partner=partner, flow_id=flow_id)
    statuses = list(statuses or [LoanStatus.CURRENT, LoanStatus.DELINQUENT])
    unknown = [s for s in statuses if s not in LoanStatus.values]
    if unknown:
        raise ArgumentError("statuses", f"Unknown loan status {unknown[0]!r}; use {', '.join(LoanStatus.values)}.")
    if not 1 <= chunk_size <= MAX_CHUNK_SIZE:
        raise ArgumentError("chunkSize", f"Between 1 and {MAX_CHUNK_SIZE}.")
    try:
        pinned = evaluation.plan_pin(flow=flow, at=timezone.now())
    except EngineError as error:
        raise ArgumentError("flowId", str(error)) from None
    with transaction.atomic():
        ids = list(
            Loan.objects.filter(partner=partner, status__in=statuses).order_by("pk").values_list("pk", flat=True)
        )
        job = ReevaluationJob.objects.create(
            partner=partner,
            flow=flow,
            plan=pinned,
            scope={"statuses": statuses},
            total=len(ids),
            chunk_size=chunk_size,
            created_by=user,
        )
        ReevaluationChunk.objects.bulk_create(
            [
                ReevaluationChunk(job=job, index=number, loan_ids=ids[start : start + chunk_size])
                for number, start in enumerate(range(0, len(ids), chunk_size))
            ],
            batch_size=1000,
        )
        if not ids:
            job.status, job.finished = JobStatus.COMPLETED, timezone.now()
            job.save(update_fields=["status", "finished"])
        audit_event_record(
            actor=user,
            action="portfolio.reevaluation_job",
            obj=job,
            partner=partner,
            data={"loans": len(ids), "flow": str(flow.pk)},
        )
    return job


@transaction.atomic
def reevaluation_job_cancel(*, job, user) -> ReevaluationJob:
    """Stop a queued or running job: chunks not yet started write nothing."""
    updated = ReevaluationJob.objects.filter(pk=job.pk, status__in=(JobStatus.QUEUED, JobStatus.RUNNING)).update(
        status=JobStatus.CANCELLED, finished=timezone.now()
    )
    if not updated:
        raise Conflict(f"The job is {job.status}; only a queued or running job can be cancelled.")
    audit_event_record(actor=user, action="portfolio.reevaluation_job_cancel", obj=job, partner=job.partner)
    job.refresh_from_db()
    return job
