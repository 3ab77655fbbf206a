"""TreeModel compiled to a binary decision graph, evaluated in batch with QuickScorer-style tables.

Each PMML Node with children c1..ck becomes a chain of binary decisions "does ci's predicate hold?"
with three edges (true, false, unknown), so every missingValueStrategy and noTrueChildStrategy is
an edge target. A decision reads one column (a field, or a synthetic 1/0/NaN column for compound
predicates). For a batch, the value range of every column splits into classes on which all its
decisions are constant; a table per column gives, per class, the bitmask of leaves still reachable
in every tree, and AND-ing one table row per column leaves exactly the exit leaf of each tree
(several trees at once when they form an ensemble). The scalar path walks the same graph.
"""

import bisect

import numpy as np

from ..errors import ModelLoadError, UnsupportedElement
from .expressions import compile_predicate, predicate_child
from .values import coerce, is_numeric

LEAF = -1


class Leaf:
    __slots__ = ("node", "penalty_steps")

    def __init__(self, node, penalty_steps=0):
        self.node = node  # a TreeNode, or None for a null prediction
        self.penalty_steps = penalty_steps


class Decision:
    __slots__ = ("column", "test", "missing_outcome", "true", "false", "missing", "boundaries")

    def __init__(self, column, test, boundaries, missing_outcome, true, false, missing):
        self.column, self.test, self.boundaries = column, test, boundaries
        self.missing_outcome = missing_outcome
        self.true, self.false, self.missing = true, false, missing


class TreeNode:
    __slots__ = (
        "id",
        "score",
        "probabilities",
        "confidences",
        "predicate",
        "children",
        "default_child",
        "record_count",
        "xml",
    )


def _read_node(node, scope, target_type, categories, counter):
    tree_node = TreeNode()
    counter[0] += 1
    tree_node.id = node.get("id", str(counter[0]))
    tree_node.xml = node
    score = node.get("score")
    tree_node.score = coerce(score, target_type) if score is not None else None
    predicate_node = predicate_child(node)
    if predicate_node is None:
        raise ModelLoadError("Node has no predicate", node.where())
    tree_node.predicate = compile_predicate(predicate_node, scope)
    tree_node.default_child = node.get("defaultChild")
    tree_node.record_count = float(node.get("recordCount", "nan"))
    distributions = node.findall("ScoreDistribution")
    if distributions and categories is not None:
        counts = {coerce(d.get("value"), target_type): float(d.get("recordCount", "0")) for d in distributions}
        given = {coerce(d.get("value"), target_type): d.get("probability") for d in distributions}
        total = sum(counts.values())
        probabilities = {}
        for category in categories:
            if given.get(category) is not None:
                probabilities[category] = float(given[category])
            else:
                probabilities[category] = counts.get(category, 0.0) / total if total > 0 else 0.0
        tree_node.probabilities = probabilities
        tree_node.confidences = {
            coerce(d.get("value"), target_type): float(d.get("confidence"))
            for d in distributions
            if d.get("confidence") is not None
        } or None
        if tree_node.score is None:
            tree_node.score = max(categories, key=lambda c: probabilities.get(c, 0.0))
    else:
        tree_node.probabilities = None
        tree_node.confidences = None
    tree_node.children = [_read_node(child, scope, target_type, categories, counter) for child in node.findall("Node")]
    return tree_node


