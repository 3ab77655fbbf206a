"""Output fields: predicted value, probabilities per class, reason codes by rank, entity ids,
transformed values. They are written into the environment so later segments can read them."""

import numpy as np

from ..errors import UnsupportedElement
from .expressions import compile_expression, expression_child
from .values import coerce

FEATURES = (
    "predictedValue",
    "predictedDisplayValue",
    "probability",
    "confidence",
    "affinity",
    "reasonCode",
    "entityId",
    "clusterId",
    "clusterAffinity",
    "entityAffinity",
    "transformedValue",
    "decision",
)


class OutputFields:
    def __init__(self, node, scope, pipeline):
        self.fields = []
        self.types = {}
        self.display = pipeline.targets.display
        if node is None:
            self.empty = True
            return
        for field in node.findall("OutputField"):
            name = field.get("name")
            feature = field.get("feature", "predictedValue")
            if feature not in FEATURES:
                raise UnsupportedElement(f"OutputField feature {feature!r}", field.where())
            if field.get("segmentId") is not None:
                raise UnsupportedElement("OutputField with segmentId", field.where())
            pmml_type = field.get("dataType")
            expression = None
            category = None
            if feature in ("transformedValue", "decision"):
                child = expression_child(field)
                if child is None:
                    raise UnsupportedElement(f"{feature} OutputField without an expression", field.where())
                expression = compile_expression(child, scope)
                pmml_type = pmml_type or expression.pmml_type
            elif feature in ("probability", "confidence", "affinity"):
                pmml_type = pmml_type or "double"
                if field.get("value") is not None:
                    category = coerce(field.get("value"), pipeline.target_type)
                if feature == "affinity" and pipeline.function_name == "clustering":
                    feature, category = "clusterAffinity", field.get("value")
            elif feature in ("clusterAffinity", "entityAffinity"):
                pmml_type = pmml_type or "double"
                feature, category = "clusterAffinity", field.get("value")
            elif feature in ("predictedValue",):
                pmml_type = pmml_type or pipeline.target_type
            else:
                pmml_type = pmml_type or "string"
            rank = int(field.get("rank", "1"))
            self.fields.append((name, feature, category, rank, expression, pmml_type))
            scope.types[name] = pmml_type
            self.types[name] = pmml_type
        self.empty = not self.fields

    def write_one(self, env, prediction):
        for name, feature, category, rank, expression, _pmml_type in self.fields:
            if feature == "predictedValue":
                value = prediction.value
            elif feature == "predictedDisplayValue":
                value = (
                    prediction.display
                    if prediction.display is not None
                    else (None if prediction.value is None else self._display(prediction.value))
                )
            elif feature == "clusterAffinity":
                affinities = prediction.affinities or {}
                value = affinities.get(category if category is not None else prediction.value)
            elif feature == "clusterId":
                value = prediction.value
            elif feature == "probability":
                value = _probability(prediction.probabilities, category, prediction.value)
            elif feature in ("confidence", "affinity"):
                value = _probability(prediction.confidences or prediction.probabilities, category, prediction.value)
            elif feature == "reasonCode":
                codes = prediction.reason_codes or ()
                value = codes[rank - 1] if rank - 1 < len(codes) else None
            elif feature == "entityId":
                value = prediction.entity_id
            else:
                value = expression.scalar(env)
            env[name] = value

    def write_many(self, env, prediction, n):
        for name, feature, category, rank, expression, _pmml_type in self.fields:
            if feature == "predictedValue":
                value = prediction.value
            elif feature == "predictedDisplayValue":
                if prediction.display is not None:
                    value = prediction.display
                else:
                    value = np.array(
                        [None if v is None or v != v else self._display(v) for v in prediction.value], dtype=object
                    )
            elif feature == "clusterAffinity":
                affinities = prediction.affinities or {}
                if category is not None:
                    value = affinities.get(category, np.full(n, np.nan))
                else:
                    value = _vector_probability(affinities, None, prediction.value, n)
            elif feature == "clusterId":
                value = prediction.value
            elif feature in ("probability", "confidence", "affinity"):
                table = prediction.probabilities
                if feature != "probability" and prediction.confidences:
                    table = prediction.confidences
                value = _vector_probability(table, category, prediction.value, n)
            elif feature == "reasonCode":
                codes = prediction.reason_codes or []
                value = codes[rank - 1] if rank - 1 < len(codes) else np.full(n, None, dtype=object)
            elif feature == "entityId":
                value = prediction.entity_id if prediction.entity_id is not None else np.full(n, None, dtype=object)
            else:
                value = expression.vector(env, n)
            if value is None:
                value = np.full(n, np.nan)
            env[name] = value

    def _display(self, value):
        text = _text(value)
        return self.display.get(text, text)


def _text(value):
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _probability(probabilities, category, predicted):
    if probabilities is None:
        return None
    key = predicted if category is None else category
    return probabilities.get(key)


def _vector_probability(probabilities, category, predicted, n):
    if probabilities is None:
        return np.full(n, np.nan)
    if category is not None:
        return probabilities.get(category, np.full(n, np.nan))
    out = np.full(n, np.nan)
    for key, values in probabilities.items():
        hit = predicted == key
        out[hit] = values[hit]
    return out
