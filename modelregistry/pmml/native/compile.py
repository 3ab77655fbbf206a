"""Compile a PMML document into one form that evaluates a record (scalar) or a frame (vectorised)."""

import math

import numpy as np

from ..errors import EvaluationError, ModelLoadError, UnsupportedElement
from ..fields import read_data_dictionary
from .expressions import Scope, compile_expression, expression_child
from .prediction import Prediction
from .values import NUMERIC, coerce, vector_isin, vector_missing, vector_of


def compile_derived_fields(nodes, scope):
    """DerivedFields -> [(name, Expr)] in an order where each follows the fields it reads."""
    compiled = {}
    for node in nodes:
        name = node.get("name")
        pmml_type = node.get("dataType")
        expression = expression_child(node)
        if expression is None:
            raise ModelLoadError("DerivedField has no expression", node.where())
        scope.types[name] = pmml_type or "double"
        compiled[name] = (node, expression)
    ordered, done, visiting = [], set(), set()

    def visit(name):
        if name in done:
            return
        if name in visiting:
            raise ModelLoadError(f"DerivedField {name!r} depends on itself", compiled[name][0].where())
        visiting.add(name)
        node, expression_node = compiled[name]
        expr = compile_expression(expression_node, scope)
        for dependency in expr.fields:
            if dependency in compiled:
                visit(dependency)
        pmml_type = node.get("dataType") or expr.pmml_type
        scope.types[name] = pmml_type
        ordered.append((name, _cast(expr, pmml_type)))
        done.add(name)

    for name in compiled:
        visit(name)
    return ordered


def _cast(expr, pmml_type):
    """A DerivedField's dataType converts its expression's value (e.g. integer codes to strings)."""
    source = expr.pmml_type
    if pmml_type == source or (pmml_type in NUMERIC and source in NUMERIC and pmml_type != "float"):
        return expr
    from .expressions import Expr

    def scalar(env):
        value = expr.scalar(env)
        try:
            return coerce(value, pmml_type)
        except ValueError:
            return None

    def vector(env, n):
        values = expr.vector(env, n)
        if values.dtype != object and pmml_type not in NUMERIC and pmml_type != "boolean":
            return np.array([None if v != v else coerce(float(v), pmml_type) for v in values], dtype=object)
        return vector_of(values, pmml_type, n)

    return Expr(pmml_type, scalar, vector, expr.fields)


