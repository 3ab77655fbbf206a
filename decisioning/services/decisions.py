"""Decision flows and decisions: create (idempotent), replay, reason codes."""

import hashlib
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.exceptions import ArgumentError, Conflict, DomainError, NotFound
from core.fields import dumps
from core.fingerprints import fingerprint, fingerprint_matches
from core.sealed_rows import insert_sealed
from core.services import audit_event_build, audit_event_record
from modelregistry import engines
from modelregistry.arguments import plain_value
from modelregistry.models import PredictiveModel
from rulesets.models import Ruleset, RulesetVersion, RulesetVersionStatus

from .. import flows, plan_cache
from ..models import (
    ChallengerResult,
    Decision,
    DecisionFlow,
    Flow,
    FlowStep,
    FlowVersionStatus,
    Outcome,
    ReasonCode,
    ReplayItem,
    ReviewCase,
    StepBinding,
    StepKind,
)
from .step_records import decision_prime, step_records_build


@transaction.atomic
def decision_flow_create(*, partner, name, steps, created_by, is_default=False, **settings) -> DecisionFlow:
    """A new version of the partner's flow `name`.

    `steps`: [(kind, target, result_field)] or [(kind, target, result_field, binding)] in order.
    `target` is a Ruleset (default: follow its effective version), a RulesetVersion (pinned), or a
    PredictiveModel (default: pinned to that version; binding "follow" follows its name's latest
    active version).
    """
    rows = []
    for position, step in enumerate(steps):
        kind, target, result_field, binding = (tuple(step) + (None,))[:4]
        if kind not in StepKind.values:
            raise ArgumentError(("steps", str(position)), f"Unknown step kind {kind!r}.")
        rows.append(
            FlowStep(
                flow=None,
                position=position,
                kind=kind,
                result_field=result_field or "",
                **_step_target(partner, position, target, binding),
            )
        )
    latest = DecisionFlow.objects.filter(partner=partner, name=name).order_by("-version").first()
    named, _ = Flow.objects.get_or_create(partner=partner, name=name, defaults={"created_by": created_by})
    if is_default:
        Flow.objects.filter(partner=partner, is_default=True).exclude(pk=named.pk).update(is_default=False)
        if not named.is_default:
            named.is_default = True
            named.save(update_fields=["is_default"])
    # Platform set-up (tests, fixtures): published at once. Partners' changes go through flow_versions.
    flow = DecisionFlow.objects.create(
        partner=partner,
        name=name,
        version=(latest.version + 1) if latest else 1,
        created_by=created_by,
        definition=named,
        status=FlowVersionStatus.PUBLISHED,
        effective_from=timezone.now(),
        **settings,
    )
    for row in rows:
        row.flow = flow
    FlowStep.objects.bulk_create(rows)
    audit_event_record(
        actor=created_by,
        action="decision_flow.create",
        obj=flow,
        data={
            "version": flow.version,
            "steps": [
                [
                    row.kind,
                    row.binding,
                    str(row.ruleset_id or row.model_id),
                    str(row.ruleset_version_id) if row.ruleset_version_id else None,
                ]
                for row in rows
            ],
        },
    )
    return flow


