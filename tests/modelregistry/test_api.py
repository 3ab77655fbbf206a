import pytest

from core.models import AuditEvent
from modelregistry.models import PredictiveModel, PredictiveModelField
from partners import roles
from rulesets.models import RulesetVersion
from tests.factories import KNOCKOUT_DMN, LOGISTIC_PMML, publish_draft

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


def published_upload(response):
    """The registered model of an uploaded DMN draft, once approved and published."""
    assert response.status_code == 201, response.json()
    assert response.json()["data"]["type"] == "rulesetVersion"
    return publish_draft(RulesetVersion.objects.get(pk=response.json()["data"]["id"])).published_model


def test_a_dmn_upload_is_a_draft_ruleset_version_not_a_registered_model(scientist_api):
    response = scientist_api.post("/api/v1/predictive-models", upload_document("Knock-outs", KNOCKOUT_DMN))
    assert response.status_code == 201, response.json()
    data = response.json()["data"]
    assert data["type"] == "rulesetVersion"
    assert (data["attributes"]["status"], data["attributes"]["number"], data["attributes"]["rulesetName"]) == (
        "draft",
        1,
        "Knock-outs",
    )
    assert response["Location"] == f"/api/v1/ruleset-versions/{data['id']}"
    assert PredictiveModel.objects.count() == 0  # nothing reaches decisions before approval
    assert RulesetVersion.objects.get(pk=data["id"]).dmn_xml == KNOCKOUT_DMN


def test_dmn_inputs_named_like_the_dictionary_map_themselves(scientist_api):
    model = published_upload(
        scientist_api.post("/api/v1/predictive-models", upload_document("Knock-outs", KNOCKOUT_DMN))
    )
    assert (
        scientist_api.get(f"/api/v1/predictive-models/{model.pk}").json()["data"]["attributes"]["unmappedArguments"]
        == []
    )
    fields = scientist_api.get(f"/api/v1/predictive-models/{model.pk}/fields").json()["data"]
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
    model_id = scientist_api.post("/api/v1/predictive-models", upload_document("PD", LOGISTIC_PMML)).json()["data"][
        "id"
    ]
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
    model_id = scientist_api.post("/api/v1/predictive-models", upload_document("PD", LOGISTIC_PMML)).json()["data"][
        "id"
    ]
    field = PredictiveModelField.objects.get(model_id=model_id, name=field_name)
    response = scientist_api.patch(
        f"/api/v1/predictive-models/{model_id}/fields/{field.pk}", map_document(field.pk, target)
    )
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["source"]["pointer"] == "/data/attributes/supportedFieldName"
    assert message in error["detail"]
    field.refresh_from_db()
    assert field.supported_field is None


def test_a_protected_characteristic_is_an_argument_only_when_explicitly_allowed(scientist_api):
    model_id = scientist_api.post("/api/v1/predictive-models", upload_document("PD", LOGISTIC_PMML)).json()["data"][
        "id"
    ]
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


# --- Excel rule workbooks -----------------------------------------------------------------------


def knockout_workbook(second_rule_income="< 12000"):
    from tests.rulesets.workbooks import glossary_sheet, new_workbook, table_sheet, to_bytes

    workbook = new_workbook()
    glossary_sheet(
        workbook,
        [
            ("Income", "Applicant", "annualIncome"),
            ("Delinquent Accounts", None, "accountsNowDelinquent"),
            ("Housing", None, "homeOwnership"),
            ("Knockouts", "Outcome", "knockoutReasons"),
        ],
    )
    table_sheet(
        workbook,
        "Knockouts",
        "Knockouts",
        "C",
        ["Income", "Delinquent Accounts", "Housing"],
        ["Knockouts"],
        [
            [second_rule_income, "-", "-", "KO_INCOME"],
            ["-", "> 0", "-", "KO_DELINQUENT"],
            ["-", "-", "RENT, OWN", "KO_HOUSING"],
        ],
    )
    return to_bytes(workbook)


def workbook_document(name, workbook, **extra):
    import base64

    attributes = {"name": name, "workbook": base64.b64encode(workbook).decode("ascii"), **extra}
    return {"data": {"type": "predictiveModel", "attributes": attributes}}


