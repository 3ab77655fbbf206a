"""The training page's jobs: columns matched and confirmed before anything is trained or registered,
training in the worker with progress, the CSV kept encrypted and only until training ends."""

import datetime
import socket

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client

from core.exceptions import ArgumentError, Conflict
from core.models import AuditEvent
from modelregistry import engines
from modelregistry.models import DataDictionaryField, PredictiveModel, TrainingJob, TrainingJobStatus
from modelregistry.tasks import training_jobs_expire
from modelregistry.training.jobs import training_job_confirm, training_job_create
from modelregistry.training.runs import training_job_run, training_jobs_unconfirmed_expire
from partners import roles
from tests.factories import DataDictionaryFieldFactory
from tests.processes import run_django

from .data import lending_club_sample

pytestmark = pytest.mark.django_db


@pytest.fixture
def scientist(partner, make_user):
    return make_user(partner, roles.DATA_SCIENTIST)


@pytest.fixture
def loans_csv():
    frame = lending_club_sample(600)
    return (
        frame[["annual_inc", "revol_util", "term", "inq_last_6mths", "all_util", "Class"]].to_csv(index=False).encode()
    )


def create(partner, user, data, **options):
    arguments = {"target": "Class", "bad_value": "bad", "algorithm": "logistic", "name": "PD trained", **options}
    return training_job_create(partner=partner, user=user, data=data, source_name="loans.csv", **arguments)


def run_here(job):
    """Without REDIS_URL the confirmation ran the task eagerly; with a worker this test's transaction
    is invisible to it, so the task's service runs here (the browser test follows the worker)."""
    training_job_run(job_id=job.pk)
    job.refresh_from_db()
    return job


def test_nothing_is_trained_or_created_until_the_mapping_is_confirmed_then_the_model_is_registered(
    partner, scientist, loans_csv
):
    DataDictionaryFieldFactory(name="annualIncome")  # not annual_inc: that is annualInc, a new entry
    DataDictionaryFieldFactory(name="term", data_type="string")
    DataDictionaryFieldFactory(name="allUtil", protected=True)
    job = create(partner, scientist, loans_csv)
    assert job.status == TrainingJobStatus.AWAITING_CONFIRMATION and job.rows == 600
    assert job.mapping["matched"] == {"term": "term", "all_util": "allUtil"}
    assert job.mapping["proposed"]["annual_inc"] == {"name": "annualInc", "dataType": "number"}
    assert job.mapping["proposed"]["inq_last_6mths"] == {"name": "inqLast6mths", "dataType": "integer"}
    assert job.mapping["protected"] == ["all_util"]
    assert not PredictiveModel.objects.exists() and not DataDictionaryField.objects.filter(name="annualInc").exists()

    job = run_here(training_job_confirm(job=job, user=scientist))
    assert job.status == TrainingJobStatus.COMPLETED, job.error
    assert job.progress == 100.0 and job.confirmed_by == scientist and job.data == ""
    model = job.model
    assert model.name == "PD trained" and model.created_by == scientist
    arguments = set(model.fields.filter(field_type="argument").values_list("supported_field__name", flat=True))
    assert arguments == {"annualInc", "revolUtil", "term", "inqLast6mths"}  # the protected column left out
    assert DataDictionaryField.objects.filter(name="annualInc", data_type="number").exists()
    cv = model.model_card["metrics"]["crossValidation"]
    assert 0.5 < cv["auc"] < 1 and cv["folds"] == 5
    assert model.model_card["data"]["rows"] == 600
    engines.load_for(model)  # the registered PMML compiles in the native engine
    actions = list(AuditEvent.objects.filter(object_id=str(job.pk)).order_by("pk").values_list("action", flat=True))
    assert actions == ["training_job.create", "training_job.confirm", "training_job.completed"]
    assert training_job_run(job_id=job.pk).model == model  # a redelivery trains nothing again
    assert PredictiveModel.objects.count() == 1


def test_the_uploaded_csv_is_encrypted_at_rest(partner, scientist, loans_csv):
    job = create(partner, scientist, loans_csv)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT data FROM {TrainingJob._meta.db_table}")
        [raw] = cursor.fetchone()
    raw = bytes(raw).decode("ascii", errors="replace") if not isinstance(raw, str) else raw
    assert "annual_inc" not in raw and "revol_util" not in raw
    assert TrainingJob.objects.get(pk=job.pk).data.startswith("annual_inc,revol_util")


def test_a_dictionary_change_after_confirmation_asks_for_confirmation_again(partner, scientist, loans_csv):
    job = create(partner, scientist, loans_csv)
    TrainingJob.objects.filter(pk=job.pk).update(status=TrainingJobStatus.QUEUED)  # confirmed, not yet run
    DataDictionaryFieldFactory(name="annualInc")  # someone adds the entry meanwhile
    job = run_here(job)
    assert job.status == TrainingJobStatus.AWAITING_CONFIRMATION and "changed since" in job.error
    assert job.mapping["matched"]["annual_inc"] == "annualInc"
    assert not PredictiveModel.objects.exists()


def test_a_job_is_confirmed_once(partner, scientist, loans_csv):
    job = run_here(training_job_confirm(job=create(partner, scientist, loans_csv, sample_rows=300), user=scientist))
    assert job.status == TrainingJobStatus.COMPLETED and job.model.model_card["data"]["rows"] == 300
    with pytest.raises(Conflict, match="nothing to confirm"):
        training_job_confirm(job=job, user=scientist)


