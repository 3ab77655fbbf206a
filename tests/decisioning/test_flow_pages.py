"""The flow editor pages: a partner admin edits, backtests and submits; an approver publishes."""

import os
import re
from pathlib import Path

import pytest

from decisioning.demo import demo_decisions_run, demo_load
from decisioning.models import Decision, FlowVersionStatus
from partners.models import Partner
from tests.conftest import JsonApiClient
from tests.decisioning.test_review_pages import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
from tests.factories import PASSWORD

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


def _login(page, base, username, next_url):
    page.goto(f"{base}/accounts/login/?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")


@pytest.mark.django_db(transaction=True)
def test_partner_admin_edits_backtests_and_submits_and_the_approver_publishes_in_the_browser(
    live_server, celery_worker_process
):
    from playwright.sync_api import expect, sync_playwright

    assert Path(CHROMIUM).exists(), f"Chromium is not installed at {CHROMIUM}"
    ARTIFACTS.mkdir(exist_ok=True)
    demo = demo_load(out=lambda *_: None)
    demo_decisions_run(partner=demo["partner"], requested_by=demo["people"]["partner_system"][0], count=80)
    admin, approver = demo["people"]["partner_admin"][0], demo["people"]["rule_approver"][0]
    for user in (admin, approver):
        user.set_password(PASSWORD)
        user.save()
    flow = demo["flow"].definition
    base = live_server.url
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            _login(page, base, admin.username, "/flows/")
            page.click(f"text={flow.name}")
            page.click("#new-draft")
            expect(page.locator("#version-status")).to_have_text("Draft")
            # Cut-off by score bands instead of the cut-off ruleset: take the step out, lower the bands.
            cutoff_row = [
                i
                for i in range(page.locator(".step-row").count())
                if page.locator(f"#id_steps-{i}-kind").input_value() == "cutoff"
            ][0]
            page.check(f"#id_steps-{cutoff_row}-DELETE")
            page.fill("#id_bands-0-minimum", "545")
            page.fill("#id_bands-1-minimum", "535")
            page.fill("#id_settings-review_sla_hours", "24")
            page.screenshot(path=str(ARTIFACTS / "flow-editor.png"), full_page=True)
            page.focus("#save")
            page.keyboard.press("Enter")
            page.wait_for_load_state()
            expect(page.locator(".messages")).to_contain_text("is saved", timeout=20_000)
            expect(page.locator("#problems")).to_have_count(0)
            page.click("#run-backtest")
            expect(page.locator("#progress-text")).to_have_text("done · 100%", timeout=60_000)
            expect(page.locator("#rates")).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "flow-backtest.png"), full_page=True)
            assert int(page.locator("#newly-approved").inner_text()) > 0
            approved = page.locator("tr[data-outcome=APPROVED] td.num")
            assert approved.nth(0).inner_text() != approved.nth(1).inner_text()  # the approve rate changes
            assert page.locator("svg.chart rect").count() > 10
            page.click("text=← Consumer loans")
            page.click("#submit")
            expect(page.locator("#version-status")).to_have_text("In review")
            assert page.locator("#approve").count() == 0  # the partner admin cannot approve
            draft_url = page.url
            page.click("text=Sign out")

            _login(page, base, approver.username, re.sub(r"^https?://[^/]+", "", draft_url))
            page.click("#approve")
            expect(page.locator("#version-status")).to_have_text("Published")
            page.screenshot(path=str(ARTIFACTS / "flow-published.png"), full_page=True)
        finally:
            browser.close()

    published = flow.versions.get(status=FlowVersionStatus.PUBLISHED, version=2)
    assert Partner.objects.get(pk=demo["partner"].pk).review_sla_hours == 24
    assert not published.steps.filter(kind="cutoff").exists()
    assert published.cutoff_bands[0] == {"minimum": 545.0, "outcome": "APPROVE"}
    # The next decision uses the published version and records it.
    from decisioning.demo import demo_application

    client = JsonApiClient(token=demo["token"])
    response = client.post(
        "/api/v1/decisions",
        {
            "data": {
                "type": "decision",
                "attributes": {"flowId": str(flow.pk), "externalId": "NEXT-1", "application": demo_application(500)},
            }
        },
    )
    assert response.status_code == 201, response.json()
    attributes = response.json()["data"]["attributes"]
    assert attributes["flowVersion"]["number"] == 2 and attributes["flowVersion"]["flowId"] == str(flow.pk)
    assert Decision.objects.get(pk=response.json()["data"]["id"]).flow == published


