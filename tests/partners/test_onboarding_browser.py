"""A new partner's first hour, from nothing, in a browser, with field names unlike the demo's.

Everything a person does goes through the product's pages, as a new user would click it:
a superuser creates the partner and its admin in the admin; the partner admin adds its people
and its loan-origination system (`/people/`, passwords and the token shown once), imports its
dictionary entries from CSV (`/dictionary/`), uploads a PMML model and a DMN table (the admin's
*Models → Add*), maps the files' own column names (`monthly_net_income`, `years_at_employer`, …)
onto the dictionary (the model's page, the rule editor), submits the rules, and drafts a
decision flow (`/flows/`); a second person, the rule approver, approves and publishes the rules
and the flow. Only the partner system uses the API, with the token: `/api/v1/insights` on both
files, then `/api/v1/decisions` through the flow. An underwriter then works the referred case.

Screenshots of each step and of every role's home page go to test-artifacts/.
"""

import csv
import io
import json
import os
import re
import urllib.error
import urllib.request
from pathlib import Path

import pytest

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
DATA = Path(__file__).resolve().parents[1] / "data" / "onboarding"
JSON_API = "application/vnd.api+json"

# The lender's files use their own column names; the dictionary holds the shared concepts.
PMML = DATA / "points.pmml"  # credit_points = 300 + 0.01·income + 10·years − utilisation + housing
DMN = DATA / "refusals.dmn"  # refusal_codes: LOW_INCOME under 8,000 a month, SHORT_TENURE under a year
DICTIONARY_CSV = (DATA / "dictionary.csv").read_text()
LABELS = {row["name"]: row["label"] for row in csv.DictReader(io.StringIO(DICTIONARY_CSV))}
BAD_CSV = "name,data_type\nmonthly net income,number\nyearsAtEmployer,colour\n"
PMML_MAPPING = {
    "monthly_net_income": "monthlyNetIncome",
    "years_at_employer": "yearsAtEmployer",
    "card_utilisation_pct": "cardUtilisation",
    "housing": "housingSituation",
    "credit_points": "creditPoints",
}
DMN_MAPPING = {
    "monthly_net_income": "monthlyNetIncome",
    "years_at_employer": "yearsAtEmployer",
    "refusal_codes": "refusalCodes",
}
# 785 points (approve), 540 points (refer: the underwriter's case), and a knock-out.
GOOD = {
    "monthlyNetIncome": 42000,
    "yearsAtEmployer": 6,
    "cardUtilisation": 35,
    "housingSituation": "OWN",
    "requestedLoanAmount": 150000,
}
MIDDLING = {**GOOD, "monthlyNetIncome": 30000, "yearsAtEmployer": 2, "cardUtilisation": 80, "housingSituation": "RENT"}
LOW_INCOME = {**GOOD, "monthlyNetIncome": 5000}
PEOPLE = {
    "fjord-approver": "rule_approver",
    "fjord-los": "partner_system",
    "fjord-underwriter": "underwriter",
    "fjord-auditor": "auditor",
    "fjord-scientist": "data_scientist",
    "fjord-editor": "rule_editor",
    "fjord-risk": "risk_manager",
}


