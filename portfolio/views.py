"""Portfolio pages: job list, job page (live progress, migration, PSI chart, early warnings), CSV export, schedule."""

import csv
import itertools
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.html import escape
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.exceptions import DomainError, NotFound

from . import drift, selectors
from .services import schedule as schedule_services
from .services.jobs import reevaluation_job_submit

EARLY_WARNINGS_SHOWN = 200


def role_required(*allowed):
    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.user.partner_id is None or not request.user.has_any_role(*allowed):
                raise PermissionDenied("Your role does not allow this page.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def _job_or_404(request, job_id):
    try:
        return selectors.job_get(partner=request.user.partner, job_id=job_id)
    except NotFound:
        raise Http404("No such job.") from None


@require_GET
@role_required(*selectors.READERS)
def job_list(request):
    return render(
        request,
        "portfolio/job_list.html",
        {
            "jobs": selectors.job_list(partner=request.user.partner)[:100],
            "can_run": request.user.has_any_role(*selectors.RUNNERS),
            "loans": selectors.loan_list(partner=request.user.partner).count(),
        },
    )


@require_POST
@role_required(*selectors.RUNNERS)
def job_submit(request):
    try:
        job = reevaluation_job_submit(partner=request.user.partner, user=request.user)
    except DomainError as error:
        messages.error(request, str(error))
        return redirect("portfolio:jobs")
    return redirect("portfolio:job", job_id=job.pk)


def _progress(job):
    return {"status": job.status, "total": job.total, "done": job.done, "failed": job.failed, "progress": job.progress}


@require_GET
@role_required(*selectors.READERS)
def job_detail(request, job_id):
    job = _job_or_404(request, job_id)
    matrix = selectors.migration_matrix(job=job)
    grid = [
        (source or "(none)", [matrix["rows"].get(source, {}).get(target, 0) for target in matrix["grades"]])
        for source in matrix["grades"]
        if source in matrix["rows"]
    ]
    psi_rows = []
    if job.psi:
        psi_rows = [("score", job.psi["score"])] + sorted(job.psi.get("arguments", {}).items())
    return render(
        request,
        "portfolio/job_detail.html",
        {
            "job": job,
            "progress": _progress(job),
            "grades": [g or "(none)" for g in matrix["grades"]],
            "grid": grid,
            "psi_rows": psi_rows,
            "warnings": selectors.early_warnings(job=job)[:EARLY_WARNINGS_SHOWN],
            "warning_count": selectors.early_warnings(job=job).count(),
        },
    )


@require_GET
@role_required(*selectors.READERS)
def job_progress(request, job_id):
    return JsonResponse(_progress(_job_or_404(request, job_id)))


class _Echo:
    def write(self, value):
        return value


@require_GET
@role_required(*selectors.READERS)
def job_export(request, job_id):
    """Every result of the job as CSV (plain columns only; the attributes stay encrypted)."""
    job = _job_or_404(request, job_id)
    writer = csv.writer(_Echo())
    header = [
        "external_id",
        "score",
        "probability_of_default",
        "grade",
        "previous_grade",
        "previous_probability_of_default",
        "pd_increase",
        "into_high_risk",
        "knockout_fails",
        "knockout_reasons",
        "error",
    ]
    rows = job.results.order_by("loan_id").values_list("loan__external_id", *header[1:]).iterator(chunk_size=5000)
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in itertools.chain([header], rows)), content_type="text/csv"
    )
    response["Content-Disposition"] = f'attachment; filename="reevaluation-{job.pk}.csv"'
    return response


@require_GET
@role_required(*selectors.READERS)
def job_psi_svg(request, job_id):
    """A bar chart of PSI per variable, with the 0.1 and 0.25 thresholds, drawn on the server."""
    job = _job_or_404(request, job_id)
    rows = ([("score", job.psi["score"])] + sorted(job.psi.get("arguments", {}).items())) if job.psi else []
    bar_height, label_width, chart_width = 18, 340, 420
    scale_max = max([0.3] + [entry["psi"] for _, entry in rows])
    height = max(40, len(rows) * (bar_height + 6) + 30)
    colours = {drift.STABLE: "#067647", drift.WATCH: "#b54708", drift.SHIFT: "#b42318"}
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_width + chart_width + 80}" height="{height}" '
        f'role="img" aria-label="Population stability index per variable" font-family="sans-serif" font-size="12">'
    ]
    for threshold in (0.1, 0.25):
        x = label_width + chart_width * threshold / scale_max
        parts.append(
            f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{height - 20}" stroke="#98a2b3" stroke-dasharray="4 3"/>'
            f'<text x="{x:.1f}" y="{height - 6}" text-anchor="middle" fill="#616e7c">{threshold}</text>'
        )
    for position, (name, entry) in enumerate(rows):
        y = position * (bar_height + 6) + 4
        width = max(1.0, chart_width * entry["psi"] / scale_max)
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 13}" text-anchor="end">{escape(name)}</text>'
            f'<rect x="{label_width}" y="{y}" width="{width:.1f}" height="{bar_height}" fill="{colours[entry["band"]]}">'
            f"<title>{escape(name)}: {entry['psi']:.4f} ({entry['band']})</title></rect>"
            f'<text x="{label_width + width + 6:.1f}" y="{y + 13}">{entry["psi"]:.3f} {entry["band"]}</text>'
        )
    parts.append("</svg>")
    return HttpResponse("".join(parts), content_type="image/svg+xml")


@require_http_methods(["GET", "POST"])
@role_required(*selectors.RUNNERS)
def schedule(request):
    """The partner's periodic re-evaluation (Celery beat): only this job, never the raw task table."""
    partner = request.user.partner
    if request.method == "POST":
        try:
            schedule_services.reevaluation_schedule_set(
                partner=partner,
                actor=request.user,
                enabled=request.POST.get("enabled") == "on",
                minute=request.POST.get("minute", "0"),
                hour=request.POST.get("hour", "2"),
                day_of_week=request.POST.get("day_of_week", "*"),
            )
            messages.success(request, "Schedule saved.")
        except DomainError as error:
            messages.error(request, str(error))
        return redirect("portfolio:schedule")
    return render(
        request, "portfolio/schedule.html", {"schedule": schedule_services.reevaluation_schedule_get(partner=partner)}
    )
