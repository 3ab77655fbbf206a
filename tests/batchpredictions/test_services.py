"""Batch predictions as business verbs: row-level errors, encryption at rest, the download window."""

import csv
import datetime
import io

import pytest
from django.conf import settings
from django.db import connection

from batchpredictions.models import BatchPrediction, BatchPredictionChunk, BatchPredictionStatus
from batchpredictions.services.chunks import batch_prediction_chunk_run
from batchpredictions.services.jobs import batch_prediction_create, batch_prediction_result_rows
from batchpredictions.services.retention import batch_predictions_expire
from core.exceptions import ArgumentError, Conflict, NotFound
from core.models import AuditEvent
from decisioning.demo import demo_application, demo_decisions_run, demo_load, source_column_mapping
from decisioning.models import Decision
from partners import roles
from tests.decisioning.test_insights_api import register_mapped_logistic
from tests.factories import logistic_probability

pytestmark = pytest.mark.django_db

HEADER = "applicant_ref,annualIncome,revolvingUtilization,homeOwnership"


@pytest.fixture
def scientist(partner, make_user):
    return make_user(partner, roles.DATA_SCIENTIST)


@pytest.fixture
def logistic(partner, scientist, dictionary):
    return register_mapped_logistic(partner, scientist)


def run_all(job):
    for chunk_id in job.chunks.order_by("index").values_list("pk", flat=True):
        batch_prediction_chunk_run(chunk_id=chunk_id)
    job.refresh_from_db()
    return job


def result_table(job, user):
    return list(csv.DictReader(io.StringIO("".join(batch_prediction_result_rows(job=job, user=user)))))


def test_every_row_gets_a_result_and_a_bad_row_names_its_field_without_stopping_the_others(
    partner, scientist, logistic
):
    data = "\n".join(
        [
            HEADER,
            "A-1,45000,62.5,RENT",
            "A-2,lots,62.5,RENT",  # not a number
            "A-3,52000,10,CASTLE",  # not an allowed value
            "A-4,38000,12.25",  # a cell short
            "A-5,61000,33,OWN",
            "A-6,-5,250,MORTGAGE",  # below the minimum and above the maximum: both named
            "A-7,70000,5,MORTGAGE",
        ]
    )
    job = batch_prediction_create(
        partner=partner, user=scientist, data=data.encode(), model_id=logistic.pk, chunk_size=3
    )
    assert job.chunks.count() == 3 and job.total == 7
    job = run_all(job)
    assert job.status == BatchPredictionStatus.COMPLETED and (job.done, job.failed) == (3, 4)

    rows = result_table(job, scientist)
    assert [row["row"] for row in rows] == [str(n) for n in range(1, 8)]
    assert [row["applicant_ref"] for row in rows] == [f"A-{n}" for n in range(1, 8)]  # carried through
    by_ref = {row["applicant_ref"]: row for row in rows}
    for ref, (income, utilization, home) in {
        "A-1": (45000, 62.5, "RENT"),
        "A-5": (61000, 33, "OWN"),
        "A-7": (70000, 5, "MORTGAGE"),
    }.items():
        assert by_ref[ref]["error"] == ""
        assert float(by_ref[ref]["probabilityOfDefault"]) == pytest.approx(
            logistic_probability(income, utilization, home), abs=1e-12
        )
    assert by_ref["A-2"]["error"] == "annualIncome: must be a number, not 'lots'"
    assert by_ref["A-3"]["error"].startswith("homeOwnership: 'CASTLE' is not one of the allowed values")
    assert by_ref["A-4"]["error"] == "the row has 3 cells; the header names 4 columns"
    assert "annualIncome: -5 is below the minimum 0" in by_ref["A-6"]["error"]
    assert "revolvingUtilization: 250 is above the maximum 200" in by_ref["A-6"]["error"]
    for ref in ("A-2", "A-3", "A-4", "A-6"):
        assert by_ref[ref]["probabilityOfDefault"] == ""
    assert AuditEvent.objects.filter(action="batch_prediction.download", object_id=str(job.pk)).count() == 1


def test_an_empty_cell_is_a_missing_value_the_model_replaces(partner, scientist, logistic):
    # The test model's MiningField replaces a missing annual_inc by 60000.
    job = batch_prediction_create(
        partner=partner, user=scientist, data=f"{HEADER}\nB-1,,62.5,RENT\n", model_id=logistic.pk
    )
    [row] = result_table(run_all(job), scientist)
    assert row["error"] == ""
    assert float(row["probabilityOfDefault"]) == pytest.approx(logistic_probability(60000, 62.5, "RENT"), abs=1e-12)


