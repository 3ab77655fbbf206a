from types import SimpleNamespace

import pandas as pd
import pytest

from modelregistry.training.columns import camel_case, match_columns, proposed_data_type
from modelregistry.training.train import pricing_columns


@pytest.mark.parametrize(
    "column, name",
    [
        ("annual_inc", "annualInc"),
        ("Annual Income", "annualIncome"),
        ("DTI", "dti"),
        ("revolUtil", "revolUtil"),
        ("open_il_12m", "openIl12m"),
        ("12m_inquiries", "field12mInquiries"),
        ("__", "field"),
    ],
)
def test_column_names_become_camel_case_dictionary_names(column, name):
    assert camel_case(column) == name


def test_columns_match_existing_entries_and_the_rest_are_proposed_with_unique_names():
    dictionary = {"annualIncome": SimpleNamespace(), "term": SimpleNamespace(), "revolUtil": SimpleNamespace()}
    matched, proposed = match_columns(["annual_income", "TERM", "revol_util", "annual_inc", "annual-inc"], dictionary)
    assert matched == {"annual_income": "annualIncome", "TERM": "term", "revol_util": "revolUtil"}
    assert proposed == {"annual_inc": "annualInc", "annual-inc": "annualInc2"}


def test_proposed_types_follow_the_column_values():
    assert [proposed_data_type(pd.Series(v)) for v in ([1, 2], [1.5, None], ["a", "b"], [True, False])] == [
        "integer",
        "number",
        "string",
        "boolean",
    ]


def test_pricing_outcome_columns_are_recognised():
    assert pricing_columns(
        ["funded_amnt", "int_rate", "sub_grade", "grade", "installment", "interestRate", "annual_inc", "subGrade"]
    ) == ["int_rate", "sub_grade", "grade", "installment", "interestRate", "subGrade"]


def test_installment_accounts_are_not_pricing_outcomes_but_the_monthly_payment_is():
    names = ["activeInstallmentAccounts", "installmentBalance", "num_il_tl", "monthlyInstallment", "installment_amount"]
    assert pricing_columns(names) == ["monthlyInstallment", "installment_amount"]
