import os
from pathlib import Path

import pytest

from decisioning.demo import demo_load
from portfolio.demo import demo_loans_load
from portfolio.services.chunks import reevaluation_chunk_run
from portfolio.services.jobs import reevaluation_job_create
from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
from tests.factories import PASSWORD

# Playwright's sync API runs an event loop in this thread; Django refuses ORM calls there otherwise.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_job_page_shows_progress_while_running_then_the_results(live_server, make_user):
    from playwright.sync_api import expect, sync_playwright

    assert Path(CHROMIUM).exists(), f"Chromium is not installed at {CHROMIUM}"
    ARTIFACTS.mkdir(exist_ok=True)
    demo = demo_load(out=lambda *_: None)
    demo_loans_load(partner=demo["partner"], limit=400)
    make_user(demo["partner"], "risk_manager", username="rita")
    # Chunks are run by this test, one at a time, while the page polls: a job visibly part-way.
    job = reevaluation_job_create(partner=demo["partner"], user=None, chunk_size=100)
    chunks = list(job.chunks.order_by("index").values_list("pk", flat=True))
    reevaluation_chunk_run(chunk_id=chunks[0])

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"{live_server.url}/accounts/login/?next=/portfolio/jobs/{job.pk}/")
            page.fill("#id_username", "rita")
            page.fill("#id_password", PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page.locator("#job-status")).to_have_text("running")
            first = float(page.locator("#job-progress").get_attribute("value"))
            assert 0 < first < 100
            page.screenshot(path=str(ARTIFACTS / "portfolio-job-running.png"), full_page=True)
            reevaluation_chunk_run(chunk_id=chunks[1])
            expect(page.locator("#job-done")).not_to_have_text(str(100), timeout=10000)
            for chunk_id in chunks[2:]:
                reevaluation_chunk_run(chunk_id=chunk_id)
            # The page polls, sees completion and reloads with the results.
            expect(page.locator("#migration-matrix")).to_be_visible(timeout=15000)
            expect(page.locator("#job-status")).to_have_text("completed")
            expect(page.get_by_role("img", name="PSI per variable")).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "portfolio-job-completed.png"), full_page=True)
        finally:
            browser.close()
