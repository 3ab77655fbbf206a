"""The fairness report against a direct computation on the demo's stored decisions."""

import pytest
from django.db import connection

from core.exceptions import ArgumentErrors
from decisioning.models import Decision, InsightTransaction
from modelregistry.models import PredictiveModelField
from modelregistry.services import predictive_model_field_map
from monitoring import selectors
from monitoring.demo import PROTECTED_FIELD
from monitoring.models import ProtectedCharacteristics
from monitoring.services import protected_characteristics_record
from partners import roles
from portfolio.models import Loan

pytestmark = pytest.mark.django_db


def test_fairness_report_matches_a_direct_computation_on_the_demo_decisions(demo_book):
    partner = demo_book["partner"]
    report = selectors.fairness_report(partner=partner, period=selectors.period_parse())
    # By hand: each stored decision's final outcome, its synthetic age band and its loan's status.
    groups = {}
    for decision in Decision.objects.filter(partner=partner):
        band = decision.protected_characteristics.values[PROTECTED_FIELD]
        loan = Loan.objects.get(decision=decision)
        good = loan.status in ("current", "closed")
        entry = groups.setdefault(band, {"n": 0, "approved": 0, "good": 0, "good_approved": 0})
        entry["n"] += 1
        entry["approved"] += decision.final_outcome == "APPROVED"
        entry["good"] += good
        entry["good_approved"] += good and decision.final_outcome == "APPROVED"
    rates = {band: entry["approved"] / entry["n"] for band, entry in groups.items()}
    reference = max(rates, key=rates.get)
    tpr = {band: entry["good_approved"] / entry["good"] for band, entry in groups.items()}

    assert report["attribute"] == PROTECTED_FIELD and report["synthetic"] == report["records"] == 160
    result = report["report"]
    assert result["reference"] == reference
    assert {row["group"]: (row["applications"], row["approved"]) for row in result["groups"]} == {
        band: (entry["n"], entry["approved"]) for band, entry in groups.items()
    }
    for row in result["groups"]:
        assert row["approvalRate"] == pytest.approx(rates[row["group"]])
        assert row["ratio"] == pytest.approx(rates[row["group"]] / rates[reference])
        assert row["belowFourFifths"] == (rates[row["group"]] / rates[reference] < 0.8)
        assert row["truePositiveRate"] == pytest.approx(tpr[row["group"]])
    assert result["flagged"] == sorted(band for band in rates if rates[band] / rates[reference] < 0.8)
    assert result["equalOpportunity"]["difference"] == pytest.approx(max(tpr.values()) - min(tpr.values()))


def test_a_chosen_reference_group_changes_the_ratios(demo_book):
    report = selectors.fairness_report(
        partner=demo_book["partner"], period=selectors.period_parse(), reference="under_25"
    )["report"]
    assert report["reference"] == "under_25"
    assert next(row for row in report["groups"] if row["group"] == "under_25")["ratio"] == pytest.approx(1.0)


def test_protected_characteristics_are_encrypted_and_never_reach_the_models(demo_book):
    record = ProtectedCharacteristics.objects.filter(partner=demo_book["partner"]).first()
    band = record.values[PROTECTED_FIELD]
    with connection.cursor() as cursor:
        cursor.execute('SELECT "values" FROM monitoring_protectedcharacteristics WHERE id = %s', [record.pk])
        stored = bytes(cursor.fetchone()[0]).decode()
    assert band not in stored and PROTECTED_FIELD not in stored
    assert record.synthetic
    assert PROTECTED_FIELD not in record.decision.application
    for step in InsightTransaction.objects.filter(decision=record.decision):
        assert PROTECTED_FIELD not in step.arguments


def test_recording_refuses_fields_that_are_not_protected(demo_book):
    decision = Decision.objects.filter(partner=demo_book["partner"]).first()
    with pytest.raises(ArgumentErrors) as raised:
        protected_characteristics_record(
            decision=decision, values={"annualIncome": 1.0, "noSuchField": "x", PROTECTED_FIELD: 7}, actor=None
        )
    assert sorted(error.field for error in raised.value.errors) == [
        ("values", PROTECTED_FIELD),
        ("values", "annualIncome"),
        ("values", "noSuchField"),
    ]


def test_a_model_taking_a_protected_field_as_an_argument_is_flagged(demo_book):
    partner = demo_book["partner"]
    assert list(selectors.protected_fields_used_by_models(partner=partner)) == []
    field = PredictiveModelField.objects.filter(model=demo_book["logistic"], field_type="argument").first()
    predictive_model_field_map(
        field=field,
        supported_field_name=PROTECTED_FIELD,
        actor=demo_book["people"][roles.DATA_SCIENTIST][0],
        allow_protected=True,
    )
    [flagged] = selectors.fairness_report(partner=partner, period=selectors.period_parse())["models_using_protected"]
    assert (flagged.model_id, flagged.supported_field.name) == (demo_book["logistic"].pk, PROTECTED_FIELD)
