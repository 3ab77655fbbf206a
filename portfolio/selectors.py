"""Partner-scoped reads of loans and re-evaluation jobs."""

from django.db.models import Count, Q

from core.exceptions import NotFound
from core.ids import parse_uuid
from partners import roles

from .models import Loan, ReevaluationJob

# Run jobs and read them; the auditor reads.
RUNNERS = (roles.RISK_MANAGER,)
READERS = (roles.RISK_MANAGER, roles.AUDITOR)


def job_list(*, partner):
    return ReevaluationJob.objects.filter(partner=partner).select_related("flow")


def job_get(*, partner, job_id) -> ReevaluationJob:
    pk = parse_uuid(job_id)
    job = job_list(partner=partner).filter(pk=pk).first() if pk else None
    if job is None:
        raise NotFound(f"No re-evaluation job {job_id}.")
    return job


def migration_matrix(*, job) -> dict:
    """{"grades": [...], "rows": {from: {to: count}}} over the job's results ("" = not graded before)."""
    counts = job.results.values_list("previous_grade", "grade").annotate(n=Count("id")).order_by()
    rows, grades = {}, set()
    for previous, current, number in counts:
        rows.setdefault(previous, {})[current] = number
        grades.update((previous, current))
    return {"grades": sorted(grades, key=lambda g: (g == "", g)), "rows": rows}


def early_warnings(*, job):
    return (
        job.results.filter(Q(pd_increase=True) | Q(into_high_risk=True) | Q(knockout_fails=True))
        .select_related("loan")
        .order_by("-probability_of_default", "loan_id")
    )


def loan_list(*, partner):
    """The partner's loans, each with its latest evaluation (`loan.latest`) in the same query."""
    return Loan.objects.filter(partner=partner).select_related("latest")
