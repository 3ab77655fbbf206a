"""Partner-scoped reads for the monitoring dashboard and the fairness report.

Counts by day, outcome and review result are computed by the database on plain columns. Only what
exists nowhere else is decrypted: the decisions' outputs (score and reasons) and the protected
characteristics, for at most MAX_DECRYPTED of the most recent decisions in the period.
"""

import datetime
from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, Q
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone

from core.exceptions import ParameterError
from decisioning.models import Decision, Outcome, ReviewCase, ReviewStatus
from modelregistry.models import FieldType, PredictiveModelField
from partners import roles
from portfolio import drift
from portfolio.models import Loan, LoanStatus

from . import fairness
from .models import DevelopmentSample, ProtectedCharacteristics

READERS = (roles.RISK_MANAGER, roles.AUDITOR, roles.PARTNER_ADMIN)
MAX_DECRYPTED = 20_000
MAX_DAYS = 366
DEFAULT_DAYS = 30
PERFORMANCE_MONTHS = 24
MAX_PERFORMANCE_LOANS = 200_000
# A loan that fell behind or was charged off is bad; current and closed loans are good.
BAD_STATUSES = (LoanStatus.DELINQUENT, LoanStatus.CHARGED_OFF)
OUTCOMES = (Outcome.APPROVED, Outcome.DECLINED, Outcome.REFERRED)
# The cut-off's recommendation (ReviewCase.score_band) as the outcome an underwriter may follow or not.
RECOMMENDED = {"APPROVE": Outcome.APPROVED, "DECLINE": Outcome.DECLINED}


@dataclass(frozen=True)
class Period:
    """Days `start` to `end`, both included, in the site's time zone."""

    start: datetime.date
    end: datetime.date

    @property
    def bounds(self):
        zone = timezone.get_current_timezone()
        low = datetime.datetime.combine(self.start, datetime.time.min, tzinfo=zone)
        high = datetime.datetime.combine(self.end + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone)
        return low, high

    @property
    def days(self):
        return [self.start + datetime.timedelta(days=n) for n in range((self.end - self.start).days + 1)]


def period_parse(*, start_text=None, end_text=None, today=None) -> Period:
    """The period a page asked for (`from`, `to` as YYYY-MM-DD); the last 30 days by default."""
    today = today or timezone.localdate()

    def parse(text, parameter, default):
        if not text:
            return default
        try:
            return datetime.date.fromisoformat(text.strip())
        except ValueError:
            raise ParameterError(parameter, f"{parameter} must be a date as YYYY-MM-DD, not {text[:40]!r}.") from None

    end = parse(end_text, "to", today)
    start = parse(start_text, "from", end - datetime.timedelta(days=DEFAULT_DAYS - 1))
    if start > end:
        raise ParameterError("from", "from must not be after to.")
    if (end - start).days >= MAX_DAYS:
        raise ParameterError("from", f"Choose at most {MAX_DAYS} days.")
    return Period(start, end)


def decisions_in(*, partner, period):
    low, high = period.bounds
    return Decision.objects.filter(partner=partner, created__gte=low, created__lt=high)


def decision_volume(*, partner, period) -> list:
    """[{"day", "APPROVED", "DECLINED", "REFERRED", "total", "rates": {outcome: share}}] for every day of the period."""
    counts = (
        decisions_in(partner=partner, period=period)
        .annotate(day=TruncDate("created", tzinfo=timezone.get_current_timezone()))
        .values_list("day", "outcome")
        .annotate(number=Count("id"))
        .order_by()
    )
    by_day = {day: dict.fromkeys(OUTCOMES, 0) for day in period.days}
    for day, outcome, number in counts:
        if day in by_day and outcome in by_day[day]:
            by_day[day][outcome] = number
    rows = []
    for day, numbers in by_day.items():
        total = sum(numbers.values())
        rows.append(
            {
                "day": day,
                **numbers,
                "total": total,
                "rates": {outcome: (numbers[outcome] / total if total else None) for outcome in OUTCOMES},
            }
        )
    return rows


def outcome_totals(volume) -> dict:
    totals = {outcome: sum(row[outcome] for row in volume) for outcome in OUTCOMES}
    total = sum(totals.values())
    return {
        "total": total,
        "counts": totals,
        "rates": {outcome: (totals[outcome] / total if total else None) for outcome in OUTCOMES},
    }


