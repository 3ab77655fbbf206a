"""Partner-owned decision flows: versions through maker-checker, checks that name what is wrong.

A flow version moves draft → in review → approved → published → retired, as ruleset versions do:
the partner admin drafts, edits and submits; a rule approver who is not the author approves it
with an `effective_from`; published, it decides every application from that moment (the
version published with the latest `effective_from` not after the decision wins).
"""

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from core.exceptions import (
    ArgumentError,
    ArgumentErrors,
    Conflict,
    EngineError,
    NotFound,
    NotPermitted,
)
from core.services import audit_event_record
from modelregistry.models import DataDictionaryField, DataType, PredictiveModel
from partners import roles
from rulesets.models import Ruleset, RulesetVersion

from .. import flows
from ..models import DecisionFlow, Flow, FlowStep, FlowVersionStatus, StepKind

Status = FlowVersionStatus
FLOW_AUTHORS = (roles.PARTNER_ADMIN,)
FLOW_APPROVERS = (roles.RULE_APPROVER,)
NUMERIC = (DataType.NUMBER, DataType.INTEGER)
CODES = (DataType.STRING, DataType.LIST)
# Settings a draft may change (the model's field names).
EDITABLE = (
    "score_field",
    "probability_of_default_field",
    "reason_code_fields",
    "amount_field",
    "score_offset",
    "score_factor",
    "cutoff_bands",
    "change_note",
)
STEP_ORDER = {StepKind.KNOCKOUT: 0, StepKind.SCORE: 1, StepKind.CUTOFF: 2, StepKind.REVIEW: 3}


def _check_partner(actor, partner_id, what):
    if actor is None or getattr(actor, "is_superuser", False):
        return
    if actor.partner_id != partner_id:
        raise NotFound(f"No {what}.")


def _require(actor, allowed, doing):
    if actor is not None and getattr(actor, "is_superuser", False):
        return
    if actor is None or not actor.has_any_role(*allowed):
        raise NotPermitted(f"Only {', '.join(allowed)} users may {doing}.")


def _event(actor, action, version, **data):
    audit_event_record(
        actor=actor,
        action=f"flow_version.{action}",
        obj=version,
        data={"flow": str(version.definition_id), "version": version.version, "status": version.status, **data},
    )


@transaction.atomic
def flow_create(*, partner, name, actor, is_default=False) -> Flow:
    """A new named flow (no version yet: draft one with flow_version_create_draft)."""
    _check_partner(actor, partner.pk, "partner")
    _require(actor, FLOW_AUTHORS, "create decision flows")
    name = (name or "").strip()
    if not name:
        raise ArgumentError("name", "A flow needs a name.")
    if len(name) > 200:
        raise ArgumentError("name", "A flow's name has at most 200 characters.")
    if Flow.objects.filter(partner=partner, name=name).exists():
        raise ArgumentError("name", f"The partner has a flow named {name!r} already.")
    if is_default:
        Flow.objects.filter(partner=partner, is_default=True).update(is_default=False)
    flow = Flow.objects.create(partner=partner, name=name, is_default=is_default, created_by=actor)
    audit_event_record(actor=actor, action="flow.create", obj=flow, data={"default": is_default})
    return flow


def _next_number(flow):
    Flow.objects.select_for_update().filter(pk=flow.pk).first()  # serialise numbering
    return (DecisionFlow.objects.filter(partner=flow.partner, name=flow.name).aggregate(n=Max("version"))["n"] or 0) + 1


