"""Training from the portfolio: the table built from the partner's loans and recorded outcomes, and
`train_model --from-portfolio`."""

import datetime
import io

import pandas as pd
import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from core.exceptions import ArgumentError
from decisioning.demo import dictionary_load
from modelregistry import engines
from modelregistry.models import DevelopmentSample as KeptRows
from modelregistry.models import FieldType, PredictiveModel, TrainingJob, TrainingJobStatus
from modelregistry.services import predictive_model_field_map
from modelregistry.training.portfolio import (
    BAD_VALUE,
    DATE_COLUMN,
    GOOD_VALUE,
    MIN_PER_CLASS,
    TARGET,
    portfolio_training_table,
)
from modelregistry.training.runs import training_job_run
from monitoring.models import DevelopmentSample
from monitoring.selectors import BAD_STATUSES
from partners import roles
from portfolio import drift
from portfolio.demo import demo_loan_rows
from portfolio.models import Loan, LoanStatus
from portfolio.services.loans import loan_import_rows
from tests.factories import DataDictionaryFieldFactory, DecisionFactory

pytestmark = pytest.mark.django_db


def demo_like_rows(*, bad, good, prefix="LC-L-"):
    """`bad` delinquent/charged-off and `good` current/closed rows of the demo book (real Lending Club rows)."""
    rows = demo_loan_rows(limit=3000)
    bads = [row for row in rows if row["status"] in BAD_STATUSES][:bad]
    goods = [row for row in rows if row["status"] not in BAD_STATUSES][:good]
    assert len(bads) == bad and len(goods) == good
    return [{**row, "external_id": prefix + row["external_id"]} for row in bads + goods]


@pytest.fixture
def demo_dictionary(db):
    dictionary_load()
    return DataDictionaryFieldFactory(name="ageBand", data_type="string", protected=True)


def book(partner, *, bad=40, good=160, prefix="", age_band=False):
    rows = demo_like_rows(bad=bad, good=good, prefix=prefix)
    if age_band:
        for number, row in enumerate(rows):
            row["ageBand"] = ("under_25", "25_to_61", "62_and_over")[number % 3]
    loan_import_rows(partner=partner, rows=rows, actor=None)
    return rows


def test_each_status_gives_the_monitoring_target_and_the_origination_date(partner, demo_dictionary):
    book(partner)
    table = portfolio_training_table(partner=partner)
    statuses = dict(Loan.objects.filter(partner=partner).values_list("pk", "status"))
    dates = dict(Loan.objects.filter(partner=partner).values_list("pk", "origination_date"))
    assert len(table.frame) == 200 and (table.bad, table.good) == (40, 160)
    assert set(statuses.values()) == set(LoanStatus.values)  # every status is represented
    for loan_id, (_, row) in zip(table.loan_ids, table.frame.iterrows(), strict=True):
        expected = BAD_VALUE if statuses[loan_id] in (LoanStatus.DELINQUENT, LoanStatus.CHARGED_OFF) else GOOD_VALUE
        assert row[TARGET] == expected
        assert row[DATE_COLUMN] == dates[loan_id].isoformat()
    assert list(table.frame[DATE_COLUMN]) == sorted(table.frame[DATE_COLUMN])  # oldest first
    # Columns are the dictionary's own names (the demo book's attributes).
    assert {"annualIncome", "term", "revolvingUtilization"} <= set(table.frame.columns)


def test_a_linked_decisions_application_is_used_not_the_loans_later_attributes(partner, other_partner, demo_dictionary):
    book(partner)
    first, second, third = Loan.objects.filter(partner=partner).order_by("pk")[:3]
    decided = DecisionFactory(
        partner=partner, application={"annualIncome": 11111.0, "term": "term_60", "fundedAmount": 5000.0}
    )
    first.decision = decided
    # Updated after origination (e.g. by a re-evaluation): must not be what the model learns from.
    first.attributes = {**first.attributes, "annualIncome": 99999.0}
    first.save()
    # A decision of another partner is never read: that loan falls back to its own attributes.
    second.decision = DecisionFactory(partner=other_partner, application={"annualIncome": 22222.0})
    second.save()
    table = portfolio_training_table(partner=partner)
    rows = dict(zip(table.loan_ids, table.frame.to_dict(orient="records"), strict=True))
    assert rows[first.pk]["annualIncome"] == 11111.0 and rows[first.pk]["term"] == "term_60"
    assert rows[first.pk]["fundedAmount"] == 5000.0
    assert rows[second.pk]["annualIncome"] == second.attributes["annualIncome"] != 22222.0
    assert rows[third.pk]["annualIncome"] == third.attributes["annualIncome"]
    assert (table.from_decisions, table.from_attributes) == (1, 199)


