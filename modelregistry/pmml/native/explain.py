"""Why a record scored as it did: one explanation per evaluation, from the same compiled model.

Three kinds, each additive (`baseValue` + the sum of the contributions == `output`):

- a Scorecard: per characteristic, the points scored against its baseline (`points` scale; the
  base value is the initial score plus every baseline, the output is the score);
- a tree ensemble: TreeSHAP per data field (`logOdds` for boosted trees with a logistic link,
  `probability` for averaged classification trees such as random forests, else `raw`), with the
  covers counted once from a reference frame (the model's development sample);
- a simple regression (one explained table of numeric and categorical predictors, no interaction
  terms): coefficient × value per data field against the intercept (`logOdds` for a logit link).

Contributions are per data field of the model (derived fields are attributed to the data fields
they read); a characteristic or compound split reading several fields names all of them.
`Explainer.explain(env, prediction)` reads the environment the evaluation already computed, so a
record is evaluated once.
"""

import math

from .mining import MiningCore
from .regression import RegressionCore
from .scorecard import ScorecardCore
from .tree import TreeCore


def _pipelines(pipeline):
    yield pipeline
    core = getattr(pipeline, "core", None)
    if isinstance(core, MiningCore):
        for _, segment, _, _ in core.segments:
            yield from _pipelines(segment)


class _Sources:
    """Which data fields a (derived) field is computed from."""

    def __init__(self, model):
        self.data_fields = set(model._data_types)
        self.expressions = {}
        for pipeline in _pipelines(model._pipeline):
            for name, expression in pipeline.derived:
                self.expressions.setdefault(name, expression)
        self._cache = {}

    def of(self, name, seen=()):
        if name in self._cache:
            return self._cache[name]
        if name in self.data_fields and name not in self.expressions:
            found = (name,)
        elif name in self.expressions and name not in seen:
            found = tuple(sorted({f for ref in self.expressions[name].fields for f in self.of(ref, seen + (name,))}))
        else:
            found = ()
        self._cache[name] = found
        return found


def _row(name, fields, value, **extra):
    return {"name": name, "fields": list(fields), "value": float(value), **extra}


def _finish(method, scale, category, base, rows):
    if not math.isfinite(base) or not all(math.isfinite(row["value"]) for row in rows):
        return None  # a derived field gave NaN or an infinity: nothing to explain (and not valid JSON)
    rows.sort(key=lambda row: -abs(row["value"]))
    return {
        "method": method,
        "scale": scale,
        "category": category,
        "baseValue": float(base),
        "output": float(base + sum(row["value"] for row in rows)),
        "contributions": rows,
    }


class _ScorecardExplainer:
    def __init__(self, core, sources):
        self.core = core
        self.fields = [
            tuple(sorted({f for predicate, _, _ in attributes for ref in predicate.fields for f in sources.of(ref)}))
            for _, attributes in core.characteristics
        ]

    def explain(self, env, prediction):
        rows = self.core.points_one(env)
        if any(row["points"] is None for row in rows):
            return None
        base = self.core.initial + sum(row["baseline"] for row in rows)
        contributions = [
            _row(
                row["characteristic"],
                fields,
                row["points"] - row["baseline"],
                points=float(row["points"]),
                baseline=float(row["baseline"]),
                reasonCode=row["reasonCode"],
            )
            for row, fields in zip(rows, self.fields)
        ]
        return _finish("scorecardPoints", "points", None, base, contributions)


def _by_field(phi, fields_of):
    merged, names = {}, {}
    for column, value in phi.items():
        fields = fields_of(column)
        key = fields[0] if len(fields) == 1 else " & ".join(fields) or str(column)
        merged[key] = merged.get(key, 0.0) + value
        names[key] = fields
    return [_row(key, names[key], value) for key, value in merged.items()]


