import datetime

import pytest

from core.models import AuditEvent
from decisioning.models import InsightTransaction
from modelregistry import services as registry
from partners import roles
from tests.factories import KNOCKOUT_DMN, LOGISTIC_PMML, logistic_probability, publish_ruleset

pytestmark = pytest.mark.django_db


def insight_document(model_id, arguments):
    return {"data": {"type": "insight", "attributes": {"modelId": str(model_id), "arguments": arguments}}}


def register_mapped_logistic(partner, user):
    model = registry.predictive_model_register(partner=partner, name="PD", artifact=LOGISTIC_PMML, created_by=user)
    for name, concept in {
        "annual_inc": "annualIncome",
        "revol_util": "revolvingUtilization",
        "home_ownership": "homeOwnership",
        "probability_bad": "probabilityOfDefault",
    }.items():
        registry.predictive_model_field_map(field=model.fields.get(name=name), supported_field_name=concept, actor=user)
    return model


@pytest.fixture
def scientist(partner, make_user):
    return make_user(partner, roles.DATA_SCIENTIST)


@pytest.fixture
def system_api(partner, make_user, api_as, dictionary):
    return api_as(make_user(partner, roles.PARTNER_SYSTEM))


@pytest.fixture
def logistic(partner, scientist, dictionary):
    return register_mapped_logistic(partner, scientist)


@pytest.fixture
def knockout(partner, scientist, dictionary):
    return publish_ruleset(partner, "Knock-outs", KNOCKOUT_DMN).published_model


GOOD_ARGUMENTS = {"annualIncome": 45000, "revolvingUtilization": 62.5, "homeOwnership": "RENT"}


def test_pmml_seed_sequence_fields_then_evaluate_then_read_back(system_api, logistic):
    fields = system_api.get(f"/api/v1/predictive-models/{logistic.pk}/fields").json()["data"]
    arguments = {
        f["attributes"]["supportedFieldName"]: GOOD_ARGUMENTS[f["attributes"]["supportedFieldName"]]
        for f in fields
        if f["attributes"]["fieldType"] == "argument"
    }
    created = system_api.post("/api/v1/insights", insight_document(logistic.pk, arguments))
    assert created.status_code == 201, created.json()
    data = created.json()["data"]
    assert data["type"] == "insight"
    assert data["relationships"]["predictiveModel"]["data"] == {"type": "predictiveModel", "id": str(logistic.pk)}
    attributes = data["attributes"]
    assert attributes["arguments"] == GOOD_ARGUMENTS
    assert attributes["results"]["probabilityOfDefault"] == pytest.approx(
        logistic_probability(45000, 62.5, "RENT"), abs=1e-12
    )
    assert attributes["status"] == "ok" and attributes["created"]
    assert attributes["modelVersion"] == 1 and attributes["artifactSha256"] == logistic.sha256

    read_back = system_api.get(f"/api/v1/insights/{data['id']}")
    assert read_back.status_code == 200
    assert read_back.json()["data"]["attributes"]["results"] == attributes["results"]
    stored = InsightTransaction.objects.get(pk=data["id"])
    assert stored.arguments == GOOD_ARGUMENTS and type(stored.arguments["annualIncome"]) is int
    assert stored.engine_name and stored.engine_version and stored.duration_us > 0
    assert stored.field_mapping["annual_inc"] == "annualIncome"


def test_dmn_seed_sequence_knocks_out_with_reasons(system_api, knockout):
    created = system_api.post(
        "/api/v1/insights", insight_document(knockout.pk, {"annualIncome": 9000, "accountsNowDelinquent": 1})
    )
    assert created.status_code == 201, created.json()
    results = created.json()["data"]["attributes"]["results"]
    assert sorted(results["knockoutReasons"]) == ["KO01", "KO03"]
    clean = system_api.post(
        "/api/v1/insights", insight_document(knockout.pk, {"annualIncome": 90000, "accountsNowDelinquent": 0})
    )
    assert clean.json()["data"]["attributes"]["results"]["knockoutReasons"] in ([], None)
    read_back = system_api.get(f"/api/v1/insights/{created.json()['data']['id']}").json()["data"]
    assert sorted(read_back["attributes"]["results"]["knockoutReasons"]) == ["KO01", "KO03"]


@pytest.mark.parametrize(
    "arguments, pointers",
    [
        ({"annualIncome": 45000, "revolvingUtilization": 62.5}, ["/data/attributes/arguments/homeOwnership"]),
        ({**GOOD_ARGUMENTS, "favouriteColour": "blue"}, ["/data/attributes/arguments/favouriteColour"]),
        ({**GOOD_ARGUMENTS, "annualIncome": "45000"}, ["/data/attributes/arguments/annualIncome"]),
        ({**GOOD_ARGUMENTS, "annualIncome": True}, ["/data/attributes/arguments/annualIncome"]),
        ({**GOOD_ARGUMENTS, "homeOwnership": "CASTLE"}, ["/data/attributes/arguments/homeOwnership"]),
        ({**GOOD_ARGUMENTS, "revolvingUtilization": 250}, ["/data/attributes/arguments/revolvingUtilization"]),
        ({**GOOD_ARGUMENTS, "annualIncome": -5}, ["/data/attributes/arguments/annualIncome"]),
        (
            {"annualIncome": "lots", "homeOwnership": 3, "extra": 1},
            [
                "/data/attributes/arguments/annualIncome",
                "/data/attributes/arguments/extra",
                "/data/attributes/arguments/homeOwnership",
                "/data/attributes/arguments/revolvingUtilization",
            ],
        ),
        ("not an object", ["/data/attributes/arguments"]),
    ],
)
def test_bad_arguments_are_400_with_one_pointer_per_problem_and_nothing_is_stored(
    system_api, logistic, arguments, pointers
):
    before = (InsightTransaction.objects.count(), AuditEvent.objects.count())
    response = system_api.post("/api/v1/insights", insight_document(logistic.pk, arguments))
    assert response.status_code == 400, response.json()
    errors = response.json()["errors"]
    assert sorted(error["source"]["pointer"] for error in errors) == pointers
    assert all(error["status"] == "400" and error["detail"] for error in errors)
    assert (InsightTransaction.objects.count(), AuditEvent.objects.count()) == before


