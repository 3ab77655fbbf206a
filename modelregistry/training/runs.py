"""Training a confirmed job in the Celery worker, with progress, and registering its model."""

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.exceptions import DomainError
from core.services import audit_event_record

from ..models import TrainingJob, TrainingJobStatus
from .columns import proposed_data_type
from .services import model_train, training_columns_match, training_data_read


def training_job_mapping(frame, target, date_column) -> dict:
    """What the job shows and a person confirms: matched, proposed (name, type) and protected columns."""
    matched, proposed, protected = training_columns_match(frame=frame, target=target, date_column=date_column or None)
    return {
        "matched": {str(column): name for column, name in matched.items()},
        "proposed": {
            str(column): {"name": name, "dataType": proposed_data_type(frame[column])}
            for column, name in proposed.items()
        },
        "protected": [str(column) for column in protected],
    }


def _report(job_id):
    def progress(fraction, stage):
        # Reading and matching take the first 5 %, registering the last 5 %.
        TrainingJob.objects.filter(pk=job_id).update(progress=round(5 + 90 * fraction, 1), stage=stage[:200])

    return progress


def training_job_run(*, job_id) -> TrainingJob:
    """Train a confirmed job (the worker's half) and register the model. Safe to deliver twice:
    a job that has ended is left as it is."""
    job = TrainingJob.objects.select_related("partner", "created_by", "confirmed_by").get(pk=job_id)
    if job.status not in (TrainingJobStatus.QUEUED, TrainingJobStatus.RUNNING):
        return job
    TrainingJob.objects.filter(pk=job.pk).update(
        status=TrainingJobStatus.RUNNING, started=timezone.now(), progress=1.0, stage="reading the data"
    )
    data = job.data.encode("utf-8")
    try:
        frame = training_data_read(data=data)
        current = training_job_mapping(frame, job.target, job.date_column)
        if current != job.mapping:
            TrainingJob.objects.filter(pk=job.pk).update(
                status=TrainingJobStatus.AWAITING_CONFIRMATION,
                mapping=current,
                progress=0.0,
                stage="",
                error="The data dictionary changed since the mapping was confirmed; check the new mapping and confirm it.",
            )
            return TrainingJob.objects.get(pk=job.pk)
        result = model_train(
            partner=job.partner,
            data=data,
            target=job.target,
            bad_value=job.bad_value,
            algorithm=job.algorithm,
            created_by=job.confirmed_by or job.created_by,
            name=job.name,
            source_name=job.source_name,
            date_column=job.date_column or None,
            accept_proposed_fields=True,
            sample_rows=job.sample_rows,
            progress=_report(job.pk),
        )
    except DomainError as error:
        return _end(job, status=TrainingJobStatus.FAILED, error=str(error))
    except Exception as error:  # noqa: BLE001 — a library failing on this data: the job says so, no trace shown
        return _end(job, status=TrainingJobStatus.FAILED, error=f"Training failed: {type(error).__name__}: {error}")
    return _end(job, status=TrainingJobStatus.COMPLETED, model=result.model)


def _end(job, *, status, error="", model=None):
    with transaction.atomic():
        TrainingJob.objects.filter(pk=job.pk).update(
            status=status,
            error=error[:4000],
            model=model,
            data="",  # the applicants' rows are not kept once training has ended
            progress=100.0 if status == TrainingJobStatus.COMPLETED else 0.0,
            stage="registered" if model else "",
            finished=timezone.now(),
        )
        audit_event_record(
            actor=None,
            action=f"training_job.{status}",
            obj=job,
            partner=job.partner,
            data={"model": str(model.pk) if model else None, "error": error[:500]},
        )
    return TrainingJob.objects.get(pk=job.pk)


def training_jobs_unconfirmed_expire(*, now=None) -> int:
    """Empty the CSV of jobs left unconfirmed for TRAINING_UNCONFIRMED_DAYS (beat, hourly): an
    upload nobody confirms is not kept. Returns how many jobs were closed; safe to run twice."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=settings.TRAINING_UNCONFIRMED_DAYS)
    closed = 0
    for job in TrainingJob.objects.filter(
        status=TrainingJobStatus.AWAITING_CONFIRMATION, created__lt=cutoff
    ).select_related("partner"):
        _end(
            job,
            status=TrainingJobStatus.FAILED,
            error=f"The mapping was not confirmed within {settings.TRAINING_UNCONFIRMED_DAYS} days; "
            "the uploaded file was deleted.",
        )
        closed += 1
    return closed