def _step_target(partner, position, target, binding):
    where = ("steps", str(position))
    if binding not in (None, *StepBinding.values):
        raise ArgumentError(where, f"Unknown binding {binding!r}; use follow or pin.")
    if isinstance(target, Ruleset):
        if target.partner_id != partner.pk:
            raise NotFound(f"No ruleset {target.pk}.")
        if binding == StepBinding.PIN:
            raise ArgumentError(where, "Pin a ruleset step by giving the ruleset version.")
        return {"ruleset": target, "binding": StepBinding.FOLLOW}
    if isinstance(target, RulesetVersion):
        if target.ruleset.partner_id != partner.pk:
            raise NotFound(f"No ruleset version {target.pk}.")
        if binding == StepBinding.FOLLOW:
            raise ArgumentError(where, "Follow a ruleset by giving the ruleset, not one of its versions.")
        if target.status not in (RulesetVersionStatus.APPROVED, RulesetVersionStatus.PUBLISHED):
            raise ArgumentError(where, f"{target} is not approved; only approved rules reach decisions.")
        return {"ruleset": target.ruleset, "ruleset_version": target, "binding": StepBinding.PIN}
    if isinstance(target, PredictiveModel):
        if target.partner_id != partner.pk:
            raise NotFound(f"No predictive model {target.pk}.")
        if binding == StepBinding.FOLLOW and RulesetVersion.objects.filter(published_model=target).exists():
            # Following the registry's latest would skip effective_from: follow the ruleset instead.
            raise ArgumentError(where, f"{target} is a published ruleset version; follow its ruleset instead.")
        return {"model": target, "binding": binding or StepBinding.PIN}
    raise ArgumentError(where, "A step runs a ruleset, a ruleset version or a registered model.")


FINGERPRINT_PURPOSE = "decision-request"


def _request(*, flow_id, external_id, application, flow_version=None):
    """What a decision request asked for: the flow as named (None: the default), the version when
    named, the id, the application."""
    request = {"flowId": str(flow_id) if flow_id else None, "externalId": external_id or "", "application": application}
    if flow_version is not None:
        request["flowVersion"] = flow_version
    return request


def request_fingerprint(*, flow_id, external_id, application, flow_version=None):
    """A keyed, canonical fingerprint of the request (core.fingerprints): a retry that re-serialises a number matches."""
    return fingerprint(
        _request(flow_id=flow_id, external_id=external_id, application=application, flow_version=flow_version),
        purpose=FINGERPRINT_PURPOSE,
    )


def _flow_for(partner, flow_id, flow_version=None, *, at=None):
    """The flow version deciding: `flowId` names a flow and takes its effective published version
    unless `flowVersion` (a number) names one; without `flowId`, the partner's default flow.
    An id of one version (as decisions record) is accepted too, while that version is published."""
    from .. import selectors

    at = at or timezone.now()
    if flow_id is None:
        named = Flow.objects.filter(partner=partner, is_default=True).first()
        if named is None:
            raise ArgumentError("flowId", "The partner has no default flow; name one with flowId.")
    else:
        named = Flow.objects.filter(partner=partner, pk=flow_id).first()
        if named is None:
            version = DecisionFlow.objects.filter(partner=partner, pk=flow_id).first()
            if version is None:
                raise NotFound(f"No decision flow {flow_id}.")
            if flow_version is None:
                if version.status != FlowVersionStatus.PUBLISHED:
                    raise ArgumentError("flowId", f"{version} is {version.status}; only published versions decide.")
                return version
            named = version.definition
    if flow_version is not None:
        version = named.versions.filter(version=flow_version).first()
        if version is None:
            raise ArgumentError("flowVersion", f"The flow {named} has no version {flow_version}.")
        if version.status != FlowVersionStatus.PUBLISHED:
            raise ArgumentError("flowVersion", f"{version} is {version.status}; only published versions decide.")
        return version
    version = selectors.flow_version_effective(flow=named, at=at)
    if version is None:
        raise ArgumentError("flowId", f"The flow {named} has no version published and effective now.")
    return version


def flow_version_resolve(*, partner, flow_id=None, flow_version=None, at=None) -> DecisionFlow:
    """The flow version that decides for `flowId` (a flow or one of its versions) and `flowVersion`,
    or the partner's default flow; as a decision request resolves it (portfolio jobs use it too)."""
    return _flow_for(partner, flow_id, flow_version, at=at)


def _idempotent_replay(existing, request):
    if not fingerprint_matches(request, existing.request_fingerprint, purpose=FINGERPRINT_PURPOSE):
        raise Conflict("This Idempotency-Key was used with a different request body.")
    return existing, False


