"""Business verbs of rulesets: authoring, maker-checker review, publication and test cases.

A version moves draft → in review → approved → published → retired. Every move is a
RulesetVersionTransition (who, when, from, to, note) written with an audit event in the same
transaction. Publishing is the only way DMN rules reach the model registry, and so decisions.
"""
import csv
import datetime
import decimal
import io
import json
import math
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from core.exceptions import ArgumentError, ArgumentErrors, Conflict, NotFound, NotPermitted
from core.services import audit_event_record
from modelregistry import engines
from modelregistry import services as registry
from modelregistry.arguments import plain_value
from modelregistry.models import DataDictionaryField, Engine, FieldType, PredictiveModel
from partners import roles

from . import selectors
from .models import (
    Ruleset,
    RulesetPurpose,
    RulesetTestCase,
    RulesetVersion,
    RulesetVersionStatus,
    RulesetVersionTransition,
    SourceFormat,
)
from .signals import ruleset_version_published

MAX_DMN_XML_CHARS = 2_000_000
MAX_CSV_CHARS = 1_000_000
MAX_CSV_ROWS = 5_000

AUTHOR_ROLES = (roles.RULE_EDITOR, roles.DATA_SCIENTIST, roles.PARTNER_ADMIN)
PUBLISHER_ROLES = (roles.RULE_APPROVER, roles.PARTNER_ADMIN)

Status = RulesetVersionStatus


# ---------------------------------------------------------------- who may act
def _check_partner(actor, ruleset):
    """Another partner's ruleset does not exist for the actor (404, never 403)."""
    if actor is None or getattr(actor, "is_superuser", False):
        return
    if getattr(actor, "partner_id", None) != ruleset.partner_id:
        raise NotFound(f"No ruleset {ruleset.pk}.")


def _require_role(actor, allowed, doing):
    if actor is not None and getattr(actor, "is_superuser", False):
        return
    if actor is None or not actor.has_any_role(*allowed):
        raise NotPermitted(f"Only {', '.join(allowed)} users may {doing}.")


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
    _require_role(actor, AUTHOR_ROLES, "create rulesets")
    if Ruleset.objects.filter(partner=partner, name=name).exists():
        raise ArgumentError("name", f"The partner has a ruleset named {name!r} already.")
    if PredictiveModel.objects.filter(partner=partner, name=name).exclude(engine=Engine.DMN).exists():
        raise ArgumentError("name", f"{name!r} names a registered model already; choose another name.")
    ruleset = Ruleset.objects.create(partner=partner, name=name, purpose=purpose, description=description,
                                     created_by=actor)
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
    known = set(DataDictionaryField.objects.filter(name__in=[str(v) for v in field_mapping.values()])
                .values_list("name", flat=True))
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
        version=version, from_status=from_status or "", to_status=version.status,
        actor=actor if getattr(actor, "pk", None) else None, note=note or "",
    )
    audit_event_record(
        actor=actor, action=f"ruleset_version.{action}", obj=version,
        data={"ruleset": str(version.ruleset_id), "number": version.number, "from": from_status or "",
              "to": version.status, "sha256": version.sha256, **(data or {})},
    )


@transaction.atomic
def ruleset_version_create_draft(
    *, ruleset, actor, dmn_xml=None, based_on=None, change_note="", field_mapping=None,
    source_format=SourceFormat.XML, source_name="", source_file=None,
) -> RulesetVersion:
    """A new draft of `ruleset`: from `dmn_xml`, or a copy of `based_on` (any earlier version) to edit.

    A draft need not load yet (the editor saves work in progress); submitting requires it.
    """
    _check_partner(actor, ruleset)
    _require_role(actor, AUTHOR_ROLES, "author rules")
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
        ruleset=ruleset, number=latest + 1, dmn_xml=dmn_xml, sha256=engines.artifact_sha256(dmn_xml),
        status=Status.DRAFT, field_mapping=field_mapping, change_note=change_note or "", based_on=based_on,
        author=actor, source_format=source_format, source_name=(source_name or "")[:255], source_file=source_file,
    )
    _record_transition(version=version, from_status="", actor=actor, note=change_note, action="create_draft",
                       data={"based_on": str(based_on.pk) if based_on else None, "source_format": source_format})
    return version


