"""Uploading models in the admin: XML and Excel rule workbooks go through the registry service."""

from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile

from modelregistry import engines
from modelregistry.models import PredictiveModel
from partners import roles
from rulesets.models import RulesetVersion
from tests.factories import publish_draft

from .test_api import knockout_workbook

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/modelregistry/predictivemodel/add/"


@pytest.fixture
def editor(client, partner, make_user, dictionary):
    user = make_user(partner, roles.RULE_EDITOR, is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            codename__in=["add_predictivemodel", "view_predictivemodel", "change_predictivemodel"]
        )
    )
    client.force_login(user)
    return user


def upload(client, partner, name, content, filename):
    return client.post(
        ADD_URL,
        {
            "partner": partner.pk,
            "name": name,
            "description": "",
            "artifact_file": SimpleUploadedFile(filename, content),
        },
    )


def test_a_rule_editor_uploads_a_workbook_and_downloads_it_back(client, partner, editor):
    workbook = knockout_workbook()
    response = upload(client, partner, "Knock-outs", workbook, "knockouts.xlsx")
    assert response.status_code == 302, response.content.decode()[:2000]
    assert PredictiveModel.objects.count() == 0  # a draft until approved and published
    draft = RulesetVersion.objects.get(ruleset__name="Knock-outs")
    assert (draft.status, draft.author, draft.source_name) == ("draft", editor, "knockouts.xlsx")
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("draft version 1" in m for m in messages), messages
    model = publish_draft(draft).published_model
    assert (model.engine, model.source_format, model.source_name) == ("dmn", "xlsx", "knockouts.xlsx")
    assert sorted(model.fields.values_list("name", flat=True)) == [
        "accountsNowDelinquent",
        "annualIncome",
        "homeOwnership",
        "knockoutReasons",
    ]

    page = client.get(f"/admin/modelregistry/predictivemodel/{model.pk}/change/").content.decode()
    assert "Download Excel rule workbook" in page and "knockouts.xlsx" in page
    download = client.get(f"/admin/modelregistry/predictivemodel/{model.pk}/source/")
    assert download.status_code == 200 and download.content == workbook


def test_a_workbook_with_a_bad_cell_is_refused_with_the_cell_and_nothing_is_stored(client, partner, editor):
    response = upload(client, partner, "Knock-outs", knockout_workbook("< (12000"), "knockouts.xlsx")
    assert response.status_code == 302
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("sheet 'Knockouts' cell C4" in m for m in messages), messages
    assert PredictiveModel.objects.count() == 0 and RulesetVersion.objects.count() == 0


def test_a_file_that_is_neither_xml_nor_a_workbook_is_refused(client, partner, editor):
    response = upload(client, partner, "Binary", b"\x00\xff\xfe junk", "junk.bin")
    assert response.status_code == 200
    assert "neither XML (PMML, DMN) nor an Excel workbook" in response.content.decode()
    assert PredictiveModel.objects.count() == 0


def test_another_partners_staff_cannot_download_the_source(client, partner, other_partner, editor, make_user):
    upload(client, partner, "Knock-outs", knockout_workbook(), "knockouts.xlsx")
    model = publish_draft(RulesetVersion.objects.get()).published_model
    stranger = make_user(other_partner, roles.RULE_EDITOR, is_staff=True)
    stranger.user_permissions.set(Permission.objects.filter(codename="view_predictivemodel"))
    client.force_login(stranger)
    assert client.get(f"/admin/modelregistry/predictivemodel/{model.pk}/source/").status_code == 404


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_a_browser_a_rule_editor_uploads_a_workbook_and_sees_its_fields_mapped(
    live_server, partner, make_user, dictionary, tmp_path
):
    import os
    from pathlib import Path

    from playwright.sync_api import expect, sync_playwright

    from tests.decisioning.test_review_pages import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
    from tests.factories import PASSWORD

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    assert Path(CHROMIUM).exists(), f"Chromium is not installed at {CHROMIUM}"
    ARTIFACTS.mkdir(exist_ok=True)
    user = make_user(partner, roles.RULE_EDITOR, username="rita", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            codename__in=[
                "add_predictivemodel",
                "view_predictivemodel",
                "change_predictivemodel",
                "view_predictivemodelfield",
                "change_predictivemodelfield",
            ]
        )
    )
    workbook = tmp_path / "knockouts.xlsx"
    workbook.write_bytes(knockout_workbook())

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(90_000)  # the first workbook in a process imports pyDMNrules (13-22 s)
            page.goto(f"{live_server.url}{ADD_URL}")
            page.fill("#id_username", "rita")
            page.fill("#id_password", PASSWORD)
            page.locator("input[type=submit]").click()
            page.select_option("#id_partner", str(partner.pk))
            page.fill("#id_name", "Knock-outs")
            page.set_input_files("#id_artifact_file", str(workbook))
            page.screenshot(path=str(ARTIFACTS / "admin-workbook-upload.png"), full_page=True)
            page.locator("input[name=_continue]").click()

            expect(page.locator("ul.messagelist")).to_contain_text("Saved as draft version 1")
            model = publish_draft(RulesetVersion.objects.get(ruleset__name="Knock-outs")).published_model
            page.goto(f"{live_server.url}/admin/modelregistry/predictivemodel/{model.pk}/change/")
            expect(page.locator("body")).to_contain_text("Excel rule workbook")
            expect(page.locator("body")).to_contain_text("knockouts.xlsx")
            inline = page.locator(".inline-group")
            for name in ("annualIncome", "accountsNowDelinquent", "homeOwnership", "knockoutReasons"):
                expect(inline).to_contain_text(name)
            page.screenshot(path=str(ARTIFACTS / "admin-workbook-registered.png"), full_page=True)
            with page.expect_download() as download_info:
                page.get_by_role("link", name="Download Excel rule workbook").click()
            assert Path(download_info.value.path()).read_bytes() == workbook.read_bytes()
        finally:
            browser.close()
    model = PredictiveModel.objects.get()
    assert model.fields.filter(supported_field__isnull=False).count() == 4


