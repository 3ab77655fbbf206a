"""The monitoring pages: who opens them, what they show, and that another partner's data never appears."""

import re

import pytest
from django.test import Client

from monitoring.demo import PROTECTED_FIELD
from monitoring.services import protected_characteristics_record
from partners import roles
from tests.factories import DecisionFactory, PartnerFactory

pytestmark = pytest.mark.django_db


def _client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("role", [roles.RISK_MANAGER, roles.AUDITOR, roles.PARTNER_ADMIN])
def test_readers_see_the_dashboard_and_the_fairness_report(demo_book, make_user, role):
    client = _client(make_user(demo_book["partner"], role))
    dashboard = client.get("/monitoring/")
    assert dashboard.status_code == 200
    html = dashboard.content.decode()
    assert html.count('role="img"') >= 5  # volume, rates, reasons, score distribution, AUC/KS
    assert '<strong id="override-rate">' in html and "PSI" in html and 'id="performance-table"' in html
    assert 'href="/monitoring/"' in html  # in the navigation bar
    fairness = client.get("/monitoring/fairness/").content.decode()
    assert "SYNTHETIC DATA." in fairness and "160 of the 160 records" in fairness
    assert 'id="fairness-table"' in fairness and "under_25" in fairness
    assert 'id="no-protected-models"' in fairness


@pytest.mark.parametrize("role", [roles.UNDERWRITER, roles.DATA_SCIENTIST, roles.RULE_EDITOR, roles.PARTNER_SYSTEM])
def test_other_roles_are_refused(demo_book, make_user, role):
    client = _client(make_user(demo_book["partner"], role))
    assert client.get("/monitoring/").status_code == 403
    assert client.get("/monitoring/fairness/").status_code == 403


def test_another_partners_decisions_never_appear(demo_book, make_user):
    other = PartnerFactory(name="Other Bank", slug="other-bank")
    theirs = DecisionFactory(partner=other, outcome="DECLINED", final_outcome="DECLINED")
    protected_characteristics_record(decision=theirs, values={PROTECTED_FIELD: "62_and_over"}, actor=None)
    other_page = _client(make_user(other, roles.RISK_MANAGER)).get("/monitoring/").content.decode()
    assert re.search(r"<span>Decisions</span><strong>1</strong>", other_page)
    assert "Income insufficient" not in other_page  # a demo reason code
    other_fairness = _client(make_user(other, roles.RISK_MANAGER)).get("/monitoring/fairness/").content.decode()
    assert "1 of the 1 records" not in other_fairness  # not synthetic: no notice at all
    assert "SYNTHETIC DATA." not in other_fairness and "under_25" not in other_fairness
    own_page = _client(make_user(demo_book["partner"], roles.RISK_MANAGER)).get("/monitoring/").content.decode()
    assert re.search(r"<span>Decisions</span><strong>160</strong>", own_page)


def test_a_bad_date_is_a_400_naming_the_parameter(demo_book, make_user):
    response = _client(make_user(demo_book["partner"], roles.AUDITOR)).get("/monitoring/?from=2026-02-30")
    assert response.status_code == 400
    assert "from must be a date as YYYY-MM-DD" in response.content.decode()