@transaction.atomic
def ruleset_version_update_draft(*, version, actor, dmn_xml=None, change_note=None, field_mapping=None) -> RulesetVersion:
    """Change a draft's XML, change note or field mapping. Any other status is refused: make a new draft."""
    _check_partner(actor, version.ruleset)
    _require_role(actor, AUTHOR_ROLES, "author rules")
    version = _locked_version(version)
    if version.status != Status.DRAFT:
        raise Conflict(f"{version} is not a draft; start a new draft from it to make changes.")
    changed = []
    if dmn_xml is not None and dmn_xml != version.dmn_xml:
        version.dmn_xml = _clean_xml(dmn_xml)
        version.sha256 = engines.artifact_sha256(version.dmn_xml)
        # An edited workbook upload is now XML authored here; the workbook stays on the record
        # only as long as it is what the XML was read from.
        version.source_format, version.source_file = SourceFormat.XML, None
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
        audit_event_record(actor=actor, action="ruleset_version.update_draft", obj=version,
                           data={"changed": changed, "sha256": version.sha256, "number": version.number})
    return version


# ---------------------------------------------------------------- versions: review and publication
@transaction.atomic
def ruleset_version_submit(*, version, actor, note="") -> RulesetVersion:
    """Submit a draft for review. Refused while the DMN does not load, an input does not map onto
    the data dictionary, or any of the ruleset's test cases fails."""
    _check_partner(actor, version.ruleset)
    _require_role(actor, AUTHOR_ROLES, "submit rules for review")
    version = _locked_version(version)
    if version.status != Status.DRAFT:
        raise Conflict(f"{version} is not a draft; only a draft is submitted for review.")
    run = ruleset_version_test_run(version=version)  # raises on `dmnXml` when the DMN does not load
    unmapped = [row["name"] + f" ({row['problem']})" for row in selectors.ruleset_version_field_mapping(version=version)
                if row["fieldType"] == FieldType.ARGUMENT and row["supportedFieldName"] is None]
    if unmapped:
        raise ArgumentError("fieldMapping", "Every input must map onto the data dictionary; unmapped: "
                            + "; ".join(unmapped) + ".", code="not_mapped")
    if run.failed:
        raise ArgumentError(
            "testCases",
            f"{len(run.failed)} of {len(run.results)} test cases fail: "
            + "; ".join(f"{result.case.name}: {result.summary()}" for result in run.failed[:10]) + ".",
            code="test_cases_fail",
        )
    previous = version.status
    version.status = Status.IN_REVIEW
    version.save()
    _record_transition(version=version, from_status=previous, actor=actor, note=note, action="submit",
                       data={"test_cases": len(run.results)})
    return version


@transaction.atomic
def ruleset_version_approve(*, version, actor, effective_from, note="") -> RulesetVersion:
    """A rule approver, never the version's author, approves it to take effect from `effective_from`."""
    _check_partner(actor, version.ruleset)
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
    _record_transition(version=version, from_status=previous, actor=actor, note=note, action="approve",
                       data={"effective_from": effective_from.isoformat()})
    return version


@transaction.atomic
def ruleset_version_reject(*, version, actor, note) -> RulesetVersion:
    """Send a version in review (or approved, not yet published) back to draft, saying why."""
    _check_partner(actor, version.ruleset)
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
    _check_partner(actor, version.ruleset)
    _require_role(actor, PUBLISHER_ROLES, "publish rules")
    version = _locked_version(version)
    if version.status != Status.APPROVED:
        raise Conflict(f"{version} is not approved; only an approved version is published.")
    rows = selectors.ruleset_version_field_mapping(version=version)
    unmapped = [row["name"] for row in rows if row["fieldType"] == FieldType.ARGUMENT and not row["supportedFieldName"]]
    if unmapped:  # the dictionary changed since review: publishing would give a step that cannot run
        raise ArgumentError("fieldMapping", f"Inputs no longer map onto the data dictionary: {', '.join(unmapped)}.",
                            code="not_mapped")
    mapping = {(row["name"], row["fieldType"]): row["supportedFieldName"] for row in rows}
    model = registry.predictive_model_register_ruleset_version(
        partner=version.ruleset.partner, name=version.ruleset.name, artifact=version.dmn_xml, created_by=actor,
        ruleset_version_id=version.pk, description=version.change_note, source_format=version.source_format,
        source_name=version.source_name,
        source_file=version.source_file if version.source_format == SourceFormat.XLSX else None,
    )
    _apply_mapping(model, mapping, actor)
    previous = version.status
    version.status, version.published_model = Status.PUBLISHED, model
    version.save()
    _record_transition(version=version, from_status=previous, actor=actor, note=note, action="publish",
                       data={"model": str(model.pk), "model_version": model.version,
                             "effective_from": version.effective_from.isoformat()})
    ruleset_id, version_id = version.ruleset_id, version.pk
    transaction.on_commit(lambda: ruleset_version_published.send(
        sender=RulesetVersion, ruleset_id=ruleset_id, version_id=version_id))
    return version


