"""The decision-flows API: flows, versions through maker-checker, backtests with progress."""

import time

import pytest

from core.models import AuditEvent
from decisioning.demo import demo_decisions_run, demo_load
from decisioning.models import DecisionFlow
from decisioning.services import flow_version_approve, flow_version_publish
from tests.conftest import JsonApiClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    demo = demo_load(out=lambda *_: None)
    demo_decisions_run(partner=demo["partner"], requested_by=demo["people"]["partner_system"][0], count=30)
    return demo


def test_a_partner_admin_drafts_and_submits_a_version_and_flow_id_takes_the_published_one(demo):
    admin = JsonApiClient(demo["people"]["partner_admin"][0])
    flow = demo["flow"].definition
    listed = admin.get("/api/v1/decision-flows").json()["data"]
    assert [(f["id"], f["attributes"]["publishedVersion"]) for f in listed] == [(str(flow.pk), 1)]
    created = admin.post(
        f"/api/v1/decision-flows/{flow.pk}/versions",
        {
            "data": {
                "type": "decisionFlowVersion",
                "attributes": {
                    "changeNote": "Bands instead of the cut-off table.",
                    "cutoffBands": [{"minimum": 550, "outcome": "APPROVE"}, {"minimum": None, "outcome": "DECLINE"}],
                    "steps": [
                        {
                            "kind": s.kind,
                            **({"ruleset": str(s.ruleset_id)} if s.ruleset_id else {"model": str(s.model_id)}),
                            "resultField": s.result_field,
                        }
                        for s in demo["flow"].steps.order_by("position")
                        if s.kind != "cutoff"
                    ],
                    "submit": True,
                },
            }
        },
    )
    assert created.status_code == 201, created.json()
    version = DecisionFlow.objects.get(pk=created.json()["data"]["id"])
    assert (version.status, version.version, version.created_by.username) == ("in_review", 2, "demo_partner_admin")
    approver = demo["people"]["rule_approver"][0]
    flow_version_publish(version=flow_version_approve(version=version, actor=approver), actor=approver)
    system = JsonApiClient(token=demo["token"])
    from decisioning.demo import demo_application

    decided = system.post(
        "/api/v1/decisions",
        {"data": {"type": "decision", "attributes": {"flowId": str(flow.pk), "application": demo_application(300)}}},
    ).json()["data"]["attributes"]
    assert decided["flowVersion"]["number"] == 2
    pinned = system.post(
        "/api/v1/decisions",
        {
            "data": {
                "type": "decision",
                "attributes": {"flowId": str(flow.pk), "flowVersion": 1, "application": demo_application(300)},
            }
        },
    ).json()["data"]["attributes"]
    assert pinned["flowVersion"]["number"] == 1


def transition(note="", **attributes):
    return {"data": {"type": "decisionFlowVersion", "attributes": {"note": note, **attributes}}}


def test_flow_versions_move_through_maker_checker_over_the_api(demo):
    from partners import roles
    from partners.services import user_roles_set

    flow = demo["flow"].definition
    author = demo["people"]["partner_admin"][0]
    user_roles_set(user=author, roles=[roles.PARTNER_ADMIN, roles.RULE_APPROVER], record=False)
    admin, approver = JsonApiClient(author), JsonApiClient(demo["people"]["rule_approver"][0])
    draft = admin.post(
        f"/api/v1/decision-flows/{flow.pk}/versions",
        {"data": {"type": "decisionFlowVersion", "attributes": {"changeNote": "Same steps, new number."}}},
    ).json()["data"]
    url = f"/api/v1/decision-flow-versions/{draft['id']}"
    assert approver.get(url).json()["data"]["attributes"]["status"] == "draft"
    assert approver.post(f"{url}/submit", transition()).status_code == 403  # only the partner admin submits
    submitted = admin.post(f"{url}/submit", transition("ready"))
    assert (submitted.status_code, submitted.json()["data"]["attributes"]["status"]) == (200, "in_review")

    refused = admin.post(f"{url}/approve", transition())  # a rule approver, but the author
    assert refused.status_code == 403 and "author" in refused.json()["errors"][0]["detail"]
    rejected = approver.post(f"{url}/reject", transition("say why the bands moved"))
    assert rejected.json()["data"]["attributes"]["status"] == "draft"
    admin.post(f"{url}/submit", transition())
    unreadable = approver.post(f"{url}/approve", transition(effectiveFrom="tomorrow"))
    assert unreadable.status_code == 400
    assert unreadable.json()["errors"][0]["source"]["pointer"] == "/data/attributes/effectiveFrom"
    approved = approver.post(f"{url}/approve", transition("from now"))
    assert approved.status_code == 200, approved.json()
    assert (approved.json()["data"]["attributes"]["approver"], approved.json()["data"]["attributes"]["status"]) == (
        "demo_rule_approver",
        "approved",
    )
    assert approver.post(f"{url}/approve", transition()).status_code == 409  # not in review any more
    published = approver.post(f"{url}/publish", transition("go"))
    assert published.json()["data"]["attributes"]["status"] == "published"
    system = JsonApiClient(token=demo["token"])
    from decisioning.demo import demo_application

    def decided_version():
        body = {
            "data": {"type": "decision", "attributes": {"flowId": str(flow.pk), "application": demo_application(7)}}
        }
        return system.post("/api/v1/decisions", body).json()["data"]["attributes"]["flowVersion"]["number"]

    assert decided_version() == 2
    retired = admin.post(f"{url}/retire", transition("back to version 1"))
    assert (retired.status_code, retired.json()["data"]["attributes"]["status"]) == (200, "retired")
    assert decided_version() == 1
    actions = set(
        AuditEvent.objects.filter(object_id=draft["id"], action__startswith="flow_version.").values_list(
            "action", flat=True
        )
    )
    assert {"flow_version.submit", "flow_version.reject", "flow_version.approve", "flow_version.publish"} <= actions
    assert "flow_version.retire" in actions


