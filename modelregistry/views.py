"""The training page: upload historical loans (or take the portfolio's), confirm the column mapping, train in the worker, read the card.

The training package (pandas, scikit-learn, LightGBM …) is imported inside the views, on first use:
start-up paths (manage.py check, a web worker starting) stay light, as modelregistry/engines.py keeps them.
"""

from django.conf import settings
from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.exceptions import DomainError, NotFound
from partners.views import partner_member_required

from .charts import calibration_svg
from .models import TrainingJobStatus
from .selectors import TRAINERS, training_job_get, training_job_list

ALGORITHM_LABELS = {
    "scorecard": "Scorecard (binned logistic regression, points and reason codes)",
    "logistic": "Logistic regression",
    "random_forest": "Random forest",
    "lightgbm": "LightGBM (gradient-boosted trees)",
    "xgboost": "XGBoost (gradient-boosted trees)",
    "svm": "SVM with calibrated probabilities (at most 5,000 sampled rows)",
}


def _job_or_404(request, job_id):
    try:
        return training_job_get(partner=request.user.partner, job_id=job_id)
    except NotFound:
        raise Http404("No such training job.") from None


@require_http_methods(["GET", "POST"])
@partner_member_required(*TRAINERS)
def training(request):
    from .training import ALGORITHMS
    from .training.jobs import training_job_create, training_job_create_from_portfolio

    partner = request.user.partner
    form = {
        "source": "file",
        "target": "",
        "bad_value": "",
        "algorithm": "scorecard",
        "name": "",
        "date_column": "",
        "sample_rows": "",
    }
    if request.method == "POST":
        form.update({key: request.POST.get(key, default).strip() for key, default in form.items()})
        upload = request.FILES.get("file")
        max_bytes = settings.TRAINING_UPLOAD_MAX_BYTES
        if form["sample_rows"] and not form["sample_rows"].isdigit():
            messages.error(request, "Sample rows: a whole number, or empty for all rows.")
        elif form["source"] == "portfolio":
            try:
                job = training_job_create_from_portfolio(
                    partner=partner,
                    user=request.user,
                    algorithm=form["algorithm"],
                    name=form["name"],
                    sample_rows=int(form["sample_rows"]) if form["sample_rows"] else None,
                )
            except DomainError as error:
                messages.error(request, str(error))
            else:
                return redirect("modelregistry:training-job", job_id=job.pk)
        elif form["source"] != "file":
            messages.error(request, "Choose the data: a CSV file or the portfolio's loans.")
        elif upload is None:
            messages.error(request, "Choose a CSV file of historical loans.")
        elif upload.size > max_bytes:  # refused before it is read
            messages.error(request, f"The file is {upload.size:,} bytes; the limit is {max_bytes:,}.")
        else:
            try:
                job = training_job_create(
                    partner=partner,
                    user=request.user,
                    data=upload.read(),
                    source_name=upload.name or "",
                    target=form["target"],
                    bad_value=form["bad_value"],
                    algorithm=form["algorithm"],
                    name=form["name"],
                    date_column=form["date_column"],
                    sample_rows=int(form["sample_rows"]) if form["sample_rows"] else None,
                )
            except DomainError as error:
                messages.error(request, str(error))
            else:
                return redirect("modelregistry:training-job", job_id=job.pk)
    return render(
        request,
        "modelregistry/training.html",
        {
            "form": form,
            "algorithms": [(name, ALGORITHM_LABELS.get(name, name)) for name in ALGORITHMS],
            "jobs": training_job_list(partner=partner)[:50],
            "max_megabytes": settings.TRAINING_UPLOAD_MAX_BYTES / (1024 * 1024),
            "portfolio_max_rows": f"{settings.TRAINING_PORTFOLIO_MAX_ROWS:,}",
        },
    )


def _progress(job):
    return {"status": job.status, "progress": job.progress, "stage": job.stage}


@require_GET
@partner_member_required(*TRAINERS)
def training_job(request, job_id):
    job = _job_or_404(request, job_id)
    card = job.model.model_card if job.model_id and job.model.model_card else None
    metrics = (card or {}).get("metrics", {})
    return render(
        request,
        "modelregistry/training_job.html",
        {
            "job": job,
            "progress": _progress(job),
            "algorithm_label": ALGORITHM_LABELS.get(job.algorithm, job.algorithm),
            "matched": sorted(job.mapping.get("matched", {}).items()),
            "proposed": sorted(job.mapping.get("proposed", {}).items()),
            "protected": job.mapping.get("protected", []),
            "card": card,
            "cv": metrics.get("crossValidation"),
            "oot": metrics.get("outOfTime"),
            "calibration_chart": calibration_svg(metrics.get("crossValidation", {}).get("calibration", []))
            if card
            else "",
            "waiting": job.status in (TrainingJobStatus.QUEUED, TrainingJobStatus.RUNNING),
        },
    )


@require_POST
@partner_member_required(*TRAINERS)
def training_job_confirm_view(request, job_id):
    from .training.jobs import training_job_confirm

    job = _job_or_404(request, job_id)
    try:
        training_job_confirm(job=job, user=request.user)
    except DomainError as error:
        messages.error(request, str(error))
    return redirect("modelregistry:training-job", job_id=job.pk)


@require_GET
@partner_member_required(*TRAINERS)
def training_job_progress(request, job_id):
    return JsonResponse(_progress(_job_or_404(request, job_id)))
