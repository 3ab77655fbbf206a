"""Rulesets and their versions: authoring, maker-checker review, publication, retirement.

A version moves draft → in review → approved → published → retired. Every move is a
RulesetVersionTransition (who, when, from, to, note) written with an audit event in the same
transaction. Publishing is the only way DMN rules reach the model registry, and so decisions.
"""

import datetime

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from core.exceptions import ArgumentError, ArgumentErrors, Conflict, NotFound, NotPermitted
from core.services import audit_event_record
from modelregistry import engines
from modelregistry import services as registry
from modelregistry.models import DataDictionaryField, Engine, FieldType, PredictiveModel
from partners import roles

from .. import selectors
from ..models import (
    Ruleset,
    RulesetPurpose,
    RulesetVersion,
    RulesetVersionStatus,
    RulesetVersionTransition,
    SourceFormat,
)
from ..signals import ruleset_version_published
from .access import AUTHOR_ROLES, PUBLISHER_ROLES, check_partner, require_role
from .cases import ruleset_version_test_run

MAX_DMN_XML_CHARS = 2_000_000

Status = RulesetVersionStatus


# ---------------------------------------------------------------- rulesets
@transaction.atomic
def ruleset_create(*, partner, name, purpose, actor, description="") -> Ruleset:
    name = (name or "").strip()
    if not name:
        raise ArgumentError("name", "A ruleset needs a name.")
    if purpose not in RulesetPurpose.values:
        raise ArgumentError("purpose", f"Choose one of: {', '.join(RulesetPurpose.values)}.")
    if actor is not None and not actor.is_superuser and actor.partner_id != partner.pk:
        raise NotFound(f"No partner {partner.pk}.")
    require_role(actor, AUTHOR_ROLES, "create rulesets")
    if Ruleset.objects.filter(partner=partner, name=name).exists():
        raise ArgumentError("name", f"The partner has a ruleset named {name!r} already.")
    if PredictiveModel.objects.filter(partner=partner, name=name).exclude(engine=Engine.DMN).exists():
        raise ArgumentError("name", f"{name!r} names a registered model already; choose another name.")
    ruleset = Ruleset.objects.create(
        partner=partner, name=name, purpose=purpose, description=description, created_by=actor
    )
    audit_event_record(actor=actor, action="ruleset.create", obj=ruleset, data={"purpose": purpose})
    return ruleset


# ---------------------------------------------------------------- versions: authoring
def _clean_xml(dmn_xml):
    if not isinstance(dmn_xml, str) or not dmn_xml.strip():
        raise ArgumentError("dmnXml", "The DMN XML is empty.")
    if len(dmn_xml) > MAX_DMN_XML_CHARS:
        raise ArgumentError("dmnXml", f"The DMN XML is longer than {MAX_DMN_XML_CHARS:,} characters.")
    return dmn_xml


def _clean_field_mapping(field_mapping):
    if field_mapping is None:
        return {}
    if not isinstance(field_mapping, dict):
        raise ArgumentError("fieldMapping", "Give an object of DMN names to data-dictionary names.")
    known = set(
        DataDictionaryField.objects.filter(name__in=[str(v) for v in field_mapping.values()]).values_list(
            "name", flat=True
        )
    )
    errors = []
    for name, concept in field_mapping.items():
        if not isinstance(concept, str) or concept not in known:
            errors.append(ArgumentError(("fieldMapping", str(name)), f"The data dictionary has no field {concept!r}."))
    if errors:
        raise ArgumentErrors(errors)
    return {str(name): concept for name, concept in field_mapping.items()}


def _locked_ruleset(ruleset):
    return Ruleset.objects.select_for_update().get(pk=ruleset.pk)


def _locked_version(version):
    locked = RulesetVersion.objects.select_for_update(of=("self",)).select_related("ruleset").get(pk=version.pk)
    return locked


def _record_transition(*, version, from_status, actor, note, action, data=None):
    RulesetVersionTransition.objects.create(
        version=version,
        from_status=from_status or "",
        to_status=version.status,
        actor=actor if getattr(actor, "pk", None) else None,
        note=note or "",
    )
    audit_event_record(
        actor=actor,
        action=f"ruleset_version.{action}",
        obj=version,
        data={
            "ruleset": str(version.ruleset_id),
            "number": version.number,
            "from": from_status or "",
            "to": version.status,
            "sha256": version.sha256,
            **(data or {}),
        },
    )


