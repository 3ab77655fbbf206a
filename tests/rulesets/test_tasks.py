import pytest
from django.conf import settings

from partners import roles
from rulesets.models import RulesetVersion
from rulesets.tasks import ruleset_live_states_refresh
from tests.factories import KNOCKOUT_DMN, PartnerFactory, UserFactory, lending_dictionary, publish_ruleset


@pytest.mark.django_db(transaction=True)
def test_the_scheduled_task_refreshes_live_states_on_the_worker_and_is_safe_twice(celery_worker_process):
    partner = PartnerFactory()
    lending_dictionary()
    publish_ruleset(partner, "Knock-outs", KNOCKOUT_DMN, author=UserFactory(partner=partner, roles=[roles.RULE_EDITOR]))
    RulesetVersion.objects.update(live_state="")  # as if published before the state was shown
    assert ruleset_live_states_refresh.delay().get(timeout=60) == {"changed": 1}
    assert ruleset_live_states_refresh.delay().get(timeout=60) == {"changed": 0}
    assert RulesetVersion.objects.get().live_state == "live"
    assert settings.CELERY_BEAT_SCHEDULE["ruleset-live-states"]["task"] == ruleset_live_states_refresh.name
    if settings.REDIS_URL:
        assert celery_worker_process is not None and celery_worker_process.poll() is None
