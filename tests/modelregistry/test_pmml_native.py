"""Behaviour of the native PMML engine that the reference engine gets wrong or that callers rely on."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from modelregistry import pmml
from tests.modelregistry.pmml_helpers import PMML_CASES, REPO, SCORECARD

REGRESSION = """<PMML xmlns="http://www.dmg.org/PMML-4_4" version="4.4">
  <DataDictionary>
    <DataField name="open_accounts" optype="continuous" dataType="integer"/>
    <DataField name="housing" optype="categorical" dataType="string">
      <Value value="own"/><Value value="rent"/>
    </DataField>
    <DataField name="probability_of_default" optype="continuous" dataType="double"/>
  </DataDictionary>
  <RegressionModel functionName="regression" normalizationMethod="logit">
    <MiningSchema>
      <MiningField name="open_accounts" missingValueReplacement="3"/>
      <MiningField name="housing"/>
      <MiningField name="probability_of_default" usageType="target"/>
    </MiningSchema>
    <RegressionTable intercept="-1.0">
      <NumericPredictor name="open_accounts" coefficient="0.25"/>
      <CategoricalPredictor name="housing" value="own" coefficient="-0.5"/>
      <CategoricalPredictor name="housing" value="rent" coefficient="0.5"/>
    </RegressionTable>
  </RegressionModel>
