"""The scorecard: monotonic bins, points scaling and reason codes, as the native engine evaluates them."""

import math

import numpy as np
import pandas as pd
import pytest

from modelregistry import engines
from modelregistry.training import train

from .data import lending_club_sample


@pytest.fixture(scope="module")
def scorecard():
    return train(lending_club_sample(2000), target="Class", bad_value="bad", algorithm="scorecard")


def test_reason_codes_on_a_declined_application_name_the_characteristics_that_lost_most_points_in_order(scorecard):
    model = engines.load(engine="pmml", artifact=scorecard.pmml, implementation="native")
    rows = lending_club_sample(500, seed=3).drop(columns=["Class"])
    probability = scorecard.predict_bad_probability(rows)
    card = scorecard.scorecard
    parts = card.score_parts(rows)
    baselines = {c.name: max(c.points + [c.missing_points]) for c in card.characteristics}
    checked = 0
    for position in np.argsort(-probability)[:20]:  # the riskiest applications: declined
        lost = {name: baselines[name] - parts.iloc[position][name] for name in baselines}
        ranked = sorted((name for name in lost if lost[name] > 0), key=lambda name: -lost[name])[:4]
        if len({round(lost[name], 9) for name in ranked}) < len(ranked):
            continue  # ties: PMML leaves their order open
        result = model.evaluate(rows.iloc[position].to_dict())
        assert [result[f"reasonCode{rank}"] for rank in range(1, 5)] == ranked
        assert abs(result["score"] - parts.iloc[position].sum()) < 1e-9
        checked += 1
    assert checked >= 10


def test_points_follow_the_scaling_base_score_at_base_odds_and_pdo_to_double_them(scorecard):
    card = scorecard.scorecard
    assert (card.settings["pdo"], card.settings["baseScore"], card.settings["baseOdds"]) == (20.0, 600.0, 50.0)
    rows = lending_club_sample(300, seed=5).drop(columns=["Class"])
    score = card.score(rows)
    probability = scorecard.predict_bad_probability(rows)
    odds_good = (1 - probability) / probability
    assert np.allclose(score, 600 + 20 / math.log(2) * np.log(odds_good / 50), atol=1e-8)


def test_numeric_bins_are_monotonic_in_points(scorecard):
    numeric = [c for c in scorecard.scorecard.characteristics if c.kind == "numeric"]
    assert numeric
    for characteristic in numeric:
        steps = np.diff(characteristic.points)
        assert (steps >= -1e-9).all() or (steps <= 1e-9).all(), (characteristic.name, characteristic.points)


def test_a_missing_or_unknown_value_scores_the_missing_bin(scorecard):
    model = engines.load(engine="pmml", artifact=scorecard.pmml, implementation="native")
    row = lending_club_sample(1, seed=9).drop(columns=["Class"]).iloc[0].to_dict()
    categorical = next(c for c in scorecard.scorecard.characteristics if c.kind == "categorical")
    numeric = next(c for c in scorecard.scorecard.characteristics if c.kind == "numeric")
    row[categorical.name], row[numeric.name] = "never seen", None
    expected = scorecard.predict_bad_probability(pd.DataFrame([row]))[0]
    assert abs(model.evaluate(row)[scorecard.bad_output] - expected) < 1e-9
    parts = scorecard.scorecard.score_parts(pd.DataFrame([row])).iloc[0]
    assert parts[categorical.name] == categorical.missing_points and parts[numeric.name] == numeric.missing_points
