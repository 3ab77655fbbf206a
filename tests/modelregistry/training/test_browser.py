"""A data scientist trains a scorecard on the training page: upload, confirm the mapping, watch the
progress, read the metrics; with REDIS_URL the real worker trains it."""

import os
from pathlib import Path

import pytest

from modelregistry.models import TrainingJob, TrainingJobStatus
from partners import roles
from tests.decisioning.test_review_pages import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
from tests.factories import PASSWORD

from .data import lending_club_sample

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_scientist_confirms_the_mapping_watches_training_and_reads_the_card(
    live_server, celery_worker_process, partner, make_user, tmp_path
):
    from playwright.sync_api import expect, sync_playwright

    assert Path(CHROMIUM).exists(), f"Chromium is not installed at {CHROMIUM}"
    ARTIFACTS.mkdir(exist_ok=True)
    make_user(partner, roles.DATA_SCIENTIST, username="dana")
    upload = tmp_path / "loans.csv"
    frame = lending_club_sample(1500)
    frame[["annual_inc", "revol_util", "term", "inq_last_6mths", "all_util", "int_rate", "Class"]].to_csv(
        upload, index=False
    )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.goto(f"{live_server.url}/accounts/login/?next=/training/")
            page.fill("#id_username", "dana")
            page.fill("#id_password", PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.set_input_files("#file", str(upload))
            page.fill("#target", "Class")
            page.fill("#bad_value", "bad")
            page.select_option("#algorithm", "scorecard")
            page.fill("#name", "Scorecard from the page")
            page.click("#upload")
            expect(page.locator("#job-status")).to_have_text("Awaiting confirmation of the column mapping")
            expect(page.locator("#mapping tr.proposed")).to_have_count(6)
            page.screenshot(path=str(ARTIFACTS / "training-mapping.png"), full_page=True)
            page.click("#confirm")
            seen = []
            for _ in range(900):
                if page.locator("#model-card").count():
                    break
                value = page.locator("#job-progress").get_attribute("value")
                if value is not None and (not seen or float(value) != seen[-1]):
                    seen.append(float(value))
                    if 5 < seen[-1] < 100 and len(seen) == 3:
                        page.screenshot(path=str(ARTIFACTS / "training-running.png"), full_page=True)
                page.wait_for_timeout(200)
            expect(page.locator("#model-card")).to_be_visible(timeout=180_000)
            expect(page.locator("#job-status")).to_have_text("Completed")
            page.screenshot(path=str(ARTIFACTS / "training-completed.png"), full_page=True)
            auc = float(page.locator("#metric-auc").inner_text())
            assert "pricing outcomes" in page.locator("#model-card").inner_text()  # int_rate
            assert page.locator("#calibration-chart svg circle").count() == 10
        finally:
            browser.close()
    job = TrainingJob.objects.get()
    assert job.status == TrainingJobStatus.COMPLETED and job.data == ""
    assert auc == pytest.approx(job.model.model_card["metrics"]["crossValidation"]["auc"], abs=5e-4)
    assert seen == sorted(seen), f"the bar went back: {seen}"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_scientist_trains_on_the_portfolios_loans_from_the_page(
    live_server, celery_worker_process, partner, make_user
):
    from playwright.sync_api import expect, sync_playwright

    from decisioning.demo import dictionary_load
    from portfolio.services.loans import loan_import_rows
    from tests.modelregistry.training.test_portfolio import demo_like_rows

    assert Path(CHROMIUM).exists(), f"Chromium is not installed at {CHROMIUM}"
    ARTIFACTS.mkdir(exist_ok=True)
    dictionary_load()
    loan_import_rows(partner=partner, rows=demo_like_rows(bad=60, good=240), actor=None)
    make_user(partner, roles.DATA_SCIENTIST, username="dana")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.goto(f"{live_server.url}/accounts/login/?next=/training/")
            page.fill("#id_username", "dana")
            page.fill("#id_password", PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page.locator("#file-fields")).to_be_visible()
            page.check("#source-portfolio")
            expect(page.locator("#file-fields")).to_be_hidden()
            expect(page.locator("#portfolio-note")).to_be_visible()
            page.select_option("#algorithm", "logistic")
            page.fill("#name", "Trained on the book")
            page.screenshot(path=str(ARTIFACTS / "training-portfolio-form.png"), full_page=True)
            page.click("#upload")
            expect(page.locator("#job-status")).to_have_text("Awaiting confirmation of the column mapping")
            expect(page.locator("#mapping tr.proposed")).to_have_count(0)
            page.screenshot(path=str(ARTIFACTS / "training-portfolio-mapping.png"), full_page=True)
            page.click("#confirm")
            expect(page.locator("#model-card")).to_be_visible(timeout=180_000)
            expect(page.locator("#job-status")).to_have_text("Completed")
            page.screenshot(path=str(ARTIFACTS / "training-portfolio-completed.png"), full_page=True)
        finally:
            browser.close()
    job = TrainingJob.objects.get()
    assert job.status == TrainingJobStatus.COMPLETED and job.data == "" and job.rows == 300
    assert job.model.model_card["data"]["target"] == "loan_outcome" and "outOfTime" in job.model.model_card["metrics"]
