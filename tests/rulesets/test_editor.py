"""The rule editor's admin page and the JSON calls it makes (save, validate, test run, submit, review)."""

import datetime
import json
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from decisioning.demo import dictionary_load
from partners import roles
from rulesets import services
from rulesets.models import RulesetVersionStatus
from tests.factories import publish_ruleset

pytestmark = pytest.mark.django_db

KNOCKOUT = (Path(__file__).resolve().parents[2] / "demo" / "rules" / "knockout.dmn").read_text()
CLEAN = {
    "accountsNowDelinquent": 0,
    "delinquentAmount": 0,
    "annualIncome": 52000,
    "inquiriesLastSixMonths": 1,
    "fundedAmount": 10000,
    "delinquenciesTwoYears": 0,
}
EDITOR_PERMISSIONS = ["view_ruleset", "change_ruleset"]


def staff(make_user, partner, role, username):
    user = make_user(partner, role, username=username, is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=EDITOR_PERMISSIONS))
    return user


@pytest.fixture
def people(partner, make_user):
    dictionary_load()  # the demo's dictionary: every name the knock-out table reads
    return {
        "editor": staff(make_user, partner, roles.RULE_EDITOR, "rita"),
        "approver": staff(make_user, partner, roles.RULE_APPROVER, "arthur"),
    }


@pytest.fixture
def published(partner, people):
    return publish_ruleset(
        partner,
        "Knock-out rules",
        KNOCKOUT,
        author=people["editor"],
        approver=people["approver"],
        field_mapping={"knockout": "knockoutReasons"},
        test_cases=[
            ("clean applicant", CLEAN, {"knockout": []}),
            ("low income", {**CLEAN, "annualIncome": 9000}, {"knockout": ["KO03"]}),
        ],
    )


@pytest.fixture
def draft(published, people):
    return services.ruleset_version_create_draft(ruleset=published.ruleset, actor=people["editor"], based_on=published)


def url(version, call=""):
    return f"/admin/rulesets/ruleset/version/{version.pk}/editor/" + (f"{call.replace('_', '-')}/" if call else "")


def post(client, address, body):
    return client.post(address, data=json.dumps(body), content_type="application/json")


def test_opening_the_editor_on_a_published_ruleset_starts_a_draft_of_it(client, published, people):
    client.force_login(people["editor"])
    response = client.post(f"/admin/rulesets/ruleset/{published.ruleset.pk}/open-editor/")
    draft = published.ruleset.versions.get(status=RulesetVersionStatus.DRAFT)
    assert response.status_code == 302 and response["Location"] == url(draft)
    assert (draft.number, draft.dmn_xml, draft.based_on) == (2, published.dmn_xml, published)
    page = client.get(url(draft)).content.decode()
    assert "dmn-modeler.production.min.js" in page and 'id="save-draft"' in page
    assert 'id="approve"' not in page
    # opening again goes to the same draft
    assert client.post(f"/admin/rulesets/ruleset/{published.ruleset.pk}/open-editor/")["Location"] == url(draft)


def test_saving_reports_the_feel_error_by_rule_and_column_and_keeps_the_work(client, draft, people):
    client.force_login(people["editor"])
    broken = draft.dmn_xml.replace("<text>&lt; 12000</text>", "<text>&lt;&lt; 12000</text>")
    response = post(client, url(draft, "save"), {"dmnXml": broken})
    assert response.status_code == 200, response.content
    [error] = [m for m in response.json()["messages"] if m["severity"] == "error"]
    assert (error["rule"], error["column"], error["code"]) == (3, "annualIncome", "feel-syntax")
    assert error["message"].startswith("Rule 3, column annualIncome:")
    draft.refresh_from_db()
    assert draft.dmn_xml == broken


def test_validate_checks_the_unsaved_xml_overlaps_with_a_counter_example(client, draft, people):
    client.force_login(people["editor"])
    unique = draft.dmn_xml.replace('hitPolicy="COLLECT"', 'hitPolicy="UNIQUE"')
    messages = post(client, url(draft, "validate"), {"dmnXml": unique}).json()["messages"]
    overlaps = [m for m in messages if m["code"] == "overlap"]
    assert overlaps and overlaps[0]["rules"] == [1, 2]
    example = {cell["column"]: cell["value"] for cell in overlaps[0]["counterexample"]}
    assert float(example["accountsNowDelinquent"]) > 0 and float(example["delinquentAmount"]) > 0
    draft.refresh_from_db()
    assert 'hitPolicy="COLLECT"' in draft.dmn_xml  # validating saves nothing