def _apply_mapping(model, mapping, actor):
    """Make the registered fields' mapping exactly `mapping` (unmapping first, so swaps succeed)."""
    fields = list(model.fields.select_related("supported_field"))
    differing = [f for f in fields
                 if (f.supported_field.name if f.supported_field_id else None) != mapping.get((f.name, f.field_type))]
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
    _check_partner(actor, version.ruleset)
    _require_role(actor, PUBLISHER_ROLES, "retire rules")
    version = _locked_version(version)
    if version.status != Status.PUBLISHED:
        raise Conflict(f"{version} is not published.")
    previous = version.status
    version.status = Status.RETIRED
    version.save()
    if version.published_model.status != "retired":
        registry.predictive_model_retire(model=version.published_model, actor=actor)
    _record_transition(version=version, from_status=previous, actor=actor, note=note, action="retire")
    ruleset_id, version_id = version.ruleset_id, version.pk
    transaction.on_commit(lambda: ruleset_version_published.send(
        sender=RulesetVersion, ruleset_id=ruleset_id, version_id=version_id))
    return version


@transaction.atomic
def ruleset_version_live_states_refresh(*, at=None) -> int:
    """Update the displayed live state of published versions (scheduled; never read by decisions)."""
    at = at or timezone.now()
    changed = 0
    published = (RulesetVersion.objects.filter(status=Status.PUBLISHED)
                 .order_by("ruleset_id", "-effective_from", "-number"))
    live_seen = set()
    for version in published:
        if version.effective_from > at:
            state = "scheduled"
        elif version.ruleset_id not in live_seen:
            state, _ = "live", live_seen.add(version.ruleset_id)
        else:
            state = "superseded"
        if version.live_state != state:
            RulesetVersion.objects.filter(pk=version.pk).update(live_state=state)
            changed += 1
    changed += RulesetVersion.objects.exclude(status=Status.PUBLISHED).exclude(live_state="").update(live_state="")
    return changed


# ---------------------------------------------------------------- uploads
def artifact_upload(*, partner, name, created_by, artifact=None, workbook=None, source_name="", description="",
                    purpose=None):
    """An upload through the API or the admin: PMML is registered at once; DMN XML or an Excel
    workbook becomes a DRAFT version of the ruleset `name` (created with `purpose` when new).

    Returns the PredictiveModel or the RulesetVersion. No rules reach decisions without approval.
    """
    prepared = registry.artifact_prepare(name=name, artifact=artifact, workbook=workbook, source_name=source_name)
    if prepared.engine != Engine.DMN:
        return registry.predictive_model_register(partner=partner, name=name, created_by=created_by,
                                                  artifact=artifact, workbook=workbook, source_name=source_name,
                                                  description=description)
    return _draft_from_upload(partner=partner, name=name.strip(), created_by=created_by, prepared=prepared,
                              description=description, purpose=purpose)


@transaction.atomic
def _draft_from_upload(*, partner, name, created_by, prepared, description, purpose):
    ruleset = Ruleset.objects.filter(partner=partner, name=name).first()
    if ruleset is None:
        ruleset = ruleset_create(partner=partner, name=name, purpose=purpose or RulesetPurpose.KNOCKOUT,
                                 actor=created_by, description=description)
    elif purpose and purpose != ruleset.purpose:
        raise ArgumentError("purpose", f"The ruleset {name!r} is for {ruleset.get_purpose_display().lower()}.")
    source = prepared.source
    return ruleset_version_create_draft(
        ruleset=ruleset, actor=created_by, dmn_xml=prepared.artifact, change_note=description,
        source_format=source["source_format"], source_name=source.get("source_name", ""),
        source_file=source.get("source_file"),
    )


# ---------------------------------------------------------------- test cases
def _clean_case(name, inputs, expected_outputs):
    errors = []
    name = (name or "").strip() if isinstance(name, str) else ""
    if not name or len(name) > 200:
        errors.append(ArgumentError("name", "A test case needs a name of at most 200 characters."))
    if not isinstance(inputs, dict):
        errors.append(ArgumentError("inputs", "Give an object of input names to values."))
    if not isinstance(expected_outputs, dict) or not expected_outputs:
        errors.append(ArgumentError("expectedOutputs", "Give at least one expected output (name to value)."))
    if errors:
        raise ArgumentErrors(errors)
    return name


