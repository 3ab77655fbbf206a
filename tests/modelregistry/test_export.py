"""Exporting a registered DMN model as DMN XML or as an Excel workbook, through the API and the admin."""

import base64
import io
from pathlib import Path

import openpyxl
import pytest
from django.contrib.auth.models import Permission

from modelregistry import engines, services
from partners import roles
from rulesets import dmn
from rulesets.models import RulesetVersion
from tests.factories import LOGISTIC_PMML, DataDictionaryFieldFactory, publish_draft, publish_ruleset

pytestmark = pytest.mark.django_db

REPOSITORY = Path(__file__).resolve().parents[2]
KNOCKOUT = (REPOSITORY / "demo" / "rules" / "knockout.dmn").read_text()
DINNER_DMN11 = (REPOSITORY / "tests" / "rulesets" / "camunda" / "dinner_decisions_dmn11.dmn").read_text()
APPLICANT = {
    "accountsNowDelinquent": 0,
    "delinquentAmount": 0,
    "annualIncome": 9000,
    "inquiriesLastSixMonths": 7,
    "fundedAmount": 45000,
    "delinquenciesTwoYears": 1,
}


@pytest.fixture
def editor(partner, make_user):
    return make_user(partner, roles.RULE_EDITOR)


@pytest.fixture
def knockout(partner, editor, dictionary):
    for name, data_type in (
        ("delinquentAmount", "number"),
        ("inquiriesLastSixMonths", "integer"),
        ("fundedAmount", "number"),
        ("delinquenciesTwoYears", "integer"),
    ):
        DataDictionaryFieldFactory(name=name, data_type=data_type)  # the demo knock-outs read these too
    return publish_ruleset(partner, "Knock-outs", KNOCKOUT, author=editor).published_model


def test_a_dmn_model_exports_as_dmn_xml_that_decides_the_same(api_as, editor, knockout):
    response = api_as(editor).get(f"/api/v1/predictive-models/{knockout.pk}/export", {"format": "dmn"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    assert 'filename="Knock-outs-v1.dmn"' in response["Content-Disposition"]
    exported = response.content.decode()
    assert (
        exported != KNOCKOUT and "<description>Currently delinquent on one or more accounts</description>" in exported
    )
    assert dmn.load(exported).evaluate(APPLICANT) == dmn.load(KNOCKOUT).evaluate(APPLICANT)


def test_an_exported_workbook_uploads_again_as_the_same_rules(api_as, editor, knockout):
    client = api_as(editor)
    response = client.get(f"/api/v1/predictive-models/{knockout.pk}/export", {"format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames[:2] == ["Glossary", "Decision"] and "knockout" in workbook.sheetnames

    uploaded = client.post(
        "/api/v1/predictive-models",
        {
            "data": {
                "type": "predictiveModel",
                "attributes": {
                    "name": "Knock-outs",
                    "sourceName": "knockouts.xlsx",
                    "workbook": base64.b64encode(response.content).decode(),
                },
            }
        },
    )
    assert uploaded.status_code == 201, uploaded.json()
    assert uploaded.json()["data"]["type"] == "rulesetVersion"  # rules wait for a second person
    draft = RulesetVersion.objects.get(pk=uploaded.json()["data"]["id"])
    assert (draft.number, draft.source_format) == (2, "xlsx")
    again = publish_draft(draft).published_model
    assert dmn.load(again.artifact).evaluate(APPLICANT)["knockout"] == ["KO03", "KO04", "KO05"]
    assert dmn.load(again.artifact).evaluate(APPLICANT) == dmn.load(KNOCKOUT).evaluate(APPLICANT)


def test_another_partners_model_does_not_export(api_as, make_user, other_partner, knockout):
    stranger = api_as(make_user(other_partner, roles.RULE_EDITOR))
    for export_format in ("dmn", "xlsx"):
        response = stranger.get(f"/api/v1/predictive-models/{knockout.pk}/export", {"format": export_format})
        assert response.status_code == 404


@pytest.mark.parametrize(
    "export_format, expected", [("pdf", "Choose an export format"), ("", "Choose an export format")]
)
def test_an_unknown_export_format_is_a_400_naming_the_parameter(api_as, editor, knockout, export_format, expected):
    response = api_as(editor).get(f"/api/v1/predictive-models/{knockout.pk}/export", {"format": export_format})
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["source"] == {"parameter": "format"} and expected in error["detail"]


def test_a_pmml_model_does_not_export_as_rules(api_as, partner, editor, dictionary):
    model = services.predictive_model_register(partner=partner, name="PD", created_by=editor, artifact=LOGISTIC_PMML)
    response = api_as(editor).get(f"/api/v1/predictive-models/{model.pk}/export", {"format": "dmn"})
    assert response.status_code == 400
    assert "Only DMN rule models" in response.json()["errors"][0]["detail"]


def test_a_camunda_file_registers_with_its_implicit_inputs_warned_and_as_arguments(api_as, editor):
    response = api_as(editor).post(
        "/api/v1/predictive-models",
        {"data": {"type": "predictiveModel", "attributes": {"name": "Dinner", "artifact": DINNER_DMN11}}},
    )
    assert response.status_code == 201, response.json()
    attributes = response.json()["data"]["attributes"]
    assert any("'season', which no inputData declares" in warning for warning in attributes["warnings"])
    draft = RulesetVersion.objects.get(pk=response.json()["data"]["id"])
    loaded = engines.load(engine="dmn", artifact=draft.dmn_xml, sha256=draft.sha256)
    arguments = {f.name for f in loaded.fields if f.field_type == "argument"}
    assert arguments == {"season", "guestCount", "guestsWithChildren"}


def test_the_admin_page_offers_both_exports_and_serves_them_to_the_partner_only(
    client, partner, other_partner, make_user, knockout
):
    staff = make_user(partner, roles.RULE_EDITOR, is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(codename="view_predictivemodel"))
    client.force_login(staff)
    page = client.get(f"/admin/modelregistry/predictivemodel/{knockout.pk}/change/").content.decode()
    for export_format in ("dmn", "xlsx"):
        url = f"/admin/modelregistry/predictivemodel/{knockout.pk}/export/{export_format}/"
        assert url in page
        response = client.get(url)
        assert response.status_code == 200 and response.content
    stranger = make_user(other_partner, roles.RULE_EDITOR, is_staff=True)
    stranger.user_permissions.set(Permission.objects.filter(codename="view_predictivemodel"))
    client.force_login(stranger)
    assert client.get(f"/admin/modelregistry/predictivemodel/{knockout.pk}/export/dmn/").status_code == 404
