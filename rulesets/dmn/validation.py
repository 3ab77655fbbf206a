"""Checks a DMN model for its author, as the editor shows beside the table.

- FEEL errors name the decision, the rule number and the column (the engine's own compiler finds them).
- For decision tables whose input entries are literal unary tests over numbers, strings and
  booleans (comparisons, ranges, value lists, `-`, `not(...)`), three questions are answered
  exactly, each with a counter-example input:
  overlaps under UNIQUE (two rules that match the same input), unreachable rules under FIRST
  (every input a rule matches is matched by an earlier rule) and gaps under the single-hit
  policies without a default output (an input no rule matches).

Each rule is a box: per column, the set of values its entry accepts, as a union of intervals.
Along one column, the endpoints of every set cut the domain into elementary cells (points and
the open stretches between them) that each set either contains or misses, so one representative
value per cell decides membership. Coverage questions recurse column by column over those cells,
carrying the rules that still contain the cell so far; the answer for (column, rules) is memoised.
The sets follow the engine's semantics (`feel/compiler.py`): a literal of another type than the
column never matches, and makes a `not(...)` around it match nothing.

Plain Python, no Django import: the Django side passes the dictionary's names and domains in.
"""

import decimal
from dataclasses import dataclass, field
from typing import Optional

from . import load, reader
from .errors import DmnError
from .feel import FeelSyntaxError, compile_feel_expression, compile_feel_unary_tests, vocabulary
from .feel.compiler import NOT_LITERAL, literal_value
from .feel.values import Decimal, kind_of
from .fields import strip_type_prefix
from .model import _collect_names

ERROR, WARNING, INFO = "error", "warning", "info"
SINGLE_HIT = ("U", "A", "P", "F")
DICTIONARY_KINDS = {"number": "number", "integer": "number", "string": "string", "boolean": "boolean"}
ANALYSED_KINDS = ("number", "string", "boolean")
NUMBER_TYPES = {"number", "decimal", "double", "float", "integer", "int", "long", "short"}
MAX_MESSAGES_PER_CHECK = 20
EXACT_PAIR_COST = 20  # an exact pair check costs about twenty hull comparisons
SEARCH_BUDGET = 400_000  # units of work per table (a rule pair's column, a cell against a rule) before giving up


@dataclass
class Message:
    severity: str  # error | warning | info
    code: str  # feel-syntax | mistyped-literal | unmapped-input | overlap | unreachable | never-matches | gap | ...
    text: str
    decision: Optional[str] = None
    rule: Optional[int] = None
    rules: tuple = ()
    column: Optional[str] = None
    counterexample: Optional[dict] = None  # {input expression: value}, values as the engine sees them
    columns: dict = field(default_factory=dict)  # {input expression: column label}, for display

    def as_dict(self):
        example = None
        if self.counterexample is not None:
            example = [
                {"column": self.columns.get(name, name), "input": name, "value": feel_text(value)}
                for name, value in self.counterexample.items()
            ]
        return {
            "severity": self.severity,
            "code": self.code,
            "message": self.text,
            "decision": self.decision,
            "rule": self.rule,
            "rules": list(self.rules),
            "column": self.column,
            "counterexample": example,
        }


def feel_text(value):
    """A value written as the FEEL literal a rule editor would type."""
    if value is None:
        return "-"
    if type(value) is bool:
        return "true" if value else "false"
    if type(value) is str:
        return '"%s"' % value.replace("\\", "\\\\").replace('"', '\\"')
    if type(value) is Decimal:
        text = format(value.normalize(), "f")
        return text
    return str(value)


# ---------------------------------------------------------------- value sets over one column
class _Too(Exception):
    """The table is too large to search exhaustively within the budget."""


class _NotLiteral(Exception):
    pass


class Interval(tuple):
    """(low, low_included, high, high_included); None as an end means unbounded."""

    __slots__ = ()

    def __new__(cls, low, low_included, high, high_included):
        return tuple.__new__(cls, (low, low_included and low is not None, high, high_included and high is not None))


EVERYTHING = (Interval(None, False, None, False),)
NOTHING = ()