def override_summary(*, partner, period) -> dict:
    """Review cases decided in the period whose outcome differs from the cut-off's recommendation."""
    low, high = period.bounds
    recommended = Q(score_band__in=list(RECOMMENDED))
    differs = Q(score_band="APPROVE") & ~Q(decided_outcome=Outcome.APPROVED) | Q(score_band="DECLINE") & ~Q(
        decided_outcome=Outcome.DECLINED
    )
    counts = ReviewCase.objects.filter(
        partner=partner, status=ReviewStatus.DECIDED, decided_at__gte=low, decided_at__lt=high
    ).aggregate(
        decided=Count("id"),
        with_recommendation=Count("id", filter=recommended),
        differing=Count("id", filter=recommended & differs),
        declines_approved=Count("id", filter=Q(is_override=True)),
    )
    counts["rate"] = counts["differing"] / counts["with_recommendation"] if counts["with_recommendation"] else None
    return counts


def _decrypted_outputs(decisions):
    """{decision id: outputs} of the most recent MAX_DECRYPTED decisions (the application stays encrypted)."""
    return dict(decisions.order_by("-created").values_list("pk", "outputs")[:MAX_DECRYPTED])


def reason_code_frequencies(outputs_by_decision) -> list:
    """[{"code", "kind", "text", "decisions", "share"}]: how many decisions cite each reason, most cited first."""
    counts, described = Counter(), {}
    for outputs in outputs_by_decision.values():
        codes = set()
        for reason in (outputs or {}).get("reasons") or []:
            code = reason.get("code") if isinstance(reason, dict) else None
            if code:
                codes.add(code)
                described.setdefault(code, (reason.get("kind", ""), reason.get("text", "")))
        counts.update(codes)
    total = len(outputs_by_decision)
    return [
        {
            "code": code,
            "kind": described[code][0],
            "text": described[code][1],
            "decisions": number,
            "share": number / total if total else 0.0,
        }
        for code, number in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]


def _bin_labels(edges):
    """Readable ranges for drift's numeric bins: "0" is below the first edge, "n" at or above the last."""
    labels = {}
    for index in range(len(edges) + 1):
        if index == 0:
            labels[str(index)] = f"< {edges[0]:g}" if edges else "all"
        elif index == len(edges):
            labels[str(index)] = f"≥ {edges[-1]:g}"
        else:
            labels[str(index)] = f"{edges[index - 1]:g}–{edges[index]:g}"
    return labels


def score_stability(*, partner, decisions, outputs_by_decision) -> list:
    """PSI of recent decisions' scores against each development sample whose model scored them."""
    results = []
    for sample in DevelopmentSample.objects.filter(partner=partner).select_related("model").order_by("-created"):
        scored_by_model = set(
            decisions.filter(flow__score_field=sample.score_field, steps__model=sample.model).values_list(
                "pk", flat=True
            )
        )
        scores = [
            (outputs or {}).get("score")
            for pk, outputs in outputs_by_decision.items()
            if pk in scored_by_model and isinstance((outputs or {}).get("score"), (int, float))
        ]
        if not scores:
            continue
        spec = sample.spec
        expected = {key: int(count) for key, count in spec["counts"].items()}
        actual = drift.count_into({}, spec, scores)
        value = drift.psi(expected, actual)
        labels = _bin_labels(spec["edges"])
        keys = sorted(
            set(expected) | set(actual), key=lambda key: (not key.isdigit(), int(key) if key.isdigit() else 0)
        )
        expected_total, actual_total = sum(expected.values()), sum(actual.values())
        results.append(
            {
                "sample": sample,
                "psi": value,
                "band": drift.band(value),
                "decisions": len(scores),
                "bins": [
                    {
                        "label": labels.get(key, key),
                        "expected": expected.get(key, 0) / expected_total,
                        "actual": actual.get(key, 0) / actual_total,
                    }
                    for key in keys
                ],
            }
        )
    return results


