"""TreeSHAP (path-dependent, Lundberg et al. 2018, Algorithm 2) on the compiled trees of a PMML
tree ensemble, so that uploaded models get explanations too.

PMML does not always carry node record counts (the "cover" TreeSHAP weights paths by), so the
covers are counted by routing a reference frame (normally the training data) through the same
compiled decision graphs the engine evaluates. Contributions are per compiled column (a data field,
or a derived field of the model's own transformations). For a `sum` ensemble (boosting) the raw
output is the sum of the trees' scores (log-odds for a logistic link); for an `average` ensemble of
classification trees (a random forest) it is the average probability of `category`.
"""

import numpy as np

from ..errors import UnsupportedElement
from .mining import MiningCore
from .tree import Leaf, TreeCore


def _ensemble(pipeline):
    """(method, [(weight, TreeProgram)]) of the first tree ensemble in the model (depth first)."""
    core = getattr(pipeline, "core", None)
    if isinstance(core, MiningCore):
        segments = core.segments
        if (
            core.method in ("sum", "average", "weightedAverage")
            and segments
            and all(isinstance(getattr(p, "core", None), TreeCore) for _, p, _, _ in segments)
        ):
            return core.method, [(weight, p.core.program) for _, p, weight, _ in segments]
        for _, segment_pipeline, _, _ in segments:
            found = _ensemble(segment_pipeline)
            if found:
                return found
    if isinstance(core, TreeCore):
        return "sum", [(1.0, core.program)]
    return None


def _leaf_value(leaf, category):
    node = leaf.node
    if node is None:
        return 0.0
    if category is not None:
        probabilities = node.probabilities or {}
        if category in probabilities:
            return float(probabilities[category])
        # the category as the caller wrote it may differ in type from the target's (1 vs "1" vs 1.0)
        for key, value in probabilities.items():
            if str(key) == str(category) or _same_number(key, category):
                return float(value)
        return 0.0
    return float(node.score)


def _same_number(a, b):
    try:
        return float(a) == float(b)
    except (TypeError, ValueError):
        return False


def _route(item, values):
    """Per edge of a Decision: the boolean mask of `values` (one column) that takes it."""
    missing = np.array([v is None or (isinstance(v, float) and v != v) for v in values], dtype=bool)
    present = ~missing
    outcome = np.zeros(len(values), dtype=bool)
    if present.any():
        outcome[present] = [bool(item.test(v)) for v in values[present]]
    return {"true": present & outcome, "false": present & ~outcome, "missing": missing}


class _Node:
    """A Decision of one tree with, per distinct target, the share of the reference rows reaching
    this node that go there and the edges (true/false/missing) that lead there; counted once."""

    __slots__ = ("column", "test", "children")

    def __init__(self, column, test, children):
        self.column, self.test, self.children = column, test, children


class _Covered:
    """One tree with its covers counted from the reference frame once; `value` its expected output."""

    def __init__(self, program, reference_env, n_reference, category):
        self.category = category
        self.reference_env = reference_env
        self.root, self.value = self._build(program.root, np.arange(n_reference))
        del self.reference_env

    def _build(self, item, rows):
        if isinstance(item, Leaf):
            value = _leaf_value(item, self.category)
            return value, value
        masks = _route(item, np.asarray(self.reference_env[item.column], dtype=object)[rows])
        targets = {}
        for edge in ("true", "false", "missing"):
            target = getattr(item, edge)
            # two edges may lead to the same place (e.g. missing follows false): one branch
            entry = targets.setdefault(id(target), [target, np.zeros(len(rows), dtype=bool), set()])
            entry[1] |= masks[edge]
            entry[2].add(edge)
        children, expected = [], 0.0
        for target, mask, edges in targets.values():
            chosen = rows[mask]
            fraction = len(chosen) / len(rows) if len(rows) else 0.0
            child, child_value = self._build(target, chosen)
            expected += fraction * child_value
            children.append((child, fraction, frozenset(edges)))
        return _Node(item.column, item.test, children), expected


