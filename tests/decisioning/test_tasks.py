import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db.models import Count

from core.exceptions import Conflict
from core.models import AuditEvent
from decisioning.demo import demo_decisions_run, demo_load
from decisioning.models import Decision, InsightTransaction, ReplayItem, ReplayJob
from decisioning.services import replay_job_run
from decisioning.tasks import replay_decisions
from partners import roles


def _decisions(count, *, decided=10):
    """`count` demo decisions: `decided` really decided, the rest copies of them with copied steps.

    Copies cost a bulk insert instead of a flow run each, so a replay long enough to be killed in
    the middle is cheap to set up; a copy replays exactly as its original.
    """
    demo = demo_load(out=lambda *_: None)
    demo_decisions_run(partner=demo["partner"], requested_by=demo["people"][roles.PARTNER_SYSTEM][0], count=decided)
    originals = list(Decision.objects.prefetch_related("steps"))
    copies, steps = [], []
    for number in range(count - len(originals)):
        original = originals[number % len(originals)]
        copy = Decision(
            partner_id=original.partner_id,
            flow_id=original.flow_id,
            external_id=f"copy-{number}",
            application=original.application,
            outcome=original.outcome,
            final_outcome=original.final_outcome,
            outputs=original.outputs,
            requested_by_id=original.requested_by_id,
        )
        copies.append(copy)
        for step in original.steps.all():
            steps.append(
                InsightTransaction(
                    partner_id=step.partner_id,
                    model_id=step.model_id,
                    artifact_sha256=step.artifact_sha256,
                    engine_name=step.engine_name,
                    engine_version=step.engine_version,
                    field_mapping=step.field_mapping,
                    arguments=step.arguments,
                    results=step.results,
                    error=step.error,
                    status=step.status,
                    duration_us=step.duration_us,
                    requested_by_id=step.requested_by_id,
                    decision=copy,
                    step_kind=step.step_kind,
                    step_position=step.step_position,
                )
            )
    Decision.objects.bulk_create(copies)
    InsightTransaction.objects.bulk_create(steps)
    return [str(pk) for pk in Decision.objects.order_by("created", "pk").values_list("pk", flat=True)]


def _assert_each_decision_replayed_once(job, ids):
    items = ReplayItem.objects.filter(job=job)
    assert items.count() == len(ids)
    assert sorted(str(pk) for pk in items.values_list("decision_id", flat=True)) == sorted(ids)
    events = AuditEvent.objects.filter(action="decision.replay", data__replayJob=str(job.pk))
    per_decision = events.values("object_id").annotate(n=Count("id"))
    assert {row["object_id"] for row in per_decision} == set(ids)
    assert {row["n"] for row in per_decision} == {1}


def _wait_for(condition, *, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"Timed out after {timeout} s waiting for {what}.")


@pytest.mark.django_db(transaction=True)
def test_replay_task_runs_on_the_worker_and_finds_every_decision_identical(celery_worker_process):
    demo = demo_load(out=lambda *_: None)
    demo_decisions_run(partner=demo["partner"], requested_by=demo["people"][roles.PARTNER_SYSTEM][0], count=12)
    ids = [str(pk) for pk in Decision.objects.values_list("pk", flat=True)]
    result = replay_decisions.delay(ids).get(timeout=120)
    assert result == {"replayed": 12, "identical": 12, "different": []}
    if settings.REDIS_URL:
        assert celery_worker_process is not None and celery_worker_process.poll() is None


@pytest.mark.django_db
def test_replay_job_run_twice_with_one_task_id_writes_each_item_and_audit_event_once():
    ids = _decisions(6, decided=3)
    first = replay_job_run(task_id="task-1", decision_ids=ids)
    second = replay_job_run(task_id="task-1", decision_ids=ids)
    assert first == second == {"replayed": 6, "identical": 6, "different": []}
    job = ReplayJob.objects.get(task_id="task-1")
    assert job.runs == 2 and job.finished is not None
    _assert_each_decision_replayed_once(job, ids)


@pytest.mark.django_db
def test_replay_task_delivered_twice_resumes_its_job_instead_of_starting_again():
    ids = _decisions(4, decided=2)
    task_id = str(uuid.uuid4())
    replay_decisions.apply(args=(ids,), task_id=task_id).get()
    assert replay_decisions.apply(args=(ids,), task_id=task_id).get() == {
        "replayed": 4,
        "identical": 4,
        "different": [],
    }
    job = ReplayJob.objects.get(task_id=task_id)
    assert job.runs == 2
    _assert_each_decision_replayed_once(job, ids)
    # Another task (a new request) is a new job with its own record.
    replay_decisions.apply(args=(ids[:1],)).get()
    assert ReplayJob.objects.count() == 2


