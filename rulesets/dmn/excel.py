"""Partners' Excel rule workbooks, read by pyDMNrules and written out as DMN 1.3 XML.

A workbook in pyDMNrules' layout (an optional `Glossary` sheet, an optional `Decision` sheet, and
decision tables laid out as rows, columns or crosstabs) is read by pyDMNrules, which knows that
layout: merged cells, double borders, validity rows, hit policies. What it parsed is then written
as a standard DMN model, so the workbook's rules are evaluated, versioned and replayed exactly like
an uploaded DMN file, by the native engine:

- every glossary variable a table reads and no table sets becomes an `inputData` named by its
  glossary Attribute (`Applicant Age` / `Applicant` / `age` → `age`), so it maps onto the data
  dictionary like any other model field;
- every table becomes a decision; a table that sets one variable is named by that variable, a
  table that sets several is named by the table and each variable it sets becomes a decision of
  its own (`rating` = `Risk Table.rating`), so every variable the workbook sets is a result;
- the Decision sheet's conditions on a table become conditions of every rule of that table, which
  is what executing the table only when they hold means: when they fail, no rule matches;
- tables read what earlier tables set through the requirements graph.

What DMN cannot say is refused with a message naming the sheet and cell: `Execute` columns (one
table running another), a variable set by two tables or read before the table that sets it, and a
table reading a variable it sets itself.

pyDMNrules is imported inside `workbook_to_dmn` only: its import takes about 13 s.
"""

import hashlib
import io
import re
import zipfile
import zlib
from xml.etree import ElementTree

from core import safe_xml

from .errors import ModelLoadError
from .feel import FeelSyntaxError, vocabulary
from .feel.lexer import tokenize
from .feel.parser import parse_expression, parse_unary_tests

DMN13 = "https://www.omg.org/spec/DMN/20191111/MODEL/"
HIT_POLICIES = {
    "U": ("UNIQUE", None),
    "A": ("ANY", None),
    "P": ("PRIORITY", None),
    "F": ("FIRST", None),
    "R": ("RULE ORDER", None),
    "O": ("OUTPUT ORDER", None),
    "C": ("COLLECT", None),
    "C+": ("COLLECT", "SUM"),
    "C<": ("COLLECT", "MIN"),
    "C>": ("COLLECT", "MAX"),
    "C#": ("COLLECT", "COUNT"),
}
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"
STRING_LITERAL = re.compile(r'"(?:[^"\\]|\\.)*"')
NOT_A_SHORT_ENDPOINT = {
    "and",
    "or",
    "compare",
    "in",
    "between",
    "if",
    "for",
    "some",
    "every",
    "function",
    "instance of",
}
PLAIN_WORDS = re.compile(r"^[^\W\d][\w'& .-]*$", re.UNICODE)
FEEL_WORDS = {"true", "false", "null", "-", "not", "and", "or", "in", "if", "then", "else"}
FEEL_OPERATOR_WORDS = {
    "not",
    "and",
    "or",
    "in",
    "between",
    "instance",
    "of",
    "if",
    "then",
    "else",
    "for",
    "some",
    "every",
    "satisfies",
    "return",
}
LITERAL_TYPES = {"number": "number", "string": "string", "boolean": "boolean"}


def is_workbook(data):
    """True when `data` (bytes) looks like an Excel file (.xlsx/.xlsm, or the old binary .xls)."""
    return isinstance(data, (bytes, bytearray)) and (data[:4] == ZIP_MAGIC or data[:4] == OLE_MAGIC)


def workbook_to_dmn(source, *, name=None):
    """DMN 1.3 XML (str) for the Excel workbook `source` (bytes, a path or a binary file object).

    Raises ModelLoadError naming the sheet and cell when the workbook cannot be read or says
    something DMN cannot.
    """
    data = _workbook_bytes(source)
    reader = _read(data)
    converter = _Converter(reader, name=name, sha256=hashlib.sha256(data).hexdigest(), cells=_cells(data))
    xml = converter.xml()
    _check(xml, converter)
    return xml


