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
CLEAN = {"accountsNowDelinquent": 0, "delinquentAmount": 0, "annualIncome": 52000, "inquiriesLastSixMonths": 1,
         "fundedAmount": 10000, "delinquenciesTwoYears": 0}
EDITOR_PERMISSIONS = ["view_ruleset", "change_ruleset"]


def staff(make_user, partner, role, username):
    user = make_user(partner, role, username=username, is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=EDITOR_PERMISSIONS))
    return user


@pytest.fixture
def people(partner, make_user):
    dictionary_load()  # the demo's dictionary: every name the knock-out table reads
    return {"editor": staff(make_user, partner, roles.RULE_EDITOR, "rita"),
            "approver": staff(make_user, partner, roles.RULE_APPROVER, "arthur")}


@pytest.fixture
def published(partner, people):
    return publish_ruleset(partner, "Knock-out rules", KNOCKOUT, author=people["editor"], approver=people["approver"],
                           field_mapping={"knockout": "knockoutReasons"},
                           test_cases=[("clean applicant", CLEAN, {"knockout": []}),
                                       ("low income", {**CLEAN, "annualIncome": 9000}, {"knockout": ["KO03"]})])


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
        'name="fundedAmount"', 'name="loanSize"')
    messages = post(client, url(draft, "save"), {"dmnXml": renamed}).json()["messages"]
    [unmapped] = [m for m in messages if m["code"] == "unmapped-input"]
    assert unmapped["column"] == "fundedAmount" and "'loanSize'" in unmapped["message"]


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
    assert (draft.status, draft.approver, draft.effective_from) == (RulesetVersionStatus.PUBLISHED, people["approver"], when)
    assert draft.published_model is not None


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