@transaction.atomic
def flow_version_create_draft(*, flow, actor, based_on=None, change_note="") -> DecisionFlow:
    """A draft copy of `based_on` (default: the flow's effective version, else its latest) to edit."""
    from .. import selectors

    _check_partner(actor, flow.partner_id, f"decision flow {flow.pk}")
    _require(actor, FLOW_AUTHORS, "edit decision flows")
    if based_on is None:
        based_on = selectors.flow_version_effective(flow=flow) or flow.versions.order_by("-version").first()
    elif based_on.definition_id != flow.pk:
        raise ArgumentError("basedOn", "The version to start from belongs to another flow.")
    settings = (
        {name: getattr(based_on, name) for name in EDITABLE if name != "change_note"}
        if based_on
        else {"score_field": "", "amount_field": ""}
    )
    version = DecisionFlow.objects.create(
        partner=flow.partner,
        name=flow.name,
        definition=flow,
        version=_next_number(flow),
        status=Status.DRAFT,
        based_on=based_on,
        created_by=actor,
        change_note=change_note or "",
        **settings,
    )
    if based_on is not None:
        FlowStep.objects.bulk_create(
            [
                FlowStep(
                    flow=version,
                    position=step.position,
                    kind=step.kind,
                    binding=step.binding,
                    model_id=step.model_id,
                    ruleset_id=step.ruleset_id,
                    ruleset_version_id=step.ruleset_version_id,
                    result_field=step.result_field,
                )
                for step in based_on.steps.order_by("position")
            ]
        )
    _event(actor, "create_draft", version, based_on=str(based_on.pk) if based_on else None)
    return version


def _locked_draft(version, actor, doing="edit"):
    _check_partner(actor, version.partner_id, f"decision flow version {version.pk}")
    _require(actor, FLOW_AUTHORS, f"{doing} decision flows")
    version = DecisionFlow.objects.select_for_update().get(pk=version.pk)
    if version.status != Status.DRAFT:
        raise Conflict(f"{version} is {version.get_status_display().lower()}; start a new draft to make changes.")
    return version


def _clean_bands(bands):
    if not isinstance(bands, list) or len(bands) > 20:
        raise ArgumentError("cutoffBands", "Give a list of at most 20 bands.")
    errors, cleaned = [], []
    for index, band in enumerate(bands):
        where = ("cutoffBands", str(index))
        if not isinstance(band, dict):
            errors.append(ArgumentError(where, "A band is an object with minimum and outcome."))
            continue
        minimum, outcome = band.get("minimum"), band.get("outcome")
        if minimum is not None and (isinstance(minimum, bool) or not isinstance(minimum, (int, float))):
            errors.append(ArgumentError(where + ("minimum",), "The minimum is a number (or null for the rest)."))
        if outcome not in flows.CUTOFF_OUTCOMES:
            errors.append(
                ArgumentError(where + ("outcome",), f"The outcome is one of {', '.join(flows.CUTOFF_OUTCOMES)}.")
            )
        cleaned.append({"minimum": minimum, "outcome": outcome})
    if errors:
        raise ArgumentErrors(errors)
    # Bands are read top-down: highest minimum first, the catch-all (null) last.
    return sorted(cleaned, key=lambda band: (band["minimum"] is None, -(band["minimum"] or 0)))


@transaction.atomic
def flow_version_update_draft(*, version, actor, **changes) -> DecisionFlow:
    """Change a draft's settings (EDITABLE); anything else about a version is fixed once submitted."""
    version = _locked_draft(version, actor)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ArgumentError(min(unknown), "This setting cannot be changed here.")
    if "cutoff_bands" in changes:
        changes["cutoff_bands"] = _clean_bands(changes["cutoff_bands"])
    if "reason_code_fields" in changes:
        codes = changes["reason_code_fields"]
        if not isinstance(codes, list) or not all(isinstance(code, str) for code in codes) or len(codes) > 10:
            raise ArgumentError("reasonCodeFields", "Give a list of at most 10 dictionary names.")
    changed = [name for name, value in changes.items() if getattr(version, name) != value]
    for name in changed:
        setattr(
            version,
            name,
            changes[name] if changes[name] is not None or name in ("score_offset", "score_factor") else "",
        )
    if changed:
        version.save()
        _event(actor, "update_draft", version, changed=changed)
    return version