class FieldPreparation:
    """A MiningField's treatment of missing, invalid and outlying values (top level: DataField checks)."""

    def __init__(self, mining_field, data_field, pmml_type, validate):
        self.name = mining_field.get("name")
        self.where = mining_field.where()
        self.pmml_type = pmml_type
        self.missing_values = frozenset(data_field.missing_values) if (data_field and validate) else frozenset()
        replacement = mining_field.get("missingValueReplacement")
        self.replacement = coerce(replacement, pmml_type) if replacement is not None else None
        self.invalid_treatment = mining_field.get("invalidValueTreatment", "returnInvalid")
        invalid_replacement = mining_field.get("invalidValueReplacement")
        self.invalid_replacement = coerce(invalid_replacement, pmml_type) if invalid_replacement is not None else None
        optype = mining_field.get("optype") or (data_field.optype if data_field else None)
        self.valid_values = None
        self.intervals = ()
        if validate and data_field is not None:
            if optype != "continuous" and data_field.valid_values:
                self.valid_values = frozenset(data_field.valid_values)
            elif optype == "continuous":
                self.intervals = data_field.intervals
            self.invalid_values = frozenset(data_field.invalid_values)
        else:
            self.invalid_values = frozenset()
        self.outliers = mining_field.get("outliers", "asIs")
        self.low = float(mining_field.get("lowValue", "-inf"))
        self.high = float(mining_field.get("highValue", "inf"))
        self.checks = bool(self.valid_values is not None or self.intervals or self.invalid_values)
        if self.invalid_treatment == "asIs":
            self.checks = False  # an invalid value is used as it is, so there is nothing to check
        self.trivial = (
            not self.checks and self.replacement is None and self.outliers == "asIs" and not self.missing_values
        )
        self.simple = not self.checks and self.outliers == "asIs" and not self.missing_values
        if self.simple and pmml_type in ("double", "integer"):
            self.prepare_one = self._prepare_number
        elif self.simple and pmml_type == "string":
            self.prepare_one = self._prepare_text

    def _prepare_number(self, raw):
        if raw is None:
            return self.replacement
        if type(raw) is float:
            return self.replacement if raw != raw else raw
        if type(raw) is int:
            return float(raw)
        return FieldPreparation.prepare_one(self, raw)

    def _prepare_text(self, raw):
        if type(raw) is str:
            return raw
        return FieldPreparation.prepare_one(self, raw)

    def _valid(self, value):
        if value in self.invalid_values:
            return False
        if self.valid_values is not None:
            return value in self.valid_values
        if self.intervals:
            for low, high, closure in self.intervals:
                if (value > low or (closure.startswith("closed") and value == low)) and (
                    value < high or (closure.endswith("Closed") and value == high)
                ):
                    return True
            return False
        return True

    def prepare_one(self, raw):
        try:
            value = coerce(raw, self.pmml_type)
        except (ValueError, TypeError):
            value, invalid = raw, True
        else:
            invalid = False
        if value is not None and value in self.missing_values:
            value = None
        if value is not None and (invalid or (self.checks and not self._valid(value))):
            treatment = self.invalid_treatment
            if treatment == "asMissing":
                value = None
            elif treatment == "asValue":
                value = self.invalid_replacement
            elif treatment != "asIs" or invalid:
                raise EvaluationError(f"invalid value {raw!r} for field {self.name!r}", self.where)
        if value is None:
            return self.replacement
        if self.outliers != "asIs" and (value < self.low or value > self.high):
            if self.outliers == "asMissingValues":
                return self.replacement
            return self.low if value < self.low else self.high
        return value

    def prepare_many(self, raw, n):
        try:
            values = vector_of(raw, self.pmml_type, n)
        except (ValueError, TypeError):
            return vector_of([self.prepare_one(v) for v in _python_values(raw)], self.pmml_type, n)
        if self.trivial:
            return values
        missing = vector_missing(values)
        if self.missing_values:
            missing |= vector_isin(values, self.missing_values)
        if self.checks:
            invalid = ~missing & self._invalid_many(values)
            if invalid.any():
                treatment = self.invalid_treatment
                if treatment == "asMissing":
                    missing |= invalid
                elif treatment == "asValue":
                    values[invalid] = self.invalid_replacement
                elif treatment != "asIs":
                    row = int(np.argmax(invalid))
                    raise EvaluationError(
                        f"invalid value {values[row]!r} for field {self.name!r} in row {row}", self.where
                    )
        if self.outliers != "asIs":
            present = ~missing
            low, high = present & (values < self.low), present & (values > self.high)
            if self.outliers == "asMissingValues":
                missing |= low | high
            else:
                values[low], values[high] = self.low, self.high
        if missing.any():
            if self.replacement is not None:
                values[missing] = self.replacement
            else:
                values[missing] = None if values.dtype == object else np.nan
        return values

    def _invalid_many(self, values):
        invalid = vector_isin(values, self.invalid_values) if self.invalid_values else np.zeros(len(values), bool)
        if self.valid_values is not None:
            invalid |= ~vector_isin(values, self.valid_values)
        elif self.intervals:
            inside = np.zeros(len(values), dtype=bool)
            for low, high, closure in self.intervals:
                above = values >= low if closure.startswith("closed") else values > low
                below = values <= high if closure.endswith("Closed") else values < high
                inside |= above & below
            invalid |= ~inside
        return invalid


def _python_values(values):
    out = []
    for v in list(values):
        if isinstance(v, (float, np.floating)):
            v = None if v != v else float(v)
        out.append(v)
    return out


