"""The pyDMNrules reference engine behind the package contract (one slow import per process)."""

from decimal import Decimal

import pandas
import pytest

import rulesets.dmn as dmn
from tests.rulesets.dmn_models import table_model

AGE_TABLE = table_model([(["< 18"], ['"Minor"']), ([">= 18"], ['"Adult"'])])


@pytest.fixture(scope="module")
def reference_model():
    return dmn.load(AGE_TABLE, engine="pydmnrules")


def test_reference_model_describes_itself(reference_model):
    assert reference_model.engine_name == "pydmnrules"
    assert reference_model.engine_version
    assert len(reference_model.sha256) == 64
    assert [f.name for f in reference_model.fields] == ["Age", "Decision"]


def test_reference_model_evaluates_one_record(reference_model):
    assert reference_model.evaluate({"Age": Decimal(17)}) == {"Decision": "Minor"}
    assert reference_model.evaluate({"Age": 40}, decision="Decision") == {"Decision": "Adult"}


def test_reference_batch_agrees_with_single_records(reference_model):
    frame = pandas.DataFrame({"Age": [10, 18, 70]}, index=[5, 6, 7])
    result = reference_model.evaluate_batch(frame)
    assert list(result.index) == [5, 6, 7]
    assert list(result["Decision"]) == [reference_model.evaluate({"Age": a})["Decision"] for a in [10, 18, 70]]


def test_an_unknown_decision_is_an_evaluation_error(reference_model):
    with pytest.raises(dmn.EvaluationError):
        reference_model.evaluate({"Age": 3}, decision="Nope")
