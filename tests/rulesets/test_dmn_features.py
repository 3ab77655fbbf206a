"""DMN 1.5 / FEEL features beyond the credit subset: imports, decision services, boxed
expressions, item definitions, and FEEL values the conformance suite measures in bulk."""

import datetime
from decimal import Decimal

import pytest

import rulesets.dmn as dmn
from rulesets.dmn.feel import compile_feel_expression
from tests.rulesets.dmn_models import DMN13

DMN15 = "https://www.omg.org/spec/DMN/20230324/MODEL/"


def feel(text):
    return compile_feel_expression(text)[1]({})


LIBRARY = (
    """<definitions xmlns="%s" name="library" namespace="urn:creditbox:library">
  <itemDefinition name="tApplicant"><itemComponent name="name"><typeRef>string</typeRef></itemComponent>
    <itemComponent name="age"><typeRef>number</typeRef></itemComponent></itemDefinition>
  <businessKnowledgeModel id="greet" name="Greeting">
    <encapsulatedLogic><formalParameter name="applicant" typeRef="tApplicant"/>
      <literalExpression><text>"Dear " + applicant.name</text></literalExpression></encapsulatedLogic>
  </businessKnowledgeModel>
  <inputData id="income" name="Income"><variable name="Income" typeRef="number"/></inputData>
  <decision id="band" name="Income band"><variable name="Income band" typeRef="string"/>
    <informationRequirement><requiredInput href="#income"/></informationRequirement>
    <literalExpression><text>if Income &gt;= 3000 then "high" else "low"</text></literalExpression></decision>
</definitions>"""
    % DMN15
)

LETTER = (
    """<definitions xmlns="%s" name="letter" namespace="urn:creditbox:letter">
  <import name="lib" namespace="urn:creditbox:library" locationURI="file:///etc/passwd"
          importType="https://www.omg.org/spec/DMN/20230324/MODEL/"/>
  <inputData id="applicant" name="Applicant"><variable name="Applicant" typeRef="lib.tApplicant"/></inputData>
  <decision id="letter" name="Letter"><variable name="Letter" typeRef="string"/>
    <informationRequirement><requiredInput href="#applicant"/></informationRequirement>
    <informationRequirement><requiredDecision href="urn:creditbox:library#band"/></informationRequirement>
    <knowledgeRequirement><requiredKnowledge href="urn:creditbox:library#greet"/></knowledgeRequirement>
    <literalExpression><text>lib.Greeting(Applicant) + " (" + lib.Income band + ")"</text></literalExpression>
  </decision>
</definitions>"""
    % DMN15
)


def test_imports_resolve_by_namespace_through_the_callers_resolver_only():
    asked = []

    def resolver(namespace):
        asked.append(namespace)
        return LIBRARY if namespace == "urn:creditbox:library" else None

    model = dmn.load(LETTER, import_resolver=resolver)
    result = model.evaluate({"Applicant": {"name": "Ada", "age": 36}, "Income": 4200})
    assert result["Letter"] == "Dear Ada (high)"
    assert asked == ["urn:creditbox:library"]  # the locationURI is never followed


def test_an_import_not_given_is_a_clear_load_error():
    with pytest.raises(dmn.ModelLoadError, match="imports namespace urn:creditbox:library as .lib."):
        dmn.load(LETTER)


def test_imported_bkm_checks_its_parameter_type():
    model = dmn.load(LETTER, import_resolver=lambda namespace: LIBRARY)
    assert model.evaluate({"Applicant": {"name": "Ada"}, "Income": 10})["Letter"] is None  # no age: not a tApplicant