def loan_performance(*, partner) -> list:
    """AUC and KS of the score at origination against the loans' outcomes, per origination month.

    The score is the loan's origination score, or its decision's score when the loan has none.
    Months with both good and bad loans only; the latest PERFORMANCE_MONTHS months with outcomes.
    """
    loans = Loan.objects.filter(partner=partner)
    latest = loans.order_by("-origination_date").values_list("origination_date", flat=True).first()
    if latest is None:
        return []
    months = latest.year * 12 + latest.month - 1 - (PERFORMANCE_MONTHS - 1)
    first_month = datetime.date(months // 12, months % 12 + 1, 1)
    rows = list(
        loans.filter(origination_date__gte=first_month)
        .filter(Q(origination_score__isnull=False) | Q(decision__isnull=False))
        .annotate(month=TruncMonth("origination_date"))
        .order_by("-origination_date")
        .values_list("month", "status", "origination_score", "decision_id")[:MAX_PERFORMANCE_LOANS]
    )
    missing = [decision_id for _, _, score, decision_id in rows if score is None]
    decision_scores = {}
    for start in range(0, len(missing), 5000):
        for pk, outputs in Decision.objects.filter(pk__in=missing[start : start + 5000]).values_list("pk", "outputs"):
            score = (outputs or {}).get("score")
            if isinstance(score, (int, float)):
                decision_scores[pk] = score
    by_month = {}
    for month, status, score, decision_id in rows:
        score = score if score is not None else decision_scores.get(decision_id)
        if score is not None:
            by_month.setdefault(month, []).append((status in BAD_STATUSES, score))
    return [_month_metrics(month, pairs) for month, pairs in sorted(by_month.items())]


def _month_metrics(month, pairs):
    bads = sum(1 for is_bad, _ in pairs if is_bad)
    row = {"month": month, "loans": len(pairs), "bads": bads, "auc": None, "ks": None}
    if 0 < bads < len(pairs):
        # scikit-learn is imported when a month has outcomes to measure, not on start-up.
        from sklearn.metrics import roc_auc_score

        from modelregistry.training.metrics import ks_statistic

        is_bad = [int(flag) for flag, _ in pairs]
        # Higher scores are better: a bad loan's "risk" is the negated score.
        risk = [-score for _, score in pairs]
        row["auc"] = float(roc_auc_score(is_bad, risk))
        row["ks"] = ks_statistic(is_bad, risk)
    return row


def dashboard(*, partner, period) -> dict:
    decisions = decisions_in(partner=partner, period=period)
    volume = decision_volume(partner=partner, period=period)
    outputs = _decrypted_outputs(decisions)
    return {
        "period": period,
        "volume": volume,
        "totals": outcome_totals(volume),
        "overrides": override_summary(partner=partner, period=period),
        "reasons": reason_code_frequencies(outputs),
        "decrypted": len(outputs),
        "stability": score_stability(partner=partner, decisions=decisions, outputs_by_decision=outputs),
        "performance": loan_performance(partner=partner),
    }


def protected_fields_used_by_models(*, partner):
    """The partner's model fields that take a protected dictionary field as an argument."""
    return (
        PredictiveModelField.objects.filter(
            model__partner=partner, field_type=FieldType.ARGUMENT, supported_field__protected=True
        )
        .select_related("model", "supported_field", "protected_use_allowed_by")
        .order_by("model__name", "model__version", "name")
    )


def fairness_report(*, partner, period, attribute=None, reference=None) -> dict:
    """The report for one protected characteristic over the decisions of the period.

    Approved means the outcome that stands (`final_outcome`, after review) is APPROVED; a loan's
    outcome counts where the decision is linked to a loan (bad: delinquent or charged off).
    """
    records = list(
        ProtectedCharacteristics.objects.filter(decision__in=decisions_in(partner=partner, period=period))
        .order_by("-decision__created")
        .values_list("decision_id", "values", "synthetic", "decision__final_outcome")[:MAX_DECRYPTED]
    )
    attributes = sorted({name for _, values, _, _ in records for name in (values or {})})
    if attribute not in attributes:
        attribute = attributes[0] if attributes else None
    statuses = dict(
        Loan.objects.filter(partner=partner, decision_id__in=[record[0] for record in records]).values_list(
            "decision_id", "status"
        )
    )
    applicants = [
        fairness.Applicant(
            group=str(values[attribute]),
            approved=final_outcome == Outcome.APPROVED,
            good=(statuses[decision_id] not in BAD_STATUSES) if decision_id in statuses else None,
        )
        for decision_id, values, _, final_outcome in records
        if attribute and (values or {}).get(attribute) is not None
    ]
    return {
        "period": period,
        "attribute": attribute,
        "attributes": attributes,
        "records": len(records),
        "synthetic": sum(1 for record in records if record[2]),
        "report": fairness.report(applicants, reference=reference),
        "models_using_protected": list(protected_fields_used_by_models(partner=partner)),
    }