def test_an_input_outside_the_dictionary_is_an_error_naming_its_column(client, draft, people):
    client.force_login(people["editor"])
    renamed = draft.dmn_xml.replace("<text>fundedAmount</text>", "<text>loanSize</text>").replace(
        'name="fundedAmount"', 'name="loanSize"'
    )
    messages = post(client, url(draft, "save"), {"dmnXml": renamed}).json()["messages"]
    [unmapped] = [m for m in messages if m["code"] == "unmapped-input"]
    assert unmapped["column"] == "fundedAmount" and "'loanSize'" in unmapped["message"]


def test_the_mapping_form_maps_a_renamed_column_onto_the_dictionary_and_names_a_bad_choice(client, draft, people):
    client.force_login(people["editor"])
    renamed = draft.dmn_xml.replace("<text>fundedAmount</text>", "<text>loanSize</text>").replace(
        'name="fundedAmount"', 'name="loanSize"'
    )
    post(client, url(draft, "save"), {"dmnXml": renamed})
    page = client.get(url(draft)).content.decode()
    assert 'name="map:loanSize"' in page and "no dictionary field of this name" in page

    refused = client.post(url(draft, "mapping"), {"map:loanSize": "noSuchField"}, follow=True)
    assert "Mapping not saved: loanSize: The data dictionary has no field &#x27;noSuchField&#x27;" in (
        refused.content.decode()
    )
    client.post(url(draft, "mapping"), {"map:loanSize": "fundedAmount", "map:knockout": "knockoutReasons"})
    draft.refresh_from_db()
    assert draft.field_mapping == {"loanSize": "fundedAmount", "knockout": "knockoutReasons"}
    messages = post(client, url(draft, "validate"), {}).json()["messages"]
    assert not [m for m in messages if m["code"] == "unmapped-input"]


def test_only_an_author_maps_a_draft_and_nothing_changes_otherwise(client, draft, people):
    client.force_login(people["approver"])
    page = client.post(url(draft, "mapping"), {"map:knockout": "annualIncome"}, follow=True).content.decode()
    assert "Mapping not saved" in page
    draft.refresh_from_db()
    assert draft.field_mapping == {"knockout": "knockoutReasons"}


def test_test_cases_run_on_the_draft_and_a_failing_case_blocks_submission(client, draft, people):
    client.force_login(people["editor"])
    stricter = draft.dmn_xml.replace("<text>&lt; 12000</text>", "<text>&lt; 60000</text>")
    post(client, url(draft, "save"), {"dmnXml": stricter})
    run = post(client, url(draft, "test_run"), {}).json()
    assert run["passed"] is False
    assert {r["name"]: r["passed"] for r in run["results"]} == {"clean applicant": False, "low income": True}
    refused = post(client, url(draft, "submit"), {"note": "tighter"})
    assert refused.status_code == 400 and "1 of 2 test cases fail" in refused.json()["errors"][0]["detail"]
    draft.refresh_from_db()
    assert draft.status == RulesetVersionStatus.DRAFT


def test_the_author_cannot_approve_and_the_approver_publishes_with_effective_from(client, draft, people):
    client.force_login(people["editor"])
    assert post(client, url(draft, "submit"), {"note": "same rules"}).status_code == 200
    when = (timezone.now() + datetime.timedelta(days=1)).replace(microsecond=0)
    refused = post(client, url(draft, "approve"), {"effectiveFrom": when.isoformat()})
    assert refused.status_code == 403
    client.force_login(people["approver"])
    page = client.get(url(draft)).content.decode()
    assert 'id="approve"' in page and 'id="effective-from"' in page
    bad = post(client, url(draft, "approve"), {"effectiveFrom": "next tuesday"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["source"]["pointer"].endswith("effectiveFrom")
    approved = post(client, url(draft, "approve"), {"effectiveFrom": when.isoformat(), "note": "ok"})
    assert approved.status_code == 200, approved.content
    draft.refresh_from_db()
    assert (draft.status, draft.approver, draft.effective_from) == (
        RulesetVersionStatus.PUBLISHED,
        people["approver"],
        when,
    )
    assert draft.published_model is not None


def test_an_effective_from_before_the_version_in_effect_is_refused(client, draft, people, published):
    client.force_login(people["editor"])
    post(client, url(draft, "submit"), {})
    client.force_login(people["approver"])
    earlier = published.effective_from - datetime.timedelta(minutes=5)
    response = post(client, url(draft, "approve"), {"effectiveFrom": earlier.isoformat()})
    assert response.status_code == 400 and "never takes effect" in response.json()["errors"][0]["detail"]
    draft.refresh_from_db()
    assert draft.status == RulesetVersionStatus.IN_REVIEW


def test_the_approver_can_reject_with_a_note(client, draft, people):
    client.force_login(people["editor"])
    post(client, url(draft, "submit"), {})
    client.force_login(people["approver"])
    assert post(client, url(draft, "reject"), {"note": ""}).status_code == 400
    assert post(client, url(draft, "reject"), {"note": "explain the change"}).status_code == 200
    draft.refresh_from_db()
    assert draft.status == RulesetVersionStatus.DRAFT


def test_another_partners_staff_get_404_everywhere(client, draft, other_partner, make_user):
    stranger = staff(make_user, other_partner, roles.RULE_EDITOR, "mallory")
    client.force_login(stranger)
    assert client.get(url(draft)).status_code == 404
    for call in ("save", "validate", "test_run", "submit", "approve", "reject"):
        assert post(client, url(draft, call), {"dmnXml": KNOCKOUT}).status_code == 404, call
    assert client.post(f"/admin/rulesets/ruleset/{draft.ruleset.pk}/open-editor/").status_code == 404


def test_people_without_admin_access_are_sent_to_log_in(client, draft, make_user, partner):
    client.force_login(make_user(partner, roles.UNDERWRITER, username="uma"))
    response = client.get(url(draft))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'{"dmnXml": 5}', b'{"dmnXml": "' + b"x" * 2_600_000 + b'"}'])
