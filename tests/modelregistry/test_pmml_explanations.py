"""Explanations computed by the native PMML engine on the registered artifact."""

import numpy as np
import pytest

from modelregistry import pmml
from modelregistry.pmml.errors import UnsupportedElement
from modelregistry.training import train
from tests.factories import LOGISTIC_PMML

from .training.data import lending_club_sample


def test_a_scorecard_explains_a_record_by_the_points_of_each_characteristic():
    trained = train(lending_club_sample(1200), target="Class", bad_value="bad", algorithm="scorecard")
    model = pmml.load(trained.pmml, engine="native")
    rows = lending_club_sample(50, seed=4).drop(columns=["Class"])
    parts = trained.scorecard.score_parts(rows)
    for position in range(len(rows)):
        record = rows.iloc[position].to_dict()
        explanation = model.scorecard_points(record)
        assert [row["characteristic"] for row in explanation] == [f"{c}Points" for c in parts.columns]
        assert np.allclose([row["points"] for row in explanation], parts.iloc[position].to_numpy(), atol=1e-12)
        result = model.evaluate(record)
        assert abs(sum(row["points"] for row in explanation) - result["score"]) < 1e-9
        lost = sorted(
            (row for row in explanation if row["pointsBelowBaseline"] > 0), key=lambda row: -row["pointsBelowBaseline"]
        )
        codes = [result[f"reasonCode{rank}"] for rank in range(1, 5) if result.get(f"reasonCode{rank}")]
        assert [row["pointsBelowBaseline"] for row in lost[: len(codes)]] == pytest.approx(
            [next(r["pointsBelowBaseline"] for r in explanation if r["reasonCode"] == code) for code in codes]
        )


def test_other_models_have_no_scorecard_points():
    model = pmml.load(LOGISTIC_PMML, engine="native")
    with pytest.raises(UnsupportedElement):
        model.scorecard_points({"annual_inc": 1.0})


@pytest.mark.parametrize(
    ("algorithm", "scale"), [("xgboost", "logOdds"), ("random_forest", "probability"), ("logistic", "logOdds")]
)
def test_an_evaluation_is_explained_additively_on_the_models_own_scale(algorithm, scale):
    from modelregistry.training.train import prepare

    frame = lending_club_sample(500, seed=5)
    trained = train(frame, target="Class", bad_value="bad", algorithm=algorithm)
    model = pmml.load(trained.pmml, engine="native")
    explainer = model.explainer(reference=lambda: prepare(frame, trained.features)[0])
    for position in (0, 9):
        record = frame.drop(columns=["Class"]).iloc[position].to_dict()
        results, explanation = model.evaluate_explained(record, explainer)
        assert results == model.evaluate(record)
        assert explanation["scale"] == scale
        total = explanation["baseValue"] + sum(row["value"] for row in explanation["contributions"])
        assert abs(total - explanation["output"]) < 1e-9
        probability = next(v for k, v in results.items() if _names_class(k, explanation["category"]))
        expected = probability if scale == "probability" else float(np.log(probability / (1 - probability)))
        # XGBoost computes in float32: its PMML's probabilities agree to ~1e-7
        assert abs(total - expected) < (1e-5 if algorithm == "xgboost" else 1e-6)
        assert {f for row in explanation["contributions"] for f in row["fields"]} <= set(trained.features)


def _names_class(output_name, category):
    """probability(1) names the class 1.0 too (XGBoost's target is numeric)."""
    inner = output_name.removeprefix("probability(").removesuffix(")")
    if inner == str(category):
        return True
    try:
        return float(inner) == float(category)
    except ValueError:
        return False
