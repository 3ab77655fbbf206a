"""Batch predictions through the API and the pages: roles, partner scope, bounded uploads, the result CSV."""

import csv
import io
import json
import socket

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from batchpredictions.models import BatchPrediction, BatchPredictionStatus
from batchpredictions.services.chunks import batch_prediction_chunk_run
from core.models import AuditEvent
from partners import roles
from partners.services import api_token_create
from tests.decisioning.test_insights_api import register_mapped_logistic
from tests.factories import logistic_probability
from tests.processes import run_django

pytestmark = pytest.mark.django_db

CSV = "ref,annualIncome,revolvingUtilization,homeOwnership\nR-1,45000,62.5,RENT\nR-2,many,62.5,RENT\n"


@pytest.fixture
def scientist(partner, make_user):
    return make_user(partner, roles.DATA_SCIENTIST)


@pytest.fixture
def logistic(partner, scientist, dictionary):
    return register_mapped_logistic(partner, scientist)


def score_here(job):
    """Run the job's chunks in this process: a no-op once eager tasks ran them; with a worker, this
    test's transaction is invisible to it (the browser test follows the worker's path)."""
    for chunk_id in job.chunks.values_list("pk", flat=True):
        batch_prediction_chunk_run(chunk_id=chunk_id)
    job.refresh_from_db()
    assert job.status == BatchPredictionStatus.COMPLETED
    return job


def document(**attributes):
    return {"data": {"type": "batchPrediction", "attributes": attributes}}


def test_the_api_accepts_a_csv_scores_it_and_serves_the_result(api_as, scientist, logistic):
    client = api_as(scientist)
    created = client.post(
        "/api/v1/batch-predictions", document(modelId=str(logistic.pk), csv=CSV, sourceName="two.csv")
    )
    assert created.status_code == 202, created.json()
    attributes = created.json()["data"]["attributes"]
    # Without REDIS_URL the tasks ran eagerly; with a worker they may still be running.
    assert attributes["total"] == 2 and attributes["sourceName"] == "two.csv"
    assert attributes["resultColumns"] == ["probabilityOfDefault"] and attributes["modelId"] == str(logistic.pk)
    job = score_here(BatchPrediction.objects.get(pk=created.json()["data"]["id"]))
    read = client.get(f"/api/v1/batch-predictions/{job.pk}").json()["data"]["attributes"]
    assert (read["status"], read["done"], read["failed"], read["progress"]) == ("completed", 1, 1, 100.0)
    result = client.client.get(f"/api/v1/batch-predictions/{job.pk}/result", HTTP_ACCEPT="text/csv")
    assert result.status_code == 200 and result["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(result.streaming_content).decode())))
    assert [row["ref"] for row in rows] == ["R-1", "R-2"]
    assert float(rows[0]["probabilityOfDefault"]) == pytest.approx(logistic_probability(45000, 62.5, "RENT"))
    assert rows[1]["error"] == "annualIncome: must be a number, not 'many'"


def test_a_bad_file_is_a_400_naming_the_csv_attribute(api_as, scientist, logistic, settings):
    settings.BATCH_PREDICTION_MAX_ROWS = 1
    response = api_as(scientist).post("/api/v1/batch-predictions", document(modelId=str(logistic.pk), csv=CSV))
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["source"]["pointer"] == "/data/attributes/csv" and "more than 1 rows" in error["detail"]
    assert not BatchPrediction.objects.exists()


def test_a_result_before_completion_is_a_409_and_another_partners_job_is_a_404(
    api_as, scientist, logistic, other_partner, make_user
):
    from batchpredictions.services.jobs import batch_prediction_create

    job = batch_prediction_create(partner=scientist.partner, user=scientist, data=CSV, model_id=logistic.pk)
    response = api_as(scientist).get(f"/api/v1/batch-predictions/{job.pk}/result")
    assert response.status_code == 409 and "queued" in response.json()["errors"][0]["detail"]
    outsider = api_as(make_user(other_partner, roles.DATA_SCIENTIST))
    assert outsider.get(f"/api/v1/batch-predictions/{job.pk}").status_code == 404
    assert outsider.get(f"/api/v1/batch-predictions/{job.pk}/result").status_code == 404
    assert outsider.get("/api/v1/batch-predictions").json()["data"] == []


def test_the_page_uploads_a_file_and_shows_the_job_then_the_download(partner, scientist, logistic):
    client = Client()
    client.force_login(scientist)
    page = client.get("/batch-predictions/")
    assert page.status_code == 200 and f"model:{logistic.pk}" in page.content.decode()
    response = client.post(
        "/batch-predictions/submit/",
        {"target": f"model:{logistic.pk}", "file": SimpleUploadedFile("apps.csv", CSV.encode(), "text/csv")},
    )
    job = BatchPrediction.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/batch-predictions/{job.pk}/"
    assert AuditEvent.objects.filter(action="batch_prediction.create", object_id=str(job.pk)).exists()
    progress = client.get(f"/batch-predictions/{job.pk}/progress/").json()
    assert progress["total"] == 2
    score_here(job)
    detail = client.get(f"/batch-predictions/{job.pk}/").content.decode()
    assert "Download the result" in detail and "must be a number, not &#x27;many&#x27;" in detail
    download = client.get(f"/batch-predictions/{job.pk}/result.csv")
    assert len(list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode())))) == 3


