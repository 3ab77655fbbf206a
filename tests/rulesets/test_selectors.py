"""Partner-scoped reads, the effective version, and the mapping a version will get."""

import datetime

import pytest
from django.utils import timezone

from core.exceptions import NotFound
from rulesets import selectors, services
from tests.factories import KNOCKOUT_DMN, publish_ruleset

pytestmark = pytest.mark.django_db

NOW = timezone.now


def publish(partner, editor, approver, effective_from, xml=KNOCKOUT_DMN):
    return publish_ruleset(partner, "Knock-outs", xml, author=editor, approver=approver, effective_from=effective_from)


def test_the_effective_version_is_the_published_one_with_the_latest_effective_from_not_after_now(
    partner, editor, approver, ruleset
):
    assert selectors.ruleset_version_effective(ruleset=ruleset) is None
    older = publish(partner, editor, approver, NOW() - datetime.timedelta(days=10))
    newer = publish(
        partner, editor, approver, NOW() - datetime.timedelta(days=1), KNOCKOUT_DMN.replace("12000", "13000")
    )
    future = publish(
        partner, editor, approver, NOW() + datetime.timedelta(days=1), KNOCKOUT_DMN.replace("12000", "14000")
    )
    assert selectors.ruleset_version_effective(ruleset=ruleset) == newer
    assert selectors.ruleset_version_effective(ruleset=ruleset, at=NOW() - datetime.timedelta(days=5)) == older
    assert selectors.ruleset_version_effective(ruleset=ruleset, at=NOW() + datetime.timedelta(days=2)) == future
    assert selectors.ruleset_version_effective(ruleset=ruleset, at=NOW() - datetime.timedelta(days=20)) is None


def test_a_retired_version_is_never_effective_and_the_one_before_it_takes_over(partner, editor, approver, ruleset):
    older = publish(partner, editor, approver, NOW() - datetime.timedelta(days=10))
    newer = publish(
        partner, editor, approver, NOW() - datetime.timedelta(days=1), KNOCKOUT_DMN.replace("12000", "13000")
    )
    services.ruleset_version_retire(version=newer, actor=approver, note="bad threshold")
    assert selectors.ruleset_version_effective(ruleset=ruleset) == older


def test_approved_but_unpublished_versions_are_not_effective(partner, editor, approver, ruleset):
    version = services.ruleset_version_create_draft(ruleset=ruleset, actor=editor, dmn_xml=KNOCKOUT_DMN)
    services.ruleset_version_submit(version=version, actor=editor)
    services.ruleset_version_approve(version=version, actor=approver, effective_from=NOW() - datetime.timedelta(days=1))
    assert selectors.ruleset_version_effective(ruleset=ruleset) is None


def test_another_partners_rulesets_versions_and_test_cases_are_not_found(partner, other_partner, editor, ruleset):
    version = services.ruleset_version_create_draft(ruleset=ruleset, actor=editor, dmn_xml=KNOCKOUT_DMN)
    case = services.ruleset_test_case_create(
        ruleset=ruleset, name="c", inputs={}, expected_outputs={"x": 1}, actor=editor
    )
    assert list(selectors.ruleset_list(partner=other_partner)) == []
    assert list(selectors.ruleset_version_list(partner=other_partner)) == []
    for lookup in (
        lambda: selectors.ruleset_get(partner=other_partner, ruleset_id=ruleset.pk),
        lambda: selectors.ruleset_version_get(partner=other_partner, version_id=version.pk),
        lambda: selectors.ruleset_test_case_get(partner=other_partner, test_case_id=case.pk),
        lambda: selectors.ruleset_test_case_list(partner=other_partner, ruleset_id=ruleset.pk),
        lambda: selectors.ruleset_version_get(partner=partner, version_id="not-a-uuid"),
    ):
        with pytest.raises(NotFound):
            lookup()
    assert selectors.ruleset_version_get(partner=partner, version_id=str(version.pk)) == version
    assert list(selectors.ruleset_version_list(partner=partner, ruleset_id=ruleset.pk, status="draft")) == [version]


def test_transitions_are_read_in_order(partner, editor, approver, ruleset):
    version = publish(partner, editor, approver, NOW())
    assert [t.to_status for t in selectors.ruleset_version_transitions(version=version)] == [
        "draft",
        "in_review",
        "approved",
        "published",
    ]


def test_the_mapping_preview_prefers_the_versions_own_then_the_previous_published_then_the_same_name(
    partner, editor, approver, ruleset, dictionary
):
    renamed = KNOCKOUT_DMN.replace("accountsNowDelinquent", "openDelinquencies")
    publish_ruleset(
        partner,
        "Knock-outs",
        renamed,
        author=editor,
        approver=approver,
        field_mapping={"openDelinquencies": "accountsNowDelinquent"},
    )
    # A new draft without its own mapping inherits the published version's.
    draft = services.ruleset_version_create_draft(ruleset=ruleset, actor=editor, dmn_xml=renamed.replace("12000", "9"))
    rows = {row["name"]: row for row in selectors.ruleset_version_field_mapping(version=draft)}
    assert rows["openDelinquencies"]["supportedFieldName"] == "accountsNowDelinquent"
    assert rows["annualIncome"]["supportedFieldName"] == "annualIncome"
    # The version's own mapping wins; a protected characteristic is never a rule input.
    draft = services.ruleset_version_update_draft(
        version=draft, actor=editor, field_mapping={"annualIncome": "applicantAge"}
    )
    rows = {row["name"]: row for row in selectors.ruleset_version_field_mapping(version=draft)}
    assert rows["annualIncome"]["supportedFieldName"] is None
    assert "protected" in rows["annualIncome"]["problem"]
