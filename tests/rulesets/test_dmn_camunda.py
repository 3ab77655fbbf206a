"""DMN files as Camunda Modeler writes them load and decide as Camunda documents.

The files under tests/rulesets/camunda/ were written for these tests in Camunda Modeler's
layout (DMN 1.1 with camunda:/biodi: extensions; DMN 1.3 with DMNDI). Camunda's rules they rely
on: a table may read variables no inputData declares; a decision sees the output names of the
decision tables it requires (a single value for a single-hit table, a list for COLLECT); an
empty cell means "any" (input) or null (output); typeRefs are Java-ish (integer, long, double).
"""

import re
from decimal import Decimal
from pathlib import Path

import pandas
import pytest

from rulesets import dmn

HERE = Path(__file__).parent / "camunda"
DMN11 = HERE / "dinner_decisions_dmn11.dmn"
DMN13 = HERE / "dinner_decisions_dmn13.dmn"
NAMESPACES = {
    "1.2": "http://www.omg.org/spec/DMN/20180521/MODEL/",
    "1.3": "https://www.omg.org/spec/DMN/20191111/MODEL/",
    "1.4": "https://www.omg.org/spec/DMN/20211108/MODEL/",
    "1.5": "https://www.omg.org/spec/DMN/20230324/MODEL/",
}
# (season, guests, with children) -> (dish, beverages), read off the tables as Camunda evaluates them
DINNERS = [
    (("Spring", 14, False), ("Stew", ["Guiness", "Water"])),
    (("Fall", 3, True), ("Spareribs", ["Aecht Schlenkerla Rauchbier", "Apple Juice", "Water"])),
    (("Winter", 8, False), ("Roastbeef", ["Bordeaux", "Water"])),
    (("Spring", 4, False), ("Dry Aged Gourmet Steak", ["Pinot Noir", "Water"])),
    (("Spring", 6, True), ("Steak", ["Pinot Noir", "Apple Juice", "Water"])),
    (("Summer", 30, False), ("Light Salad and a nice Steak", ["Pinot Noir", "Water"])),
]


def _record(season, guests, children):
    return {"season": season, "guestCount": guests, "guestsWithChildren": children}


@pytest.mark.parametrize("path", [DMN11, DMN13], ids=["dmn11", "dmn13"])
@pytest.mark.parametrize("inputs, expected", DINNERS)
def test_beverages_read_the_dish_by_its_output_name_desired_dish(path, inputs, expected):
    model = dmn.load(path)
    result = model.evaluate(_record(*inputs))
    assert (result["Dish"], result["Beverages"]) == expected
    assert model.evaluate(_record(*inputs), decision="Beverages") == {"Beverages": expected[1]}


@pytest.mark.parametrize("path", [DMN11, DMN13], ids=["dmn11", "dmn13"])
def test_batch_evaluation_agrees_with_single_records_on_camunda_files(path):
    model = dmn.load(path)
    frame = pandas.DataFrame([_record(*inputs) for inputs, _ in DINNERS])
    batch = model.evaluate_batch(frame)
    for row, (inputs, _) in enumerate(DINNERS):
        assert batch.iloc[row].to_dict() == dict(model.evaluate(_record(*inputs)))


def test_undeclared_variables_become_inputs_with_a_warning_naming_them():
    model = dmn.load(DMN11)
    arguments = {f.name: f.data_type for f in model.fields if f.field_type == "argument"}
    assert arguments == {"season": "string", "guestCount": "integer", "guestsWithChildren": "boolean"}
    assert "desiredDish" not in arguments  # an output name of a required decision, not an input
    assert len(model.warnings) == 3
    assert "decision 'Dish' reads 'season', which no inputData declares" in model.warnings[0]
    assert [f.name for f in dmn.fields_of(DMN11)] == [f.name for f in model.fields]


def test_a_two_output_table_is_read_by_its_output_names_and_sums_with_double_type():
    model = dmn.load(DMN13)
    result = model.evaluate(_record("Spring", 14, False))
    assert result["Table setting"] == {"plates": Decimal(28), "glasses": Decimal(14)}
    # 10.5 always, 40 for stew, 25 for more than 6 plates (the output `plates` of Table setting)
    assert result["Shopping budget"] == Decimal("75.5")
    assert model.evaluate(_record("Summer", 3, True))["Shopping budget"] == Decimal("10.5")
    assert "decisions 'Dish', 'Table setting' read 'guestCount'" in model.warnings[1]


@pytest.mark.parametrize("version", sorted(NAMESPACES))
def test_every_dmn_namespace_from_1_2_to_1_5_reads_the_same_model(version):
    text = DMN13.read_text().replace(NAMESPACES["1.3"], NAMESPACES[version])
    model = dmn.load(text)
    assert model.evaluate(_record("Spring", 14, False))["Beverages"] == ["Guiness", "Water"]


def test_vendor_number_typeRefs_flag_a_string_as_mistyped():
    model = dmn.load(DMN11)
    result = model.evaluate(_record("Spring", "fourteen", False))
    assert "guestCount" in result.mistyped_inputs
    assert result["Dish"] is None


def test_empty_output_entry_is_null_and_empty_input_entry_matches_anything():
    text = DMN11.read_text().replace('<text>"Pinot Noir"</text>', "<text></text>")
    model = dmn.load(text)
    assert model.evaluate(_record("Summer", 99, False))["Beverages"] == [None, "Water"]


def test_a_declared_input_data_wins_over_an_output_name():
    text = DMN11.read_text().replace(
        '<decision id="dish"',
        '<inputData id="desiredDishInput" name="desiredDish"><variable name="desiredDish" typeRef="string"/>'
        '</inputData>\n  <decision id="dish"',
    )
    model = dmn.load(text)
    result = model.evaluate({**_record("Spring", 14, False), "desiredDish": "Roastbeef"})
    assert result["Dish"] == "Stew"
    assert result["Beverages"] == ["Bordeaux", "Water"]


def test_an_output_name_is_invisible_to_a_decision_that_does_not_require_it():
    text = re.sub(
        r'<informationRequirement>\s*<requiredDecision href="#dish" />\s*</informationRequirement>',
        "",
        DMN11.read_text(),
    )
    model = dmn.load(text)
    assert "desiredDish" in [f.name for f in model.fields if f.field_type == "argument"]
    result = model.evaluate({**_record("Spring", 14, False), "desiredDish": "Spareribs"})
    assert result["Beverages"] == ["Aecht Schlenkerla Rauchbier", "Water"]