@transaction.atomic
def ruleset_version_create_draft(
    *,
    ruleset,
    actor,
    dmn_xml=None,
    based_on=None,
    change_note="",
    field_mapping=None,
    source_format=SourceFormat.XML,
    source_name="",
    source_file=None,
) -> RulesetVersion:
    """A new draft of `ruleset`: from `dmn_xml`, or a copy of `based_on` (any earlier version) to edit.

    A draft need not load yet (the editor saves work in progress); submitting requires it.
    """
    check_partner(actor, ruleset)
    require_role(actor, AUTHOR_ROLES, "author rules")
    if based_on is not None and based_on.ruleset_id != ruleset.pk:
        raise ArgumentError("basedOn", "The version to start from belongs to another ruleset.")
    if dmn_xml is None:
        if based_on is None:
            raise ArgumentError("dmnXml", "Give the DMN XML or a version to start from.")
        dmn_xml = based_on.dmn_xml
        if field_mapping is None:
            field_mapping = dict(based_on.field_mapping)
    dmn_xml = _clean_xml(dmn_xml)
    field_mapping = _clean_field_mapping(field_mapping)
    ruleset = _locked_ruleset(ruleset)  # serialise numbering: two drafts never get one number
    latest = ruleset.versions.aggregate(highest=Max("number"))["highest"] or 0
    version = RulesetVersion.objects.create(
        ruleset=ruleset,
        number=latest + 1,
        dmn_xml=dmn_xml,
        sha256=engines.artifact_sha256(dmn_xml),
        status=Status.DRAFT,
        field_mapping=field_mapping,
        change_note=change_note or "",
        based_on=based_on,
        author=actor,
        source_format=source_format,
        source_name=(source_name or "")[:255],
        source_file=source_file,
    )
    _record_transition(
        version=version,
        from_status="",
        actor=actor,
        note=change_note,
        action="create_draft",
        data={"based_on": str(based_on.pk) if based_on else None, "source_format": source_format},
    )
    return version


@transaction.atomic
def ruleset_version_update_draft(
    *, version, actor, dmn_xml=None, change_note=None, field_mapping=None
) -> RulesetVersion:
    """Change a draft's XML, change note or field mapping. Any other status is refused: make a new draft."""
    check_partner(actor, version.ruleset)
    require_role(actor, AUTHOR_ROLES, "author rules")
    version = _locked_version(version)
    if version.status != Status.DRAFT:
        raise Conflict(f"{version} is not a draft; start a new draft from it to make changes.")
    changed = []
    if dmn_xml is not None and dmn_xml != version.dmn_xml:
        version.dmn_xml = _clean_xml(dmn_xml)
        version.sha256 = engines.artifact_sha256(version.dmn_xml)
        # An edited workbook upload is now XML authored here; the workbook stays on the record
        # only as long as it is what the XML was read from.
        if version.source_format == SourceFormat.XLSX:
            version.source_format, version.source_file, version.source_name = SourceFormat.XML, None, ""
        changed.append("dmn_xml")
    if change_note is not None and change_note != version.change_note:
        version.change_note = change_note
        changed.append("change_note")
    if field_mapping is not None:
        field_mapping = _clean_field_mapping(field_mapping)
        if field_mapping != version.field_mapping:
            version.field_mapping = field_mapping
            changed.append("field_mapping")
    if changed:
        version.save()
        audit_event_record(
            actor=actor,
            action="ruleset_version.update_draft",
            obj=version,
            data={"changed": changed, "sha256": version.sha256, "number": version.number},
        )
    return version


# ---------------------------------------------------------------- versions: review and publication
@transaction.atomic
def ruleset_version_submit(*, version, actor, note="") -> RulesetVersion:
    """Submit a draft for review. Refused while the DMN does not load, an input does not map onto
    the data dictionary, or any of the ruleset's test cases fails."""
    check_partner(actor, version.ruleset)
    require_role(actor, AUTHOR_ROLES, "submit rules for review")
    version = _locked_version(version)
    if version.status != Status.DRAFT:
        raise Conflict(f"{version} is not a draft; only a draft is submitted for review.")
    # Imports resolve now, by namespace in the partner's registry; what they resolve to is what the
    # approver reviews and what publication registers (frozen from here on).
    imports = selectors.ruleset_version_imports(version)
    run = ruleset_version_test_run(version=version, imports=imports)  # raises on `dmnXml` when it does not load
    unmapped = [
        row["name"] + f" ({row['problem']})"
        for row in selectors.ruleset_version_field_mapping(version=version)
        if row["fieldType"] == FieldType.ARGUMENT and row["supportedFieldName"] is None
    ]
    if unmapped:
        raise ArgumentError(
            "fieldMapping",
            "Every input must map onto the data dictionary; unmapped: " + "; ".join(unmapped) + ".",
            code="not_mapped",
        )
    if run.failed:
        raise ArgumentError(
            "testCases",
            f"{len(run.failed)} of {len(run.results)} test cases fail: "
            + "; ".join(f"{result.case.name}: {result.summary()}" for result in run.failed[:10])
            + ".",
            code="test_cases_fail",
        )
    previous = version.status
    version.status = Status.IN_REVIEW
    version.imports = [imported.as_record() for imported in imports]
    version.save()
    _record_transition(
        version=version,
        from_status=previous,
        actor=actor,
        note=note,
        action="submit",
        data={"test_cases": len(run.results), "imports": version.imports},
    )
    return version