class TreeProgram:
    """One tree as a decision graph: `root` is a Decision or Leaf."""

    def __init__(self, node, scope, function_name, target_type, categories):
        self.function_name = function_name
        self.target_type = target_type
        self.categories = categories
        self.missing_strategy = node.get("missingValueStrategy", "none")
        if self.missing_strategy not in ("none", "lastPrediction", "nullPrediction", "defaultChild"):
            raise UnsupportedElement(f"missingValueStrategy {self.missing_strategy!r}", node.where())
        self.no_true_child = node.get("noTrueChildStrategy", "returnNullPrediction")
        self.penalty = float(node.get("missingValuePenalty", "1"))
        root_xml = node.find("Node")
        if root_xml is None:
            raise ModelLoadError("TreeModel has no Node", node.where())
        self.synthetic = {}
        root = _read_node(root_xml, scope, target_type, categories, [0])
        self.root = self._decide(root, self._build(root, 0), Leaf(None), Leaf(None))
        self.shared = self._has_shared_targets()

    def _column_of(self, predicate):
        if predicate.simple is not None:
            name, test, boundaries, missing_outcome = predicate.simple
            return name, test, boundaries, missing_outcome
        key = f"\x00predicate{id(predicate)}"
        self.synthetic[key] = predicate
        return key, (lambda x: x == 1.0), (0.0, 1.0), None

    def _decide(self, tree_node, true, false, missing):
        predicate = tree_node.predicate
        if predicate.simple is None and not predicate.fields:
            # True/False predicates: no column to read.
            outcome = predicate.scalar({})
            return true if outcome else false
        column, test, boundaries, missing_outcome = self._column_of(predicate)
        if missing_outcome is not None:
            missing = true if missing_outcome else false
        return Decision(column, test, boundaries, missing_outcome, true, false, missing)

    def _build(self, tree_node, steps):
        if not tree_node.children:
            return Leaf(tree_node, steps)
        if self.no_true_child == "returnLastPrediction":
            chain = Leaf(tree_node, steps)
        else:
            chain = Leaf(None)
        built = {}
        for child in tree_node.children:
            built[id(child)] = self._build(child, steps)
        default = None
        if self.missing_strategy == "defaultChild" and tree_node.default_child is not None:
            matches = [c for c in tree_node.children if c.id == tree_node.default_child]
            if not matches:
                raise ModelLoadError(f"defaultChild {tree_node.default_child!r} is not a child", tree_node.xml.where())
            default = self._build(matches[0], steps + 1) if self.penalty != 1.0 else built[id(matches[0])]
        for child in reversed(tree_node.children):
            if self.missing_strategy == "lastPrediction":
                missing = Leaf(tree_node, steps + 1)
            elif self.missing_strategy == "nullPrediction":
                missing = Leaf(None)
            elif default is not None:
                missing = default
            else:
                missing = chain
            chain = self._decide(child, built[id(child)], chain, missing)
        return chain

    def _has_shared_targets(self):
        """True when a node is reachable from two different decisions (then tables do not apply)."""
        seen, stack = set(), [self.root]
        while stack:
            item = stack.pop()
            if isinstance(item, Leaf):
                continue
            for target in {
                id(item.true): item.true,
                id(item.false): item.false,
                id(item.missing): item.missing,
            }.values():
                if id(target) in seen:
                    return True
                seen.add(id(target))
                stack.append(target)
        return False

    # ------------------------------------------------------------- scalar path
    def leaf_one(self, env):
        item = self.root
        while not isinstance(item, Leaf):
            value = env[item.column] if item.column in env else None
            if value is None:
                item = item.missing
            elif item.test(value):
                item = item.true
            else:
                item = item.false
        return item

    def synthetic_one(self, env):
        for key, predicate in self.synthetic.items():
            env[key] = _boolean_value(predicate.scalar(env))

    def synthetic_many(self, env, n):
        for key, predicate in self.synthetic.items():
            env[key] = predicate.vector(env, n)


def _boolean_value(result):
    return None if result is None else (1.0 if result else 0.0)


def _leaves_and_decisions(root):
    leaves, decisions, stack = [], [], [root]
    while stack:
        item = stack.pop()
        if isinstance(item, Leaf):
            leaves.append(item)
        else:
            decisions.append(item)
            stack.extend(dict.fromkeys([item.missing, item.false, item.true]))
    return leaves, decisions


# One set of tables for a whole ensemble costs (classes of a column) x trees x words per column to
# build and hold, and (decisions on a column) x (classes of that column) tests: fine for boosting
# exports, whose splits reuse a few hundred bins per feature, but quadratic for an ensemble whose
# trees split one column at thousands of distinct thresholds (a 3 MB PMML took 96 s and would take
# gigabytes at 20 MB). Above these budgets an ensemble is evaluated tree by tree instead.
MAX_ENSEMBLE_TABLE_CELLS = 16_000_000
MAX_ENSEMBLE_TABLE_TESTS = 20_000_000


