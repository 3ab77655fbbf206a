"""The demo's data, dictionary, models and rules agree with each other (no Django needed)."""

import csv
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

DEMO = Path(__file__).resolve().parent.parent / "demo"
DATA_CSV = DEMO / "data" / "lending_club_modeldata.csv"
TARGET_COLUMN = "Class"
DMN_NS = {"dmn": "https://www.omg.org/spec/DMN/20191111/MODEL/"}
PMML_NS = {"pmml": "http://www.dmg.org/PMML-4_4"}
DATA_TYPES = {"number", "integer", "boolean", "string", "date"}
# names a rule may read that are not application fields: model outputs and DMN decisions
MODEL_OUTPUTS = {"score"}


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def dictionary():
    return read_csv(DEMO / "data_dictionary.csv")


@pytest.fixture(scope="module")
def data_rows():
    return read_csv(DATA_CSV)


@pytest.fixture(scope="module")
def reason_codes():
    return {row["code"]: row for row in read_csv(DEMO / "reason_codes.csv")}


def dmn_files():
    return sorted((DEMO / "rules").glob("*.dmn"))


def test_dictionary_covers_every_csv_column_except_the_target(dictionary, data_rows):
    columns = set(data_rows[0]) - {TARGET_COLUMN}
    sources = {row["source_column"] for row in dictionary if row["source_column"]}
    assert columns == sources


def test_dictionary_rows_are_well_formed(dictionary):
    names = [row["name"] for row in dictionary]
    assert len(names) == len(set(names))
    for row in dictionary:
        assert re.fullmatch(r"[a-z][a-zA-Z0-9]*", row["name"]), row["name"]
        assert row["data_type"] in DATA_TYPES, row
        assert row["protected"] in {"true", "false"}, row
        assert row["description"].strip(), row
        if row["minimum"] and row["maximum"]:
            assert float(row["minimum"]) <= float(row["maximum"]), row
    assert any(row["protected"] == "true" for row in dictionary)
    assert all(not row["source_column"] for row in dictionary if row["protected"] == "true")


def test_every_real_row_passes_the_dictionary_bounds_and_allowed_values(dictionary, data_rows):
    rejected = []
    for row in dictionary:
        column = row["source_column"]
        if not column:
            continue
        allowed = set(row["allowed_values"].split("|")) if row["allowed_values"] else None
        for line, record in enumerate(data_rows, start=2):
            value = record[column]
            if allowed is not None:
                ok = value in allowed
            elif row["data_type"] in {"number", "integer"}:
                number = float(value)
                ok = (not row["minimum"] or number >= float(row["minimum"])) and (
                    not row["maximum"] or number <= float(row["maximum"])
                )
                if row["data_type"] == "integer":
                    ok = ok and number == int(number)
            else:
                ok = True
            if not ok:
                rejected.append((line, column, value))
    assert rejected == []


@pytest.mark.parametrize("path", dmn_files(), ids=lambda p: p.name)
def test_dmn_inputs_are_dictionary_names_or_model_outputs(path, dictionary):
    names = {row["name"] for row in dictionary} | MODEL_OUTPUTS
    root = ET.parse(path).getroot()
    assert root.tag == "{%s}definitions" % DMN_NS["dmn"]
    inputs = {e.get("name") for e in root.iterfind("dmn:inputData", DMN_NS)}
    assert inputs and inputs <= names, inputs - names


def test_every_reason_code_in_the_rules_and_models_is_catalogued(reason_codes):
    used = set()
    for path in dmn_files():
        root = ET.parse(path).getroot()
        for text in root.iterfind(".//dmn:outputEntry/dmn:text", DMN_NS):
            used.update(re.findall(r'"((?:KO|REV)\d+)"', text.text or ""))
        for text in root.iterfind(".//dmn:outputValues/dmn:text", DMN_NS):
            used.update(re.findall(r'"((?:KO|REV)\d+)"', text.text or ""))
    for path in (DEMO / "models").glob("*.pmml"):
        root = ET.parse(path).getroot()
        for element in root.iter():
            if element.get("reasonCode"):
                used.add(element.get("reasonCode"))
    assert {"KO01", "REV01", "RC01"} <= used  # the search found the codes at all
    assert used - set(reason_codes) == set()


def test_reason_code_catalogue_kinds_match_the_code_prefix(reason_codes):
    prefix = {"knockout": "KO", "model": "RC", "review": "REV"}
    for code, row in reason_codes.items():
        assert row["kind"] in prefix, row
        assert re.fullmatch(prefix[row["kind"]] + r"\d\d", code), row
        assert row["notice_text"].strip() and row["description"].strip(), row


def test_pmml_field_names_are_csv_columns(data_rows):
    columns = set(data_rows[0])
    for path in (DEMO / "models").glob("*.pmml"):
        root = ET.parse(path).getroot()
        fields = {f.get("name") for f in root.iterfind("pmml:DataDictionary/pmml:DataField", PMML_NS)}
        assert fields and fields <= columns, (path.name, fields - columns)