@transaction.atomic
def flow_version_steps_replace(*, version, actor, steps) -> DecisionFlow:
    """Replace a draft's steps: [{"kind", "binding", "ruleset"|"rulesetVersion"|"model", "resultField"}] in order."""
    from .decisions import _step_target

    version = _locked_draft(version, actor)
    rows = []
    for position, step in enumerate(steps):
        kind = step.get("kind")
        if kind not in StepKind.values:
            raise ArgumentError(("steps", str(position), "kind"), f"Unknown step kind {kind!r}.")
        target = step.get("rulesetVersion") or step.get("ruleset") or step.get("model")
        target = _target_object(version.partner, position, target, step)
        rows.append(
            FlowStep(
                flow=version,
                position=position,
                kind=kind,
                result_field=step.get("resultField") or "",
                **_step_target(version.partner, position, target, step.get("binding")),
            )
        )
    version.steps.all().delete()
    FlowStep.objects.bulk_create(rows)
    _event(
        actor,
        "update_steps",
        version,
        steps=[[row.kind, row.binding, str(row.ruleset_id or row.model_id)] for row in rows],
    )
    return version


def _target_object(partner, position, target, step):
    if isinstance(target, (Ruleset, RulesetVersion, PredictiveModel)):
        return target
    lookups = (
        ("rulesetVersion", RulesetVersion, {"ruleset__partner": partner}),
        ("ruleset", Ruleset, {"partner": partner}),
        ("model", PredictiveModel, {"partner": partner}),
    )
    for key, model, scope in lookups:
        if step.get(key):
            found = model.objects.filter(pk=str(step[key]), **scope).first() if _uuid_or_int(step[key]) else None
            if found is None:
                raise ArgumentError(("steps", str(position), key), f"No {key} {step[key]} at this partner.")
            return found
    raise ArgumentError(("steps", str(position)), "A step runs a ruleset, a ruleset version or a registered model.")


def _uuid_or_int(value):
    import uuid

    try:
        uuid.UUID(str(value))
        return True
    except ValueError:
        return str(value).isdigit()


def flow_version_problems(*, version, at=None) -> list[ArgumentError]:
    """Everything wrong with `version`, each naming the step or setting: fields read that no earlier
    step or the application provides, type mismatches, missing mappings, steps that cannot resolve."""
    at = at or version.effective_from or timezone.now()
    problems, resolved = [], []
    steps = list(
        version.steps.select_related("model", "ruleset", "ruleset_version__published_model").order_by("position")
    )
    if not steps:
        problems.append(ArgumentError("steps", "A flow needs at least one step."))
    last_order = -1
    for step in steps:
        where = ("steps", str(step.position))
        if STEP_ORDER[step.kind] < last_order:
            problems.append(
                ArgumentError(
                    where,
                    f"Step {step.position + 1} ({step.kind}) comes after a later kind of "
                    "step; the order is knock-out, score, cut-off, review.",
                )
            )
        last_order = max(last_order, STEP_ORDER[step.kind])
        try:
            resolved.append(flows.resolve_step(step, at=at))
        except EngineError as error:
            problems.append(ArgumentError(where, str(error)))
    dictionary = {field.name: field for field in DataDictionaryField.objects.all()}
    produced_by = {}
    for item in resolved:
        for result in item.results:
            if result.supported_field_id:
                produced_by.setdefault(result.supported_field.name, item.position)
    for item in resolved:
        where = ("steps", str(item.position))
        label = f"Step {item.position + 1} ({item.kind}, {item.model.name})"
        for argument in item.arguments:
            if not argument.supported_field_id:
                problems.append(
                    ArgumentError(
                        where,
                        f"{label}: input {argument.name!r} is not mapped to the data dictionary.",
                        code="not_mapped",
                    )
                )
                continue
            name = argument.supported_field.name
            if name in produced_by and produced_by[name] >= item.position:
                problems.append(
                    ArgumentError(
                        where,
                        f"{label} reads {name!r}, which no earlier step or the "
                        f"application provides (step {produced_by[name] + 1} produces it).",
                        code="not_provided",
                    )
                )
        outputs = {result.supported_field.name for result in item.results if result.supported_field_id}
        if item.kind != StepKind.SCORE and item.result_field and item.result_field not in outputs:
            problems.append(
                ArgumentError(
                    where + ("resultField",),
                    f"{label} does not produce {item.result_field!r}; "
                    f"it produces {', '.join(sorted(outputs)) or 'nothing mapped'}.",
                )
            )
        if item.kind != StepKind.SCORE and not item.result_field:
            problems.append(ArgumentError(where + ("resultField",), f"{label}: choose the result the flow reads."))
    expected_types = [
        ("scoreField", version.score_field, NUMERIC, True),
        ("probabilityOfDefaultField", version.probability_of_default_field, NUMERIC, False),
        ("amountField", version.amount_field, NUMERIC, True),
    ]
    expected_types += [
        (f"reasonCodeFields/{index}", name, CODES, True) for index, name in enumerate(version.reason_code_fields)
    ]
    for pointer, name, types, required in expected_types:
        if not name:
            if required:
                problems.append(ArgumentError(pointer, "Choose a field from the data dictionary."))
            continue
        if name not in dictionary:
            problems.append(ArgumentError(pointer, f"The data dictionary has no field {name!r}."))
        elif dictionary[name].data_type not in types:
            problems.append(
                ArgumentError(
                    pointer,
                    f"{name!r} is a {dictionary[name].data_type}; this setting needs a {' or '.join(types)}.",
                    code="type_mismatch",
                )
            )
        elif pointer != "amountField" and resolved and name not in produced_by:
            problems.append(ArgumentError(pointer, f"No step produces {name!r}.", code="not_provided"))
    has_cutoff = any(step.kind == StepKind.CUTOFF for step in steps)
    if not has_cutoff:
        if not version.cutoff_bands:
            problems.append(ArgumentError("cutoffBands", "Without a cut-off step the flow needs score bands."))
        elif version.cutoff_bands[-1].get("minimum") is not None:
            problems.append(
                ArgumentError("cutoffBands", "The last band needs no minimum, so every score has an outcome.")
            )
    return problems


