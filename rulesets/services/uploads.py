"""Uploads through the API or the admin: PMML is registered, DMN rules become a draft."""

from django.db import transaction

from core.exceptions import ArgumentError
from modelregistry import services as registry
from modelregistry.models import Engine

from ..models import Ruleset, RulesetPurpose
from .versions import ruleset_create, ruleset_version_create_draft


def artifact_upload(
    *,
    partner,
    name,
    created_by,
    artifact=None,
    workbook=None,
    source_name="",
    description="",
    purpose=None,
    allow_reference_engine=False,
):
    """An upload through the API or the admin: PMML is registered at once; DMN XML or an Excel
    workbook becomes a DRAFT version of the ruleset `name` (created with `purpose` when new).

    Returns the PredictiveModel or the RulesetVersion. No rules reach decisions without approval.
    The upload is read and compiled once. A DMN import is resolved by namespace among the partner's
    published models in force; one not found is refused (400) naming its namespace.
    `allow_reference_engine` (PMML only) lets pypmml evaluate what the native engine cannot.
    """
    prepared = registry.artifact_prepare(
        name=name,
        artifact=artifact,
        workbook=workbook,
        source_name=source_name,
        allow_reference_engine=allow_reference_engine,
        partner=partner,
    )
    if prepared.engine != Engine.DMN:
        return registry.predictive_model_register(
            partner=partner, name=name, created_by=created_by, description=description, prepared=prepared
        )
    return _draft_from_upload(
        partner=partner,
        name=name.strip(),
        created_by=created_by,
        prepared=prepared,
        description=description,
        purpose=purpose,
    )


@transaction.atomic
def _draft_from_upload(*, partner, name, created_by, prepared, description, purpose):
    ruleset = Ruleset.objects.filter(partner=partner, name=name).first()
    if ruleset is None:
        ruleset = ruleset_create(
            partner=partner,
            name=name,
            purpose=purpose or RulesetPurpose.KNOCKOUT,
            actor=created_by,
            description=description,
        )
    elif purpose and purpose != ruleset.purpose:
        raise ArgumentError("purpose", f"The ruleset {name!r} is for {ruleset.get_purpose_display().lower()}.")
    source = prepared.source
    return ruleset_version_create_draft(
        ruleset=ruleset,
        actor=created_by,
        dmn_xml=prepared.artifact,
        change_note=description,
        source_format=source["source_format"],
        source_name=source.get("source_name", ""),
        source_file=source.get("source_file"),
    )
