"""What a ruleset version's row enforces by itself, whoever writes it."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from rulesets import services
from rulesets.models import RulesetVersion
from tests.factories import KNOCKOUT_DMN, publish_ruleset

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(partner, editor, approver, ruleset):
    return publish_ruleset(partner, ruleset.name, KNOCKOUT_DMN, author=editor, approver=approver)


def test_a_published_versions_xml_never_changes(published):
    published.dmn_xml = KNOCKOUT_DMN.replace("12000", "15000")
    with pytest.raises(ValidationError, match="edit a new draft"):
        published.save()
    assert RulesetVersion.objects.get(pk=published.pk).dmn_xml == KNOCKOUT_DMN


@pytest.mark.parametrize(
    "field, value",
    [
        ("effective_from", timezone.now() + datetime.timedelta(days=9)),
        ("change_note", "rewritten history"),
        ("field_mapping", {"annualIncome": "annualIncome"}),
    ],
)
def test_nothing_else_of_a_published_version_changes_either(published, field, value):
    setattr(published, field, value)
    with pytest.raises(ValidationError):
        published.save()


def test_a_published_version_only_retires_and_a_retired_one_never_returns(published):
    published.status = "draft"
    with pytest.raises(ValidationError, match="cannot become draft"):
        published.save()
    published.status = "retired"
    published.save()
    published.status = "published"
    with pytest.raises(ValidationError):
        published.save()


def test_xml_in_review_is_frozen_but_a_draft_is_free(ruleset, editor):
    version = services.ruleset_version_create_draft(ruleset=ruleset, actor=editor, dmn_xml=KNOCKOUT_DMN)
    version.change_note = "typo fixed"
    version.save()
    services.ruleset_version_submit(version=version, actor=editor)
    version.refresh_from_db()
    version.dmn_xml = KNOCKOUT_DMN.replace("12000", "1")
    with pytest.raises(ValidationError):
        version.save()


def test_a_status_cannot_skip_review(ruleset, editor):
    version = services.ruleset_version_create_draft(ruleset=ruleset, actor=editor, dmn_xml=KNOCKOUT_DMN)
    version.status = "approved"
    with pytest.raises(ValidationError, match="cannot become approved"):
        version.save()


def test_only_drafts_are_deleted(published, ruleset, editor):
    with pytest.raises(ValidationError):
        published.delete()
    version = services.ruleset_version_create_draft(ruleset=ruleset, actor=editor, dmn_xml=KNOCKOUT_DMN)
    version.delete()
    assert not RulesetVersion.objects.filter(pk=version.pk).exists()


def test_the_database_refuses_a_published_row_without_effective_from_or_model(ruleset, editor):
    for extra in ({"effective_from": None}, {"effective_from": timezone.now(), "published_model": None}):
        with pytest.raises(IntegrityError), transaction.atomic():
            RulesetVersion.objects.create(
                ruleset=ruleset, number=99, dmn_xml="<x/>", sha256="0" * 64, status="published", author=editor, **extra
            )


def test_version_numbers_are_unique_per_ruleset(ruleset, editor):
    services.ruleset_version_create_draft(ruleset=ruleset, actor=editor, dmn_xml=KNOCKOUT_DMN)
    with pytest.raises(IntegrityError), transaction.atomic():
        RulesetVersion.objects.create(ruleset=ruleset, number=1, dmn_xml="<x/>", sha256="0" * 64, author=editor)