def decision_create(
    *, partner, application, requested_by, flow_id=None, external_id="", idempotency_key=None, flow_version=None
):
    """Decide one application. Returns (decision, created); a repeated Idempotency-Key returns the first decision.

    The decision, each step's encrypted transaction and the review case are written together or not
    at all; two requests racing with one key create one decision (the unique key decides the race).
    A key is looked up only when it may have been used: when the INSERT meets the unique key, or
    when the request cannot be decided now (the flow changed since the first request, say) — a
    first request, the common case, costs no SELECT.
    """
    request = _request(flow_id=flow_id, external_id=external_id, application=application, flow_version=flow_version)
    try:
        decision, flow, catalogue = _decide(
            partner=partner,
            application=application,
            requested_by=requested_by,
            flow_id=flow_id,
            flow_version=flow_version,
            external_id=external_id,
            idempotency_key=idempotency_key or None,
            request_hmac=fingerprint(request, purpose=FINGERPRINT_PURPOSE),
        )
    except (DomainError, IntegrityError):
        existing = idempotency_key and Decision.objects.filter(partner=partner, idempotency_key=idempotency_key).first()
        if not existing:
            raise
        return _idempotent_replay(existing, request)
    challenger_run(decision=decision, champion=flow, application=application, catalogue=catalogue)
    return decision, True


def _decide(*, partner, application, requested_by, flow_id, flow_version, external_id, idempotency_key, request_hmac):
    current, at = plan_cache.generation(), timezone.now()
    if flow_version is None:
        flow = plan_cache.flow_for(partner, flow_id, current=current, at=at, lookup=_flow_for)
    else:  # a version named by number: rare, resolved each time
        flow = _flow_for(partner, flow_id, flow_version, at=at)
    catalogue = plan_cache.reason_catalogue(partner, current=current)
    result = flows.flow_run(
        flow=flow,
        application=application,
        catalogue=catalogue,
        at=at,
        plan=plan_cache.flow_plan(flow, at=at, current=current),
        dictionary=plan_cache.dictionary(current=current),
    )
    decision = _decision_record(
        partner=partner,
        flow=flow,
        application=application,
        result=result,
        requested_by=requested_by,
        external_id=external_id,
        idempotency_key=idempotency_key,
        request_hmac=request_hmac,
    )
    return decision, flow, catalogue


def _decision_record(*, partner, flow, application, result, requested_by, external_id, idempotency_key, request_hmac):
    """Write the decision, its step records, its review case when referred and its audit event, all
    or nothing, with their audit-chain queue entries (one statement on PostgreSQL)."""
    decision = Decision(
        partner=partner,
        flow=flow,
        external_id=external_id or "",
        application=application,
        outcome=result.outcome,
        final_outcome=result.outcome,
        outputs=plain_value(result.outputs()),
        idempotency_key=idempotency_key,
        request_fingerprint=request_hmac,
        requested_by=requested_by if getattr(requested_by, "pk", None) else None,
    )
    steps = step_records_build(
        partner=partner, decision=decision, evaluations=result.evaluations, requested_by=requested_by
    )
    case = None
    if result.outcome == Outcome.REFERRED:
        case = ReviewCase(
            partner=partner,
            decision=decision,
            due_at=timezone.now() + timedelta(hours=partner.review_sla_hours),
            referral_reasons=[reason["code"] for reason in result.referral_reasons],
            score_band=result.cutoff or "",
        )
    event = audit_event_build(
        actor=requested_by, action="decision.create", obj=decision, data={"outcome": result.outcome, "flow": str(flow)}
    )
    insert_sealed([[decision], steps, [case] if case else [], [event]])
    return decision_prime(decision, steps=steps, review_case=case)


