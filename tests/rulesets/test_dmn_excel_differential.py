"""The converted workbook (native engine) against pyDMNrules deciding the same workbook itself.

Compared on single-table workbooks and records every table has a rule for, where pyDMNrules is
right by the standard. Known differences, by design (docs/conformance.md): pyDMNrules treats a
COLLECT table that matches nothing as an error (the standard: an empty list), and after a C+
table a later table sees the last matched rule's points instead of the sum.
"""

import io
import itertools
from decimal import Decimal

import openpyxl
import pytest

from rulesets import dmn
from rulesets.dmn import excel

from .workbooks import glossary_sheet, new_workbook, table_sheet, to_bytes

AGES = (None, 17, 18, 24.5, 25, 40, 60, 61, 90)
INCOMES = (0, 24999, 25000, 59999.99, 60000, 250000)
STATUSES = ("employed", "self-employed", "unemployed", "student")
HISTORIES = ("good", "bad")


def risk_rating():
    workbook = new_workbook()
    glossary_sheet(
        workbook,
        [
            ("Applicant Age", "Applicant", "applicantAge"),
            ("Medical History", None, "medicalHistory"),
            ("Risk Rating", "Outcome", "riskRating"),
        ],
    )
    table_sheet(
        workbook,
        "Risk",
        "Risk",
        "U",
        ["Applicant Age", "Medical History"],
        ["Risk Rating"],
        [
            ["> 60", "good", "Medium"],
            ["> 60", "bad", "High"],
            ["[25..60]", "-", "Medium"],
            ["< 25", "good", "Low"],
            ["< 25", "bad", "Medium"],
        ],
    )
    records = [
        {"Applicant Age": age, "Medical History": history} for age, history in itertools.product(AGES[1:], HISTORIES)
    ]
    return workbook, "Risk Rating", records


def scorecard():
    workbook = new_workbook()
    glossary_sheet(
        workbook,
        [
            ("Income", "Applicant", "annualIncome"),
            ("Employment", None, "employmentStatus"),
            ("Age", None, "applicantAge"),
            ("Points", "Outcome", "points"),
        ],
    )
    table_sheet(
        workbook,
        "Score",
        "Score",
        "C+",
        ["Income", "Employment", "Age"],
        ["Points"],
        [
            ["< 25000", "-", "-", 5],
            ["[25000..60000)", "-", "-", 20],
            [">= 60000", "-", "-", 35],
            ["-", "employed", "-", 30],
            ["-", '"self-employed"', "-", 20],
            ["-", "-", "< 25", -10],
            ["-", "-", "[25..60]", 10.5],
        ],
    )
    records = [
        {"Income": income, "Employment": status, "Age": age}
        for income, status, age in itertools.product(INCOMES, STATUSES, AGES[1:])
    ]
    return workbook, "Points", records


def grading():
    workbook = new_workbook()
    glossary_sheet(
        workbook, [("Points", "Score", "points"), ("Arrears", None, "arrearsDays"), ("Grade", "Outcome", "grade")]
    )
    table_sheet(
        workbook,
        "Grade",
        "Grade",
        "F",
        ["Points", "Arrears"],
        ["Grade"],
        [
            ["-", ">= 90", "E"],
            [">= 80", "-", "A"],
            [">= 60", "< 30", "B"],
            [">= 40", "-", "C"],
            ["-", "-", "D"],
        ],
    )
    records = [
        {"Points": points, "Arrears": arrears}
        for points, arrears in itertools.product((0, 39.9, 40, 59, 60, 79, 80, 120), (0, 29, 30, 89, 90))
    ]
    return workbook, "Grade", records


def routing():
    workbook = new_workbook()
    glossary_sheet(
        workbook,
        [("Arrears", "Loan", "arrearsDays"), ("Bureau Score", None, "bureauScore"), ("Routing", "Outcome", "routing")],
    )
    table_sheet(
        workbook,
        "Routing",
        "Routing",
        "P",
        ["Arrears", "Bureau Score"],
        ["Routing"],
        [
            [">= 90", "-", "decline"],
            [">= 30", "-", "refer"],
            ["-", "< 500", "refer"],
            ["-", "-", "approve"],
        ],
        validity=[None, None, "decline, refer, approve"],
    )
    records = [
        {"Arrears": arrears, "Bureau Score": score}
        for arrears, score in itertools.product((0, 29, 30, 89, 90, 400), (300, 499, 500, 800))
    ]
    return workbook, "Routing", records


@pytest.fixture(scope="module")
def reference():
    import pyDMNrules

    return pyDMNrules


@pytest.mark.parametrize("build", [risk_rating, scorecard, grading, routing], ids=lambda b: b.__name__)
def test_native_evaluation_of_the_converted_workbook_agrees_with_pydmnrules(build, reference):
    workbook, output, records = build()
    data = to_bytes(workbook)
    converter_names = {}
    model = dmn.load(excel.workbook_to_dmn(data))
    reader = reference.DMN()
    assert not reader.use(openpyxl.load_workbook(io.BytesIO(data))).get("errors")
    for variable, entry in reader.glossary.items():
        converter_names[variable] = entry["item"].split(".", 1)[1]
    result_name = converter_names[output]
    compared = 0
    for record in records:
        status, steps = reader.decide(dict(record))
        assert not status.get("errors"), (record, status)
        expected = steps[-1]["Result"][output] if isinstance(steps, list) else steps["Result"][output]
        ours = model.evaluate({converter_names[k]: v for k, v in record.items()})[result_name]
        if isinstance(ours, Decimal):
            ours = float(ours)
        assert ours == expected, (record, ours, expected)
        compared += 1
    assert compared == len(records) > 10