class Domain:
    """The values of one column's type, with what density means for it."""

    def __init__(self, kind):
        self.kind = kind

    # membership of one value in a set (a tuple of intervals)
    def contains(self, intervals, value):
        for low, low_included, high, high_included in intervals:
            if low is not None and (value < low or (value == low and not low_included)):
                continue
            if high is not None and (value > high or (value == high and not high_included)):
                continue
            return True
        return False

    def cells(self, sets):
        """One representative value for each elementary cell the sets' endpoints cut the domain into."""
        if self.kind == "boolean":
            return [False, True]
        points = sorted(
            {
                end
                for intervals in sets
                for interval in intervals
                for end in (interval[0], interval[2])
                if end is not None
            }
        )
        if self.kind is None:
            return [None]
        representatives = []
        previous = None
        for point in points:
            between = self._between(previous, point)
            if between is not _EMPTY:
                representatives.append(between)
            representatives.append(point)
            previous = point
        after = self._between(previous, None)
        if after is not _EMPTY:
            representatives.append(after)
        return representatives

    def _between(self, low, high):
        """A value strictly between low and high (None: unbounded), or _EMPTY when there is none."""
        if self.kind == "number":
            return _number_between(low, high)
        return _string_between(low, high)

    def pick(self, intervals):
        """A value of the set, or _EMPTY."""
        for value in self.cells([intervals]):
            if self.contains(intervals, value):
                return value
        return _EMPTY


_EMPTY = object()


def _number_between(low, high):
    if low is None and high is None:
        return Decimal(0)
    if low is None:
        return _integral(high) - 1 if high == _integral(high) else _integral(high)
    if high is None:
        return _integral(low) + 1
    nearest = _integral(low) + 1
    if nearest < high:
        return nearest
    with decimal.localcontext() as context:
        context.prec = max(len(low.as_tuple().digits), len(high.as_tuple().digits)) + 30
        middle = (low + high) / 2
    return middle if low < middle < high else _EMPTY


def _integral(number):
    return number.to_integral_value(rounding=decimal.ROUND_FLOOR)


NICE_STRINGS = ("other", "x", "A", "a", "0", "")


def _string_between(low, high):
    """Strings are not dense: the least string above `low` is low + '\\0', and "" is the least of all."""
    candidates = list(NICE_STRINGS)
    if low is not None:
        candidates += [low + "a", low + "0", low + " ", low + "\0"]
    for candidate in candidates:
        if (low is None or candidate > low) and (high is None or candidate < high):
            return candidate
    return _EMPTY


def _intersection(domain, first, second):
    """A value in both sets, or _EMPTY."""
    for value in domain.cells([first, second]):
        if domain.contains(first, value) and domain.contains(second, value):
            return value
    return _EMPTY


# ---------------------------------------------------------------- entries -> sets
def _column_kind(type_ref, input_type):
    for candidate in (type_ref, input_type):
        name = (strip_type_prefix(candidate) or "").strip()
        if name.lower() in NUMBER_TYPES:
            return "number"
        if name in ("string", "boolean"):
            return name
        if name:
            return "other"
    return None


def _literal_kinds(tree):
    """Kinds of the literals a unary-test tree compares with (raises _NotLiteral for expressions)."""
    kinds = set()
    if tree[0] == "any":
        return kinds
    for test in tree[1]:
        for value in _test_literals(test):
            if value is not None:
                kinds.add(kind_of(value))
    return kinds


def _test_literals(test):
    if test[0] == "compare input":
        nodes = [test[2]]
    else:
        node = test[1]
        if node[0] == "range":
            nodes = [node[2], node[3]]
        elif node[0] == "open range":
            nodes = [node[2]]
        else:
            nodes = [node]
    values = [literal_value(node) for node in nodes]
    if any(value is NOT_LITERAL or type(value) in (list, dict) for value in values):
        raise _NotLiteral()
    return values


def _positive_test(test, kind):
    """(values the test holds for, whether it is null for every value of the column) for one test."""
    if test[0] == "expression test" and test[1][0] == "open range":
        test = ("compare input", test[1][1], test[1][2])
    if test[0] == "compare input":
        operator, value = test[1], _test_literals(test)[0]
        if value is None:
            # `= null` holds only for null, `!= null` for every value; an ordering with null is null.
            if operator in ("=", "!="):
                return (EVERYTHING if operator == "!=" else NOTHING), False
            return NOTHING, True
        if kind_of(value) != kind:
            return NOTHING, True
        if kind == "boolean" and operator not in ("=", "!="):
            raise _NotLiteral()  # the engine orders booleans in one path and not in another: not analysed
        return {
            "<": (Interval(None, False, value, False),),
            "<=": (Interval(None, False, value, True),),
            ">": (Interval(value, False, None, False),),
            ">=": (Interval(value, True, None, False),),
            "=": (Interval(value, True, value, True),),
            "!=": (Interval(None, False, value, False), Interval(value, False, None, False)),
        }[operator], False
    node = test[1]
    if node[0] == "range":
        low, high = _test_literals(test)
        if low is None or high is None or kind_of(low) != kind or kind_of(high) != kind or kind == "boolean":
            return NOTHING, True
        return (Interval(low, node[1], high, node[4]),), False
    value = _test_literals(test)[0]
    if value is None:
        return NOTHING, False  # the test `null` holds for null only
    if kind_of(value) != kind:
        return NOTHING, True
    return (Interval(value, True, value, True),), False


