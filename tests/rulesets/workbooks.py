"""Excel rule workbooks in pyDMNrules' layout, written with openpyxl for the tests.

A table is laid out as rules-as-rows: a title cell, then a heading row (hit policy, input
headings, a double border, output headings), an optional validity row, then one row per rule.
"""

import io

import openpyxl
from openpyxl.styles import Border, Side

DOUBLE = Side(style="double")


def _border(**sides):
    # openpyxl leaves an unset side as None; Excel (and pyDMNrules) expect a Side on every edge
    return Border(**{edge: sides.get(edge) or Side() for edge in ("left", "right", "top", "bottom")})


def glossary_sheet(workbook, variables, title="Glossary"):
    """`variables`: (variable, business concept or None to continue the last, attribute)."""
    sheet = workbook.create_sheet("Glossary")
    sheet["B2"] = title
    sheet["B3"], sheet["C3"], sheet["D3"] = "Variable", "Business Concept", "Attribute"
    for row, (variable, concept, attribute) in enumerate(variables, 4):
        sheet.cell(row=row, column=2, value=variable)
        sheet.cell(row=row, column=3, value=concept)
        sheet.cell(row=row, column=4, value=attribute)


def decision_sheet(workbook, rows, inputs=(), title="Decision - workbook rules"):
    """`rows`: (input tests in `inputs` order, decision description, table title)."""
    sheet = workbook.create_sheet("Decision")
    sheet["B2"] = title
    headings = list(inputs) + ["Decisions", "Execute Decision Tables"]
    for column, heading in enumerate(headings, 2):
        sheet.cell(row=3, column=column, value=heading)
    for row, (tests, description, table) in enumerate(rows, 4):
        for column, test in enumerate(tests, 2):
            sheet.cell(row=row, column=column, value=test)
        sheet.cell(row=row, column=2 + len(inputs), value=description)
        sheet.cell(row=row, column=3 + len(inputs), value=table)


def table_sheet(workbook, sheet_name, title, hit_policy, inputs, outputs, rules, validity=None, annotations=()):
    """`rules`: rows of input cells then output cells (then annotation cells); None leaves a cell empty."""
    sheet = workbook.create_sheet(sheet_name)
    sheet["B2"] = title
    headings = [hit_policy] + list(inputs) + list(outputs) + list(annotations)
    for column, heading in enumerate(headings, 2):
        cell = sheet.cell(row=3, column=column, value=heading)
        border = {"bottom": DOUBLE} if validity is None else {}
        if column == 2 + len(inputs) or (column == 2 and not inputs):
            border["right"] = DOUBLE
        if annotations and column == 2 + len(inputs) + len(outputs):
            border["right"] = DOUBLE
        cell.border = _border(**border)
    first_rule_row = 4
    if validity is not None:
        for column, value in enumerate([None] + list(validity), 2):
            sheet.cell(row=4, column=column, value=value)

        for column in range(2, 2 + len(headings)):
            right = DOUBLE if column == 2 + len(inputs) else None
            sheet.cell(row=4, column=column).border = _border(bottom=DOUBLE, right=right)
        first_rule_row = 5
    for row, cells in enumerate(rules, first_rule_row):
        sheet.cell(row=row, column=2, value=row - first_rule_row + 1)
        for column, value in enumerate(cells, 3):
            if value is not None:
                sheet.cell(row=row, column=column, value=value)
    return sheet


def new_workbook():
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    return workbook


def to_bytes(workbook):
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def credit_policy_workbook():
    """Knock-outs (COLLECT), a points scorecard (C+), a grade (FIRST) that reads the score, and a
    Decision sheet that runs the pricing table only for grades it prices."""
    workbook = new_workbook()
    glossary_sheet(
        workbook,
        [
            ("Applicant Age", "Applicant", "applicantAge"),
            ("Annual Income", None, "annualIncome"),
            ("Employment", None, "employmentStatus"),
            ("Debt To Income", "Loan", "dti"),
            ("Bankrupt", None, "bankruptcyFlag"),
            ("Knockout Reasons", "Outcome", "knockoutReasons"),
            ("Points", None, "points"),
            ("Grade", None, "grade"),
            ("Rate", None, "rate"),
            ("Rate Note", None, "rateNote"),
        ],
        title="Glossary - consumer credit policy",
    )
    decision_sheet(
        workbook,
        [
            (["-"], "Knock out", "Knockouts"),
            (["-"], "Score", "Scorecard"),
            (["-"], "Grade", "Grading"),
            (['"A","B"'], "Price", "Pricing"),
        ],
        inputs=["Grade"],
        title="Decision - consumer credit policy",
    )
    table_sheet(
        workbook,
        "Knockouts",
        "Knockouts",
        "C",
        ["Applicant Age", "Bankrupt", "Debt To Income"],
        ["Knockout Reasons"],
        [
            ["< 18", "-", "-", "KO01"],
            ["-", "true", "-", "KO02"],
            ["-", "-", "> 45", "KO03"],
        ],
    )
    table_sheet(
        workbook,
        "Scorecard",
        "Scorecard",
        "C+",
        ["Annual Income", "Employment", "Debt To Income"],
        ["Points"],
        [
            ["< 25000", "-", "-", 5],
            ["[25000..60000)", "-", "-", 20],
            [">= 60000", "-", "-", 35],
            ["-", "employed", "-", 30],
            ["-", "self-employed", "-", 20],
            ["-", "unemployed", "-", 0],
            ["-", "-", "<= 20", 25],
            ["-", "-", "> 20", 5],
        ],
    )
    table_sheet(
        workbook,
        "Grading",
        "Grading",
        "F",
        ["Points"],
        ["Grade"],
        [
            [">= 80", "A"],
            [">= 60", "B"],
            [">= 40", "C"],
            ["-", "D"],
        ],
    )
    table_sheet(
        workbook,
        "Pricing",
        "Pricing",
        "U",
        ["Grade"],
        ["Rate", "Rate Note"],
        [
            ["A", 0.059, "prime"],
            ["B", 0.089, "near prime"],
        ],
    )
    return workbook
