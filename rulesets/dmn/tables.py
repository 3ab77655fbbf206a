"""Decision tables: compiled rules, every hit policy, load-time checks and numpy batch evaluation."""

import decimal
from collections import namedtuple

from .errors import EvaluationError, ModelLoadError
from .feel import FeelSyntaxError, compile_feel_expression, compile_feel_unary_tests
from .feel.compiler import NOT_LITERAL, literal_value
from .feel.values import Decimal, compare, equal, kind_of
from .fields import strip_type_prefix

InputProblem = namedtuple("InputProblem", "decision input problem")  # problem: "null" | "mistyped"

KIND_OF_TYPE = {
    "number": "number",
    "string": "string",
    "boolean": "boolean",
    "date": "date",
    "date and time": "date and time",
    "datetime": "date and time",
    "time": "time",
    "days and time duration": "days and time duration",
    "dayTimeDuration": "days and time duration",
    "years and months duration": "years and months duration",
    "yearMonthDuration": "years and months duration",
    # vendor typeRefs (Camunda, Java and XML Schema names) are FEEL numbers
    "double": "number",
    "float": "number",
    "decimal": "number",
    "long": "number",
    "integer": "number",
    "int": "number",
    "short": "number",
}
AGGREGATIONS = {"SUM": "+", "COUNT": "#", "MIN": "<", "MAX": ">"}


def _order(left, right):
    """compare() extended to booleans (False < True), which FEEL does not order but sets need."""
    if type(left) is bool and type(right) is bool:
        return (left > right) - (left < right)
    return compare(left, right)


class Interval:
    """One positive literal test as an interval (a point is a closed interval of one value)."""

    __slots__ = ("low", "low_included", "high", "high_included", "kind")

    def __init__(self, low, low_included, high, high_included):
        self.low, self.low_included, self.high, self.high_included = low, low_included, high, high_included
        self.kind = kind_of(low if low is not None else high)

    @property
    def is_point(self):
        return (
            self.low is not None
            and self.low_included
            and self.high_included
            and self.high is not None
            and _order(self.low, self.high) == 0
        )

    def intersects(self, other):
        if self.kind != other.kind:
            return False
        low, low_included = _greater_low(self, other)
        high, high_included = _smaller_high(self, other)
        if low is None or high is None:
            return True
        order = _order(low, high)
        return order < 0 or (order == 0 and low_included and high_included)

    def contains(self, other):
        if self.kind != other.kind:
            return False
        if self.low is not None:
            if other.low is None:
                return False
            order = _order(other.low, self.low)
            if order < 0 or (order == 0 and other.low_included and not self.low_included):
                return False
        if self.high is not None:
            if other.high is None:
                return False
            order = _order(other.high, self.high)
            if order > 0 or (order == 0 and other.high_included and not self.high_included):
                return False
        return True


def _greater_low(a, b):
    if a.low is None:
        return b.low, b.low_included
    if b.low is None:
        return a.low, a.low_included
    order = _order(a.low, b.low)
    if order == 0:
        return a.low, a.low_included and b.low_included
    return (a.low, a.low_included) if order > 0 else (b.low, b.low_included)


def _smaller_high(a, b):
    if a.high is None:
        return b.high, b.high_included
    if b.high is None:
        return a.high, a.high_included
    order = _order(a.high, b.high)
    if order == 0:
        return a.high, a.high_included and b.high_included
    return (a.high, a.high_included) if order < 0 else (b.high, b.high_included)


class LiteralTest:
    """The analysable form of an input entry: `-`, or (not) a union of literal intervals."""

    __slots__ = ("any", "negated", "intervals", "null_point")

    def __init__(self, any_value=False, negated=False, intervals=(), null_point=False):
        self.any, self.negated, self.intervals, self.null_point = any_value, negated, list(intervals), null_point