def _check(xml, converter):
    """Compile the result natively, so a problem is reported in the workbook's terms (table, sheet)."""
    from . import load

    try:
        load(xml)
    except ModelLoadError as error:
        location = error.location or ""
        message = str(error)
        if location and message.endswith(" (at %s)" % location):
            message = message[: -len(" (at %s)" % location)]
        for table in converter.tables:
            decision = "decision '%s'" % converter.decision_names[table.title]
            in_workbook = "table %r on sheet %r" % (table.title, table.sheet)
            location = location.replace(decision, in_workbook)
            message = message.replace(decision, in_workbook)
        raise ModelLoadError(message, location or None) from None


def _workbook_bytes(source):
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
    elif hasattr(source, "read"):
        data = source.read()
    else:
        with open(source, "rb") as handle:
            data = handle.read()
    if data[:4] == OLE_MAGIC:
        raise ModelLoadError(
            "This is an Excel 97-2003 workbook (.xls); save it as an Excel workbook (.xlsx) and upload that."
        )
    if data[:4] != ZIP_MAGIC:
        raise ModelLoadError("The file is not an Excel workbook (.xlsx).")
    if len(data) > safe_xml.MAX_DOCUMENT_BYTES:
        raise ModelLoadError(
            "The workbook is %s bytes; the limit is %s bytes."
            % (format(len(data), ","), format(safe_xml.MAX_DOCUMENT_BYTES, ","))
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if "xl/workbook.xml" not in archive.namelist():
                raise ModelLoadError("The file is a zip archive but not an Excel workbook (.xlsx).")
            _check_archive(archive)
    except ModelLoadError:
        raise
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        NotImplementedError,
        RuntimeError,
        EOFError,
        OSError,
        ValueError,
        zlib.error,
    ) as error:  # damaged, encrypted or oddly compressed archives
        raise ModelLoadError(
            "The file is not an Excel workbook (.xlsx): the archive is damaged (%s)." % error
        ) from None
    return data


# What a rule workbook may unpack to, checked from the zip directory and the parts themselves before
# openpyxl or pyDMNrules reads anything (a 68 KB file can inflate to a 20 MB sheet and 400 MB of cells).
# Real rule workbooks are far below: tens of parts, well under a megabyte of XML, thousands of cells.
MAX_WORKBOOK_PARTS = 300
MAX_WORKBOOK_UNCOMPRESSED = 10 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100  # for parts over 64 KiB; sheet XML compresses ~10-20x
MAX_WORKBOOK_CELLS = 100_000


