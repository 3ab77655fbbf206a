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
        assert {f["attributes"]["supportedFieldName"] for f in fields if f["attributes"]["fieldType"] == "argument"} == set(arguments)
        created = client.post("/api/v1/insights", {"data": {"type": "insight", "attributes": {"modelId": str(model.pk), "arguments": arguments}}})
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
