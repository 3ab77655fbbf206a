"""Which artifact version a flow step runs: follow a ruleset's effective version or pin one,
follow a model's latest active version or pin one; decisions record it and replay uses it."""

import datetime

import pytest
from django.utils import timezone

from core.exceptions import ArgumentError, EngineError, NotFound
from decisioning import flows
from decisioning.models import DecisionFlow, InsightTransaction
from decisioning.services import decision_create, decision_flow_create, decision_replay, reason_code_upsert
from modelregistry import services as registry
from partners import roles
from rulesets import services as rulesets
from tests.conftest import JsonApiClient
from tests.factories import (
    KNOCKOUT_DMN,
    LOGISTIC_PMML,
    DataDictionaryFieldFactory,
    publish_ruleset,
)

pytestmark = pytest.mark.django_db

NOW = timezone.now

CUTOFF_DMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="cutoff_test" name="Cut-off test"
             namespace="https://creditbox.example/dmn/test">
  <inputData id="i_income" name="income"><variable id="v_income" name="income" typeRef="number"/></inputData>
  <decision id="d_cutoff" name="cutoffOutcome">
    <variable id="v_cutoff" name="cutoffOutcome" typeRef="string"/>
    <informationRequirement id="r1"><requiredInput href="#i_income"/></informationRequirement>
    <decisionTable id="t_cutoff" hitPolicy="FIRST">
      <input id="c_income" label="income"><inputExpression id="e_income" typeRef="number"><text>income</text></inputExpression></input>
      <output id="o_cutoff" name="cutoffOutcome" typeRef="string"/>
      <rule id="approve"><inputEntry id="a1"><text>&gt;= 20000</text></inputEntry><outputEntry id="a2"><text>"APPROVE"</text></outputEntry></rule>
      <rule id="decline"><inputEntry id="d1"><text>-</text></inputEntry><outputEntry id="d2"><text>"DECLINE"</text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>
"""
APPLICATION = {"annualIncome": 30000.0, "accountsNowDelinquent": 0, "revolvingUtilization": 10.0}


@pytest.fixture
def people(partner, make_user):
    return {
        "author": make_user(partner, roles.RULE_EDITOR, username="rita"),
        "approver": make_user(partner, roles.RULE_APPROVER, username="arthur"),
        "system": make_user(partner, roles.PARTNER_SYSTEM, username="los"),
    }


@pytest.fixture
def knockout(partner, people, dictionary):
    return publish_ruleset(
        partner,
        "Knock-outs",
        KNOCKOUT_DMN,
        author=people["author"],
        approver=people["approver"],
        effective_from=NOW() - datetime.timedelta(days=30),
    )


@pytest.fixture
def cutoff(partner, people, dictionary):
    DataDictionaryFieldFactory(name="cutoffOutcome", data_type="string")
    return publish_ruleset(
        partner,
        "Cut-offs",
        CUTOFF_DMN,
        purpose="cutoff",
        author=people["author"],
        approver=people["approver"],
        effective_from=NOW() - datetime.timedelta(days=30),
        field_mapping={"income": "annualIncome"},
    )


def make_flow(partner, people, steps, **settings):
    return decision_flow_create(
        partner=partner,
        name="Consumer loans",
        created_by=people["author"],
        is_default=True,
        steps=steps,
        score_field="creditScore",
        amount_field="annualIncome",
        **settings,
    )


@pytest.fixture
def flow(partner, people, knockout, cutoff):
    return make_flow(
        partner,
        people,
        [("knockout", knockout.ruleset, "knockoutReasons"), ("cutoff", cutoff.ruleset, "cutoffOutcome")],
    )


def decide(partner, people, application=APPLICATION, **extra):
    return decision_create(partner=partner, application=application, requested_by=people["system"], **extra)[0]


def new_version(version, people, xml, effective_from, **extra):
    """The next version of `version`'s ruleset, through the whole maker-checker path."""
    draft = rulesets.ruleset_version_create_draft(
        ruleset=version.ruleset, actor=people["author"], based_on=version, dmn_xml=xml, **extra
    )
    rulesets.ruleset_version_submit(version=draft, actor=people["author"])
    rulesets.ruleset_version_approve(version=draft, actor=people["approver"], effective_from=effective_from)
    return rulesets.ruleset_version_publish(version=draft, actor=people["approver"])


def step_models(decision):
    return [step.model for step in decision.steps.order_by("step_position")]


