"""DMN imports on the rulesets side: resolved by namespace among the partner's published models in
force, pinned when a version is submitted, and registered with exactly those pins on publication."""

import datetime

import pytest
from django.utils import timezone

from core.exceptions import ArgumentError, Conflict
from modelregistry import services as registry
from rulesets import selectors, services
from rulesets.editor import validation_messages as editor_validation_messages
from rulesets.models import Ruleset
from tests.factories import AFFORDABILITY_DMN, AFFORDABILITY_NAMESPACE, importing_knockout_dmn, publish_ruleset

pytestmark = pytest.mark.django_db

IMPORTING = importing_knockout_dmn()


def pin_of(model):
    return {
        "namespace": AFFORDABILITY_NAMESPACE,
        "model": str(model.pk),
        "name": model.name,
        "version": model.version,
        "sha256": model.sha256,
    }


@pytest.fixture
def library(partner, dictionary):
    """The affordability model, published and in force."""
    return publish_ruleset(partner, "Affordability", AFFORDABILITY_DMN, purpose="routing").published_model


def knockout_draft(ruleset, editor, xml=IMPORTING):
    return services.ruleset_version_create_draft(ruleset=ruleset, actor=editor, dmn_xml=xml)


def test_a_draft_importing_a_published_model_is_tested_reviewed_and_published_with_that_version_pinned(
    library, ruleset, editor, approver
):
    services.ruleset_test_case_create(
        ruleset=ruleset,
        name="low income and a delinquency",
        inputs={"aff.annualIncome": 20000, "accountsNowDelinquent": 1},
        expected_outputs={"knockoutReasons": ["KO03", "KO01"]},
        actor=editor,
    )
    version = knockout_draft(ruleset, editor)
    run = services.ruleset_version_test_run(version=version)
    assert [result.passed for result in run.results] == [True]
    # the imported model's input maps onto the dictionary by its name without the prefix
    mapping = {
        row["name"]: row["supportedFieldName"] for row in selectors.ruleset_version_field_mapping(version=version)
    }
    assert mapping["aff.annualIncome"] == "annualIncome"

    version = services.ruleset_version_submit(version=version, actor=editor)
    assert version.imports == [pin_of(library)]
    services.ruleset_version_approve(
        version=version, actor=approver, effective_from=timezone.now() - datetime.timedelta(seconds=1)
    )
    model = services.ruleset_version_publish(version=version, actor=approver).published_model
    assert model.imports == [pin_of(library)]
    assert model.namespace == "urn:creditbox:test:knockouts"
    assert library.namespace == AFFORDABILITY_NAMESPACE
    mapped = {field.name: field.supported_field.name for field in model.fields.select_related("supported_field")}
    assert mapped["aff.annualIncome"] == "annualIncome"


def test_an_import_nobody_published_is_refused_at_upload_naming_its_namespace(partner, editor, dictionary):
    with pytest.raises(ArgumentError) as raised:
        services.artifact_upload(partner=partner, name="Knock-outs", artifact=IMPORTING, created_by=editor)
    assert raised.value.field == ("artifact",)
    assert AFFORDABILITY_NAMESPACE in raised.value.message
    assert raised.value.code == "import_not_found"
    assert not Ruleset.objects.filter(name="Knock-outs").exists()


def test_another_partners_model_of_that_namespace_is_never_found(partner, other_partner, editor, dictionary):
    publish_ruleset(other_partner, "Affordability", AFFORDABILITY_DMN, purpose="routing")
    with pytest.raises(ArgumentError, match=AFFORDABILITY_NAMESPACE):
        services.artifact_upload(partner=partner, name="Knock-outs", artifact=IMPORTING, created_by=editor)


def test_a_draft_or_a_scheduled_version_is_not_imported(partner, editor, dictionary):
    library = services.ruleset_create(partner=partner, name="Affordability", purpose="routing", actor=editor)
    services.ruleset_version_create_draft(ruleset=library, actor=editor, dmn_xml=AFFORDABILITY_DMN)
    with pytest.raises(ArgumentError, match="none of the partner's published DMN models in force"):
        services.artifact_upload(partner=partner, name="Knock-outs", artifact=IMPORTING, created_by=editor)
    publish_ruleset(
        partner, "Affordability", AFFORDABILITY_DMN, effective_from=timezone.now() + datetime.timedelta(days=1)
    )
    with pytest.raises(ArgumentError, match=AFFORDABILITY_NAMESPACE):
        services.artifact_upload(partner=partner, name="Knock-outs", artifact=IMPORTING, created_by=editor)


