"""Excel rule workbooks (pyDMNrules' layout) → DMN XML → the native engine."""

import itertools
import math
from decimal import Decimal

import pytest

from rulesets import dmn
from rulesets.dmn import excel

from .test_dmn_excel_differential import routing
from .workbooks import credit_policy_workbook, decision_sheet, glossary_sheet, new_workbook, table_sheet, to_bytes


def fields_of(xml):
    return {(f.name, f.field_type): f.data_type for f in dmn.load(xml).fields}


@pytest.fixture(scope="module")
def policy():
    return dmn.load(excel.workbook_to_dmn(to_bytes(credit_policy_workbook()), name="Consumer policy"))


def applicant(**overrides):
    record = dict(applicantAge=35, annualIncome=70000, employmentStatus="employed", dti=15, bankruptcyFlag=False)
    record.update(overrides)
    return record


def test_glossary_attributes_become_inputs_and_every_variable_a_table_sets_a_result(policy):
    fields = {(f.name, f.field_type): f.data_type for f in policy.fields}
    assert fields == {
        ("applicantAge", "argument"): "number",
        ("bankruptcyFlag", "argument"): "boolean",
        ("dti", "argument"): "number",
        ("annualIncome", "argument"): "number",
        ("employmentStatus", "argument"): "string",
        ("knockoutReasons", "result"): "list",
        ("points", "result"): "number",
        ("grade", "result"): "string",
        ("Pricing", "result"): "context",
        ("rate", "result"): "number",
        ("rateNote", "result"): "string",
    }
    assert policy.engine_name == "dmn-native"


@pytest.mark.parametrize(
    "overrides, knockouts, points, grade, rate, note",
    [
        ({}, [], 90, "A", Decimal("0.059"), "prime"),  # 35 + 30 + 25
        (
            {"applicantAge": 17, "bankruptcyFlag": True, "dti": 50},
            ["KO01", "KO02", "KO03"],
            70,
            "B",
            Decimal("0.089"),
            "near prime",
        ),  # 35 + 30 + 5
        ({"annualIncome": 30000, "employmentStatus": "self-employed"}, [], 65, "B", Decimal("0.089"), "near prime"),
        ({"annualIncome": 20000, "employmentStatus": "unemployed", "dti": 30}, [], 10, "D", None, None),
        ({"annualIncome": 60000, "employmentStatus": "retired"}, [], 60, "B", Decimal("0.089"), "near prime"),
    ],
)
def test_the_workbook_decides_as_its_tables_say(policy, overrides, knockouts, points, grade, rate, note):
    result = policy.evaluate(applicant(**overrides))
    assert result["knockoutReasons"] == knockouts
    assert result["points"] == points
    assert result["grade"] == grade
    # the Decision sheet runs Pricing only for grades A and B: otherwise no rule matches
    assert (result["rate"], result["rateNote"]) == (rate, note)


def test_a_missing_input_matches_no_rule_that_compares_it(policy):
    result = policy.evaluate(applicant(annualIncome=None))
    assert result["points"] == 55  # employment 30 + dti 25; no income band matches a missing income


def test_batch_agrees_with_single_evaluation(policy):
    pandas = pytest.importorskip("pandas")
    records = [
        applicant(annualIncome=income, dti=dti, employmentStatus=status)
        for income, dti, status in itertools.product(
            (10000, 25000, 59999, 60000, 1e6), (0, 20, 20.5, 46), ("employed", "self-employed", "student")
        )
    ]
    frame = policy.evaluate_batch(pandas.DataFrame(records))
    for index, record in enumerate(records):
        single = policy.evaluate(record)
        for name in ("points", "grade", "rate"):
            batch_value = frame[name].iloc[index]
            if single[name] is None:
                assert batch_value is None or (isinstance(batch_value, float) and math.isnan(batch_value))
            else:
                assert batch_value == single[name], (record, name)


def test_priority_table_takes_its_order_from_the_validity_row():
    workbook, _output, _records = routing()
    xml = excel.workbook_to_dmn(to_bytes(workbook))
    assert 'hitPolicy="PRIORITY"' in xml
    model = dmn.load(xml)
    assert model.evaluate({"arrearsDays": 120, "bureauScore": 700})["routing"] == "decline"
    assert model.evaluate({"arrearsDays": 0, "bureauScore": 400})["routing"] == "refer"
    assert model.evaluate({"arrearsDays": 0, "bureauScore": 700})["routing"] == "approve"


def test_a_workbook_without_glossary_names_inputs_after_the_headings():
    workbook = new_workbook()
    table_sheet(
        workbook,
        "Limits",
        "Limits",
        "F",
        ["Monthly Income", "Region"],
        ["Limit"],
        [
            ["< 2000", "-", 0],
            ["-", "north, south", 5000],
            ["-", "-", 3000],
        ],
    )
    model = dmn.load(excel.workbook_to_dmn(to_bytes(workbook)))
    assert [(f.name, f.field_type) for f in model.fields] == [
        ("Monthly_Income", "argument"),
        ("Region", "argument"),
        ("Limit", "result"),
    ]
    assert model.evaluate({"Monthly_Income": 2500, "Region": "south"})["Limit"] == 5000
    assert model.evaluate({"Monthly_Income": 2500, "Region": "east"})["Limit"] == 3000
    assert model.evaluate({"Monthly_Income": 1000, "Region": "north"})["Limit"] == 0