def _entry_set(tree, kind):
    """The set of non-null column values an input entry accepts (raises _NotLiteral)."""
    if tree[0] == "any":
        return EVERYTHING
    accepted, unknown = [], False
    for test in tree[1]:
        holds, is_null = _positive_test(test, kind)
        accepted.extend(holds)
        unknown = unknown or is_null
    if tree[0] == "tests":
        return tuple(accepted)
    if unknown:
        return NOTHING  # not(...) of a null verdict is null: the entry never matches
    return _complement(Domain(kind), tuple(accepted))


def _complement(domain, intervals):
    """The values of the domain outside `intervals`, as intervals between the elementary cells."""
    points = sorted({end for interval in intervals for end in (interval[0], interval[2]) if end is not None})
    result = []
    bounds = [None] + points + [None]
    for index in range(len(bounds) - 1):
        low, high = bounds[index], bounds[index + 1]
        if index > 0 and not domain.contains(intervals, low):
            result.append(Interval(low, True, low, True))
        stretch = Interval(low, False, high, False)
        representative = domain._between(low, high) if domain.kind != "boolean" else _EMPTY
        if representative is not _EMPTY and not domain.contains(intervals, representative):
            result.append(stretch)
    if domain.kind == "boolean":
        result = [Interval(v, True, v, True) for v in (False, True) if not domain.contains(intervals, v)]
    return tuple(result)


# ---------------------------------------------------------------- one table
class _Column:
    def __init__(self, clause, input_types):
        self.expression = clause.text
        self.label = clause.label or clause.text
        self.kind = _column_kind(clause.type_ref, input_types.get(clause.text))
        self.domain = None
        self.allowed = EVERYTHING