def test_rows_and_results_are_encrypted_at_rest(partner, scientist, logistic):
    job = batch_prediction_create(
        partner=partner, user=scientist, data=f"{HEADER}\nQuokka-Zephyr-771,91234.5,62.5,RENT\n", model_id=logistic.pk
    )
    job = run_all(job)
    probability = repr(logistic_probability(91234.5, 62.5, "RENT"))
    table = BatchPredictionChunk._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT rows, results FROM {table} WHERE job_id = %s",
            [job.pk.hex if connection.vendor == "sqlite" else job.pk],
        )
        raw_rows, raw_results = cursor.fetchone()
    raw = (bytes(raw_rows) + bytes(raw_results)).decode("ascii", errors="replace")
    for plain in ("Quokka-Zephyr-771", "91234.5", probability[:10]):
        assert plain not in raw
    chunk = job.chunks.get()
    assert chunk.rows == [["Quokka-Zephyr-771", "91234.5", "62.5", "RENT"]]  # the field decrypts
    assert chunk.results[0][0] == pytest.approx(float(probability), abs=1e-15)


def test_inputs_and_results_are_deleted_after_the_download_window_and_the_counts_stay(
    partner, scientist, logistic, settings
):
    settings.BATCH_PREDICTION_RETENTION_DAYS = 7
    job = run_all(
        batch_prediction_create(
            partner=partner, user=scientist, data=f"{HEADER}\nC-1,45000,62.5,RENT\n", model_id=logistic.pk
        )
    )
    assert job.expires == job.finished + datetime.timedelta(days=7)
    assert batch_predictions_expire(now=job.finished + datetime.timedelta(days=6, hours=23)) == 0
    assert job.chunks.count() == 1 and len(result_table(job, scientist)) == 1

    assert batch_predictions_expire(now=job.finished + datetime.timedelta(days=7, seconds=1)) == 1
    job.refresh_from_db()
    assert job.status == BatchPredictionStatus.EXPIRED and (job.total, job.done) == (1, 1)
    assert not BatchPredictionChunk.objects.filter(job=job).exists()
    with pytest.raises(Conflict, match="deleted when the download window closed"):
        batch_prediction_result_rows(job=job, user=scientist)
    assert AuditEvent.objects.filter(action="batch_prediction.expire", object_id=str(job.pk)).exists()
    assert batch_predictions_expire(now=job.finished + datetime.timedelta(days=30)) == 0  # safe twice


@pytest.mark.django_db(transaction=True)
def test_the_scheduled_expiry_runs_on_the_worker_and_is_safe_twice(partner, scientist, logistic, celery_worker_process):
    from batchpredictions.tasks import batch_predictions_expire as task

    job = batch_prediction_create(
        partner=partner, user=scientist, data=f"{HEADER}\nC-1,45000,62.5,RENT\n", model_id=logistic.pk
    )
    BatchPrediction.objects.filter(pk=job.pk).update(expires=job.created - datetime.timedelta(seconds=1))
    assert task.delay().get(timeout=60) == 1
    assert task.delay().get(timeout=60) == 0
    assert not BatchPredictionChunk.objects.filter(job=job).exists()
    assert settings.CELERY_BEAT_SCHEDULE["expire-batch-predictions"]["task"] == task.name
    if settings.REDIS_URL:
        assert celery_worker_process is not None and celery_worker_process.poll() is None


def test_a_redelivered_chunk_writes_nothing_twice(partner, scientist, logistic):
    job = batch_prediction_create(
        partner=partner, user=scientist, data=f"{HEADER}\nD-1,45000,62.5,RENT\n", model_id=logistic.pk
    )
    chunk_id = job.chunks.get().pk
    assert batch_prediction_chunk_run(chunk_id=chunk_id)["scored"] == 1
    assert batch_prediction_chunk_run(chunk_id=chunk_id)["scored"] == 0
    job.refresh_from_db()
    assert (job.done, job.failed, job.status) == (1, 0, BatchPredictionStatus.COMPLETED)


