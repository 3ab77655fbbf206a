"""What a model core returns: one shape for the scalar path (Python values) and the vector path (arrays)."""

import numpy as np


class Prediction:
    """value: predicted value; probabilities: {category: p}; entity_id: tree node id;
    reason_codes: ranked codes; confidences: {category: confidence}."""

    __slots__ = ("value", "probabilities", "entity_id", "reason_codes", "confidences", "display", "affinities")

    def __init__(
        self,
        value=None,
        probabilities=None,
        entity_id=None,
        reason_codes=None,
        confidences=None,
        display=None,
        affinities=None,
    ):
        self.value = value
        self.probabilities = probabilities
        self.entity_id = entity_id
        self.reason_codes = reason_codes
        self.confidences = confidences
        self.display = display  # e.g. a cluster's name; None means the predicted value as text
        self.affinities = affinities  # {entity id: affinity}, e.g. distance to each cluster


MISSING_PREDICTION = Prediction()


def argmax_category(categories, probabilities):
    best, best_p = None, -1.0
    for category in categories:
        p = probabilities.get(category)
        if p is not None and p > best_p:
            best, best_p = category, p
    return best


def vector_argmax(categories, probabilities, n, pmml_type):
    """Vectorised argmax over {category: array}; ties go to the first category, as in JPMML."""
    matrix = np.array([probabilities[c] for c in categories])
    valid = ~np.any(np.isnan(matrix), axis=0) if len(categories) else np.zeros(n, dtype=bool)
    index = (
        np.argmax(np.where(np.isnan(matrix), -np.inf, matrix), axis=0) if len(categories) else np.zeros(n, dtype=int)
    )
    if pmml_type in ("double", "float", "integer"):
        values = np.array([float(c) for c in categories])[index]
        values[~valid] = np.nan
        return values
    out = np.array(categories, dtype=object)[index]
    out[~valid] = None
    return out


def row_env(env, i):
    """Row i of a vector environment as a scalar environment."""
    row = {}
    for name, values in env.items():
        value = values[i]
        if isinstance(value, (float, np.floating)):
            value = None if value != value else float(value)
        row[name] = value
    return row


def stack_predictions(predictions, categories, target_type, n):
    """Scalar predictions of n rows -> one vector Prediction (for cores without a vector path)."""
    numeric = target_type in ("double", "float", "integer")
    values = [p.value for p in predictions]
    value = np.array([np.nan if v is None else float(v) for v in values]) if numeric else np.array(values, dtype=object)
    probabilities = None
    if categories is not None and any(p.probabilities for p in predictions):
        probabilities = {
            c: np.array([p.probabilities.get(c, np.nan) if p.probabilities else np.nan for p in predictions])
            for c in categories
        }
    confidences = None
    if categories is not None and any(p.confidences for p in predictions):
        confidences = {
            c: np.array([p.confidences.get(c, np.nan) if p.confidences else np.nan for p in predictions])
            for c in categories
        }
    entity = None
    if any(p.entity_id is not None for p in predictions):
        entity = np.array([p.entity_id for p in predictions], dtype=object)
    reasons = None
    if any(p.reason_codes for p in predictions):
        ranks = max(len(p.reason_codes or ()) for p in predictions)
        reasons = [
            np.array(
                [(p.reason_codes[r] if p.reason_codes and r < len(p.reason_codes) else None) for p in predictions],
                dtype=object,
            )
            for r in range(ranks)
        ]
    return Prediction(value, probabilities, entity, reasons, confidences)


def rowwise(predict_one, env, n, categories, target_type):
    return stack_predictions([predict_one(row_env(env, i)) for i in range(n)], categories, target_type, n)


def one_row_env(env, types):
    """A scalar environment as one-row arrays, for cores whose scalar path is their vector path."""
    arrays = {}
    for name, value in env.items():
        pmml_type = types.get(name)
        if pmml_type in ("double", "float", "integer", "boolean") or isinstance(value, float):
            arrays[name] = np.array([np.nan if value is None else float(value)])
        else:
            arrays[name] = np.array([value], dtype=object)
    return arrays


def first_row(prediction):
    """The scalar Prediction of row 0 of a vector Prediction."""

    def item(values):
        if values is None:
            return None
        value = values[0]
        if isinstance(value, (float, np.floating)):
            return None if value != value else float(value)
        return value.item() if hasattr(value, "item") else value

    probabilities = (
        {c: item(p) for c, p in prediction.probabilities.items()} if prediction.probabilities is not None else None
    )
    value = item(prediction.value)
    if value is None:
        return MISSING_PREDICTION
    return Prediction(value, probabilities, item(prediction.entity_id))
