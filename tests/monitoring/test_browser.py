import os
from pathlib import Path

import pytest

from decisioning.demo import demo_decisions_run, demo_load
from decisioning.models import ReviewCase
from decisioning.review.services import review_case_claim, review_case_decide
from monitoring.demo import demo_monitoring_load
from partners import roles
from portfolio.demo import demo_loans_load
from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
from tests.factories import PASSWORD

# Playwright's sync API runs an event loop in this thread; Django refuses ORM calls there otherwise.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_dashboard_and_fairness_report_draw_their_charts_without_any_cdn(live_server, make_user):
    from playwright.sync_api import expect, sync_playwright

    assert Path(CHROMIUM).exists(), f"Chromium is not installed at {CHROMIUM}"
    ARTIFACTS.mkdir(exist_ok=True)
    demo = demo_load(out=lambda *_: None)
    partner = demo["partner"]
    demo_loans_load(partner=partner)
    demo_decisions_run(partner=partner, requested_by=demo["people"][roles.PARTNER_SYSTEM][0], count=200)
    underwriter = make_user(partner, roles.UNDERWRITER, username="ursula")
    for number, case in enumerate(ReviewCase.objects.filter(partner=partner).order_by("created")[:6]):
        review_case_claim(case=case, actor=underwriter)
        declined = number % 3 == 0
        review_case_decide(
            case=case,
            actor=underwriter,
            outcome="DECLINED" if declined else "APPROVED",
            note="checked",
            reason_codes=["RC01"] if declined else [],
        )
    demo_monitoring_load(partner=partner)
    make_user(partner, roles.RISK_MANAGER, username="rita")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            outside = []
            page.on(
                "request",
                lambda request: outside.append(request.url) if not request.url.startswith(live_server.url) else None,
            )
            page.goto(f"{live_server.url}/accounts/login/?next=/monitoring/")
            page.fill("#id_username", "rita")
            page.fill("#id_password", PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("heading", name="Decision monitoring")).to_be_visible()
            expect(page.get_by_role("link", name="Monitoring")).to_have_attribute("aria-current", "page")
            for name in (
                "Decisions per day by outcome",
                "Approve, decline and refer rates per day",
                "Share of decisions citing each reason code",
                "AUC and KS of the origination score by origination month",
            ):
                expect(page.get_by_role("img", name=name)).to_be_visible()
            expect(page.locator(".psi")).to_have_count(1)
            page.screenshot(path=str(ARTIFACTS / "monitoring-dashboard.png"), full_page=True)
            # Each chart's numbers are in a table too (screen readers, copying).
            expect(page.locator("#volume-table")).not_to_be_visible()
            page.get_by_text("Table: decisions per day").click()
            expect(page.locator("#volume-table")).to_be_visible()

            page.get_by_role("link", name="Fairness report").click()
            expect(page.locator("#synthetic-notice")).to_contain_text("SYNTHETIC DATA")
            expect(page.get_by_role("img", name="Approval rate per group")).to_be_visible()
            expect(page.locator("#fairness-table tbody tr")).to_have_count(3)
            page.screenshot(path=str(ARTIFACTS / "monitoring-fairness.png"), full_page=True)
            assert outside == [], f"requests left the site: {outside}"
        finally:
            browser.close()
