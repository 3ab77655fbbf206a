"""Replay jobs: audit replays of many decisions, safe to deliver twice."""

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from core.exceptions import Conflict

from ..models import Decision, ReplayJob
from .decisions import decision_replay

_CHUNK = 200
# A job started this often without finishing is killing its workers (a poison message): stop.
MAX_RUNS = 10


def replay_job_run(*, task_id, decision_ids) -> dict:
    """Replay `decision_ids` as the job keyed by `task_id`; a second run resumes the first.

    Each decision is replayed and recorded (its job item and its audit event) in its own
    transaction, so a run killed part-way keeps what it finished and loses only the decision it
    was on; a later run with the same `task_id` replays only what has no item yet. Returns the
    job's summary, the same whichever run completes it.
    """
    decision_ids = list(dict.fromkeys(str(pk) for pk in decision_ids))
    with transaction.atomic():
        job, _ = ReplayJob.objects.get_or_create(task_id=task_id, defaults={"decision_count": len(decision_ids)})
        ReplayJob.objects.filter(pk=job.pk).update(runs=F("runs") + 1)
        job.refresh_from_db(fields=["runs", "finished"])
    if job.runs > MAX_RUNS and job.finished is None:
        raise Conflict(f"Replay job {task_id} was started {MAX_RUNS} times without finishing; not starting it again.")
    done = set(job.items.values_list("decision_id", flat=True))
    pending = list(
        Decision.objects.filter(pk__in=decision_ids)
        .exclude(pk__in=done)
        .order_by("created", "pk")
        .values_list("pk", flat=True)
    )
    for start in range(0, len(pending), _CHUNK):
        for decision in (
            Decision.objects.filter(pk__in=pending[start : start + _CHUNK])
            .select_related("flow")
            .order_by("created", "pk")
        ):
            try:
                decision_replay(decision=decision, actor=None, job=job)
            except IntegrityError:
                # Another delivery of this job, still running, recorded the decision first.
                continue
    ReplayJob.objects.filter(pk=job.pk, finished__isnull=True).update(finished=timezone.now())
    return replay_job_summary(job=job)


def replay_job_summary(*, job) -> dict:
    items = list(job.items.order_by("decision__created", "decision_id").values_list("decision_id", "identical"))
    different = [str(decision_id) for decision_id, identical in items if not identical]
    return {"replayed": len(items), "identical": len(items) - len(different), "different": different}