def literal_test_of(tree):
    """LiteralTest for an input-entry AST, or None when it depends on names or expressions."""
    if tree[0] == "any":
        return LiteralTest(any_value=True)
    intervals, null_point = [], False
    for test in tree[1]:
        if test[0] == "compare input":
            operator, value = test[1], literal_value(test[2])
            if value is NOT_LITERAL or type(value) in (list, dict):
                return None
            if value is None:
                return None
            if operator == "<":
                intervals.append(Interval(None, False, value, False))
            elif operator == "<=":
                intervals.append(Interval(None, False, value, True))
            elif operator == ">":
                intervals.append(Interval(value, False, None, False))
            elif operator == ">=":
                intervals.append(Interval(value, True, None, False))
            elif operator == "=":
                intervals.append(Interval(value, True, value, True))
            else:
                return None
        else:
            node = test[1]
            if node[0] == "range":
                low, high = literal_value(node[2]), literal_value(node[3])
                if (
                    low is NOT_LITERAL
                    or high is NOT_LITERAL
                    or low is None
                    or high is None
                    or kind_of(low) != kind_of(high)
                ):
                    return None
                order = _order(low, high)
                if order is None or order > 0 or (order == 0 and not (node[1] and node[4])):
                    continue  # an empty range such as [0..0) matches nothing, so it overlaps nothing
                intervals.append(Interval(low, node[1], high, node[4]))
            elif node[0] == "open range":
                return literal_test_of(("tests", [("compare input", node[1], node[2])]))
            else:
                value = literal_value(node)
                if value is NOT_LITERAL or type(value) in (list, dict):
                    return None
                if value is None:
                    null_point = True
                else:
                    intervals.append(Interval(value, True, value, True))
    return LiteralTest(negated=tree[0] == "not", intervals=intervals, null_point=null_point)


def tests_provably_overlap(first, second):
    """True only when some value provably satisfies both tests."""
    if first is None or second is None or first.negated or second.negated:
        return False
    if first.any or second.any:
        other = second if first.any else first
        return other.any or bool(other.intervals) or other.null_point  # an empty test matches nothing
    if first.null_point and second.null_point:
        return True
    return any(a.intersects(b) for a in first.intervals for b in second.intervals)


def test_covers(wider, narrower):
    """True only when every value satisfying `narrower` provably satisfies `wider`."""
    if wider is None or narrower is None:
        return False
    if wider.any:
        return True
    if narrower.any or wider.negated or narrower.negated:
        return False
    if narrower.null_point and not wider.null_point:
        return False
    return all(any(w.contains(n) for w in wider.intervals) for n in narrower.intervals)


class CompiledRule:
    __slots__ = ("number", "checks", "outputs", "literal_tests", "output_constants")


