import datetime
from decimal import Decimal

import numpy
import pandas
import pytest

import rulesets.dmn as dmn
from rulesets.dmn.feel import compile_feel_expression, compile_feel_unary_tests, vocabulary
from tests.rulesets.dmn_models import table_model


def feel(text, **scope):
    return compile_feel_expression(text, vocabulary(scope))[1](scope)


def matches(tests, value):
    return compile_feel_unary_tests(tests)[1](value, {})


def test_feel_numbers_are_decimal():
    assert feel("0.1 + 0.2") == Decimal("0.3")
    assert feel("decimal(1 / 3, 2)") == Decimal("0.33")
    assert feel("10 / 0") is None


def test_feel_three_valued_logic():
    assert feel("true and null") is None
    assert feel("false and null") is False
    assert feel("true or null") is True
    assert feel("null < 3") is None


def test_feel_names_with_spaces_and_functions():
    assert feel("Monthly income * 12", **{"Monthly income": Decimal(100)}) == Decimal(1200)
    assert feel('if string length("abc") = 3 then upper case("x") else "y"') == "X"
    assert feel("{a: 2, b: a * 3}.b") == Decimal(6)
    assert feel("sum([1, 2, 3][item > 1])") == Decimal(5)
    assert feel('date("2024-01-31") + duration("P1M")') == datetime.date(2024, 2, 29)


def test_unary_tests_do_not_match_null_or_mistyped_inputs():
    for tests in ("< 5", "[1..10]", "5", '"a", "b"', ">= 0"):
        assert matches(tests, None) is not True
    assert matches("< 5", "three") is not True
    assert matches("-", None) is True
    assert matches('not("a")', None) is True  # FEEL: null = "a" is false, so not(...) holds
    assert matches("not(< 5)", None) is not True
    assert matches("null", None) is True


def test_ranges_respect_open_and_closed_ends():
    assert matches("[1..5)", Decimal(5)) is False
    assert matches("]1..5]", Decimal(1)) is False
    assert matches("(1..5]", Decimal(5)) is True


AGE_RULES = [(["< 18"], ['"Minor"']), (["[18..65)"], ['"Adult"']), ([">= 65"], ['"Senior"'])]


def test_native_model_describes_itself():
    model = dmn.load(table_model(AGE_RULES))
    assert model.engine_name == "dmn-native"
    assert [f.name for f in model.fields] == ["Age", "Decision"]


def test_result_lists_null_and_mistyped_inputs():
    model = dmn.load(table_model(AGE_RULES))
    result = model.evaluate({"Age": None})
    assert result == {"Decision": None}
    assert result.null_inputs == ("Age",)
    assert model.evaluate({"Age": "forty"}).mistyped_inputs == ("Age",)
    assert model.evaluate({"Age": 40}).input_problems == []


@pytest.mark.parametrize(
    "policy, aggregation, expected",
    [
        ("RULE ORDER", None, ["b", "a"]),
        ("OUTPUT ORDER", None, ["a", "b"]),
        ("COLLECT", None, ["b", "a"]),
        ("PRIORITY", None, "a"),
        ("COLLECT", "COUNT", Decimal(2)),
    ],
)
def test_hit_policies(policy, aggregation, expected):
    text = table_model([(["> 1"], ['"b"']), (["> 2"], ['"a"'])], hit_policy=policy, aggregation=aggregation)
    text = text.replace('<variable name="Decision" typeRef="string"/>', '<variable name="Decision"/>')
    text = text.replace(
        '<output name="Risk" typeRef="string"/>',
        '<output name="Risk" typeRef="string"><outputValues><text>"a","b"</text></outputValues></output>',
    )
    assert dmn.load(text).evaluate({"Age": 5})["Decision"] == expected


def test_collect_sum_is_exact_decimal():
    text = table_model(
        [(["-"], ["0.1"]), (["-"], ["0.2"])], hit_policy="COLLECT", aggregation="SUM", outputs=(("Points", "number"),)
    )
    model = dmn.load(text)
    assert model.evaluate({"Age": 1})["Decision"] == Decimal("0.3")
    assert list(model.evaluate_batch(pandas.DataFrame({"Age": [1, 2]}))["Decision"]) == [Decimal("0.3")] * 2


def test_unique_overlap_is_a_load_error_naming_decision_and_rules():
    with pytest.raises(dmn.ModelLoadError, match="rules 1 and 2 overlap") as error:
        dmn.load(table_model([(["< 18"], ['"a"']), (["[10..20]"], ['"b"'])]))
    assert error.value.location == "decision 'Decision', rule 2"


def test_unreachable_rule_under_first_is_a_load_error():
    with pytest.raises(dmn.ModelLoadError, match="rule 2 is unreachable"):
        dmn.load(table_model([(["< 18"], ['"a"']), (["< 10"], ['"b"'])], hit_policy="FIRST"))


def test_feel_syntax_error_names_rule_and_column():
    with pytest.raises(dmn.ModelLoadError, match="FEEL syntax error") as error:
        dmn.load(table_model([(["< < 18"], ['"a"'])]))
    assert "rule 1, input 1 (Age)" in error.value.location


def test_undeclared_input_becomes_an_implicit_input_with_a_warning_naming_it():
    # Camunda reads undeclared variables from the caller; a misspelling surfaces as a new argument
    text = table_model(AGE_RULES).replace("<text>Age</text></inputExpression>", "<text>Agee</text></inputExpression>")
    model = dmn.load(text)
    assert "Agee" in [f.name for f in model.fields if f.field_type == "argument"]
    assert any("'Agee', which no inputData declares" in warning for warning in model.warnings)


def test_batch_agrees_with_single_records_including_missing_values():
    inputs = (("Age", "number"), ("Status", "string"))
    rules = [
        (["< 18", "-"], ['"minor"']),
        ([">= 18", '"EMPLOYED", "RETIRED"'], ['"ok"']),
        ([">= 18", 'not("EMPLOYED", "RETIRED")'], ['"check"']),
    ]
    model = dmn.load(table_model(rules, hit_policy="FIRST", inputs=inputs))
    frame = pandas.DataFrame(
        {"Age": [10, 30, numpy.nan, 40, 50], "Status": ["X", "EMPLOYED", "RETIRED", None, "X"]}, index=list("abcde")
    )
    batch = model.evaluate_batch(frame)
    assert list(batch.index) == list("abcde")
    single = [model.evaluate({"Age": a, "Status": s})["Decision"] for a, s in zip(frame["Age"], frame["Status"])]
    assert list(batch["Decision"]) == single == ["minor", "ok", None, "check", "check"]


def test_importing_and_loading_is_fast():
    import subprocess
    import sys

    from tests.rulesets.dmn_models import REPOSITORY

    code = (
        "import time; t = time.perf_counter(); import rulesets.dmn as d; from tests.rulesets.dmn_models import "
        'table_model; d.load(table_model([(["<18"], ["\\"a\\""])])); print(time.perf_counter() - t)'
    )
    output = subprocess.run([sys.executable, "-c", code], cwd=REPOSITORY, capture_output=True, text=True, check=True)
    assert float(output.stdout) < 0.5