@pytest.mark.django_db
def test_an_approver_starts_and_stops_a_challenger_on_the_flow_page_and_others_cannot(client):
    from decisioning.services import flow_version_approve, flow_version_create_draft, flow_version_submit

    demo = demo_load(out=lambda *_: None)
    flow, admin, approver = (
        demo["flow"].definition,
        demo["people"]["partner_admin"][0],
        demo["people"]["rule_approver"][0],
    )
    draft = flow_version_create_draft(flow=flow, actor=admin)
    flow_version_submit(version=draft, actor=admin)
    flow_version_approve(version=draft, actor=approver)
    client.force_login(admin)
    client.post(f"/flows/{flow.pk}/", {"action": "challenger", "version": "2", "share": "25"})
    flow.refresh_from_db()
    assert flow.challenger_id is None  # the partner admin does not start challengers
    client.force_login(approver)
    page = client.post(f"/flows/{flow.pk}/", {"action": "challenger", "version": "2", "share": "25"}, follow=True)
    flow.refresh_from_db()
    assert (flow.challenger_id, flow.challenger_share) == (draft.pk, 0.25)
    assert "on 25.0% of traffic" in page.content.decode()
    client.post(f"/flows/{flow.pk}/", {"action": "challenger", "version": "", "share": "0"})
    flow.refresh_from_db()
    assert flow.challenger_id is None


@pytest.mark.django_db
def test_a_partner_admin_creates_a_flow_on_the_flows_page_and_lands_on_its_blank_draft(client, partner, make_user):
    from decisioning.models import Flow

    admin, approver = make_user(partner, "partner_admin"), make_user(partner, "rule_approver")
    client.force_login(approver)
    assert "Create a flow" not in client.get("/flows/").content.decode()
    assert client.post("/flows/", {"name": "Consumer"}).status_code == 403

    client.force_login(admin)
    # The first flow decides by default.
    assert re.search(r'<input[^>]*name="is_default"[^>]*checked', client.get("/flows/").content.decode())
    response = client.post("/flows/", {"name": "Consumer", "is_default": "on"})
    flow = Flow.objects.get(partner=partner, name="Consumer")
    draft = flow.versions.get()
    assert (flow.is_default, draft.status, draft.created_by) == (True, FlowVersionStatus.DRAFT, admin)
    assert response.status_code == 302 and response["Location"] == f"/flows/versions/{draft.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert page.count('class="step-row"') == 3 and page.count('class="band-row"') == 3
    assert "run-backtest" not in page  # nothing published to compare with yet

    assert "<strong>Score field</strong>: Choose a field from the data dictionary." in page  # labels, not keys
    again = client.post("/flows/", {"name": "Consumer"}, follow=True).content.decode()
    assert "Name: The partner has a flow named &#x27;Consumer&#x27; already." in again
    assert Flow.objects.filter(partner=partner).count() == 1


@pytest.mark.parametrize(
    ("field", "shown"),
    [
        (("scoreField",), "Score field"),
        (("steps", "1", "resultField"), "Step 2, result the flow reads"),
        (("steps",), "Steps"),
        (("cutoffBands", "0", "outcome"), "Score band 1, outcome"),
        (("reasonCodeFields", "2"), "Reason-code field 3"),
        (("reasonCodeFields/2",), "Reason-code field 3"),
    ],
)
def test_problems_are_named_by_the_pages_labels(field, shown):
    from decisioning.flow_pages.views import where_on_the_page

    assert where_on_the_page(field) == shown
