"""Bounded PMML evaluation (modelregistry/pmml/limits.py): a string function cannot amplify an
evaluation into megabytes. Engine only, no Django."""

import pytest

from modelregistry import pmml
from modelregistry.pmml.limits import MAX_STRING_RESULT

TEMPLATE = """<PMML xmlns="http://www.dmg.org/PMML-4_4" version="4.4"><Header/>
<DataDictionary><DataField name="amount" optype="continuous" dataType="double"/>
<DataField name="word" optype="categorical" dataType="string"/></DataDictionary>
<TransformationDictionary>{derived}</TransformationDictionary>
<RegressionModel functionName="regression"><MiningSchema><MiningField name="amount"/><MiningField name="word"/>
</MiningSchema><Output><OutputField name="label_out" dataType="string" feature="transformedValue">
<FieldRef field="{result}"/></OutputField></Output>
<RegressionTable intercept="1"><NumericPredictor name="amount" coefficient="2"/></RegressionTable></RegressionModel></PMML>
"""


def format_number(pattern):
    return TEMPLATE.format(
        result="label",
        derived=(
            '<DerivedField name="label" optype="categorical" dataType="string"><Apply function="formatNumber">'
            f'<FieldRef field="amount"/>{pattern}</Apply></DerivedField>'
        ),
    )


def doubling_concat(levels):
    """Each derived field is the previous one twice: 2**levels times the input from a tiny document."""
    fields = ['<DerivedField name="d0" optype="categorical" dataType="string"><FieldRef field="word"/></DerivedField>']
    for level in range(1, levels + 1):
        fields.append(
            f'<DerivedField name="d{level}" optype="categorical" dataType="string"><Apply function="concat">'
            f'<FieldRef field="d{level - 1}"/><FieldRef field="d{level - 1}"/></Apply></DerivedField>'
        )
    return TEMPLATE.format(result=f"d{levels}", derived="".join(fields))


def test_a_reasonable_format_pattern_formats():
    assert pmml.load(format_number("<Constant>%8.2f</Constant>")).evaluate({"amount": 3.5, "word": "x"}) == {
        "label_out": "    3.50"
    }


@pytest.mark.parametrize("pattern", ["%5000000d", "%.5000000f", "%-070000d", "x%d%0100000d"])
def test_a_static_format_pattern_that_amplifies_is_refused_at_load_naming_the_apply(pattern):
    with pytest.raises(pmml.ModelLoadError, match=r"formatNumber pattern .* 65,536 characters \(Apply, line 4\)"):
        pmml.load(format_number(f"<Constant>{pattern}</Constant>"))


def test_a_static_pattern_is_refused_even_where_the_reference_engine_would_evaluate():
    document = format_number("<Constant>%5000000d</Constant>").replace(
        "</TransformationDictionary>",
        '<DerivedField name="other" optype="categorical" dataType="string"><Apply function="replace">'
        '<FieldRef field="word"/><Constant>a</Constant><Constant>b</Constant></Apply></DerivedField>'
        "</TransformationDictionary>",
    )
    with pytest.raises(pmml.ModelLoadError, match="formatNumber pattern"):
        pmml.load(document, fallback=True)


def test_a_pattern_read_from_the_record_is_checked_when_evaluating():
    model = pmml.load(format_number('<FieldRef field="word"/>'))
    assert model.evaluate({"amount": 7, "word": "%3d"}) == {"label_out": "  7"}
    with pytest.raises(pmml.EvaluationError, match="formatNumber pattern '%5000000d'"):
        model.evaluate({"amount": 7, "word": "%5000000d"})


def test_concat_that_would_exceed_the_limit_is_an_evaluation_error_not_a_huge_string():
    model = pmml.load(doubling_concat(20))
    assert model.evaluate({"amount": 1, "word": ""}) == {"label_out": ""}
    with pytest.raises(pmml.EvaluationError, match="concat would produce 131,072 characters; the limit is 65,536"):
        model.evaluate({"amount": 1, "word": "x"})
    assert (
        len(pmml.load(doubling_concat(6)).evaluate({"amount": 1, "word": "x" * 1000})["label_out"])
        == 64_000
        < MAX_STRING_RESULT
    )
