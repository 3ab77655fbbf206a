"""In the browser: the contribution chart on a referred case, and the what-if page (screenshots in test-artifacts/)."""

import pytest
from playwright.sync_api import expect, sync_playwright

from decisioning.demo import demo_application, demo_load
from decisioning.models import Decision, InsightTransaction, ReviewCase
from decisioning.services import decision_create
from partners import roles

from .test_review_pages import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS


def referred_case(demo):
    system = demo["people"][roles.PARTNER_SYSTEM][0]
    for number in range(200):
        application = {**demo_application(number), "revolvingUtilization": 140.0}
        decision, _ = decision_create(partner=demo["partner"], application=application, requested_by=system)
        if decision.outcome == "REFERRED":
            return ReviewCase.objects.get(decision=decision)
    raise AssertionError("no referred application among the first 200 demo rows")


def sign_in(page, url, username, password):
    page.goto(f"{url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.get_by_role("button", name="Sign in").click()


def fill_application(page, application):
    for name, value in application.items():
        field = page.locator(f"#id_{name}")
        if not field.count():
            continue
        if field.evaluate("element => element.tagName") == "SELECT":
            field.select_option("" if value is None else str(value))
        else:
            field.fill("" if value is None else str(value))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_case_page_charts_contributions_and_the_what_if_page_decides_without_storing(live_server):
    demo = demo_load(out=lambda *_: None)
    case = referred_case(demo)
    underwriter, password = demo["people"][roles.UNDERWRITER]
    assert password, "a fresh demo load gives the underwriter a password"
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            sign_in(page, live_server.url, underwriter.username, password)
            page.goto(f"{live_server.url}/review/{case.pk}/")
            chart = page.locator("section.explanation svg.contribution-chart").first
            expect(chart).to_be_visible()
            assert chart.locator("rect.bar").count() >= 3
            assert chart.locator("rect.bar.negative").count() >= 1  # a referred score lost points somewhere
            expect(page.locator("section.explanation table").first).to_contain_text("Base value")
            expect(page.locator("section.explanation table").first).to_contain_text("Annual income")
            page.locator("section.explanation").first.screenshot(path=str(ARTIFACTS / "explanation-case-chart.png"))
            page.screenshot(path=str(ARTIFACTS / "explanation-case-page.png"), full_page=True)

            stored = (Decision.objects.count(), InsightTransaction.objects.count())
            page.get_by_role("link", name="What-if").first.click()
            page.get_by_role("link", name=demo["flow"].name).first.click()
            fill_application(page, demo_application(3))
            page.get_by_role("button", name="Decide").click()
            expect(page.locator("#what-if-outcome")).to_be_visible()
            expect(page.locator("svg.contribution-chart").first).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "what-if-result.png"), full_page=True)

            page.fill("#id_annualIncome", "-5")
            page.select_option("#id_term", "")
            page.get_by_role("button", name="Decide").click()
            expect(page.locator("#annualIncome-error")).to_be_visible()
            expect(page.locator("#what-if-outcome")).to_have_count(0)
            page.screenshot(path=str(ARTIFACTS / "what-if-field-error.png"), full_page=True)
        finally:
            browser.close()
    assert (Decision.objects.count(), InsightTransaction.objects.count()) == stored
