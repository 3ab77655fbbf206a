import pytest

from partners import roles
from rulesets import services


@pytest.fixture
def editor(partner, make_user):
    return make_user(partner, roles.RULE_EDITOR, username="rita")


@pytest.fixture
def approver(partner, make_user):
    return make_user(partner, roles.RULE_APPROVER, username="arthur")


@pytest.fixture
def ruleset(partner, editor, dictionary):
    return services.ruleset_create(partner=partner, name="Knock-outs", purpose="knockout", actor=editor)
