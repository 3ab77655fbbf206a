import csv
import io
import json

import pytest
from django.test import Client
from django_celery_beat.models import PeriodicTask

from decisioning.demo import demo_load
from partners import roles
from portfolio.demo import demo_loans_load
from portfolio.models import ReevaluationJob
from tests.conftest import JsonApiClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(monkeypatch):
    # Chunks run in-process here (these tests are about the API and pages); test_jobs.py runs them on a worker.
    from config.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)
    monkeypatch.setitem(app.conf, "task_eager_propagates", True)
    demo = demo_load(out=lambda *_: None)
    demo_loans_load(partner=demo["partner"], limit=400)
    return demo


def _risk_manager(demo, make_user):
    return make_user(demo["partner"], roles.RISK_MANAGER)


def test_post_reevaluation_job_answers_202_and_get_reports_progress_and_drift(book, make_user):
    client = JsonApiClient(_risk_manager(book, make_user))
    response = client.post(
        "/api/v1/reevaluation-jobs", {"data": {"type": "reevaluationJob", "attributes": {"chunkSize": 150}}}
    )
    assert response.status_code == 202, response.content
    data = response.json()["data"]
    assert data["type"] == "reevaluationJob"
    detail = client.get(f"/api/v1/reevaluation-jobs/{data['id']}").json()["data"]["attributes"]
    job = ReevaluationJob.objects.get(pk=data["id"])
    assert detail["status"] == "completed" and detail["progress"] == 100.0
    assert detail["total"] == job.total == detail["done"] + detail["failed"] == job.results.count()
    assert detail["psi"]["score"]["band"] == "stable" and "annualIncome" in detail["psi"]["arguments"]
    assert [step["kind"] for step in detail["plan"]] == ["knockout", "score", "score"]


@pytest.mark.parametrize(
    "attributes, pointer",
    [
        ({"statuses": ["lost"]}, "/data/attributes/statuses"),
        ({"chunkSize": 0}, "/data/attributes/chunkSize"),
        ({"flowId": "not-a-flow"}, None),
    ],
)
def test_post_reevaluation_job_rejects_bad_input_naming_the_field(book, make_user, attributes, pointer):
    client = JsonApiClient(_risk_manager(book, make_user))
    response = client.post("/api/v1/reevaluation-jobs", {"data": {"type": "reevaluationJob", "attributes": attributes}})
    assert response.status_code == (404 if pointer is None else 400), response.content
    if pointer:
        assert response.json()["errors"][0]["source"]["pointer"].startswith(pointer)
    assert not ReevaluationJob.objects.exists()


def test_job_page_shows_matrix_psi_chart_early_warnings_and_exports_every_result(book, make_user):
    pages = Client()
    pages.force_login(_risk_manager(book, make_user))
    submitted = pages.post("/portfolio/jobs/submit/")
    job = ReevaluationJob.objects.get()
    assert submitted.status_code == 302 and submitted["Location"] == f"/portfolio/jobs/{job.pk}/"
    page = pages.get(f"/portfolio/jobs/{job.pk}/").content.decode()
    assert 'id="migration-matrix"' in page and f"/portfolio/jobs/{job.pk}/psi.svg" in page
    svg = pages.get(f"/portfolio/jobs/{job.pk}/psi.svg")
    assert svg["Content-Type"] == "image/svg+xml" and b"annualIncome" in svg.content
    progress = json.loads(pages.get(f"/portfolio/jobs/{job.pk}/progress/").content)
    assert progress == {
        "status": "completed",
        "total": job.total,
        "done": job.done,
        "failed": job.failed,
        "progress": 100.0,
    }
    export = b"".join(pages.get(f"/portfolio/jobs/{job.pk}/export.csv").streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(export)))
    assert len(rows) == job.total and {row["grade"] for row in rows} <= set("ABCDEFG")


def test_schedule_page_offers_only_the_reevaluation_and_rejects_a_bad_cron_field(book, make_user):
    pages = Client()
    pages.force_login(_risk_manager(book, make_user))
    pages.post("/portfolio/schedule/", {"enabled": "on", "minute": "30", "hour": "2", "day_of_week": "1-5"})
    task = PeriodicTask.objects.get()
    assert task.task == "portfolio.tasks.reevaluate_portfolio_scheduled" and task.enabled
    assert json.loads(task.args) == [str(book["partner"].pk)]
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_week) == ("30", "2", "1-5")
    pages.post("/portfolio/schedule/", {"enabled": "on", "minute": "30; rm", "hour": "2", "day_of_week": "*"})
    assert PeriodicTask.objects.get().crontab.minute == "30"


def test_the_scheduled_task_reevaluates_the_partners_book(book):
    from portfolio.tasks import reevaluate_portfolio_scheduled

    job_id = reevaluate_portfolio_scheduled.delay(str(book["partner"].pk)).get()
    assert ReevaluationJob.objects.get(pk=job_id).status == "completed"


def test_the_loan_admin_shows_each_loans_latest_evaluation_in_one_query_and_filters_by_its_grade(book, admin_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from portfolio.models import Loan, LoanLatestEvaluation
    from portfolio.services.jobs import reevaluation_job_submit

    reevaluation_job_submit(partner=book["partner"], user=None)  # current and delinquent loans
    latest = LoanLatestEvaluation.objects.select_related("loan").order_by("loan_id")
    graded = latest.first()
    other = latest.exclude(grade=graded.grade).first()
    never = Loan.objects.filter(partner=book["partner"], latest__isnull=True).first()
    assert graded and other and never

    def listed(grade, loan):
        page = admin_client.get("/admin/portfolio/loan/", {"latest_grade": grade, "q": loan.external_id})
        assert page.status_code == 200
        return f">{loan.external_id}<" in page.content.decode()

    assert listed(graded.grade, graded.loan) and not listed(other.grade, graded.loan)
    assert listed("-", never) and not listed("-", graded.loan)
    page = admin_client.get("/admin/portfolio/loan/", {"q": graded.loan.external_id}).content.decode()
    assert f'<td class="field-latest_probability_of_default">{graded.probability_of_default}</td>' in page, page
    with CaptureQueriesContext(connection) as queries:
        assert admin_client.get("/admin/portfolio/loan/").content.decode().count('class="field-latest_grade"') == 100
    per_loan = [q["sql"] for q in queries if q["sql"].startswith('SELECT "portfolio_loanlatestevaluation"')]
    assert not per_loan, per_loan[:2]
    change = admin_client.get(f"/admin/portfolio/loan/{graded.loan_id}/change/").content.decode()
    assert "Latest grade" in change and f'<div class="readonly">{graded.grade}</div>' in change
