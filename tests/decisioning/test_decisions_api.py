import json
import threading

import pytest
from django.db import connection

from decisioning.demo import demo_application, demo_decisions_run, demo_load
from decisioning.models import Decision, InsightTransaction, ReviewCase
from decisioning.services import decision_replay
from modelregistry.models import DataDictionaryField
from partners import roles
from tests.conftest import JsonApiClient


def decide(client, application, key=None, external_id="APP-1"):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(
        "/api/v1/decisions",
        {"data": {"type": "decision", "attributes": {"externalId": external_id, "application": application}}},
        **headers,
    )


@pytest.fixture
def demo(db):
    return demo_load(out=lambda *_: None)


@pytest.fixture
def system(demo):
    return JsonApiClient(token=demo["token"])


def clean_application(system):
    """The first demo application the flow approves with no referral reason."""
    for number in range(60):
        application = demo_application(number)
        data = decide(system, application, external_id=f"probe-{number}").json()["data"]["attributes"]
        if data["outcome"] == "APPROVED" and data["review"] is None:
            return application
    raise AssertionError("no clean application among the first 60 demo rows")


def assert_reasons_well_formed(reasons):
    codes = [reason["code"] for reason in reasons]
    assert len(codes) == len(set(codes)) and len(codes) <= 4
    assert all(reason["text"] and reason["text"] != reason["code"] for reason in reasons)


@pytest.mark.django_db
def test_a_knockout_declines_with_knockout_reasons_first(system):
    application = {**clean_application(system), "accountsNowDelinquent": 1, "delinquentAmount": 250.0}
    data = decide(system, application).json()["data"]["attributes"]
    assert data["outcome"] == "DECLINED" and data["finalOutcome"] == "DECLINED"
    assert [reason["code"] for reason in data["reasons"]][:2] == ["KO01", "KO02"]
    assert [step["kind"] for step in data["steps"]] == ["knockout"]  # nothing runs after a knock-out
    assert_reasons_well_formed(data["reasons"])


@pytest.mark.django_db
def test_approval_runs_every_step_and_reports_score_and_probability(system):
    data = decide(system, clean_application(system)).json()["data"]["attributes"]
    assert data["outcome"] == "APPROVED"
    assert [step["kind"] for step in data["steps"]] == ["knockout", "score", "score", "cutoff", "review"]
    assert data["score"] >= 563 and 0 < data["probabilityOfDefault"] < 1
    assert all(step["engine"] and step["durationUs"] >= 0 and step["version"] == 1 for step in data["steps"])


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change, reason",
    [
        ({"fundedAmount": 35000.0, "annualIncome": 40000.0}, "REV02"),
        ({"numInstallmentAccounts": 1, "inquiriesLastTwelveMonths": 0}, "REV03"),
        ({"revolvingUtilization": 140.0}, "REV04"),
        ({"verificationStatus": "Not_Verified", "fundedAmount": 32000.0, "annualIncome": 200000.0}, "REV05"),
    ],
)
def test_each_review_reason_refers_the_application_to_the_queue(system, change, reason):
    application = {**clean_application(system), **change}
    data = decide(system, application).json()["data"]["attributes"]
    assert data["outcome"] == "REFERRED"
    assert reason in [r["code"] for r in data["review"]["referralReasons"]]
    case = ReviewCase.objects.get(pk=data["review"]["id"])
    assert case.status == "open" and reason in case.referral_reasons


@pytest.mark.django_db
def test_demo_history_reaches_every_outcome_the_grey_zone_and_replays_identically(demo):
    outcomes = demo_decisions_run(
        partner=demo["partner"], requested_by=demo["people"][roles.PARTNER_SYSTEM][0], count=300
    )
    assert set(outcomes) == {"APPROVED", "DECLINED", "REFERRED"} and sum(outcomes.values()) == 300
    referral_codes = {code for case in ReviewCase.objects.all() for code in case.referral_reasons}
    assert "REV01" in referral_codes  # grey-zone scores
    declined = Decision.objects.filter(outcome="DECLINED")
    assert any(
        r["kind"] == "model" for d in declined for r in d.outputs["reasons"]
    )  # cut-off declines carry model reasons
    for decision in Decision.objects.all():
        assert_reasons_well_formed(decision.outputs["reasons"])
        report = decision_replay(decision=decision, actor=None)
        assert report["identical"], report
    assert InsightTransaction.objects.filter(decision__isnull=False).count() >= 300


@pytest.mark.django_db
def test_replay_endpoint_reports_identical_steps(system):
    created = decide(system, clean_application(system)).json()["data"]
    replay = system.client.post(f"/api/v1/decisions/{created['id']}/replay", HTTP_ACCEPT="application/vnd.api+json")
    assert replay.status_code == 200, replay.content
    report = replay.json()["meta"]
    assert report["identical"] is True and len(report["steps"]) == 5


