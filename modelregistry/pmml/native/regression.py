"""RegressionModel and GeneralRegressionModel cores."""

import math

import numpy as np

from ..errors import ModelLoadError, UnsupportedElement
from .prediction import MISSING_PREDICTION, Prediction, argmax_category, vector_argmax
from .values import coerce, vector_missing

SQRT2 = math.sqrt(2.0)


def _probit(y):
    return 0.5 * math.erfc(-y / SQRT2)


def _vector_probit(y):
    from math import erfc

    return np.array([0.5 * erfc(-v / SQRT2) if v == v else np.nan for v in y])


INVERSE_LINKS = {
    # name: (scalar, vector)
    "none": (lambda y: y, lambda y: y),
    "identity": (lambda y: y, lambda y: y),
    "logit": (lambda y: 1.0 / (1.0 + math.exp(-y)) if y > -700 else 0.0, lambda y: 1.0 / (1.0 + np.exp(-y))),
    "exp": (math.exp, np.exp),
    "log": (math.exp, np.exp),
    "probit": (_probit, _vector_probit),
    "cloglog": (lambda y: 1.0 - math.exp(-math.exp(y)), lambda y: 1.0 - np.exp(-np.exp(y))),
    "loglog": (lambda y: math.exp(-math.exp(-y)), lambda y: np.exp(-np.exp(-y))),
    "cauchit": (lambda y: 0.5 + math.atan(y) / math.pi, lambda y: 0.5 + np.arctan(y) / math.pi),
}


class RegressionCore:
    """Tables of terms, compiled to lists for the scalar path and arrays for the vector path."""

    def __init__(self, node, scope, function_name, target_type, categories):
        self.function_name = function_name
        self.normalization = node.get("normalizationMethod", "none")
        if self.normalization not in INVERSE_LINKS and self.normalization not in ("softmax", "simplemax"):
            raise UnsupportedElement(f"normalizationMethod {self.normalization!r}", node.where())
        self.tables = []
        for table in node.findall("RegressionTable"):
            intercept = float(table.get("intercept", "0"))
            numeric = []
            for p in table.findall("NumericPredictor"):
                scope.type_of(p.get("name"), p)
                numeric.append((p.get("name"), float(p.get("coefficient")), float(p.get("exponent", "1"))))
            categorical = {}
            for p in table.findall("CategoricalPredictor"):
                name = p.get("name")
                value = coerce(p.get("value"), scope.type_of(name, p))
                categorical.setdefault(name, {})[value] = float(p.get("coefficient"))
            terms = []
            for p in table.findall("PredictorTerm"):
                names = [ref.get("field") for ref in p.findall("FieldRef")]
                for name in names:
                    scope.type_of(name, p)
                terms.append((names, float(p.get("coefficient"))))
            category = table.get("targetCategory")
            self.tables.append(
                (
                    coerce(category, target_type) if category is not None else None,
                    intercept,
                    numeric,
                    list(categorical.items()),
                    terms,
                )
            )
        if not self.tables:
            raise ModelLoadError("RegressionModel has no RegressionTable", node.where())
        self.target_type = target_type
        if function_name == "classification":
            self.categories = [t[0] for t in self.tables]
        else:
            self.categories = None

    def _table_scalar(self, env, table):
        _, y, numeric, categorical, terms = table
        for name, coefficient, exponent in numeric:
            x = env[name]
            if x is None:
                return None
            y += coefficient * (x if exponent == 1.0 else x**exponent)
        for name, coefficients in categorical:
            x = env[name]
            if x is None:
                return None
            y += coefficients.get(x, 0.0)
        for names, coefficient in terms:
            product = coefficient
            for name in names:
                x = env[name]
                if x is None:
                    return None
                product *= x
            y += product
        return y

    def _table_vector(self, env, n, table):
        _, intercept, numeric, categorical, terms = table
        y = np.full(n, intercept)
        for name, coefficient, exponent in numeric:
            x = env[name]
            y += coefficient * (x if exponent == 1.0 else x**exponent)
        for name, coefficients in categorical:
            x = env[name]
            if x.dtype == object:
                y += np.array([coefficients.get(v, 0.0) if v is not None else np.nan for v in x])
            else:
                contribution = np.zeros(n)
                for value, coefficient in coefficients.items():
                    contribution[x == value] = coefficient
                contribution[np.isnan(x)] = np.nan
                y += contribution
        for names, coefficient in terms:
            product = np.full(n, coefficient)
            for name in names:
                product = product * env[name]
            y += product
        return y

    def predict_one(self, env):
        if self.categories is None:
            y = self._table_scalar(env, self.tables[0])
            if y is None:
                return MISSING_PREDICTION
            return Prediction(value=INVERSE_LINKS[self.normalization][0](y))
        ys = [self._table_scalar(env, table) for table in self.tables]
        if any(y is None for y in ys):
            return MISSING_PREDICTION
        probabilities = dict(zip(self.categories, normalise_scalar(self.normalization, ys)))
        return Prediction(argmax_category(self.categories, probabilities), probabilities)

    def predict_many(self, env, n):
        if self.categories is None:
            y = self._table_vector(env, n, self.tables[0])
            with np.errstate(all="ignore"):
                return Prediction(value=INVERSE_LINKS[self.normalization][1](y))
        ys = np.array([self._table_vector(env, n, table) for table in self.tables])
        with np.errstate(all="ignore"):
            matrix = normalise_vector(self.normalization, ys)
        probabilities = dict(zip(self.categories, matrix))
        return Prediction(vector_argmax(self.categories, probabilities, n, self.target_type), probabilities)