def test_the_reference_engine_is_allowed_only_by_ticking_the_box_and_that_is_audited(client, partner, editor):
    from core.models import AuditEvent

    from .test_upload_security import hostile

    artifact = hostile("", "NOTE").encode("utf-8")
    refused = upload(client, partner, "Replace", artifact, "replace.pmml")
    messages = [str(m) for m in refused.wsgi_request._messages]
    assert any("allowReferenceEngine" in m and "replace" in m for m in messages), messages
    assert PredictiveModel.objects.count() == 0

    allowed = client.post(
        ADD_URL,
        {
            "partner": partner.pk,
            "name": "Replace",
            "description": "",
            "allow_reference_engine": "on",
            "artifact_file": SimpleUploadedFile("replace.pmml", artifact),
        },
    )
    assert allowed.status_code == 302, allowed.content.decode()[:2000]
    model = PredictiveModel.objects.get(name="Replace")
    assert model.allow_reference_engine is True
    assert AuditEvent.objects.get(action="predictive_model.register").data["allow_reference_engine"] is True
    page = client.get(f"/admin/modelregistry/predictivemodel/{model.pk}/change/").content.decode()
    assert "Allow reference engine" in page


def test_a_utf16_file_with_a_doctype_is_refused_in_the_admin(client, partner, editor):
    from .test_upload_security import hostile

    artifact = hostile('<!DOCTYPE PMML [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n', "&secret;")
    response = upload(client, partner, "UTF-16", artifact.replace('"UTF-8"', '"UTF-16"').encode("utf-16"), "x.pmml")
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("DOCTYPE" in m and "line 2" in m for m in messages), messages
    assert PredictiveModel.objects.count() == 0


def test_a_file_over_the_limit_is_refused_in_the_admin(client, partner, editor):
    response = upload(client, partner, "Huge", b"<PMML>" + b" " * (20 * 1024 * 1024) + b"</PMML>", "huge.pmml")
    assert response.status_code == 200
    assert "the limit is 20,971,520 bytes" in response.content.decode()
    assert PredictiveModel.objects.count() == 0


def test_a_camunda_file_uploads_with_its_implicit_inputs_shown_as_warnings(client, partner, editor):
    dinner = (Path(__file__).resolve().parents[1] / "rulesets" / "camunda" / "dinner_decisions_dmn11.dmn").read_bytes()
    response = upload(client, partner, "Dinner", dinner, "dinnerDecisions.dmn")
    assert response.status_code == 302, response.content.decode()[:2000]
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("Dinner v1 (draft): decision 'Dish' reads 'season', which no inputData declares" in m for m in messages)
    assert not PredictiveModel.objects.filter(name="Dinner").exists()  # DMN rules wait for approval
    draft = RulesetVersion.objects.get(ruleset__name="Dinner")
    loaded = engines.load(engine="dmn", artifact=draft.dmn_xml, sha256=draft.sha256)
    assert sorted(f.name for f in loaded.fields if f.field_type == "argument") == [
        "guestCount",
        "guestsWithChildren",
        "season",
    ]


ONBOARDING = Path(__file__).resolve().parents[1] / "data" / "onboarding"


@pytest.fixture
def partner_admin(client, partner, make_user):
    """A new partner's admin: the role's own permissions (partners/roles.py), nothing added."""
    from modelregistry.services import data_dictionary_import_csv

    user = make_user(partner, roles.PARTNER_ADMIN, is_staff=True)
    data_dictionary_import_csv(text=(ONBOARDING / "dictionary.csv").read_text(), actor=user)
    client.force_login(user)
    return user


def test_a_partner_admin_uploads_a_model_and_is_sent_to_map_its_own_column_names(client, partner, partner_admin):
    response = upload(client, partner, "Points", (ONBOARDING / "points.pmml").read_bytes(), "points.pmml")
    model = PredictiveModel.objects.get(name="Points")
    assert response.status_code == 302
    assert response["Location"] == f"/admin/modelregistry/predictivemodel/{model.pk}/change/"
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("Map monthly_net_income, years_at_employer" in m and "credit_points" in m for m in messages), messages
    page = client.get(response["Location"]).content.decode()
    assert "monthlyNetIncome (Monthly net income)" in page  # choices by name and label
    assert "add_id_fields-0-supported_field" not in page  # no "add another" beside the choice


def test_a_dmn_upload_by_a_partner_admin_opens_the_rule_editor_on_its_draft(client, partner, partner_admin):
    response = upload(client, partner, "Refusals", (ONBOARDING / "refusals.dmn").read_bytes(), "refusals.dmn")
    draft = RulesetVersion.objects.get(ruleset__name="Refusals")
    assert response.status_code == 302
    assert response["Location"] == f"/admin/rulesets/ruleset/version/{draft.pk}/editor/"
    page = client.get(response["Location"]).content.decode()
    assert 'name="map:monthly_net_income"' in page and 'name="map:refusal_codes"' in page