</PMML>"""


def logistic(y):
    return 1.0 / (1.0 + np.exp(-y))


def test_native_is_the_default_engine():
    model = pmml.load(SCORECARD)
    assert (model.engine_name, model.engine_version) == ("pmml-native", "0.1.0")
    assert model.warnings == []


def test_reason_codes_are_distinct_ranked_by_points_lost_and_then_none():
    model = pmml.load(SCORECARD)
    # income 500 loses 20 - 5 = 15 points; housing "rent" loses 15 - 8 = 7; nothing else loses points.
    assert model.evaluate({"income": 500.0, "housing": "rent"}) == {
        "Final Score": 23.0,
        "Reason Code 1": "RC_INCOME",
        "Reason Code 2": "RC_HOUSING",
        "Reason Code 3": None,
    }
    # income 2000 gains points, so only housing gives a reason; ranks 2 and 3 stay empty, not repeated.
    assert model.evaluate({"income": 2000.0, "housing": "rent"})["Reason Code 1"] == "RC_HOUSING"
    assert model.evaluate({"income": 2000.0, "housing": "rent"})["Reason Code 2"] is None
    batch = model.evaluate_batch(pd.DataFrame({"income": [500.0, 2000.0], "housing": ["rent", "rent"]}))
    assert batch["Reason Code 2"].tolist() == ["RC_HOUSING", None]
    assert batch["Reason Code 3"].tolist() == [None, None]


@pytest.mark.parametrize(
    "column",
    [
        pd.array([2, None], dtype="Int64"),  # nullable integer column with an empty cell
        [2.0, np.nan],
        [2, None],
    ],
)
def test_an_empty_cell_of_any_column_type_is_a_missing_value(column):
    model = pmml.load(REGRESSION)
    batch = model.evaluate_batch(pd.DataFrame({"open_accounts": column, "housing": ["own", "own"]}))
    replaced = logistic(-1.0 + 0.25 * 3 - 0.5)
    assert batch["probability_of_default"].tolist() == pytest.approx([logistic(-1.0 + 0.5 - 0.5), replaced])
    assert model.evaluate({"open_accounts": None, "housing": "own"})["probability_of_default"] == pytest.approx(
        replaced
    )
    assert model.evaluate({"housing": "own"})["probability_of_default"] == pytest.approx(replaced)


def test_a_value_outside_the_data_dictionary_is_an_evaluation_error():
    model = pmml.load(REGRESSION)
    with pytest.raises(pmml.EvaluationError, match="invalid value 'lodger' for field 'housing'") as info:
        model.evaluate({"open_accounts": 1, "housing": "lodger"})
    assert "line" in info.value.location
    with pytest.raises(pmml.EvaluationError, match="row 1"):
        model.evaluate_batch(pd.DataFrame({"open_accounts": [1, 2], "housing": ["own", "lodger"]}))


COX = PMML_CASES / "rattle_CoxRegressionLung" / "model.pmml"


@pytest.mark.skipif(not COX.exists(), reason="../shared/conformance is not present")
def test_an_unsupported_element_falls_back_to_pypmml_with_a_warning_only_when_allowed():
    with pytest.raises(pmml.ModelLoadError, match="falling back to the pypmml reference engine was not allowed"):
        pmml.load(COX)
    model = pmml.load(COX, fallback=True)
    assert model.engine_name == "pypmml"
    assert len(model.warnings) == 1 and "CoxRegression" in model.warnings[0]
    with pytest.raises(pmml.ModelLoadError, match="CoxRegression"):
        pmml.load(COX, engine="native")


def test_a_native_model_starts_no_jvm():
    code = (
        "import sys; from modelregistry import pmml; from tests.modelregistry.pmml_helpers import SCORECARD; "
        "m = pmml.load(SCORECARD); m.evaluate({'income': 1.0, 'housing': 'own'}); "
        "print(m.engine_name, 'pypmml' in sys.modules, 'py4j' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["pmml-native", "False", "False"]


def test_conformance_cases_agree_between_record_and_batch_evaluation():
    if not PMML_CASES.exists():
        pytest.skip("../shared/conformance is not present")
    checked = 0
    for case in sorted(PMML_CASES.iterdir()):
        if not (case / "model.pmml").exists():
            continue
        try:
            model = pmml.load(case / "model.pmml", engine="native")
        except pmml.ModelLoadError:
            continue
        frame = pd.read_csv(case / "input.csv").iloc[:40]
        batch = model.evaluate_batch(frame)
        for position, record in enumerate(frame.to_dict("records")):
            single = model.evaluate({k: (None if isinstance(v, float) and v != v else v) for k, v in record.items()})
            for name, value in single.items():
                other = batch[name].iloc[position]
                if value is None or (isinstance(other, float) and other != other):
                    assert value is None and (other is None or other != other), (case.name, name, position)
                elif isinstance(value, float):
                    assert value == pytest.approx(other, rel=1e-12, abs=1e-12), (case.name, name, position)
                else:
                    assert value == other, (case.name, name, position)
        checked += 1
    assert checked >= 40


def test_demo_scorecard_batch_reason_codes_agree_with_single_records():
    from scripts.pmml_demo_models import TARGET, demo_data, scorecard_pmml, with_missing_values
    from tests.modelregistry.pmml_helpers import demo_data_path

    if demo_data_path() is None:
        pytest.skip("demo data not found")
    frame = with_missing_values(demo_data(), seed=5).drop(columns=[TARGET]).iloc[:1500]
    model = pmml.load(scorecard_pmml())
    batch = model.evaluate_batch(frame)
    for position, record in enumerate(frame.to_dict("records")):
        single = model.evaluate(record)
        codes = [single[f"reason_code_{rank}"] for rank in (1, 2, 3, 4)]
        present = [c for c in codes if c is not None]
        assert len(set(present)) == len(present) and codes[len(present) :] == [None] * (4 - len(present))
        for name, value in single.items():
            other = batch[name].iloc[position]
            assert value == other or (value is None and (other is None or other != other)), (position, name)


def test_an_ensemble_whose_shared_tables_would_be_too_large_is_evaluated_tree_by_tree_with_the_same_results(
    monkeypatch,
):
    from benchmarks.xml_reader import ensemble
    from modelregistry.pmml.native import tree

    document = ensemble(trees=12, depth=5, features=3, bins=40)
    frame = pd.DataFrame({f"x{i}": np.random.default_rng(i).random(500) for i in range(3)})
    frame.loc[::7, "x1"] = np.nan
    shared = pmml.load(document)
    assert shared._pipeline.core.ensemble is not None
    monkeypatch.setattr(tree, "MAX_ENSEMBLE_TABLE_CELLS", 0)
    one_by_one = pmml.load(document)
    assert one_by_one._pipeline.core.ensemble is None
    pd.testing.assert_frame_equal(one_by_one.evaluate_batch(frame), shared.evaluate_batch(frame))
    for record in frame.head(20).to_dict("records"):
        record = {name: (None if value != value else value) for name, value in record.items()}
        assert one_by_one.evaluate(record) == pytest.approx(shared.evaluate(record))


def test_an_ensemble_splitting_one_column_at_thousands_of_thresholds_does_not_build_shared_tables():
    from benchmarks.xml_reader import ensemble
    from modelregistry.pmml.native import tree

    model = pmml.load(ensemble(trees=100, depth=6, features=1, bins=1_000_000))
    assert model._pipeline.core.ensemble is None  # ~6,300 distinct thresholds x 100 trees: over the budget
    programs = [pipeline.core.program for _, pipeline, _, _ in model._pipeline.core.segments]
    assert not tree.ensemble_tables_fit(programs)
    assert tree.ensemble_tables_fit(programs[:5])