class DecisionTable:
    """A compiled decision table; `evaluate(scope, problems)` returns the table's value."""

    def __init__(self, table, decision_name, known_names, available_names, input_types, item_definitions):
        self.decision_name = decision_name
        self.hit_policy = table.hit_policy
        self.aggregation = table.aggregation
        self.table = table
        where = "decision %r" % decision_name
        self.input_texts = [clause.text for clause in table.inputs]
        self.input_getters, self.input_names, self.input_kinds = [], [], []
        for column, clause in enumerate(table.inputs, 1):
            location = "%s, input %d (%s), line %s" % (where, column, clause.text, table.line)
            try:
                tree, getter = compile_feel_expression(clause.text, known_names)
            except FeelSyntaxError as error:
                raise ModelLoadError("FEEL syntax error in input expression: %s" % error, location) from None
            root = tree
            while root[0] == "path":
                root = root[1]
            if root[0] == "name" and root[1] not in available_names:
                raise ModelLoadError(
                    "unknown input %r: not an input data, decision or parameter the table can see" % root[1], location
                )
            if tree[0] == "name":
                name = tree[1]
                getter = _getter(name)
                self.input_names.append(name)
            else:
                self.input_names.append(None)
            self.input_getters.append(getter)
            type_ref = strip_type_prefix(clause.type_ref) or input_types.get(clause.text)
            self.input_kinds.append(_kind_of_type(type_ref, item_definitions))
        self.output_names = [clause.name for clause in table.outputs]
        self.output_order = []
        for clause in table.outputs:
            order = None
            if clause.output_values:
                try:
                    tree, _ = compile_feel_unary_tests(clause.output_values, known_names)
                    order = [literal_value(t[1]) for t in tree[1]] if tree[0] == "tests" else None
                except FeelSyntaxError as error:
                    raise ModelLoadError("FEEL syntax error in output values: %s" % error, where) from None
            self.output_order.append(order)
        self.defaults = []
        for clause in table.outputs:
            if clause.default_output:
                self.defaults.append(compile_feel_expression(clause.default_output, known_names)[1])
            else:
                self.defaults.append(None)
        self.rules = []
        for number, rule in enumerate(table.rules, 1):
            compiled = CompiledRule()
            compiled.number = number
            compiled.checks, compiled.literal_tests = [], []
            for column, text in enumerate(rule.input_entries):
                location = "%s, rule %d, input %d (%s), line %s" % (
                    where,
                    number,
                    column + 1,
                    table.inputs[column].text,
                    rule.line,
                )
                try:
                    tree, test = compile_feel_unary_tests(text or "-", known_names)
                except FeelSyntaxError as error:
                    raise ModelLoadError("FEEL syntax error in input entry %r: %s" % (text, error), location) from None
                compiled.literal_tests.append(literal_test_of(tree))
                if tree[0] != "any":
                    compiled.checks.append((column, test))
            compiled.outputs, compiled.output_constants = [], []
            for column, text in enumerate(rule.output_entries):
                location = "%s, rule %d, output %d, line %s" % (where, number, column + 1, rule.line)
                try:
                    tree, evaluate = compile_feel_expression(text or "null", known_names)
                except FeelSyntaxError as error:
                    raise ModelLoadError("FEEL syntax error in output entry %r: %s" % (text, error), location) from None
                compiled.outputs.append(evaluate)
                compiled.output_constants.append(literal_value(tree))
            compiled.checks = tuple(compiled.checks)
            self.rules.append(compiled)
        self._single_output = len(self.output_names) == 1
        self._validate(where)

    # ---------------------------------------------------------------- load-time checks
    def _validate(self, where):
        if self.hit_policy == "U":
            for index, first in enumerate(self.rules):
                for second in self.rules[index + 1 :]:
                    if all(tests_provably_overlap(a, b) for a, b in zip(first.literal_tests, second.literal_tests)):
                        raise ModelLoadError(
                            "rules %d and %d overlap under hit policy UNIQUE (every column: %s)"
                            % (first.number, second.number, ", ".join(self.input_texts)),
                            "%s, rule %d" % (where, second.number),
                        )
        if self.hit_policy == "F":
            for index, later in enumerate(self.rules):
                for earlier in self.rules[:index]:
                    if all(test_covers(a, b) for a, b in zip(earlier.literal_tests, later.literal_tests)):
                        raise ModelLoadError(
                            "rule %d is unreachable under hit policy FIRST: rule %d matches every input it matches"
                            % (later.number, earlier.number),
                            "%s, rule %d" % (where, later.number),
                        )

    # ---------------------------------------------------------------- single evaluation
    def input_values(self, scope, problems):
        values = [getter(scope) for getter in self.input_getters]
        if problems is not None:
            for column, value in enumerate(values):
                expected = self.input_kinds[column]
                if value is None:
                    problems.append(InputProblem(self.decision_name, self.input_texts[column], "null"))
                elif expected is not None and kind_of(value) != expected:
                    problems.append(InputProblem(self.decision_name, self.input_texts[column], "mistyped"))
        return values

    def matching_rules(self, values, scope):
        matched = []
        for rule in self.rules:
            for column, test in rule.checks:
                if test(values[column], scope) is not True:
                    break
            else:
                matched.append(rule)
        return matched

    def first_matching_rule(self, values, scope):
        for rule in self.rules:
            for column, test in rule.checks:
                if test(values[column], scope) is not True:
                    break
            else:
                return rule
        return None

    def rule_output(self, rule, scope):
        if self._single_output:
            return rule.outputs[0](scope)
        return {name: evaluate(scope) for name, evaluate in zip(self.output_names, rule.outputs)}

    def default_output(self, scope):
        if self._single_output:
            default = self.defaults[0]
            return default(scope) if default else None
        if not any(self.defaults):
            return None
        return {name: (default(scope) if default else None) for name, default in zip(self.output_names, self.defaults)}

    def evaluate(self, scope, problems=None):
        values = self.input_values(scope, problems)
        policy = self.hit_policy
        if policy == "F":
            rule = self.first_matching_rule(values, scope)
            return self.default_output(scope) if rule is None else self.rule_output(rule, scope)
        matched = self.matching_rules(values, scope)
        return self.combine(
            [self.rule_output(rule, scope) for rule in matched], [rule.number for rule in matched], scope
        )

    def combine(self, outputs, rule_numbers, scope):
        policy = self.hit_policy
        if not outputs and any(self.defaults):
            return self.default_output(scope)
        if policy in ("U", "A", "P", "F"):
            if not outputs:
                return self.default_output(scope)
            if len(outputs) == 1 or policy == "F":
                return outputs[0]
            if policy == "U":
                raise EvaluationError(
                    "rules %s all match under hit policy UNIQUE" % ", ".join(map(str, rule_numbers)),
                    "decision %r" % self.decision_name,
                )
            if policy == "A":
                if all(equal(outputs[0], other) is True for other in outputs[1:]):
                    return outputs[0]
                raise EvaluationError(
                    "rules %s match with different outputs under hit policy ANY" % ", ".join(map(str, rule_numbers)),
                    "decision %r" % self.decision_name,
                )
            return sorted(outputs, key=self._priority_key)[0]
        if policy == "R":
            return outputs
        if policy == "O":
            return sorted(outputs, key=self._priority_key)
        if self.aggregation is None:
            return outputs
        operator = AGGREGATIONS[self.aggregation]
        if operator == "#":
            return Decimal(len(outputs))
        if not outputs:
            return None
        if operator == "+":
            if not all(type(o) is Decimal for o in outputs):
                return None
            total = Decimal(0)
            for output in outputs:
                total += output
            return total
        if any(o is None for o in outputs) or len({kind_of(o) for o in outputs}) != 1:
            return None
        return min(outputs) if operator == "<" else max(outputs)

    def _priority_key(self, output):
        values = [output] if self._single_output else [output.get(n) for n in self.output_names]
        key = []
        for value, order in zip(values, self.output_order):
            if order is None:
                key.append(0)
                continue
            for position, candidate in enumerate(order):
                if equal(value, candidate) is True:
                    key.append(position)
                    break
            else:
                key.append(len(order))
        return key

    # ---------------------------------------------------------------- batch
    def vectorisable(self):
        """The tests and outputs numpy can evaluate column-wise (literal tests, constant outputs)."""
        if any(name is None for name in self.input_names):
            return False
        for rule in self.rules:
            if any(test is None for test in rule.literal_tests):
                return False
            if any(value is NOT_LITERAL for value in rule.output_constants):
                return False
        if any(default is not None for default in self.defaults):
            return False
        return True


def _getter(name):
    def get(scope):
        return scope.get(name)

    return get


def _kind_of_type(type_ref, item_definitions, depth=0):
    if not type_ref or depth > 10:
        return None
    type_ref = strip_type_prefix(type_ref)
    if type_ref in KIND_OF_TYPE:
        return KIND_OF_TYPE[type_ref]
    item = item_definitions.get(type_ref)
    if item is None or item.is_collection or item.components:
        return None
    return _kind_of_type(item.type_ref, item_definitions, depth + 1)


__all__ = ["DecisionTable", "InputProblem", "decimal"]