def test_explicit_null_is_a_missing_value_the_model_treats(system_api, logistic):
    response = system_api.post(
        "/api/v1/insights", insight_document(logistic.pk, {**GOOD_ARGUMENTS, "revolvingUtilization": None})
    )
    assert response.status_code == 201, response.json()
    # The PMML replaces a missing revol_util with 50.
    assert response.json()["data"]["attributes"]["results"]["probabilityOfDefault"] == pytest.approx(
        logistic_probability(45000, 50, "RENT"), abs=1e-12
    )


@pytest.mark.parametrize("model_id", ["00000000-0000-0000-0000-000000000000", "not-a-uuid"])
def test_unknown_model_is_rejected_and_nothing_is_stored(system_api, logistic, model_id):
    response = system_api.post(
        "/api/v1/insights",
        {"data": {"type": "insight", "attributes": {"modelId": model_id, "arguments": GOOD_ARGUMENTS}}},
    )
    assert response.status_code in (400, 404)
    assert InsightTransaction.objects.count() == 0


def test_a_model_with_unmapped_arguments_cannot_be_evaluated(system_api, partner, scientist, dictionary):
    model = registry.predictive_model_register(partner=partner, name="PD", artifact=LOGISTIC_PMML, created_by=scientist)
    response = system_api.post("/api/v1/insights", insight_document(model.pk, GOOD_ARGUMENTS))
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["code"] == "not_mapped" and error["source"]["pointer"] == "/data/attributes/modelId"
    assert "annual_inc" in error["detail"]
    assert InsightTransaction.objects.count() == 0


def test_a_retired_model_cannot_be_evaluated(system_api, logistic, scientist):
    registry.predictive_model_retire(model=logistic, actor=scientist)
    response = system_api.post("/api/v1/insights", insight_document(logistic.pk, GOOD_ARGUMENTS))
    assert response.status_code == 400 and response.json()["errors"][0]["code"] == "retired"


def test_an_engine_failure_is_stored_as_an_error_and_answered_without_a_trace(
    system_api, partner, scientist, dictionary
):
    # The model refuses values outside its own categories; the dictionary allows one more.
    artifact = (
        LOGISTIC_PMML.replace(
            '<MiningField name="home_ownership"/>',
            '<MiningField name="home_ownership" invalidValueTreatment="returnInvalid"/>',
        )
        .replace('<Value value="MORTGAGE"/>', "")
        .replace('<CategoricalPredictor name="home_ownership" value="MORTGAGE" coefficient="0"/>', "")
    )
    model = registry.predictive_model_register(
        partner=partner, name="Strict PD", artifact=artifact, created_by=scientist
    )
    for name, concept in {
        "annual_inc": "annualIncome",
        "revol_util": "revolvingUtilization",
        "home_ownership": "homeOwnership",
    }.items():
        registry.predictive_model_field_map(
            field=model.fields.get(name=name), supported_field_name=concept, actor=scientist
        )
    response = system_api.post(
        "/api/v1/insights", insight_document(model.pk, {**GOOD_ARGUMENTS, "homeOwnership": "MORTGAGE"})
    )
    assert response.status_code == 422, response.json()
    error = response.json()["errors"][0]
    assert error["code"] == "engine_error" and "Traceback" not in error["detail"]
    stored = InsightTransaction.objects.get(pk=error["meta"]["insightId"])
    assert stored.status == "error" and stored.error and stored.results is None


def test_auditors_list_insights_filtered_by_model_and_date(partner, make_user, api_as, system_api, logistic, knockout):
    for _ in range(3):
        system_api.post("/api/v1/insights", insight_document(logistic.pk, GOOD_ARGUMENTS))
    system_api.post(
        "/api/v1/insights", insight_document(knockout.pk, {"annualIncome": 9000, "accountsNowDelinquent": 0})
    )
    auditor = api_as(make_user(partner, roles.AUDITOR))
    everything = auditor.get("/api/v1/insights").json()
    assert everything["meta"]["pagination"]["count"] == 4
    by_model = auditor.get("/api/v1/insights", {"filter[model]": str(logistic.pk)}).json()
    assert {item["relationships"]["predictiveModel"]["data"]["id"] for item in by_model["data"]} == {str(logistic.pk)}
    today = datetime.date.today().isoformat()
    assert (
        auditor.get("/api/v1/insights", {"filter[createdTo]": "2000-01-01"}).json()["meta"]["pagination"]["count"] == 0
    )
    assert auditor.get("/api/v1/insights", {"filter[createdFrom]": today}).json()["meta"]["pagination"]["count"] == 4
    paged = auditor.get("/api/v1/insights", {"page[size]": 2}).json()
    assert len(paged["data"]) == 2 and paged["meta"]["pagination"]["pages"] == 2
    bad = auditor.get("/api/v1/insights", {"filter[createdFrom]": "yesterday"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["source"]["parameter"] == "filter[createdFrom]"


def test_a_partner_system_sees_only_its_own_insights(partner, make_user, api_as, system_api, logistic):
    system_api.post("/api/v1/insights", insight_document(logistic.pk, GOOD_ARGUMENTS))
    other_system = api_as(make_user(partner, roles.PARTNER_SYSTEM))
    assert other_system.get("/api/v1/insights").json()["meta"]["pagination"]["count"] == 0