def test_another_partners_loans_are_never_included(partner, other_partner, demo_dictionary):
    book(partner)
    book(other_partner, bad=30, good=30, prefix="X-")
    Loan.objects.filter(partner=other_partner).update(attributes={"annualIncome": 1.0})
    table = portfolio_training_table(partner=partner)
    own = set(Loan.objects.filter(partner=partner).values_list("pk", flat=True))
    assert len(table.loan_ids) == 200 and set(table.loan_ids) == own
    assert 1.0 not in set(table.frame["annualIncome"])


def test_too_few_loans_of_a_class_is_a_clear_error(partner, demo_dictionary):
    book(partner, bad=MIN_PER_CLASS - 1, good=200)
    with pytest.raises(ArgumentError) as raised:
        portfolio_training_table(partner=partner)
    assert raised.value.field == ("portfolio",)
    assert (
        f"{MIN_PER_CLASS - 1} bad loans" in raised.value.message and f"at least {MIN_PER_CLASS}" in raised.value.message
    )
    with pytest.raises(CommandError, match="portfolio: The portfolio has 24 bad loans"):
        call_command("train_model", partner=partner.slug, from_portfolio=True, algorithm="logistic")
    assert not PredictiveModel.objects.exists()


def test_the_row_bound_keeps_the_most_recent_loans(partner, demo_dictionary):
    book(partner)
    table = portfolio_training_table(partner=partner, max_rows=150)
    latest = list(
        Loan.objects.filter(partner=partner).order_by("-origination_date", "-pk").values_list("pk", flat=True)[:150]
    )
    assert len(table.frame) == 150 and set(table.loan_ids) == set(latest)


def test_command_trains_and_registers_from_the_portfolio_leaving_out_protected_fields(partner, demo_dictionary):
    book(partner, bad=60, good=240, age_band=True)
    out = io.StringIO()
    call_command(
        "train_model", partner=partner.slug, from_portfolio=True, algorithm="logistic", name="From loans", stdout=out
    )
    lines = out.getvalue().strip().splitlines()
    assert lines[-1].startswith("trained From loans v1: AUC ") and lines[-1].endswith("(5-fold CV)")
    assert any(line.startswith("out of time (from ") for line in lines)
    model = PredictiveModel.objects.get(partner=partner, name="From loans")
    card = model.model_card
    summary = card["data"]
    assert summary["rows"] == 300 and summary["badRows"] == 60 and summary["target"] == TARGET
    assert summary["sourceName"].startswith("the portfolio's loans with recorded outcomes")
    assert summary["excludedProtected"] == {"ageBand": "ageBand"} and summary["proposedFieldsCreated"] == {}
    arguments = {
        field.supported_field.name
        for field in model.fields.select_related("supported_field")
        if field.field_type == FieldType.ARGUMENT and field.supported_field
    }
    assert "annualIncome" in arguments and "ageBand" not in arguments
    assert TARGET not in arguments and "originationDate" not in arguments


def test_command_refuses_data_and_portfolio_together(partner, tmp_path):
    with pytest.raises(CommandError):
        call_command(
            "train_model", partner=partner.slug, from_portfolio=True, data=str(tmp_path / "x.csv"), algorithm="logistic"
        )
    with pytest.raises(CommandError, match="leave out --target"):
        call_command("train_model", partner=partner.slug, from_portfolio=True, target="Class", algorithm="logistic")


def test_the_page_trains_from_the_portfolio_through_the_mapping_confirmation(
    partner, other_partner, make_user, demo_dictionary
):
    book(partner, bad=60, good=240, age_band=True)
    scientist = make_user(partner, roles.DATA_SCIENTIST)
    client = Client()
    client.force_login(scientist)
    form = client.get("/training/").content.decode()
    assert 'value="portfolio"' in form and "the portfolio's loans with recorded outcomes" in form
    response = client.post("/training/", {"source": "portfolio", "algorithm": "logistic", "name": "Book model"})
    job = TrainingJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/training/{job.pk}/"
    assert job.status == TrainingJobStatus.AWAITING_CONFIRMATION and job.rows == 300
    assert (job.target, job.bad_value, job.date_column) == (TARGET, BAD_VALUE, DATE_COLUMN)
    # The columns are the dictionary's names: each matches itself, nothing is proposed, the protected one is left out.
    assert job.mapping["proposed"] == {} and job.mapping["protected"] == ["ageBand"]
    assert all(column == name for column, name in job.mapping["matched"].items())
    assert {"annualIncome", "term"} <= set(job.mapping["matched"])
    assert not PredictiveModel.objects.exists()
    page = client.get(f"/training/{job.pk}/").content.decode()
    assert "protected: never a model argument" in page and 'id="confirm"' in page
    outsider = Client()
    outsider.force_login(make_user(other_partner, roles.DATA_SCIENTIST))
    assert outsider.get(f"/training/{job.pk}/").status_code == 404

    assert client.post(f"/training/{job.pk}/confirm/").status_code == 302
    training_job_run(job_id=job.pk)  # without a worker the eager task already ran; a second run changes nothing
    job.refresh_from_db()
    assert job.status == TrainingJobStatus.COMPLETED, job.error
    assert job.data == "" and job.model.name == "Book model"
    arguments = set(job.model.fields.filter(field_type="argument").values_list("supported_field__name", flat=True))
    assert "annualIncome" in arguments and "ageBand" not in arguments
    assert "outOfTime" in job.model.model_card["metrics"]


