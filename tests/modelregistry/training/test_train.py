"""Training each algorithm: the exported PMML, read through the engine door, is the fitted model."""

import numpy as np
import pytest

from modelregistry import engines
from modelregistry.training import TrainingError, train

from .data import lending_club, lending_club_sample

TOLERANCE = {"xgboost": 1e-6}  # XGBoost computes in float32; everything else to 1e-9


def native(pmml_text):
    return engines.load(engine="pmml", artifact=pmml_text, implementation="native")


@pytest.mark.parametrize("algorithm", ["scorecard", "logistic", "random_forest", "lightgbm", "xgboost"])
def test_the_registered_pmml_reproduces_the_fitted_models_probabilities(algorithm):
    frame = lending_club_sample(1200)
    trained = train(frame, target="Class", bad_value="bad", algorithm=algorithm)
    model = native(trained.pmml)
    assert model.engine_name == "pmml-native"
    rows = lending_club_sample(400, seed=11).drop(columns=["Class"])
    expected = trained.predict_bad_probability(rows)
    got = model.evaluate_batch(rows)[trained.bad_output].to_numpy(dtype=float)
    assert np.max(np.abs(got - expected)) <= TOLERANCE.get(algorithm, 1e-9)
    assert 0.3 < float(np.std(expected) / np.mean(expected))  # the model discriminates: not a constant
    # one record at a time gives the same as the batch
    record = rows.iloc[0].to_dict()
    assert abs(model.evaluate(record)[trained.bad_output] - expected[0]) <= TOLERANCE.get(algorithm, 1e-9)
    cv = trained.metrics["crossValidation"]
    assert cv["folds"] == 5 and len(cv["foldAuc"]) == 5 and 0.5 < cv["auc"] < 1
    assert abs(cv["gini"] - (2 * cv["auc"] - 1)) < 1e-12 and 0 < cv["ks"] < 1 and 0 < cv["brier"] < 0.25
    assert sum(row["count"] for row in cv["calibration"]) == len(frame)


def test_the_pricing_columns_are_warned_about():
    trained = train(lending_club_sample(600), target="Class", bad_value="bad", algorithm="logistic")
    [warning] = trained.warnings
    assert "int_rate, sub_grade" in warning and "pricing" in warning


def test_an_out_of_time_split_is_measured_when_a_date_column_is_given():
    frame = lending_club_sample(1000)
    frame["issued"] = np.array("2015-01-01", dtype="datetime64[D]") + np.arange(len(frame)) // 5
    trained = train(frame, target="Class", bad_value="bad", algorithm="logistic", date_column="issued")
    oot = trained.metrics["outOfTime"]
    assert oot["count"] == 200 and oot["testedFrom"] == "2015-06-10" and oot["trainedUntil"] == "2015-06-09"
    assert "issued" not in trained.features


def test_progress_is_reported_before_each_fit_and_the_export_in_order():
    frame = lending_club_sample(400)
    frame["issued"] = np.array("2015-01-01", dtype="datetime64[D]") + np.arange(len(frame)) // 5
    reports = []
    train(
        frame,
        target="Class",
        bad_value="bad",
        algorithm="logistic",
        date_column="issued",
        progress=lambda fraction, stage: reports.append((fraction, stage)),
    )
    stages = [stage for _, stage in reports]
    assert stages == [f"cross-validation: fold {n} of 5" for n in range(1, 6)] + [
        "out-of-time check",
        "fitting on all rows",
        "exporting PMML",
    ]
    fractions = [fraction for fraction, _ in reports]
    assert fractions == sorted(fractions) and fractions[0] == 0 and fractions[-1] < 1


def test_the_svm_trains_on_a_sample_of_at_most_its_row_limit_and_exports_calibrated_probabilities():
    trained = train(lending_club_sample(900), target="Class", bad_value="bad", algorithm="svm", svm_max_rows=400)
    assert trained.metrics["crossValidation"]["count"] == 400
    assert any("400 of 900" in warning for warning in trained.warnings)
    rows = lending_club_sample(200, seed=11).drop(columns=["Class"])
    got = native(trained.pmml).evaluate_batch(rows)[trained.bad_output].to_numpy(dtype=float)
    difference = np.abs(got - trained.predict_bad_probability(rows))
    # Known gap: on some rows the exported SVM's decision value differs from scikit-learn's (up to ~6e-3
    # seen; pypmml agrees with the native engine there, so the export differs, not the engine). The
    # model card says so; the probabilities stay close.
    assert difference.max() < 2e-2 and np.corrcoef(got, trained.predict_bad_probability(rows))[0, 1] > 0.99
    if difference.max() > 1e-9:
        assert any("known gap of the SVM export" in warning for warning in trained.warnings)


@pytest.mark.parametrize(
    "arguments, field",
    [
        ({"algorithm": "deep_net"}, "algorithm"),
        ({"target": "nope"}, "target"),
        ({"bad_value": "terrible"}, "badValue"),
    ],
)
def test_unusable_settings_are_refused_naming_the_setting(arguments, field):
    settings = {"target": "Class", "bad_value": "bad", "algorithm": "logistic", **arguments}
    with pytest.raises(TrainingError) as error:
        train(lending_club_sample(200), **settings)
    assert error.value.field == field


@pytest.mark.slow
@pytest.mark.parametrize("algorithm", ["scorecard", "lightgbm"])
def test_default_settings_on_all_of_lending_club_reach_an_auc_of_0_72(algorithm):
    trained = train(lending_club(), target="Class", bad_value="bad", algorithm=algorithm)
    cv = trained.metrics["crossValidation"]
    assert cv["count"] == len(lending_club()) and cv["auc"] >= 0.72, cv["auc"]
