"""Arguments in the dictionary's vocabulary converted to an artifact's names, and results back."""

from types import SimpleNamespace

from modelregistry.arguments import (
    CompiledArguments,
    arguments_to_record,
    field_mapping,
    result_keys,
    results_from_keys,
)
from modelregistry.models import DataType


def dictionary_field(name, data_type, **options):
    return SimpleNamespace(
        name=name,
        data_type=data_type,
        minimum=options.get("minimum"),
        maximum=options.get("maximum"),
        allowed_values=options.get("allowed_values"),
    )


def model_field(name, dictionary=None):
    return SimpleNamespace(name=name, supported_field=dictionary, supported_field_id=1 if dictionary else None)


INCOME = dictionary_field("annualIncome", DataType.NUMBER, minimum=0)
AGE = dictionary_field("age", DataType.INTEGER, minimum=18, maximum=120)
TENURE = dictionary_field("employmentTenure", DataType.STRING, allowed_values=["<1", "1-5", ">5"])
FIELDS = [model_field("income", INCOME), model_field("AGE_YEARS", AGE), model_field("tenure", TENURE)]


def test_values_are_converted_and_renamed_to_the_artifacts_names():
    record, errors = arguments_to_record(FIELDS, {"annualIncome": 52000, "age": 41.0, "employmentTenure": ">5"})
    assert errors == []
    assert record == {"income": 52000, "AGE_YEARS": 41, "tenure": ">5"}
    assert type(record["AGE_YEARS"]) is int


def test_every_problem_is_reported_at_once_naming_the_field():
    record, errors = arguments_to_record(
        FIELDS, {"annualIncome": -1, "employmentTenure": "forever", "favouriteColour": "blue"}, path=("application",)
    )
    found = {(error.field, error.code) for error in errors}
    assert (("application", "favouriteColour"), "unknown") in found
    assert (("application", "age"), "required") in found
    assert {error.field for error in errors} == {
        ("application", "favouriteColour"),
        ("application", "age"),
        ("application", "annualIncome"),
        ("application", "employmentTenure"),
    }
    assert record == {}
    assert arguments_to_record(FIELDS, ["not", "an", "object"])[1][0].field == ("arguments",)


def test_a_compiled_plan_converts_as_the_fields_do_each_time():
    compiled = CompiledArguments(FIELDS)
    for arguments in (
        {"annualIncome": 1.5, "age": 18, "employmentTenure": "<1"},
        {"annualIncome": None, "age": None, "employmentTenure": None},
        {"annualIncome": "many", "age": 17.5, "employmentTenure": 3},
        {"annualIncome": 1},
    ):
        compiled_record, compiled_errors = compiled.record(arguments)
        record, errors = arguments_to_record(FIELDS, arguments)
        assert compiled_record == record
        assert [(e.field, e.message, e.code) for e in compiled_errors] == [(e.field, e.message, e.code) for e in errors]
    assert [name for name, _, _ in compiled.inputs] == ["annualIncome", "age", "employmentTenure"]


def test_of_two_fields_mapped_to_one_name_the_last_takes_the_value():
    compiled = CompiledArguments([model_field("a", INCOME), model_field("b", INCOME)])
    assert compiled.record({"annualIncome": 5}) == ({"b": 5}, [])


def test_results_are_keyed_by_dictionary_name_and_unmapped_ones_keep_their_own():
    fields = [model_field("SCORE", dictionary_field("creditScore", DataType.NUMBER)), model_field("Probability_1")]
    assert result_keys(fields) == (("SCORE", "creditScore"), ("Probability_1", "Probability_1"))
    output = {"SCORE": 612.0, "Probability_1": float("nan")}
    assert results_from_keys(result_keys(fields), output) == {"creditScore": 612.0, "Probability_1": None}
    assert field_mapping(fields) == {"SCORE": "creditScore"}