def challenger_assigned(*, partner_id, external_id, share) -> bool:
    """Whether an application also runs the challenger: a hash of partner and external id against the
    share, so the same application always lands in the same arm. No external id, no challenger."""
    if not external_id or share <= 0:
        return False
    digest = hashlib.sha256(f"{partner_id}:{external_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def challenger_run(*, decision, champion, application, catalogue):
    """Decide `application` again with the flow's challenger, in shadow: stored encrypted in its own
    record, never among the decision's steps, never acted on, never replayed. A failing challenger
    is recorded and the decision stands (the champion already decided)."""
    named = champion.definition
    if named is None or named.challenger_id is None or named.challenger_id == champion.pk:
        return None
    if not challenger_assigned(
        partner_id=decision.partner_id, external_id=decision.external_id, share=named.challenger_share
    ):
        return None
    challenger = named.challenger
    try:
        with transaction.atomic():
            shadow = flows.flow_run(flow=challenger, application=application, catalogue=catalogue, explain=False)
        return ChallengerResult.objects.create(
            partner_id=decision.partner_id,
            decision=decision,
            flow_version=challenger,
            outcome=shadow.outcome,
            outputs=plain_value(shadow.outputs()),
        )
    except Exception as error:  # noqa: BLE001 — the challenger never affects the decision
        return ChallengerResult.objects.create(
            partner_id=decision.partner_id,
            decision=decision,
            flow_version=challenger,
            error=f"{type(error).__name__}: {error}",
        )


IMPLEMENTATION_OF = {"dmn-native": "native", "pydmnrules": "pydmnrules", "pmml-native": "native", "pypmml": "pypmml"}


def insight_replay(insight):
    """Evaluate a stored transaction again on its exact model version and engine, and the exact
    versions of the models it imported as recorded on the transaction; compare outputs."""
    model = insight.model
    to_artifact = {concept: name for name, concept in insight.field_mapping.items()}
    record = {to_artifact.get(concept, concept): value for concept, value in insight.arguments.items()}
    loaded = engines.load(
        engine=model.engine,
        artifact=model.artifact,
        sha256=model.sha256,
        implementation=IMPLEMENTATION_OF.get(insight.engine_name),
        imports=engines.imports_of(insight.imported_artifacts),
    )
    output = loaded.evaluate(record)
    result_names = model.fields.filter(field_type="result").values_list("name", flat=True)
    replayed = {insight.field_mapping.get(name, name): plain_value(output.get(name)) for name in result_names}
    return {
        "insightId": str(insight.pk),
        "model": str(model),
        "modelVersion": model.version,
        "importedModels": [
            {"namespace": i["namespace"], "model": i["model"], "name": i["name"], "version": i["version"]}
            for i in insight.imported_artifacts or ()
        ],
        "engine": loaded.engine_name,
        "identical": dumps(replayed) == dumps(insight.results),
        "recorded": insight.results,
        "replayed": replayed,
    }


def decision_replay(*, decision, actor, job=None) -> dict:
    """Re-run every step of `decision` against the recorded versions; say whether all outputs are identical.

    Writes a `decision.replay` audit event. Within a replay `job`, the job's item is written in the
    same transaction, and its unique (job, decision) constraint makes a second run of the same item
    raise IntegrityError and write nothing.
    """
    steps = [insight_replay(insight) for insight in decision.steps.select_related("model").order_by("step_position")]
    report = {"decisionId": str(decision.pk), "identical": all(step["identical"] for step in steps), "steps": steps}
    data = {"identical": report["identical"]}
    with transaction.atomic():
        if job is not None:
            ReplayItem.objects.create(job=job, decision=decision, identical=report["identical"])
            data["replayJob"] = str(job.pk)
        audit_event_record(actor=actor, action="decision.replay", obj=decision, data=data)
    return report


@transaction.atomic
def reason_code_upsert(*, partner, code, kind, notice_text, description="", actor=None) -> ReasonCode:
    reason, _ = ReasonCode.objects.update_or_create(
        partner=partner, code=code, defaults={"kind": kind, "notice_text": notice_text, "description": description}
    )
    audit_event_record(actor=actor, action="reason_code.upsert", obj=reason)
    return reason
