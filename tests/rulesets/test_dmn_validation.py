"""The editor's validation engine: FEEL errors by rule and column; exact overlaps, unreachable rules and gaps.

The exact checks are cross-checked against the engine itself: hypothesis draws tables of literal
unary tests, every cell is compiled by the engine's FEEL compiler, and brute force over sample
points (every literal, the points between and beyond them) decides which rules match. Whatever the
validation reports must hold there (soundness), and whatever brute force finds must be reported
(completeness on those points).
"""

import itertools
from decimal import Decimal
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rulesets.dmn.feel import compile_feel_unary_tests
from rulesets.dmn.validation import ERROR, validate

POLICIES = {"U": "UNIQUE", "F": "FIRST", "A": "ANY", "C": "COLLECT", "P": "PRIORITY"}


def table_xml(policy, columns, rules, *, default=None, input_values=None):
    """A one-table DMN model: columns [(name, typeRef)], rules [[entry, ..., output]]."""
    inputs = "".join(
        '<input id="in%d" label="%s"><inputExpression id="ie%d" typeRef="%s"><text>%s</text></inputExpression>%s'
        "</input>"
        % (
            i,
            name,
            i,
            type_ref,
            name,
            "<inputValues><text>%s</text></inputValues>" % escape(input_values[name])
            if input_values and name in input_values
            else "",
        )
        for i, (name, type_ref) in enumerate(columns)
    )
    data = "".join(
        '<inputData id="d_%s" name="%s"><variable name="%s" typeRef="%s"/></inputData>' % (name, name, name, type_ref)
        for name, type_ref in columns
    )
    requirements = "".join(
        '<informationRequirement><requiredInput href="#d_%s"/></informationRequirement>' % name for name, _ in columns
    )
    body = "".join(
        '<rule id="r%d">%s<outputEntry><text>%s</text></outputEntry></rule>'
        % (n, "".join("<inputEntry><text>%s</text></inputEntry>" % escape(e) for e in rule[:-1]), escape(rule[-1]))
        for n, rule in enumerate(rules, 1)
    )
    default_entry = "<defaultOutputEntry><text>%s</text></defaultOutputEntry>" % escape(default) if default else ""
    return (
        '<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="defs" name="t" namespace="t">'
        '%s<decision id="dec" name="result">%s<decisionTable id="table" hitPolicy="%s">%s'
        '<output id="out" name="result" typeRef="string">%s</output>%s</decisionTable></decision></definitions>'
        % (data, requirements, POLICIES[policy], inputs, default_entry, body)
    )


def codes(messages):
    return [(m.code, m.rule, m.rules) for m in messages if m.code != "not-analysed"]


# ---------------------------------------------------------------- examples
def test_a_feel_error_names_the_rule_and_the_column():
    xml = table_xml(
        "C",
        [("annualIncome", "number"), ("term", "string")],
        [["< 12000", "-", '"KO03"'], ["-", '"term_36"', '"A"'], [">> 5", "-", '"B"']],
    )
    [message] = [m for m in validate(xml) if m.severity == ERROR]
    assert (message.code, message.rule, message.column) == ("feel-syntax", 3, "annualIncome")
    assert message.text.startswith("Rule 3, column annualIncome: '>> 5' is not a valid input entry")


def test_every_feel_error_is_reported_at_once_outputs_included():
    xml = table_xml("C", [("a", "number"), ("b", "number")], [["< (1", "[1..", '"x"'], ["-", "-", '"unclosed']])
    found = [(m.rule, m.column) for m in validate(xml) if m.code == "feel-syntax"]
    assert found == [(1, "a"), (1, "b"), (2, "result")]


def test_overlap_under_unique_names_both_rules_with_an_input_both_match():
    xml = table_xml(
        "U", [("score", "number")], [["< 553", '"DECLINE"'], ["[550..563)", '"REFER"'], [">= 563", '"APPROVE"']]
    )
    [overlap] = [m for m in validate(xml) if m.code == "overlap"]
    assert overlap.rules == (1, 2) and overlap.severity == ERROR
    assert Decimal(550) <= overlap.counterexample["score"] < Decimal(553)
    assert "Rules 1 and 2 overlap under hit policy UNIQUE: both match score = " in overlap.text


def test_a_gap_between_bands_is_found_with_the_missing_value():
    xml = table_xml(
        "U", [("score", "number")], [["< 553", '"DECLINE"'], ["(553..563)", '"REFER"'], [">= 563", '"APPROVE"']]
    )
    [gap] = [m for m in validate(xml) if m.code == "gap"]
    assert gap.counterexample == {"score": Decimal(553)}
    assert gap.as_dict()["counterexample"] == [{"column": "score", "input": "score", "value": "553"}]


def test_a_default_output_or_a_collect_table_has_no_gap():
    rules = [["< 1", '"low"']]
    assert codes(validate(table_xml("U", [("x", "number")], rules, default='"none"'))) == []
    assert codes(validate(table_xml("C", [("x", "number")], rules))) == []


