"""A ruleset's test cases: authored, imported from CSV, and run on any version's XML."""

import csv
import datetime
import decimal
import io
import json
import math
from dataclasses import dataclass, field

from django.db import transaction

from core.exceptions import ArgumentError, ArgumentErrors
from core.services import audit_event_record
from modelregistry.arguments import plain_value
from modelregistry.models import FieldType

from .. import selectors
from ..models import RulesetTestCase, RulesetVersion
from .access import AUTHOR_ROLES, check_partner, require_role

MAX_CSV_CHARS = 1_000_000
MAX_CSV_ROWS = 5_000


def _clean_case(name, inputs, expected_outputs):
    errors = []
    name = (name or "").strip() if isinstance(name, str) else ""
    if not name or len(name) > 200:
        errors.append(ArgumentError("name", "A test case needs a name of at most 200 characters."))
    if not isinstance(inputs, dict):
        errors.append(ArgumentError("inputs", "Give an object of input names to values."))
    if not isinstance(expected_outputs, dict) or not expected_outputs:
        errors.append(ArgumentError("expectedOutputs", "Give at least one expected output (name to value)."))
    if errors:
        raise ArgumentErrors(errors)
    return name


@transaction.atomic
def ruleset_test_case_create(*, ruleset, name, inputs, expected_outputs, actor) -> RulesetTestCase:
    check_partner(actor, ruleset)
    require_role(actor, AUTHOR_ROLES, "write test cases")
    name = _clean_case(name, inputs, expected_outputs)
    if RulesetTestCase.objects.filter(ruleset=ruleset, name=name).exists():
        raise ArgumentError("name", f"The ruleset has a test case named {name!r} already.")
    case = RulesetTestCase.objects.create(
        ruleset=ruleset, name=name, inputs=inputs, expected_outputs=expected_outputs, created_by=actor
    )
    audit_event_record(actor=actor, action="ruleset_test_case.create", obj=case, partner=ruleset.partner)
    return case


@transaction.atomic
def ruleset_test_case_update(*, test_case, actor, name=None, inputs=None, expected_outputs=None) -> RulesetTestCase:
    check_partner(actor, test_case.ruleset)
    require_role(actor, AUTHOR_ROLES, "write test cases")
    name = _clean_case(
        test_case.name if name is None else name,
        test_case.inputs if inputs is None else inputs,
        test_case.expected_outputs if expected_outputs is None else expected_outputs,
    )
    if RulesetTestCase.objects.filter(ruleset=test_case.ruleset, name=name).exclude(pk=test_case.pk).exists():
        raise ArgumentError("name", f"The ruleset has a test case named {name!r} already.")
    test_case.name = name
    if inputs is not None:
        test_case.inputs = inputs
    if expected_outputs is not None:
        test_case.expected_outputs = expected_outputs
    test_case.save()
    audit_event_record(actor=actor, action="ruleset_test_case.update", obj=test_case, partner=test_case.ruleset.partner)
    return test_case


@transaction.atomic
def ruleset_test_case_delete(*, test_case, actor) -> None:
    check_partner(actor, test_case.ruleset)
    require_role(actor, AUTHOR_ROLES, "write test cases")
    audit_event_record(
        actor=actor,
        action="ruleset_test_case.delete",
        obj=test_case,
        partner=test_case.ruleset.partner,
        data={"name": test_case.name},
    )
    test_case.delete()


_TRUE, _FALSE = {"true", "yes", "y", "1"}, {"false", "no", "n", "0"}


def _cell_value(text, data_type):
    """A CSV cell as the value a test case stores (JSON), typed by the DMN field; ValueError says why."""
    stripped = text.strip()
    if stripped.lower() == "null":
        return None
    if stripped[:1] in "[{":
        try:
            return json.loads(stripped)
        except json.JSONDecodeError as error:
            raise ValueError(f"not valid JSON ({error.msg})") from None
    if data_type == "integer":
        try:
            return int(stripped)
        except ValueError:
            raise ValueError(f"{stripped!r} is not a whole number") from None
    if data_type == "number":
        try:
            number = decimal.Decimal(stripped)
        except decimal.InvalidOperation:
            raise ValueError(f"{stripped!r} is not a number") from None
        if not number.is_finite():
            raise ValueError(f"{stripped!r} is not a finite number")
        return (
            int(number)
            if number == number.to_integral_value() and "." not in stripped and "e" not in stripped.lower()
            else float(number)
        )
    if data_type == "boolean":
        if stripped.lower() in _TRUE:
            return True
        if stripped.lower() in _FALSE:
            return False
        raise ValueError(f"{stripped!r} is not true or false")
    if data_type == "date":
        try:
            datetime.date.fromisoformat(stripped)
        except ValueError:
            raise ValueError(f"{stripped!r} is not a date (YYYY-MM-DD)") from None
        return stripped
    if data_type == "list":
        return [item.strip() for item in stripped.split("|") if item.strip()]
    if len(stripped) >= 2 and stripped[0] == stripped[-1] == '"':
        return stripped[1:-1]
    return stripped