def stricter(xml=CUTOFF_DMN):
    return xml.replace("&gt;= 20000", "&gt;= 40000")


def test_a_following_step_runs_the_effective_version_and_the_decision_records_it(partner, people, flow, cutoff):
    decision = decide(partner, people)
    assert decision.outcome == "APPROVED"
    assert step_models(decision)[1] == cutoff.published_model


def test_publication_switches_new_decisions_and_replay_keeps_the_recorded_version(partner, people, flow, cutoff):
    before = decide(partner, people, external_id="A")
    v2 = new_version(cutoff, people, stricter(), NOW())
    after = decide(partner, people, external_id="B")
    assert (before.outcome, after.outcome) == ("APPROVED", "DECLINED")
    assert step_models(before)[1] == cutoff.published_model and step_models(after)[1] == v2.published_model
    report = decision_replay(decision=before, actor=None)
    assert report["identical"] and report["steps"][1]["modelVersion"] == cutoff.published_model.version


def test_a_version_effective_in_the_future_is_not_used_yet(partner, people, flow, cutoff):
    tomorrow = NOW() + datetime.timedelta(days=1)
    v2 = new_version(cutoff, people, stricter(), tomorrow)
    today = decide(partner, people)
    assert today.outcome == "APPROVED" and step_models(today)[1] == cutoff.published_model
    resolved = flows.resolve_step(flow.steps.get(position=1), at=tomorrow + datetime.timedelta(seconds=1))
    assert (resolved.model, resolved.ruleset_version) == (v2.published_model, v2)
    result = flows.flow_run(flow=flow, application=APPLICATION, catalogue={}, at=tomorrow + datetime.timedelta(hours=1))
    assert result.outcome == "DECLINED"


def test_a_pinned_step_keeps_its_version_after_a_newer_one_is_published(partner, people, knockout, cutoff):
    pinned_flow = make_flow(
        partner, people, [("knockout", knockout.ruleset, "knockoutReasons"), ("cutoff", cutoff, "cutoffOutcome")]
    )
    new_version(cutoff, people, stricter(), NOW())
    decision = decide(partner, people, flow_id=pinned_flow.pk)
    assert decision.outcome == "APPROVED" and step_models(decision)[1] == cutoff.published_model


def test_a_pinned_version_is_used_only_while_published_and_effective(partner, people, knockout, cutoff):
    pinned_flow = make_flow(partner, people, [("cutoff", cutoff, "cutoffOutcome")])
    rulesets.ruleset_version_retire(version=cutoff, actor=people["approver"], note="withdrawn")
    with pytest.raises(EngineError, match="pinned"):
        decide(partner, people, flow_id=pinned_flow.pk)


def test_retiring_the_effective_version_falls_back_to_the_one_before(partner, people, flow, cutoff):
    v2 = new_version(cutoff, people, stricter(), NOW())
    assert decide(partner, people, external_id="A").outcome == "DECLINED"
    rulesets.ruleset_version_retire(version=v2, actor=people["approver"], note="too strict")
    decision = decide(partner, people, external_id="B")
    assert decision.outcome == "APPROVED" and step_models(decision)[1] == cutoff.published_model


def test_a_ruleset_with_nothing_effective_stops_the_decision_naming_the_step(partner, people, knockout, dictionary):
    empty = rulesets.ruleset_create(partner=partner, name="Pricing", purpose="pricing", actor=people["author"])
    empty_flow = make_flow(partner, people, [("knockout", knockout.ruleset, "knockoutReasons"), ("cutoff", empty, "x")])
    with pytest.raises(EngineError, match="'Pricing' has no version published and effective"):
        decide(partner, people, flow_id=empty_flow.pk)


def test_a_model_step_follows_the_latest_active_version_or_stays_pinned(partner, people, knockout, cutoff, make_user):
    scientist = make_user(partner, roles.DATA_SCIENTIST)
    first = registry.predictive_model_register(partner=partner, name="PD", artifact=LOGISTIC_PMML, created_by=scientist)
    for field, concept in (
        ("annual_inc", "annualIncome"),
        ("revol_util", "revolvingUtilization"),
        ("home_ownership", "homeOwnership"),
        ("probability_bad", "probabilityOfDefault"),
    ):
        registry.predictive_model_field_map(
            field=first.fields.get(name=field), supported_field_name=concept, actor=scientist
        )
    following = make_flow(
        partner, people, [("score", first, "", "follow"), ("cutoff", cutoff.ruleset, "cutoffOutcome")]
    )
    pinned = make_flow(partner, people, [("score", first, ""), ("cutoff", cutoff.ruleset, "cutoffOutcome")])
    application = {**APPLICATION, "homeOwnership": "RENT"}
    second = registry.predictive_model_register(
        partner=partner, name="PD", artifact=LOGISTIC_PMML.replace("-1.5", "-1.4"), created_by=scientist
    )
    assert second.fields.filter(supported_field__isnull=True).count() == 0  # the mapping carries over
    assert step_models(decide(partner, people, application, flow_id=following.pk, external_id="F"))[0] == second
    assert step_models(decide(partner, people, application, flow_id=pinned.pk, external_id="P"))[0] == first
    registry.predictive_model_retire(model=second, actor=scientist)
    assert step_models(decide(partner, people, application, flow_id=following.pk, external_id="F2"))[0] == first