def test_hostile_bodies_are_400_json(client, draft, people, body):
    client.force_login(people["editor"])
    response = client.post(url(draft, "save"), data=body, content_type="application/json")
    assert response.status_code == 400 and response.json()["errors"]


def test_a_published_version_is_not_saved_over(client, published, people):
    client.force_login(people["editor"])
    response = post(client, url(published, "save"), {"dmnXml": KNOCKOUT.replace("12000", "13000")})
    assert response.status_code == 409
    published.refresh_from_db()
    assert "12000" in published.dmn_xml


# ---- browser -----------------------------------------------------------------------------------
def _demo_person(user):
    """The demo person with a password the test knows; admin access and permissions are the role's own."""
    from tests.factories import PASSWORD

    user.set_password(PASSWORD)
    user.save()
    assert user.is_staff and user.has_perm("rulesets.view_ruleset"), "the role gives no admin access to rulesets"
    return user


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_a_browser_a_rule_change_goes_from_the_editor_through_review_into_decisions(live_server):
    import os
    import re

    from playwright.sync_api import expect, sync_playwright

    from decisioning.demo import demo_application, demo_load
    from decisioning.models import InsightTransaction
    from decisioning.services import decision_create
    from tests.decisioning.test_review_pages import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
    from tests.factories import PASSWORD

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    assert Path(CHROMIUM).exists(), f"Chromium is not installed at {CHROMIUM}"
    ARTIFACTS.mkdir(exist_ok=True)
    demo = demo_load(out=lambda *_: None)
    partner, ruleset = demo["partner"], demo["rulesets"]["knockout"]
    editor = _demo_person(demo["people"][roles.RULE_EDITOR][0])
    approver = _demo_person(demo["people"][roles.RULE_APPROVER][0])
    # The new policy: two recent delinquencies with three inquiries is a serious-delinquency knock-out.
    risky = {**CLEAN, "delinquenciesTwoYears": 2, "inquiriesLastSixMonths": 3}
    services.ruleset_test_case_create(
        ruleset=ruleset,
        name="recent delinquencies with inquiries",
        inputs=risky,
        expected_outputs={"knockout": ["KO06"]},
        actor=editor,
    )
    cases = ruleset.test_cases.count()  # the demo's own cases and this one, which fails on the rules in force
    application = {**demo_application(0), **risky}
    before, _ = decision_create(partner=partner, application=application, requested_by=editor)
    assert "KO06" not in [reason["code"] for reason in before.outputs["reasons"]]
    errors = []

    def log_in(page, user):
        page.context.clear_cookies()
        page.goto(f"{live_server.url}/admin/login/?next=/admin/rulesets/ruleset/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", PASSWORD)
        page.locator("input[type=submit]").click()
        expect(page.locator("#content")).to_contain_text("Knock-out rules")

    def cell(page, rule_row, column_label):
        column_id = page.locator("th.input-cell", has_text=column_label).get_attribute("data-col-id")
        return rule_row.locator(f'td[data-col-id="{column_id}"] .content-editable')

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.set_default_timeout(30_000)
            page.on("pageerror", lambda error: errors.append(str(error)))

            # The rule editor opens the knock-out ruleset and starts a draft of it.
            log_in(page, editor)
            page.get_by_role("link", name="Knock-out rules").click()
            expect(page.locator("table.ruleset-versions")).to_contain_text("Published")
            page.screenshot(path=str(ARTIFACTS / "ruleset-change-page.png"), full_page=True)
            page.locator("#open-editor-button").click()
            expect(page.locator("#rule-editor[data-ready=true]")).to_be_attached()
            expect(page.locator(".tjs-table")).to_contain_text("accountsNowDelinquent")
            expect(page.locator("a.bjs-powered-by")).to_be_visible()
            expect(page.locator("#validation-messages")).to_contain_text("No problems found.")
            page.screenshot(path=str(ARTIFACTS / "rule-editor-opened.png"), full_page=True)

            # Adds a row and types an invalid cell: the message names the rule and the column.
            page.locator('button[title="Add rule"]').click()
            new_row = page.locator(".tjs-table tbody tr").last
            expect(new_row.locator("td.rule-index")).to_contain_text("7")
            cell(page, new_row, "delinquenciesTwoYears").click()
            page.keyboard.type(">= 2")
            cell(page, new_row, "inquiriesLastSixMonths").click()
            page.keyboard.type(">== 3")
            new_row.locator("td.output-cell .content-editable").click()
            page.keyboard.type('"KO06"')
            page.locator("#validate").click()
            problem = page.locator("#validation-messages li.severity-error")
            expect(problem).to_contain_text("Rule 7, column inquiriesLastSixMonths")
            problem.click()  # shows the rule it names
            expect(page.locator(".tjs-table tbody tr").nth(6)).to_have_class(re.compile("flagged-rule"))
            page.screenshot(path=str(ARTIFACTS / "rule-editor-invalid-cell.png"), full_page=True)

            # Fixes it and saves the draft.
            cell(page, new_row, "inquiriesLastSixMonths").click()
            page.keyboard.press("Control+A")
            page.keyboard.type(">= 3")
            page.locator("#save-draft").click()
            expect(page.locator("#editor-status")).to_have_text("Draft saved")
            expect(page.locator("#validation-messages")).to_contain_text("No problems found.")

            # Runs the test cases and submits for review.
            page.locator("#run-tests").click()
            expect(page.locator("#test-results")).to_contain_text(f"{cases} of {cases} passed")
            page.screenshot(path=str(ARTIFACTS / "rule-editor-tests-passed.png"), full_page=True)
            page.fill("#submit-note", "Two recent delinquencies with three inquiries knock out.")
            page.locator("#submit-review").click()
            expect(page.locator("#version-status")).to_have_text("In review")
            expect(page.locator("#approve")).to_have_count(0)  # the author is offered no approval
            draft = ruleset.versions.get(number=2)
            refused = page.request.post(
                f"{live_server.url}{url(draft, 'approve')}",
                data=json.dumps({"effectiveFrom": timezone.now().isoformat()}),
                headers={
                    "Content-Type": "application/json",
                    "X-CSRFToken": page.locator("input[name=csrfmiddlewaretoken]").first.input_value(),
                    "Referer": live_server.url,
                },
            )
            assert refused.status == 403, refused.text()

            # The approver approves with an effective_from.
            log_in(page, approver)
            page.get_by_role("link", name="Knock-out rules").click()
            page.locator("#open-editor-button").click()
            expect(page.locator("#rule-editor[data-ready=true]")).to_be_attached()
            expect(page.locator(".tjs-table tbody tr")).to_have_count(7)
            effective_from = timezone.localtime().replace(microsecond=0)
            page.fill("#effective-from", effective_from.strftime("%Y-%m-%dT%H:%M:%S"))
            page.fill("#review-note", "Agreed with credit policy.")
            page.screenshot(path=str(ARTIFACTS / "rule-editor-review.png"), full_page=True)
            page.locator("#approve").click()
            expect(page.locator("#version-status")).to_have_text("Published")
            page.screenshot(path=str(ARTIFACTS / "rule-editor-published.png"), full_page=True)
        finally:
            browser.close()
    assert errors == []

    draft.refresh_from_db()
    assert (draft.status, draft.author, draft.approver) == (RulesetVersionStatus.PUBLISHED, editor, approver)
    assert draft.effective_from == effective_from
    after, _ = decision_create(partner=partner, application=application, requested_by=editor)
    assert "KO06" in [reason["code"] for reason in after.outputs["reasons"]]
    knockout_step = InsightTransaction.objects.get(decision=after, model__name="Knock-out rules")
    assert knockout_step.model == draft.published_model and knockout_step.model.ruleset_version == draft


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_a_browser_columns_come_from_the_dictionary_and_the_requirements_diagram_is_drawn(
    live_server, draft, people
):
    import os
    import re

    from playwright.sync_api import expect, sync_playwright

    from tests.decisioning.test_review_pages import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
    from tests.factories import PASSWORD

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    ARTIFACTS.mkdir(exist_ok=True)
    errors = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.set_default_timeout(30_000)
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(f"{live_server.url}/admin/login/?next={url(draft)}")
            page.fill("#id_username", people["editor"].username)
            page.fill("#id_password", PASSWORD)
            page.locator("input[type=submit]").click()
            expect(page.locator("#rule-editor[data-ready=true]")).to_be_attached()

            page.select_option("#add-input-field", "addressState")
            page.locator("#add-input-column").click()
            expect(page.locator("th.input-cell", has_text="addressState")).to_contain_text("string")
            page.select_option('select[data-input-column="5"]', "installmentBalance")
            expect(page.locator("th.input-cell", has_text="installmentBalance")).to_be_attached()
            page.locator("#save-draft").click()
            expect(page.locator("#editor-status")).to_have_text("Draft saved")
            expect(page.locator("#validation-messages")).to_contain_text("No problems found.")
            page.screenshot(path=str(ARTIFACTS / "rule-editor-dictionary-columns.png"), full_page=True)

            page.get_by_text("View DRD").click()
            # the decision, its six inputs, the two chosen from the dictionary; one requirement each
            expect(page.locator("g.djs-shape")).to_have_count(1 + 6 + 2)
            expect(page.locator("g.djs-connection")).to_have_count(6 + 2)
            expect(page.locator("a.bjs-powered-by").first).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "rule-editor-drd.png"), full_page=True)
        finally:
            browser.close()
    assert errors == []
    draft.refresh_from_db()
    assert "<text>addressState</text>" in draft.dmn_xml and 'typeRef="string"' in draft.dmn_xml
    assert "<text>fundedAmount</text>" not in draft.dmn_xml and "<text>installmentBalance</text>" in draft.dmn_xml
    for rule in re.findall(r"<rule .*?</rule>", draft.dmn_xml, re.S):
        assert rule.count("<inputEntry") == 7
    assert "DMNShape" in draft.dmn_xml


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_a_browser_a_camunda_dmn_1_1_file_opens_as_dmn_1_3_and_saves_deciding_the_same(live_server, partner, people):
    import os

    from playwright.sync_api import expect, sync_playwright

    from rulesets import dmn
    from tests.decisioning.test_review_pages import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
    from tests.factories import PASSWORD
    from tests.rulesets.test_dmn_camunda import DINNERS, DMN11, NAMESPACES, _record

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    ARTIFACTS.mkdir(exist_ok=True)
    original = DMN11.read_text()
    ruleset = services.ruleset_create(partner=partner, name="Dinner", purpose="routing", actor=people["editor"])
    draft = services.ruleset_version_create_draft(ruleset=ruleset, actor=people["editor"], dmn_xml=original)
    errors = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.set_default_timeout(30_000)
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(f"{live_server.url}/admin/login/?next={url(draft)}")
            page.fill("#id_username", people["editor"].username)
            page.fill("#id_password", PASSWORD)
            page.locator("input[type=submit]").click()
            expect(page.locator("#rule-editor[data-ready=true]")).to_be_attached()
            expect(page.locator("#conversion-note")).to_contain_text("not DMN 1.3")
            expect(page.locator(".tjs-table")).to_contain_text("How many guests")
            # the inputs are process variables, not dictionary fields; desiredDish is the Dish table's output
            messages = page.locator("#validation-messages")
            expect(messages).to_contain_text("Column Season reads 'season', which is not a data-dictionary field")
            assert "desiredDish" not in messages.inner_text()
            page.locator("#save-draft").click()
            expect(page.locator("#editor-status")).to_contain_text("Draft saved")
            page.screenshot(path=str(ARTIFACTS / "rule-editor-camunda-dmn11.png"), full_page=True)
        finally:
            browser.close()
    assert errors == []
    draft.refresh_from_db()
    assert NAMESPACES["1.3"] in draft.dmn_xml and "20151101" not in draft.dmn_xml
    before, after = dmn.load(original), dmn.load(draft.dmn_xml)
    for inputs, _ in DINNERS:
        record = _record(*inputs)
        assert after.evaluate(record) == before.evaluate(record)