class Targets:
    def __init__(self, node, target_name):
        self.rescale = None
        self.default = None
        self.priors = None
        self.display = {}
        if node is None:
            return
        for target in node.findall("Target"):
            if target.get("field") not in (None, target_name):
                continue
            factor = float(target.get("rescaleFactor", "1"))
            constant = float(target.get("rescaleConstant", "0"))
            cast = target.get("castInteger")
            low, high = float(target.get("min", "-inf")), float(target.get("max", "inf"))
            if (factor, constant, cast, low, high) != (1.0, 0.0, None, -math.inf, math.inf):
                self.rescale = (factor, constant, cast, low, high)
            values = target.findall("TargetValue")
            self.display.update(
                {v.get("value"): v.get("displayValue") for v in values if v.get("displayValue") is not None}
            )
            defaults = [v.get("defaultValue") for v in values if v.get("defaultValue") is not None]
            if defaults:
                self.default = float(defaults[0])
            priors = {
                v.get("value"): float(v.get("priorProbability"))
                for v in values
                if v.get("priorProbability") is not None
            }
            if priors:
                self.priors = priors

    def apply_one(self, prediction, categories, target_type):
        if prediction.value is None:
            if self.default is not None and categories is None:
                return Prediction(self.default)
            if self.priors and categories is not None:
                probabilities = {c: self.priors.get(str(c) if not isinstance(c, str) else c, 0.0) for c in categories}
                best = max(categories, key=lambda c: probabilities[c])
                return Prediction(best, probabilities)
            return prediction
        if self.rescale is not None and categories is None:
            return Prediction(
                _rescale(prediction.value, self.rescale),
                prediction.probabilities,
                prediction.entity_id,
                prediction.reason_codes,
                prediction.confidences,
            )
        return prediction

    def apply_many(self, prediction, categories, n):
        if categories is None and (self.default is not None or self.rescale is not None):
            value = np.asarray(prediction.value, dtype=np.float64).copy()
            if self.rescale is not None:
                factor, constant, cast, low, high = self.rescale
                value = np.clip(value * factor + constant, low, high)
                if cast == "round":
                    value = np.floor(value + 0.5)
                elif cast == "ceiling":
                    value = np.ceil(value)
                elif cast == "floor":
                    value = np.floor(value)
            if self.default is not None:
                value[np.isnan(value)] = self.default
            return Prediction(
                value, prediction.probabilities, prediction.entity_id, prediction.reason_codes, prediction.confidences
            )
        return prediction


def _rescale(value, rescale):
    factor, constant, cast, low, high = rescale
    value = min(max(value * factor + constant, low), high)
    if cast == "round":
        value = float(math.floor(value + 0.5))
    elif cast == "ceiling":
        value = float(math.ceil(value))
    elif cast == "floor":
        value = float(math.floor(value))
    return value


CORES = {}


def _core_class(tag, node):
    if not CORES:
        from .clustering import ClusteringCore
        from .mining import MiningCore
        from .naive_bayes import NaiveBayesCore
        from .neural import NeuralNetworkCore
        from .regression import GeneralRegressionCore, RegressionCore
        from .ruleset import RuleSetCore
        from .scorecard import ScorecardCore
        from .svm import SupportVectorMachineCore
        from .tree import TreeCore

        CORES.update(
            {"NeuralNetwork": NeuralNetworkCore, "NaiveBayesModel": NaiveBayesCore, "RuleSetModel": RuleSetCore}
        )
        CORES.update(
            {
                "ClusteringModel": ClusteringCore,
                "SupportVectorMachineModel": SupportVectorMachineCore,
                "RegressionModel": RegressionCore,
                "GeneralRegressionModel": GeneralRegressionCore,
                "TreeModel": TreeCore,
                "Scorecard": ScorecardCore,
                "MiningModel": MiningCore,
            }
        )
    if tag not in CORES:
        raise UnsupportedElement(f"{tag} is not supported by the native engine", node.where())
    return CORES[tag]


