"""The demo book: the Lending Club applications as booked loans, and synthetic books for benchmarks.

The Lending Club file carries no loan ids, dates, balances or statuses; the demo generates them
deterministically from the row number (so every load gives the same book):
- external id  LC-L-<row, 5 digits>
- origination  2016-01-01 plus (row × 7) mod 730 days
- balance      funded amount × (1 − ((row × 13) mod 37) / 40), rounded to cents
- status       the file's own outcome: a `bad` loan is delinquent or charged-off, a `good` one current or
               closed, split by (row × 31) mod 100 (bad: < 50 delinquent; good: < 90 current)
Synthetic books (`synthetic_loans_create`) keep statuses by (row × 31) mod 100 alone:
< 85 current, < 93 delinquent, < 97 charged-off, else closed.
"""

import csv
import datetime
import decimal
import random
import time

from django.db import transaction

from decisioning.demo import DEMO_DIR, source_column_mapping
from modelregistry.models import DataDictionaryField

from .models import Loan, LoanStatus
from .services.loans import baseline_add, loan_import_rows, loan_statistics_refresh

DEMO_CSV = DEMO_DIR / "data" / "lending_club_modeldata.csv"
START = datetime.date(2016, 1, 1)


def _status(number):
    bucket = (number * 31) % 100
    return (
        LoanStatus.CURRENT
        if bucket < 85
        else LoanStatus.DELINQUENT
        if bucket < 93
        else LoanStatus.CHARGED_OFF
        if bucket < 97
        else LoanStatus.CLOSED
    )


def _demo_status(number, target):
    """The Lending Club outcome as a loan status, so the demo book's outcomes are the real ones."""
    bucket = (number * 31) % 100
    if target == "bad":
        return LoanStatus.DELINQUENT if bucket < 50 else LoanStatus.CHARGED_OFF
    return LoanStatus.CURRENT if bucket < 90 else LoanStatus.CLOSED


def demo_loan_rows(limit=None):
    """The demo CSV as import rows (text cells keyed by dictionary names, plus the generated columns)."""
    mapping = source_column_mapping()
    rows = []
    with open(DEMO_CSV, newline="") as handle:
        for number, source in enumerate(csv.DictReader(handle)):
            if limit is not None and number >= limit:
                break
            funded = decimal.Decimal(source["funded_amnt"])
            row = {
                "external_id": f"LC-L-{number:05d}",
                "origination_date": (START + datetime.timedelta(days=(number * 7) % 730)).isoformat(),
                "balance": str(
                    (funded * (1 - decimal.Decimal((number * 13) % 37) / 40)).quantize(decimal.Decimal("0.01"))
                ),
                "status": _demo_status(number, source["Class"]),
            }
            row.update({concept: source[column] for column, concept in mapping.items()})
            rows.append(row)
    return rows


def demo_loans_load(*, partner, actor=None, limit=None) -> int:
    """Import the demo book once (a second load changes nothing)."""
    if Loan.objects.filter(partner=partner, external_id__startswith="LC-L-").exists():
        return 0
    return loan_import_rows(partner=partner, rows=demo_loan_rows(limit), actor=actor)


def _typed_source_records():
    """Demo rows typed by the dictionary, to resample from."""
    types = dict(DataDictionaryField.objects.values_list("name", "data_type"))
    records = []
    for row in demo_loan_rows():
        record = {}
        for name, text in row.items():
            if name in ("external_id", "origination_date", "balance", "status"):
                continue
            if text == "":
                record[name] = None
            elif types.get(name) == "number":
                record[name] = float(text)
            elif types.get(name) == "integer":
                record[name] = int(float(text))
            else:
                record[name] = text
        records.append(record)
    return records


def synthetic_loans_create(*, partner, count=1_000_000, seed=12, batch=20000, prefix="SYN", out=None) -> dict:
    """`count` loans resampled from the Lending Club rows with jitter on the amounts (realistic
    joint distributions), ids <prefix>-<n>, deterministic for a seed. Returns timings: building
    rows, encrypting (Fernet, the dominant cost) and inserting."""
    generator = random.Random(seed)
    source = _typed_source_records()
    jittered = (
        "fundedAmount",
        "annualIncome",
        "installmentBalance",
        "installmentHighCreditLimit",
        "revolvingUtilization",
    )
    timings = {"build": 0.0, "encrypt": 0.0, "insert": 0.0}
    field = Loan._meta.get_field("attributes")
    created = 0
    for start in range(0, count, batch):
        began = time.perf_counter()
        loans, records = [], []
        for number in range(start, min(count, start + batch)):
            record = dict(source[generator.randrange(len(source))])
            for name in jittered:
                if record.get(name) is not None:
                    record[name] = round(record[name] * generator.uniform(0.9, 1.1), 2)
            if record.get("revolvingUtilization") is not None:
                record["revolvingUtilization"] = min(record["revolvingUtilization"], 200.0)
            records.append(record)
            loans.append(
                Loan(
                    partner=partner,
                    external_id=f"{prefix}-{number:07d}",
                    origination_date=START + datetime.timedelta(days=number % 1460),
                    balance=decimal.Decimal(int((record.get("fundedAmount") or 1000) * generator.uniform(0.05, 1.0))),
                    status=_status(number),
                    attributes=record,
                )
            )
        built = time.perf_counter()
        # Encrypt here, once per row, so the insert below is plain text (and the cost is measured).
        for loan in loans:
            loan.attributes = field.fernet.encrypt(field.get_prep_value(loan.attributes).encode("utf-8"))
        encrypted = time.perf_counter()
        with transaction.atomic():
            _insert_encrypted(loans)
            baseline_add(partner=partner, records=records)
        inserted = time.perf_counter()
        timings["build"] += built - began
        timings["encrypt"] += encrypted - built
        timings["insert"] += inserted - encrypted
        created += len(loans)
        if out:
            out(f"{created} loans")
    began = time.perf_counter()
    loan_statistics_refresh()  # as an import does: the first job's reads planned for the loaded table
    timings["analyze"] = time.perf_counter() - began  # VACUUM (ANALYZE) outside a transaction
    return {"created": created, **{k: round(v, 2) for k, v in timings.items()}}


def _insert_encrypted(loans):
    """Insert loans whose attributes are already ciphertext (bypassing the field's encryption)."""
    from django.db import connection

    columns = ("partner_id", "external_id", "origination_date", "attributes", "balance", "status")
    table = Loan._meta.db_table
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for loan in loans:
                    copy.write_row(
                        (
                            loan.partner_id,
                            loan.external_id,
                            loan.origination_date,
                            loan.attributes,
                            loan.balance,
                            loan.status,
                        )
                    )
        return
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}, origination_score) VALUES (%s, %s, %s, %s, %s, %s, NULL)",
            [
                (
                    loan.partner_id,
                    loan.external_id,
                    loan.origination_date.isoformat(),
                    loan.attributes,
                    str(loan.balance),
                    loan.status,
                )
                for loan in loans
            ],
        )
