"""What-if pages: a form from the dictionary, outcome, reasons and contributions, and nothing stored."""

import pytest
from django.test import Client

from core.models import AuditEvent, AuditPending
from decisioning.demo import demo_application
from decisioning.models import Decision, InsightTransaction, ReviewCase
from partners import roles

from .test_decisions_api import demo  # noqa: F401 — fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def underwriter(demo):
    client = Client()
    client.force_login(demo["people"][roles.UNDERWRITER][0])
    return client


def form_data(application):
    return {name: "" if value is None else str(value) for name, value in application.items()}


def flow_url(demo):
    return f"/what-if/flows/{demo['flow'].definition_id}/"


def counts():
    return (
        Decision.objects.count(),
        InsightTransaction.objects.count(),
        ReviewCase.objects.count(),
        AuditEvent.objects.count(),
        AuditPending.objects.count(),
    )


def test_the_form_is_built_from_the_dictionary_labels_units_and_enumerations(underwriter, demo):
    page = underwriter.get(flow_url(demo)).content.decode()
    assert '<select name="term"' in page and '<option value="term_36"' in page
    assert 'name="annualIncome"' in page and 'type="number"' in page
    assert "Annual income" in page  # the dictionary's label, not the name


def test_deciding_shows_outcome_reasons_and_contributions_and_stores_nothing(underwriter, demo):
    before = counts()
    answer = underwriter.post(flow_url(demo), form_data(demo_application(3)))
    assert answer.status_code == 200
    page = answer.content.decode()
    assert 'id="what-if-outcome"' in page
    assert "contribution-chart" in page and "<table" in page and "Base value" in page
    assert counts() == before  # no decision, step record, case, audit event or audit queue row


def test_bad_input_shows_the_field_error_and_never_a_500(underwriter, demo):
    before = counts()
    data = {**form_data(demo_application(3)), "annualIncome": "lots", "revolvingUtilization": "-5000", "term": "x"}
    answer = underwriter.post(flow_url(demo), data)
    assert answer.status_code == 200
    page = answer.content.decode()
    assert 'id="annualIncome-error"' in page and 'id="term-error"' in page
    assert 'id="what-if-outcome"' not in page
    assert counts() == before


def test_a_model_what_if_evaluates_the_model_with_its_contributions(underwriter, demo):
    model = demo["logistic"]
    arguments = {
        f.supported_field.name for f in model.fields.filter(field_type="argument", supported_field__isnull=False)
    }
    data = {name: value for name, value in form_data(demo_application(5)).items() if name in arguments}
    before = counts()
    answer = underwriter.post(f"/what-if/models/{model.pk}/", data)
    page = answer.content.decode()
    assert answer.status_code == 200 and "contribution-chart" in page and "log-odds" in page
    assert counts() == before


def test_another_partners_flow_and_model_are_404(underwriter, other_partner):
    from decisioning.demo import register_demo_model
    from decisioning.models import Flow

    other_flow = Flow.objects.create(partner=other_partner, name="Theirs")
    other_model = register_demo_model(
        partner=other_partner, name="Theirs", path="models/lending_club_logistic.pmml", actor=None
    )
    assert underwriter.get(f"/what-if/flows/{other_flow.pk}/").status_code == 404
    assert underwriter.post(f"/what-if/models/{other_model.pk}/", {}).status_code == 404


def test_a_flow_with_no_version_deciding_now_says_so(underwriter, demo):
    from decisioning.models import Flow

    empty = Flow.objects.create(partner=demo["partner"], name="Not yet published")
    answer = underwriter.get(f"/what-if/flows/{empty.pk}/")
    assert answer.status_code == 200 and "no version published" in answer.content.decode()


def test_a_number_out_of_range_or_not_finite_is_a_field_error(underwriter, demo):
    data = {**form_data(demo_application(3)), "annualIncome": "1e400", "fundedAmount": "NaN"}
    page = underwriter.post(flow_url(demo), data).content.decode()
    assert 'id="annualIncome-error"' in page and 'id="fundedAmount-error"' in page
