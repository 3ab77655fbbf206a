"""The training table built from the partner's own booked loans and their recorded outcomes.

Features are the application as it was decided at origination: the linked decision's application
when the loan has one (of the same partner), otherwise the loan's recorded attributes. The
attributes are the loan's *current* ones (a re-evaluation or an import may have updated them after
origination), so they are the fallback only: training on values recorded after the outcome was
known would leak it into the model. Only scalar values of dictionary entries of a trainable type
are kept; the columns are dictionary names, so matching them to the dictionary is trivial, and a
protected entry is still shown and left out by the mapping step (services.model_train).

The target is the monitoring dashboard's own: a delinquent or charged-off loan is bad, a current or
closed one good (monitoring.selectors.BAD_STATUSES). The origination date is the out-of-time column.
"""

import datetime
from dataclasses import dataclass

import pandas as pd
from django.conf import settings
from django.utils import timezone

from core.exceptions import ArgumentError
from decisioning.models import Decision
from modelregistry.models import DataDictionaryField, DataType
from monitoring.selectors import BAD_STATUSES
from portfolio.models import Loan

# Column names that no dictionary entry can take (entries are camelCase, without underscores).
TARGET = "loan_outcome"
BAD_VALUE = "bad"
GOOD_VALUE = "good"
DATE_COLUMN = "origination_date"
SOURCE_NAME = "the portfolio's loans with recorded outcomes"
# Training needs both classes in every cross-validation fold, and the binning some of each per bin.
MIN_PER_CLASS = 25
# Loans decrypted per query (their applications or attributes).
BATCH = 2000
TRAINABLE_TYPES = (DataType.NUMBER, DataType.INTEGER, DataType.STRING, DataType.BOOLEAN)


@dataclass
class PortfolioTrainingTable:
    frame: pd.DataFrame  # dictionary names, then DATE_COLUMN and TARGET; oldest loan first
    bad: int
    good: int
    from_decisions: int  # rows whose features are the linked decision's application
    from_attributes: int  # rows whose features are the loan's recorded attributes
    loan_ids: list  # the loan of each row of `frame`, in order

    def csv_bytes(self) -> bytes:
        return self.frame.to_csv(index=False).encode("utf-8")

    @property
    def source_name(self) -> str:
        return f"{SOURCE_NAME} ({len(self.frame):,} loans, {self.bad:,} bad)"


def _is_bad(status):
    return status in BAD_STATUSES


def portfolio_training_table(*, partner, max_rows=None, seasoning_days=None, today=None) -> PortfolioTrainingTable:
    """The partner's most recent `max_rows` loans (TRAINING_PORTFOLIO_MAX_ROWS by default) as a
    training table; with `seasoning_days`, only loans originated at least that many days before
    `today` (a younger loan has not had the time to go bad). ArgumentError("portfolio") when either
    class has fewer than MIN_PER_CLASS loans."""
    max_rows = int(max_rows or settings.TRAINING_PORTFOLIO_MAX_ROWS)
    if max_rows < 1:
        raise ArgumentError("maxRows", "At least one loan.")
    eligible = Loan.objects.filter(partner=partner)
    if seasoning_days:
        if seasoning_days < 0:
            raise ArgumentError("seasoningDays", "A number of days, at least 0.")
        today = today or timezone.localdate()
        eligible = eligible.filter(origination_date__lte=today - datetime.timedelta(days=int(seasoning_days)))
    loans = list(
        eligible.order_by("-origination_date", "-pk").values_list("pk", "origination_date", "status", "decision_id")[
            :max_rows
        ]
    )
    bad = sum(1 for _, _, status, _ in loans if _is_bad(status))
    good = len(loans) - bad
    if bad < MIN_PER_CLASS or good < MIN_PER_CLASS:
        raise ArgumentError(
            "portfolio",
            f"The portfolio has {bad:,} bad loans (delinquent or charged-off) and {good:,} good ones "
            f"(current or closed){' old enough' if seasoning_days else ''}; "
            f"training needs at least {MIN_PER_CLASS} of each.",
        )
    loans.reverse()  # oldest first: the out-of-time check tests on the latest
    trainable = set(DataDictionaryField.objects.filter(data_type__in=TRAINABLE_TYPES).values_list("name", flat=True))
    records, from_decisions = [], 0
    for start in range(0, len(loans), BATCH):
        batch = loans[start : start + BATCH]
        applications = dict(
            Decision.objects.filter(partner=partner, pk__in=[d for *_, d in batch if d]).values_list(
                "pk", "application"
            )
        )
        attributes = dict(
            Loan.objects.filter(
                partner=partner, pk__in=[pk for pk, *_, d in batch if d not in applications]
            ).values_list("pk", "attributes")
        )
        for pk, origination_date, status, decision_id in batch:
            if decision_id in applications:
                source = applications[decision_id]
                from_decisions += 1
            else:
                source = attributes.get(pk)
            record = {
                name: value
                for name, value in (source or {}).items()
                if name in trainable and (value is None or isinstance(value, (str, int, float, bool)))
            }
            record[DATE_COLUMN] = origination_date.isoformat()
            record[TARGET] = BAD_VALUE if _is_bad(status) else GOOD_VALUE
            records.append(record)
    features = sorted({name for record in records for name in record} - {DATE_COLUMN, TARGET})
    frame = pd.DataFrame.from_records(records, columns=[*features, DATE_COLUMN, TARGET])
    return PortfolioTrainingTable(
        frame=frame,
        bad=bad,
        good=good,
        from_decisions=from_decisions,
        from_attributes=len(records) - from_decisions,
        loan_ids=[pk for pk, *_ in loans],
    )
