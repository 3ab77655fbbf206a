import pytest

from decisioning.demo import demo_load, example_arguments
from modelregistry import services as registry
from partners import roles
from tests.conftest import JsonApiClient
from tests.decisioning.test_insights_api import GOOD_ARGUMENTS, insight_document, register_mapped_logistic
from tests.factories import LOGISTIC_PMML

pytestmark = pytest.mark.django_db


def test_an_unmapped_result_is_warned_about_at_upload_and_listed(partner, make_user, dictionary):
    scientist = make_user(partner, roles.DATA_SCIENTIST)
    model = registry.predictive_model_register(partner=partner, name="PD", artifact=LOGISTIC_PMML, created_by=scientist)
    unmapped = [f.name for f in model.fields.filter(field_type="result", supported_field__isnull=True)]
    assert unmapped
    assert all(any(repr(name) in warning for warning in model.warnings) for name in unmapped)
    document = JsonApiClient(scientist).get(f"/api/v1/predictive-models/{model.pk}").json()["data"]["attributes"]
    assert document["unmappedResults"] == unmapped


def test_an_insight_names_the_results_it_returns_under_raw_names(partner, make_user, dictionary):
    scientist = make_user(partner, roles.DATA_SCIENTIST)
    model = register_mapped_logistic(partner, scientist)
    registry.predictive_model_field_map(
        field=model.fields.get(name="probability_bad"), supported_field_name=None, actor=scientist
    )
    created = JsonApiClient(scientist).post("/api/v1/insights", insight_document(model.pk, GOOD_ARGUMENTS))
    attributes = created.json()["data"]["attributes"]
    assert attributes["results"].keys() == {"probability_bad"}
    assert attributes["unmappedResults"] == ["probability_bad"]


def test_the_demo_models_return_dictionary_names_only():
    demo = demo_load(out=lambda *_: None)
    client = JsonApiClient(token=demo["token"])
    model = demo["logistic"]
    created = client.post(
        "/api/v1/insights",
        {"data": {"type": "insight", "attributes": {"modelId": str(model.pk), "arguments": example_arguments(model)}}},
    )
    attributes = created.json()["data"]["attributes"]
    assert attributes["unmappedResults"] == []
    assert {"probabilityOfDefault", "probabilityOfRepayment"} <= set(attributes["results"])
    assert not [name for name in attributes["results"] if "(" in name]