SERVICE = (
    """<definitions xmlns="%s" name="service" namespace="urn:service">
  <inputData id="amount" name="Amount"><variable name="Amount" typeRef="number"/></inputData>
  <inputData id="term" name="Term"><variable name="Term" typeRef="number"/></inputData>
  <decision id="monthly" name="Monthly"><variable name="Monthly" typeRef="number"/>
    <informationRequirement><requiredInput href="#amount"/></informationRequirement>
    <informationRequirement><requiredInput href="#term"/></informationRequirement>
    <literalExpression><text>decimal(Amount / Term, 2)</text></literalExpression></decision>
  <decisionService id="instalment" name="Instalment">
    <outputDecision href="#monthly"/><inputData href="#amount"/><inputData href="#term"/></decisionService>
  <decision id="plans" name="Plans">
    <knowledgeRequirement><requiredKnowledge href="#instalment"/></knowledgeRequirement>
    <for iteratorVariable="months">
      <in><literalExpression><text>[12, 24, 36]</text></literalExpression></in>
      <return><literalExpression><text>Instalment(1200, months)</text></literalExpression></return>
    </for></decision>
  <decision id="affordable" name="Affordable">
    <informationRequirement><requiredDecision href="#plans"/></informationRequirement>
    <filter><in><literalExpression><text>Plans</text></literalExpression></in>
      <match><literalExpression><text>item &lt;= 50</text></literalExpression></match></filter></decision>
  <decision id="choice" name="Choice">
    <informationRequirement><requiredDecision href="#affordable"/></informationRequirement>
    <conditional><if><literalExpression><text>count(Affordable) &gt; 0</text></literalExpression></if>
      <then><literalExpression><text>min(Affordable)</text></literalExpression></then>
      <else><literalExpression><text>null</text></literalExpression></else></conditional></decision>
</definitions>"""
    % DMN15
)


def test_decision_services_invoked_as_functions_and_boxed_iteration_filter_conditional():
    result = dmn.load(SERVICE).evaluate({})
    assert result["Plans"] == [Decimal(100), Decimal(50), Decimal("33.33")]
    assert result["Affordable"] == [Decimal(50), Decimal("33.33")]
    assert result["Choice"] == Decimal("33.33")


def test_a_decision_service_evaluated_directly_returns_its_outputs():
    assert dmn.load(SERVICE).evaluate({"Amount": 1000, "Term": 8}, "Instalment") == {"Monthly": Decimal(125)}


@pytest.mark.parametrize(
    "text, expected",
    [
        ('date("2024-03-15") - date("1990-07-01") instance of days and time duration', True),
        ('years and months duration(date("1990-07-01"), date("2024-03-15")).years', Decimal(33)),
        ("[1, 2] instance of list<number>", True),
        ("{a: 1} instance of context<a: number>", True),
        ("5 in [[1..3], [4..6]]", True),
        ("(< 10) = (< 10)", True),
        ("[1..10) = [1..10[", True),
        ('@"2024-01-31" + @"P1M"', datetime.date(2024, 2, 29)),
        ('@"2024-03-31T10:00:00@Europe/Paris".time offset', datetime.timedelta(hours=2)),
        ('string(date("-0044-03-15"))', "-0044-03-15"),
        ('date("-0044-03-15") < date("0001-01-01")', True),
        ("day of year(date(2024, 3, 1))", Decimal(61)),
        ("week of year(date(2021, 1, 3))", Decimal(53)),
        ('context put({a: 1}, "b", 2)', {"a": Decimal(1), "b": Decimal(2)}),
        ("list replace([1, 2, 3], function(item, new) item = 2, 9)", [Decimal(1), Decimal(9), Decimal(3)]),
        ('substring(string: "creditbox", start position: 7)', "box"),
        ("sort([3, 1, 2], function(a, b) a > b)", [Decimal(3), Decimal(2), Decimal(1)]),
        ("overlaps([1..5], [4..8])", True),
        ('is(@"10:00:00@Europe/Paris", @"10:00:00+01:00")', False),
        ('"\\U01F40E" = "🐎"', True),
        ('matches("hello world", "hello[ ]world ", "x")', True),
        ("1 + /* a comment */ 2", Decimal(3)),
    ],
)
def test_feel_values_and_functions(text, expected):
    assert feel(text) == expected


def test_item_definition_types_make_mistyped_decision_outputs_null():
    model = dmn.load(
        """<definitions xmlns="%s" name="t" namespace="urn:t">
      <itemDefinition name="tScore"><typeRef>number</typeRef></itemDefinition>
      <decision id="a" name="Good"><variable name="Good" typeRef="tScore"/>
        <literalExpression><text>[700]</text></literalExpression></decision>
      <decision id="b" name="Bad"><variable name="Bad" typeRef="tScore"/>
        <literalExpression><text>"seven hundred"</text></literalExpression></decision>
    </definitions>"""
        % DMN13
    )
    assert model.evaluate({}) == {"Good": Decimal(700), "Bad": None}  # a singleton list is its item