@pytest.mark.django_db
def test_same_key_same_body_returns_the_first_decision_and_different_body_is_409(system):
    application = clean_application(system)
    first = decide(system, application, key="k-1")
    again = decide(system, application, key="k-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["data"]["id"] == first.json()["data"]["id"]
    assert Decision.objects.filter(idempotency_key="k-1").count() == 1
    other = decide(system, {**application, "annualIncome": 1_000_000.0}, key="k-1")
    assert other.status_code == 409


@pytest.mark.django_db
def test_a_retry_gets_the_first_decision_even_when_the_flow_can_no_longer_decide_it(system, demo):
    """The key is looked up when the request cannot be decided now, not only when the INSERT meets it."""
    from decisioning.services.decisions import flow_version_resolve
    from modelregistry.models import PredictiveModelField

    application = clean_application(system)
    first = decide(system, application, key="k-before-unmapping")
    assert first.status_code == 201
    step = flow_version_resolve(partner=demo["partner"]).steps.order_by("position").first()
    argument = PredictiveModelField.objects.filter(
        model__ruleset_version__ruleset=step.ruleset, field_type="argument"
    ).exclude(supported_field=None)
    argument.update(supported_field=None)
    DataDictionaryField.objects.first().save()  # queryset updates send no signal: drop the cached plans
    assert decide(system, application, key="another-key").status_code == 400
    again = decide(system, application, key="k-before-unmapping")
    assert again.status_code == 200, again.content[:300]
    assert again.json()["data"]["id"] == first.json()["data"]["id"]
    assert Decision.objects.filter(idempotency_key="k-before-unmapping").count() == 1


@pytest.mark.django_db
def test_a_retry_that_reserialises_numbers_and_reorders_keys_gets_the_first_decision(system):
    application = clean_application(system)
    whole = {name: value for name, value in application.items() if isinstance(value, float) and value == int(value)}
    assert whole, "the demo application has no whole-number float to re-serialise"
    first = decide(system, application, key="k-retry")
    assert first.status_code == 201
    # The retry writes 16100.0 as 16100 and sends the members in reverse order: the same request.
    retried = {name: int(value) if name in whole else value for name, value in reversed(list(application.items()))}
    body = json.dumps({"data": {"type": "decision", "attributes": {"externalId": "APP-1", "application": retried}}})
    assert json.dumps(application) not in body
    again = system.client.post(
        "/api/v1/decisions", data=body, content_type="application/vnd.api+json", HTTP_IDEMPOTENCY_KEY="k-retry"
    )
    assert again.status_code == 200, again.content[:300]
    assert again.json()["data"]["id"] == first.json()["data"]["id"]
    changed = {**application, next(iter(whole)): next(iter(whole.values())) + 0.5}
    assert decide(system, changed, key="k-retry").status_code == 409


@pytest.mark.django_db
def test_the_stored_fingerprint_is_keyed_not_a_plain_hash_of_the_request(system, settings):
    import hashlib

    from decisioning.services import request_fingerprint

    application = clean_application(system)
    decide(system, application, key="k-keyed")
    stored = Decision.objects.get(idempotency_key="k-keyed").request_fingerprint
    assert stored == request_fingerprint(flow_id=None, external_id="APP-1", application=application)
    for guess in (
        json.dumps(application, sort_keys=True),
        json.dumps(
            {"flowId": None, "externalId": "APP-1", "application": application}, sort_keys=True, separators=(",", ":")
        ),
    ):
        assert hashlib.sha256(guess.encode()).hexdigest() != stored
    settings.FINGERPRINT_KEY = "another server's key"
    assert request_fingerprint(flow_id=None, external_id="APP-1", application=application) != stored


@pytest.mark.django_db
def test_bad_application_is_400_with_pointers_and_stores_nothing(system):
    application = clean_application(system)
    before = (Decision.objects.count(), InsightTransaction.objects.count())
    bad = {**application, "annualIncome": "a lot", "shoeSize": 44}
    del bad["fundedAmount"]
    response = decide(system, bad)
    assert response.status_code == 400
    pointers = sorted(e["source"]["pointer"] for e in response.json()["errors"])
    assert pointers == [
        "/data/attributes/application/annualIncome",
        "/data/attributes/application/fundedAmount",
        "/data/attributes/application/shoeSize",
    ]
    assert (Decision.objects.count(), InsightTransaction.objects.count()) == before


@pytest.mark.django_db
def test_another_partners_decision_is_404(system, other_partner, make_user, api_as):
    created = decide(system, clean_application(system)).json()["data"]
    outsider = api_as(make_user(other_partner, roles.PARTNER_SYSTEM))
    assert outsider.get(f"/api/v1/decisions/{created['id']}").status_code == 404
    assert outsider.client.post(f"/api/v1/decisions/{created['id']}/replay").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_posts_with_one_key_create_exactly_one_decision():
    demo = demo_load(out=lambda *_: None)
    application = demo_application(0)
    statuses, ids, barrier = [], [], threading.Barrier(50)

    def post():
        try:
            client = JsonApiClient(token=demo["token"])
            barrier.wait(timeout=30)
            response = decide(client, application, key="race-1")
            statuses.append(response.status_code)
            ids.append(response.json()["data"]["id"])
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(statuses) == [200] * 49 + [201]
    assert len(set(ids)) == 1
    assert Decision.objects.filter(idempotency_key="race-1").count() == 1
    assert InsightTransaction.objects.filter(decision__idempotency_key="race-1").count() == 5