def test_a_version_naming_a_field_no_step_provides_or_of_the_wrong_type_cannot_be_submitted(demo):
    admin = JsonApiClient(demo["people"]["partner_admin"][0])
    flow = demo["flow"].definition
    response = admin.post(
        f"/api/v1/decision-flows/{flow.pk}/versions",
        {
            "data": {
                "type": "decisionFlowVersion",
                "attributes": {"scoreField": "addressState", "amountField": "applicantSex", "submit": True},
            }
        },
    )
    assert response.status_code == 400
    pointers = {error["source"]["pointer"]: error["detail"] for error in response.json()["errors"]}
    assert "/data/attributes/scoreField" in pointers and "string" in pointers["/data/attributes/scoreField"]
    assert "/data/attributes/amountField" in pointers
    # Steps out of order: the review step reads the score before any step provides it.
    steps = [
        {
            "kind": s.kind,
            **({"ruleset": str(s.ruleset_id)} if s.ruleset_id else {"model": str(s.model_id)}),
            "resultField": s.result_field,
        }
        for s in demo["flow"].steps.order_by("position")
    ]
    response = admin.post(
        f"/api/v1/decision-flows/{flow.pk}/versions",
        {
            "data": {
                "type": "decisionFlowVersion",
                "attributes": {"steps": [steps[0], steps[4], *steps[1:4]], "submit": True},
            }
        },
    )
    assert response.status_code == 400
    details = " ".join(error["detail"] for error in response.json()["errors"])
    assert "reads 'creditScore', which no earlier step or the application provides" in details


@pytest.mark.django_db(transaction=True)
def test_a_backtest_is_accepted_and_reports_progress_and_rates(demo, celery_worker_process):
    approver = JsonApiClient(demo["people"]["rule_approver"][0])
    flow = demo["flow"].definition
    response = approver.post(
        f"/api/v1/decision-flows/{flow.pk}/backtests",
        {"data": {"type": "backtest", "attributes": {"candidateId": str(demo["flow"].pk), "limit": 20}}},
    )
    assert response.status_code == 202, response.json()
    deadline = time.time() + 60
    while True:  # the worker runs it (in-process without REDIS_URL)
        backtest = approver.get(f"/api/v1/backtests/{response.json()['data']['id']}").json()["data"]["attributes"]
        if backtest["status"] in ("done", "failed") or time.time() > deadline:
            break
        assert 0 <= backtest["progress"] < 100
        time.sleep(0.3)
    assert (backtest["status"], backtest["progress"]) == ("done", 100), backtest["error"]
    report = backtest["report"]
    assert report["applications"] == 20 and report["swaps"] == {"newlyApproved": 0, "newlyDeclined": 0}
    assert report["arms"]["baseline"]["counts"] == report["arms"]["candidate"]["counts"]
    bad = approver.post(
        f"/api/v1/decision-flows/{flow.pk}/backtests", {"data": {"type": "backtest", "attributes": {"limit": 0}}}
    )
    assert bad.status_code == 400 and bad.json()["errors"][0]["source"]["pointer"] == "/data/attributes/limit"
