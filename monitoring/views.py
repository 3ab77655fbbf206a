"""Monitoring pages: the decision dashboard and the fairness report (risk managers, auditors, partner admins)."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.exceptions import ParameterError

from . import charts, selectors

OUTCOME_LABELS = {"APPROVED": "Approved", "DECLINED": "Declined", "REFERRED": "Referred"}


def readers_only(view):
    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.user.partner_id is None or not request.user.has_any_role(*selectors.READERS):
            raise PermissionDenied("Your role does not open this page.")
        return view(request, *args, **kwargs)

    return wrapped


def _period(request):
    """(period, error, status): a bad date is a 400 naming the parameter, with the default period shown."""
    try:
        return selectors.period_parse(start_text=request.GET.get("from"), end_text=request.GET.get("to")), None, 200
    except ParameterError as error:
        return selectors.period_parse(), error.message, 400


def _series_by_outcome(volume, key):
    return [
        (OUTCOME_LABELS[outcome], charts.OUTCOME_COLOURS[outcome], [key(row, outcome) for row in volume])
        for outcome in selectors.OUTCOMES
    ]


@require_GET
@readers_only
def dashboard(request):
    period, error, status = _period(request)
    data = selectors.dashboard(partner=request.user.partner, period=period)
    volume = data["volume"]
    days = [row["day"].strftime("%d %b") for row in volume]
    performance = data["performance"]
    context = {
        **data,
        "error": error,
        "volume_chart": charts.stacked_bars(
            labels=days,
            series=_series_by_outcome(volume, lambda row, outcome: row[outcome]),
            label="Decisions per day by outcome",
        ),
        "rates_chart": charts.lines(
            labels=days,
            series=_series_by_outcome(volume, lambda row, outcome: row["rates"][outcome]),
            label="Approve, decline and refer rates per day",
        ),
        "reasons_chart": charts.horizontal_bars(
            rows=[(f"{r['code']} {r['text']}"[:40], r["share"], "#1d4f91") for r in data["reasons"][:15]],
            label="Share of decisions citing each reason code",
            percent=True,
            maximum=1.0,
            label_width=300,
        ),
        "stability_charts": [
            (
                entry,
                charts.paired_histogram(
                    labels=[b["label"] for b in entry["bins"]],
                    expected=[b["expected"] for b in entry["bins"]],
                    actual=[b["actual"] for b in entry["bins"]],
                    label=f"Score distribution of {entry['sample'].model}: development sample against recent decisions",
                ),
            )
            for entry in data["stability"]
        ],
        "performance_chart": charts.lines(
            labels=[row["month"].strftime("%b %Y") for row in performance],
            series=[
                ("AUC", charts.SERIES_COLOURS[0], [row["auc"] for row in performance]),
                ("KS", charts.SERIES_COLOURS[1], [row["ks"] for row in performance]),
            ],
            label="AUC and KS of the origination score by origination month",
            percent=False,
            maximum=1.0,
        )
        if performance
        else None,
        "max_decrypted": selectors.MAX_DECRYPTED,
    }
    return render(request, "monitoring/dashboard.html", context, status=status)


@require_GET
@readers_only
def fairness(request):
    period, error, status = _period(request)
    data = selectors.fairness_report(
        partner=request.user.partner,
        period=period,
        attribute=request.GET.get("attribute") or None,
        reference=request.GET.get("reference") or None,
    )
    groups = data["report"]["groups"]
    context = {
        **data,
        "error": error,
        "applications_total": sum(entry["applications"] for entry in groups),
        "approval_chart": charts.horizontal_bars(
            rows=[
                (
                    entry["group"],
                    entry["approvalRate"],
                    "#b42318" if entry["belowFourFifths"] else "#1d4f91",
                )
                for entry in groups
            ],
            label="Approval rate per group",
            percent=True,
            maximum=1.0,
        )
        if groups
        else None,
        "ratio_chart": charts.horizontal_bars(
            rows=[
                (entry["group"], entry["ratio"] or 0.0, "#b42318" if entry["belowFourFifths"] else "#067647")
                for entry in groups
            ],
            label="Approval-rate ratio to the reference group, with the four-fifths line",
            percent=True,
            maximum=max([1.0, *((entry["ratio"] or 0.0) for entry in groups)]),
            threshold=0.8,
        )
        if groups
        else None,
    }
    return render(request, "monitoring/fairness.html", context, status=status)