def _check_archive(archive):
    """Refuse a workbook whose zip directory promises too much, or whose XML parts the safe XML door refuses
    (a DOCTYPE in any part, too deep, too many elements, too many cells)."""
    members = archive.infolist()
    if len(members) > MAX_WORKBOOK_PARTS:
        raise ModelLoadError("The workbook has %d parts; the limit is %d." % (len(members), MAX_WORKBOOK_PARTS))
    total = sum(member.file_size for member in members)
    if total > MAX_WORKBOOK_UNCOMPRESSED:
        raise ModelLoadError(
            "The workbook unpacks to %s bytes; the limit is %s bytes."
            % (format(total, ","), format(MAX_WORKBOOK_UNCOMPRESSED, ","))
        )
    for member in members:
        if member.file_size > 64 * 1024 and member.file_size > MAX_COMPRESSION_RATIO * max(member.compress_size, 1):
            raise ModelLoadError(
                "The workbook part %r unpacks %d times its packed size; the limit is %d "
                "(a zip bomb?)."
                % (member.filename, member.file_size // max(member.compress_size, 1), MAX_COMPRESSION_RATIO)
            )
    cells = [0]

    def count_cells(tag, line):
        if tag.rsplit("}", 1)[-1] == "c":
            cells[0] += 1
            if cells[0] > MAX_WORKBOOK_CELLS:
                raise ModelLoadError("The workbook has more than %s cells." % format(MAX_WORKBOOK_CELLS, ","))

    for member in members:
        if member.is_dir():
            continue
        with archive.open(member) as handle:
            content = handle.read(MAX_WORKBOOK_UNCOMPRESSED + 1)  # zipfile stops at the declared size
        if not _looks_like_xml(content):
            continue  # images and other binary parts: no XML parser reads them
        is_sheet = member.filename.startswith("xl/worksheets/")
        try:
            safe_xml.check(content, on_start=count_cells if is_sheet else None)
        except safe_xml.XMLRefused as error:
            raise ModelLoadError("The workbook part %r is refused: %s" % (member.filename, error)) from None


def _looks_like_xml(content):
    """True for anything an XML parser could take: text starting with '<' in any encoding, or a BOM."""
    head = content[:4]
    return (
        content.lstrip(b" \t\r\n")[:1] == b"<"
        or head.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"))
        or head[:2] in (b"<\x00", b"\x00<")
        or head == b"\x00\x00\x00<"
    )


def _cells(data):
    """The workbook's cells as written, for plain-text cells pyDMNrules splits ('self-employed').

    Read separately because pyDMNrules merges the cells of every table it has parsed.
    """
    import openpyxl

    workbook = openpyxl.load_workbook(io.BytesIO(data))

    def value(sheet, coordinate):
        try:
            worksheet = workbook[sheet]
        except KeyError:
            return None
        for merged in worksheet.merged_cells.ranges:
            if coordinate in merged:
                return worksheet.cell(row=merged.min_row, column=merged.min_col).value
        return worksheet[coordinate].value

    return value


def _read(data):
    import openpyxl
    import pyDMNrules  # deliberately lazy: ~13 s to import

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data))
    except Exception as error:  # noqa: BLE001 - openpyxl raises many kinds on damaged files
        raise ModelLoadError("The workbook could not be opened: %s" % error) from None
    reader = pyDMNrules.DMN()
    try:
        status = reader.use(workbook)
    except Exception as error:  # noqa: BLE001 - pyDMNrules raises anything on layouts it does not expect
        raise ModelLoadError("pyDMNrules could not read the workbook: %s: %s" % (type(error).__name__, error)) from None
    errors = (status or {}).get("errors") or []
    if errors:
        raise ModelLoadError(
            "The workbook has %d problem%s: %s"
            % (len(errors), "" if len(errors) == 1 else "s", "; ".join(str(e) for e in errors))
        )
    if not getattr(reader, "decisionTables", None):
        raise ModelLoadError("The workbook has no decision tables.")
    return reader


class _Table:
    def __init__(self, title, spec, rules, conditions, sheet):
        self.title, self.spec, self.rules, self.conditions, self.sheet = title, spec, rules, conditions, sheet
        self.outputs = []  # glossary variables, in column order
        self.declared_inputs = []  # glossary variables named in the input headings
        for key in ("inputColumns", "inputRows"):
            for column in spec.get(key) or ():
                if column["name"] not in self.declared_inputs:
                    self.declared_inputs.append(column["name"])
        for key in ("outputColumns", "outputRows"):
            for column in spec.get(key) or ():
                self.outputs.append(column["name"])
        if spec.get("output"):
            self.outputs.append(spec["output"]["name"])