def test_remapping_a_field_changes_the_next_decision(partner, people, flow, cutoff):
    assert decide(partner, people, external_id="A").outcome == "APPROVED"
    income = cutoff.published_model.fields.get(name="income")
    registry.predictive_model_field_map(
        field=income, supported_field_name="revolvingUtilization", actor=people["author"]
    )
    decision = decide(partner, people, external_id="B")  # revolvingUtilization 10 < 20000
    assert decision.outcome == "DECLINED"
    assert decision.steps.get(step_position=1).field_mapping["income"] == "revolvingUtilization"


def test_a_reason_code_edit_shows_in_the_next_decision(partner, people, flow):
    reason_code_upsert(partner=partner, code="KO03", kind="knockout", notice_text="Income too low")
    poor = {**APPLICATION, "annualIncome": 9000.0}
    assert decide(partner, people, poor, external_id="A").outputs["reasons"][0]["text"] == "Income too low"
    reason_code_upsert(partner=partner, code="KO03", kind="knockout", notice_text="Income below our minimum")
    assert decide(partner, people, poor, external_id="B").outputs["reasons"][0]["text"] == "Income below our minimum"


def test_the_decision_api_names_the_ruleset_version_each_step_ran(partner, people, flow, knockout, cutoff):
    client = JsonApiClient(people["system"])
    response = client.post(
        "/api/v1/decisions",
        {"data": {"type": "decision", "attributes": {"externalId": "APP-1", "application": APPLICATION}}},
    )
    assert response.status_code == 201, response.json()
    steps = response.json()["data"]["attributes"]["steps"]
    assert [(s["model"], s["version"], s["rulesetVersion"]["number"]) for s in steps] == [
        ("Knock-outs", 1, 1),
        ("Cut-offs", 1, 1),
    ]
    assert steps[1]["rulesetVersion"]["id"] == str(cutoff.pk)


def test_flow_steps_bind_only_what_can_run(partner, other_partner, people, knockout, cutoff, make_user):
    draft = rulesets.ruleset_version_create_draft(ruleset=cutoff.ruleset, actor=people["author"], based_on=cutoff)
    with pytest.raises(ArgumentError, match="not approved"):
        make_flow(partner, people, [("cutoff", draft, "cutoffOutcome")])
    with pytest.raises(ArgumentError, match="follow its ruleset instead"):
        make_flow(partner, people, [("cutoff", cutoff.published_model, "cutoffOutcome", "follow")])
    stranger = publish_ruleset(other_partner, "Theirs", KNOCKOUT_DMN)
    with pytest.raises(NotFound):
        make_flow(partner, people, [("knockout", stranger.ruleset, "knockoutReasons")])
    assert DecisionFlow.objects.filter(partner=partner).count() == 0
    assert InsightTransaction.objects.count() == 0


def test_the_default_flow_is_the_named_flow_marked_default_and_versions_carry_no_flag_of_their_own(
    partner, people, knockout, cutoff
):
    first = make_flow(partner, people, [("cutoff", cutoff.ruleset, "cutoffOutcome")])
    second = decision_flow_create(
        partner=partner,
        name="Card loans",
        created_by=people["author"],
        is_default=True,
        steps=[("knockout", knockout.ruleset, "knockoutReasons"), ("cutoff", cutoff.ruleset, "cutoffOutcome")],
        score_field="creditScore",
        amount_field="annualIncome",
    )
    first.definition.refresh_from_db()
    assert (first.definition.is_default, second.definition.is_default) == (False, True)
    assert decide(partner, people).flow == second
    assert not any(field.name == "is_default" for field in DecisionFlow._meta.get_fields())