def test_training_that_fails_on_the_data_says_why_and_keeps_nothing(partner, scientist, loans_csv):
    job = create(partner, scientist, loans_csv, date_column="term")  # not a date
    job = run_here(training_job_confirm(job=job, user=scientist))
    assert job.status == TrainingJobStatus.FAILED and "are not dates" in job.error
    assert job.data == "" and not PredictiveModel.objects.exists()


@pytest.mark.parametrize(
    "data,options,field,message",
    [
        (b"\xff\xfe", {}, "file", "not UTF-8"),
        (b"a,b\n1,2\n", {}, "file", "training needs at least 50"),
        (None, {"target": "Outcome"}, "target", "no column 'Outcome'"),
        (None, {"bad_value": "default"}, "badValue", "No row has Class = 'default'"),
        (None, {"date_column": "issue_d"}, "dateColumn", "no column 'issue_d'"),
        (None, {"algorithm": "deep_learning"}, "algorithm", "Choose one of"),
        (None, {"sample_rows": 5}, "sampleRows", "At least 100"),
    ],
)
def test_a_bad_upload_is_refused_naming_the_field_and_nothing_is_stored(
    partner, scientist, loans_csv, data, options, field, message
):
    with pytest.raises(ArgumentError) as raised:
        create(partner, scientist, loans_csv if data is None else data, **options)
    assert raised.value.field == (field,) and message in raised.value.message
    assert not TrainingJob.objects.exists()


def test_the_pages_upload_confirm_and_show_the_model_card(partner, scientist, loans_csv, other_partner, make_user):
    client = Client()
    client.force_login(scientist)
    assert client.get("/training/").status_code == 200
    response = client.post(
        "/training/",
        {
            "file": SimpleUploadedFile("loans.csv", loans_csv, "text/csv"),
            "target": "Class",
            "bad_value": "bad",
            "algorithm": "logistic",
            "name": "From the page",
        },
    )
    job = TrainingJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/training/{job.pk}/"
    page = client.get(f"/training/{job.pk}/").content.decode()
    assert "annualInc" in page and "new entry, created on confirmation" in page and 'id="confirm"' in page
    assert client.post(f"/training/{job.pk}/confirm/").status_code == 302
    job = run_here(job)
    page = client.get(f"/training/{job.pk}/").content.decode()
    assert 'id="model-card"' in page and f"{job.model.model_card['metrics']['crossValidation']['auc']:.3f}" in page
    outsider = Client()
    outsider.force_login(make_user(other_partner, roles.DATA_SCIENTIST))
    assert outsider.get(f"/training/{job.pk}/").status_code == 404
    assert outsider.post(f"/training/{job.pk}/confirm/").status_code == 404


def test_the_page_names_a_bad_upload(scientist):
    client = Client()
    client.force_login(scientist)
    response = client.post(
        "/training/",
        {"file": SimpleUploadedFile("x.csv", b"a,b\n1,2\n"), "target": "b", "bad_value": "2"},
        follow=True,
    )
    assert "training needs at least 50" in " ".join(str(m) for m in response.context["messages"])
    assert not TrainingJob.objects.exists()


def test_an_upload_nobody_confirms_is_deleted_after_the_window(partner, scientist, loans_csv, settings):
    settings.TRAINING_UNCONFIRMED_DAYS = 7
    job = create(partner, scientist, loans_csv)
    assert training_jobs_unconfirmed_expire(now=job.created + datetime.timedelta(days=6)) == 0
    assert TrainingJob.objects.get(pk=job.pk).data != ""
    TrainingJob.objects.filter(pk=job.pk).update(created=job.created - datetime.timedelta(days=7, seconds=1))
    assert training_jobs_expire.apply().get() == 1
    job.refresh_from_db()
    assert job.status == TrainingJobStatus.FAILED and job.data == "" and "not confirmed within 7 days" in job.error
    assert training_jobs_unconfirmed_expire() == 0  # safe twice
    assert settings.CELERY_BEAT_SCHEDULE["expire-unconfirmed-training"]["task"] == training_jobs_expire.name


CLOSED_REDIS_PORT = 9338  # in this checkout's port range; nothing listens there


@pytest.mark.django_db(transaction=True)
def test_with_redis_down_confirming_says_so_and_the_job_keeps_waiting(partner, scientist, loans_csv):
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", CLOSED_REDIS_PORT)) != 0
    job = create(partner, scientist, loans_csv)
    answer = run_django(
        f"""
import time
from partners.models import User
client = Client()
client.force_login(User.objects.get(pk={scientist.pk}))
started = time.monotonic()
response = client.post("/training/{job.pk}/confirm/", follow=True)
print(json.dumps({{"status": response.status_code, "seconds": time.monotonic() - started,
                   "messages": [str(m) for m in response.context["messages"]]}}))
""",
        env={"REDIS_URL": f"redis://127.0.0.1:{CLOSED_REDIS_PORT}/3"},
    )
    assert answer["status"] == 200 and answer["seconds"] < 10, answer
    assert any("job queue cannot be reached" in message for message in answer["messages"]), answer
    job.refresh_from_db()
    assert job.status == TrainingJobStatus.AWAITING_CONFIRMATION and job.confirmed_by is None and job.data
