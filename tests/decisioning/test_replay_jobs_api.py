"""POST /api/v1/replay-jobs: replay many decisions in the background; each replay lands on the audit log."""

import time
import uuid

import pytest

from core.models import AuditEvent
from decisioning.demo import demo_decisions_run, demo_load
from decisioning.models import Decision
from partners import roles
from partners.services import api_token_create
from tests.conftest import JsonApiClient


def job_document(ids):
    return {"data": {"type": "replayJob", "attributes": {"decisionIds": [str(pk) for pk in ids]}}}


@pytest.fixture
def demo(transactional_db):
    demo = demo_load(out=lambda *_: None)
    demo_decisions_run(partner=demo["partner"], requested_by=demo["people"][roles.PARTNER_SYSTEM][0], count=3)
    demo["auditor"] = JsonApiClient(token=api_token_create(user=demo["people"][roles.AUDITOR][0]))
    return demo


def test_a_replay_job_is_accepted_and_replays_every_decision_named(demo, celery_worker_process):
    ids = list(Decision.objects.values_list("pk", flat=True))
    response = demo["auditor"].post("/api/v1/replay-jobs", job_document(ids))
    assert response.status_code == 202, response.json()
    data = response.json()["data"]
    assert data["type"] == "replayJob" and data["id"]
    assert sorted(data["attributes"]["decisionIds"]) == sorted(str(pk) for pk in ids)
    assert data["attributes"]["status"] == "queued"
    assert AuditEvent.objects.filter(action="decision.replay_job", data__decisions=len(ids)).count() == 1

    deadline = time.monotonic() + 120
    while AuditEvent.objects.filter(action="decision.replay").count() < len(ids) and time.monotonic() < deadline:
        time.sleep(0.2)
    replayed = AuditEvent.objects.filter(action="decision.replay")
    assert sorted(replayed.values_list("object_id", flat=True)) == sorted(str(pk) for pk in ids)
    assert all(event.data["identical"] for event in replayed)


@pytest.mark.parametrize(
    "ids, detail",
    [
        ([], "at least"),
        ([uuid.uuid4()] * 2 + ["not-a-uuid"], "not a valid UUID"),
        ([uuid.uuid4()] * 2 + ["0" * 65], "not a valid UUID"),  # longer than any id: was a 500
        ([uuid.uuid4()] * 2 + [""], "not a valid UUID"),  # empty: was a 500 too
    ],
)
def test_a_bad_list_of_decisions_is_400_naming_decision_ids(demo, ids, detail):
    response = demo["auditor"].post("/api/v1/replay-jobs", job_document(ids))
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["source"]["pointer"] == (
        "/data/attributes/decisionIds/2" if "UUID" in detail else "/data/attributes/decisionIds"
    )
    assert detail in error["detail"]
    assert not AuditEvent.objects.filter(action="decision.replay_job").exists()


def test_an_unknown_decision_is_404_and_nothing_is_queued(demo):
    response = demo["auditor"].post("/api/v1/replay-jobs", job_document([Decision.objects.first().pk, uuid.uuid4()]))
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="decision.replay_job").exists()


def test_more_than_a_thousand_decisions_is_400(demo):
    response = demo["auditor"].post("/api/v1/replay-jobs", job_document([uuid.uuid4() for _ in range(1001)]))
    assert response.status_code == 400
    assert response.json()["errors"][0]["source"]["pointer"] == "/data/attributes/decisionIds"


def test_an_item_that_is_not_a_string_is_400_naming_it(demo):  # found by Schemathesis: was a 500
    document = job_document([uuid.uuid4()])
    document["data"]["attributes"]["decisionIds"].append({})
    response = demo["auditor"].post("/api/v1/replay-jobs", document)
    assert response.status_code == 400
    assert [e["source"]["pointer"] for e in response.json()["errors"]] == ["/data/attributes/decisionIds/1"]
