"""NaiveBayesModel: count tables for discrete inputs, Gaussian densities for continuous ones."""

import math

import numpy as np

from ..errors import UnsupportedElement
from .expressions import compile_expression, expression_child
from .prediction import Prediction, first_row, one_row_env, vector_argmax
from .values import coerce


class NaiveBayesCore:
    def __init__(self, node, scope, function_name, target_type, categories):
        if function_name != "classification":
            raise UnsupportedElement("NaiveBayesModel other than classification", node.where())
        self.scope = scope
        self.target_type = target_type
        self.threshold = float(node.get("threshold", "0"))
        output = node.find("BayesOutput")
        priors = {
            coerce(c.get("value"), target_type): float(c.get("count"))
            for c in output.find("TargetValueCounts").findall("TargetValueCount")
        }
        self.categories = list(priors)
        self.priors = np.array([priors[c] for c in self.categories])
        self.inputs = []
        for bayes_input in node.find("BayesInputs").findall("BayesInput"):
            name = bayes_input.get("fieldName")
            derived = bayes_input.find("DerivedField")
            expression = compile_expression(expression_child(derived), scope) if derived is not None else None
            field_type = expression.pmml_type if expression is not None else scope.type_of(name, bayes_input)
            stats = bayes_input.find("TargetValueStats")
            if stats is not None:
                gaussians = {}
                for stat in stats.findall("TargetValueStat"):
                    distribution = stat.find("GaussianDistribution")
                    if distribution is None:
                        raise UnsupportedElement("TargetValueStat other than GaussianDistribution", stat.where())
                    gaussians[coerce(stat.get("value"), target_type)] = (
                        float(distribution.get("mean")),
                        float(distribution.get("variance")),
                    )
                self.inputs.append(
                    (
                        name,
                        expression,
                        "gaussian",
                        np.array([gaussians[c][0] for c in self.categories]),
                        np.array([gaussians[c][1] for c in self.categories]),
                    )
                )
                continue
            table = {}
            for pair in bayes_input.findall("PairCounts"):
                counts = {
                    coerce(c.get("value"), target_type): float(c.get("count"))
                    for c in pair.find("TargetValueCounts").findall("TargetValueCount")
                }
                table[coerce(pair.get("value"), field_type)] = np.array([counts.get(c, 0.0) for c in self.categories])
            totals = np.sum(list(table.values()), axis=0)
            self.inputs.append((name, expression, "counts", table, totals))

    def predict_many(self, env, n):
        log_likelihood = np.tile(np.log(self.priors), (n, 1))
        for name, expression, kind, first, second in self.inputs:
            values = expression.vector(env, n) if expression is not None else env[name]
            if kind == "gaussian":
                x = np.asarray(values, dtype=np.float64)[:, None]
                density = np.exp(-((x - first) ** 2) / (2 * second)) / np.sqrt(2 * math.pi * second)
                density = np.where(density > self.threshold, density, self.threshold) if self.threshold else density
                contribution = np.log(density)
                contribution[np.isnan(x[:, 0])] = 0.0
            else:
                contribution = np.zeros((n, len(self.categories)))
                for i, value in enumerate(values):
                    if value is None or (isinstance(value, float) and value != value) or value not in first:
                        continue
                    probabilities = first[value] / second
                    probabilities = np.where(probabilities > 0, probabilities, self.threshold)
                    with np.errstate(divide="ignore"):
                        contribution[i] = np.log(probabilities)
            log_likelihood += contribution
        log_likelihood -= log_likelihood.max(axis=1, keepdims=True)
        likelihood = np.exp(log_likelihood)
        likelihood /= likelihood.sum(axis=1, keepdims=True)
        probabilities = {c: likelihood[:, k] for k, c in enumerate(self.categories)}
        return Prediction(vector_argmax(self.categories, probabilities, n, self.target_type), probabilities)

    def predict_one(self, env):
        return first_row(self.predict_many(one_row_env(env, self.scope.types), 1))