@transaction.atomic
def ruleset_test_cases_import_csv(*, ruleset, csv_text, actor, version=None) -> list:
    """Create or update test cases from CSV: a `name` column, then one column per DMN input and
    per expected output (bare names are matched against the DMN; `input:NAME` / `expected:NAME`
    say it explicitly). Cells are typed by the DMN's fields; an empty expected cell is not checked.

    Every problem is reported at once, naming the row (as a spreadsheet numbers it: the header is
    row 1) and the column; nothing is imported unless every row is good.
    """
    check_partner(actor, ruleset)
    require_role(actor, AUTHOR_ROLES, "write test cases")
    if isinstance(csv_text, bytes):
        try:
            csv_text = csv_text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ArgumentError("csv", "The CSV file is not UTF-8 text.") from None
    if not isinstance(csv_text, str) or not csv_text.strip():
        raise ArgumentError("csv", "The CSV file is empty.")
    if len(csv_text) > MAX_CSV_CHARS:
        raise ArgumentError("csv", f"The CSV file is longer than {MAX_CSV_CHARS:,} characters.")
    version = version or selectors.ruleset_version_latest(ruleset=ruleset)
    if version is None:
        raise ArgumentError("csv", "The ruleset has no version yet; its DMN names the columns a test case has.")
    if version.ruleset_id != ruleset.pk:
        raise ArgumentError("version", "That version belongs to another ruleset.")
    try:
        fields = selectors.ruleset_version_loaded(version).fields
    except ArgumentError as error:
        raise ArgumentError("csv", f"Version {version.number} cannot type the columns: {error.message}") from None
    arguments = {f.name: f.data_type for f in fields if f.field_type == FieldType.ARGUMENT}
    results = {f.name: f.data_type for f in fields if f.field_type == FieldType.RESULT}

    try:
        rows = list(csv.reader(io.StringIO(csv_text.lstrip("\ufeff"))))
    except csv.Error as error:
        raise ArgumentError("csv", f"The CSV file cannot be read: {error}.") from None
    if len(rows) - 1 > MAX_CSV_ROWS:
        raise ArgumentError("csv", f"The CSV file has more than {MAX_CSV_ROWS:,} test cases.")
    header = [cell.strip() for cell in rows[0]]
    errors, columns = [], []
    if not header or header[0].lower() != "name":
        errors.append(
            ArgumentError(("csv", "1", header[0] if header else "name"), "Row 1: the first column must be 'name'.")
        )
    for position, title in enumerate(header[1:], start=2):
        kind, _, column = title.partition(":") if ":" in title else ("", "", title)
        kind, column = kind.strip().lower(), column.strip()
        if kind == "input" or (not kind and column in arguments):
            if column not in arguments:
                errors.append(
                    ArgumentError(
                        ("csv", "1", title), f"Row 1, column {position} {title!r}: the DMN has no input {column!r}."
                    )
                )
            columns.append(("input", column, arguments.get(column)))
        elif kind == "expected" or (not kind and column in results):
            if column not in results:
                errors.append(
                    ArgumentError(
                        ("csv", "1", title), f"Row 1, column {position} {title!r}: the DMN has no output {column!r}."
                    )
                )
            columns.append(("expected", column, results.get(column)))
        else:
            errors.append(
                ArgumentError(
                    ("csv", "1", title),
                    f"Row 1, column {position} {title!r}: not an input or an "
                    "output of the DMN (write input:NAME or expected:NAME).",
                )
            )
            columns.append((None, column, None))
    if errors:
        raise ArgumentErrors(errors)

    cases, seen = [], {}
    for row_number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            errors.append(
                ArgumentError(
                    ("csv", str(row_number)),
                    f"Row {row_number}: {len(row)} cells; the header has {len(header)} columns.",
                )
            )
            continue
        name = row[0].strip()
        if not name:
            errors.append(ArgumentError(("csv", str(row_number), "name"), f"Row {row_number}, column 'name': empty."))
        elif name in seen:
            errors.append(
                ArgumentError(
                    ("csv", str(row_number), "name"),
                    f"Row {row_number}, column 'name': {name!r} is also row {seen[name]}.",
                )
            )
        seen.setdefault(name, row_number)
        inputs, expected = {}, {}
        for (kind, column, data_type), text in zip(columns, row[1:]):
            if kind == "expected" and not text.strip():
                continue
            try:
                value = _cell_value(text, data_type) if text.strip() else None
            except ValueError as problem:
                errors.append(
                    ArgumentError(("csv", str(row_number), column), f"Row {row_number}, column {column!r}: {problem}.")
                )
                continue
            (inputs if kind == "input" else expected)[column] = value
        if not expected:
            errors.append(ArgumentError(("csv", str(row_number)), f"Row {row_number}: no expected output is given."))
        cases.append((name, inputs, expected))
    if errors:
        raise ArgumentErrors(errors)
    if not cases:
        raise ArgumentError("csv", "The CSV file has no test cases after its header.")

    existing = {case.name: case for case in RulesetTestCase.objects.select_for_update().filter(ruleset=ruleset)}
    imported = []
    for name, inputs, expected in cases:
        case = existing.get(name)
        if case is None:
            case = RulesetTestCase.objects.create(
                ruleset=ruleset, name=name, inputs=inputs, expected_outputs=expected, created_by=actor
            )
        else:
            case.inputs, case.expected_outputs = inputs, expected
            case.save()
        imported.append(case)
    audit_event_record(
        actor=actor,
        action="ruleset_test_case.import_csv",
        obj=ruleset,
        data={
            "cases": len(imported),
            "created": len(imported) - len(set(existing) & seen.keys()),
            "version": version.number,
        },
    )
    return imported