def test_unreachable_under_first_needs_the_union_of_earlier_rules():
    xml = table_xml(
        "F",
        [("a", "number"), ("b", "string")],
        [["< 10", "-", '"1"'], [">= 10", '"x"', '"2"'], ["[5..20]", '"x"', '"3"'], ["-", "-", '"4"']],
    )
    found = [m for m in validate(xml) if m.code == "unreachable"]
    assert [m.rule for m in found] == [3]  # neither rule 1 nor rule 2 alone covers it; together they do
    assert "is taken by rule" in found[0].text
    assert not any(m.code == "gap" for m in validate(xml))


def test_not_of_a_value_list_is_its_complement_over_strings():
    complete = [['"a"', '"1"'], ['"b"', '"2"'], ['not("a", "b")', '"3"']]
    assert codes(validate(table_xml("U", [("s", "string")], complete))) == []
    xml = table_xml("U", [("s", "string")], [['not("a")', '"1"'], ['>= "a"', '"2"']])
    [overlap] = [m for m in validate(xml) if m.code == "overlap"]
    assert overlap.counterexample["s"] > "a"
    xml = table_xml("F", [("s", "string")], [['<= "a"', '"1"'], ['> "a"', '"2"'], ['"b"', '"3"']])
    assert codes(validate(xml)) == [("unreachable", 3, (2, 3))]


def test_booleans_are_a_finite_domain():
    xml = table_xml("U", [("flag", "boolean"), ("n", "number")], [["true", "-", '"t"'], ["false", "> 0", '"f"']])
    [gap] = [m for m in validate(xml) if m.code == "gap"]
    assert gap.counterexample["flag"] is False and gap.counterexample["n"] <= 0


def test_input_values_and_dictionary_domains_narrow_the_gap_check():
    rules = [['"A"', '"1"'], ['"B"', '"2"']]
    assert any(m.code == "gap" for m in validate(table_xml("U", [("grade", "string")], rules)))
    assert not any(
        m.code == "gap"
        for m in validate(table_xml("U", [("grade", "string")], rules, input_values={"grade": '"A","B"'}))
    )
    income = [["< 12000", '"low"'], [">= 12000", '"ok"']]
    assert not any(
        m.code == "gap"
        for m in validate(table_xml("U", [("income", "number")], income[1:]), input_domains={"income": ">= 12000"})
    )


def test_a_literal_of_another_type_is_an_error_and_never_matches():
    xml = table_xml("U", [("n", "number")], [['"5"', '"a"'], ['not("5")', '"b"']])
    messages = validate(xml)
    assert [(m.code, m.rule) for m in messages if m.code in ("mistyped-literal", "never-matches")] == [
        ("mistyped-literal", 1),
        ("mistyped-literal", 2),
        ("never-matches", 1),
        ("never-matches", 2),
    ]


def test_inputs_outside_the_dictionary_are_named_by_column_decisions_are_allowed():
    xml = table_xml("C", [("annualIncome", "number"), ("status", "string")], [["-", "-", '"x"']])
    [message] = [m for m in validate(xml, known_inputs={"annualIncome"}) if m.code == "unmapped-input"]
    assert message.column == "status" and "Column status reads 'status'" in message.text


def test_a_column_typed_against_the_dictionary_is_an_error_naming_it():
    xml = table_xml("C", [("annualIncome", "string"), ("term", "string")], [["-", "-", '"x"']])
    [message] = [
        m for m in validate(xml, known_inputs={"annualIncome": "number", "term": "string"}) if m.severity == ERROR
    ]
    assert (message.code, message.column) == ("mistyped-input", "annualIncome")
    assert "Column annualIncome is typed string, but the dictionary field 'annualIncome' holds numbers" == message.text


def test_tables_with_expressions_are_not_analysed_but_still_compiled():
    xml = table_xml("U", [("a", "number"), ("b", "number")], [["< b", "-", '"x"'], ["-", "-", '"y"']])
    messages = validate(xml)
    assert [m.code for m in messages] == ["not-analysed"]


def test_the_demo_tables_are_clean():
    for name in ("knockout", "cutoff", "review_routing"):
        assert validate("demo/rules/%s.dmn" % name) == []


def test_a_model_that_is_not_xml_is_one_error():
    [message] = validate("<definitions")
    assert message.code == "model" and message.severity == ERROR


# ---------------------------------------------------------------- cross-check by brute force
NUMBERS = [Decimal(n) for n in (0, 1, 2, 5)]
STRINGS = ["a", "b", "c"]
KINDS = {"number": NUMBERS, "string": STRINGS, "boolean": [True, False]}


def literal(kind, value):
    if kind == "string":
        return '"%s"' % value
    if kind == "boolean":
        return "true" if value else "false"
    return str(value)


