"""The training page's verbs (the worker's half is runs.py): upload a CSV and see its columns matched to the dictionary, confirm
that mapping (and any new entries), then train in the Celery worker with progress.

Nothing is registered and no dictionary entry is created before a person confirms the mapping; the
worker checks that the mapping it would use is still the one confirmed. The CSV is applicants'
data: encrypted while the job needs it, emptied when training ends.
"""

import hashlib

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.exceptions import ArgumentError, Conflict
from core.jobs import job_submit
from core.services import audit_event_record

from ..models import TrainingJob, TrainingJobStatus
from ..tasks import train_model
from . import ALGORITHMS
from .portfolio import BAD_VALUE as PORTFOLIO_BAD_VALUE
from .portfolio import DATE_COLUMN as PORTFOLIO_DATE_COLUMN
from .portfolio import TARGET as PORTFOLIO_TARGET
from .portfolio import portfolio_training_table
from .runs import training_job_mapping
from .services import MAX_CSV_BYTES, training_data_read

MIN_SAMPLE_ROWS = 100


def training_job_create(
    *,
    partner,
    user,
    data: bytes,
    target,
    bad_value,
    algorithm,
    name="",
    date_column="",
    sample_rows=None,
    source_name="",
) -> TrainingJob:
    """Read the CSV, check the target, bad value and date column, and match its columns to the
    data dictionary. The job waits for a person to confirm the mapping (training_job_confirm)."""
    target, bad_value, date_column = (target or "").strip(), (bad_value or "").strip(), (date_column or "").strip()
    name = _options_check(partner=partner, algorithm=algorithm, name=name, sample_rows=sample_rows)
    if not target:
        raise ArgumentError("target", "Name the column that says whether a loan went bad.")
    if not bad_value:
        raise ArgumentError("badValue", "Give the target's value that means a bad loan.")
    max_bytes = min(settings.TRAINING_UPLOAD_MAX_BYTES, MAX_CSV_BYTES)
    if len(data or b"") > max_bytes:
        raise ArgumentError("file", f"The file is {len(data):,} bytes; the limit is {max_bytes:,}.")
    try:
        text = bytes(data or b"").decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ArgumentError("file", f"The file is not UTF-8 text (byte {error.start:,}).") from None
    if "\x00" in text:
        raise ArgumentError("file", "The file holds NUL characters; it is not a CSV text file.")
    try:
        frame = training_data_read(data=bytes(data))
    except ArgumentError as error:
        raise ArgumentError("file", error.message) from None
    if target not in frame.columns:
        raise ArgumentError("target", f"The file has no column {target!r}; its columns are {_columns(frame)}.")
    values = set(frame[target].astype(str))
    if bad_value not in values:
        shown = ", ".join(sorted(values)[:10])
        raise ArgumentError("badValue", f"No row has {target} = {bad_value!r}; its values are {shown}.")
    if date_column and date_column not in frame.columns:
        raise ArgumentError("dateColumn", f"The file has no column {date_column!r}; its columns are {_columns(frame)}.")
    return _job_save(
        partner=partner,
        user=user,
        frame=frame,
        text=text,
        sha256=hashlib.sha256(bytes(data)).hexdigest(),
        source_name=source_name,
        target=target,
        bad_value=bad_value,
        algorithm=algorithm,
        name=name,
        date_column=date_column,
        sample_rows=sample_rows,
    )


def training_job_create_from_portfolio(*, partner, user, algorithm, name="", sample_rows=None) -> TrainingJob:
    """Build the training table from the partner's loans with recorded outcomes (training/portfolio.py)
    and match its columns, as for an upload. The table is kept encrypted on the job, as an upload is,
    so what is trained is what the person saw when confirming; it is emptied when training ends."""
    name = _options_check(partner=partner, algorithm=algorithm, name=name, sample_rows=sample_rows)
    table = portfolio_training_table(partner=partner)
    data = table.csv_bytes()
    return _job_save(
        partner=partner,
        user=user,
        frame=training_data_read(data=data),
        text=data.decode("utf-8"),
        sha256=hashlib.sha256(data).hexdigest(),
        source_name=table.source_name,
        target=PORTFOLIO_TARGET,
        bad_value=PORTFOLIO_BAD_VALUE,
        algorithm=algorithm,
        name=name,
        date_column=PORTFOLIO_DATE_COLUMN,
        sample_rows=sample_rows,
    )


def _options_check(*, partner, algorithm, name, sample_rows):
    """The checked options shared by both sources; returns the model name (a default when empty)."""
    if algorithm not in ALGORITHMS:
        raise ArgumentError("algorithm", f"Choose one of {', '.join(ALGORITHMS)}.")
    name = (name or "").strip() or f"{algorithm}-{partner.slug}"
    if len(name) > 200:
        raise ArgumentError("name", "At most 200 characters.")
    if sample_rows is not None and (isinstance(sample_rows, bool) or sample_rows < MIN_SAMPLE_ROWS):
        raise ArgumentError("sampleRows", f"At least {MIN_SAMPLE_ROWS} rows, or empty for all.")
    return name


def _job_save(
    *, partner, user, frame, text, sha256, source_name, target, bad_value, algorithm, name, date_column, sample_rows
) -> TrainingJob:
    job = TrainingJob(
        partner=partner,
        created_by=user if getattr(user, "pk", None) else None,
        source_name=(source_name or "")[:255],
        source_sha256=sha256,
        data=text,
        rows=len(frame),
        target=target,
        bad_value=bad_value,
        algorithm=algorithm,
        name=name,
        date_column=date_column,
        sample_rows=sample_rows,
        mapping=training_job_mapping(frame, target, date_column),
    )
    with transaction.atomic():
        job.save()
        audit_event_record(
            actor=user,
            action="training_job.create",
            obj=job,
            partner=partner,
            data={"rows": job.rows, "algorithm": algorithm, "source_sha256": job.source_sha256, "name": name},
        )
    return job


def _columns(frame):
    names = [str(c) for c in frame.columns]
    return ", ".join(names[:30]) + (" …" if len(names) > 30 else "")


def training_job_confirm(*, job, user) -> TrainingJob:
    """The person confirms the mapping (and the proposed new entries): the job is queued.

    ServiceUnavailable (a 503) when the queue is down; the job then still waits for confirmation.
    """
    with transaction.atomic():
        locked = TrainingJob.objects.select_for_update().get(pk=job.pk)
        if locked.status != TrainingJobStatus.AWAITING_CONFIRMATION:
            raise Conflict(f"The job is {locked.get_status_display().lower()}; there is nothing to confirm.")
        locked.status = TrainingJobStatus.QUEUED
        locked.confirmed_by = user if getattr(user, "pk", None) else None
        locked.confirmed = timezone.now()
        locked.error = ""
        locked.save(update_fields=["status", "confirmed_by", "confirmed", "error"])
        audit_event_record(actor=user, action="training_job.confirm", obj=locked, data={"mapping": locked.mapping})
    try:
        job_submit(train_model, str(job.pk))
    except Exception:
        TrainingJob.objects.filter(pk=job.pk, status=TrainingJobStatus.QUEUED).update(
            status=TrainingJobStatus.AWAITING_CONFIRMATION, confirmed_by=None, confirmed=None
        )
        raise
    locked.refresh_from_db()
    return locked
