import uuid

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from core.jobs import RESUMABLE_TASK

from .services import replay_job_run


@shared_task(**RESUMABLE_TASK)
def replay_decisions(self, decision_ids):
    """Audit check: replay decisions on their recorded versions and record each replay.

    Writes, per decision, a replay item of the job keyed by this task's id and a `decision.replay`
    audit event, in one transaction. A redelivery (the worker died) or a retry carries the same
    task id, so it resumes the job and writes nothing twice.
    """
    try:
        return replay_job_run(task_id=self.request.id or str(uuid.uuid4()), decision_ids=decision_ids)
    except SoftTimeLimitExceeded:
        raise self.retry(countdown=0) from None


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_backtest(backtest_id):
    """Run a queued backtest; applications are decrypted here, in the worker, only."""
    from .services.backtests import backtest_run

    backtest = backtest_run(backtest_id=backtest_id)
    return {"backtest": str(backtest.pk), "status": backtest.status}
