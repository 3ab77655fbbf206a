"""ClusteringModel (center-based): the nearest cluster by the comparison measure."""

import numpy as np

from ..errors import UnsupportedElement
from .expressions import parse_array
from .prediction import MISSING_PREDICTION, Prediction

MEASURES = ("euclidean", "squaredEuclidean", "cityBlock", "chebychev")


class ClusteringCore:
    categories = None

    def __init__(self, node, scope, function_name, target_type, categories):
        if node.get("modelClass", "centerBased") != "centerBased":
            raise UnsupportedElement("distribution-based ClusteringModel", node.where())
        measure = node.find("ComparisonMeasure")
        if measure is None or measure.get("kind", "distance") != "distance":
            raise UnsupportedElement("ClusteringModel without a distance ComparisonMeasure", node.where())
        kinds = [child.tag for child in measure.children]
        if not kinds or kinds[0] not in MEASURES:
            raise UnsupportedElement(f"ComparisonMeasure {kinds[:1]}", measure.where())
        self.measure = kinds[0]
        default_compare = measure.get("compareFunction", "absDiff")
        fields = [f for f in node.findall("ClusteringField") if f.get("isCenterField", "true") == "true"]
        for field in fields:
            scope.type_of(field.get("field"), field)
            if field.get("compareFunction", default_compare) != "absDiff":
                raise UnsupportedElement("ClusteringField compareFunction other than absDiff", field.where())
        self.fields = [f.get("field") for f in fields]
        self.weights = np.array([float(f.get("fieldWeight", "1")) for f in fields])
        clusters = node.findall("Cluster")
        self.centers = np.array([[float(v) for v in parse_array(c.find("Array"))] for c in clusters])
        self.ids = [c.get("id") or c.get("name") or str(i + 1) for i, c in enumerate(clusters)]
        self.names = [c.get("name") or self.ids[i] for i, c in enumerate(clusters)]

    def _distances(self, matrix):
        difference = np.abs(matrix[:, None, :] - self.centers[None, :, :]) * 1.0
        if self.measure == "chebychev":
            return (difference * self.weights).max(axis=2)
        if self.measure == "cityBlock":
            return (difference * self.weights).sum(axis=2)
        squared = (difference**2 * self.weights).sum(axis=2)
        return np.sqrt(squared) if self.measure == "euclidean" else squared

    def predict_one(self, env):
        values = [env[name] for name in self.fields]
        if any(v is None for v in values):
            return MISSING_PREDICTION
        distances = self._distances(np.array([values], dtype=np.float64))[0]
        best = int(np.argmin(distances))
        return Prediction(
            self.ids[best],
            None,
            self.ids[best],
            display=self.names[best],
            affinities={i: float(d) for i, d in zip(self.ids, distances)},
        )

    def predict_many(self, env, n):
        matrix = np.column_stack([np.asarray(env[name], dtype=np.float64) for name in self.fields])
        distances = self._distances(matrix)
        missing = np.isnan(matrix).any(axis=1)
        best = np.argmin(np.where(np.isnan(distances), np.inf, distances), axis=1)
        ids = np.array(self.ids, dtype=object)[best]
        names = np.array(self.names, dtype=object)[best]
        ids[missing], names[missing] = None, None
        return Prediction(
            ids, None, ids, display=names, affinities={i: distances[:, k] for k, i in enumerate(self.ids)}
        )