class ModelPipeline:
    """MiningSchema -> LocalTransformations -> model core -> Targets -> Output, for one model element."""

    def __init__(self, node, scope, data_fields, top_level):
        self.node = node
        self.tag = node.tag
        self.function_name = node.get("functionName")
        if self.function_name not in ("classification", "regression", "clustering"):
            raise UnsupportedElement(f"functionName {self.function_name!r}", node.where())
        schema = node.find("MiningSchema")
        if schema is None:
            raise ModelLoadError("the model has no MiningSchema", node.where())
        self.preparations, self.target_name = [], None
        for mining_field in schema.findall("MiningField"):
            name = mining_field.get("name")
            usage = mining_field.get("usageType", "active")
            if usage in ("target", "predicted"):
                self.target_name = self.target_name or name
                continue
            if usage not in ("active", "supplementary", "group", "order", "frequencyWeight", "analysisWeight"):
                continue
            data_field = data_fields.get(name)
            pmml_type = scope.type_of(name, mining_field)
            preparation = FieldPreparation(mining_field, data_field, pmml_type, validate=top_level)
            if top_level or not preparation.trivial:
                self.preparations.append(preparation)
        if self.target_name is not None and self.target_name in data_fields:
            target = data_fields[self.target_name]
            self.target_type = target.pmml_type
            categories = list(target.valid_values) if target.valid_values else None
        else:
            self.target_type = "double" if self.function_name == "regression" else "string"
            categories = None
        scope = scope.child()
        local = node.find("LocalTransformations")
        self.derived = compile_derived_fields(local.findall("DerivedField"), scope) if local is not None else []
        if self.function_name == "classification" and categories is None:
            categories = _categories_from_model(node, self.target_type)
        self.categories = categories if self.function_name == "classification" else None
        self.core = _core_class(self.tag, node)(node, scope, self.function_name, self.target_type, self.categories)
        if getattr(self.core, "categories", None) and self.function_name == "classification":
            self.categories = self.core.categories
        self.targets = Targets(node.find("Targets"), self.target_name)
        from .output import OutputFields

        self.output = OutputFields(node.find("Output"), scope, self)
        self.trivial = (
            not self.preparations
            and not self.derived
            and self.output.empty
            and self.targets.rescale is None
            and self.targets.default is None
            and self.targets.priors is None
        )
        self.scope = scope

    def predict_one(self, env):
        for preparation in self.preparations:
            env[preparation.name] = preparation.prepare_one(env.get(preparation.name))
        for name, expr in self.derived:
            env[name] = expr.scalar(env)
        prediction = self.targets.apply_one(self.core.predict_one(env), self.categories, self.target_type)
        self.output.write_one(env, prediction)
        return prediction

    def predict_many(self, env, n):
        for preparation in self.preparations:
            env[preparation.name] = preparation.prepare_many(env.get(preparation.name), n)
        for name, expr in self.derived:
            env[name] = expr.vector(env, n)
        prediction = self.targets.apply_many(self.core.predict_many(env, n), self.categories, n)
        self.output.write_many(env, prediction, n)
        return prediction


def _categories_from_model(node, target_type):
    values = []
    for table in node.findall("RegressionTable"):
        if table.get("targetCategory") is not None:
            values.append(table.get("targetCategory"))
    stack = [node]
    while stack and not values:
        item = stack.pop()
        for distribution in item.findall("ScoreDistribution"):
            if distribution.get("value") not in values:
                values.append(distribution.get("value"))
        stack.extend(child for child in item.children if child.tag in ("Node",))
    return [coerce(v, target_type) for v in values] or None


class CompiledDocument:
    def __init__(self, root):
        from ..reader import model_element

        self.data_fields = read_data_dictionary(root)
        scope = Scope({name: field.pmml_type for name, field in self.data_fields.items()}, data_fields=self.data_fields)
        dictionary = root.find("TransformationDictionary")
        if dictionary is not None and dictionary.findall("DefineFunction"):
            from .functions_user import compile_define_functions

            compile_define_functions(dictionary.findall("DefineFunction"), scope)
        self.derived = (
            compile_derived_fields(dictionary.findall("DerivedField"), scope) if dictionary is not None else []
        )
        self.scope = scope
        self.model = ModelPipeline(model_element(root), scope, self.data_fields, top_level=True)
        # Dictionary-level derived fields are computed after the MiningSchema treatments, like local ones.
        self.model.derived = self.derived + self.model.derived