@transaction.atomic
def ruleset_version_approve(*, version, actor, effective_from, note="") -> RulesetVersion:
    """A rule approver, never the version's author, approves it to take effect from `effective_from`."""
    check_partner(actor, version.ruleset)
    if actor is None or not actor.has_any_role(roles.RULE_APPROVER):
        raise NotPermitted("Only rule approvers approve rule changes.")
    version = _locked_version(version)
    if version.author_id == actor.pk:
        raise NotPermitted("The author of a version never approves it; another rule approver must.")
    if version.status != Status.IN_REVIEW:
        raise Conflict(f"{version} is not in review.")
    if not isinstance(effective_from, datetime.datetime):
        raise ArgumentError("effectiveFrom", "Give the date and time from which the version takes effect.")
    if timezone.is_naive(effective_from):
        effective_from = timezone.make_aware(effective_from)
    previous = version.status
    version.status, version.approver, version.effective_from = Status.APPROVED, actor, effective_from
    version.save()
    _record_transition(
        version=version,
        from_status=previous,
        actor=actor,
        note=note,
        action="approve",
        data={"effective_from": effective_from.isoformat()},
    )
    return version


@transaction.atomic
def ruleset_version_approve_and_publish(*, version, actor, effective_from, note="") -> RulesetVersion:
    """Approve `version` to take effect from `effective_from` and publish it, all or nothing (the rule
    editor's one step). Refused (on `effectiveFrom`) when that is not after the version in force:
    decisions follow the published version with the latest `effective_from`, so an earlier one would
    never be used, which an approver never means."""
    check_partner(actor, version.ruleset)
    if not isinstance(effective_from, datetime.datetime):
        raise ArgumentError("effectiveFrom", "Give the date and time from which the version takes effect.")
    if timezone.is_naive(effective_from):
        effective_from = timezone.make_aware(effective_from)
    current = selectors.ruleset_version_effective(ruleset=version.ruleset)
    if current is not None and effective_from <= current.effective_from:
        raise ArgumentError(
            "effectiveFrom",
            f"Version {current.number} is in effect from "
            f"{timezone.localtime(current.effective_from):%Y-%m-%d %H:%M:%S}; choose a later moment "
            "or this version never takes effect.",
        )
    version = ruleset_version_approve(version=version, actor=actor, effective_from=effective_from, note=note)
    return ruleset_version_publish(version=version, actor=actor, note=note)


@transaction.atomic
def ruleset_version_reject(*, version, actor, note) -> RulesetVersion:
    """Send a version in review (or approved, not yet published) back to draft, saying why."""
    check_partner(actor, version.ruleset)
    if actor is None or not actor.has_any_role(roles.RULE_APPROVER):
        raise NotPermitted("Only rule approvers reject rule changes.")
    if not (note or "").strip():
        raise ArgumentError("note", "Say why the version is rejected.")
    version = _locked_version(version)
    if version.status not in (Status.IN_REVIEW, Status.APPROVED):
        raise Conflict(f"{version} is not in review or approved.")
    previous = version.status
    version.status, version.approver, version.effective_from = Status.DRAFT, None, None
    version.save()
    _record_transition(version=version, from_status=previous, actor=actor, note=note, action="reject")
    return version