class _Converter:
    def __init__(self, reader, *, name, sha256, cells=None):
        self.reader = reader
        self.cells = cells or (lambda sheet, coordinate: None)
        self.model_name = name or reader.decisionName or "Workbook rules"
        self.sha256 = sha256
        self.glossary = reader.glossary
        self.tables = self._tables()
        self.feel_names = self._feel_names()
        self.items = sorted(
            ((v["item"], self.feel_names[k]) for k, v in self.glossary.items()),
            key=lambda pair: len(pair[0]),
            reverse=True,
        )
        self.setter = self._setters()
        self.decision_names = self._decision_names()
        self.known_names = vocabulary(set(self.feel_names.values()) | set(self.decision_names.values()))
        self.types = {}

    # -- structure ---------------------------------------------------------------------------------

    def _tables(self):
        tables, seen = [], set()
        for table_title, _decision, conditions, _annotations in self.reader.decisions:
            if table_title in seen:
                raise ModelLoadError(
                    "The Decision sheet runs the table %r twice; DMN decides each table once. "
                    "Copy the table under another name." % table_title
                )
            seen.add(table_title)
            spec = self.reader.decisionTables[table_title]
            sheet = _sheet_of(self.reader.rules.get(table_title) or [], table_title)
            table = _Table(table_title, spec, self.reader.rules.get(table_title) or [], conditions, sheet)
            if "Execute" in table.outputs or "Execute" in table.declared_inputs:
                raise ModelLoadError(
                    "Table %r on sheet %r has an Execute column (one table running another), "
                    "which this import does not support; list the tables in the Decision sheet "
                    "instead." % (table_title, sheet)
                )
            tables.append(table)
        return tables

    def _feel_names(self):
        attributes = {}
        for variable, entry in self.glossary.items():
            attributes.setdefault(entry["item"].split(".", 1)[-1], []).append(variable)
        names = {}
        for variable, entry in self.glossary.items():
            attribute = entry["item"].split(".", 1)[-1]
            names[variable] = attribute if len(attributes[attribute]) == 1 else entry["item"].replace(".", "_")
        return names

    def _setters(self):
        setter = {}
        for table in self.tables:
            for variable in table.outputs:
                if variable in setter:
                    raise ModelLoadError(
                        "%r is set by table %r and by table %r; in DMN each value is decided once. "
                        "Give each table its own output." % (variable, setter[variable].title, table.title)
                    )
                setter[variable] = table
        return setter

    def _decision_names(self):
        """Decision name per table title (single output: the variable's name)."""
        names, taken = {}, set(self.feel_names.values())
        for table in self.tables:
            if len(table.outputs) == 1:
                names[table.title] = self.feel_names[table.outputs[0]]
            else:
                name = _feel_name(table.title)
                if name in taken or name in names.values():
                    name = name + " table"
                names[table.title] = name
        return names

    # -- FEEL text ---------------------------------------------------------------------------------

    def _plain_text(self, raw):
        """A cell of plain words ('self-employed', 'not applicable', 'north, south') as FEEL strings.

        pyDMNrules quotes bare names one token at a time, so 'self-employed' would become
        `"self" - "employed"`; a cell of words that name no variable means the words themselves.
        """
        if not isinstance(raw, str) or any(c in raw for c in '"<>=()[]{}*/+?:@'):
            return None
        parts = [part.strip() for part in raw.split(",")]
        variables = set(self.glossary) | {v["item"] for v in self.glossary.values()} | set(self.feel_names.values())
        for part in parts:
            if not PLAIN_WORDS.match(part) or part in FEEL_WORDS or part in variables or "." in part:
                return None
            if not any(word in FEEL_OPERATOR_WORDS for word in part.split()) and " " not in part and "-" not in part:
                return None  # one simple word: pyDMNrules already reads it right (a string or a name)
        return ['"%s"' % part for part in parts]

    def _rewrite(self, text):
        """pyDMNrules' S-FEEL (glossary items as Concept.attribute) → FEEL with our names."""
        pieces, position = [], 0
        for match in STRING_LITERAL.finditer(text):
            pieces.append(self._rewrite_code(text[position : match.start()]))
            pieces.append(match.group(0))
            position = match.end()
        pieces.append(self._rewrite_code(text[position:]))
        return "".join(pieces).strip()

    def _rewrite_code(self, code):
        for item, name in self.items:
            code = re.sub(r"(?<![\w.])%s(?!\w)" % re.escape(item), name, code)
        return code

    def _unary(self, variable, texts, where):
        """Unary tests for one input column from pyDMNrules' boolean tests on that variable."""
        name = self.feel_names[variable]
        converted = [self._one_unary(name, self._rewrite(text), where) for text in texts]
        if len(converted) == 1:
            return converted[0][0]
        # several conditions on one variable in one rule (a crosstab, or a Decision-sheet condition)
        return " and ".join("(%s)" % self._as_input_expression(name, expression, where) for _, expression in converted)

    def _one_unary(self, name, expression, where):
        try:
            tokens = tokenize(expression, self.known_names)
            tree = parse_expression(expression, self.known_names)
        except FeelSyntaxError as error:
            raise ModelLoadError("Cannot read the test %r: %s" % (expression, error), where) from None
        unary = None
        if tree[0] == "compare" and tree[2] == ("name", name) and len(tokens) > 2:
            rest = expression[tokens[2].position :].strip()
            if self._short_endpoint(rest):
                operator = tree[1]
                unary = (
                    rest if operator == "=" else "not(%s)" % rest if operator == "!=" else "%s %s" % (operator, rest)
                )
        elif tree[0] == "in" and tree[1] == ("name", name) and len(tokens) > 2:
            rest = expression[tokens[2].position :].strip()
            for candidate in ((rest[1:-1],) if rest.startswith("(") and rest.endswith(")") else ()) + (rest,):
                try:
                    if parse_unary_tests(candidate, self.known_names) == ("tests", tree[2]):
                        unary = candidate
                        break
                except FeelSyntaxError:
                    continue
        if unary is None:
            unary = self._as_input_expression(name, expression, where)
        try:
            parse_unary_tests(unary, self.known_names)
        except FeelSyntaxError as error:
            raise ModelLoadError("Cannot read the test %r: %s" % (expression, error), where) from None
        return unary, expression

    def _as_input_expression(self, name, expression, where):
        """The boolean expression with the column's variable as `?` (DMN 1.2+ unary test)."""
        tokens = tokenize(expression, self.known_names)
        pieces, position = [], 0
        for token in tokens:
            if token.kind == "name" and token.text == name:
                pieces.append(expression[position : token.position])
                pieces.append("?")
                position = token.position + len(token.text)
        pieces.append(expression[position:])
        return "".join(pieces)

    def _short_endpoint(self, rest):
        try:
            node = parse_expression(rest, self.known_names)
        except FeelSyntaxError:
            return False
        return node[0] not in NOT_A_SHORT_ENDPOINT

    def _output_expression(self, text, where, raw=None):
        expression = self._rewrite(text)
        try:
            tree = parse_expression(expression, self.known_names)
        except FeelSyntaxError as error:
            if isinstance(raw, str) and raw.strip() and '"' not in raw:
                # pyDMNrules' rule for cells: text that is not an expression is a string ('not applicable')
                expression = '"%s"' % raw.strip().replace("\\", "\\\\")
                return expression, parse_expression(expression)
            raise ModelLoadError("Cannot read the output %r: %s" % (expression, error), where) from None
        return expression, tree

    def _references(self, expression):
        tokens = tokenize(expression, self.known_names)
        return {token.text for token in tokens if token.kind == "name"}

    # -- XML -----------------------------------------------------------------------------------------

    def xml(self):
        ElementTree.register_namespace("", DMN13)
        root = ElementTree.Element(
            _q("definitions"),
            {
                "id": _id("definitions", self.model_name),
                "name": self.model_name,
                "namespace": "https://creditbox.example/workbooks/%s" % self.sha256[:16],
            },
        )
        description = ElementTree.SubElement(root, _q("description"))
        description.text = (
            "Converted by Creditbox from an Excel rule workbook (sha256 %s) read with pyDMNrules. "
            "Edit the workbook and upload it again rather than editing this file." % self.sha256
        )

        tables = [self._table_parts(table) for table in self.tables]
        input_variables = []
        for parts in tables:
            for variable in parts["reads"]:
                if variable not in self.setter and variable not in input_variables:
                    input_variables.append(variable)
        for variable in input_variables:
            name = self.feel_names[variable]
            element = ElementTree.SubElement(
                root, _q("inputData"), {"id": _id("input", name), "name": name, "label": variable}
            )
            attributes = {"id": _id("input", name) + "_var", "name": name}
            if self.types.get(variable):
                attributes["typeRef"] = self.types[variable]
            ElementTree.SubElement(element, _q("variable"), attributes)
        for table, parts in zip(self.tables, tables):
            self._decision_elements(root, table, parts)
        ElementTree.indent(root)
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root, encoding="unicode") + "\n"

    def _table_parts(self, table):
        """Inputs (variables), rules (unary tests and outputs) and what the table reads."""
        where_table = "table %r on sheet %r" % (table.title, table.sheet)
        inputs = list(table.declared_inputs)
        condition_tests = {}
        for condition in table.conditions or ():
            variable, test = condition[0], condition[1]
            if test in (None, "-", ""):
                continue
            condition_tests.setdefault(variable, []).append((test, "Decision sheet, condition on %r" % variable))
        for variable in condition_tests:
            if variable not in inputs:
                inputs.append(variable)
        rules = []
        for number, rule in enumerate(table.rules, 1):
            tests = {}
            for test in rule.get("tests") or ():
                variable, text, coordinate, sheet = test[0], test[1], test[6], test[7]
                if variable not in inputs:
                    inputs.append(variable)
                plain = self._plain_text(self.cells(sheet, coordinate))
                if plain:
                    text = "%s in (%s)" % (self.glossary[variable]["item"], ", ".join(plain))
                tests.setdefault(variable, []).append((text, "sheet %r cell %s" % (sheet, coordinate)))
            for variable, extra in condition_tests.items():
                tests.setdefault(variable, []).extend(extra)
            outputs = {}
            for output in rule.get("outputs") or ():
                variable, text, coordinate, sheet = output[0], output[1], output[6], output[7]
                where = "sheet %r cell %s" % (sheet, coordinate)
                plain = self._plain_text(self.cells(sheet, coordinate))
                if plain and len(plain) == 1:
                    text = plain[0]
                outputs[variable] = self._output_expression("null" if text is None else text, where, raw=output[5]) + (
                    where,
                )
            annotation = "; ".join(str(a) for a in rule.get("annotation") or () if a not in (None, ""))
            rules.append((number, tests, outputs, annotation))

        converted_rules, literal_kinds = [], {variable: set() for variable in inputs}
        reads = list(inputs)
        for number, tests, outputs, annotation in rules:
            entries = []
            for variable in inputs:
                if variable in tests:
                    texts = [text for text, _ in tests[variable]]
                    where = tests[variable][0][1]
                    unary = self._unary(variable, texts, "%s, rule %s (%s)" % (where_table, number, where))
                    literal_kinds[variable] |= _literal_kinds(parse_unary_tests(unary, self.known_names))
                    entries.append(unary)
                    reads.extend(self._read_variables(unary))
                else:
                    entries.append("-")
            output_entries = []
            for variable in table.outputs:
                if variable not in outputs:
                    raise ModelLoadError(
                        "Rule %s of table %r has no value for %r." % (number, table.title, variable), where_table
                    )
                expression, tree, where = outputs[variable]
                output_entries.append((variable, expression, tree))
                reads.extend(self._read_variables(expression))
            converted_rules.append((entries, output_entries, annotation))
        for variable, kinds in literal_kinds.items():
            if len(kinds) == 1 and variable not in self.setter:
                kind = next(iter(kinds))
                previous = self.types.get(variable, kind)
                self.types[variable] = kind if previous == kind else None
        output_types = {}
        for variable in table.outputs:
            kinds = {_root_kind(tree) for _, outputs, _ in converted_rules for v, _, tree in outputs if v == variable}
            kinds.discard("null")
            output_types[variable] = LITERAL_TYPES.get(next(iter(kinds))) if len(kinds) == 1 else None
        unique_reads = []
        for variable in reads:
            if variable in table.outputs:
                raise ModelLoadError(
                    "Table %r reads %r and also sets it; a DMN decision cannot depend on itself. "
                    "Set a new variable instead." % (table.title, variable),
                    where_table,
                )
            if variable not in unique_reads:
                unique_reads.append(variable)
        position = {t.title: i for i, t in enumerate(self.tables)}
        for variable in unique_reads:
            setter = self.setter.get(variable)
            if setter is not None and position[setter.title] > position[table.title]:
                raise ModelLoadError(
                    "Table %r reads %r before table %r sets it; run %r first in the Decision sheet."
                    % (table.title, variable, setter.title, setter.title),
                    where_table,
                )
        return {"inputs": inputs, "rules": converted_rules, "reads": unique_reads, "output_types": output_types}

    def _read_variables(self, expression):
        by_name = {name: variable for variable, name in self.feel_names.items()}
        return [by_name[name] for name in self._references(expression) if name in by_name]

    def _decision_elements(self, root, table, parts):
        decision_name = self.decision_names[table.title]
        single = len(table.outputs) == 1
        decision = ElementTree.SubElement(
            root, _q("decision"), {"id": _id("decision", decision_name), "name": decision_name, "label": table.title}
        )
        variable_attributes = {"id": _id("decision", decision_name) + "_var", "name": decision_name}
        policy, aggregation = HIT_POLICIES[table.spec.get("hitPolicy") or "U"]
        if single:
            if aggregation == "COUNT":
                variable_attributes["typeRef"] = "number"
            elif parts["output_types"][table.outputs[0]] and (
                aggregation or policy not in ("COLLECT", "RULE ORDER", "OUTPUT ORDER")
            ):
                variable_attributes["typeRef"] = parts["output_types"][table.outputs[0]]
        ElementTree.SubElement(decision, _q("variable"), variable_attributes)
        self._requirements(decision, parts["reads"])
        table_attributes = {"id": _id("table", decision_name), "hitPolicy": policy}
        if aggregation:
            table_attributes["aggregation"] = aggregation
        if single:
            table_attributes["outputLabel"] = table.outputs[0]
        element = ElementTree.SubElement(decision, _q("decisionTable"), table_attributes)
        for index, variable in enumerate(parts["inputs"], 1):
            clause = ElementTree.SubElement(
                element, _q("input"), {"id": "%s_in%d" % (_id("table", decision_name), index), "label": variable}
            )
            expression_attributes = {"id": "%s_in%d_expr" % (_id("table", decision_name), index)}
            if self.types.get(variable):
                expression_attributes["typeRef"] = self.types[variable]
            expression = ElementTree.SubElement(clause, _q("inputExpression"), expression_attributes)
            ElementTree.SubElement(expression, _q("text")).text = self.feel_names[variable]
        validity = table.spec.get("outputValidity") or []
        for index, variable in enumerate(table.outputs, 1):
            attributes = {"id": "%s_out%d" % (_id("table", decision_name), index), "label": variable}
            if not single:
                attributes["name"] = self.feel_names[variable]
            if parts["output_types"][variable]:
                attributes["typeRef"] = parts["output_types"][variable]
            clause = ElementTree.SubElement(element, _q("output"), attributes)
            ranked = _ranked_values(validity[index - 1] if index - 1 < len(validity) else None)
            if ranked:
                values = ElementTree.SubElement(clause, _q("outputValues"))
                ElementTree.SubElement(values, _q("text")).text = ", ".join(self._rewrite(value) for value in ranked)
        for number, (entries, outputs, annotation) in enumerate(parts["rules"], 1):
            rule = ElementTree.SubElement(element, _q("rule"), {"id": "%s_r%d" % (_id("table", decision_name), number)})
            if annotation:
                ElementTree.SubElement(rule, _q("description")).text = annotation
            for entry in entries:
                ElementTree.SubElement(ElementTree.SubElement(rule, _q("inputEntry")), _q("text")).text = entry
            for _variable, expression, _tree in outputs:
                ElementTree.SubElement(ElementTree.SubElement(rule, _q("outputEntry")), _q("text")).text = expression
        if not single:
            for variable in table.outputs:
                name = self.feel_names[variable]
                element = ElementTree.SubElement(
                    root, _q("decision"), {"id": _id("decision", name), "name": name, "label": variable}
                )
                attributes = {"id": _id("decision", name) + "_var", "name": name}
                if parts["output_types"][variable] and policy not in ("COLLECT", "RULE ORDER", "OUTPUT ORDER"):
                    attributes["typeRef"] = parts["output_types"][variable]
                ElementTree.SubElement(element, _q("variable"), attributes)
                requirement = ElementTree.SubElement(
                    element, _q("informationRequirement"), {"id": _id("decision", name) + "_ir1"}
                )
                ElementTree.SubElement(
                    requirement, _q("requiredDecision"), {"href": "#" + _id("decision", decision_name)}
                )
                literal = ElementTree.SubElement(
                    element, _q("literalExpression"), {"id": _id("decision", name) + "_expr"}
                )
                ElementTree.SubElement(literal, _q("text")).text = "%s.%s" % (decision_name, name)

    def _requirements(self, decision, reads):
        for index, variable in enumerate(reads, 1):
            requirement = ElementTree.SubElement(
                decision, _q("informationRequirement"), {"id": "%s_ir%d" % (decision.get("id"), index)}
            )
            setter = self.setter.get(variable)
            if setter is None:
                ElementTree.SubElement(
                    requirement, _q("requiredInput"), {"href": "#" + _id("input", self.feel_names[variable])}
                )
            elif len(setter.outputs) == 1:
                ElementTree.SubElement(
                    requirement,
                    _q("requiredDecision"),
                    {"href": "#" + _id("decision", self.decision_names[setter.title])},
                )
            else:
                ElementTree.SubElement(
                    requirement, _q("requiredDecision"), {"href": "#" + _id("decision", self.feel_names[variable])}
                )