class _TableCheck:
    def __init__(self, decision, table, known_names, input_types, input_domains, messages):
        self.decision, self.table, self.known_names, self.messages = decision, table, known_names, messages
        self.columns = [_Column(clause, input_types) for clause in table.inputs]
        self.input_domains = input_domains or {}
        self.trees = []  # per rule, per column: the parsed unary tests, or None after a syntax error

    def add(self, severity, code, text, **where):
        self.messages.append(
            Message(
                severity,
                code,
                text,
                decision=self.decision,
                **where,
                columns={c.expression: c.label for c in self.columns},
            )
        )

    def where(self, number, column):
        return "Rule %d, column %s" % (number, self.columns[column].label)

    def compile_cells(self):
        for column, clause in enumerate(self.table.inputs):
            try:
                compile_feel_expression(clause.text or "", self.known_names)
            except FeelSyntaxError as error:
                self.add(
                    ERROR,
                    "feel-syntax",
                    "Column %s: the input expression is not valid FEEL: %s" % (self.columns[column].label, error),
                    column=self.columns[column].label,
                )
        for number, rule in enumerate(self.table.rules, 1):
            trees = []
            for column, text in enumerate(rule.input_entries):
                try:
                    tree, _ = compile_feel_unary_tests(text or "-", self.known_names)
                except FeelSyntaxError as error:
                    self.add(
                        ERROR,
                        "feel-syntax",
                        "%s: %r is not a valid input entry: %s" % (self.where(number, column), text, error),
                        rule=number,
                        column=self.columns[column].label,
                    )
                    tree = None
                trees.append(tree)
            self.trees.append(trees)
            for column, text in enumerate(rule.output_entries):
                try:
                    compile_feel_expression(text or "null", self.known_names)
                except FeelSyntaxError as error:
                    label = self.table.outputs[column].name or "output %d" % (column + 1)
                    self.add(
                        ERROR,
                        "feel-syntax",
                        "Rule %d, output %s: %r is not a valid FEEL expression: %s" % (number, label, text, error),
                        rule=number,
                        column=label,
                    )

    def analysable_boxes(self):
        """Each rule as a tuple of per-column sets, or None (with an info message) when not analysable."""
        if any(tree is None for trees in self.trees for tree in trees):
            return None
        try:
            for index, column in enumerate(self.columns):
                kinds = set()
                for trees in self.trees:
                    kinds |= _literal_kinds(trees[index])
                if column.kind is None:
                    column.kind = next(iter(kinds)) if len(kinds) == 1 else (None if not kinds else "mixed")
                if column.kind is not None and column.kind not in ANALYSED_KINDS:
                    self.add(
                        INFO,
                        "not-analysed",
                        "Column %s holds %s values: overlaps and gaps are checked only "
                        "for numbers, strings and booleans" % (column.label, column.kind),
                        column=column.label,
                    )
                    return None
                column.domain = Domain(column.kind)
                for number, trees in enumerate(self.trees, 1):
                    for value_kind in _literal_kinds(trees[index]) - {column.kind, "null"}:
                        if column.kind is not None:
                            self.add(
                                ERROR,
                                "mistyped-literal",
                                "%s: compares with a %s, but the column holds %ss; "
                                "this test never matches" % (self.where(number, index), value_kind, column.kind),
                                rule=number,
                                column=column.label,
                            )
                if column.kind is not None:
                    column.allowed = self._allowed(column)
            boxes = []
            for trees in self.trees:
                boxes.append(
                    tuple(
                        _entry_set(tree, column.kind) if column.kind is not None else EVERYTHING
                        for tree, column in zip(trees, self.columns)
                    )
                )
            return boxes
        except _NotLiteral:
            self.add(
                INFO,
                "not-analysed",
                "Overlaps and gaps are checked only for tables of literal tests "
                "(comparisons, ranges, lists, -, not(...)); this table uses expressions",
            )
            return None

    def _allowed(self, column):
        """The column's domain: its inputValues and the dictionary's bounds, when given."""
        allowed = EVERYTHING
        texts = [self.table.inputs[self.columns.index(column)].input_values, self.input_domains.get(column.expression)]
        for text in texts:
            if not text:
                continue
            try:
                tree, _ = compile_feel_unary_tests(text, self.known_names)
                restriction = _entry_set(tree, column.kind)
            except (FeelSyntaxError, _NotLiteral):
                continue
            allowed = _intersect_sets(column.domain, allowed, restriction)
        return allowed

    # ------------------------------------------------------------ the exact checks
    def check(self):
        self.compile_cells()
        boxes = self.analysable_boxes()
        if boxes is None:
            return
        self.budget = SEARCH_BUDGET
        try:
            live = []
            for number, box in enumerate(boxes, 1):
                empty = [
                    c
                    for c, values in enumerate(box)
                    if self.columns[c].kind is not None
                    and self.columns[c].domain.pick(
                        _intersect_sets(self.columns[c].domain, values, self.columns[c].allowed)
                    )
                    is _EMPTY
                ]
                if empty and self.table.hit_policy == "F":
                    self.add(
                        ERROR,
                        "unreachable",
                        "Rule %d is unreachable: column %s accepts no value" % (number, self.columns[empty[0]].label),
                        rule=number,
                        column=self.columns[empty[0]].label,
                    )
                elif empty:
                    self.add(
                        WARNING,
                        "never-matches",
                        "%s accepts no value, so rule %d never matches" % (self.where(number, empty[0]), number),
                        rule=number,
                        column=self.columns[empty[0]].label,
                    )
                else:
                    live.append((number, box))
            policy = self.table.hit_policy
            if policy in ("U", "A"):
                self.overlaps(live, policy)
            if policy == "F":
                self.unreachable(live)
            has_default = any(clause.default_output for clause in self.table.outputs)
            if policy in SINGLE_HIT and not has_default:
                self.gaps(live)
        except _Too:
            self.add(INFO, "too-large", "The table is too large to check for overlaps and gaps exhaustively here")

    def overlaps(self, live, policy):
        found = 0
        hulls = [tuple(_hull(values) for values in box) for _, box in live]
        for index, (first_number, first) in enumerate(live):
            for offset, (second_number, second) in enumerate(live[index + 1 :], index + 1):
                self.spend(1)
                if not all(_hulls_meet(a, b) for a, b in zip(hulls[index], hulls[offset])):
                    continue  # apart in some column: the exact check below cannot find a common input
                self.spend(EXACT_PAIR_COST * len(self.columns))
                example = {}
                for column, a, b in zip(self.columns, first, second):
                    if column.kind is None:
                        example[column.expression] = None
                        continue
                    value = _intersection(column.domain, _intersect_sets(column.domain, a, column.allowed), b)
                    if value is _EMPTY:
                        break
                    example[column.expression] = value
                else:
                    if policy == "A" and self._same_outputs(first_number, second_number):
                        continue
                    found += 1
                    if found > MAX_MESSAGES_PER_CHECK:
                        continue
                    text = (
                        "Rules %d and %d overlap under hit policy UNIQUE: both match %s"
                        if policy == "U"
                        else "Rules %d and %d overlap under hit policy ANY with different outputs: both match %s"
                    )
                    self.add(
                        ERROR,
                        "overlap",
                        text % (first_number, second_number, self.describe(example)),
                        rule=second_number,
                        rules=(first_number, second_number),
                        counterexample=example,
                    )
        self._more(found, "overlapping pairs")

    def _same_outputs(self, first, second):
        return [t.strip() for t in self.table.rules[first - 1].output_entries] == [
            t.strip() for t in self.table.rules[second - 1].output_entries
        ]

    def unreachable(self, live):
        found = 0
        for index, (number, box) in enumerate(live):
            earlier = [other for _, other in live[:index]]
            target = tuple(
                _intersect_sets(c.domain, values, c.allowed) if c.kind else values
                for c, values in zip(self.columns, box)
            )
            if self.uncovered(target, earlier) is not None:
                continue
            found += 1
            if found > MAX_MESSAGES_PER_CHECK:
                continue
            example = self.point_of(target)
            covering = next(n for n, other in live[:index] if self.matches(other, example))
            self.add(
                ERROR,
                "unreachable",
                "Rule %d is unreachable under hit policy FIRST: every input it matches "
                "is matched by an earlier rule (e.g. %s is taken by rule %d)"
                % (number, self.describe(example), covering),
                rule=number,
                rules=(covering, number),
                counterexample=example,
            )
        self._more(found, "unreachable rules")

    def gaps(self, live):
        target = tuple(c.allowed if c.kind else EVERYTHING for c in self.columns)
        example = self.uncovered(target, [box for _, box in live])
        if example is not None:
            self.add(
                WARNING,
                "gap",
                "No rule matches %s: the table gives null there (add a rule or a default "
                "output)" % self.describe(example),
                counterexample=example,
            )

    def _more(self, found, what):
        if found > MAX_MESSAGES_PER_CHECK:
            self.add(INFO, "truncated", "and %d more %s" % (found - MAX_MESSAGES_PER_CHECK, what))

    # ------------------------------------------------------------ helpers
    def spend(self, work):
        self.budget -= work
        if self.budget < 0:
            raise _Too()

    def matches(self, box, example):
        return all(
            column.kind is None or column.domain.contains(values, example[column.expression])
            for column, values in zip(self.columns, box)
        )

    def point_of(self, target):
        return {c.expression: (c.domain.pick(values) if c.kind else None) for c, values in zip(self.columns, target)}

    def describe(self, example):
        parts = [
            "%s = %s" % (c.label, feel_text(example[c.expression]))
            for c in self.columns
            if example[c.expression] is not None
        ]
        return ", ".join(parts) if parts else "every input"

    def uncovered(self, target, boxes):
        """A point of `target` (a set per column) inside no box, or None when the boxes cover it."""
        count = len(self.columns)
        memo = {}

        def search(column, alive):
            if not alive:
                rest = [
                    (c.domain.pick(target[k]) if c.kind else None) for k, c in enumerate(self.columns[column:], column)
                ]
                return rest
            if column == count:
                return None
            key = (column, alive)
            if key in memo:
                return memo[key]
            memo[key] = None
            spec = self.columns[column]
            if spec.kind is None:
                rest = search(column + 1, alive)
                memo[key] = None if rest is None else [None] + rest
                return memo[key]
            self.spend(len(alive))
            for value in spec.domain.cells([target[column]] + [boxes[i][column] for i in alive]):
                self.spend(len(alive))
                if not spec.domain.contains(target[column], value):
                    continue
                inside = frozenset(i for i in alive if spec.domain.contains(boxes[i][column], value))
                rest = search(column + 1, inside)
                if rest is not None:
                    memo[key] = [value] + rest
                    return memo[key]
            return None

        if any(c.kind and c.domain.pick(values) is _EMPTY for c, values in zip(self.columns, target)):
            return None
        point = search(0, frozenset(range(len(boxes))))
        return None if point is None else {c.expression: v for c, v in zip(self.columns, point)}