def test_the_page_names_a_portfolio_with_too_few_bad_loans(partner, make_user, demo_dictionary):
    book(partner, bad=3, good=100)
    client = Client()
    client.force_login(make_user(partner, roles.DATA_SCIENTIST))
    response = client.post("/training/", {"source": "portfolio", "algorithm": "logistic"}, follow=True)
    assert "The portfolio has 3 bad loans" in " ".join(str(m) for m in response.context["messages"])
    assert not TrainingJob.objects.exists()


def test_a_trained_version_gets_its_monitoring_development_sample_when_its_probability_is_mapped(
    partner, demo_dictionary
):

    book(partner, bad=60, good=240)
    call_command("train_model", partner=partner.slug, from_portfolio=True, algorithm="logistic", name="PD book")
    first = PredictiveModel.objects.get(name="PD book", version=1)
    assert not DevelopmentSample.objects.filter(model=first).exists()  # no result mapped: nothing to compare
    probability = next(
        field
        for field in first.fields.all()
        if field.field_type == FieldType.RESULT and field.name.startswith("probability")
    )
    predictive_model_field_map(field=probability, supported_field_name="probabilityOfDefault", actor=None)
    # Mapped later: recorded from the development rows kept with the version (here all 300).
    mapped_later = DevelopmentSample.objects.get(model=first)
    assert mapped_later.score_field == "probabilityOfDefault" and mapped_later.size == 300

    call_command("train_model", partner=partner.slug, from_portfolio=True, algorithm="logistic", name="PD book")
    second = PredictiveModel.objects.get(name="PD book", version=2)  # the mapping carried over
    sample = DevelopmentSample.objects.get(model=second)
    assert sample.partner == partner and sample.score_field == "probabilityOfDefault" and sample.size == 300
    assert sum(sample.spec["counts"].values()) == 300
    # The bins are the deciles of the model's own probabilities on the training rows (as the CSV gave them).

    frame = pd.read_csv(io.BytesIO(portfolio_training_table(partner=partner).csv_bytes()))
    scores = engines.load_for(second).evaluate_batch(frame[second.model_card["features"]])[probability.name]
    assert sample.spec["edges"] == pytest.approx(drift.numeric_edges([float(score) for score in scores]))


def test_only_trainers_may_take_the_portfolio_and_an_unknown_source_is_named(partner, make_user, demo_dictionary):
    book(partner)
    risk_manager = Client()
    risk_manager.force_login(make_user(partner, roles.RISK_MANAGER))
    assert risk_manager.post("/training/", {"source": "portfolio", "algorithm": "logistic"}).status_code == 403
    scientist = Client()
    scientist.force_login(make_user(partner, roles.DATA_SCIENTIST))
    response = scientist.post("/training/", {"source": "elsewhere", "algorithm": "logistic"}, follow=True)
    assert response.status_code == 200
    assert "Choose the data" in " ".join(str(m) for m in response.context["messages"])
    response = scientist.post("/training/", {"source": "portfolio", "algorithm": "nope"}, follow=True)
    assert "Choose one of" in " ".join(str(m) for m in response.context["messages"])
    assert not TrainingJob.objects.exists()


def test_seasoning_leaves_out_loans_too_young_to_have_gone_bad(partner, demo_dictionary):
    book(partner)
    dates = sorted(Loan.objects.filter(partner=partner).values_list("origination_date", flat=True))
    today = dates[-1]
    table = portfolio_training_table(partner=partner, seasoning_days=90, today=today)
    old_enough = Loan.objects.filter(partner=partner, origination_date__lte=today - datetime.timedelta(days=90))
    assert 0 < len(table.frame) == old_enough.count() < 200
    assert set(table.loan_ids) == set(old_enough.values_list("pk", flat=True))
    with pytest.raises(ArgumentError, match="old enough"):
        portfolio_training_table(partner=partner, seasoning_days=10_000, today=today)


def test_a_mapping_is_kept_when_the_kept_rows_cannot_be_scored_and_no_sample_is_recorded(partner, demo_dictionary):
    book(partner, bad=60, good=240)
    call_command("train_model", partner=partner.slug, from_portfolio=True, algorithm="logistic", name="PD book")
    model = PredictiveModel.objects.get(name="PD book")
    kept = KeptRows.objects.get(model=model)
    kept.rows = [{name: value for name, value in row.items() if name != "annualIncome"} for row in kept.rows]
    kept.save()
    probability = model.fields.filter(field_type=FieldType.RESULT, name__startswith="probability").first()
    predictive_model_field_map(field=probability, supported_field_name="probabilityOfDefault", actor=None)
    probability.refresh_from_db()
    assert probability.supported_field.name == "probabilityOfDefault"
    assert not DevelopmentSample.objects.filter(model=model).exists()
