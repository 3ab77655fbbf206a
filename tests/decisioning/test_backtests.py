"""Backtests: the column-wise run agrees with flow_run application by application."""

import pytest

from decisioning import flows
from decisioning.demo import demo_decisions_run, demo_load
from decisioning.models import Backtest, BacktestStatus, Decision, ReasonCode
from decisioning.services import (
    flow_version_create_draft,
    flow_version_steps_replace,
    flow_version_update_draft,
)
from decisioning.services.backtests import _backtest_record, backtest_run

pytestmark = pytest.mark.django_db

DECIDED = 240  # the demo's recorded applications for these tests


@pytest.fixture
def demo():
    demo = demo_load(out=lambda *_: None)
    demo_decisions_run(partner=demo["partner"], requested_by=demo["people"]["partner_system"][0], count=DECIDED)
    return demo


def banded_draft(demo, bands):
    """The demo flow with its cut-off ruleset step taken out and score bands instead."""
    admin = demo["people"]["partner_admin"][0]
    draft = flow_version_create_draft(flow=demo["flow"].definition, actor=admin)
    steps = [
        {"kind": s.kind, "binding": s.binding, "ruleset": s.ruleset, "model": s.model, "resultField": s.result_field}
        for s in draft.steps.order_by("position")
        if s.kind != "cutoff"
    ]
    for step in steps:
        step["ruleset" if step["ruleset"] else "model"] = step["ruleset"] or step["model"]
        step.pop("model" if step["ruleset"] else "ruleset")
        step.pop("binding") if step.get("ruleset") else None
    flow_version_steps_replace(version=draft, actor=admin, steps=steps)
    return flow_version_update_draft(version=draft, actor=admin, cutoff_bands=bands)


def backtest_create(*, flow, actor, candidate=None, ruleset_version=None, limit=10_000):
    """Record a backtest and run it here, as the worker does (the queue's half is tested in
    test_flows_api.py and the browser test, with a real worker when REDIS_URL is set)."""
    backtest = _backtest_record(
        flow=flow, actor=actor, candidate=candidate, ruleset_version=ruleset_version, limit=limit
    )
    return backtest_run(backtest_id=backtest.pk)


def recomputed(flow, partner, decisions):
    """Each recorded application decided again by flow_run, one at a time: the reference."""
    catalogue = {reason.code: reason for reason in ReasonCode.objects.filter(partner=partner)}
    return {
        str(decision.pk): flows.flow_run(flow=flow, application=decision.application, catalogue=catalogue).outcome
        for decision in decisions
    }


def test_backtest_rates_and_swap_set_match_a_direct_recomputation(demo):
    draft = banded_draft(
        demo,
        [
            {"minimum": 545, "outcome": "APPROVE"},
            {"minimum": 535, "outcome": "REFER"},
            {"minimum": None, "outcome": "DECLINE"},
        ],
    )
    backtest = backtest_create(flow=demo["flow"].definition, actor=demo["people"]["rule_approver"][0], candidate=draft)
    backtest.refresh_from_db()
    assert backtest.status == BacktestStatus.DONE, backtest.error
    report = backtest.report
    decisions = list(Decision.objects.filter(partner=demo["partner"]))
    baseline = recomputed(demo["flow"], demo["partner"], decisions)
    candidate = recomputed(draft, demo["partner"], decisions)
    assert report["applications"] == DECIDED
    for name, outcomes in (("baseline", baseline), ("candidate", candidate)):
        for outcome in ("APPROVED", "DECLINED", "REFERRED"):
            expected = sum(1 for value in outcomes.values() if value == outcome)
            assert report["arms"][name]["counts"][outcome] == expected, (name, outcome)
            assert report["arms"][name]["rates"][outcome] == pytest.approx(expected / DECIDED)
    newly_approved = {key for key in candidate if candidate[key] == "APPROVED" and baseline[key] != "APPROVED"}
    newly_declined = {key for key in candidate if candidate[key] == "DECLINED" and baseline[key] != "DECLINED"}
    assert newly_approved, "a lower approve band approves some applications the cut-off table referred or declined"
    assert set(report["swapIds"]["newlyApproved"]) == newly_approved
    assert set(report["swapIds"]["newlyDeclined"]) == newly_declined
    # The baseline is what was recorded: the published flow decided these same applications.
    assert baseline == {str(d.pk): d.outcome for d in decisions}
    assert sum(
        report["arms"]["baseline"]["ruleHits"][
            next(k for k in report["arms"]["baseline"]["ruleHits"] if "cutoff" in k)
        ].values()
    ) == sum(1 for d in decisions if not d.outputs["reasons"] or d.outputs["reasons"][0]["kind"] != "knockout")
    assert Backtest.objects.get(pk=backtest.pk).report == report  # stored (encrypted) and read back whole


def test_a_draft_ruleset_version_is_backtested_inside_the_published_flow(demo):
    from rulesets.services import ruleset_version_create_draft

    ruleset = demo["rulesets"]["cutoff"]
    published = ruleset.versions.get(status="published")
    lower = (
        published.dmn_xml.replace("&lt; 553", "&lt; 540")
        .replace("[553..563)", "[540..550)")
        .replace("&gt;= 563", "&gt;= 550")
    )
    assert lower != published.dmn_xml
    draft = ruleset_version_create_draft(
        ruleset=ruleset,
        actor=demo["people"]["rule_editor"][0],
        dmn_xml=lower,
        field_mapping=dict(published.field_mapping),
    )
    backtest = backtest_create(
        flow=demo["flow"].definition, actor=demo["people"]["rule_editor"][0], ruleset_version=draft
    )
    backtest.refresh_from_db()
    assert backtest.status == BacktestStatus.DONE, backtest.error
    report = backtest.report
    assert "Score cut-offs v2" in report["arms"]["candidate"]["label"]
    decisions = {str(d.pk): d for d in Decision.objects.filter(partner=demo["partner"])}
    # The draft approves 550..563 where the published table referred or declined: exactly those swap,
    # unless review routing refers them anyway (it refers 553..563 by score: REV01).
    expected = {
        key
        for key, d in decisions.items()
        if d.outcome != "APPROVED"
        and not d.outputs["referralReasons"]
        and d.outputs["score"] is not None
        and 550 <= d.outputs["score"] < 563
        and not any(r["kind"] == "knockout" for r in d.outputs["reasons"])
    }
    assert set(report["swapIds"]["newlyApproved"]) == expected and expected
    assert report["arms"]["baseline"]["counts"]["APPROVED"] == sum(
        1 for d in decisions.values() if d.outcome == "APPROVED"
    )