def test_the_version_in_force_is_imported_and_the_reviewed_pin_is_what_publication_registers(
    partner, library, ruleset, editor, approver
):
    version = knockout_draft(ruleset, editor)
    services.ruleset_version_submit(version=version, actor=editor)
    newer = publish_ruleset(
        partner, "Affordability", AFFORDABILITY_DMN.replace("30000", "25000"), purpose="routing"
    ).published_model
    assert selectors.ruleset_version_imports(knockout_draft(ruleset, editor))[0].model_id == str(newer.pk)
    services.ruleset_version_approve(
        version=version, actor=approver, effective_from=timezone.now() - datetime.timedelta(seconds=1)
    )
    published = services.ruleset_version_publish(version=version, actor=approver)
    assert published.published_model.imports == [pin_of(library)]  # what the approver reviewed


def test_a_version_whose_import_was_retired_since_review_is_not_published(partner, library, ruleset, editor, approver):
    version = knockout_draft(ruleset, editor)
    services.ruleset_version_submit(version=version, actor=editor)
    services.ruleset_version_approve(
        version=version, actor=approver, effective_from=timezone.now() - datetime.timedelta(seconds=1)
    )
    registry.predictive_model_retire(model=library, actor=approver)
    with pytest.raises(Conflict, match="retired since it was reviewed"):
        services.ruleset_version_publish(version=version, actor=approver)
    version.refresh_from_db()
    assert (version.status, version.published_model) == ("approved", None)


def test_two_rulesets_of_one_namespace_make_an_import_ambiguous(partner, library, editor):
    publish_ruleset(partner, "Affordability copy", AFFORDABILITY_DMN, purpose="routing")
    with pytest.raises(ArgumentError) as raised:
        services.artifact_upload(partner=partner, name="Knock-outs", artifact=IMPORTING, created_by=editor)
    assert raised.value.code == "import_ambiguous"
    assert "Affordability, Affordability copy" in raised.value.message


TABLE_READING_AN_IMPORT = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="bands" name="Bands"
             namespace="urn:creditbox:test:bands">
  <import name="aff" namespace="urn:creditbox:test:affordability" locationURI="https://example.invalid/a.dmn"
          importType="https://www.omg.org/spec/DMN/20191111/MODEL/"/>
  <decision id="d_ko" name="knockoutReasons">
    <variable id="v_ko" name="knockoutReasons"/>
    <informationRequirement id="r1"><requiredDecision href="urn:creditbox:test:affordability#d_band"/></informationRequirement>
    <decisionTable id="t_ko" hitPolicy="COLLECT">
      <input id="c_band" label="band"><inputExpression id="e_band" typeRef="string"><text>aff.incomeBand</text></inputExpression></input>
      <output id="o_ko" name="reasonCode" typeRef="string"/>
      <rule id="low"><inputEntry id="l1"><text>"low"</text></inputEntry><outputEntry id="l2"><text>"KO03"</text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>
"""


def test_the_editor_validates_a_table_reading_an_imported_decision_with_the_partners_registry(
    partner, ruleset, editor, dictionary
):
    version = knockout_draft(ruleset, editor, xml=TABLE_READING_AN_IMPORT)
    [message] = editor_validation_messages(version, version.dmn_xml)
    assert message["severity"] == "error" and AFFORDABILITY_NAMESPACE in message["message"]
    publish_ruleset(partner, "Affordability", AFFORDABILITY_DMN, purpose="routing")
    messages = editor_validation_messages(version, version.dmn_xml)
    assert [m for m in messages if m["severity"] == "error"] == []
    loaded = selectors.ruleset_version_loaded(version)
    assert loaded.evaluate({"aff.annualIncome": 100})["knockoutReasons"] == ["KO03"]
