"""Submitting batch predictions and reading their results (kept out of __init__: it imports the tasks)."""

import csv
import json

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.exceptions import ArgumentError, Conflict, NotFound
from core.ids import parse_uuid
from core.jobs import job_submit
from core.services import audit_event_record
from decisioning.services.decisions import flow_version_resolve
from modelregistry.selectors import predictive_model_get

from ..models import BatchPrediction, BatchPredictionChunk, BatchPredictionStatus
from ..scoring import flow_target, missing_columns, model_target
from ..tasks import batch_prediction_chunk
from ..uploads import csv_read, row_for_output
from .retention import expires_after

MAX_CHUNK_SIZE = 5_000
ROW_COLUMN = "row"
ERROR_COLUMN = "error"


def batch_prediction_submit(
    *, partner, user, data, model_id=None, flow_id=None, source_name="", chunk_size=None, field="file"
) -> BatchPrediction:
    """Create the job (batch_prediction_create) and queue one Celery task per chunk.

    The job and its chunks are committed before any task is queued (a worker must find them);
    when the queue is down the job is marked failed and ServiceUnavailable (a 503) is raised.
    """
    job = batch_prediction_create(
        partner=partner,
        user=user,
        data=data,
        model_id=model_id,
        flow_id=flow_id,
        source_name=source_name,
        chunk_size=chunk_size,
        field=field,
    )
    try:
        for chunk_id in job.chunks.order_by("index").values_list("pk", flat=True):
            job_submit(batch_prediction_chunk, chunk_id)
    except Exception:
        # Queued chunks would find their rows gone and write nothing: the rows are not kept for a
        # job that cannot run.
        with transaction.atomic():
            BatchPredictionChunk.objects.filter(job=job).delete()
            BatchPrediction.objects.filter(pk=job.pk).update(
                status=BatchPredictionStatus.FAILED,
                finished=timezone.now(),
                error="The job queue could not be reached; the file was not kept. Submit it again.",
            )
        raise
    job.refresh_from_db()
    return job


def batch_prediction_create(
    *, partner, user, data, model_id=None, flow_id=None, source_name="", chunk_size=None, field="file"
) -> BatchPrediction:
    """Check the file against what scores it and store its rows, encrypted, in chunks (nothing queued).

    `data` is the CSV (bytes or text): a header of data-dictionary names (other columns are carried
    through to the result), then one application per row. Raises ArgumentError naming the problem
    with the file as a whole (`field`), the target (`modelId`, `flowId`) or `chunkSize`.
    """
    if (model_id is None) == (flow_id is None):
        raise ArgumentError("modelId", "Name the model (modelId) or the flow (flowId) that scores the file, not both.")
    chunk_size = settings.BATCH_PREDICTION_CHUNK_ROWS if chunk_size is None else chunk_size
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or not 1 <= chunk_size <= MAX_CHUNK_SIZE:
        raise ArgumentError("chunkSize", f"Rows per task: from 1 to {MAX_CHUNK_SIZE:,}.")
    now = timezone.now()
    model = flow = None
    if model_id is not None:
        model = predictive_model_get(partner=partner, model_id=model_id)
        target = model_target(model)
    else:
        if parse_uuid(flow_id) is None:
            raise NotFound(f"No decision flow {flow_id}.")
        flow = flow_version_resolve(partner=partner, flow_id=flow_id, at=now)
        target = flow_target(flow, at=now)
    upload = csv_read(data=data, field=field)
    missing = missing_columns(target, upload.header)
    if missing:
        what = f"model {model}" if model else f"flow {flow}"
        raise ArgumentError(
            field,
            f"The file has no column {', '.join(missing)} (read by the {what}); "
            f"the header names {', '.join(upload.header[:30])}{' …' if len(upload.header) > 30 else ''}.",
        )
    rows = upload.rows
    with transaction.atomic():
        job = BatchPrediction.objects.create(
            partner=partner,
            model=model,
            flow=flow,
            versions_at=now,
            source_name=(source_name or "")[:255],
            source_sha256=upload.sha256,
            columns=upload.header,
            result_columns=target.result_columns,
            total=len(rows),
            chunk_size=chunk_size,
            created_by=user if getattr(user, "pk", None) else None,
            expires=expires_after(now),
        )
        BatchPredictionChunk.objects.bulk_create(
            [
                BatchPredictionChunk(job=job, index=number, first_row=start + 1, rows=rows[start : start + chunk_size])
                for number, start in enumerate(range(0, len(rows), chunk_size))
            ],
            batch_size=100,
        )
        audit_event_record(
            actor=user,
            action="batch_prediction.create",
            obj=job,
            partner=partner,
            data={
                "rows": len(rows),
                "model": str(model.pk) if model else None,
                "flow": str(flow.pk) if flow else None,
                "source_name": job.source_name,
                "source_sha256": upload.sha256,
            },
        )
    return job


def batch_prediction_result_header(job) -> list:
    return [ROW_COLUMN, *job.columns, *job.result_columns, ERROR_COLUMN]


def batch_prediction_result_rows(*, job, user):
    """The result CSV's lines, one per uploaded row (after the header): the row number, the uploaded
    cells, the results and the row's error. The download is on the audit log.

    Conflict while the job is not completed, and once its window has passed (the data is deleted).
    """
    if job.status == BatchPredictionStatus.EXPIRED:
        raise Conflict(f"The results were deleted when the download window closed ({job.expires:%Y-%m-%d %H:%M} UTC).")
    if job.status != BatchPredictionStatus.COMPLETED:
        raise Conflict(f"The batch prediction is {job.status}; results can be downloaded once it is completed.")
    audit_event_record(
        actor=user, action="batch_prediction.download", obj=job, partner=job.partner, data={"rows": job.total}
    )
    return _result_lines(job)


class _Line:
    def write(self, value):
        return value


def _result_lines(job):
    writer = csv.writer(_Line())
    yield writer.writerow(batch_prediction_result_header(job))
    header = job.columns
    # One chunk decrypted at a time: memory stays at one chunk whatever the file's size.
    for chunk_id in job.chunks.order_by("index").values_list("pk", flat=True):
        chunk = BatchPredictionChunk.objects.only("first_row", "rows", "results").get(pk=chunk_id)
        for offset, (row, result) in enumerate(zip(chunk.rows, chunk.results or [])):
            yield writer.writerow(
                [chunk.first_row + offset, *row_for_output(row, header), *(_cell(value) for value in result)]
            )


def _cell(value):
    """A result value as CSV text: lists (reason codes) joined by `|`, as the dictionary CSV does."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "|".join(_cell(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, default=str)
    return str(value)
