import uuid

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import OperationalError

from .services import replay_job_run

# A replay longer than the soft time limit stops, and the retry (same task id) resumes it.
MAX_REPLAY_RETRIES = 5


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=MAX_REPLAY_RETRIES,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_backoff_max=60,
)
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