@transaction.atomic
def ruleset_test_case_create(*, ruleset, name, inputs, expected_outputs, actor) -> RulesetTestCase:
    _check_partner(actor, ruleset)
    _require_role(actor, AUTHOR_ROLES + (roles.RULE_APPROVER,), "write test cases")
    name = _clean_case(name, inputs, expected_outputs)
    if RulesetTestCase.objects.filter(ruleset=ruleset, name=name).exists():
        raise ArgumentError("name", f"The ruleset has a test case named {name!r} already.")
    case = RulesetTestCase.objects.create(ruleset=ruleset, name=name, inputs=inputs, expected_outputs=expected_outputs,
                                          created_by=actor)
    audit_event_record(actor=actor, action="ruleset_test_case.create", obj=case, partner=ruleset.partner)
    return case


@transaction.atomic
def ruleset_test_case_update(*, test_case, actor, name=None, inputs=None, expected_outputs=None) -> RulesetTestCase:
    _check_partner(actor, test_case.ruleset)
    _require_role(actor, AUTHOR_ROLES + (roles.RULE_APPROVER,), "write test cases")
    name = _clean_case(test_case.name if name is None else name, test_case.inputs if inputs is None else inputs,
                       test_case.expected_outputs if expected_outputs is None else expected_outputs)
    if RulesetTestCase.objects.filter(ruleset=test_case.ruleset, name=name).exclude(pk=test_case.pk).exists():
        raise ArgumentError("name", f"The ruleset has a test case named {name!r} already.")
    test_case.name = name
    if inputs is not None:
        test_case.inputs = inputs
    if expected_outputs is not None:
        test_case.expected_outputs = expected_outputs
    test_case.save()
    audit_event_record(actor=actor, action="ruleset_test_case.update", obj=test_case, partner=test_case.ruleset.partner)
    return test_case


@transaction.atomic
def ruleset_test_case_delete(*, test_case, actor) -> None:
    _check_partner(actor, test_case.ruleset)
    _require_role(actor, AUTHOR_ROLES + (roles.RULE_APPROVER,), "write test cases")
    audit_event_record(actor=actor, action="ruleset_test_case.delete", obj=test_case, partner=test_case.ruleset.partner,
                       data={"name": test_case.name})
    test_case.delete()


_TRUE, _FALSE = {"true", "yes", "y", "1"}, {"false", "no", "n", "0"}


def _cell_value(text, data_type):
    """A CSV cell as the value a test case stores (JSON), typed by the DMN field; ValueError says why."""
    stripped = text.strip()
    if stripped.lower() == "null":
        return None
    if stripped[:1] in "[{":
        try:
            return json.loads(stripped)
        except json.JSONDecodeError as error:
            raise ValueError(f"not valid JSON ({error.msg})") from None
    if data_type == "integer":
        try:
            return int(stripped)
        except ValueError:
            raise ValueError(f"{stripped!r} is not a whole number") from None
    if data_type == "number":
        try:
            number = decimal.Decimal(stripped)
        except decimal.InvalidOperation:
            raise ValueError(f"{stripped!r} is not a number") from None
        if not number.is_finite():
            raise ValueError(f"{stripped!r} is not a finite number")
        return int(number) if number == number.to_integral_value() and "." not in stripped and "e" not in stripped.lower() else float(number)
    if data_type == "boolean":
        if stripped.lower() in _TRUE:
            return True
        if stripped.lower() in _FALSE:
            return False
        raise ValueError(f"{stripped!r} is not true or false")
    if data_type == "date":
        try:
            datetime.date.fromisoformat(stripped)
        except ValueError:
            raise ValueError(f"{stripped!r} is not a date (YYYY-MM-DD)") from None
        return stripped
    if data_type == "list":
        return [item.strip() for item in stripped.split("|") if item.strip()]
    if len(stripped) >= 2 and stripped[0] == stripped[-1] == '"':
        return stripped[1:-1]
    return stripped


