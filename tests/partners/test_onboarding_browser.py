"""A new partner's first hour, from nothing, in a browser: field names unlike the demo's.

A superuser creates the partner and its admin in the admin; the partner admin signs in to the
product, adds a rule approver and its loan-origination system, imports dictionary entries from
CSV, and creates API tokens. The model and rule uploads, field mapping and the maker-checker path
go through the API with the people's own tokens (partner admins reach the admin's upload pages
once admin roles are staff); the partner system then evaluates both through /api/v1/insights.
"""

import json
import os
import re
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.factories import KNOCKOUT_DMN, LOGISTIC_PMML

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's loop runs in this thread

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
JSON_API = "application/vnd.api+json"

# A Norwegian lender's own vocabulary: nothing like Lending Club's names.
PMML = (
    LOGISTIC_PMML.replace("annual_inc", "netto_lonn")
    .replace("revol_util", "kortbruk_pst")
    .replace("home_ownership", "boform")
    .replace("probability_bad", "p_mislighold")
)
DMN = (
    KNOCKOUT_DMN.replace("annualIncome", "yearlyNetSalary")
    .replace("accountsNowDelinquent", "openArrearsCount")
    .replace("knockoutReasons", "refusalCodes")
)
DICTIONARY_CSV = (
    "name,data_type,label,unit,display_format,allowed_values,value_labels,minimum,maximum,description\n"
    "yearlyNetSalary,number,Yearly net salary,NOK,currency,,,0,100000000,After tax\n"
    "cardUsagePercent,number,Card usage,percent,percent,,,0,300,Revolving credit used\n"
    "housingForm,string,Housing,,enumeration,RENT|OWN|MORTGAGE,RENT=Rents|OWN=Owns|MORTGAGE=Mortgage,,,\n"
    "openArrearsCount,integer,Open arrears,,number,,,0,99,\n"
    "defaultLikelihood,number,Likelihood of default,fraction,percent,,,0,1,\n"
    "refusalCodes,list,Refusal codes,,,,,,,Knock-out codes\n"
)
BAD_CSV = "name,data_type\nyearly net salary,number\nannualIncome,string\n"