class _TreeExplainer:
    def __init__(self, model, reference, sources):
        from .treeshap import TreeExplainer, _ensemble

        method, _ = _ensemble(model._pipeline)
        self.category, self.scale = None, "raw"
        if method in ("average", "weightedAverage") and model._pipeline.categories:
            self.category = _explained_category(model)
            self.scale = "probability"
        elif method == "sum":
            self.category = _logit_category(model._pipeline)
            if self.category is not None:
                self.scale = "logOdds"
        # boosted trees score leaves; averaged classification trees give the category's probability
        leaf_category = self.category if self.scale == "probability" else None
        self.trees = TreeExplainer(model, reference, category=leaf_category)
        self.sources = sources
        # a linear rescaling of the sum (XGBoost's base score as rescaleConstant) is part of the raw output
        self.factor, self.constant = 1.0, 0.0
        rescale = getattr(_ensemble_pipeline(model._pipeline), "targets", None)
        rescale = rescale.rescale if rescale is not None else None
        if rescale is not None:
            factor, constant, cast, low, high = rescale
            if cast is None and (low, high) == (-math.inf, math.inf):
                self.factor, self.constant = factor, constant
            else:
                self.scale = "raw"

    def _fields(self, column):
        synthetic = self.trees.column_fields.get(column)
        refs = synthetic if synthetic is not None else (column,)
        return tuple(sorted({f for ref in refs for f in self.sources.of(ref)}))

    def explain(self, env, prediction):
        base, phi = self.trees.explain(env)
        base = base * self.factor + self.constant
        phi = {column: value * self.factor for column, value in phi.items()}
        return _finish("treeShap", self.scale, self.category, base, _by_field(phi, self._fields))


def _ensemble_pipeline(pipeline):
    """The pipeline whose core is the tree ensemble `treeshap._ensemble` explains (depth first)."""
    core = getattr(pipeline, "core", None)
    if isinstance(core, TreeCore):
        return pipeline
    if isinstance(core, MiningCore):
        if all(isinstance(getattr(p, "core", None), TreeCore) for _, p, _, _ in core.segments):
            return pipeline
        for _, segment, _, _ in core.segments:
            found = _ensemble_pipeline(segment)
            if found is not None:
                return found
    return None


def _explained_category(model):
    """The class whose probability the model's first probability output names, else its first class."""
    output = model._pipeline.node.find("Output")
    if output is not None:
        for field in output.findall("OutputField"):
            if field.get("feature") == "probability" and field.get("value") is not None:
                value = field.get("value")
                for category in model._pipeline.categories:
                    if str(category) == value:
                        return category
    return model._pipeline.categories[0]


def _logit_category(pipeline):
    """For a boosted ensemble: the class whose log-odds the tree sum is, when a logit regression on
    the sum alone turns it into probabilities (as JPMML writes LightGBM and XGBoost); else None."""
    core = getattr(pipeline, "core", None)
    if isinstance(core, RegressionCore) and core.normalization == "logit" and core.categories:
        category, intercept, numeric, categorical, terms = core.tables[0]
        if intercept == 0.0 and len(numeric) == 1 and numeric[0][1:] == (1.0, 1.0) and not categorical and not terms:
            return category
        return None
    if isinstance(core, MiningCore) and core.segments:
        return _logit_category(core.segments[-1][1])
    return None


class _LinearExplainer:
    def __init__(self, core, sources):
        self.core = core
        self.sources = sources
        self.category = core.tables[0][0]
        self.scale = "logOdds" if core.normalization == "logit" else "raw"

    @classmethod
    def simple(cls, core):
        if not isinstance(core, RegressionCore) or core.normalization not in ("logit", "none", "identity"):
            return False
        if any(table[4] for table in core.tables):  # interaction terms
            return False
        if core.categories is None:
            return len(core.tables) == 1
        # binary: the second table is the reference (intercept 0, no predictors)
        return len(core.tables) == 2 and core.tables[1][1:4] == (0.0, [], [])

    def explain(self, env, prediction):
        _, intercept, numeric, categorical, _ = self.core.tables[0]
        phi = {}
        for name, coefficient, exponent in numeric:
            x = env.get(name)
            if x is None:
                return None
            phi[name] = phi.get(name, 0.0) + coefficient * (x if exponent == 1.0 else x**exponent)
        for name, coefficients in categorical:
            x = env.get(name)
            if x is None:
                return None
            phi[name] = phi.get(name, 0.0) + coefficients.get(x, 0.0)
        fields_of = lambda column: self.sources.of(column) or (column,)  # noqa: E731
        return _finish("linear", self.scale, self.category, intercept, _by_field(phi, fields_of))


def explainer_for(model, reference=None):
    """The explainer of a NativeModel, or None when the model has no explanation we compute.

    `reference`: a pandas frame of arguments (the development sample), or a callable returning one
    (or None), called only for a tree ensemble, which needs it for its covers and is not explained
    without it.
    """
    from .treeshap import _ensemble

    sources = _Sources(model)
    core = getattr(model._pipeline, "core", None)
    if isinstance(core, ScorecardCore):
        return _ScorecardExplainer(core, sources)
    if isinstance(core, (MiningCore, TreeCore)) and _ensemble(model._pipeline):
        if callable(reference):
            reference = reference()
        if reference is None or not len(reference):
            return None
        return _TreeExplainer(model, reference, sources)
    if _LinearExplainer.simple(core):
        return _LinearExplainer(core, sources)
    return None