def api(url, token, method="GET", document=None):
    """The partner system's call: JSON:API over HTTP with its token."""
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
def test_a_new_partner_goes_from_nothing_to_decisions_through_the_product(live_server):
    from playwright.sync_api import expect, sync_playwright

    from modelregistry.models import DataDictionaryField
    from partners.models import User

    assert Path(CHROMIUM).exists(), f"Chromium is not installed at {CHROMIUM}"
    assert not DataDictionaryField.objects.exists()  # from nothing: not even the demo's dictionary
    ARTIFACTS.mkdir(exist_ok=True)
    User.objects.create_superuser(username="platform", password="platform-password-123")
    base = live_server.url
    page_errors = []

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(30_000)
            page.on("pageerror", lambda error: page_errors.append(str(error)))

            def shot(name):
                page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

            def sign_in(username, password, at="/accounts/login/"):
                page.context.clear_cookies()
                page.goto(base + at)
                page.fill("#id_username", username)
                page.fill("#id_password", password)
                page.locator("form [type=submit]").first.click()
                page.wait_for_load_state()

            def nav(name):
                page.locator("nav[aria-label=Product]").get_by_role("link", name=name, exact=True).click()

            # 1. The superuser creates the partner and its first admin.
            sign_in("platform", "platform-password-123", at="/admin/login/")
            page.goto(base + "/admin/partners/partner/add/")
            page.fill("#id_name", "Fjordbank Kreditt")
            page.fill("#id_admin_username", "fjord-admin")
            shot("onboarding-1-admin-add-partner")
            page.locator("input[name=_save]").click()
            message = page.locator(".messagelist .success").first.inner_text()
            admin_password = re.search(r"shown only now: (\S+)", message).group(1)

            # 2. The partner admin signs in and lands on the overview.
            sign_in("fjord-admin", admin_password)
            expect(page.get_by_role("heading", name="Fjordbank Kreditt")).to_be_visible()
            assert page.url == base + "/overview/"
            expect(page.locator("#first-steps li")).to_have_count(5)  # the way to a first decision
            shot("home-partner-admin")

            # 3. People with roles and the loan-origination system; passwords and the token shown once.
            nav("People & tokens")
            passwords = {}
            for username, role in PEOPLE.items():
                page.fill("#id_username", username)
                page.locator(f"input[name=roles][value={role}]").check()
                page.get_by_role("button", name="Add", exact=True).click()
                passwords[username] = page.locator("#new-password").inner_text().strip()
            page.get_by_role("button", name="Create an API token for fjord-los").click()
            system_token = page.locator("#new-token").inner_text().strip()
            shot("onboarding-2-people-and-token")
            page.reload()
            expect(page.locator("#new-token")).to_have_count(0)

            # 4. The dictionary: a bad file is refused cell by cell with nothing imported; then the real one.
            nav("Data dictionary")
            page.set_input_files(
                "input[name=file]", files=[{"name": "bad.csv", "mimeType": "text/csv", "buffer": BAD_CSV.encode()}]
            )
            page.get_by_role("button", name="Import").click()
            errors = page.locator("table.row-errors tbody tr")
            expect(errors).to_have_count(2)
            expect(errors.first).to_contain_text("name")
            expect(errors.nth(1)).to_contain_text("data_type")
            shot("onboarding-3-dictionary-errors")
            assert not DataDictionaryField.objects.exists()
            page.set_input_files(
                "input[name=file]",
                files=[{"name": "fjordbank.csv", "mimeType": "text/csv", "buffer": DICTIONARY_CSV.encode()}],
            )
            page.get_by_role("button", name="Import").click()
            expect(page.locator(".messages")).to_contain_text("7 added")
            expect(page.locator("table.dictionary")).to_contain_text("Monthly net income")
            shot("onboarding-4-dictionary-imported")

            # 5. The PMML model: uploaded on the models page, its columns mapped on its own page.
            nav("Models")
            page.get_by_role("link", name=re.compile("Add predictive model", re.I)).click()
            page.fill("#id_name", "Poengmodell")
            page.set_input_files("#id_artifact_file", str(PMML))
            shot("onboarding-5-upload-pmml")
            page.locator("input[name=_save]").click()
            expect(page.locator(".messagelist")).to_contain_text("credit_points")  # the unmapped result, warned
            for column, concept in PMML_MAPPING.items():
                row = page.locator("tr.form-row", has=page.locator("td.field-name", has_text=column))
                row.locator("select").select_option(label=f"{concept} ({LABELS[concept]})")
            shot("onboarding-6-map-pmml")
            page.locator("input[name=_continue]").click()
            expect(page.locator(".messagelist .success")).to_be_visible()
            expect(page.locator(".messagelist .error")).to_have_count(0)

            # 6. The DMN table: the upload is a draft; its columns mapped and submitted in the rule editor.
            nav("Models")
            page.get_by_role("link", name=re.compile("Add predictive model", re.I)).click()
            page.fill("#id_name", "Avslagsregler")
            page.set_input_files("#id_artifact_file", str(DMN))
            page.locator("input[name=_save]").click()
            expect(page.locator("#rule-editor[data-ready=true]")).to_be_attached()
            expect(page.locator(".messagelist")).to_contain_text("draft version 1")
            page.locator("#submit-review").click()  # too early: the file's own names map onto nothing yet
            expect(page.locator("#editor-status")).to_contain_text("Not submitted: Every input must map")
            expect(page.locator("#editor-status")).to_contain_text("monthly_net_income")
            mapping = page.locator("#field-mapping")
            for column, concept in DMN_MAPPING.items():
                mapping.locator(f"select[name='map:{column}']").select_option(concept)
            shot("onboarding-7-map-dmn")
            mapping.get_by_role("button", name="Save the mapping").click()
            expect(page.locator("#rule-editor[data-ready=true]")).to_be_attached()
            expect(page.locator("#validation-messages")).to_contain_text("No problems found.")
            page.fill("#submit-note", "Fjordbank's refusal rules")
            page.locator("#submit-review").click()
            expect(page.locator("#version-status")).to_have_text("In review")
            shot("onboarding-8-rules-submitted")

            # 7. The rule approver (a second person) approves and publishes the rules.
            sign_in("fjord-approver", passwords["fjord-approver"])
            assert page.url.endswith("/admin/rulesets/ruleset/"), page.url
            shot("home-rule-approver")
            page.get_by_role("link", name="Avslagsregler").click()
            page.locator("#open-editor-button").click()
            expect(page.locator("#rule-editor[data-ready=true]")).to_be_attached()
            page.fill("#review-note", "Agreed with credit policy.")
            page.locator("#approve").click()
            expect(page.locator("#version-status")).to_have_text("Published")
            shot("onboarding-9-rules-published")

            # 8. The partner system evaluates both with its token, in the dictionary's names.
            status, listed = api(f"{base}/api/v1/predictive-models", system_token)
            assert status == 200, listed
            model_ids = {item["attributes"]["name"]: item["id"] for item in listed["data"]}
            status, insight = api(
                f"{base}/api/v1/insights",
                system_token,
                "POST",
                doc(
                    "insight",
                    modelId=model_ids["Poengmodell"],
                    arguments={key: GOOD[key] for key in ("monthlyNetIncome", "yearsAtEmployer", "cardUtilisation")}
                    | {"housingSituation": "OWN"},
                ),
            )
            assert status == 201, insight
            assert insight["data"]["attributes"]["results"] == {"creditPoints": 785}
            assert insight["data"]["attributes"]["unmappedResults"] == []
            status, insight = api(
                f"{base}/api/v1/insights",
                system_token,
                "POST",
                doc(
                    "insight",
                    modelId=model_ids["Avslagsregler"],
                    arguments={"monthlyNetIncome": 5000, "yearsAtEmployer": 0},
                ),
            )
            assert status == 201, insight
            assert insight["data"]["attributes"]["results"] == {"refusalCodes": ["LOW_INCOME", "SHORT_TENURE"]}

            # 9. The partner admin drafts a decision flow from the rules and the model, and submits it.
            sign_in("fjord-admin", admin_password)
            nav("Decision flows")
            page.fill("#id_name", "Forbrukslån")
            page.get_by_role("button", name="Create the flow").click()
            expect(page.locator("#version-status")).to_have_text("Draft")
            steps = page.locator("tr.step-row")
            steps.nth(0).locator("select[name$=-kind]").select_option("knockout")
            steps.nth(0).locator("select[name$=-target]").select_option(
                label="Ruleset Avslagsregler — follow the effective version"
            )
            steps.nth(0).locator("select[name$=-result_field]").select_option("creditPoints")  # a slip, fixed below
            steps.nth(1).locator("select[name$=-kind]").select_option("score")
            steps.nth(1).locator("select[name$=-target]").select_option(
                label="Model Poengmodell — follow the latest active version"
            )
            steps.nth(1).locator("select[name$=-result_field]").select_option("creditPoints")
            bands = page.locator("tr.band-row")
            for index, (minimum, outcome) in enumerate(((700, "APPROVE"), (500, "REFER"), (None, "DECLINE"))):
                if minimum is not None:
                    bands.nth(index).locator("input[name$=-minimum]").fill(str(minimum))
                bands.nth(index).locator("select[name$=-outcome]").select_option(outcome)
            page.select_option("#id_settings-score_field", "creditPoints")
            page.select_option("#id_settings-amount_field", "requestedLoanAmount")
            page.select_option("#id_settings-reason_code_fields", [])
            page.fill("#id_settings-change_note", "First flow: refusal rules, then points.")
            page.locator("#submit").click()
            # Saved, not submitted: the message names the step and the setting, in the page's words.
            expect(page.locator(".messages")).to_contain_text(
                "Step 1, result the flow reads: Step 1 (knockout, Avslagsregler) does not produce 'creditPoints'"
            )
            expect(page.locator("#version-status")).to_have_text("Draft")
            shot("onboarding-10-flow-draft")
            page.locator("tr.step-row").nth(0).locator("select[name$=-result_field]").select_option("refusalCodes")
            page.locator("#submit").click()
            expect(page.locator("#version-status")).to_have_text("In review")
            expect(page.locator("#problems")).to_have_count(0)

            # 10. The approver approves and publishes the flow.
            sign_in("fjord-approver", passwords["fjord-approver"])
            page.goto(base + "/flows/")
            page.get_by_role("link", name="Forbrukslån").click()
            page.get_by_role("link", name="v1").click()
            page.locator("#approve").click()
            expect(page.locator("#version-status")).to_have_text("Published")
            expect(page.locator("#run-backtest")).to_have_count(0)  # nothing to compare the live version with
            shot("onboarding-11-flow-published")
            flow_id = page.locator("#flow-id").inner_text()  # what the partner admin hands to its system's team

            # 11. The partner system decides applications through the flow.
            outcomes = {}
            for external_id, application in (("FJ-1001", GOOD), ("FJ-1002", MIDDLING), ("FJ-1003", LOW_INCOME)):
                status, decision = api(
                    f"{base}/api/v1/decisions",
                    system_token,
                    "POST",
                    doc("decision", flowId=flow_id, externalId=external_id, application=application),
                )
                assert status == 201, decision
                attributes = decision["data"]["attributes"]
                outcomes[external_id] = (attributes["outcome"], attributes["score"])
            assert outcomes["FJ-1001"] == ("APPROVED", 785)
            assert outcomes["FJ-1002"] == ("REFERRED", 540)
            assert outcomes["FJ-1003"][0] == "DECLINED"

            # 12. Every role's home; the underwriter's queue and the referred case, in the dictionary's labels.
            sign_in("fjord-underwriter", passwords["fjord-underwriter"])
            assert page.url.endswith("/review/"), page.url
            expect(page.locator("body")).to_contain_text("FJ-1002")
            shot("home-underwriter-queue")
            page.get_by_role("link", name="FJ-1002").click()
            case = page.locator("main")
            expect(case).to_contain_text("Monthly net income")
            expect(case).to_contain_text("30,000.00 NOK")
            expect(case).to_contain_text("540 points")
            expect(case).to_contain_text("Rents")
            expect(case).to_contain_text("80%")
            expect(case).not_to_contain_text("monthlyNetIncome")
            shot("review-case-fjordbank")
            for username, home, name in (
                ("fjord-auditor", "/audit/", "home-auditor"),
                ("fjord-scientist", "/admin/modelregistry/predictivemodel/", "home-data-scientist"),
                ("fjord-editor", "/admin/rulesets/ruleset/", "home-rule-editor"),
                ("fjord-risk", "/portfolio/jobs/", "home-risk-manager"),
            ):
                sign_in(username, passwords[username])
                assert page.url.endswith(home), (username, page.url)
                expect(page.locator("nav[aria-label=Product]")).to_be_visible()
                shot(name)
        except Exception:
            shot("onboarding-failed-here")  # where it stopped, to look at
            raise
        finally:
            browser.close()
    assert page_errors == []