def api(url, token, method="GET", document=None):
    request = urllib.request.Request(
        url,
        method=method,
        data=json.dumps(document).encode() if document else None,
        headers={"Authorization": f"Token {token}", "Accept": JSON_API, "Content-Type": JSON_API},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def doc(resource_type, **attributes):
    return {"data": {"type": resource_type, "attributes": attributes}}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_new_partner_goes_from_nothing_to_evaluations_through_the_product(live_server, dictionary):
    from playwright.sync_api import expect, sync_playwright

    from partners.models import User

    assert Path(CHROMIUM).exists(), f"Chromium is not installed at {CHROMIUM}"
    ARTIFACTS.mkdir(exist_ok=True)
    User.objects.create_superuser(username="platform", password="platform-password-123")
    base = live_server.url

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})

            def sign_in(username, password, at="/accounts/login/"):
                page.context.clear_cookies()
                page.goto(base + at)
                page.fill("#id_username", username)
                page.fill("#id_password", password)
                page.locator("form [type=submit]").first.click()

            # 1. The superuser creates the partner and its first admin.
            sign_in("platform", "platform-password-123", at="/admin/login/")
            page.goto(base + "/admin/partners/partner/add/")
            page.fill("#id_name", "Fjordbank Kreditt")
            page.fill("#id_admin_username", "fjord-admin")
            page.screenshot(path=str(ARTIFACTS / "onboarding-admin-add-partner.png"), full_page=True)
            page.locator("input[name=_save]").click()
            message = page.locator(".messagelist .success").first.inner_text()
            admin_password = re.search(r"shown only now: (\S+)", message).group(1)

            # 2. The partner admin signs in and lands on the overview.
            sign_in("fjord-admin", admin_password)
            expect(page.get_by_role("heading", name="Fjordbank Kreditt")).to_be_visible()
            assert page.url == base + "/overview/"
            page.screenshot(path=str(ARTIFACTS / "home-partner-admin.png"), full_page=True)

            # 3. People: a rule approver and the loan-origination system; tokens shown once.
            page.get_by_role("link", name="People & tokens").first.click()
            for username, role in (("fjord-approver", "rule_approver"), ("fjord-los", "partner_system")):
                page.fill("#id_username", username)
                page.locator(f"input[name=roles][value={role}]").check()
                page.get_by_role("button", name="Add").click()
                expect(page.locator("#new-password")).to_be_visible()
            tokens = {}
            for username in ("fjord-admin", "fjord-approver", "fjord-los"):
                page.get_by_role("button", name=f"Create an API token for {username}").click()
                tokens[username] = page.locator("#new-token").inner_text().strip()
            page.screenshot(path=str(ARTIFACTS / "onboarding-people-and-token.png"), full_page=True)
            page.reload()
            expect(page.locator("#new-token")).to_have_count(0)  # shown once

            # 4. The dictionary: a bad file is refused row by row with nothing imported, then the good one.
            page.get_by_role("link", name="Data dictionary").first.click()
            page.set_input_files(
                "input[name=file]", files=[{"name": "bad.csv", "mimeType": "text/csv", "buffer": BAD_CSV.encode()}]
            )
            page.get_by_role("button", name="Import").click()
            expect(page.locator("table.row-errors tbody tr")).to_have_count(2)
            page.screenshot(path=str(ARTIFACTS / "onboarding-dictionary-errors.png"), full_page=True)
            page.set_input_files(
                "input[name=file]",
                files=[{"name": "fjord.csv", "mimeType": "text/csv", "buffer": DICTIONARY_CSV.encode()}],
            )
            page.get_by_role("button", name="Import").click()
            expect(page.locator(".messages")).to_contain_text("6 added")
            expect(page.locator("table.dictionary")).to_contain_text("Yearly net salary")

            # 5. Uploads and mapping with the partner admin's token; approval by the approver's.
            admin_token, approver_token, system_token = (
                tokens["fjord-admin"],
                tokens["fjord-approver"],
                tokens["fjord-los"],
            )
            status, uploaded = api(
                f"{base}/api/v1/predictive-models",
                admin_token,
                "POST",
                doc("predictiveModel", name="Misligholdsmodell", artifact=PMML, sourceName="pd.pmml"),
            )
            assert status == 201, uploaded
            pmml_id = uploaded["data"]["id"]
            assert set(uploaded["data"]["attributes"]["unmappedResults"]) == {"p_mislighold"}
            _, fields = api(f"{base}/api/v1/predictive-models/{pmml_id}/fields", admin_token)
            concepts = {
                "netto_lonn": "yearlyNetSalary",
                "kortbruk_pst": "cardUsagePercent",
                "boform": "housingForm",
                "p_mislighold": "defaultLikelihood",
            }
            for field in fields["data"]:
                name = field["attributes"]["name"]
                status, mapped = api(
                    f"{base}/api/v1/predictive-models/{pmml_id}/fields/{field['id']}",
                    admin_token,
                    "PATCH",
                    {
                        "data": {
                            "type": "predictiveModelField",
                            "id": field["id"],
                            "attributes": {"supportedFieldName": concepts[name]},
                        }
                    },
                )
                assert status == 200, mapped

            status, draft = api(
                f"{base}/api/v1/predictive-models",
                admin_token,
                "POST",
                doc("predictiveModel", name="Avslagsregler", artifact=DMN, sourceName="avslag.dmn"),
            )
            assert status == 201 and draft["data"]["type"] == "rulesetVersion", draft
            version = f"{base}/api/v1/ruleset-versions/{draft['data']['id']}"
            assert api(f"{version}/submit", admin_token, "POST", doc("rulesetVersion", note="first rules"))[0] == 200
            status, approved = api(
                f"{version}/approve",
                approver_token,
                "POST",
                doc("rulesetVersion", effectiveFrom="2020-01-01T00:00:00Z"),
            )
            assert status == 200, approved
            status, published = api(f"{version}/publish", approver_token, "POST", doc("rulesetVersion", note="live"))
            assert status == 200, published
            dmn_id = published["data"]["attributes"]["publishedModelId"]

            # 6. The partner system evaluates both with its own token, in the partner's vocabulary.
            status, insight = api(
                f"{base}/api/v1/insights",
                system_token,
                "POST",
                doc(
                    "insight",
                    modelId=pmml_id,
                    arguments={"yearlyNetSalary": 520000, "cardUsagePercent": 40, "housingForm": "OWN"},
                ),
            )
            assert status == 201, insight
            results = insight["data"]["attributes"]["results"]
            assert set(results) == {"defaultLikelihood"} and 0 < results["defaultLikelihood"] < 1
            assert insight["data"]["attributes"]["unmappedResults"] == []
            status, insight = api(
                f"{base}/api/v1/insights",
                system_token,
                "POST",
                doc("insight", modelId=dmn_id, arguments={"yearlyNetSalary": 9000, "openArrearsCount": 2}),
            )
            assert status == 201, insight
            assert insight["data"]["attributes"]["results"] == {"refusalCodes": ["KO03", "KO01"]}

            # 7. The partner admin's audit page shows what happened.
            sign_in("fjord-admin", admin_password)
            page.goto(base + "/audit/")
            expect(page.locator("body")).to_contain_text("ruleset")
            page.screenshot(path=str(ARTIFACTS / "home-auditor-audit-log.png"), full_page=True)
        finally:
            browser.close()
