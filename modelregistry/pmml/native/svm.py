"""SupportVectorMachineModel: kernels over a vector dictionary; OneAgainstOne votes or OneAgainstAll."""

import numpy as np

from ..errors import ModelLoadError, UnsupportedElement
from .expressions import parse_array
from .prediction import MISSING_PREDICTION, Prediction
from .values import coerce


class SupportVectorMachineCore:
    def __init__(self, node, scope, function_name, target_type, categories):
        self.function_name = function_name
        self.target_type = target_type
        if node.get("svmRepresentation", "SupportVectors") != "SupportVectors":
            raise UnsupportedElement("svmRepresentation Coefficients", node.where())
        self.method = node.get("classificationMethod", "OneAgainstAll")
        self.max_wins = node.get("maxWins", "false") == "true"
        self.threshold = float(node.get("threshold", "0"))
        self.kernel = self._kernel(node)
        dictionary = node.find("VectorDictionary")
        fields = dictionary.find("VectorFields")
        self.fields = []
        for child in fields.children:
            if child.tag == "FieldRef":
                scope.type_of(child.get("field"), child)
                self.fields.append((child.get("field"), None))
            elif child.tag == "CategoricalPredictor":
                name = child.get("name")
                self.fields.append((name, coerce(child.get("value"), scope.type_of(name, child))))
            else:
                raise UnsupportedElement(f"VectorFields entry {child.tag}", child.where())
        vectors = {}
        for instance in dictionary.findall("VectorInstance"):
            dense = instance.find("REAL-ARRAY") or instance.find("Array")
            if dense is not None:
                values = [float(v) for v in parse_array(dense)]
            else:
                sparse = instance.find("REAL-SparseArray")
                values = [0.0] * len(self.fields)
                indices = [int(i) for i in parse_array(sparse.find("Indices"))]
                entries = [float(v) for v in parse_array(sparse.find("REAL-Entries"))]
                for index, entry in zip(indices, entries):
                    values[index - 1] = entry
            vectors[instance.get("id")] = values
        self.machines = []
        for machine in node.findall("SupportVectorMachine"):
            ids = [v.get("vectorId") for v in machine.find("SupportVectors").findall("SupportVector")]
            coefficients = machine.find("Coefficients")
            alphas = np.array([float(c.get("value", "0")) for c in coefficients.findall("Coefficient")])
            if len(alphas) != len(ids):
                raise ModelLoadError("Coefficients do not match SupportVectors", coefficients.where())
            support = np.array([vectors[i] for i in ids]) if ids else np.zeros((0, len(self.fields)))
            target = machine.get("targetCategory")
            alternate = machine.get("alternateTargetCategory")
            self.machines.append(
                (
                    support,
                    alphas,
                    float(coefficients.get("absoluteValue", "0")),
                    coerce(target, target_type) if target is not None else None,
                    coerce(alternate, target_type) if alternate is not None else None,
                    float(machine.get("threshold", self.threshold)),
                )
            )
        if function_name == "classification":
            found = []
            for _, _, _, target, alternate, _ in self.machines:
                for c in (target, alternate):
                    if c is not None and c not in found:
                        found.append(c)
            self.categories = list(categories) if categories else found
        else:
            self.categories = None

    @staticmethod
    def _kernel(node):
        for child in node.children:
            if child.tag == "LinearKernelType":
                return lambda x, s: x @ s.T
            if child.tag == "PolynomialKernelType":
                gamma, coef0 = float(child.get("gamma", "1")), float(child.get("coef0", "1"))
                degree = float(child.get("degree", "1"))
                return lambda x, s: (gamma * (x @ s.T) + coef0) ** degree
            if child.tag == "RadialBasisKernelType":
                gamma = float(child.get("gamma", "1"))
                return lambda x, s: np.exp(-gamma * ((x[:, None, :] - s[None, :, :]) ** 2).sum(axis=2))
            if child.tag == "SigmoidKernelType":
                gamma, coef0 = float(child.get("gamma", "1")), float(child.get("coef0", "1"))
                return lambda x, s: np.tanh(gamma * (x @ s.T) + coef0)
        raise ModelLoadError("SupportVectorMachineModel has no kernel type", node.where())

    def _matrix(self, env, n):
        columns = []
        for name, value in self.fields:
            x = env[name]
            if value is None:
                columns.append(np.asarray(x, dtype=np.float64))
            else:
                column = (x == value).astype(np.float64)
                column[np.equal(x, None) if x.dtype == object else np.isnan(x)] = np.nan
                columns.append(column)
        return np.column_stack(columns) if columns else np.zeros((n, 0))

    def predict_many(self, env, n):
        matrix = self._matrix(env, n)
        missing = np.isnan(matrix).any(axis=1)
        decisions = [self.kernel(matrix, support) @ alphas + b for support, alphas, b, _, _, _ in self.machines]
        if self.function_name == "regression":
            value = decisions[0].copy()
            value[missing] = np.nan
            return Prediction(value)
        rows = []
        for i in range(n):
            rows.append(MISSING_PREDICTION if missing[i] else self._classify([float(d[i]) for d in decisions]))
        from .prediction import stack_predictions

        return stack_predictions(rows, self.categories, self.target_type, n)

    def _classify(self, decisions):
        if self.method == "OneAgainstOne":
            votes = {c: 0 for c in self.categories}
            for value, (_, _, _, target, alternate, threshold) in zip(decisions, self.machines):
                winner = target if ((value > threshold) if self.max_wins else (value < threshold)) else alternate
                votes[winner] = votes.get(winner, 0) + 1
            total = len(decisions)
            probabilities = {c: votes[c] / total for c in self.categories}
            best = max(votes.values())
            winner = [c for c in self.categories if votes[c] == best][0]
            return Prediction(winner, probabilities)
        if len(self.machines) == 1:
            (_, _, _, target, alternate, threshold), value = self.machines[0], decisions[0]
            winner = target if ((value > threshold) if self.max_wins else (value < threshold)) else alternate
            return Prediction(winner, {c: (1.0 if c == winner else 0.0) for c in self.categories})
        pairs = list(zip(decisions, (m[3] for m in self.machines)))
        value, winner = (max if self.max_wins else min)(pairs, key=lambda item: item[0])
        return Prediction(winner, None)

    def predict_one(self, env):
        arrays = {
            name: np.array([env[name]], dtype=object if isinstance(env[name], str) else np.float64)
            if env[name] is not None
            else np.array([np.nan])
            for name, _ in self.fields
        }
        prediction = self.predict_many(arrays, 1)
        value = prediction.value[0]
        if isinstance(value, float) and value != value:
            return MISSING_PREDICTION
        if value is None:
            return MISSING_PREDICTION
        probabilities = (
            {c: float(p[0]) for c, p in prediction.probabilities.items()} if prediction.probabilities else None
        )
        return Prediction(value.item() if hasattr(value, "item") else value, probabilities)
