import time

import pytest

from decisioning.demo import demo_load
from portfolio import drift
from portfolio.demo import demo_loans_load
from portfolio.models import GradeBand, JobStatus, Loan, LoanLatestEvaluation, LoanStatus, ReevaluationResult
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
    # Every loan now has its latest score, PD and grade, set by this job.
    latest = LoanLatestEvaluation.objects.filter(loan__in=book)
    assert latest.count() == book.count() and not book.filter(latest__isnull=True).exists()
    assert set(latest.values_list("grade", flat=True)) <= set("ABCDEFG")
    assert set(latest.values_list("job_id", flat=True)) == {job.pk}

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
    assert latest.count() == book.count()
    assert set(latest.values_list("job_id", flat=True)) == {second.pk}


def _loan_rows(loans):
    """{loan id: (xmin, ctid, xmax, ciphertext)} on PostgreSQL: a rewritten row has a new xmin and
    ctid; a row locked (as a foreign-key check locks the row it refers to) has a new xmax."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, xmin::text, ctid::text, xmax::text, md5(attributes) FROM {Loan._meta.db_table} WHERE id = ANY(%s)",
            [list(loans)],
        )
        return {row[0]: row[1:] for row in cursor.fetchall()}


def _run(job):
    from portfolio.services.chunks import reevaluation_chunk_run

    for chunk in job.chunks.order_by("index"):
        reevaluation_chunk_run(chunk_id=chunk.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED, job.error
    return job


@pytest.mark.django_db(transaction=True)
def test_jobs_write_narrow_latest_rows_with_the_drift_baseline_and_never_rewrite_a_loan_row(monkeypatch):
    """The latest score, PD and grade live in one narrow row per loan, with the loan's drift baseline
    (its imported origination score, else its first re-evaluation's); a loan's own (wide, encrypted)
    row is never written by a job."""
    from django.db import connection

    from portfolio import evaluation
    from portfolio.services.jobs import reevaluation_job_create

    partner = demo_load(out=lambda *_: None)["partner"]
    demo_loans_load(partner=partner, limit=300)
    book = Loan.objects.filter(partner=partner, status__in=[LoanStatus.CURRENT, LoanStatus.DELINQUENT])
    ids = sorted(book.values_list("pk", flat=True))
    assert len(ids) > 100 and not book.filter(origination_score__isnull=False).exists()
    assert not LoanLatestEvaluation.objects.exists()
    # A loan imported with its origination score: the first job writes its latest row only.
    imported = ids[-1]
    Loan.objects.filter(pk=imported).update(origination_score=0.5)
    before = _loan_rows(ids) if connection.vendor == "postgresql" else None

    first = _run(reevaluation_job_create(partner=partner, user=None, chunk_size=100))
    first_results = {r.loan_id: r for r in first.results.all()}
    assert all(not r.error and r.score is not None for r in first_results.values())
    # Each loan has one latest row; its baseline is the imported score, else the first job's score.
    assert LoanLatestEvaluation.objects.filter(loan__in=ids, job=first).count() == len(ids)
    assert dict(LoanLatestEvaluation.objects.filter(loan__in=ids).values_list("loan_id", "origination_score")) == {
        i: 0.5 if i == imported else first_results[i].score for i in ids
    }
    assert dict(book.values_list("pk", "origination_score")) == {i: 0.5 if i == imported else None for i in ids}
    if before is not None:
        assert _loan_rows(ids) == before, "a loan row was written or locked by the first job"

    # A loan never evaluated (no latest row) since: one. The second job's grades differ (new bands).
    fresh, failing = ids[0], ids[1]
    LoanLatestEvaluation.objects.filter(loan_id=fresh).delete()
    GradeBand.objects.create(partner=partner, grade="LOW", max_probability_of_default=0.12)
    GradeBand.objects.create(partner=partner, grade="HIGH", max_probability_of_default=None)
    # One loan's evaluation fails in the second job: its latest stays the first job's.
    evaluate_batch = evaluation.evaluate_batch
    failing_position = {}

    def evaluate_batch_failing_one(plan, columns, count):
        outcome = evaluate_batch(plan, columns, count)
        if "at" in failing_position:
            outcome.errors[failing_position.pop("at")] = "step score: failed for this test"
        return outcome

    monkeypatch.setattr(evaluation, "evaluate_batch", evaluate_batch_failing_one)
    second = reevaluation_job_create(partner=partner, user=None, chunk_size=100)
    failing_position["at"] = second.chunks.get(index=0).loan_ids.index(failing)
    before = _loan_rows(ids) if connection.vendor == "postgresql" else None
    second = _run(second)
    assert not failing_position, "the failure was not injected"

    second_results = {r.loan_id: r for r in second.results.all()}
    assert second_results[failing].error and second.failed == 1
    latest = {row.loan_id: row for row in LoanLatestEvaluation.objects.filter(loan__in=ids)}
    assert sorted(latest) == ids  # still one per loan
    for loan_id in ids:
        row, result = latest[loan_id], second_results[loan_id]
        if loan_id == failing:
            earlier = first_results[failing]
            assert (row.job_id, row.score, row.probability_of_default, row.grade) == (
                first.pk,
                earlier.score,
                earlier.probability_of_default,
                earlier.grade,
            )
            continue
        assert (row.job_id, row.score, row.probability_of_default, row.grade) == (
            second.pk,
            result.score,
            result.probability_of_default,
            result.grade,
        )
        assert row.grade in ("LOW", "HIGH") and row.evaluated_at >= second.created
        # The early-warning inputs were the first job's latest values (none for the never-evaluated loan).
        assert (result.previous_grade, result.previous_probability_of_default) == (
            ("", None)
            if loan_id == fresh
            else (first_results[loan_id].grade, first_results[loan_id].probability_of_default)
        )
    # Baselines are set once: kept from the first job, the never-evaluated loan's from the second,
    # and the second job's results carry them (what its PSI compares against).
    origination = dict(LoanLatestEvaluation.objects.filter(loan__in=ids).values_list("loan_id", "origination_score"))
    assert origination[fresh] == second_results[fresh].score
    assert all(origination[i] == first_results[i].score for i in ids if i not in (fresh, imported))
    assert origination[imported] == 0.5
    assert {i: second_results[i].origination_score for i in ids} == origination
    if before is not None:
        assert _loan_rows(ids) == before, "a loan row was written or locked by the second job"

    # Neither link is a database constraint: deleting a loan or a job goes through Django.
    Loan.objects.filter(pk=fresh).delete()
    assert not LoanLatestEvaluation.objects.filter(loan_id=fresh).exists()
    second_id = second.pk
    second.delete()
    assert not LoanLatestEvaluation.objects.filter(job_id=second_id).exists()
    assert LoanLatestEvaluation.objects.filter(loan__in=ids, job__isnull=True).count() == len(ids) - 2
