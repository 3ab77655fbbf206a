import pytest

from core.models import AuditEvent
from modelregistry.models import PredictiveModel, PredictiveModelField
from partners import roles
from tests.factories import KNOCKOUT_DMN, LOGISTIC_PMML

pytestmark = pytest.mark.django_db


def upload_document(name, artifact):
    return {"data": {"type": "predictiveModel", "attributes": {"name": name, "artifact": artifact}}}


def map_document(field_id, supported_field_name, **extra):
    return {
        "data": {
            "type": "predictiveModelField",
            "id": str(field_id),
            "attributes": {"supportedFieldName": supported_field_name, **extra},
        }
    }


@pytest.fixture
def scientist_api(partner, make_user, api_as, dictionary):
    return api_as(make_user(partner, roles.DATA_SCIENTIST))


def test_upload_pmml_extracts_fields_and_starts_unmapped(scientist_api):
    response = scientist_api.post("/api/v1/predictive-models", upload_document("Logistic PD", LOGISTIC_PMML))
    assert response.status_code == 201, response.json()
    data = response.json()["data"]
    assert data["type"] == "predictiveModel"
    assert data["attributes"]["engine"] == "pmml"
    assert data["attributes"]["version"] == 1
    assert sorted(data["attributes"]["unmappedArguments"]) == ["annual_inc", "home_ownership", "revol_util"]

    fields = scientist_api.get(f"/api/v1/predictive-models/{data['id']}/fields").json()["data"]
    by_name = {field["attributes"]["name"]: field for field in fields}
    assert by_name["annual_inc"]["type"] == "predictiveModelField"
    assert by_name["annual_inc"]["attributes"] == {
        "name": "annual_inc",
        "supportedFieldName": None,
        "fieldType": "argument",
        "dataType": "number",
        "allowedValues": None,
        "protectedUseAllowedBy": None,
    }
    assert by_name["home_ownership"]["attributes"]["allowedValues"] == ["RENT", "OWN", "MORTGAGE"]
    assert by_name["probability_bad"]["attributes"]["fieldType"] == "result"


def test_dmn_inputs_named_like_the_dictionary_map_themselves(scientist_api):
    response = scientist_api.post("/api/v1/predictive-models", upload_document("Knock-outs", KNOCKOUT_DMN))
    assert response.status_code == 201, response.json()
    assert response.json()["data"]["attributes"]["unmappedArguments"] == []
    fields = scientist_api.get(f"/api/v1/predictive-models/{response.json()['data']['id']}/fields").json()["data"]
    mapped = {f["attributes"]["name"]: f["attributes"]["supportedFieldName"] for f in fields}
    # A DMN number input takes the dictionary's integer concept; the COLLECT result is a list.
    assert mapped == {
        "annualIncome": "annualIncome",
        "accountsNowDelinquent": "accountsNowDelinquent",
        "knockoutReasons": "knockoutReasons",
    }


def test_uploading_the_same_name_again_makes_a_new_version_and_keeps_the_old(scientist_api):
    first = scientist_api.post("/api/v1/predictive-models", upload_document("PD", LOGISTIC_PMML)).json()["data"]
    second = scientist_api.post(
        "/api/v1/predictive-models", upload_document("PD", LOGISTIC_PMML.replace("-1.5", "-1.4"))
    ).json()["data"]
    assert (first["attributes"]["version"], second["attributes"]["version"]) == (1, 2)
    assert first["attributes"]["sha256"] != second["attributes"]["sha256"]
    assert PredictiveModel.objects.get(pk=first["id"]).artifact == LOGISTIC_PMML


def test_mapping_a_field_and_the_audit_trail(scientist_api):
    model_id = scientist_api.post("/api/v1/predictive-models", upload_document("PD", LOGISTIC_PMML)).json()["data"]["id"]
    field = PredictiveModelField.objects.get(model_id=model_id, name="annual_inc")
    response = scientist_api.patch(
        f"/api/v1/predictive-models/{model_id}/fields/{field.pk}", map_document(field.pk, "annualIncome")
    )
    assert response.status_code == 200, response.json()
    assert response.json()["data"]["attributes"]["supportedFieldName"] == "annualIncome"
    field.refresh_from_db()
    assert field.supported_field.name == "annualIncome"
    event = AuditEvent.objects.get(action="predictive_model_field.map")
    assert event.actor == scientist_api.user and event.data["supported_field"] == "annualIncome"


@pytest.mark.parametrize(
    "field_name, target, message",
    [
        ("annual_inc", "noSuchConcept", "no field 'noSuchConcept'"),
        ("annual_inc", "homeOwnership", "is a string"),
        ("home_ownership", "applicantAge", "is a string"),
    ],
)
def test_mapping_refuses_unknown_and_incompatible_fields(scientist_api, field_name, target, message):
    model_id = scientist_api.post("/api/v1/predictive-models", upload_document("PD", LOGISTIC_PMML)).json()["data"]["id"]
    field = PredictiveModelField.objects.get(model_id=model_id, name=field_name)
    response = scientist_api.patch(f"/api/v1/predictive-models/{model_id}/fields/{field.pk}", map_document(field.pk, target))
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["source"]["pointer"] == "/data/attributes/supportedFieldName"
    assert message in error["detail"]
    field.refresh_from_db()
    assert field.supported_field is None


def test_a_protected_characteristic_is_an_argument_only_when_explicitly_allowed(scientist_api):
    model_id = scientist_api.post("/api/v1/predictive-models", upload_document("PD", LOGISTIC_PMML)).json()["data"]["id"]
    field = PredictiveModelField.objects.get(model_id=model_id, name="revol_util")
    url = f"/api/v1/predictive-models/{model_id}/fields/{field.pk}"
    refused = scientist_api.patch(url, map_document(field.pk, "applicantAge"))
    assert refused.status_code == 400 and refused.json()["errors"][0]["code"] == "protected"
    allowed = scientist_api.patch(url, map_document(field.pk, "applicantAge", allowProtected=True))
    assert allowed.status_code == 200
    assert allowed.json()["data"]["attributes"]["protectedUseAllowedBy"] == scientist_api.user.username


@pytest.mark.parametrize(
    "artifact, expected",
    [
        ("not xml at all", "not well-formed XML"),
        ("<html><body/></html>", "root element is <html>"),
        (LOGISTIC_PMML.replace('<MiningField name="annual_inc"', '<MiningField name="annual_income"'), "annual_income"),
        (KNOCKOUT_DMN.replace("</definitions>", ""), "line"),
    ],
)
def test_an_invalid_artifact_is_rejected_saying_what_and_where_and_nothing_is_stored(scientist_api, artifact, expected):
    response = scientist_api.post("/api/v1/predictive-models", upload_document("Broken", artifact))
    assert response.status_code == 400, response.json()
    error = response.json()["errors"][0]
    assert error["source"]["pointer"] == "/data/attributes/artifact"
    assert expected in error["detail"]
    assert PredictiveModel.objects.count() == 0 and PredictiveModelField.objects.count() == 0


def test_a_partner_system_cannot_upload_models(partner, make_user, api_as, dictionary):
    system = api_as(make_user(partner, roles.PARTNER_SYSTEM))
    response = system.post("/api/v1/predictive-models", upload_document("PD", LOGISTIC_PMML))
    assert response.status_code == 403
    assert PredictiveModel.objects.count() == 0
