"""DMN decision tables written as an Excel workbook in pyDMNrules' layout (what `excel.py` reads).

The workbook has a `Glossary` sheet (every variable: inputs, then what each table sets), a
`Decision` sheet (the tables in the order they run) and one sheet per decision table, laid out as
rules-as-rows: the title, a heading row (hit policy, input variables, a double border, output
variables), a validity row when the hit policy ranks outputs (PRIORITY, OUTPUT ORDER), then one
row per rule, annotations in the last column.

Names are kept so that reading the workbook back gives the same decisions: each variable's
glossary Attribute is its DMN name, a single-output table's output variable is named by its
decision, and a table with several outputs is titled by its decision and sets one variable per
output (the decisions the import adds for those outputs are not written again).  A table reading
a required decision's output name (Camunda) reads that decision instead.
What the layout cannot say is refused with `ModelLoadError` naming the decision: decisions that
are neither decision tables nor literal expressions (a literal expression becomes a table of one
rule without inputs), input expressions that are not variable names, business knowledge models
and decision services.
"""

import io
import re

from . import reader
from .errors import ModelLoadError
from .excel import HIT_POLICIES as WORKBOOK_HIT_POLICIES
from .feel.values import Decimal
from .fields import _split_top_level
from .visibility import visible_aliases

# (reader's hit policy letter, aggregation) -> the workbook's hit policy cell ('C+' = COLLECT SUM)
HIT_POLICY_CELLS = {
    (reader.HIT_POLICIES[name], aggregation): cell for cell, (name, aggregation) in WORKBOOK_HIT_POLICIES.items()
}
PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
INPUT_CONCEPT, DECISION_CONCEPT = "Inputs", "Decisions"


def definitions_to_workbook(definitions):
    """The workbook (bytes, .xlsx) for `definitions` (as read by `rulesets.dmn.read_model`)."""
    import openpyxl

    plan = _plan(definitions)
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    _glossary_sheet(workbook, plan)
    _decision_sheet(workbook, plan, definitions.name or "rules")
    for table in plan["tables"]:
        _table_sheet(workbook, table)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _refuse(message):
    raise ModelLoadError("This model cannot be written as an Excel workbook: %s" % message)


def _plain(name, what):
    if not name or not PLAIN_NAME.match(name):
        _refuse(
            "%s %r is not a plain name (letters, digits and underscores); rename it in the DMN model first"
            % (what, name)
        )
    return name


def _plan(definitions):
    if definitions.knowledge_models or definitions.decision_services:
        _refuse("it has business knowledge models or decision services, which the workbook layout cannot hold")
    aliases = visible_aliases(definitions)
    by_id = {d.id: d for d in definitions.decisions}
    order, seen = [], set()

    def visit(decision, trail):
        if decision.name in seen:
            return
        if decision.name in trail:
            _refuse("decision %r requires itself" % decision.name)
        for required in decision.required_decisions:
            if required in by_id:
                visit(by_id[required], trail + (decision.name,))
        seen.add(decision.name)
        order.append(decision)

    for decision in definitions.decisions:
        visit(decision, ())

    order = [decision for decision in order if decision.name not in _output_readers(definitions)]
    input_names = [_plain(d.name, "input") for d in definitions.input_data]
    variables = [(name, INPUT_CONCEPT) for name in input_names]
    tables = []
    for decision in order:
        table = decision.expression
        if isinstance(table, reader.LiteralExpression):
            # a calculation is a table of one rule without inputs whose output is the expression
            table = reader.DecisionTable(
                "U",
                None,
                [],
                [reader.OutputClause(None, table.type_ref, None, None)],
                [reader.Rule([], [table.text], table.line)],
                table.line,
            )
        if not isinstance(table, reader.DecisionTable):
            _refuse("decision %r is neither a decision table nor a literal expression" % decision.name)
        policy = HIT_POLICY_CELLS[(table.hit_policy, table.aggregation)]
        if len(table.outputs) == 1:
            outputs = [_plain(decision.name, "decision")]
        else:
            outputs = [_plain(clause.name, "output of decision %r" % decision.name) for clause in table.outputs]
        variables.extend((name, DECISION_CONCEPT) for name in outputs)
        inputs = []
        for clause in table.inputs:
            name = clause.text.strip()
            alias = aliases.get(decision.name, {}).get(name)
            if alias is not None and alias[1] is None:
                name = alias[0]  # a single-output table's output name: read its decision (its variable)
            inputs.append(_plain(name, "input expression of decision %r" % decision.name))
        if any(clause.default_output for clause in table.outputs):
            _refuse("decision %r has a default output, which the workbook layout cannot hold" % decision.name)
        validity = None
        if table.hit_policy in ("P", "O"):
            validity = [_values(clause.output_values) for clause in table.outputs]
        tables.append(
            {
                "title": decision.name,
                "policy": policy,
                "inputs": inputs,
                "outputs": outputs,
                "validity": validity,
                "rules": table.rules,
                "annotations": any(rule.description for rule in table.rules),
            }
        )
    names = [name for name, _ in variables]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        _refuse("the names %s are used twice (as an input and a decision, or by two tables)" % ", ".join(duplicates))
    return {"variables": variables, "tables": tables}