@st.composite
def entries(draw, kind):
    values = KINDS[kind]
    pick = lambda: literal(kind, draw(st.sampled_from(values)))  # noqa: E731
    if kind == "boolean":
        positive = st.sampled_from(["true", "false", "true, false"])
    else:

        def bounded(_):
            low, high = sorted(draw(st.lists(st.sampled_from(values), min_size=2, max_size=2)))
            return "%s%s..%s%s" % (
                draw(st.sampled_from("[(")),
                literal(kind, low),
                literal(kind, high),
                draw(st.sampled_from("])")),
            )

        positive = st.one_of(
            st.builds(lambda op: "%s %s" % (op, pick()), st.sampled_from(["<", "<=", ">", ">="])),
            st.builds(lambda _: pick(), st.none()),
            st.builds(lambda _: "%s, %s" % (pick(), pick()), st.none()),
            st.builds(bounded, st.none()),
        )
    return draw(st.one_of(st.just("-"), positive, positive.map(lambda t: "not(%s)" % t)))


def samples(kind):
    """Every literal, points between and beyond them: one per elementary cell of any drawn table."""
    if kind == "boolean":
        return [True, False]
    if kind == "number":
        return [Decimal(v) for v in ("-1", "0", "0.5", "1", "1.5", "2", "3", "5", "6")]
    return ["", "a", "a\u0000", "aa", "b", "ba", "c", "ca"]


@st.composite
def tables(draw):
    kinds = draw(st.lists(st.sampled_from(sorted(KINDS)), min_size=1, max_size=3))
    rules = draw(st.lists(st.tuples(*[entries(kind) for kind in kinds]), min_size=1, max_size=5))
    policy = draw(st.sampled_from("UFA"))
    outputs = [draw(st.sampled_from(['"x"', '"y"'])) for _ in rules]
    return policy, kinds, [list(rule) + [output] for rule, output in zip(rules, outputs)]


def engine_matches(kinds, rules):
    """{sample point: [matching rule numbers]} decided by the engine's compiled unary tests."""
    tests = [[compile_feel_unary_tests(entry)[1] for entry in rule[:-1]] for rule in rules]
    found = {}
    for point in itertools.product(*[samples(kind) for kind in kinds]):
        found[point] = [
            n for n, rule in enumerate(tests, 1) if all(test(value, {}) is True for test, value in zip(rule, point))
        ]
    return found


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_overlaps_gaps_and_unreachable_rules_agree_with_brute_force_on_the_engine(table):
    policy, kinds, rules = table
    columns = [("c%d" % i, kind) for i, kind in enumerate(kinds)]
    messages = validate(table_xml(policy, columns, rules))
    assert not [m for m in messages if m.code in ("feel-syntax", "model", "not-analysed")], messages
    matches = engine_matches(kinds, rules)

    def point_of(message):
        return tuple(message.counterexample["c%d" % i] for i in range(len(kinds)))

    def engine_on(point):
        tests = [[compile_feel_unary_tests(entry)[1] for entry in rule[:-1]] for rule in rules]
        return [n for n, rule in enumerate(tests, 1) if all(t(v, {}) is True for t, v in zip(rule, point))]

    # soundness: every counter-example is one for the engine
    for message in messages:
        if message.code == "overlap":
            assert set(message.rules) <= set(engine_on(point_of(message)))
        elif message.code == "gap":
            assert engine_on(point_of(message)) == []
        elif message.code == "unreachable" and message.counterexample is None:
            assert all(message.rule not in matched for matched in matches.values())
        elif message.code == "unreachable":
            first, rule = message.rules
            assert engine_on(point_of(message))[:1] == [first] and rule in engine_on(point_of(message))
            assert all(matched[0] != rule for matched in matches.values() if rule in matched)
        elif message.code == "never-matches":
            assert all(message.rule not in matched for matched in matches.values())

    # completeness on the sample points
    reported_overlaps = {m.rules for m in messages if m.code == "overlap"}
    reported_unreachable = {m.rule for m in messages if m.code == "unreachable"}
    never = {m.rule for m in messages if m.code == "never-matches"}
    outputs = [rule[-1] for rule in rules]
    for point, matched in matches.items():
        if policy in "UA":
            for pair in itertools.combinations(matched, 2):
                if policy == "U" or outputs[pair[0] - 1] != outputs[pair[1] - 1]:
                    assert pair in reported_overlaps, (point, pair, messages)
        if policy == "F" and matched:
            assert matched[0] not in reported_unreachable, (point, messages)
        assert not (set(matched) & never)
    if any(not matched for matched in matches.values()):
        assert any(m.code == "gap" for m in messages), messages


@pytest.mark.parametrize("policy", ["U", "F"])
def test_a_large_table_stays_within_the_search_budget(policy):
    columns = [("c%d" % i, "number") for i in range(12)]
    rules = [["[%d..%d]" % (r, r + c + 1) for c in range(12)] + ['"x"'] for r in range(60)]
    messages = validate(table_xml(policy, columns, rules))
    assert messages  # answered (overlaps, or "too large to check"), in bounded time


@pytest.mark.parametrize("policy", ["U", "F"])
def test_a_hostile_number_of_rules_is_refused_politely_not_searched_for_minutes(policy):
    rules = [["[%d..%d]" % (r, r + 1), '"x"'] for r in range(2500)]
    messages = validate(table_xml(policy, [("n", "number")], rules))
    assert messages[-1].code == "too-large" and messages[-1].severity == "info"