def ensemble_tables_fit(programs):
    """True when one set of TreeTables for `programs` stays within the budgets above."""
    boundaries, decisions_per_column, words = {}, {}, 1
    for program in programs:
        leaves, decisions = _leaves_and_decisions(program.root)
        words = max(words, (len(leaves) + 63) // 64)
        for decision in decisions:
            boundaries.setdefault(decision.column, set()).update(decision.boundaries)
            decisions_per_column[decision.column] = decisions_per_column.get(decision.column, 0) + 1
    classes = {column: 2 * len(values) + 2 for column, values in boundaries.items()}
    cells = sum(classes.values()) * len(programs) * words
    tests = sum(decisions_per_column[column] * count for column, count in classes.items())
    return cells <= MAX_ENSEMBLE_TABLE_CELLS and tests <= MAX_ENSEMBLE_TABLE_TESTS


class ColumnClasses:
    """Maps a column's values to classes on which every decision reading the column is constant."""

    def __init__(self, numeric, boundaries):
        self.numeric = numeric
        if numeric:
            self.points = np.array(sorted({float(b) for b in boundaries}), dtype=np.float64)
            m = len(self.points)
            self.count = 2 * m + 2
            self.missing_class = 2 * m + 1
        else:
            self.points = list(dict.fromkeys(boundaries))
            self.index = {value: i for i, value in enumerate(self.points)}
            self.count = len(self.points) + 2
            self.missing_class = len(self.points) + 1

    def representatives(self):
        """A present value inside each class (None for the missing class)."""
        if not self.numeric:
            return list(self.points) + ["\x00unknown"] + [None]
        points, out = self.points, []
        m = len(points)
        for i in range(m + 1):
            if i == 0:
                out.append(float(np.nextafter(points[0], -np.inf)) if m else 0.0)
            elif i == m:
                out.append(points[-1] + abs(points[-1]) + 1.0)
            else:
                out.append(float(np.nextafter(points[i - 1], np.inf)))
            if i < m:
                out.append(float(points[i]))
        out.append(None)
        return out

    def classify_many(self, values):
        if self.numeric:
            values = values.astype(np.float64, copy=False)
            index = np.searchsorted(self.points, values, side="left")
            exact = np.zeros(len(values), dtype=bool)
            inside = index < len(self.points)
            exact[inside] = self.points[index[inside]] == values[inside]
            classes = 2 * index + exact
            classes[np.isnan(values)] = self.missing_class
            return classes
        import pandas as pd

        series = pd.Series(values, dtype=object)
        classes = series.map(self.index).to_numpy(dtype=np.float64, na_value=len(self.points)).copy()
        classes[np.equal(values, None)] = self.missing_class
        return classes.astype(np.intp)


class TreeTables:
    """Exit leaves of several tree programs at once (the programs must not share targets)."""

    def __init__(self, programs, column_types):
        self.programs = programs
        self.leaves = []  # per tree: list of Leaf; bit i of the tree's mask stands for leaves[i]
        per_tree_decisions = []
        for program in programs:
            leaves, decisions = _leaves_and_decisions(program.root)
            self.leaves.append(leaves)
            per_tree_decisions.append(decisions)
        self.words = words = max(1, max((len(leaves) + 63) // 64 for leaves in self.leaves))
        trees = len(programs)
        # Only real leaves start as candidates, so unused high bits never look like an exit leaf.
        self.base = np.stack([_words((1 << len(leaves)) - 1, words) for leaves in self.leaves])
        columns = {}
        for tree, decisions in enumerate(per_tree_decisions):
            bits = _subtree_bits(self.programs[tree].root, {id(leaf): i for i, leaf in enumerate(self.leaves[tree])})
            for decision in decisions:
                below = bits[id(decision)]
                # Row 0/1/2: leaves kept when the decision takes its true/false/missing edge.
                keep = np.stack(
                    [
                        _words(~(below & ~bits[id(target)]) & ((1 << (64 * words)) - 1), words)
                        for target in (decision.true, decision.false, decision.missing)
                    ]
                )
                columns.setdefault(decision.column, []).append((tree, decision, keep))
        self.columns = []
        for column, entries in columns.items():
            numeric = is_numeric(column_types.get(column, "double")) or column.startswith("\x00")
            classes = ColumnClasses(numeric, [b for _, d, _ in entries for b in d.boundaries])
            representatives = classes.representatives()
            present = representatives[:-1]
            table = np.full((classes.count, trees, words), np.uint64(0xFFFFFFFFFFFFFFFF))
            for tree, decision, keep in entries:
                outcome = np.full(classes.count, 2, dtype=np.intp)
                outcome[:-1] = np.where(_test_all(decision.test, present, numeric), 0, 1)
                table[:, tree] &= keep[outcome]
            self.columns.append((column, classes, table.reshape(classes.count, trees * words)))

    def _stack_tables(self):
        """All column tables in one array, so one record needs one gather and one AND-reduction."""
        offsets, start = [], 0
        for _, classes, _table in self.columns:
            offsets.append(start)
            start += classes.count
        self._offsets = offsets
        trees, words = len(self.programs), self.words
        self._stacked = (
            np.concatenate([table for _, _, table in self.columns])
            if self.columns
            else np.zeros((0, trees * words), dtype=np.uint64)
        )
        self._stacked = np.concatenate([self._stacked, self.base.reshape(1, trees * words)])
        self._scalar_columns = [
            (
                column,
                classes.numeric,
                classes.points.tolist() if classes.numeric else classes.index,
                classes.missing_class,
                offset,
            )
            for (column, classes, _), offset in zip(self.columns, offsets)
        ]

    def exit_bits_one(self, env):
        """(trees,) exit leaf bits for one record (a dict of Python values)."""
        if not hasattr(self, "_stacked"):
            self._stack_tables()
        rows = []
        for column, numeric, points, missing_class, offset in self._scalar_columns:
            value = env.get(column)
            if value is None:
                rows.append(offset + missing_class)
            elif numeric:
                i = bisect.bisect_left(points, value)
                rows.append(offset + 2 * i + (i < len(points) and points[i] == value))
            else:
                rows.append(offset + points.get(value, len(points)))
        rows.append(len(self._stacked) - 1)
        surviving = np.bitwise_and.reduce(self._stacked[rows], axis=0).reshape(len(self.programs), self.words)
        if self.words == 1:
            return np.frexp(surviving[:, 0].astype(np.float64))[1].astype(np.intp) - 1
        exponent = np.frexp(surviving.astype(np.float64))[1]
        return np.where(exponent > 0, exponent - 1 + 64 * np.arange(self.words)[None, :], 0).sum(axis=1)

    def exit_bits(self, env, n, block=1024, reduce=None):
        """(n, trees) array of the exit leaf's bit index in each tree, or `reduce` of it, by block."""
        classes = []
        for column, column_classes, _table in self.columns:
            values = env.get(column)
            if values is None:
                values = np.full(n, np.nan) if column_classes.numeric else np.full(n, None, dtype=object)
            classes.append(column_classes.classify_many(values))
        reduce = reduce or (lambda bits: bits)
        if n <= block:
            return reduce(self._exit_bits(classes, n))
        # Blocks keep the (rows x trees) masks in cache.
        return np.concatenate(
            [
                reduce(self._exit_bits([c[start : start + block] for c in classes], min(block, n - start)))
                for start in range(0, n, block)
            ]
        )

    def _exit_bits(self, classes, n):
        trees, words = len(self.programs), self.words
        accumulator = np.broadcast_to(self.base.reshape(1, trees * words), (n, trees * words)).copy()
        for (_column, _column_classes, table), column_class in zip(self.columns, classes):
            np.bitwise_and(accumulator, table[column_class], out=accumulator)
        # Exactly one leaf bit survives per tree, so each word is zero or a power of two.
        accumulator = accumulator.reshape(n, trees, words)
        if words == 1:
            return np.frexp(accumulator[:, :, 0].astype(np.float64))[1].astype(np.intp) - 1
        bits = np.zeros((n, trees), dtype=np.intp)
        for word in range(words):
            exponent = np.frexp(accumulator[:, :, word].astype(np.float64))[1]
            bits += np.where(exponent > 0, exponent - 1 + 64 * word, 0)
        return bits


def _words(value, words):
    return np.array([(value >> (64 * w)) & 0xFFFFFFFFFFFFFFFF for w in range(words)], dtype=np.uint64)


def _subtree_bits(root, bit_of):
    """id(item) -> int bitmask of the leaves reachable from it."""
    bits = {}

    def visit(item):
        key = id(item)
        if key in bits:
            return bits[key]
        if isinstance(item, Leaf):
            value = 1 << bit_of[key]
        else:
            value = visit(item.true) | visit(item.false) | visit(item.missing)
        bits[key] = value
        return value

    import sys

    sys.setrecursionlimit(max(10000, sys.getrecursionlimit()))
    visit(root)
    return bits


def _test_all(test, values, numeric):
    if numeric:
        try:
            result = test(np.array(values, dtype=np.float64))
            if isinstance(result, np.ndarray) and result.shape == (len(values),):
                return result
        except (TypeError, ValueError):
            pass
    return np.array([bool(test(v)) for v in values], dtype=bool)


class LeafPayload:
    """Per (tree, bit) arrays of what a leaf predicts, for gathering after `exit_bits`."""

    def __init__(self, tables, categories, target_type):
        trees, width = len(tables.leaves), tables.words * 64
        self.null = np.ones((trees, width), dtype=bool)
        self.score = np.full((trees, width), np.nan)
        self.entity = np.full((trees, width), None, dtype=object)
        self.categories = categories
        if categories is not None:
            self.category_index = {c: i for i, c in enumerate(categories)}
            self.probabilities = np.full((trees, width, len(categories)), np.nan)
            self.confidences = np.full((trees, width, len(categories)), np.nan)
            self.has_confidences = False
        for tree, leaves in enumerate(tables.leaves):
            program = tables.programs[tree]
            for bit, leaf in enumerate(leaves):
                node = leaf.node
                if node is None:
                    continue
                self.null[tree, bit] = False
                self.entity[tree, bit] = node.id
                if categories is None:
                    self.score[tree, bit] = np.nan if node.score is None else float(node.score)
                    continue
                self.score[tree, bit] = self.category_index.get(node.score, np.nan)
                if node.probabilities is not None:
                    self.probabilities[tree, bit] = [node.probabilities.get(c, 0.0) for c in categories]
                else:
                    self.probabilities[tree, bit] = [1.0 if c == node.score else 0.0 for c in categories]
                if node.confidences is not None:
                    self.has_confidences = True
                    factor = program.penalty**leaf.penalty_steps
                    self.confidences[tree, bit] = [node.confidences.get(c, 0.0) * factor for c in categories]


class TreeCore:
    def __init__(self, node, scope, function_name, target_type, categories):
        self.program = TreeProgram(node, scope, function_name, target_type, categories)
        self.categories = categories
        self.target_type = target_type
        self.tables = None
        if not self.program.shared:
            self.tables = TreeTables([self.program], scope.types)
            self.payload = LeafPayload(self.tables, categories, target_type)

    def predict_one(self, env):
        self.program.synthetic_one(env)
        return leaf_prediction(self.program.leaf_one(env), self.program)

    def predict_many(self, env, n):
        from .prediction import rowwise

        self.program.synthetic_many(env, n)
        if self.tables is None:
            return rowwise(
                lambda row: leaf_prediction(self.program.leaf_one(row), self.program),
                env,
                n,
                self.categories,
                self.target_type,
            )
        bits = self.tables.exit_bits(env, n)[:, 0]
        return payload_prediction(self.payload, 0, bits, self.target_type)


def leaf_prediction(leaf, program):
    from .prediction import MISSING_PREDICTION, Prediction

    node = leaf.node
    if node is None:
        return MISSING_PREDICTION
    confidences = node.confidences
    if confidences is not None and leaf.penalty_steps:
        factor = program.penalty**leaf.penalty_steps
        confidences = {c: v * factor for c, v in confidences.items()}
    probabilities = node.probabilities
    if program.categories is not None and probabilities is None:
        probabilities = {c: (1.0 if c == node.score else 0.0) for c in program.categories}
    return Prediction(node.score, probabilities, node.id, None, confidences)


def payload_prediction(payload, tree, bits, target_type):
    from .prediction import Prediction

    entity = payload.entity[tree, bits]
    if payload.categories is None:
        return Prediction(payload.score[tree, bits], None, entity)
    index = payload.score[tree, bits]
    categories = payload.categories
    if is_numeric(target_type):
        lookup = np.array([float(c) for c in categories] + [np.nan])
    else:
        lookup = np.array(list(categories) + [None], dtype=object)
    value = lookup[np.where(np.isnan(index), len(categories), np.nan_to_num(index)).astype(np.intp)]
    probabilities = {c: payload.probabilities[tree, bits, k] for k, c in enumerate(categories)}
    confidences = None
    if payload.has_confidences:
        confidences = {c: payload.confidences[tree, bits, k] for k, c in enumerate(categories)}
    return Prediction(value, probabilities, entity, None, confidences)
