import os
import subprocess
import sys

import pytest

import rulesets.dmn as dmn
from tests.rulesets.dmn_models import REPOSITORY, TCK_CASES, table_model

ITEM_MODEL = """<?xml version="1.0"?>
<definitions xmlns="http://www.omg.org/spec/DMN/20151101/dmn.xsd" id="d" name="m" namespace="urn:m">
  <itemDefinition name="tRisk"><typeRef>string</typeRef>
    <allowedValues><text>"LOW", "HIGH"</text></allowedValues></itemDefinition>
  <itemDefinition name="tApplicant"><itemComponent name="Age"><typeRef>number</typeRef></itemComponent></itemDefinition>
  <inputData id="a" name="Applicant"><variable name="Applicant" typeRef="tApplicant"/></inputData>
  <inputData id="r" name="Declared risk"><variable name="Declared risk" typeRef="tRisk"/></inputData>
  <inputData id="s" name="Start"><variable name="Start" typeRef="feel:date"/></inputData>
  <inputData id="u" name="Untyped"/>
  <decision id="x" name="Risk"><variable name="Risk" typeRef="tRisk"/>
    <informationRequirement><requiredInput href="#r"/></informationRequirement>
    <literalExpression><text>Declared risk</text></literalExpression></decision>
</definitions>"""


def test_importing_the_package_loads_neither_pandas_nor_pydmnrules():
    code = 'import sys, rulesets.dmn; print("pandas" in sys.modules, "pyDMNrules" in sys.modules)'
    output = subprocess.run([sys.executable, "-c", code], cwd=REPOSITORY, capture_output=True, text=True, check=True)
    assert output.stdout.split() == ["False", "False"]


def test_fields_come_from_input_data_then_decisions_with_item_definition_types():
    fields = dmn.fields_of(ITEM_MODEL)
    assert [(f.name, f.field_type, f.data_type) for f in fields] == [
        ("Applicant", "argument", "context"),
        ("Declared risk", "argument", "string"),
        ("Start", "argument", "date"),
        ("Untyped", "argument", "any"),
        ("Risk", "result", "string"),
    ]
    assert fields[1].allowed_values == ("LOW", "HIGH")
    assert fields[4].allowed_values == ("LOW", "HIGH")
    assert fields[0].allowed_values is None


def test_collect_without_aggregation_is_a_list_and_several_outputs_a_context():
    collect = table_model([(["-"], ['"a"'])], hit_policy="COLLECT")
    assert dmn.fields_of(collect)[-1].data_type == "list"
    summed = table_model([(["-"], ["1"])], hit_policy="COLLECT", aggregation="SUM", outputs=(("Points", "number"),))
    assert dmn.fields_of(summed)[-1].data_type == "number"
    several = table_model([(["-"], ['"a"', "1"])], outputs=(("Risk", "string"), ("Score", "number")))
    assert dmn.fields_of(several)[-1].data_type == "context"


def test_source_may_be_a_path_text_or_bytes(tmp_path):
    text = table_model([(["-"], ['"a"'])])
    path = tmp_path / "model.dmn"
    path.write_text(text)
    for source in (str(path), path, text, text.encode()):
        assert [f.name for f in dmn.fields_of(source)] == ["Age", "Decision"]


def test_invalid_xml_names_the_line():
    with pytest.raises(dmn.ModelLoadError) as error:
        dmn.load('<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/">\n<decision>\n</definitions>')
    assert error.value.location == "line 3, column 3"
    assert isinstance(error.value, ValueError)


def test_a_document_that_is_not_dmn_is_refused():
    with pytest.raises(dmn.ModelLoadError, match="not a DMN model"):
        dmn.load('<PMML xmlns="http://www.dmg.org/PMML-4_4"/>')


def test_a_rule_with_missing_entries_names_decision_rule_and_line():
    text = table_model([(["-"], ['"a"'])]).replace("<inputEntry><text>-</text></inputEntry>", "")
    with pytest.raises(dmn.ModelLoadError, match="rule 1 has 0 input") as error:
        dmn.load(text)
    assert "decision 'Decision', line 2" in error.value.location


def test_a_missing_file_is_a_load_error():
    with pytest.raises(dmn.ModelLoadError, match="no DMN file"):
        dmn.load("/nonexistent/model.dmn")


def test_an_unknown_engine_is_refused():
    with pytest.raises(ValueError, match="unknown DMN engine"):
        dmn.load(table_model([(["-"], ['"a"'])]), engine="drools")


def test_tck_models_are_read_when_the_suite_is_present():
    if not os.path.isdir(TCK_CASES):
        pytest.skip("../shared/conformance is not present")
    lending = os.path.join(TCK_CASES, "compliance-level-3", "0004-lending", "0004-lending.dmn")
    names = [f.name for f in dmn.fields_of(lending) if f.field_type == "argument"]
    assert sorted(names) == ["ApplicantData", "BureauData", "RequestedProduct", "SupportingDocuments"]
