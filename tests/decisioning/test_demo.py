import pytest

from decisioning.demo import demo_load, example_arguments
from decisioning.models import InsightTransaction
from modelregistry.models import PredictiveModel
from partners.models import User
from tests.conftest import JsonApiClient

pytestmark = pytest.mark.django_db


def test_demo_seed_sequence_over_http_for_the_pmml_and_the_dmn_model():
    demo = demo_load(out=lambda *_: None)
    client = JsonApiClient(token=demo["token"])
    for model in (demo["logistic"], demo["knockout"]):
        fields = client.get(f"/api/v1/predictive-models/{model.pk}/fields").json()["data"]
        arguments = example_arguments(model)
        assert {
            f["attributes"]["supportedFieldName"] for f in fields if f["attributes"]["fieldType"] == "argument"
        } == set(arguments)
        created = client.post(
            "/api/v1/insights",
            {"data": {"type": "insight", "attributes": {"modelId": str(model.pk), "arguments": arguments}}},
        )
        assert created.status_code == 201, created.json()
        read_back = client.get(f"/api/v1/insights/{created.json()['data']['id']}").json()["data"]["attributes"]
        assert read_back["arguments"] == arguments
        assert read_back["results"] == created.json()["data"]["attributes"]["results"]
    probability = InsightTransaction.objects.get(model=demo["logistic"]).results["probabilityOfDefault"]
    assert 0 < probability < 1


def test_loading_the_demo_twice_changes_nothing():
    demo_load(out=lambda *_: None)
    counts = (User.objects.count(), PredictiveModel.objects.count())
    demo_load(out=lambda *_: None)
    assert (User.objects.count(), PredictiveModel.objects.count()) == counts


def test_the_demo_rule_steps_follow_rulesets_written_by_the_rule_editor_and_approved_by_the_approver():
    from decisioning.models import StepBinding
    from rulesets.models import RulesetTestCase
    from rulesets.services import ruleset_version_test_run

    demo = demo_load(out=lambda *_: None)
    steps = list(demo["flow"].steps.order_by("position"))
    assert [(s.kind, s.binding, s.ruleset.name if s.ruleset_id else None) for s in steps] == [
        ("knockout", StepBinding.FOLLOW, "Knock-out rules"),
        ("score", StepBinding.PIN, None),
        ("score", StepBinding.PIN, None),
        ("cutoff", StepBinding.FOLLOW, "Score cut-offs"),
        ("review", StepBinding.FOLLOW, "Review routing"),
    ]
    for name, ruleset in demo["rulesets"].items():
        [version] = ruleset.versions.all()
        assert (version.status, version.author.username, version.approver.username) == (
            "published",
            "demo_rule_editor",
            "demo_rule_approver",
        ), name
        run = ruleset_version_test_run(version=version)
        assert run.passed and len(run.results) >= 5, name
    assert RulesetTestCase.objects.count() == 21
    assert demo["knockout"] == demo["rulesets"]["knockout"].versions.get().published_model