_REPLAY_IN_A_PROCESS = """
import sys, django
django.setup()
from decisioning.services import replay_job_run
replay_job_run(task_id=sys.argv[1], decision_ids=open(sys.argv[2]).read().split())
"""


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_replay_process_killed_with_sigkill_mid_job_loses_nothing_and_writes_nothing_twice(
    subprocess_environment, tmp_path
):
    """Without a broker: the process running a job dies mid-way; running the job again completes it."""
    ids = _decisions(150)
    (tmp_path / "ids").write_text("\n".join(ids))
    task_id = str(uuid.uuid4())
    process = subprocess.Popen(
        [sys.executable, "-c", _REPLAY_IN_A_PROCESS, task_id, str(tmp_path / "ids")],
        env=subprocess_environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for(
            lambda: ReplayItem.objects.filter(job__task_id=task_id).count() >= 20 or process.poll() is not None,
            timeout=60,
            what="the replay to start",
        )
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL, process.stderr.read().decode()[-2000:]
    assert 20 <= ReplayItem.objects.filter(job__task_id=task_id).count() < len(ids), "the kill came mid-job"

    assert replay_job_run(task_id=task_id, decision_ids=ids) == {"replayed": 150, "identical": 150, "different": []}
    job = ReplayJob.objects.get(task_id=task_id)
    assert job.runs == 2
    _assert_each_decision_replayed_once(job, ids)


class _Worker:
    """A Celery worker in its own process group (the main process and its pool child), on one queue."""

    def __init__(self, environment, queue, log_path):
        self.log = open(log_path, "ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=prefork",
                "--concurrency=1",
                "--loglevel=WARNING",
                "-Q",
                queue,
                "-n",
                f"{queue}-{uuid.uuid4().hex[:6]}@%h",
            ],
            env=environment,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def pool_processes(self):
        """Pids of the worker's pool processes (its children)."""
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                children.append(int(stat.parent.name))
        return children

    def kill(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.log.close()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_worker_killed_with_sigkill_mid_replay_is_redelivered_to_a_new_worker_and_writes_nothing_twice(
    subprocess_environment, tmp_path
):
    if not settings.REDIS_URL:
        pytest.skip("Needs the broker: runs in the PostgreSQL + Redis run (.ci/run sets REDIS_URL).")
    # A short visibility timeout for these workers only, so the abandoned message comes back in
    # seconds; it stays longer than their task time limit, as the settings require.
    environment = subprocess_environment(CELERY_TASK_TIME_LIMIT="8", CELERY_VISIBILITY_TIMEOUT="10")
    queue = f"sigkill-{uuid.uuid4().hex[:8]}"
    log_path = tmp_path / "workers.log"
    # The first worker sweeps for abandoned messages only at start (then every 30 s), so the kill
    # cannot land while it holds the broker's restore lock; the second sweeps every second.
    first = _Worker(environment, queue, log_path)  # starts while the decisions are written
    second = None
    try:
        ids = _decisions(150)
        result = replay_decisions.apply_async(args=(ids,), queue=queue)
        _wait_for(
            lambda: ReplayItem.objects.filter(job__task_id=result.id).count() >= 10 or first.process.poll() is not None,
            timeout=40,
            what="the first worker to be part-way through the replay",
        )
        first.kill()
        killed_at = time.monotonic()
        done = ReplayItem.objects.filter(job__task_id=result.id).count()
        assert 10 <= done < len(ids), f"{done} of {len(ids)} replayed when killed: " + log_path.read_text()[-3000:]

        second = _Worker({**environment, "CELERY_RESTORE_INTERVAL": "1"}, queue, log_path)
        summary = result.get(timeout=40)
        completed_after = time.monotonic() - killed_at
    finally:
        first.kill()
        if second is not None:
            second.kill()
    assert summary == {"replayed": 150, "identical": 150, "different": []}, log_path.read_text()[-3000:]
    job = ReplayJob.objects.get(task_id=result.id)
    # Two deliveries at least (a soft time limit on a slow machine adds a resuming retry).
    assert job.runs >= 2
    _assert_each_decision_replayed_once(job, ids)
    print(f"redelivered and completed {completed_after:.1f} s after the kill")


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_pool_process_killed_with_sigkill_mid_replay_is_requeued_at_once_and_writes_nothing_twice(
    subprocess_environment, tmp_path
):
    if not settings.REDIS_URL:
        pytest.skip("Needs the broker: runs in the PostgreSQL + Redis run (.ci/run sets REDIS_URL).")
    # A visibility timeout far beyond the test's time: only reject_on_worker_lost can bring the task back.
    environment = subprocess_environment(CELERY_TASK_TIME_LIMIT="30", CELERY_VISIBILITY_TIMEOUT="600")
    queue = f"sigkill-{uuid.uuid4().hex[:8]}"
    log_path = tmp_path / "worker.log"
    worker = _Worker(environment, queue, log_path)
    try:
        ids = _decisions(150)
        result = replay_decisions.apply_async(args=(ids,), queue=queue)
        _wait_for(
            lambda: (
                ReplayItem.objects.filter(job__task_id=result.id).count() >= 10 or worker.process.poll() is not None
            ),
            timeout=40,
            what="the worker to be part-way through the replay",
        )
        [pool_process] = worker.pool_processes()
        os.kill(pool_process, signal.SIGKILL)
        done = ReplayItem.objects.filter(job__task_id=result.id).count()
        assert 10 <= done < len(ids), f"{done} of {len(ids)} replayed when killed: " + log_path.read_text()[-3000:]
        summary = result.get(timeout=60)
    finally:
        worker.kill()
    assert summary == {"replayed": 150, "identical": 150, "different": []}, log_path.read_text()[-3000:]
    job = ReplayJob.objects.get(task_id=result.id)
    assert job.runs >= 2
    _assert_each_decision_replayed_once(job, ids)


@pytest.mark.django_db
def test_a_replay_job_that_keeps_killing_its_workers_is_given_up_after_ten_runs():
    ids = _decisions(2, decided=2)
    ReplayJob.objects.create(task_id="poison", decision_count=2, runs=10)
    with pytest.raises(Conflict, match="started 10 times without finishing"):
        replay_job_run(task_id="poison", decision_ids=ids)
    assert not ReplayItem.objects.exists()
    assert not AuditEvent.objects.filter(action="decision.replay").exists()