def flow_version_check(*, version, at=None):
    problems = flow_version_problems(version=version, at=at)
    if problems:
        raise ArgumentErrors(problems)


@transaction.atomic
def flow_version_submit(*, version, actor, note="") -> DecisionFlow:
    """Submit a draft for review; refused with every problem named while the flow has any."""
    version = _locked_draft(version, actor, doing="submit")
    flow_version_check(version=version)
    version.status = Status.IN_REVIEW
    version.save(update_fields=["status"])
    _event(actor, "submit", version, note=note)
    return version


def _locked_for_approver(version, actor, doing):
    _check_partner(actor, version.partner_id, f"decision flow version {version.pk}")
    _require(actor, FLOW_APPROVERS, f"{doing} decision flows")
    version = DecisionFlow.objects.select_for_update().get(pk=version.pk)
    if actor is not None and version.created_by_id == actor.pk:
        raise NotPermitted("The author of a flow version cannot approve or publish it; another approver must.")
    return version


@transaction.atomic
def flow_version_approve(*, version, actor, effective_from=None, note="") -> DecisionFlow:
    """A rule approver who is not the author approves `version` to take effect from `effective_from`."""
    version = _locked_for_approver(version, actor, "approve")
    if version.status != Status.IN_REVIEW:
        raise Conflict(f"{version} is not in review.")
    effective_from = effective_from or timezone.now()
    flow_version_check(version=version, at=max(effective_from, timezone.now()))
    version.status, version.effective_from, version.approved_by = Status.APPROVED, effective_from, actor
    version.save(update_fields=["status", "effective_from", "approved_by"])
    _event(actor, "approve", version, effective_from=effective_from.isoformat(), note=note)
    return version


@transaction.atomic
def flow_version_reject(*, version, actor, note="") -> DecisionFlow:
    version = _locked_for_approver(version, actor, "reject")
    if version.status not in (Status.IN_REVIEW, Status.APPROVED):
        raise Conflict(f"{version} is not in review or approved.")
    version.status, version.effective_from, version.approved_by = Status.DRAFT, None, None
    version.save(update_fields=["status", "effective_from", "approved_by"])
    _event(actor, "reject", version, note=note)
    return version