def _hull(intervals):
    """(lowest low, highest high) of a set, None for unbounded; () for the empty set."""
    if not intervals:
        return ()
    lows, highs = [i[0] for i in intervals], [i[2] for i in intervals]
    return (None if None in lows else min(lows), None if None in highs else max(highs))


def _hulls_meet(first, second):
    """False only when the two sets are certainly disjoint (ends compared inclusively)."""
    if first == () or second == ():
        return False
    return (first[0] is None or second[1] is None or first[0] <= second[1]) and (
        second[0] is None or first[1] is None or second[0] <= first[1]
    )


def _intersect_sets(domain, first, second):
    if first is EVERYTHING:
        return second
    if second is EVERYTHING:
        return first
    result = []
    for a in first:
        for b in second:
            low, low_included = _later_low(a, b)
            high, high_included = _earlier_high(a, b)
            interval = Interval(low, low_included, high, high_included)
            if domain.pick((interval,)) is not _EMPTY:
                result.append(interval)
    return tuple(result)


def _later_low(a, b):
    if a[0] is None or b[0] is None:
        return (b[0], b[1]) if a[0] is None else (a[0], a[1])
    if a[0] == b[0]:
        return a[0], a[1] and b[1]
    return (a[0], a[1]) if a[0] > b[0] else (b[0], b[1])