@transaction.atomic
def ruleset_version_publish(*, version, actor, note="") -> RulesetVersion:
    """Register an approved version in the model registry (immutable DMN, mapped onto the dictionary).

    From its `effective_from` on, flow steps following the ruleset use it; until then the version
    before it stays in use. Process caches are told once the transaction commits.
    """
    check_partner(actor, version.ruleset)
    require_role(actor, PUBLISHER_ROLES, "publish rules")
    version = _locked_version(version)
    if version.status != Status.APPROVED:
        raise Conflict(f"{version} is not approved; only an approved version is published.")
    rows = selectors.ruleset_version_field_mapping(version=version)
    unmapped = [row["name"] for row in rows if row["fieldType"] == FieldType.ARGUMENT and not row["supportedFieldName"]]
    if unmapped:  # the dictionary changed since review: publishing would give a step that cannot run
        raise ArgumentError(
            "fieldMapping", f"Inputs no longer map onto the data dictionary: {', '.join(unmapped)}.", code="not_mapped"
        )
    mapping = {(row["name"], row["fieldType"]): row["supportedFieldName"] for row in rows}
    model = registry.predictive_model_register_ruleset_version(
        partner=version.ruleset.partner,
        name=version.ruleset.name,
        artifact=version.dmn_xml,
        created_by=actor,
        ruleset_version_id=version.pk,
        description=version.change_note,
        source_format=version.source_format,
        source_name=version.source_name,
        source_file=version.source_file if version.source_format == SourceFormat.XLSX else None,
        imports=version.imports,
    )
    _apply_mapping(model, mapping, actor)
    previous = version.status
    version.status, version.published_model = Status.PUBLISHED, model
    version.save()
    _record_transition(
        version=version,
        from_status=previous,
        actor=actor,
        note=note,
        action="publish",
        data={
            "model": str(model.pk),
            "model_version": model.version,
            "effective_from": version.effective_from.isoformat(),
        },
    )
    ruleset_version_live_states_refresh(ruleset=version.ruleset)
    ruleset_id, version_id = version.ruleset_id, version.pk
    transaction.on_commit(
        lambda: ruleset_version_published.send(sender=RulesetVersion, ruleset_id=ruleset_id, version_id=version_id)
    )
    return version


def _apply_mapping(model, mapping, actor):
    """Make the registered fields' mapping exactly `mapping` (unmapping first, so swaps succeed)."""
    fields = list(model.fields.select_related("supported_field"))
    differing = [
        f
        for f in fields
        if (f.supported_field.name if f.supported_field_id else None) != mapping.get((f.name, f.field_type))
    ]
    for field_ in differing:
        if field_.supported_field_id:
            registry.predictive_model_field_map(field=field_, supported_field_name=None, actor=actor)
    for field_ in differing:
        target = mapping.get((field_.name, field_.field_type))
        if target is not None:
            registry.predictive_model_field_map(field=field_, supported_field_name=target, actor=actor)


@transaction.atomic
def ruleset_version_retire(*, version, actor, note="") -> RulesetVersion:
    """Withdraw a published version: decisions stop using it (and its registered model) at once."""
    check_partner(actor, version.ruleset)
    require_role(actor, PUBLISHER_ROLES, "retire rules")
    version = _locked_version(version)
    if version.status != Status.PUBLISHED:
        raise Conflict(f"{version} is not published.")
    previous = version.status
    version.status = Status.RETIRED
    version.save()
    if version.published_model.status != "retired":
        registry.predictive_model_retire(model=version.published_model, actor=actor)
    _record_transition(version=version, from_status=previous, actor=actor, note=note, action="retire")
    ruleset_version_live_states_refresh(ruleset=version.ruleset)
    ruleset_id, version_id = version.ruleset_id, version.pk
    transaction.on_commit(
        lambda: ruleset_version_published.send(sender=RulesetVersion, ruleset_id=ruleset_id, version_id=version_id)
    )
    return version


@transaction.atomic
def ruleset_version_live_states_refresh(*, at=None, ruleset=None) -> int:
    """Update the displayed live state of published versions (scheduled; never read by decisions).

    Returns how many versions changed state. Publication and retirement refresh their ruleset at
    once; the scheduled task catches versions whose `effective_from` has since passed.
    """
    at = at or timezone.now()
    versions = RulesetVersion.objects.all() if ruleset is None else RulesetVersion.objects.filter(ruleset=ruleset)
    changed = 0
    live_seen = set()
    for version in versions.filter(status=Status.PUBLISHED).order_by("ruleset_id", "-effective_from", "-number"):
        if version.effective_from > at:
            state = "scheduled"
        elif version.ruleset_id not in live_seen:
            state, _ = "live", live_seen.add(version.ruleset_id)
        else:
            state = "superseded"
        if version.live_state != state:
            RulesetVersion.objects.filter(pk=version.pk).update(live_state=state)
            changed += 1
    changed += versions.exclude(status=Status.PUBLISHED).exclude(live_state="").update(live_state="")
    return changed


@transaction.atomic
def ruleset_version_discard(*, version, actor) -> None:
    """Delete a draft nobody needs (its audit events stay); anything past draft is kept for the record."""
    check_partner(actor, version.ruleset)
    require_role(actor, AUTHOR_ROLES, "discard drafts")
    version = _locked_version(version)
    if version.status != Status.DRAFT:
        raise Conflict(f"{version} is not a draft; only drafts are discarded.")
    if RulesetVersion.objects.filter(based_on=version).exists():
        raise Conflict(f"A later version starts from {version}; it is kept.")
    audit_event_record(
        actor=actor,
        action="ruleset_version.discard",
        obj=version,
        data={"number": version.number, "sha256": version.sha256},
    )
    version.delete()