# ---------------------------------------------------------------- running test cases
@dataclass
class TestCaseResult:
    case: RulesetTestCase
    passed: bool
    expected: dict
    actual: dict = field(default_factory=dict)
    mismatches: list = field(default_factory=list)  # output names whose value differs
    error: str | None = None

    def summary(self):
        if self.error:
            return self.error
        return ", ".join(
            f"{name} expected {self.expected.get(name)!r}, got {self.actual.get(name)!r}" for name in self.mismatches
        )


@dataclass
class TestRun:
    version: RulesetVersion
    results: list

    @property
    def failed(self):
        return [result for result in self.results if not result.passed]

    @property
    def passed(self):
        return not self.failed


def _same(expected, actual):
    if isinstance(expected, bool) or isinstance(actual, bool):
        return isinstance(expected, bool) and isinstance(actual, bool) and expected == actual
    numbers = (int, float, decimal.Decimal)
    if isinstance(expected, numbers) and isinstance(actual, numbers):
        return math.isclose(float(expected), float(actual), rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(_same(e, a) for e, a in zip(expected, actual))
    if isinstance(expected, dict) and isinstance(actual, dict):
        return expected.keys() == actual.keys() and all(_same(expected[k], actual[k]) for k in expected)
    if isinstance(expected, str) and isinstance(actual, (datetime.date, datetime.time)):
        return expected == actual.isoformat()
    return expected == actual


def _json_ready(value):
    value = plain_value(value)
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, list):
        return [_json_ready(item) for item in value]
    if isinstance(value, dict):
        return {key: _json_ready(item) for key, item in value.items()}
    return value


def _engine_input(value, data_type):
    if data_type == "date" and isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            return value
    return value


def ruleset_version_test_run(*, version, test_cases=None, imports=None) -> TestRun:
    """Run the ruleset's test cases on `version`'s XML (draft or not) through the DMN engine.

    Writes nothing. Raises ArgumentError on `dmnXml` when the DMN does not load. `imports`: the
    models its imports resolve to, when the caller has resolved them (selectors.ruleset_version_imports).
    """
    loaded = selectors.ruleset_version_loaded(version, imports=imports)
    argument_types = {f.name: f.data_type for f in loaded.fields if f.field_type == FieldType.ARGUMENT}
    result_names = {f.name for f in loaded.fields if f.field_type == FieldType.RESULT}
    cases = list(test_cases) if test_cases is not None else list(version.ruleset.test_cases.order_by("name"))
    results = []
    for case in cases:
        expected = dict(case.expected_outputs)
        unknown_inputs = sorted(set(case.inputs) - set(argument_types))
        unknown_outputs = sorted(set(expected) - result_names)
        if unknown_inputs or unknown_outputs:
            problems = [f"no input {name!r}" for name in unknown_inputs] + [
                f"no output {name!r}" for name in unknown_outputs
            ]
            results.append(
                TestCaseResult(
                    case=case, passed=False, expected=expected, error="The DMN has " + ", ".join(problems) + "."
                )
            )
            continue
        record = {name: _engine_input(case.inputs.get(name), data_type) for name, data_type in argument_types.items()}
        try:
            output = loaded.evaluate(record)
        except Exception as error:  # noqa: BLE001 — an engine fault fails this case with its message
            results.append(
                TestCaseResult(case=case, passed=False, expected=expected, error=f"{type(error).__name__}: {error}")
            )
            continue
        actual = {name: _json_ready(output.get(name)) for name in sorted(result_names)}
        mismatches = [name for name in expected if not _same(expected[name], actual.get(name))]
        results.append(
            TestCaseResult(case=case, passed=not mismatches, expected=expected, actual=actual, mismatches=mismatches)
        )
    return TestRun(version=version, results=results)