def normalise_scalar(method, ys):
    if method == "softmax":
        top = max(ys)
        exps = [math.exp(y - top) for y in ys]
        total = sum(exps)
        return [e / total for e in exps]
    if method == "simplemax":
        total = sum(ys)
        return [y / total for y in ys]
    link = INVERSE_LINKS[method][0]
    if len(ys) == 1:
        return [link(ys[0])]
    head = [link(y) for y in ys[:-1]]
    return head + [1.0 - sum(head)]


def normalise_vector(method, ys):
    if method == "softmax":
        exps = np.exp(ys - np.max(ys, axis=0))
        return exps / exps.sum(axis=0)
    if method == "simplemax":
        return ys / ys.sum(axis=0)
    link = INVERSE_LINKS[method][1]
    head = np.array([link(y) for y in ys[:-1]])
    return np.vstack([head, 1.0 - head.sum(axis=0)])


class GeneralRegressionCore:
    """GeneralRegressionModel: the regression, generalLinear, generalizedLinear, multinomialLogistic
    and ordinalMultinomial model types (CoxRegression is left to the reference engine)."""

    def __init__(self, node, scope, function_name, target_type, categories):
        self.function_name = function_name
        self.model_type = node.get("modelType")
        if self.model_type not in (
            "regression",
            "generalLinear",
            "generalizedLinear",
            "multinomialLogistic",
            "ordinalMultinomial",
        ):
            raise UnsupportedElement(f"GeneralRegressionModel modelType {self.model_type!r}", node.where())
        self.target_type = target_type
        link = node.get("linkFunction")
        if self.model_type == "multinomialLogistic":
            link = "softmax"
        elif self.model_type == "ordinalMultinomial":
            link = node.get("cumulativeLink", "logit")
        elif self.model_type in ("regression", "generalLinear"):
            link = "identity"
        if link not in INVERSE_LINKS and link != "softmax":
            raise UnsupportedElement(f"linkFunction {link!r}", node.where())
        self.link = link
        self.offset = float(node.get("offsetValue", "0"))
        factors = {p.get("name") for p in (node.find("FactorList") or _Empty()).findall("Predictor")}
        parameters = [p.get("name") for p in node.find("ParameterList").findall("Parameter")]
        cells = {}
        for cell in (node.find("PPMatrix") or _Empty()).findall("PPCell"):
            name = cell.get("predictorName")
            field_type = scope.type_of(name, cell)
            if name in factors:
                cells.setdefault(cell.get("parameterName"), []).append(
                    (name, True, coerce(cell.get("value"), field_type))
                )
            else:
                cells.setdefault(cell.get("parameterName"), []).append((name, False, float(cell.get("value", "1"))))
        self.parameters = [(p, cells.get(p, [])) for p in parameters]
        betas = {}
        for cell in node.find("ParamMatrix").findall("PCell"):
            category = cell.get("targetCategory")
            key = coerce(category, target_type) if category is not None else None
            betas.setdefault(key, {})[cell.get("parameterName")] = float(cell.get("beta"))
        self.betas = betas
        if function_name == "classification":
            self.categories = list(categories)
            reference = node.get("targetReferenceCategory")
            if self.model_type == "ordinalMultinomial":
                self.reference = None
            elif reference is not None:
                self.reference = coerce(reference, target_type)
            else:
                unlisted = [c for c in self.categories if c not in betas]
                self.reference = unlisted[0] if unlisted else self.categories[-1]
        else:
            self.categories = None

    def _design_scalar(self, env):
        row = {}
        for parameter, cells in self.parameters:
            x = 1.0
            for name, is_factor, value in cells:
                v = env[name]
                if v is None:
                    return None
                x *= (1.0 if v == value else 0.0) if is_factor else v**value
            row[parameter] = x
        return row

    def _design_vector(self, env, n):
        row = {}
        for parameter, cells in self.parameters:
            x = np.ones(n)
            for name, is_factor, value in cells:
                v = env[name]
                if is_factor:
                    term = (v == value).astype(np.float64)
                    term[vector_missing(v)] = np.nan
                else:
                    term = v**value
                x = x * term
            row[parameter] = x
        return row

    @staticmethod
    def _linear(design, betas, zero):
        y = zero
        for parameter, beta in betas.items():
            if parameter in design:
                y = y + beta * design[parameter]
        return y

    def _predict(self, design, zero, vector):
        link = INVERSE_LINKS.get(self.link, (None, None))[1 if vector else 0]
        if self.categories is None:
            y = self._linear(design, self.betas.get(None, {}), zero) + self.offset
            return {None: link(y)}
        if self.model_type == "ordinalMultinomial":
            common = self._linear(design, self.betas.get(None, {}), zero)
            cumulative, probabilities, previous = None, {}, zero
            for category in self.categories[:-1]:
                betas = self.betas.get(category, {})
                cumulative = link(self._linear(design, betas, zero) + common + self.offset)
                probabilities[category] = cumulative - previous
                previous = cumulative
            probabilities[self.categories[-1]] = 1.0 - previous
            return probabilities
        if self.link == "softmax":
            ys = [
                self._linear(design, self.betas.get(c, {}), zero) if c != self.reference else zero
                for c in self.categories
            ]
            if vector:
                matrix = normalise_vector("softmax", np.array(ys))
                return dict(zip(self.categories, matrix))
            return dict(zip(self.categories, normalise_scalar("softmax", ys)))
        # Binary generalized linear model: the link gives the probability of the non-reference category.
        event = [c for c in self.categories if c != self.reference][0]
        betas = self.betas.get(None) or self.betas.get(event, {})
        p = link(self._linear(design, betas, zero) + self.offset)
        return {c: (p if c == event else 1.0 - p) for c in self.categories}

    def predict_one(self, env):
        design = self._design_scalar(env)
        if design is None:
            return MISSING_PREDICTION
        try:
            result = self._predict(design, 0.0, False)
        except (OverflowError, ValueError):
            return MISSING_PREDICTION
        if self.categories is None:
            return Prediction(value=result[None])
        return Prediction(argmax_category(self.categories, result), result)

    def predict_many(self, env, n):
        design = self._design_vector(env, n)
        with np.errstate(all="ignore"):
            result = self._predict(design, np.zeros(n), True)
        if self.categories is None:
            return Prediction(value=result[None])
        return Prediction(vector_argmax(self.categories, result, n, self.target_type), result)


class _Empty:
    def findall(self, tag):
        return []

    def __bool__(self):
        return False
