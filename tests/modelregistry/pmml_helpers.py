"""Shared locations for the PMML tests: the conformance suite and demo data live beside the repo."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CONFORMANCE = REPO.parent / "shared" / "conformance"
PMML_CASES = CONFORMANCE / "pmml" / "cases"


def demo_data_path():
    for candidate in (
        REPO / "demo" / "data" / "lending_club_modeldata.csv",
        REPO.parent / "shared" / "data" / "lending_club_modeldata.csv",
    ):
        if candidate.exists():
            return candidate
    return None


SCORECARD = """<?xml version="1.0"?>
<PMML xmlns="http://www.dmg.org/PMML-4_4" version="4.4">
  <Header/>
  <DataDictionary>
    <DataField name="income" optype="continuous" dataType="double"/>
    <DataField name="housing" optype="categorical" dataType="string">
      <Value value="own"/><Value value="rent"/>
    </DataField>
    <DataField name="score" optype="continuous" dataType="double"/>
  </DataDictionary>
  <Scorecard functionName="regression" useReasonCodes="true" reasonCodeAlgorithm="pointsBelow"
             initialScore="10" baselineMethod="other">
    <MiningSchema>
      <MiningField name="income"/>
      <MiningField name="housing"/>
      <MiningField name="score" usageType="target"/>
    </MiningSchema>
    <Output>
      <OutputField name="Final Score" feature="predictedValue" dataType="double" optype="continuous"/>
      <OutputField name="Reason Code 1" rank="1" feature="reasonCode" dataType="string" optype="categorical"/>
      <OutputField name="Reason Code 2" rank="2" feature="reasonCode" dataType="string" optype="categorical"/>
      <OutputField name="Reason Code 3" rank="3" feature="reasonCode" dataType="string" optype="categorical"/>
    </Output>
    <Characteristics>
      <Characteristic name="incomeScore" reasonCode="RC_INCOME" baselineScore="20">
        <Attribute partialScore="5"><SimplePredicate field="income" operator="lessThan" value="1000"/></Attribute>
        <Attribute partialScore="25"><SimplePredicate field="income" operator="greaterOrEqual" value="1000"/></Attribute>
        <Attribute partialScore="0"><True/></Attribute>
      </Characteristic>
      <Characteristic name="housingScore" reasonCode="RC_HOUSING" baselineScore="15">
        <Attribute partialScore="20"><SimplePredicate field="housing" operator="equal" value="own"/></Attribute>
        <Attribute partialScore="8"><SimplePredicate field="housing" operator="equal" value="rent"/></Attribute>
        <Attribute partialScore="1"><True/></Attribute>
      </Characteristic>
    </Characteristics>
  </Scorecard>
</PMML>
"""