def _shap_recurse(item, env, path, zero, one, feature, phi):
    path = _extend([list(e) for e in path], zero, one, feature)
    if not isinstance(item, _Node):
        for i in range(1, len(path)):
            weight = _unwound_sum(path, i)
            phi[path[i][0]] = phi.get(path[i][0], 0.0) + weight * (path[i][2] - path[i][1]) * item
        return
    column = item.column
    value = env.get(column)
    if value is None or (isinstance(value, float) and value != value):
        hot = "missing"
    else:
        hot = "true" if item.test(value) else "false"
    incoming_zero, incoming_one = 1.0, 1.0
    for k in range(1, len(path)):
        if path[k][0] == column:
            incoming_zero, incoming_one = path[k][1], path[k][2]
            path = _unwind(path, k)
            break
    for child, fraction, edges in item.children:
        is_hot = hot in edges
        if not fraction and not is_hot:
            continue
        _shap_recurse(child, env, path, fraction * incoming_zero, incoming_one if is_hot else 0.0, column, phi)


def _extend(path, zero, one, feature):
    depth = len(path)
    path.append([feature, zero, one, 1.0 if depth == 0 else 0.0])
    for i in range(depth - 1, -1, -1):
        path[i + 1][3] += one * path[i][3] * (i + 1) / (depth + 1)
        path[i][3] = zero * path[i][3] * (depth - i) / (depth + 1)
    return path


def _unwind(path, index):
    depth = len(path) - 1
    one, zero = path[index][2], path[index][1]
    next_one = path[depth][3]
    weights = [e[3] for e in path]
    for i in range(depth - 1, -1, -1):
        if one != 0:
            tmp = weights[i]
            weights[i] = next_one * (depth + 1) / ((i + 1) * one)
            next_one = tmp - weights[i] * zero * (depth - i) / (depth + 1)
        else:
            weights[i] = weights[i] * (depth + 1) / (zero * (depth - i))
    result = []
    for i, element in enumerate(path[:depth]):
        result.append([element[0], element[1], element[2], weights[i]])
    for i in range(index, depth):
        result[i][0], result[i][1], result[i][2] = path[i + 1][0], path[i + 1][1], path[i + 1][2]
    return result


def _unwound_sum(path, index):
    depth = len(path) - 1
    one, zero = path[index][2], path[index][1]
    next_one = path[depth][3]
    total = 0.0
    for i in range(depth - 1, -1, -1):
        if one != 0:
            tmp = next_one * (depth + 1) / ((i + 1) * one)
            total += tmp
            next_one = path[i][3] - tmp * zero * (depth - i) / (depth + 1)
        else:
            total += (path[i][3] / zero) / ((depth - i) / (depth + 1))
    return total


class TreeExplainer:
    """TreeSHAP for the tree ensemble of a NativeModel, with the covers counted from `reference` once.

    `reference`: a pandas frame of the model's arguments whose rows give the covers (the training
    data, or a sample of it). `category`: for classification trees, the class whose probability is
    explained. Build it once per model; `explain(env)` is then one pass over each tree.
    """

    def __init__(self, model, reference, *, category=None):
        found = _ensemble(model._pipeline)
        if not found:
            raise UnsupportedElement("tree contributions: the model has no tree ensemble")
        method, programs = found
        self.programs = [program for _, program in programs]
        reference_env, _ = model._predict_many(reference)
        for program in self.programs:
            if program.synthetic:
                program.synthetic_many(reference_env, len(reference))
        total_weight = sum(weight for weight, _ in programs)
        self.trees = []
        self.base_value = 0.0
        for weight, program in programs:
            scale = weight / total_weight if method in ("average", "weightedAverage") else weight
            covered = _Covered(program, reference_env, len(reference), category)
            self.trees.append((scale, covered.root))
            self.base_value += scale * covered.value
        # a compound predicate is a column of its own; its contribution belongs to the fields it reads
        self.column_fields = {
            key: tuple(sorted(predicate.fields))
            for program in self.programs
            for key, predicate in program.synthetic.items()
        }

    def explain(self, env):
        """(base value, {column: contribution}) for `env`, a record's environment after evaluation."""
        for program in self.programs:
            if program.synthetic:
                program.synthetic_one(env)
        phi = {}
        for scale, root in self.trees:
            tree_phi = {}
            _shap_recurse(root, env, [], 1.0, 1.0, None, tree_phi)
            for column, value in tree_phi.items():
                phi[column] = phi.get(column, 0.0) + scale * value
        return self.base_value, phi


def tree_contributions(model, record, reference, *, category=None):
    """(base value, {column: contribution}) of `record` for the tree ensemble in the NativeModel `model`.

    `reference`: a pandas frame of the model's arguments whose rows give the covers (the training data).
    `category`: for classification trees, the class whose probability is explained.
    base value + sum of contributions == the ensemble's raw output for `record`.
    """
    explainer = TreeExplainer(model, reference, category=category)
    env, _ = model._predict_one(record)
    return explainer.explain(env)