def _output_readers(definitions):
    """Decisions that only read one output of a table with several (`Pricing.rate`), as the
    workbook import writes them: reading the workbook back makes them again, so they are not
    written as tables of their own."""
    by_id = {d.id: d for d in definitions.decisions}
    readers = set()
    for decision in definitions.decisions:
        node = decision.expression
        if not isinstance(node, reader.LiteralExpression) or len(decision.required_decisions) != 1:
            continue
        required = by_id.get(decision.required_decisions[0])
        table = required.expression if required is not None else None
        if (
            isinstance(table, reader.DecisionTable)
            and len(table.outputs) > 1
            and decision.name in [clause.name for clause in table.outputs]
            and node.text.strip() == "%s.%s" % (required.name, decision.name)
        ):
            readers.add(decision.name)
    return readers


def _values(text):
    """Output values (FEEL text) as a list of cells for the validity row."""
    return [_cell(part) for part in _split_top_level(text or "")]


def _cell(text):
    """A FEEL literal as Excel users write it: numbers as numbers, anything else as its FEEL text."""
    text = (text or "").strip()
    if NUMBER.match(text):
        number = Decimal(text)
        return int(number) if number == number.to_integral_value() and abs(number) < 2**53 else float(number)
    return text


def _input_cell(entry, variable):
    """An input entry as a cell; a test on `?` (DMN 1.2+) names the column's variable instead,
    which is how the workbook layout says it."""
    entry = entry.strip() or "-"
    if "?" not in entry:
        return entry
    pieces = re.split(r'("(?:[^"\\]|\\.)*")', entry)  # keep string literals as they are
    return "".join(piece if index % 2 else piece.replace("?", variable) for index, piece in enumerate(pieces))


def _glossary_sheet(workbook, plan):
    sheet = workbook.create_sheet("Glossary")
    sheet["B2"] = "Glossary"
    sheet["B3"], sheet["C3"], sheet["D3"] = "Variable", "Business Concept", "Attribute"
    previous = None
    for row, (name, concept) in enumerate(plan["variables"], 4):
        sheet.cell(row=row, column=2, value=name)
        sheet.cell(row=row, column=3, value=concept if concept != previous else None)
        sheet.cell(row=row, column=4, value=name)
        previous = concept


def _decision_sheet(workbook, plan, model_name):
    sheet = workbook.create_sheet("Decision")
    sheet["B2"] = "Decision - %s" % model_name
    sheet["B3"], sheet["C3"] = "Decisions", "Execute Decision Tables"
    for row, table in enumerate(plan["tables"], 4):
        sheet.cell(row=row, column=2, value=table["title"])
        sheet.cell(row=row, column=3, value=table["title"])


def _border(**sides):
    from openpyxl.styles import Border, Side

    return Border(**{edge: sides.get(edge) or Side() for edge in ("left", "right", "top", "bottom")})


def _sheet_name(workbook, title):
    base = SHEET_FORBIDDEN.sub("_", title)[:31] or "Table"
    name, number = base, 1
    while name in workbook.sheetnames or name in ("Glossary", "Decision"):
        number += 1
        name = "%s_%d" % (base[:28], number)
    return name


def _table_sheet(workbook, table):
    from openpyxl.styles import Side

    double = Side(style="double")
    sheet = workbook.create_sheet(_sheet_name(workbook, table["title"]))
    sheet["B2"] = table["title"]
    inputs, outputs = table["inputs"], table["outputs"]
    headings = [table["policy"]] + inputs + outputs + (["Annotation"] if table["annotations"] else [])
    validity = table["validity"]
    for column, heading in enumerate(headings, 2):
        border = {} if validity is not None else {"bottom": double}
        if column == 2 + len(inputs) or (column == 2 and not inputs):
            border["right"] = double  # between the inputs and the outputs
        if table["annotations"] and column == 2 + len(inputs) + len(outputs):
            border["right"] = double  # between the outputs and the annotations
        sheet.cell(row=3, column=column, value=heading).border = _border(**border)
    first_rule_row = 4
    if validity is not None:
        cells = (
            [None]
            + [None] * len(inputs)
            + [", ".join(str(v) for v in values) if values else None for values in validity]
        )
        for column, value in enumerate(cells, 2):
            cell = sheet.cell(row=4, column=column, value=value)
            cell.border = _border(bottom=double, right=double if column == 2 + len(inputs) else None)
        for column in range(len(cells) + 2, len(headings) + 2):
            sheet.cell(row=4, column=column).border = _border(bottom=double)
        first_rule_row = 5
    for offset, rule in enumerate(table["rules"]):
        row = first_rule_row + offset
        sheet.cell(row=row, column=2, value=offset + 1)
        entries = [_input_cell(entry, variable) for entry, variable in zip(rule.input_entries, inputs)] + [
            entry.strip() or "null" for entry in rule.output_entries
        ]
        for column, entry in enumerate(entries, 3):
            sheet.cell(row=row, column=column, value=_cell(entry))
        if table["annotations"] and rule.description:
            sheet.cell(row=row, column=3 + len(entries), value=rule.description)