@pytest.mark.parametrize(
    "form,message",
    [
        ({"target": ""}, "Choose the model or the flow"),
        ({"target": "model:{model}"}, "Choose a CSV file"),
        ({"target": "model:{model}", "file": ("x.csv", b"\xff\xfe")}, "not UTF-8"),
        (
            {"target": "model:00000000-0000-0000-0000-000000000000", "file": ("x.csv", CSV.encode())},
            "No predictive model",
        ),
        ({"target": "flow:nope", "file": ("x.csv", CSV.encode())}, "No decision flow"),
    ],
)
def test_the_page_names_what_is_wrong_with_a_submission(scientist, logistic, form, message):
    client = Client()
    client.force_login(scientist)
    data = {"target": form["target"].format(model=logistic.pk)}
    if "file" in form:
        data["file"] = SimpleUploadedFile(form["file"][0], form["file"][1], "text/csv")
    response = client.post("/batch-predictions/submit/", data, follow=True)
    assert response.status_code == 200
    assert message in " ".join(str(m) for m in response.context["messages"])
    assert not BatchPrediction.objects.exists()


def test_an_upload_over_the_size_limit_is_refused_before_it_is_read(scientist, logistic, settings):
    settings.BATCH_PREDICTION_MAX_BYTES = 50
    client = Client()
    client.force_login(scientist)
    response = client.post(
        "/batch-predictions/submit/",
        {"target": f"model:{logistic.pk}", "file": SimpleUploadedFile("big.csv", CSV.encode() * 2, "text/csv")},
        follow=True,
    )
    assert "the limit is 50" in " ".join(str(m) for m in response.context["messages"])
    assert not BatchPrediction.objects.exists()


CLOSED_REDIS_PORT = 9339  # in this checkout's port range; nothing listens there


@pytest.mark.django_db(transaction=True)
def test_with_redis_down_a_submission_is_a_503_and_the_rows_are_not_kept(partner, make_user, dictionary):
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", CLOSED_REDIS_PORT)) != 0
    scientist = make_user(partner, roles.DATA_SCIENTIST)
    model = register_mapped_logistic(partner, scientist)
    token = api_token_create(user=scientist)
    body = json.dumps(document(modelId=str(model.pk), csv=CSV))
    answer = run_django(
        f"""
import time
started = time.monotonic()
response = Client().post("/api/v1/batch-predictions", data={body!r}, content_type="application/vnd.api+json",
                         HTTP_ACCEPT="application/vnd.api+json", HTTP_AUTHORIZATION="Token {token}")
print(json.dumps({{"status": response.status_code, "body": json.loads(response.content),
                   "retryAfter": response.get("Retry-After"), "seconds": time.monotonic() - started}}))
""",
        env={"REDIS_URL": f"redis://127.0.0.1:{CLOSED_REDIS_PORT}/3"},
    )
    assert answer["status"] == 503, answer
    assert answer["body"]["errors"][0]["code"] == "service_unavailable" and int(answer["retryAfter"]) > 0
    assert answer["seconds"] < 10, "the submission must answer, not hang on the broker"
    job = BatchPrediction.objects.get()
    assert job.status == BatchPredictionStatus.FAILED and "queue could not be reached" in job.error
    assert not job.chunks.exists()