@transaction.atomic
def ruleset_test_cases_import_csv(*, ruleset, csv_text, actor, version=None) -> list:
    """Create or update test cases from CSV: a `name` column, then one column per DMN input and
    per expected output (bare names are matched against the DMN; `input:NAME` / `expected:NAME`
    say it explicitly). Cells are typed by the DMN's fields; an empty expected cell is not checked.

    Every problem is reported at once, naming the row (as a spreadsheet numbers it: the header is
    row 1) and the column; nothing is imported unless every row is good.
    """
    _check_partner(actor, ruleset)
    _require_role(actor, AUTHOR_ROLES + (roles.RULE_APPROVER,), "write test cases")
    if isinstance(csv_text, bytes):
        try:
            csv_text = csv_text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ArgumentError("csv", "The CSV file is not UTF-8 text.") from None
    if not isinstance(csv_text, str) or not csv_text.strip():
        raise ArgumentError("csv", "The CSV file is empty.")
    if len(csv_text) > MAX_CSV_CHARS:
        raise ArgumentError("csv", f"The CSV file is longer than {MAX_CSV_CHARS:,} characters.")
    version = version or selectors.ruleset_version_latest(ruleset=ruleset)
    if version is None:
        raise ArgumentError("csv", "The ruleset has no version yet; its DMN names the columns a test case has.")
    if version.ruleset_id != ruleset.pk:
        raise ArgumentError("version", "That version belongs to another ruleset.")
    try:
        fields = selectors.ruleset_version_loaded(version).fields
    except ArgumentError as error:
        raise ArgumentError("csv", f"Version {version.number} cannot type the columns: {error.message}") from None
    arguments = {f.name: f.data_type for f in fields if f.field_type == FieldType.ARGUMENT}
    results = {f.name: f.data_type for f in fields if f.field_type == FieldType.RESULT}

    try:
        rows = list(csv.reader(io.StringIO(csv_text.lstrip("\ufeff"))))
    except csv.Error as error:
        raise ArgumentError("csv", f"The CSV file cannot be read: {error}.") from None
    if len(rows) - 1 > MAX_CSV_ROWS:
        raise ArgumentError("csv", f"The CSV file has more than {MAX_CSV_ROWS:,} test cases.")
    header = [cell.strip() for cell in rows[0]]
    errors, columns = [], []
    if not header or header[0].lower() != "name":
        errors.append(ArgumentError(("csv", "1", header[0] if header else "name"),
                                    "Row 1: the first column must be 'name'."))
    for position, title in enumerate(header[1:], start=2):
        kind, _, column = title.partition(":") if ":" in title else ("", "", title)
        kind, column = kind.strip().lower(), column.strip()
        if kind == "input" or (not kind and column in arguments):
            if column not in arguments:
                errors.append(ArgumentError(("csv", "1", title), f"Row 1, column {position} {title!r}: the DMN has no input {column!r}."))
            columns.append(("input", column, arguments.get(column)))
        elif kind == "expected" or (not kind and column in results):
            if column not in results:
                errors.append(ArgumentError(("csv", "1", title), f"Row 1, column {position} {title!r}: the DMN has no output {column!r}."))
            columns.append(("expected", column, results.get(column)))
        else:
            errors.append(ArgumentError(("csv", "1", title), f"Row 1, column {position} {title!r}: not an input or an "
                                        "output of the DMN (write input:NAME or expected:NAME)."))
            columns.append((None, column, None))
    if errors:
        raise ArgumentErrors(errors)

    cases, seen = [], {}
    for row_number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            errors.append(ArgumentError(("csv", str(row_number)),
                                        f"Row {row_number}: {len(row)} cells; the header has {len(header)} columns."))
            continue
        name = row[0].strip()
        if not name:
            errors.append(ArgumentError(("csv", str(row_number), "name"), f"Row {row_number}, column 'name': empty."))
        elif name in seen:
            errors.append(ArgumentError(("csv", str(row_number), "name"),
                                        f"Row {row_number}, column 'name': {name!r} is also row {seen[name]}."))
        seen.setdefault(name, row_number)
        inputs, expected = {}, {}
        for (kind, column, data_type), text in zip(columns, row[1:]):
            if kind == "expected" and not text.strip():
                continue
            try:
                value = _cell_value(text, data_type) if text.strip() else None
            except ValueError as problem:
                errors.append(ArgumentError(("csv", str(row_number), column),
                                            f"Row {row_number}, column {column!r}: {problem}."))
                continue
            (inputs if kind == "input" else expected)[column] = value
        if not expected:
            errors.append(ArgumentError(("csv", str(row_number)), f"Row {row_number}: no expected output is given."))
        cases.append((name, inputs, expected))
    if errors:
        raise ArgumentErrors(errors)
    if not cases:
        raise ArgumentError("csv", "The CSV file has no test cases after its header.")

    existing = {case.name: case for case in RulesetTestCase.objects.select_for_update().filter(ruleset=ruleset)}
    imported = []
    for name, inputs, expected in cases:
        case = existing.get(name)
        if case is None:
            case = RulesetTestCase.objects.create(ruleset=ruleset, name=name, inputs=inputs,
                                                  expected_outputs=expected, created_by=actor)
        else:
            case.inputs, case.expected_outputs = inputs, expected
            case.save()
        imported.append(case)
    audit_event_record(actor=actor, action="ruleset_test_case.import_csv", obj=ruleset,
                       data={"cases": len(imported), "created": len(imported) - len(set(existing) & seen.keys()),
                             "version": version.number})
    return imported


