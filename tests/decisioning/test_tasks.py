import pytest
from django.conf import settings

from decisioning.demo import demo_decisions_run, demo_load
from decisioning.models import Decision
from decisioning.tasks import replay_decisions
from partners import roles


@pytest.mark.django_db(transaction=True)
def test_replay_task_runs_on_the_worker_and_finds_every_decision_identical(celery_worker_process):
    demo = demo_load(out=lambda *_: None)
    demo_decisions_run(partner=demo["partner"], requested_by=demo["people"][roles.PARTNER_SYSTEM][0], count=12)
    ids = [str(pk) for pk in Decision.objects.values_list("pk", flat=True)]
    result = replay_decisions.delay(ids).get(timeout=120)
    assert result == {"replayed": 12, "identical": 12, "different": []}
    if settings.REDIS_URL:
        assert celery_worker_process is not None and celery_worker_process.poll() is None
