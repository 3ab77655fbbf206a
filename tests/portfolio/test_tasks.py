import os
import uuid

import pytest
from django.conf import settings
from django.db.models import Count, Sum

from decisioning.demo import demo_load
from portfolio.demo import demo_loans_load
from portfolio.models import (
    JobStatus,
    ReevaluationChunk,
    ReevaluationJob,
    ReevaluationResult,
)
from portfolio.services.chunks import reevaluation_chunk_run
from portfolio.services.jobs import reevaluation_job_create, reevaluation_job_submit
from tests.decisioning.test_tasks import _wait_for, _Worker


@pytest.mark.django_db
def test_a_chunk_delivered_twice_writes_its_results_and_counts_once():
    demo = demo_load(out=lambda *_: None)
    demo_loans_load(partner=demo["partner"], limit=300)
    job = reevaluation_job_create(partner=demo["partner"], user=None, chunk_size=100)
    first = job.chunks.get(index=0)
    assert reevaluation_chunk_run(chunk_id=first.pk) == {"chunk": 0, "written": 100}
    assert reevaluation_chunk_run(chunk_id=first.pk) == {"chunk": 0, "written": 0}  # already done: nothing again
    assert job.results.count() == 100
    for chunk in job.chunks.exclude(pk=first.pk):
        reevaluation_chunk_run(chunk_id=chunk.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED and job.done + job.failed == job.total == job.results.count()
    assert ReevaluationChunk.objects.get(pk=first.pk).runs == 2


@pytest.mark.django_db
def test_a_cancelled_job_writes_nothing_more():
    from portfolio.services.jobs import reevaluation_job_cancel

    demo = demo_load(out=lambda *_: None)
    demo_loans_load(partner=demo["partner"], limit=50)
    job = reevaluation_job_create(partner=demo["partner"], user=None, chunk_size=10)
    reevaluation_job_cancel(job=job, user=None)
    reevaluation_chunk_run(chunk_id=job.chunks.first().pk)
    assert not ReevaluationResult.objects.filter(job=job).exists()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_worker_killed_with_sigkill_mid_chunk_is_redelivered_and_every_loan_has_exactly_one_result(
    subprocess_environment, tmp_path
):
    if not settings.REDIS_URL:
        # Promised in CI (.ci/run sets REDIS_URL): there a missing broker fails; a local SQLite run skips.
        assert not os.environ.get("CI"), "CI promised Redis, but REDIS_URL is not set."
        pytest.skip("Needs the broker and a real worker: set REDIS_URL and DATABASE_URL.")
    # A short visibility timeout for these workers, longer than their task time limit.
    environment = subprocess_environment(CELERY_TASK_TIME_LIMIT="8", CELERY_VISIBILITY_TIMEOUT="10")
    queue = f"portfolio-sigkill-{uuid.uuid4().hex[:8]}"
    log_path = tmp_path / "workers.log"
    first = _Worker(environment, queue, log_path)
    second = None
    try:
        demo = demo_load(out=lambda *_: None)
        demo_loans_load(partner=demo["partner"], limit=3000)
        job = reevaluation_job_submit(partner=demo["partner"], user=None, chunk_size=100, queue=queue)
        chunks = ReevaluationChunk.objects.filter(job=job)

        def mid_chunk():
            return (
                chunks.filter(completed__isnull=False).count() >= 3
                and chunks.filter(completed__isnull=True, runs__gte=1).exists()
            ) or first.process.poll() is not None

        _wait_for(mid_chunk, timeout=40, what="the first worker to be inside a chunk, three chunks done")
        first.kill()
        in_flight = list(chunks.filter(completed__isnull=True, runs__gte=1).values_list("index", flat=True))
        assert in_flight, "the kill came between chunks: " + log_path.read_text()[-3000:]
        assert chunks.filter(completed__isnull=True).exists(), "the job finished before the kill"

        second = _Worker({**environment, "CELERY_RESTORE_INTERVAL": "1"}, queue, log_path)
        _wait_for(
            lambda: ReevaluationJob.objects.get(pk=job.pk).status != JobStatus.RUNNING,
            timeout=45,
            what="the job to complete on the second worker",
        )
    finally:
        first.kill()
        if second is not None:
            second.kill()
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED, log_path.read_text()[-3000:]
    results = ReevaluationResult.objects.filter(job=job)
    assert results.count() == job.total == job.done + job.failed
    assert not results.values("loan").annotate(n=Count("id")).filter(n__gt=1).exists()
    # The chunk the worker was killed in ran again.
    assert ReevaluationChunk.objects.filter(job=job, index__in=in_flight, runs__gte=2).exists()
    assert chunks.aggregate(runs=Sum("runs"))["runs"] > chunks.count()


@pytest.mark.django_db
def test_a_chunk_started_more_than_ten_times_fails_its_job_and_the_failure_stays_recorded():
    from core.exceptions import Conflict
    from portfolio.services.chunks import MAX_RUNS

    demo = demo_load(out=lambda *_: None)
    demo_loans_load(partner=demo["partner"], limit=20)
    job = reevaluation_job_create(partner=demo["partner"], user=None, chunk_size=10)
    poison = job.chunks.get(index=0)
    ReevaluationChunk.objects.filter(pk=poison.pk).update(runs=MAX_RUNS)
    with pytest.raises(Conflict, match=f"started {MAX_RUNS} times without finishing"):
        reevaluation_chunk_run(chunk_id=poison.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "Chunk 0" in job.error
    assert not ReevaluationResult.objects.filter(job=job).exists()


@pytest.mark.django_db(transaction=True)
def test_two_chunks_of_one_job_run_at_the_same_time_without_waiting_for_each_other(monkeypatch):
    """The chunk's lock is its own row only: the job, flow and partner rows stay free for the other workers."""
    import threading

    from django.db import connection, transaction

    from portfolio import evaluation

    if connection.vendor != "postgresql":
        pytest.skip("Row locks: PostgreSQL (DATABASE_URL).")
    demo = demo_load(out=lambda *_: None)
    demo_loans_load(partner=demo["partner"], limit=20)
    job = reevaluation_job_create(partner=demo["partner"], user=None, chunk_size=10)
    first, second = job.chunks.order_by("index")
    inside, release = threading.Event(), threading.Event()
    plan_load = evaluation.plan_load

    def plan_load_pausing_in_the_first_chunk(**kwargs):
        if threading.current_thread().name == "first-chunk":
            inside.set()
            assert release.wait(30)
        return plan_load(**kwargs)

    monkeypatch.setattr(evaluation, "plan_load", plan_load_pausing_in_the_first_chunk)
    outcome = {}

    def run_first():
        try:
            outcome["first"] = reevaluation_chunk_run(chunk_id=first.pk)
        finally:
            connection.close()

    thread = threading.Thread(target=run_first, name="first-chunk")
    thread.start()
    try:
        assert inside.wait(30), "the first chunk did not start"
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '3s'")
            assert reevaluation_chunk_run(chunk_id=second.pk) == {"chunk": 1, "written": len(second.loan_ids)}
    finally:
        release.set()
        thread.join(60)
    assert outcome["first"] == {"chunk": 0, "written": len(first.loan_ids)}
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED and job.results.count() == job.total
