"""The PMML package entry point: sources, signature, errors, and laziness of the reference engine."""

import subprocess
import sys

import pandas as pd
import pytest

from modelregistry import pmml
from tests.modelregistry.pmml_helpers import REPO, SCORECARD

ENGINES = ["native", "pypmml"]


def test_importing_the_package_starts_no_jvm_and_imports_no_pandas():
    code = (
        "import sys, modelregistry.pmml; print('pypmml' in sys.modules, 'pandas' in sys.modules, 'py4j' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False", "False"]


@pytest.mark.parametrize("engine", ENGINES)
def test_load_accepts_a_path_a_string_and_bytes_with_the_same_sha256(tmp_path, engine):
    path = tmp_path / "card.pmml"
    path.write_text(SCORECARD, encoding="utf-8")
    models = [
        pmml.load(str(path), engine=engine),
        pmml.load(path, engine=engine),
        pmml.load(SCORECARD, engine=engine),
        pmml.load(SCORECARD.encode(), engine=engine),
    ]
    assert len({m.sha256 for m in models}) == 1


def test_fields_list_active_arguments_then_output_results():
    model = pmml.load(SCORECARD, engine="pypmml")
    assert model.fields[:2] == [
        pmml.Field("income", "argument", "number", None, "continuous"),
        pmml.Field("housing", "argument", "string", ("own", "rent"), "categorical"),
    ]
    assert [(f.name, f.field_type, f.data_type) for f in model.fields[2:]] == [
        ("Final Score", "result", "number"),
        ("Reason Code 1", "result", "string"),
        ("Reason Code 2", "result", "string"),
        ("Reason Code 3", "result", "string"),
    ]


def test_fields_fall_back_to_the_target_when_there_is_no_output():
    document = SCORECARD.split("<Output>")[0] + SCORECARD.split("</Output>")[1]
    model = pmml.load(document, engine="pypmml")
    assert [f.name for f in model.fields if f.field_type == "result"] == ["score"]


@pytest.mark.parametrize("engine", ENGINES)
def test_evaluate_returns_plain_python_values_and_agrees_with_batch(engine):
    model = pmml.load(SCORECARD, engine=engine)
    result = model.evaluate({"income": 500.0, "housing": "rent"})
    assert result["Final Score"] == 10 + 5 + 8
    assert type(result["Final Score"]) is float
    frame = pd.DataFrame({"income": [500.0, 2000.0], "housing": ["rent", "own"]}, index=[7, 9])
    batch = model.evaluate_batch(frame)
    assert list(batch.index) == [7, 9]
    assert batch.loc[7, "Final Score"] == result["Final Score"]
    assert batch.loc[9, "Final Score"] == 10 + 25 + 20


def test_unknown_engine_is_rejected():
    with pytest.raises(ValueError, match="unknown PMML engine"):
        pmml.load(SCORECARD, engine="sas")


@pytest.mark.parametrize(
    "document, message, where",
    [
        ("<PMML><DataDictionary>", "not well-formed XML", "line 1"),
        ("<Model/>", "root element is <Model>", "line 1"),
        ("<PMML>\n<Header/>\n</PMML>", "no DataDictionary", "line 1"),
        (
            SCORECARD.replace('<MiningField name="housing"/>', '<MiningField name="tenure"/>'),
            "MiningField 'tenure' is not declared",
            "line 15",
        ),
        (SCORECARD.replace('dataType="string"', ""), "DataField has no dataType", "line 6"),
    ],
)
def test_invalid_artifacts_raise_model_load_error_naming_element_and_line(document, message, where):
    with pytest.raises(pmml.ModelLoadError, match=message) as info:
        pmml.load(document)
    assert where in info.value.location
    assert isinstance(info.value, ValueError)


def test_a_missing_file_is_a_model_load_error(tmp_path):
    with pytest.raises(pmml.ModelLoadError, match="no PMML file"):
        pmml.load(tmp_path / "absent.pmml")