def _earlier_high(a, b):
    if a[2] is None or b[2] is None:
        return (b[2], b[3]) if a[2] is None else (a[2], a[3])
    if a[2] == b[2]:
        return a[2], a[3] and b[3]
    return (a[2], a[3]) if a[2] < b[2] else (b[2], b[3])


# ---------------------------------------------------------------- the model
def validate(source, *, known_inputs=None, input_domains=None, import_resolver=None):
    """Messages about a DMN model (path, text or bytes), most serious first.

    `known_inputs`: when given, {name: data type or None} of what a table input may read besides the
    model's own decisions (the data dictionary); every other input is an error naming its column,
    and so is a column whose typeRef contradicts the dictionary's type. A name of an imported model
    (`prefix.name`) is left to the engine, which loads the model with `import_resolver` (as `load`).
    `input_domains`: {input name: FEEL unary tests} narrowing a column's values for the gap check
    (the dictionary's bounds or allowed values).
    """
    messages = []
    try:
        definitions = reader.read_definitions(source)
    except DmnError as error:
        return [Message(ERROR, "model", str(error))]
    known_names = vocabulary(_collect_names(definitions))
    input_types = {d.name: d.type_ref for d in definitions.input_data}
    # A table may read another decision, or (as Camunda resolves them) the output names of the tables it requires.
    decision_names = {d.name for d in definitions.decisions} | {
        clause.name
        for d in definitions.decisions
        if isinstance(d.expression, reader.DecisionTable)
        for clause in d.expression.outputs
        if clause.name
    }
    imported = tuple(declared.name + "." for declared in definitions.imports if declared.name)
    for decision in definitions.decisions:
        table = decision.expression
        if not isinstance(table, reader.DecisionTable):
            continue
        check = _TableCheck(decision.name, table, known_names, input_types, input_domains, messages)
        if known_inputs is not None:
            for column in check.columns:
                name = column.expression.strip()
                if imported and name.startswith(imported):
                    continue
                if name not in known_inputs and name not in decision_names:
                    check.add(
                        ERROR,
                        "unmapped-input",
                        "Column %s reads %r, which is not a data-dictionary field: "
                        "choose the column from the dictionary" % (column.label, name),
                        column=column.label,
                    )
                    continue
                expected = DICTIONARY_KINDS.get(known_inputs.get(name) if isinstance(known_inputs, dict) else None)
                if expected and column.kind in ANALYSED_KINDS and column.kind != expected:
                    check.add(
                        ERROR,
                        "mistyped-input",
                        "Column %s is typed %s, but the dictionary field %r holds %ss"
                        % (column.label, column.kind, name, expected),
                        column=column.label,
                    )
        check.check()
    # The engine's own load-time checks are quadratic in rules: a table too large for the budget
    # here is not handed to it from the editor (submission still loads it).
    too_large = any(m.code == "too-large" for m in messages)
    if not too_large and not any(m.severity == ERROR for m in messages):
        try:
            load(source, import_resolver=import_resolver)
        except DmnError as error:
            messages.append(Message(ERROR, "model", str(error)))
    order = {ERROR: 0, WARNING: 1, INFO: 2}
    return sorted(messages, key=lambda m: order[m.severity])


__all__ = ["validate", "Message", "feel_text", "ERROR", "WARNING", "INFO"]
