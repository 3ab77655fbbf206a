"""Workbook uploads are bounded before openpyxl or pyDMNrules reads them (rulesets/dmn/excel.py):
parts, unpacked size, compression ratio and cells from the zip; every XML part through the safe
XML door. Engine only, no Django."""

import io
import re
import zipfile

import pytest

from rulesets.dmn import ModelLoadError, excel
from tests.rulesets.workbooks import credit_policy_workbook, to_bytes


@pytest.fixture(scope="module")
def workbook():
    return to_bytes(credit_policy_workbook())


@pytest.fixture(autouse=True)
def nothing_is_parsed(monkeypatch):
    import openpyxl

    def refuse(*args, **kwargs):
        raise AssertionError("openpyxl was asked to parse a workbook the limits should have refused")

    monkeypatch.setattr(openpyxl, "load_workbook", refuse)


def rebuilt(data, change=lambda name, content: content, extra=()):
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            target.writestr(member.filename, change(member.filename, source.read(member.filename)))
        for name, content in extra:
            target.writestr(name, content)
    return out.getvalue()


def sheet(name, change):
    return lambda member, content: change(content) if member == name else content


def test_a_sheet_that_inflates_far_beyond_its_packed_size_is_refused_from_the_zip_directory(workbook):
    bomb = rebuilt(
        workbook,
        sheet("xl/worksheets/sheet1.xml", lambda c: c.replace(b"</worksheet>", b" " * 5_000_000 + b"</worksheet>")),
    )
    with pytest.raises(ModelLoadError, match=r"part 'xl/worksheets/sheet1.xml' unpacks \d+ times .* limit is 100"):
        excel.workbook_to_dmn(bomb)


def test_a_workbook_that_unpacks_beyond_the_limit_is_refused(workbook):
    parts = [
        (f"xl/media/padding{i}.bin", bytes(range(256)) * 4096) for i in range(11)
    ]  # 11 x 1 MiB, incompressible-ish
    with pytest.raises(ModelLoadError, match="unpacks to 11,[0-9,]+ bytes; the limit is 10,485,760"):
        excel.workbook_to_dmn(rebuilt(workbook, extra=parts))


def test_a_workbook_with_too_many_parts_is_refused(workbook):
    parts = [(f"customXml/item{i}.xml", b"<a/>") for i in range(excel.MAX_WORKBOOK_PARTS)]
    with pytest.raises(ModelLoadError, match=r"has \d+ parts; the limit is 300"):
        excel.workbook_to_dmn(rebuilt(workbook, extra=parts))


def test_a_workbook_with_too_many_cells_is_refused(workbook):
    cells = b"".join(
        b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (i, i, i * 7919 % 100_003)
        for i in range(1, excel.MAX_WORKBOOK_CELLS + 2)
    )
    many = rebuilt(
        workbook,
        sheet(
            "xl/worksheets/sheet1.xml",
            lambda c: c.replace(b"</worksheet>", b"<sheetData>" + cells + b"</sheetData></worksheet>"),
        ),
    )
    with pytest.raises(ModelLoadError, match="more than 100,000 cells"):
        excel.workbook_to_dmn(many)


@pytest.mark.parametrize(
    "part",
    [
        "xl/worksheets/sheet2.xml",
        "xl/workbook.xml",
        "[Content_Types].xml",
        "xl/_rels/workbook.xml.rels",
        "docProps/core.xml",
    ],
)
def test_a_doctype_in_any_xml_part_is_refused_naming_the_part_and_line(workbook, part):
    doctype = b'<!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n'

    def add(content):
        if content.startswith(b"<?xml"):
            declaration, rest = content.split(b"?>", 1)
            return declaration + b"?>\n" + doctype + rest.lstrip()
        return doctype + content

    with pytest.raises(ModelLoadError, match=rf"part '{re.escape(part)}'.*DOCTYPE.*\(line [12]\)"):
        excel.workbook_to_dmn(rebuilt(workbook, sheet(part, add)))


def test_a_utf16_part_with_a_doctype_is_refused(workbook):
    def to_utf16(content):
        text = content.decode("utf-8").split("?>", 1)[-1]
        return (
            '<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE x SYSTEM "http://127.0.0.1:9/x.dtd">\n' + text
        ).encode("utf-16")

    with pytest.raises(ModelLoadError, match=r"part 'xl/styles.xml'.*DOCTYPE.*\(line 2\)"):
        excel.workbook_to_dmn(rebuilt(workbook, sheet("xl/styles.xml", to_utf16)))
