"""The cell-by-cell difference between two versions of a ruleset."""

from pathlib import Path

import pytest

from core.exceptions import ArgumentError
from rulesets.diff import dmn_diff, ruleset_version_diff
from tests.factories import KNOCKOUT_DMN

KNOCKOUT = (Path(__file__).resolve().parents[2] / "demo" / "rules" / "knockout.dmn").read_text()


def test_the_same_document_has_no_difference():
    diff = dmn_diff(KNOCKOUT, KNOCKOUT)
    assert diff.is_empty and diff.text() == "No difference in the decisions."


def test_an_edited_cell_reads_as_one_change_with_column_and_old_and_new_text():
    diff = dmn_diff(KNOCKOUT, KNOCKOUT.replace("&lt; 12000", "&lt; 15000"))
    [table] = diff.tables
    [change] = table.rules
    assert (table.decision, change.kind, change.old_number, change.new_number) == ("knockout", "changed", 3, 3)
    assert [(cell.column, cell.old, cell.new) for cell in change.cells] == [("annualIncome", "< 12000", "< 15000")]
    assert diff.text() == "Decision 'knockout':\n  rule 3 changed: annualIncome: < 12000 → < 15000"


def _rule(rule_id, income, reason):
    return (
        f'<rule id="{rule_id}"><inputEntry><text>{income}</text></inputEntry><inputEntry><text>-</text></inputEntry>'
        f'<outputEntry><text>"{reason}"</text></outputEntry></rule>'
    )


def _table(*rules, hit_policy="COLLECT"):
    head, tail = KNOCKOUT_DMN.split('<rule id="rule1">', 1)
    tail = tail.split("</decisionTable>", 1)[1]
    return head.replace('hitPolicy="COLLECT"', f'hitPolicy="{hit_policy}"') + "".join(rules) + "</decisionTable>" + tail


def test_an_added_rule_is_listed_with_every_cell():
    old = _table(_rule("a", "&lt; 12000", "KO03"), _rule("b", "-", "KO01"))
    new = _table(_rule("b", "-", "KO01"), _rule("c", "&gt; 900000", "KO09"), _rule("d", "&gt; 5", "KO08"))
    [table] = dmn_diff(old, new).tables
    # "b" is matched by its id and unchanged; "a" and "c" have no common id and pair as an edited row.
    assert [str(change) for change in table.rules] == [
        'rule 2 (was rule 1) changed: annualIncome: < 12000 → > 900000; reasonCode: "KO03" → "KO09"',
        'rule 3 added: annualIncome = > 5, accountsNowDelinquent = -, reasonCode = "KO08"',
    ]


def test_rules_without_a_common_id_are_paired_by_position_and_the_rest_added_or_removed():
    old = _table(_rule("a", "&lt; 12000", "KO03"), _rule("b", "-", "KO01"))
    new = _table(_rule("b", "-", "KO01"))
    [table] = dmn_diff(old, new).tables
    assert [str(change) for change in table.rules] == [
        'rule 1 removed: annualIncome = < 12000, accountsNowDelinquent = -, reasonCode = "KO03"'
    ]
    new = _table(_rule("x", "&lt; 12000", "KO03"), _rule("y", "&gt; 900000", "KO09"))
    [table] = dmn_diff(old, new).tables
    assert [str(change) for change in table.rules] == [
        'rule 2 changed: annualIncome: - → > 900000; reasonCode: "KO01" → "KO09"'
    ]


def test_rules_matched_by_id_show_a_change_even_when_another_rule_was_inserted_above():
    old = _table(_rule("a", "&lt; 12000", "KO03"), _rule("b", "-", "KO01"))
    new = _table(_rule("z", "&gt; 1", "KO07"), _rule("a", "&lt; 12000", "KO03"), _rule("b", "-", "KO02"))
    [table] = dmn_diff(old, new).tables
    assert [str(change) for change in table.rules] == [
        'rule 1 added: annualIncome = > 1, accountsNowDelinquent = -, reasonCode = "KO07"',
        'rule 3 (was rule 2) changed: reasonCode: "KO01" → "KO02"',
    ]


def test_reordering_matters_under_first_and_is_reported_as_a_move():
    first, second = _rule("a", "&lt; 12000", "KO03"), _rule("b", "-", "KO01")
    [table] = dmn_diff(_table(first, second, hit_policy="FIRST"), _table(second, first, hit_policy="FIRST")).tables
    assert [str(change) for change in table.rules] == ["rule 1 (was rule 2) moved"]
    # Under COLLECT the order does not change any decision: no difference is reported.
    assert dmn_diff(_table(first, second), _table(second, first)).is_empty


def test_hit_policy_and_columns_are_compared():
    old = _table(_rule("a", "&lt; 12000", "KO03"))
    new = _table(_rule("a", "&lt; 12000", "KO03"), hit_policy="UNIQUE").replace(
        'label="accountsNowDelinquent"', 'label="delinquentAccounts"'
    )
    [table] = dmn_diff(old, new).tables
    assert table.hit_policy == ("COLLECT", "UNIQUE")
    assert (table.columns_added, table.columns_removed) == (["delinquentAccounts"], ["accountsNowDelinquent"])


def test_an_unreadable_version_is_an_argument_error():
    with pytest.raises(ArgumentError) as raised:
        dmn_diff(KNOCKOUT, KNOCKOUT.replace("</definitions>", ""))
    assert raised.value.field == ("dmnXml",)


@pytest.mark.django_db
def test_versions_of_different_rulesets_are_not_compared(partner, dictionary):
    from tests.factories import publish_ruleset

    one = publish_ruleset(partner, "One", KNOCKOUT_DMN)
    two = publish_ruleset(partner, "Two", KNOCKOUT_DMN)
    with pytest.raises(ArgumentError):
        ruleset_version_diff(old=one, new=two)
    assert ruleset_version_diff(old=one, new=one).is_empty
