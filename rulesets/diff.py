"""A readable, cell-by-cell difference between two versions of a ruleset's DMN.

Per decision table: hit policy, columns added or removed, and rules added, removed, changed
(each changed cell as column: old → new) or moved (order matters under FIRST, PRIORITY, RULE
ORDER and OUTPUT ORDER). Rules are matched by their DMN id where both versions have it (dmn-js
keeps ids across edits), the rest by content, so an edited cell reads as one change rather than
a removal and an addition. Other decisions are compared by their expression text.
"""

import bisect
import difflib
from dataclasses import dataclass, field

from core.exceptions import ArgumentError
from modelregistry import engines

ORDER_SENSITIVE = {"F": "FIRST", "P": "PRIORITY", "R": "RULE ORDER", "O": "OUTPUT ORDER"}
HIT_POLICY_NAMES = {"U": "UNIQUE", "A": "ANY", "C": "COLLECT", **ORDER_SENSITIVE}
ANNOTATION = "annotation"


@dataclass
class CellChange:
    column: str
    old: str
    new: str

    def __str__(self):
        return f"{self.column}: {self.old or '(empty)'} → {self.new or '(empty)'}"


@dataclass
class RuleChange:
    kind: str  # added | removed | changed | moved
    old_number: int | None
    new_number: int | None
    cells: list = field(default_factory=list)  # CellChange, for changed
    entries: dict = field(default_factory=dict)  # column → text, for added and removed

    def __str__(self):
        if self.kind == "added":
            return f"rule {self.new_number} added: " + _entries_text(self.entries)
        if self.kind == "removed":
            return f"rule {self.old_number} removed: " + _entries_text(self.entries)
        where = f"rule {self.new_number}" + (
            f" (was rule {self.old_number})" if self.old_number != self.new_number else ""
        )
        if self.kind == "moved":
            return f"{where} moved"
        return f"{where} changed: " + "; ".join(str(cell) for cell in self.cells)


@dataclass
class TableDiff:
    decision: str
    status: str  # added | removed | changed
    hit_policy: tuple | None = None  # (old, new) when it changed
    columns_added: list = field(default_factory=list)
    columns_removed: list = field(default_factory=list)
    rules: list = field(default_factory=list)  # RuleChange
    expression: tuple | None = None  # (old, new) text of a decision that is not a table

    def lines(self):
        if self.status in ("added", "removed"):
            return [f"Decision {self.decision!r} {self.status}."]
        lines = [f"Decision {self.decision!r}:"]
        if self.hit_policy:
            lines.append(f"  hit policy: {self.hit_policy[0]} → {self.hit_policy[1]}")
        if self.columns_added:
            lines.append("  columns added: " + ", ".join(self.columns_added))
        if self.columns_removed:
            lines.append("  columns removed: " + ", ".join(self.columns_removed))
        if self.expression:
            lines.append(f"  expression: {self.expression[0]} → {self.expression[1]}")
        lines.extend(f"  {rule}" for rule in self.rules)
        return lines


@dataclass
class DmnDiff:
    tables: list  # TableDiff, only what changed

    @property
    def is_empty(self):
        return not self.tables

    def text(self):
        if self.is_empty:
            return "No difference in the decisions."
        return "\n".join(line for table in self.tables for line in table.lines())


def _entries_text(entries):
    return ", ".join(f"{column} = {text or '-'}" for column, text in entries.items())


@dataclass
class _Table:
    hit_policy: str
    inputs: list  # column names
    outputs: list
    rules: list  # [(id or None, {column: text})]

    @property
    def columns(self):
        return self.inputs + self.outputs


def _local(tag):
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(element, name):
    return [child for child in element if _local(child.tag) == name]


def _child_text(element, name):
    for child in element:
        if _local(child.tag) == name:
            text = next((c for c in child if _local(c.tag) == "text"), None)
            return ((text.text if text is not None else child.text) or "").strip()
    return ""


def _unique(names):
    seen, result = {}, []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        result.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return result


def _read(xml):
    """{decision name: _Table or expression text} of a DMN document, via the engine's reader."""
    try:
        definitions, root = engines.dmn_document(xml)
    except engines.load_error_class("dmn") as error:
        raise ArgumentError("dmnXml", f"The DMN cannot be read: {error}") from None
    elements = {element.get("name"): element for element in root if _local(element.tag) == "decision"}
    decisions = {}
    for decision in definitions.decisions:
        expression = decision.expression
        if hasattr(expression, "rules") and hasattr(expression, "hit_policy"):  # the reader's DecisionTable
            inputs = _unique(
                [clause.label or clause.text or f"input {n}" for n, clause in enumerate(expression.inputs, 1)]
            )
            single = len(expression.outputs) == 1
            outputs = _unique(
                [
                    clause.name or (decision.name if single else f"output {n}")
                    for n, clause in enumerate(expression.outputs, 1)
                ]
            )
            table_element = next((c for c in elements[decision.name].iter() if _local(c.tag) == "decisionTable"), None)
            rule_elements = _children(table_element, "rule") if table_element is not None else []
            rules = []
            for position, rule in enumerate(expression.rules):
                element = rule_elements[position] if position < len(rule_elements) else None
                cells = dict(zip(inputs, (text.strip() for text in rule.input_entries)))
                cells.update(zip(outputs, (text.strip() for text in rule.output_entries)))
                annotation = ""
                if element is not None:  # DMN 1.2+ annotation entries, or a rule's description (1.1)
                    annotation = " | ".join(
                        _child_text(entry, "text") for entry in _children(element, "annotationEntry")
                    ) or next(((c.text or "").strip() for c in element if _local(c.tag) == "description"), "")
                if annotation:
                    cells[ANNOTATION] = annotation
                rules.append((element.get("id") if element is not None else None, cells))
            decisions[decision.name] = _Table(
                expression.hit_policy + (f" {expression.aggregation}" if expression.aggregation else ""),
                inputs,
                outputs,
                rules,
            )
        elif hasattr(expression, "text") and isinstance(expression.text, str):  # a LiteralExpression
            decisions[decision.name] = expression.text.strip()
        else:
            decisions[decision.name] = repr(expression)
    return decisions


