from celery import shared_task

from .models import Decision
from .services import decision_replay


@shared_task(acks_late=True)
def replay_decisions(decision_ids):
    """Audit check: replay decisions on their recorded versions. Read-only, so safe to run twice."""
    different = []
    decisions = Decision.objects.filter(pk__in=decision_ids).select_related("flow")
    for decision in decisions:
        if not decision_replay(decision=decision, actor=None)["identical"]:
            different.append(str(decision.pk))
    return {"replayed": len(decisions), "identical": len(decisions) - len(different), "different": different}


@shared_task(acks_late=True)
def run_backtest(backtest_id):
    """Run a queued backtest; applications are decrypted here, in the worker, only."""
    from .services.backtests import backtest_run

    backtest = backtest_run(backtest_id=backtest_id)
    return {"backtest": str(backtest.pk), "status": backtest.status}