def _q(tag):
    return "{%s}%s" % (DMN13, tag)


def _id(kind, name):
    return "%s_%s" % (kind, re.sub(r"\W", "_", name))


def _feel_name(title):
    """A table title as a FEEL name: letters, digits, spaces and underscores."""
    name = re.sub(r"[^\w ]", " ", str(title)).strip()
    name = re.sub(r"\s+", " ", name)
    if not name or name[0].isdigit():
        name = "table " + name
    return name


def _sheet_of(rules, default):
    for rule in rules:
        for entry in (rule.get("tests") or []) + (rule.get("outputs") or []):
            if len(entry) >= 8 and entry[7]:
                return entry[7]
    return default


def _ranked_values(validity):
    """pyDMNrules' output validity (priority order for P and O tables) as FEEL texts."""
    values = []
    for entry in validity or ():
        value = entry[0] if isinstance(entry, tuple) else entry
        if value is None:
            continue
        if isinstance(value, str) and value[:1] not in '"-0123456789':
            value = '"%s"' % value  # a bare word in the validity row is a string, as in the rules
        values.append(str(value))
    return values


def _literal_kinds(tree):
    kinds = set()

    def walk(node):
        if isinstance(node, tuple) and node:
            if node[0] in LITERAL_TYPES:
                kinds.add(LITERAL_TYPES[node[0]])
                return
            if node[0] in ("call", "function"):
                return  # a function's arguments say nothing of the input's type
            for child in node[1:]:
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(tree)
    return kinds


def _root_kind(tree):
    if tree[0] == "negate" and tree[1][0] == "number":
        return "number"
    return tree[0]