@transaction.atomic
def flow_version_publish(*, version, actor, note="") -> DecisionFlow:
    """Publish an approved version: from its `effective_from` on, new decisions use it."""
    _check_partner(actor, version.partner_id, f"decision flow version {version.pk}")
    _require(actor, FLOW_APPROVERS, "publish decision flows")
    version = DecisionFlow.objects.select_for_update().get(pk=version.pk)
    if version.status != Status.APPROVED:
        raise Conflict(f"{version} is not approved; only an approved version is published.")
    version.status = Status.PUBLISHED
    version.save(update_fields=["status"])
    _event(actor, "publish", version, effective_from=version.effective_from.isoformat(), note=note)
    return version


@transaction.atomic
def flow_version_retire(*, version, actor, note="") -> DecisionFlow:
    _check_partner(actor, version.partner_id, f"decision flow version {version.pk}")
    _require(actor, FLOW_APPROVERS + FLOW_AUTHORS, "retire decision flows")
    version = DecisionFlow.objects.select_for_update().get(pk=version.pk)
    if version.status != Status.PUBLISHED:
        raise Conflict(f"{version} is not published.")
    version.status = Status.RETIRED
    version.save(update_fields=["status"])
    _event(actor, "retire", version, note=note)
    return version


@transaction.atomic
def flow_challenger_set(*, flow, actor, challenger=None, share=0.0) -> Flow:
    """Run `challenger` (an approved or published version of `flow`) in shadow on `share` of traffic."""
    _check_partner(actor, flow.partner_id, f"decision flow {flow.pk}")
    _require(actor, FLOW_APPROVERS, "start challengers")
    if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 <= share <= 1:
        raise ArgumentError("challengerShare", "The share is a number from 0 to 1.")
    if challenger is not None:
        if challenger.definition_id != flow.pk:
            raise ArgumentError("challenger", "The challenger must be a version of this flow.")
        if challenger.status not in (Status.APPROVED, Status.PUBLISHED):
            raise ArgumentError("challenger", "Only an approved version runs as a challenger.")
    flow = Flow.objects.select_for_update().get(pk=flow.pk)
    flow.challenger, flow.challenger_share = challenger, float(share) if challenger else 0.0
    flow.save(update_fields=["challenger", "challenger_share"])
    audit_event_record(
        actor=actor,
        action="flow.challenger_set",
        obj=flow,
        data={"challenger": str(challenger.pk) if challenger else None, "share": flow.challenger_share},
    )
    return flow


@transaction.atomic
def partner_decision_settings_update(*, partner, actor, review_sla_hours=None, override_confirmation_amount=None):
    """The partner's review SLA (hours) and the override amount that needs a second underwriter."""
    from partners.models import Partner

    _check_partner(actor, partner.pk, "partner")
    _require(actor, FLOW_AUTHORS, "change the partner's decision settings")
    partner = Partner.objects.select_for_update().get(pk=partner.pk)
    changed = {}
    if review_sla_hours is not None:
        if (
            isinstance(review_sla_hours, bool)
            or not isinstance(review_sla_hours, int)
            or not 1 <= review_sla_hours <= 24 * 90
        ):
            raise ArgumentError("reviewSlaHours", "The review SLA is a whole number of hours from 1 to 2160.")
        changed["review_sla_hours"] = review_sla_hours
    if override_confirmation_amount is not None:
        if override_confirmation_amount < 0:
            raise ArgumentError("overrideConfirmationAmount", "The override limit cannot be negative.")
        changed["override_confirmation_amount"] = override_confirmation_amount
    for name, value in changed.items():
        setattr(partner, name, value)
    if changed:
        partner.save(update_fields=list(changed))
        audit_event_record(
            actor=actor,
            action="partner.decision_settings_update",
            obj=partner,
            partner=partner,
            data={name: str(value) for name, value in changed.items()},
        )
    return partner