@pytest.mark.parametrize(
    "data,limits,message",
    [
        (b"", {}, "The file is empty."),
        (b"\xff\xfe\x00", {}, "not UTF-8"),
        ("annualIncome,x\x00\n1,2\n".encode(), {}, "NUL"),
        (f"{HEADER}\n".encode(), {}, "a header but no rows"),
        (b"\n\n", {}, "must name the columns"),
        (f"{HEADER},annualIncome\n1,2,RENT,1,2\n".encode(), {}, "names the column 'annualIncome' twice"),
        (b"applicant_ref,,annualIncome\n", {}, "Column 2 of the header has no name"),
        (b"annualIncome,homeOwnership\n1,RENT\n", {}, "no column revolvingUtilization"),
        (f"{HEADER}\n" + "E,1,2,RENT\n" * 11, {"BATCH_PREDICTION_MAX_ROWS": 10}, "more than 10 rows"),
        (f"{HEADER}\nE,1,2,RENT\n".encode(), {"BATCH_PREDICTION_MAX_COLUMNS": 3}, "4 columns; the limit is 3"),
        (f"{HEADER}\nE,1,2,RENT\n".encode(), {"BATCH_PREDICTION_MAX_BYTES": 20}, "the limit is 20"),
        (f'{HEADER}\nE,1,2,"RENT\n'.encode(), {}, "Not a readable CSV file"),
    ],
)
def test_a_bad_file_is_refused_naming_the_problem_and_nothing_is_stored(
    partner, scientist, logistic, settings, data, limits, message
):
    for name, value in limits.items():
        setattr(settings, name, value)
    data = data.encode() if isinstance(data, str) else data
    with pytest.raises(ArgumentError) as raised:
        batch_prediction_create(partner=partner, user=scientist, data=data, model_id=logistic.pk)
    assert raised.value.field == ("file",) and message in raised.value.message
    assert not BatchPrediction.objects.exists()


def test_the_target_must_be_named_once_and_be_the_partners(partner, other_partner, scientist, logistic, make_user):
    data = f"{HEADER}\nF-1,45000,62.5,RENT\n"
    with pytest.raises(ArgumentError, match="not both"):
        batch_prediction_create(partner=partner, user=scientist, data=data)
    with pytest.raises(ArgumentError, match="not both"):
        batch_prediction_create(partner=partner, user=scientist, data=data, model_id=logistic.pk, flow_id=logistic.pk)
    other = make_user(other_partner, roles.DATA_SCIENTIST)
    with pytest.raises(NotFound):
        batch_prediction_create(partner=other_partner, user=other, data=data, model_id=logistic.pk)
    with pytest.raises(ArgumentError, match="chunkSize|Rows per task"):
        batch_prediction_create(partner=partner, user=scientist, data=data, model_id=logistic.pk, chunk_size=0)
    assert not BatchPrediction.objects.exists()


def test_a_file_is_scored_by_a_flow_as_decisions_are_made(db):
    demo = demo_load(out=lambda *_: None)
    partner, system = demo["partner"], demo["people"][roles.PARTNER_SYSTEM][0]
    demo_decisions_run(partner=partner, requested_by=system, count=12)
    names = list(source_column_mapping().values())
    lines = [",".join(["external_id", *names])]
    for number in range(12):
        application = demo_application(number)
        lines.append(
            ",".join([f"LC-{number:05d}", *("" if application[n] is None else str(application[n]) for n in names)])
        )
    analyst = demo["people"][roles.RISK_MANAGER][0]
    job = run_all(
        batch_prediction_create(
            partner=partner, user=analyst, data="\n".join(lines), flow_id=str(demo["flow"].definition_id)
        )
    )
    assert job.flow == demo["flow"] and job.status == BatchPredictionStatus.COMPLETED
    rows = result_table(job, analyst)
    decided = dict(Decision.objects.filter(partner=partner).values_list("external_id", "outcome"))
    assert len(rows) == 12
    for row in rows:
        assert row["error"] == "", row
        assert row["outcome"] == decided[row["external_id"]]


def test_a_fault_that_is_no_rows_fails_the_job_saying_so_instead_of_leaving_it_running(
    partner, scientist, logistic, monkeypatch
):
    from batchpredictions.services import chunks

    def broken(target, header, rows):
        raise RuntimeError("the scoring path broke")

    job = batch_prediction_create(
        partner=partner, user=scientist, data=f"{HEADER}\nG-1,45000,62.5,RENT\n", model_id=logistic.pk
    )
    monkeypatch.setattr(chunks, "score_rows", broken)
    batch_prediction_chunk_run(chunk_id=job.chunks.get().pk)
    job.refresh_from_db()
    assert job.status == BatchPredictionStatus.FAILED and job.finished is not None
    assert "could not be scored: RuntimeError: the scoring path broke" in job.error
