"""Application values as people read them: the dictionary's label, unit and display format."""

import pytest

from modelregistry.display import format_value, humanize, label_of
from modelregistry.models import DataDictionaryField


def entry(**attributes):
    return DataDictionaryField(name=attributes.pop("name", "someField"), data_type="number", **attributes)


@pytest.mark.parametrize(
    ("attributes", "value", "shown"),
    [
        ({"display_format": "currency", "unit": "USD"}, 35000.0, "$35,000.00"),
        ({"display_format": "currency", "unit": "NOK"}, 30000, "30,000.00 NOK"),
        ({"display_format": "percent", "unit": "percent"}, 13.99, "13.99%"),
        ({"display_format": "percent", "unit": "percent"}, 80, "80%"),
        ({"display_format": "percent", "unit": "fraction"}, 0.135, "13.50%"),
        ({"display_format": "number", "unit": "points"}, 540.0, "540 points"),
        ({"display_format": "number", "unit": "years"}, 2, "2 years"),
        ({"display_format": "number"}, 1234.5678, "1,234.57"),
        ({"display_format": "enumeration", "value_labels": {"RENT": "Rents"}}, "RENT", "Rents"),
        ({"display_format": "enumeration", "value_labels": {"RENT": "Rents"}}, "OWN", "OWN"),
    ],
)
def test_values_read_in_the_entrys_format(attributes, value, shown):
    assert format_value(entry(**attributes), value) == shown


def test_whole_numbers_read_without_a_trailing_zero_and_lists_and_nothing_read_plainly():
    assert format_value(entry(display_format="number"), 540.0) == "540"
    assert format_value(entry(display_format="text"), ["KO01", "KO03"]) == "KO01, KO03"
    assert format_value(entry(display_format="text"), []) == "(none)"
    assert format_value(entry(), None) == "—"
    assert format_value(None, 35000) == "35,000"


def test_labels_come_from_the_dictionary_else_from_the_name():
    assert label_of(entry(label="Monthly net income"), "monthlyNetIncome") == "Monthly net income"
    assert label_of(None, "monthlyNetIncome") == humanize("monthlyNetIncome") == "Monthly net income"
