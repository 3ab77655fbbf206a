"""TreeSHAP on the compiled trees of PMML ensembles, checked against the shap library."""

import os
import tempfile

import numpy as np
import pandas as pd
import pytest

from modelregistry import pmml
from modelregistry.pmml.errors import UnsupportedElement
from modelregistry.pmml.native.treeshap import tree_contributions
from tests.factories import LOGISTIC_PMML

from .training.data import lending_club_sample

COLUMNS = ["annual_inc", "revol_util", "inq_last_6mths", "all_util", "open_il_12m", "funded_amnt"]


def export(estimator, x, y):
    from sklearn2pmml import sklearn2pmml
    from sklearn2pmml.pipeline import PMMLPipeline

    pipeline = PMMLPipeline([("classifier", estimator)])
    pipeline.fit(x, y)
    handle, path = tempfile.mkstemp(suffix=".pmml")
    os.close(handle)
    try:
        sklearn2pmml(pipeline, path)
        with open(path, encoding="utf-8") as stream:
            return pmml.load(stream.read(), engine="native")
    finally:
        os.unlink(path)


@pytest.fixture(scope="module")
def data():
    frame = lending_club_sample(1500, seed=1)
    return frame[COLUMNS].astype(float), pd.Series((frame["Class"] == "bad").astype(int), name="bad")


def test_boosted_tree_contributions_add_up_to_the_log_odds_and_agree_with_shap(data):
    import shap
    from lightgbm import LGBMClassifier

    x, y = data
    classifier = LGBMClassifier(
        n_estimators=20, num_leaves=6, min_child_samples=30, n_jobs=1, verbose=-1, random_state=0
    )
    model = export(classifier, x, y)
    explainer = shap.TreeExplainer(classifier)
    for position in (0, 3, 17, 250):
        base, contributions = tree_contributions(model, x.iloc[position].to_dict(), x)
        raw = classifier.booster_.predict(x.iloc[[position]], raw_score=True)[0]
        assert abs(base + sum(contributions.values()) - raw) < 1e-6
        expected = np.asarray(explainer.shap_values(x.iloc[[position]])).reshape(-1)
        assert np.max(np.abs(np.array([contributions.get(c, 0.0) for c in COLUMNS]) - expected)) < 1e-6
        assert abs(base - float(np.ravel(explainer.expected_value)[-1])) < 1e-6


def test_random_forest_contributions_add_up_to_the_probability_and_agree_with_shap(data):
    import shap
    from sklearn.ensemble import RandomForestClassifier

    x, y = data
    classifier = RandomForestClassifier(
        n_estimators=10, max_depth=4, bootstrap=False, max_features=0.5, random_state=0, n_jobs=1
    )
    model = export(classifier, x, y)
    explainer = shap.TreeExplainer(classifier)
    for position in (0, 3, 17):
        base, contributions = tree_contributions(model, x.iloc[position].to_dict(), x, category=1)
        probability = classifier.predict_proba(x.iloc[[position]])[0, 1]
        assert abs(base + sum(contributions.values()) - probability) < 1e-6
        values = np.asarray(explainer.shap_values(x.iloc[[position]]))
        expected = values[0, :, 1] if values.ndim == 3 else values[1][0]
        assert np.max(np.abs(np.array([contributions.get(c, 0.0) for c in COLUMNS]) - expected)) < 1e-6


def test_a_model_without_trees_has_no_tree_contributions():
    model = pmml.load(LOGISTIC_PMML, engine="native")
    with pytest.raises(UnsupportedElement):
        tree_contributions(model, {"annual_inc": 1.0}, pd.DataFrame({"annual_inc": [1.0]}))


def test_a_trained_lightgbm_with_categories_is_explained_from_its_registered_pmml():
    from modelregistry.training import train
    from modelregistry.training.train import prepare

    frame = lending_club_sample(600, seed=2)
    trained = train(frame, target="Class", bad_value="bad", algorithm="lightgbm")
    model = pmml.load(trained.pmml, engine="native")
    reference = prepare(frame, trained.features)[0]
    for position in (0, 5):
        record = frame.drop(columns=["Class"]).iloc[position].to_dict()
        base, contributions = tree_contributions(model, record, reference)
        bad = model.evaluate(record)[trained.bad_output]
        # LightGBM's raw output is the log-odds of its second class, "good" (classes sort "bad" < "good")
        assert abs(base + sum(contributions.values()) - np.log((1 - bad) / bad)) < 1e-6
        assert any(abs(value) > 1e-6 for value in contributions.values())


@pytest.mark.parametrize("algorithm", ["lightgbm", "random_forest", "xgboost"])
def test_the_vectorised_leaf_tables_agree_with_the_recursion_tree_by_tree(algorithm):
    from modelregistry.pmml.native.treeshap import TreeExplainer
    from modelregistry.training import train
    from modelregistry.training.train import prepare

    frame = lending_club_sample(500, seed=6)
    trained = train(frame, target="Class", bad_value="bad", algorithm=algorithm)
    model = pmml.load(trained.pmml, engine="native")
    category = "bad" if algorithm == "random_forest" else None  # boosted trees score their leaves
    explainer = TreeExplainer(model, prepare(frame, trained.features)[0], category=category)
    records = frame.drop(columns=["Class"])
    for position in (0, 11, 42):
        env, _ = model._predict_one(records.iloc[position].to_dict())
        base, vectorised = explainer.explain(dict(env))
        same_base, recursive = explainer.explain_recursively(dict(env))
        assert base == same_base
        assert max(abs(vectorised.get(c, 0.0) - recursive.get(c, 0.0)) for c in {*vectorised, *recursive}) < 1e-12
        assert max(abs(value) for value in vectorised.values()) > 1e-6
