"""MiningModel with Segmentation. Segments that are plain trees are evaluated together through
one set of tree tables (the ensemble fast path); anything else segment by segment."""

import numpy as np

from ..errors import ModelLoadError, UnsupportedElement
from .expressions import compile_predicate, predicate_child
from .prediction import MISSING_PREDICTION, Prediction, argmax_category, vector_argmax
from .tree import LeafPayload, TreeTables, ensemble_tables_fit

METHODS = (
    "modelChain",
    "sum",
    "average",
    "weightedAverage",
    "median",
    "max",
    "majorityVote",
    "weightedMajorityVote",
    "selectFirst",
)


class MiningCore:
    def __init__(self, node, scope, function_name, target_type, categories):
        from ..reader import MODEL_TAGS
        from .compile import ModelPipeline

        segmentation = node.find("Segmentation")
        if segmentation is None:
            raise UnsupportedElement("MiningModel without Segmentation", node.where())
        self.method = segmentation.get("multipleModelMethod")
        if self.method not in METHODS:
            raise UnsupportedElement(f"multipleModelMethod {self.method!r}", segmentation.where())
        self.missing_treatment = segmentation.get("missingPredictionTreatment", "continue")
        self.function_name = function_name
        self.target_type = target_type
        self.categories = categories
        self.segments = []
        for segment in segmentation.findall("Segment"):
            predicate_node = predicate_child(segment)
            if predicate_node is None:
                raise ModelLoadError("Segment has no predicate", segment.where())
            predicate = compile_predicate(predicate_node, scope)
            models = [child for child in segment.children if child.tag in MODEL_TAGS]
            if not models:
                raise ModelLoadError("Segment has no model", segment.where())
            pipeline = ModelPipeline(models[0], scope.child(), _data_fields_of(scope), top_level=False)
            # Later segments of a chain read the output fields of earlier ones.
            scope.types.update(pipeline.output.types)
            self.segments.append((predicate, pipeline, float(segment.get("weight", "1")), predicate_node.tag == "True"))
        if not self.segments:
            raise ModelLoadError("Segmentation has no Segment", segmentation.where())
        if self.categories is None and function_name == "classification":
            for _, pipeline, _, _ in self.segments:
                if pipeline.categories:
                    self.categories = pipeline.categories
                    break
        self.ensemble = None
        if self.method in ("sum", "average", "weightedAverage", "majorityVote", "weightedMajorityVote") and all(
            always
            and pipeline.tag == "TreeModel"
            and pipeline.trivial
            and pipeline.core.tables is not None
            and pipeline.function_name == function_name
            for _, pipeline, _, always in self.segments
        ):
            programs = [pipeline.core.program for _, pipeline, _, _ in self.segments]
            if not any(program.synthetic for program in programs) and ensemble_tables_fit(programs):
                self.ensemble = TreeTables(programs, scope.types)
                self.payload = LeafPayload(self.ensemble, self.categories, target_type)
                self.weights = np.array([weight for _, _, weight, _ in self.segments])

    # ---------------------------------------------------------------- scalar
    def predict_one(self, env):
        if self.ensemble is not None:
            return self._ensemble_one(env)
        if self.method == "modelChain":
            result = MISSING_PREDICTION
            for predicate, pipeline, _, _ in self.segments:
                if predicate.scalar(env) is True:
                    result = pipeline.predict_one(env)
            return result
        if self.method == "selectFirst":
            for predicate, pipeline, _, _ in self.segments:
                if predicate.scalar(env) is True:
                    return pipeline.predict_one(env)
            return MISSING_PREDICTION
        results = []
        for predicate, pipeline, weight, _ in self.segments:
            if predicate.scalar(env) is True:
                prediction = pipeline.predict_one(env)
                if prediction.value is None:
                    if self.missing_treatment == "returnMissing":
                        return MISSING_PREDICTION
                    continue
                results.append((weight, prediction))
        if not results:
            return MISSING_PREDICTION
        if self.function_name == "regression":
            return Prediction(_combine_values(self.method, [(w, p.value) for w, p in results]))
        if self.function_name == "clustering" and self.method not in ("majorityVote", "weightedMajorityVote"):
            raise UnsupportedElement(f"clustering MiningModel with multipleModelMethod {self.method!r}")
        probabilities = {}
        if self.method in ("majorityVote", "weightedMajorityVote"):
            total = sum(w if self.method == "weightedMajorityVote" else 1.0 for w, _ in results)
            for weight, prediction in results:
                vote = weight if self.method == "weightedMajorityVote" else 1.0
                probabilities[prediction.value] = probabilities.get(prediction.value, 0.0) + vote / total
        else:
            for category in self.categories:
                pairs = [(w, (p.probabilities or {}).get(category, 0.0)) for w, p in results]
                probabilities[category] = _combine_values(self.method, pairs)
            if self.method == "max":
                best = max(results, key=lambda item: max((item[1].probabilities or {0: 0}).values()))
                probabilities = dict(best[1].probabilities)
        categories = self.categories or list(probabilities)
        probabilities = {c: probabilities.get(c, 0.0) for c in categories}
        if self.function_name == "clustering":
            return Prediction(argmax_category(categories, probabilities), None)
        return Prediction(argmax_category(categories, probabilities), probabilities)

    # ---------------------------------------------------------------- vector
    def predict_many(self, env, n):
        if self.ensemble is not None:
            return self._ensemble_many(env, n)
        if self.method in ("modelChain", "selectFirst"):
            result, decided = None, np.zeros(n, dtype=bool)
            for predicate, pipeline, _, always in self.segments:
                applies = np.ones(n, dtype=bool) if always else predicate.vector(env, n) == 1.0
                if self.method == "selectFirst":
                    applies &= ~decided
                prediction = pipeline.predict_many(env, n)
                result = prediction if result is None or applies.all() else _merge(result, prediction, applies)
                decided |= applies
            return result
        weighted, masks = [], []
        for predicate, pipeline, weight, always in self.segments:
            applies = np.ones(n, dtype=bool) if always else predicate.vector(env, n) == 1.0
            weighted.append((weight, pipeline.predict_many(env, n)))
            masks.append(applies)
        return self._combine_many(weighted, np.array(masks), n)

    def _combine_many(self, weighted, masks, n):
        weights = np.array([w for w, _ in weighted])[:, None] * masks
        if self.function_name == "regression":
            values = np.array([np.asarray(p.value, dtype=np.float64) for _, p in weighted])
            return Prediction(self._reduce(values, weights, masks))
        categories = self.categories
        if categories is None:
            # Clustering ensembles: the "categories" are whatever the segments predicted.
            categories = list(dict.fromkeys(v for _, p in weighted for v in p.value if v is not None))
        if self.method in ("majorityVote", "weightedMajorityVote"):
            votes = weights if self.method == "weightedMajorityVote" else masks.astype(float)
            total = votes.sum(axis=0)
            probabilities = {
                c: (votes * np.array([_equals(p.value, c) for _, p in weighted])).sum(axis=0) / total
                for c in categories
            }
        else:
            probabilities = {}
            for category in categories:
                values = np.array(
                    [
                        p.probabilities.get(category, np.zeros(n)) if p.probabilities else np.full(n, np.nan)
                        for _, p in weighted
                    ]
                )
                probabilities[category] = self._reduce(values, weights, masks)
        return Prediction(vector_argmax(categories, probabilities, n, self.target_type), probabilities)

    def _reduce(self, values, weights, masks):
        present = ~np.isnan(values) & masks
        missing_any = np.any(np.isnan(values) & masks, axis=0)
        values = np.where(present, values, 0.0)
        if self.method == "sum":
            out = values.sum(axis=0)
        elif self.method in ("average", "majorityVote"):
            out = values.sum(axis=0) / present.sum(axis=0)
        elif self.method in ("weightedAverage", "weightedMajorityVote"):
            w = np.where(present, weights, 0.0)
            out = (values * w).sum(axis=0) / w.sum(axis=0)
        elif self.method == "max":
            out = np.where(present, values, -np.inf).max(axis=0)
        elif self.method == "median":
            out = np.nanmedian(np.where(present, values, np.nan), axis=0)
        else:
            raise UnsupportedElement(f"multipleModelMethod {self.method!r} in batch")
        if self.missing_treatment == "returnMissing":
            out = np.where(missing_any, np.nan, out)
        return out

    def _ensemble_one(self, env):
        bits = self.ensemble.exit_bits_one(env)
        prediction = self._from_bits(bits[None, :], 1)
        if self.function_name == "regression":
            value = float(prediction.value[0])
            return Prediction(None if value != value else value)
        probabilities = {c: float(p[0]) for c, p in prediction.probabilities.items()}
        if any(p != p for p in probabilities.values()):
            return MISSING_PREDICTION
        return Prediction(argmax_category(self.categories, probabilities), probabilities)

    def _ensemble_many(self, env, n):
        trees = np.arange(len(self.segments))[None, :]
        if self.function_name == "regression" and self.method == "sum" and self.missing_treatment == "returnMissing":
            # Null leaves hold NaN scores, so the plain sum is already missing where any tree is.
            scores = self.payload.score.ravel()
            offsets = (trees * self.payload.score.shape[1]).astype(np.intp)
            return Prediction(self.ensemble.exit_bits(env, n, reduce=lambda bits: scores[bits + offsets].sum(axis=1)))
        return self._from_bits(self.ensemble.exit_bits(env, n), n)

    def _from_bits(self, bits, n):
        trees = np.arange(len(self.segments))[None, :]
        if self.function_name == "regression" and self.method == "sum" and self.missing_treatment == "returnMissing":
            return Prediction(self.payload.score[trees, bits].sum(axis=1))
        null = self.payload.null[trees, bits]
        missing = null.any(axis=1) if self.missing_treatment == "returnMissing" else np.zeros(n, dtype=bool)
        present = ~null
        weights = np.where(present, self.weights[None, :], 0.0)
        if self.function_name == "regression":
            scores = np.where(present, self.payload.score[trees, bits], 0.0)
            if self.method == "sum":
                value = scores.sum(axis=1)
            elif self.method == "average":
                value = scores.sum(axis=1) / present.sum(axis=1)
            else:
                value = (scores * weights).sum(axis=1) / weights.sum(axis=1)
            value[missing] = np.nan
            return Prediction(value)
        categories = self.categories
        if self.method in ("majorityVote", "weightedMajorityVote"):
            chosen = self.payload.score[trees, bits]
            votes = weights if self.method == "weightedMajorityVote" else present.astype(float)
            total = votes.sum(axis=1)
            probabilities = {c: (votes * (chosen == k)).sum(axis=1) / total for k, c in enumerate(categories)}
        else:
            matrix = self.payload.probabilities[trees, bits]  # n x trees x categories
            matrix = np.where(present[:, :, None], matrix, 0.0)
            if self.method == "average":
                combined = matrix.sum(axis=1) / present.sum(axis=1)[:, None]
            else:
                combined = (matrix * weights[:, :, None]).sum(axis=1) / weights.sum(axis=1)[:, None]
            probabilities = {c: combined[:, k] for k, c in enumerate(categories)}
        for c in probabilities:
            probabilities[c][missing] = np.nan
        return Prediction(vector_argmax(categories, probabilities, n, self.target_type), probabilities)


def _equals(values, category):
    return np.array([v == category for v in values], dtype=float)


def _combine_values(method, pairs):
    if method == "sum":
        return sum(v for _, v in pairs)
    if method in ("average", "majorityVote"):
        return sum(v for _, v in pairs) / len(pairs)
    if method in ("weightedAverage", "weightedMajorityVote"):
        return sum(w * v for w, v in pairs) / sum(w for w, _ in pairs)
    if method == "max":
        return max(v for _, v in pairs)
    if method == "median":
        values = sorted(v for _, v in pairs)
        middle = len(values) // 2
        return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2
    raise UnsupportedElement(f"multipleModelMethod {method!r}")


def _merge(old, new, applies):
    def pick(a, b):
        if a is None or b is None:
            return b if a is None else a
        return np.where(applies, b, a)

    probabilities = None
    if new.probabilities is not None or old.probabilities is not None:
        keys = set(new.probabilities or {}) | set(old.probabilities or {})
        probabilities = {k: pick((old.probabilities or {}).get(k), (new.probabilities or {}).get(k)) for k in keys}
    return Prediction(pick(old.value, new.value), probabilities, pick(old.entity_id, new.entity_id))


def _data_fields_of(scope):
    return getattr(scope, "data_fields", {})
