"""POST /api/v1/decisions/{id}/protected-characteristics: recorded encrypted, by name only in the answer."""

import pytest

from monitoring.models import ProtectedCharacteristics
from partners import roles
from tests.conftest import JsonApiClient
from tests.factories import DecisionFactory

pytestmark = pytest.mark.django_db


def _document(values):
    return {"data": {"type": "protectedCharacteristics", "attributes": {"values": values}}}


@pytest.fixture
def system_and_decision(partner, dictionary, make_user):
    system = make_user(partner, roles.PARTNER_SYSTEM)
    return system, DecisionFactory(partner=partner, requested_by=system)


def test_a_system_records_then_replaces_the_characteristics_of_its_decision(system_and_decision):
    system, decision = system_and_decision
    client = JsonApiClient(system)
    url = f"/api/v1/decisions/{decision.pk}/protected-characteristics"
    first = client.post(url, _document({"applicantAge": 44}))
    assert first.status_code == 201, first.content
    attributes = first.json()["data"]["attributes"]
    assert attributes["recordedFields"] == ["applicantAge"] and attributes["synthetic"] is False
    # The value is not sent back (checked by member: the ids and timestamps may contain the digits 44).
    assert "values" not in attributes and 44 not in attributes.values()
    again = client.post(url, _document({"applicantAge": 63}))
    assert again.status_code == 200
    record = ProtectedCharacteristics.objects.get(decision=decision)
    assert record.values == {"applicantAge": 63} and record.recorded_by == system
    assert "applicantAge" not in decision.application


@pytest.mark.parametrize(
    "values, pointer",
    [
        ({"annualIncome": 52000}, "/data/attributes/values/annualIncome"),
        ({"applicantAge": "old"}, "/data/attributes/values/applicantAge"),
        ({"applicantAge": 7}, "/data/attributes/values/applicantAge"),
        ([1, 2], "/data/attributes/values"),
        ({}, "/data/attributes/values"),
    ],
)
def test_bad_values_are_400s_naming_the_field_and_record_nothing(system_and_decision, values, pointer):
    system, decision = system_and_decision
    response = JsonApiClient(system).post(
        f"/api/v1/decisions/{decision.pk}/protected-characteristics", _document(values)
    )
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["source"]["pointer"] == pointer
    assert not ProtectedCharacteristics.objects.exists()


def test_another_partners_decision_is_404(system_and_decision, other_partner):
    system, _ = system_and_decision
    theirs = DecisionFactory(partner=other_partner)
    response = JsonApiClient(system).post(
        f"/api/v1/decisions/{theirs.pk}/protected-characteristics", _document({"applicantAge": 44})
    )
    assert response.status_code == 404
    assert not ProtectedCharacteristics.objects.exists()