def _policy_name(code):
    policy, _, aggregation = code.partition(" ")
    return HIT_POLICY_NAMES.get(policy, policy) + (f" {aggregation}" if aggregation else "")


def _match_rules(old, new):
    """[(old index or None, new index or None)]: by id first, then by content order."""
    old_ids = [rule_id for rule_id, _ in old.rules]
    new_ids = [rule_id for rule_id, _ in new.rules]
    usable = {
        rule_id
        for rule_id in set(old_ids) & set(new_ids)
        if rule_id and old_ids.count(rule_id) == 1 and new_ids.count(rule_id) == 1
    }
    pairs = [(old_ids.index(rule_id), new_ids.index(rule_id)) for rule_id in usable]
    old_rest = [i for i, rule_id in enumerate(old_ids) if rule_id not in usable]
    new_rest = [j for j, rule_id in enumerate(new_ids) if rule_id not in usable]
    key = lambda table, index: tuple(sorted(table.rules[index][1].items()))  # noqa: E731
    matcher = difflib.SequenceMatcher(
        a=[key(old, i) for i in old_rest], b=[key(new, j) for j in new_rest], autojunk=False
    )
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        olds, news = old_rest[a0:a1], new_rest[b0:b1]
        paired = min(len(olds), len(news)) if tag in ("equal", "replace") else 0
        pairs.extend(zip(olds[:paired], news[:paired]))
        pairs.extend((i, None) for i in olds[paired:])
        pairs.extend((None, j) for j in news[paired:])
    return pairs


def _out_of_order(pairs):
    """Old indexes of matched rules whose relative order changed (not on a longest increasing run)."""
    matched = sorted((j, i) for i, j in pairs if i is not None and j is not None)
    olds = [i for _, i in matched]
    # Longest increasing subsequence, O(n log n).
    tails, tails_at, previous = [], [], [None] * len(olds)
    for position, value in enumerate(olds):
        at = bisect.bisect_left(tails, value)
        if at == len(tails):
            tails.append(value)
            tails_at.append(position)
        else:
            tails[at], tails_at[at] = value, position
        previous[position] = tails_at[at - 1] if at else None
    keep, position = set(), tails_at[-1] if tails_at else None
    while position is not None:
        keep.add(olds[position])
        position = previous[position]
    return set(olds) - keep


def _table_diff(name, old, new):
    diff = TableDiff(decision=name, status="changed")
    if old.hit_policy != new.hit_policy:
        diff.hit_policy = (_policy_name(old.hit_policy), _policy_name(new.hit_policy))
    diff.columns_added = [c for c in new.columns if c not in old.columns]
    diff.columns_removed = [c for c in old.columns if c not in new.columns]
    pairs = _match_rules(old, new)
    moved = _out_of_order(pairs) if new.hit_policy.split(" ")[0] in ORDER_SENSITIVE else set()
    changes = []
    for i, j in pairs:
        if j is None:
            changes.append(RuleChange("removed", i + 1, None, entries=old.rules[i][1]))
        elif i is None:
            changes.append(RuleChange("added", None, j + 1, entries=new.rules[j][1]))
        else:
            before, after = old.rules[i][1], new.rules[j][1]
            columns = list(dict.fromkeys([*new.columns, *old.columns, ANNOTATION]))
            cells = [
                CellChange(column, before.get(column, ""), after.get(column, ""))
                for column in columns
                if before.get(column, "") != after.get(column, "")
            ]
            if cells:
                changes.append(RuleChange("changed", i + 1, j + 1, cells=cells))
            elif i in moved:
                changes.append(RuleChange("moved", i + 1, j + 1))
    changes.sort(
        key=lambda change: (
            change.new_number if change.new_number is not None else change.old_number,
            change.kind != "removed",
        )
    )
    diff.rules = changes
    return diff if (diff.hit_policy or diff.columns_added or diff.columns_removed or diff.rules) else None


def dmn_diff(old_xml, new_xml) -> DmnDiff:
    """What changed from `old_xml` to `new_xml`, decision by decision; raises ArgumentError on `dmnXml`."""
    old, new = _read(old_xml), _read(new_xml)
    tables = []
    for name in list(dict.fromkeys([*new, *old])):
        if name not in old:
            tables.append(TableDiff(decision=name, status="added"))
        elif name not in new:
            tables.append(TableDiff(decision=name, status="removed"))
        elif isinstance(old[name], _Table) and isinstance(new[name], _Table):
            table = _table_diff(name, old[name], new[name])
            if table is not None:
                tables.append(table)
        elif old[name] != new[name]:
            describe = lambda value: "a decision table" if isinstance(value, _Table) else value  # noqa: E731
            tables.append(
                TableDiff(decision=name, status="changed", expression=(describe(old[name]), describe(new[name])))
            )
    return DmnDiff(tables=tables)


def ruleset_version_diff(*, old, new) -> DmnDiff:
    """The difference between two versions of one ruleset (`old` → `new`)."""
    if old.ruleset_id != new.ruleset_id:
        raise ArgumentError("version", "Compare two versions of the same ruleset.")
    return dmn_diff(old.dmn_xml, new.dmn_xml)
