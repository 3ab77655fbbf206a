"""NeuralNetwork: feed-forward layers with the PMML activation functions and layer normalisation."""

import math

import numpy as np

from ..errors import UnsupportedElement
from .compile_helpers import inverse_norm_continuous
from .expressions import compile_expression, expression_child
from .prediction import Prediction, first_row, one_row_env, vector_argmax
from .values import coerce

ACTIVATIONS = {
    "logistic": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "tanh": np.tanh,
    "identity": lambda z: z,
    "exponential": np.exp,
    "reciprocal": lambda z: 1.0 / z,
    "square": lambda z: z * z,
    "Gauss": lambda z: np.exp(-z * z),
    "sine": np.sin,
    "cosine": np.cos,
    "Elliott": lambda z: z / (1.0 + np.abs(z)),
    "arctan": lambda z: 2.0 * np.arctan(z) / math.pi,
    "rectifier": lambda z: np.maximum(z, 0.0),
}


class NeuralNetworkCore:
    def __init__(self, node, scope, function_name, target_type, categories):
        self.function_name = function_name
        self.target_type = target_type
        self.scope = scope
        default_activation = node.get("activationFunction")
        default_normalization = node.get("normalizationMethod", "none")
        default_threshold = float(node.get("threshold", "0"))
        self.inputs = []
        for neural_input in node.find("NeuralInputs").findall("NeuralInput"):
            derived = neural_input.find("DerivedField")
            self.inputs.append((neural_input.get("id"), compile_expression(expression_child(derived), scope)))
        self.layers = []
        for layer in node.findall("NeuralLayer"):
            activation = layer.get("activationFunction", default_activation)
            if activation == "threshold":
                threshold = float(layer.get("threshold", default_threshold))
                function = (lambda t: lambda z: np.where(z > t, 1.0, 0.0))(threshold)
            elif activation in ACTIVATIONS:
                function = ACTIVATIONS[activation]
            else:
                raise UnsupportedElement(f"activationFunction {activation!r}", layer.where())
            neurons = []
            for neuron in layer.findall("Neuron"):
                connections = [(c.get("from"), float(c.get("weight"))) for c in neuron.findall("Con")]
                neurons.append((neuron.get("id"), float(neuron.get("bias", "0")), connections))
            normalization = layer.get("normalizationMethod", default_normalization)
            if normalization not in ("none", "softmax", "simplemax"):
                raise UnsupportedElement(f"normalizationMethod {normalization!r}", layer.where())
            self.layers.append((function, normalization, neurons))
        self.outputs = []
        for output in node.find("NeuralOutputs").findall("NeuralOutput"):
            expression = expression_child(output.find("DerivedField"))
            self.outputs.append((output.get("outputNeuron"), expression))
        if function_name == "classification":
            found = []
            for _neuron, expression in self.outputs:
                if expression.tag != "NormDiscrete":
                    raise UnsupportedElement("classification NeuralOutput without NormDiscrete", expression.where())
                found.append(coerce(expression.get("value"), target_type))
            # The output neurons define the classes (a DataField may list extra values, e.g. MISSING_VALUE).
            self.categories = found
            self.category_neuron = {coerce(e.get("value"), target_type): n for n, e in self.outputs}
        else:
            self.categories = None
            if len(self.outputs) != 1:
                raise UnsupportedElement("regression NeuralNetwork with several outputs", node.where())
            neuron, expression = self.outputs[0]
            if expression.tag == "FieldRef":
                self.denormalise = lambda y: y
            elif expression.tag == "NormContinuous":
                self.denormalise = inverse_norm_continuous(expression)
            else:
                raise UnsupportedElement(f"NeuralOutput {expression.tag}", expression.where())

    def predict_many(self, env, n):
        values = {}
        for neuron_id, expression in self.inputs:
            values[neuron_id] = np.asarray(expression.vector(env, n), dtype=np.float64)
        for function, normalization, neurons in self.layers:
            outputs = []
            for _neuron_id, bias, connections in neurons:
                z = np.full(n, bias)
                for source, weight in connections:
                    z = z + weight * values[source]
                outputs.append(z)
            with np.errstate(all="ignore"):
                activated = np.array([function(z) for z in outputs]) if outputs else np.zeros((0, n))
                if normalization == "softmax":
                    exps = np.exp(activated - activated.max(axis=0))
                    activated = exps / exps.sum(axis=0)
                elif normalization == "simplemax":
                    activated = activated / activated.sum(axis=0)
            for (neuron_id, _, _), output in zip(neurons, activated):
                values[neuron_id] = output
        if self.function_name == "regression":
            return Prediction(self.denormalise(values[self.outputs[0][0]]))
        probabilities = {c: values[self.category_neuron[c]] for c in self.categories}
        return Prediction(vector_argmax(self.categories, probabilities, n, self.target_type), probabilities)

    def predict_one(self, env):
        return first_row(self.predict_many(one_row_env(env, self.scope.types), 1))