def test_output_cells_may_compute_from_inputs():
    workbook = new_workbook()
    glossary_sheet(workbook, [("Income", "Applicant", "annualIncome"), ("Limit", "Offer", "creditLimit")])
    table_sheet(
        workbook,
        "Limit",
        "Limit",
        "F",
        ["Income"],
        ["Limit"],
        [
            [">= 100000", "min([Income * 0.3, 50000])"],
            ["-", "Income * 0.2"],
        ],
    )
    model = dmn.load(excel.workbook_to_dmn(to_bytes(workbook)))
    assert model.evaluate({"annualIncome": 40000})["creditLimit"] == 8000
    assert model.evaluate({"annualIncome": 200000})["creditLimit"] == 50000


@pytest.mark.parametrize(
    "build, message",
    [
        (
            lambda wb: table_sheet(wb, "T", "T", "U", ["Age"], ["Band"], [["< 30", "young"], ["< 50", "middle"]]),
            "rules 1 and 2 overlap under hit policy UNIQUE",
        ),
        (
            lambda wb: table_sheet(wb, "T", "T", "F", ["Age"], ["Band"], [["-", "any"], ["< 50", "middle"]]),
            "table 'T' on sheet 'T'",
        ),
        (lambda wb: table_sheet(wb, "T", "T", "U", ["Age"], ["Age"], [["< 30", 1]]), "sets it"),
    ],
)
def test_rules_dmn_cannot_run_are_refused_naming_the_table(build, message):
    workbook = new_workbook()
    build(workbook)
    with pytest.raises(dmn.ModelLoadError, match=message.replace("(", r"\(")):
        excel.workbook_to_dmn(to_bytes(workbook))


def test_a_variable_set_by_two_tables_is_refused():
    workbook = new_workbook()
    glossary_sheet(workbook, [("Age", "A", "age"), ("Band", None, "band")])
    table_sheet(workbook, "One", "One", "F", ["Age"], ["Band"], [["-", "x"]])
    table_sheet(workbook, "Two", "Two", "F", ["Age"], ["Band"], [["-", "y"]])
    with pytest.raises(dmn.ModelLoadError, match="'Band' is set by table 'One' and by table 'Two'"):
        excel.workbook_to_dmn(to_bytes(workbook))


def test_a_table_read_before_the_table_that_sets_it_is_refused():
    workbook = new_workbook()
    glossary_sheet(workbook, [("Age", "A", "age"), ("Band", None, "band"), ("Rate", None, "rate")])
    decision_sheet(workbook, [([], "rate", "Rates"), ([], "band", "Bands")])
    table_sheet(workbook, "Rates", "Rates", "F", ["Band"], ["Rate"], [["young", 1], ["-", 2]])
    table_sheet(workbook, "Bands", "Bands", "F", ["Age"], ["Band"], [["< 30", "young"], ["-", "old"]])
    with pytest.raises(dmn.ModelLoadError, match="reads 'Band' before table 'Bands' sets it"):
        excel.workbook_to_dmn(to_bytes(workbook))


def test_a_bad_cell_names_the_sheet_and_cell():
    workbook = new_workbook()
    glossary_sheet(workbook, [("Age", "A", "age"), ("Band", None, "band")])
    table_sheet(workbook, "Bands", "Bands", "F", ["Age"], ["Band"], [["< 30", "young"], ["< (50", "middle"]])
    with pytest.raises(dmn.ModelLoadError, match=r"Cannot read the test .* rule 2 \(sheet 'Bands' cell C5\)"):
        excel.workbook_to_dmn(to_bytes(workbook))


@pytest.mark.parametrize(
    "content, message",
    [
        (b"<definitions/>", "not an Excel workbook"),
        (b"\xd0\xcf\x11\xe0" + b"\0" * 100, r"Excel 97-2003 workbook \(.xls\)"),
        (b"PK\x03\x04 damaged", "damaged"),
    ],
)
def test_files_that_are_not_workbooks_are_refused(content, message):
    with pytest.raises(dmn.ModelLoadError, match=message):
        excel.workbook_to_dmn(content)


def test_workbook_layout_errors_come_from_pydmnrules_with_their_cell():
    workbook = new_workbook()
    glossary_sheet(workbook, [("Age", "A", "age"), ("Band", None, "band")])
    table_sheet(workbook, "Bands", "Bands", "F", ["Age", "Income"], ["Band"], [["< 30", "-", "young"]])
    with pytest.raises(dmn.ModelLoadError, match="Input heading 'Income' .* is not in the Glossary"):
        excel.workbook_to_dmn(to_bytes(workbook))


def test_a_collect_table_with_two_outputs_gives_lists_of_each():
    workbook = new_workbook()
    glossary_sheet(
        workbook,
        [("Arrears", "Loan", "arrearsDays"), ("Code", "Outcome", "reviewCode"), ("Queue", None, "reviewQueue")],
    )
    table_sheet(
        workbook,
        "Review",
        "Review",
        "C",
        ["Arrears"],
        ["Code", "Queue"],
        [
            [">= 30", "REV01", "collections"],
            [">= 60", "REV02", "senior"],
        ],
    )
    model = dmn.load(excel.workbook_to_dmn(to_bytes(workbook)))
    assert {(f.name, f.data_type) for f in model.fields if f.field_type == "result"} == {
        ("Review", "list"),
        ("reviewCode", "any"),
        ("reviewQueue", "any"),
    }
    result = model.evaluate({"arrearsDays": 75})
    assert result["reviewCode"] == ["REV01", "REV02"] and result["reviewQueue"] == ["collections", "senior"]
    assert model.evaluate({"arrearsDays": 10})["reviewCode"] == []
