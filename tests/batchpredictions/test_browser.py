"""A data scientist scores 1,000 applications from a CSV in the browser: upload, live progress, download."""

import csv
import io
import os
from pathlib import Path

import pytest

from batchpredictions.models import BatchPrediction
from decisioning.demo import DEMO_DIR, demo_load, source_column_mapping
from partners import roles
from tests.decisioning.test_review_pages import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
from tests.factories import PASSWORD

# Playwright's sync API runs an event loop in this thread; Django refuses ORM calls there otherwise.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

ROWS = 1_000
BAD_ROWS = {17: ("annualIncome", "n/a"), 503: ("revolvingUtilization", "-4")}


def applications_csv(path):
    """The first 1,000 demo applications under their dictionary names, with an id column and two bad cells."""
    mapping = source_column_mapping()
    with open(DEMO_DIR / "data" / "lending_club_modeldata.csv", newline="") as handle:
        source = list(csv.DictReader(handle))[:ROWS]
    names = list(mapping.values())
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["external_id", *names])
    for number, row in enumerate(source, start=1):
        cells = {mapping[column]: row[column] for column in mapping}
        if number in BAD_ROWS:
            field, text = BAD_ROWS[number]
            cells[field] = text
        writer.writerow([f"LC-{number:05d}", *(cells[name] for name in names)])
    path.write_text(out.getvalue())
    return path


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_scientist_scores_1000_rows_watches_the_progress_and_downloads_1000_results(
    live_server, celery_worker_process, settings, tmp_path
):
    from playwright.sync_api import expect, sync_playwright

    assert Path(CHROMIUM).exists(), f"Chromium is not installed at {CHROMIUM}"
    ARTIFACTS.mkdir(exist_ok=True)
    settings.BATCH_PREDICTION_CHUNK_ROWS = 100  # ten tasks: the bar moves in steps
    demo = demo_load(out=lambda *_: None)
    scientist = demo["people"][roles.DATA_SCIENTIST][0]
    scientist.set_password(PASSWORD)
    scientist.save()
    flow = demo["flow"].definition
    upload = applications_csv(tmp_path / "applications.csv")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
            page.goto(f"{live_server.url}/accounts/login/?next=/batch-predictions/")
            page.fill("#id_username", scientist.username)
            page.fill("#id_password", PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("heading", name="Batch predictions")).to_be_visible()
            page.select_option("#target", f"flow:{flow.pk}")
            page.set_input_files("#file", str(upload))
            page.screenshot(path=str(ARTIFACTS / "batch-prediction-upload.png"), full_page=True)
            page.click("#score")
            expect(page.locator("#progress-panel")).to_be_visible()
            seen = []
            for _ in range(600):  # the page polls every 0.5 s and reloads when the job is done
                if page.locator("#download").count():
                    break
                value = page.locator("#job-progress").get_attribute("value")
                if value is not None and (not seen or float(value) != seen[-1]):
                    seen.append(float(value))
                    if 0 < seen[-1] < 100 and len(seen) == 2:
                        page.screenshot(path=str(ARTIFACTS / "batch-prediction-running.png"), full_page=True)
                page.wait_for_timeout(200)
            expect(page.locator("#job-status")).to_have_text("completed", timeout=120_000)
            assert page.locator("#job-progress").get_attribute("value") == "100.0"
            assert seen == sorted(seen), f"the bar went back: {seen}"
            expect(page.locator("#job-done")).to_have_text(str(ROWS - len(BAD_ROWS)))
            expect(page.locator("#row-errors")).to_contain_text("annualIncome: must be a number, not 'n/a'")
            page.screenshot(path=str(ARTIFACTS / "batch-prediction-completed.png"), full_page=True)
            with page.expect_download() as download_info:
                page.click("#download")
            downloaded = Path(download_info.value.path()).read_text()
        finally:
            browser.close()

    rows = list(csv.DictReader(io.StringIO(downloaded)))
    assert len(rows) == ROWS
    assert [row["external_id"] for row in rows] == [f"LC-{n:05d}" for n in range(1, ROWS + 1)]
    errors = {int(row["row"]): row["error"] for row in rows if row["error"]}
    assert set(errors) == set(BAD_ROWS)
    assert errors[503] == "revolvingUtilization: -4 is below the minimum 0"
    assert {row["outcome"] for row in rows if not row["error"]} <= {"APPROVED", "DECLINED", "REFERRED"}
    assert all(row["outcome"] for row in rows if not row["error"])
    job = BatchPrediction.objects.get()
    assert (job.total, job.done, job.failed, job.chunks.count()) == (ROWS, ROWS - 2, 2, 10)
