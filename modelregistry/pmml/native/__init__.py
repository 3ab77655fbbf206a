"""The native PMML evaluator: plain Python + numpy, one compiled form for records and frames."""

import numpy as np

from .compile import CompiledDocument
from .values import scalar_result, vector_of

_PMML_TYPE = {"integer": "integer", "boolean": "boolean", "number": "double", "string": "string"}
ENGINE_NAME = "pmml-native"
ENGINE_VERSION = "0.1.0"


class NativeModel:
    engine_name = ENGINE_NAME
    engine_version = ENGINE_VERSION

    def __init__(self, root, sha256, fields, warnings=()):
        self.sha256 = sha256
        self.fields = list(fields)
        self.warnings = list(warnings)
        self._document = CompiledDocument(root)
        self._pipeline = self._document.model
        self._data_types = {name: f.pmml_type for name, f in self._document.data_fields.items()}
        self._arguments = [f.name for f in self.fields if f.field_type == "argument"]
        self._results = [(f.name, _PMML_TYPE.get(f.data_type)) for f in self.fields if f.field_type == "result"]
        # Results are OutputFields (possibly of the chain's last segment), else the target itself.
        self._from_output = any(f.name not in self._data_types for f in self.fields if f.field_type == "result")

    @property
    def target_name(self):
        return self._pipeline.target_name

    def _predict_one(self, record):
        env = dict.fromkeys(self._data_types)
        for name in self._arguments:
            env[name] = record.get(name)
        prediction = self._pipeline.predict_one(env)
        return env, prediction

    def scorecard_points(self, record):
        """A scorecard's explanation of `record`: per characteristic the points scored, the baseline
        and the points below it (what pointsBelow reason codes rank), in the model's order."""
        from ..errors import UnsupportedElement
        from .scorecard import ScorecardCore

        core = getattr(self._pipeline, "core", None)
        if not isinstance(core, ScorecardCore):
            raise UnsupportedElement("per-characteristic points: the model is not a Scorecard")
        env, _prediction = self._predict_one(record)
        rows = core.points_one(env)
        for row in rows:
            row["pointsBelowBaseline"] = None if row["points"] is None else row["baseline"] - row["points"]
        return rows

    def evaluate(self, record):
        return self._results_of(*self._predict_one(record))

    def _results_of(self, env, prediction):
        if self._from_output:
            return {name: scalar_result(env[name], pmml_type) for name, pmml_type in self._results}
        return {name: scalar_result(prediction.value, pmml_type) for name, pmml_type in self._results}

    def explainer(self, reference=None):
        """What explains this model's evaluations (see `explain.py`), or None; build it once per model.

        `reference`: a pandas frame of arguments (the development sample) for a tree ensemble's covers,
        or a callable giving one (or None), called only when the model is a tree ensemble.
        """
        from .explain import explainer_for

        return explainer_for(self, reference)

    def evaluate_explained(self, record, explainer):
        """(results, explanation) of `record`, evaluated once; explanation None without an explainer
        or when the record cannot be explained (a missing value the model scores as missing)."""
        env, prediction = self._predict_one(record)
        results = self._results_of(env, prediction)
        return results, (explainer.explain(env, prediction) if explainer is not None else None)

    def predict_target(self, record):
        """The predicted value of the target even when the Output element does not list it."""
        return scalar_result(self._predict_one(record)[1].value, self._data_types.get(self.target_name))

    def _predict_many(self, frame):
        n = len(frame)
        env = {}
        columns = set(frame.columns)
        for name, pmml_type in self._data_types.items():
            if name in self._arguments and name in columns:
                env[name] = frame[name].to_numpy()
            else:
                env[name] = vector_of(None, pmml_type, n)
        prediction = self._pipeline.predict_many(env, n)
        return env, prediction

    def evaluate_batch(self, frame, *, include_target=False):
        import pandas as pd

        env, prediction = self._predict_many(frame)
        n = len(frame)
        columns = {}
        for name, pmml_type in self._results:
            values = env[name] if self._from_output else prediction.value
            columns[name] = _column(values, pmml_type, n)
        if include_target:
            # A model without a target field still predicts; JPMML calls that target "target".
            target = self.target_name or "target"
            if target not in columns:
                columns[target] = _column(prediction.value, self._data_types.get(target), n)
        # Object columns keep None for a missing text value (pandas' string dtype would turn it into NaN).
        return pd.DataFrame(
            {
                name: pd.Series(values, index=frame.index, dtype=None if isinstance(values, np.ndarray) else object)
                for name, values in columns.items()
            },
            index=frame.index,
        )


def _column(values, pmml_type, n):
    if values is None:
        return [None] * n
    if isinstance(values, np.ndarray) and values.dtype != object:
        if pmml_type in ("double", "float", None) or values.dtype.kind != "f":
            return values if pmml_type != "integer" else [scalar_result(float(v), "integer") for v in values]
        return [scalar_result(float(v), pmml_type) for v in values]
    if isinstance(values, np.ndarray) and set(map(type, values)) <= _PLAIN_TEXT:
        return values.tolist()  # what scalar_result would give, value by value: already plain str or None
    return [scalar_result(v, pmml_type) for v in values]


_PLAIN_TEXT = {str, type(None)}