def test_an_excel_workbook_is_registered_as_dmn_mapped_and_evaluated(partner, make_user, api_as, scientist_api):
    workbook = knockout_workbook()
    response = scientist_api.post(
        "/api/v1/predictive-models", workbook_document("Knock-outs", workbook, sourceName="knockouts.xlsx")
    )
    assert response.status_code == 201, response.json()
    draft = response.json()["data"]["attributes"]
    assert (draft["status"], draft["sourceFormat"], draft["sourceName"]) == ("draft", "xlsx", "knockouts.xlsx")
    model = published_upload(response)
    attributes = scientist_api.get(f"/api/v1/predictive-models/{model.pk}").json()["data"]["attributes"]
    assert attributes["engine"] == "dmn" and attributes["sourceFormat"] == "xlsx"
    assert attributes["sourceName"] == "knockouts.xlsx"
    assert attributes["unmappedArguments"] == []  # glossary attributes named like the dictionary map themselves
    assert bytes(model.source_file) == workbook and model.artifact.startswith("<?xml")
    event = AuditEvent.objects.get(action="predictive_model.register")
    assert event.data["source_format"] == "xlsx" and len(event.data["source_sha256"]) == 64

    insight = scientist_api.post(
        "/api/v1/insights",
        {
            "data": {
                "type": "insight",
                "attributes": {
                    "modelId": str(model.pk),
                    "arguments": {"annualIncome": 9000, "accountsNowDelinquent": 0, "homeOwnership": "MORTGAGE"},
                },
            }
        },
    )
    assert insight.status_code == 201, insight.json()
    assert insight.json()["data"]["attributes"]["results"]["knockoutReasons"] == ["KO_INCOME"]

    # An auditor downloads the workbook exactly as it was uploaded.
    auditor = api_as(make_user(partner, roles.AUDITOR))
    download = auditor.get(f"/api/v1/predictive-models/{model.pk}/source")
    assert download.status_code == 200
    assert download.content == workbook
    assert download["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert 'filename="knockouts.xlsx"' in download["Content-Disposition"]


def test_a_new_workbook_version_carries_the_mapping_and_an_xml_upload_downloads_as_xml(scientist_api):
    first = scientist_api.post("/api/v1/predictive-models", workbook_document("KO", knockout_workbook()))
    second = scientist_api.post("/api/v1/predictive-models", workbook_document("KO", knockout_workbook("< 15000")))
    assert second.status_code == 201, second.json()
    assert second.json()["data"]["attributes"]["number"] == 2
    assert first.json()["data"]["attributes"]["sha256"] != second.json()["data"]["attributes"]["sha256"]
    first_model, second_model = published_upload(first), published_upload(second)
    assert (first_model.version, second_model.version) == (1, 2)
    assert list(first_model.fields.values_list("name", "supported_field__name")) == list(
        second_model.fields.values_list("name", "supported_field__name")
    )
    xml = scientist_api.post("/api/v1/predictive-models", upload_document("Knock-out XML", KNOCKOUT_DMN))
    assert xml.json()["data"]["attributes"]["sourceFormat"] == "xml"
    download = scientist_api.get(f"/api/v1/predictive-models/{published_upload(xml).pk}/source")
    assert download.content.decode("utf-8") == KNOCKOUT_DMN


@pytest.mark.parametrize(
    "attributes, pointer, expected",
    [
        ({"workbook": "not base64!"}, "/data/attributes/workbook", "base64"),
        ({"workbook": "PGRlZmluaXRpb25zLz4="}, "/data/attributes/workbook", "not an Excel workbook"),
        ({}, "/data/attributes/artifact", "either an artifact"),
        ({"artifact": KNOCKOUT_DMN, "workbook": "UEsDBA=="}, "/data/attributes/artifact", "either an artifact"),
    ],
)
def test_a_bad_workbook_upload_names_the_field_and_stores_nothing(scientist_api, attributes, pointer, expected):
    document = {"data": {"type": "predictiveModel", "attributes": {"name": "KO", **attributes}}}
    response = scientist_api.post("/api/v1/predictive-models", document)
    assert response.status_code == 400, response.json()
    error = response.json()["errors"][0]
    assert error["source"]["pointer"] == pointer
    assert expected in error["detail"]
    assert PredictiveModel.objects.count() == 0 and RulesetVersion.objects.count() == 0


def test_a_workbook_whose_rules_are_wrong_is_refused_naming_the_sheet_and_cell(scientist_api):
    response = scientist_api.post("/api/v1/predictive-models", workbook_document("KO", knockout_workbook("< (12000")))
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["source"]["pointer"] == "/data/attributes/workbook"
    assert "sheet 'Knockouts' cell C4" in error["detail"]
    assert PredictiveModel.objects.count() == 0


def test_another_partners_source_is_not_found(scientist_api, other_partner, make_user, api_as):
    model = published_upload(
        scientist_api.post("/api/v1/predictive-models", workbook_document("KO", knockout_workbook()))
    )
    stranger = api_as(make_user(other_partner, roles.AUDITOR))
    assert stranger.get(f"/api/v1/predictive-models/{model.pk}/source").status_code == 404
