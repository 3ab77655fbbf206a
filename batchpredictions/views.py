"""Batch prediction pages: upload a CSV for a model or a flow, watch its progress, download the result."""

from django.conf import settings
from django.contrib import messages
from django.http import Http404, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from core.exceptions import Conflict, DomainError, NotFound
from partners.views import partner_member_required

from . import selectors
from .models import BatchPredictionStatus
from .services.jobs import batch_prediction_result_rows, batch_prediction_submit
from .uploads import limits

ERRORS_SHOWN = 20


def _job_or_404(request, job_id):
    try:
        return selectors.batch_prediction_get(partner=request.user.partner, job_id=job_id)
    except NotFound:
        raise Http404("No such batch prediction.") from None


@require_GET
@partner_member_required(*selectors.READERS)
def job_list(request):
    partner = request.user.partner
    max_bytes, max_rows, max_columns = limits()
    return render(
        request,
        "batchpredictions/list.html",
        {
            "jobs": selectors.batch_prediction_list(partner=partner)[:100],
            "can_run": request.user.has_any_role(*selectors.RUNNERS),
            "models": selectors.scorable_models(partner=partner),
            "flows": selectors.scorable_flows(partner=partner),
            "max_megabytes": max_bytes / (1024 * 1024),
            "max_rows": max_rows,
            "max_columns": max_columns,
            "retention_days": settings.BATCH_PREDICTION_RETENTION_DAYS,
        },
    )


@require_POST
@partner_member_required(*selectors.RUNNERS)
def job_submit(request):
    """The form's `target` is `model:<id>` or `flow:<id>`; `file` the CSV."""
    kind, _, target_id = request.POST.get("target", "").partition(":")
    upload = request.FILES.get("file")
    max_bytes = limits()[0]
    if kind not in ("model", "flow") or not target_id:
        messages.error(request, "Choose the model or the flow that scores the file.")
        return redirect("batchpredictions:list")
    if upload is None:
        messages.error(request, "Choose a CSV file to score.")
        return redirect("batchpredictions:list")
    if upload.size > max_bytes:  # refused before it is read
        messages.error(request, f"The file is {upload.size:,} bytes; the limit is {max_bytes:,}.")
        return redirect("batchpredictions:list")
    try:
        job = batch_prediction_submit(
            partner=request.user.partner,
            user=request.user,
            data=upload.read(),
            source_name=upload.name or "",
            **({"model_id": target_id} if kind == "model" else {"flow_id": target_id}),
        )
    except DomainError as error:
        messages.error(request, str(error))
        return redirect("batchpredictions:list")
    return redirect("batchpredictions:job", job_id=job.pk)


def _progress(job):
    return {
        "status": job.status,
        "total": job.total,
        "done": job.done,
        "failed": job.failed,
        "progress": job.progress,
    }


@require_GET
@partner_member_required(*selectors.READERS)
def job_detail(request, job_id):
    job = _job_or_404(request, job_id)
    errors = (
        selectors.rows_with_errors(job=job, limit=ERRORS_SHOWN) if job.status == BatchPredictionStatus.COMPLETED else []
    )
    return render(
        request,
        "batchpredictions/detail.html",
        {"job": job, "progress": _progress(job), "errors": errors, "errors_shown": ERRORS_SHOWN},
    )


@require_GET
@partner_member_required(*selectors.READERS)
def job_progress(request, job_id):
    return JsonResponse(_progress(_job_or_404(request, job_id)))


@require_GET
@partner_member_required(*selectors.READERS)
def job_result(request, job_id):
    job = _job_or_404(request, job_id)
    try:
        lines = batch_prediction_result_rows(job=job, user=request.user)
    except Conflict as error:
        messages.error(request, str(error))
        return redirect("batchpredictions:job", job_id=job.pk)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="batch-prediction-{job.pk}.csv"'
    return response
