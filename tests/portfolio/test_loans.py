import pytest
from django.core.management import call_command

from core.exceptions import ArgumentErrors
from portfolio.demo import demo_loan_rows, synthetic_loans_create
from portfolio.models import Loan
from portfolio.services.loans import loan_import_csv

pytestmark = pytest.mark.django_db

HEADER = "external_id,origination_date,balance,status,annualIncome,homeOwnership\n"


def test_a_csv_with_one_bad_row_imports_nothing_and_names_each_bad_cell(partner, dictionary):
    text = (
        HEADER
        + "L-1,2020-01-31,1000.50,current,52000,RENT\nL-2,2020-02-30,-5,lost,lots,CASTLE\nL-1,2020-03-01,10,closed,1,OWN\n"
    )
    with pytest.raises(ArgumentErrors) as raised:
        loan_import_csv(partner=partner, csv_text=text, actor=None)
    fields = {"/".join(error.field) for error in raised.value.errors}
    assert fields == {
        "rows/2/origination_date",
        "rows/2/balance",
        "rows/2/status",
        "rows/2/annualIncome",
        "rows/2/homeOwnership",
        "rows/3/external_id",
    }
    assert not Loan.objects.exists()


def test_a_good_csv_imports_every_loan_with_encrypted_attributes_and_a_baseline(partner, dictionary):
    text = (
        HEADER
        + "L-1,2020-01-31,1000.50,current,52000,RENT\nL-2,2020-02-28,10,delinquent,  ,OWN\nL-3,2020-03-02,5,current,52000.5,OWN \n"
    )
    assert loan_import_csv(partner=partner, csv_text=text, actor=None) == 3
    loan = Loan.objects.get(external_id="L-1")
    assert loan.attributes == {"annualIncome": 52000, "homeOwnership": "RENT"}
    # Cells are read as the data dictionary's CSV upload reads them (modelregistry.arguments.convert_text):
    # numbers as written, a blank cell missing, surrounding spaces ignored.
    assert type(loan.attributes["annualIncome"]) is int
    assert Loan.objects.get(external_id="L-2").attributes == {"annualIncome": None, "homeOwnership": "OWN"}
    assert Loan.objects.get(external_id="L-3").attributes == {"annualIncome": 52000.5, "homeOwnership": "OWN"}
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT attributes FROM portfolio_loan WHERE external_id = 'L-1'")
        assert b"52000" not in bytes(cursor.fetchone()[0])
    from portfolio.models import PortfolioSettings

    baseline = PortfolioSettings.objects.get(partner=partner).baseline
    assert sum(baseline["annualIncome"]["counts"].values()) == 3 and baseline["homeOwnership"]["counts"] == {
        "RENT": 1,
        "OWN": 2,
    }


def test_import_loans_command_reports_bad_rows_and_imports_nothing(partner, dictionary, tmp_path):
    path = tmp_path / "loans.csv"
    path.write_text(HEADER + "L-1,2020-01-31,1000,current,52000,RENT\nL-2,yesterday,1,current,1,RENT\n")
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="row 2, origination_date"):
        call_command("import_loans", partner.slug, str(path))
    assert not Loan.objects.exists()


def test_demo_loan_rows_are_deterministic():
    first, again = demo_loan_rows(limit=50), demo_loan_rows(limit=50)
    assert first == again
    assert first[0]["external_id"] == "LC-L-00000" and first[1]["origination_date"] == "2016-01-08"
    assert {row["status"] for row in demo_loan_rows(limit=200)} == {"current", "delinquent", "charged-off", "closed"}


def test_synthetic_loans_are_generated_encrypted_and_readable(partner):
    from decisioning.demo import dictionary_load

    dictionary_load()
    timings = synthetic_loans_create(partner=partner, count=2500, batch=1000)
    assert timings["created"] == 2500 == Loan.objects.filter(partner=partner).count()
    loan = Loan.objects.get(external_id="SYN-0000007")
    assert loan.attributes["fundedAmount"] > 0 and loan.attributes["term"] in ("term_36", "term_60")
    from portfolio.models import PortfolioSettings

    baseline = PortfolioSettings.objects.get(partner=partner).baseline
    assert sum(baseline["term"]["counts"].values()) == 2500


def test_a_bulk_import_refreshes_the_planner_statistics_once_committed(
    partner, dictionary, django_capture_on_commit_callbacks
):
    """A large import runs ANALYZE after its commit (PostgreSQL): the first job's chunk reads are
    planned for the table as loaded, not as it was. A small one leaves it to autovacuum."""
    from django.db import connection

    from portfolio.services.loans import ANALYZE_AFTER

    small = HEADER + "S-1,2020-01-31,10,current,1,RENT\n"
    with django_capture_on_commit_callbacks() as callbacks:
        loan_import_csv(partner=partner, csv_text=small, actor=None)
    assert callbacks == []
    rows = "".join(f"B-{n},2020-01-31,10,current,{n},RENT\n" for n in range(ANALYZE_AFTER))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        loan_import_csv(partner=partner, csv_text=HEADER + rows, actor=None)
    assert len(callbacks) == 1
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'portfolio_loan'")
            assert cursor.fetchone()[0] == ANALYZE_AFTER + 1  # what ANALYZE counted: every loan of the table
