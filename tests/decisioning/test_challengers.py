"""Champion/challenger: a deterministic share of traffic also runs the challenger, in shadow only."""

import uuid

import pytest

from decisioning.demo import demo_application, demo_load
from decisioning.models import ChallengerResult, Decision
from decisioning.selectors import challenger_report
from decisioning.services import (
    challenger_assigned,
    decision_create,
    decision_replay,
    flow_challenger_set,
    flow_version_approve,
    flow_version_submit,
)
from tests.decisioning.test_backtests import banded_draft


def test_challenger_assignment_is_deterministic_and_within_one_point_of_the_share():
    partner_id = uuid.UUID("6f1c1d4e-7f55-4c1e-9a59-0d8a1b1f0c11")
    for share in (0.05, 0.2, 0.5):
        arms = [
            challenger_assigned(partner_id=partner_id, external_id=f"APP-{n:06d}", share=share) for n in range(10_000)
        ]
        assert abs(sum(arms) / 10_000 - share) <= 0.01, share
        assert arms == [
            challenger_assigned(partner_id=partner_id, external_id=f"APP-{n:06d}", share=share) for n in range(10_000)
        ]
    assert not challenger_assigned(partner_id=partner_id, external_id="", share=1.0)
    other = uuid.UUID("00000000-0000-4000-8000-000000000001")
    assert [challenger_assigned(partner_id=other, external_id=f"APP-{n:06d}", share=0.5) for n in range(200)] != [
        challenger_assigned(partner_id=partner_id, external_id=f"APP-{n:06d}", share=0.5) for n in range(200)
    ]


@pytest.mark.django_db
def test_challenger_results_are_stored_apart_and_never_change_an_outcome():
    demo = demo_load(out=lambda *_: None)
    champion = demo["flow"]
    flow = champion.definition
    admin, approver = demo["people"]["partner_admin"][0], demo["people"]["rule_approver"][0]
    challenger = banded_draft(demo, [{"minimum": 520, "outcome": "APPROVE"}, {"minimum": None, "outcome": "DECLINE"}])
    flow_version_submit(version=challenger, actor=admin)
    challenger = flow_version_approve(version=challenger, actor=approver)
    flow_challenger_set(flow=flow, actor=approver, challenger=challenger, share=0.5)
    system = demo["people"]["partner_system"][0]
    decisions = [
        decision_create(
            partner=demo["partner"], application=demo_application(n), requested_by=system, external_id=f"CC-{n:04d}"
        )[0]
        for n in range(40)
    ]
    anonymous = decision_create(partner=demo["partner"], application=demo_application(41), requested_by=system)[0]
    shadowed = {row.decision_id: row for row in ChallengerResult.objects.all()}
    assigned = {
        d.pk
        for d in decisions
        if challenger_assigned(partner_id=demo["partner"].pk, external_id=d.external_id, share=0.5)
    }
    assert set(shadowed) == assigned and 5 < len(assigned) < 35
    assert anonymous.pk not in shadowed  # no external id, no challenger
    # The champion decides; the challenger's verdict differs on some but is never acted on.
    flow_challenger_set(flow=flow, actor=approver, challenger=None)
    for decision in decisions:
        again = decision_create(
            partner=demo["partner"],
            application=demo_application(int(decision.external_id[3:])),
            requested_by=system,
            external_id=decision.external_id + "-again",
        )[0]
        assert (decision.flow_id, decision.outcome, decision.final_outcome) == (
            champion.pk,
            again.outcome,
            again.outcome,
        )
        assert {step.model_id for step in decision.steps.all()} == {step.model_id for step in again.steps.all()}
        assert decision_replay(decision=decision, actor=None)["identical"]
    assert any(row.outcome != row.decision.outcome for row in shadowed.values())
    assert all(row.flow_version_id == challenger.pk and row.outputs["score"] is not None for row in shadowed.values())
    report = challenger_report(flow=flow, challenger=challenger)
    assert report["count"] == len(assigned)
    assert report["newlyApproved"] == sum(
        1 for r in shadowed.values() if r.outcome == "APPROVED" and r.decision.outcome != "APPROVED"
    )
    assert Decision.objects.filter(pk__in=assigned, outcome="APPROVED").count() == report["champion"].get("APPROVED", 0)