# ---------------------------------------------------------------- running test cases
@dataclass
class TestCaseResult:
    case: RulesetTestCase
    passed: bool
    expected: dict
    actual: dict = field(default_factory=dict)
    mismatches: list = field(default_factory=list)  # output names whose value differs
    error: str | None = None

    def summary(self):
        if self.error:
            return self.error
        return ", ".join(f"{name} expected {self.expected.get(name)!r}, got {self.actual.get(name)!r}"
                         for name in self.mismatches)


@dataclass
class TestRun:
    version: RulesetVersion
    results: list

    @property
    def failed(self):
        return [result for result in self.results if not result.passed]

    @property
    def passed(self):
        return not self.failed


def _same(expected, actual):
    if isinstance(expected, bool) or isinstance(actual, bool):
        return isinstance(expected, bool) and isinstance(actual, bool) and expected == actual
    numbers = (int, float, decimal.Decimal)
    if isinstance(expected, numbers) and isinstance(actual, numbers):
        return math.isclose(float(expected), float(actual), rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(_same(e, a) for e, a in zip(expected, actual))
    if isinstance(expected, dict) and isinstance(actual, dict):
        return expected.keys() == actual.keys() and all(_same(expected[k], actual[k]) for k in expected)
    if isinstance(expected, str) and isinstance(actual, (datetime.date, datetime.time)):
        return expected == actual.isoformat()
    return expected == actual


def _json_ready(value):
    value = plain_value(value)
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, list):
        return [_json_ready(item) for item in value]
    if isinstance(value, dict):
        return {key: _json_ready(item) for key, item in value.items()}
    return value


def _engine_input(value, data_type):
    if data_type == "date" and isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            return value
    return value


def ruleset_version_test_run(*, version, test_cases=None) -> TestRun:
    """Run the ruleset's test cases on `version`'s XML (draft or not) through the DMN engine.

    Writes nothing. Raises ArgumentError on `dmnXml` when the DMN does not load.
    """
    loaded = selectors.ruleset_version_loaded(version)
    argument_types = {f.name: f.data_type for f in loaded.fields if f.field_type == FieldType.ARGUMENT}
    result_names = {f.name for f in loaded.fields if f.field_type == FieldType.RESULT}
    cases = list(test_cases) if test_cases is not None else list(version.ruleset.test_cases.order_by("name"))
    results = []
    for case in cases:
        expected = dict(case.expected_outputs)
        unknown_inputs = sorted(set(case.inputs) - set(argument_types))
        unknown_outputs = sorted(set(expected) - result_names)
        if unknown_inputs or unknown_outputs:
            problems = [f"no input {name!r}" for name in unknown_inputs] + [f"no output {name!r}" for name in unknown_outputs]
            results.append(TestCaseResult(case=case, passed=False, expected=expected,
                                          error="The DMN has " + ", ".join(problems) + "."))
            continue
        record = {name: _engine_input(case.inputs.get(name), data_type) for name, data_type in argument_types.items()}
        try:
            output = loaded.evaluate(record)
        except Exception as error:  # noqa: BLE001 — an engine fault fails this case with its message
            results.append(TestCaseResult(case=case, passed=False, expected=expected,
                                          error=f"{type(error).__name__}: {error}"))
            continue
        actual = {name: _json_ready(output.get(name)) for name in sorted(result_names)}
        mismatches = [name for name in expected if not _same(expected[name], actual.get(name))]
        results.append(TestCaseResult(case=case, passed=not mismatches, expected=expected, actual=actual,
                                      mismatches=mismatches))
    return TestRun(version=version, results=results)
