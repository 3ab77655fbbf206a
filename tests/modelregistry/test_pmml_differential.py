"""Models trained here on the demo data, exported with sklearn2pmml: the native engine must give what
the training library's predict_proba gives, including rows with missing values."""

import numpy as np
import pytest

from modelregistry import pmml
from tests.modelregistry.pmml_helpers import demo_data_path

pytest.importorskip("sklearn2pmml")
if demo_data_path() is None:
    pytest.skip("demo data lending_club_modeldata.csv not found", allow_module_level=True)

from scripts.pmml_demo_models import TARGET, demo_data, export, train, with_missing_values  # noqa: E402

# XGBoost computes in float32, and its PMML says so (x-mathContext="float").
TOLERANCE = {"logistic": 1e-9, "tree": 1e-9, "forest": 1e-9, "lightgbm": 1e-9, "xgboost": 1e-6}


@pytest.fixture(scope="session")
def demo_frame():
    return demo_data()


@pytest.fixture(scope="session")
def scoring_rows(demo_frame):
    """1,000 clean rows and 1,000 rows with about 5% of cells missing in every column."""
    clean = demo_frame.drop(columns=[TARGET]).iloc[:1000]
    holes = with_missing_values(demo_frame, seed=3).drop(columns=[TARGET]).iloc[1000:2000]
    return clean, holes


@pytest.fixture(scope="session", params=list(TOLERANCE))
def trained(request, demo_frame, tmp_path_factory):
    pipeline, _ = train(request.param, demo_frame)
    path = export(pipeline, tmp_path_factory.mktemp("pmml") / f"{request.param}.pmml")
    return request.param, pipeline, pmml.load(path, engine="native")


def _probabilities(model, frame):
    result = model.evaluate_batch(frame)
    columns = [c for c in result.columns if c.startswith("probability(")]
    return result[columns].to_numpy(dtype=float)


def test_native_probabilities_equal_the_training_library(trained, scoring_rows):
    kind, pipeline, model = trained
    assert model.engine_name == "pmml-native" and not model.warnings
    for frame in scoring_rows:
        expected = pipeline.predict_proba(frame)
        assert np.abs(_probabilities(model, frame) - expected).max() <= TOLERANCE[kind]


def test_single_record_evaluation_agrees_with_batch(trained, scoring_rows):
    _, _, model = trained
    frame = scoring_rows[1].iloc[:150]
    batch = model.evaluate_batch(frame)
    for position, record in enumerate(frame.to_dict("records")):
        single = model.evaluate(record)
        assert set(single) == set(batch.columns)
        for name, value in single.items():
            assert type(value) is float
            assert value == pytest.approx(batch[name].iloc[position], abs=1e-12)
