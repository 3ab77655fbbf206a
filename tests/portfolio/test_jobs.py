import time

import pytest

from decisioning.demo import demo_load
from portfolio import drift
from portfolio.demo import demo_loans_load
from portfolio.models import JobStatus, Loan, LoanStatus, ReevaluationResult
from portfolio.selectors import migration_matrix
from portfolio.services.jobs import reevaluation_job_submit


def _wait_until_finished(job, timeout=180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status not in (JobStatus.QUEUED, JobStatus.RUNNING):
            return job
        time.sleep(0.2)
    raise AssertionError(f"the job is still {job.status} after {timeout} s ({job.done} of {job.total})")


@pytest.mark.django_db(transaction=True)
def test_a_job_over_the_demo_book_writes_one_result_per_loan_and_its_matrix_sums_to_the_book(celery_worker_process):
    """On the worker when REDIS_URL is set (CI's PostgreSQL + Redis run), eagerly otherwise."""
    demo = demo_load(out=lambda *_: None)
    partner = demo["partner"]
    assert demo_loans_load(partner=partner) == 9857
    book = Loan.objects.filter(partner=partner, status__in=[LoanStatus.CURRENT, LoanStatus.DELINQUENT])
    job = _wait_until_finished(reevaluation_job_submit(partner=partner, user=None, chunk_size=2000))
    assert job.status == JobStatus.COMPLETED, job.error
    assert job.total == book.count() and job.done + job.failed == job.total
    results = ReevaluationResult.objects.filter(job=job)
    assert results.count() == book.count()
    assert set(results.values_list("loan_id", flat=True)) == set(book.values_list("pk", flat=True))
    assert job.failed == 0, list(results.exclude(error="").values_list("error", flat=True)[:3])
    matrix = migration_matrix(job=job)
    assert sum(n for row in matrix["rows"].values() for n in row.values()) == book.count()
    # Every loan now has its latest score, PD and grade.
    assert not book.filter(last_grade="").exists()
    assert set(book.values_list("last_grade", flat=True)) <= set("ABCDEFG")

    # PSI of an argument, computed directly from the decrypted book against the import baseline.
    baseline = partner.portfolio_settings.baseline["annualIncome"]
    actual = drift.count_into({}, baseline, [loan.attributes["annualIncome"] for loan in book])
    assert job.psi["arguments"]["annualIncome"]["actual"] == actual
    assert job.psi["arguments"]["annualIncome"]["psi"] == pytest.approx(drift.psi(baseline["counts"], actual), abs=1e-6)
    # The first job's scores are the origination scores: no drift.
    assert job.psi["score"]["psi"] == pytest.approx(0.0, abs=1e-9)

    # A second job: previous grades are the first job's; the matrix still sums to the book.
    second = _wait_until_finished(reevaluation_job_submit(partner=partner, user=None, chunk_size=5000))
    matrix = migration_matrix(job=second)
    assert "" not in matrix["rows"]
    assert sum(n for row in matrix["rows"].values() for n in row.values()) == book.count()
