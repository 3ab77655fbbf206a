"""FEEL bounds (issue 9): an uploaded model is hostile input, so nesting is refused at load and
loops, lists and strings are bounded at evaluation, each with an error naming the decision."""

import time

import pytest

import rulesets.dmn as dmn
from rulesets.dmn.feel import FeelSyntaxError, compile_feel_expression, limits
from tests.rulesets.dmn_models import DMN13


def literal_model(text, decision="Risk"):
    escaped = text.replace("&", "&amp;").replace("<", "&lt;")
    return (
        '<definitions xmlns="%s" name="m" namespace="urn:m"><decision id="d" name="%s">'
        "<literalExpression><text>%s</text></literalExpression></decision></definitions>" % (DMN13, decision, escaped)
    )


@pytest.mark.parametrize(
    "text",
    [
        "(" * 100 + "1" + ")" * 100,
        "not(" * 100 + "true" + ")" * 100,
        "[" * 100 + "]" * 100,
        "{a: " * 100 + "1" + "}" * 100,
        "if true then " * 100 + "1" + " else 0" * 100,
        " + ".join(["1"] * 5000),
    ],
)
def test_feel_nested_deeper_than_the_limit_is_a_load_error_naming_the_decision(text):
    with pytest.raises(dmn.ModelLoadError, match="nested deeper") as error:
        dmn.load(literal_model(text))
    assert "decision 'Risk'" in str(error.value)


def test_feel_nesting_within_the_limit_still_loads():
    model = dmn.load(literal_model("(" * 40 + "1" + ")" * 40 + " + " + " + ".join(["1"] * 150)))
    assert model.evaluate({})["Risk"] == 151


def test_deep_nesting_is_a_syntax_error_for_the_feel_compiler_too():
    with pytest.raises(FeelSyntaxError, match="nested deeper"):
        compile_feel_expression("-(" * 200 + "1" + ")" * 200)


@pytest.mark.parametrize(
    "text, message",
    [
        ("for i in 1..1000000000 return i", "more than 100000 iterations in one loop"),
        ("count(for i in 1..100000, j in 1..100000 return 1)", "more than 100000 iterations in one loop"),
        ("count(for i in 1..1000 return count(for j in 1..1000 return 1))", "loop iterations in one evaluation"),
        ("count(for i in [1..1000000000] return i)", "more than 100000 iterations"),
        (
            '{double: function(s, n) if n = 0 then s else double(s + s, n - 1), r: double("x", 40)}.r',
            "a string of more than 1000000 characters",
        ),
        ('string join(for i in 1..100000 return "abcdefghijklmnopqrstuvwxyz")', "a string of more than"),
        ("{loop: function(n) loop(n + 1), r: loop(1)}.r", "recursion too deep"),
    ],
)
def test_feel_iteration_and_size_bounds_are_evaluation_errors(text, message):
    model = dmn.load(literal_model(text))
    started = time.perf_counter()
    with pytest.raises(dmn.EvaluationError, match=message) as error:
        model.evaluate({})
    assert error.value.location == "decision 'Risk'"
    assert time.perf_counter() - started < 20


def test_each_evaluation_gets_a_fresh_iteration_budget():
    model = dmn.load(literal_model("count(for i in 1..100000 return i)"))
    runs = limits.MAX_STEPS_PER_EVALUATION // 100_000 + 2
    assert [model.evaluate({})["Risk"] for _ in range(runs)] == [100_000] * runs
