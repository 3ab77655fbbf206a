"""The underwriters' verbs on a review case: claim, release, decide, confirm.

Each verb locks the case row, checks who may act, changes the case, and writes both a
ReviewAction (the case's own history, shown on the page) and an AuditEvent (the partner-wide
trail) in the same transaction. Every verb returns the locked, updated case; the `case` passed
in is only used for its primary key.
"""

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from core.exceptions import ArgumentError, Conflict, NotFound, NotPermitted
from core.services import audit_event_record
from partners import roles

from ..models import Outcome, ReasonCode, ReviewAction, ReviewActionKind, ReviewCase, ReviewStatus

DECIDABLE_OUTCOMES = (Outcome.APPROVED, Outcome.DECLINED)


def _locked_case_for(*, case, actor) -> ReviewCase:
    """The case, locked for this transaction, once `actor` is known to be the partner's underwriter."""
    if not getattr(actor, "pk", None) or not actor.has_any_role(roles.UNDERWRITER):
        raise NotPermitted("Only underwriters work review cases.")
    # Another partner's case is invisible, not forbidden. Lock the case and its decision (whose
    # final outcome may change), not the joined partner and flow rows other cases share.
    locked = (
        ReviewCase.objects.select_for_update(of=("self", "decision"))
        .select_related("decision__flow", "partner")
        .filter(pk=case.pk, partner_id=actor.partner_id)
        .first()
    )
    if actor.partner_id is None or locked is None:
        raise NotFound(f"No review case {case.pk}.")
    return locked


def _record(*, case, actor, action, outcome="", reason_codes=(), note=None, **audit_data) -> ReviewAction:
    review_action = ReviewAction.objects.create(
        case=case, actor=actor, action=action, outcome=outcome, reason_codes=list(reason_codes), note=note
    )
    # The note may hold personal data, so the audit trail only says whether there was one.
    audit_event_record(
        actor=actor,
        action=f"review_case.{action}",
        obj=case,
        data={
            "status": case.status,
            "outcome": outcome,
            "reasonCodes": list(reason_codes),
            "hasNote": bool(note),
            "reviewActionId": review_action.pk,
            **audit_data,
        },
    )
    return review_action


def _require_assignee(case, actor, verb):
    if case.assigned_to_id != actor.pk:
        if case.assigned_to_id is None:
            raise Conflict(f"Claim the case before you {verb} it.")
        raise NotPermitted(f"Only {case.assigned_to}, who claimed the case, may {verb} it.")


def _settle(case, *, outcome, now):
    """Make `outcome` the one that stands, on the case and on its decision."""
    case.status = ReviewStatus.DECIDED
    case.decided_outcome = outcome
    case.decided_at = now
    decision = case.decision
    decision.final_outcome = outcome
    decision.save(update_fields=["final_outcome", "updated"])


def _is_override(decision, outcome) -> bool:
    """The flow said decline and the underwriter approves."""
    flow_declined = decision.outcome == Outcome.DECLINED or (decision.outputs or {}).get("cutoff") == "DECLINE"
    return flow_declined and outcome == Outcome.APPROVED


def _amount(decision):
    raw = (decision.application or {}).get(decision.flow.amount_field)
    if raw is None:
        return None
    try:
        return Decimal(str(raw))
    except InvalidOperation:
        return None


@transaction.atomic
def review_case_claim(*, case, actor) -> ReviewCase:
    """Take an open case; claiming one's own claimed case again changes nothing."""
    case = _locked_case_for(case=case, actor=actor)
    if case.status == ReviewStatus.CLAIMED and case.assigned_to_id == actor.pk:
        return case
    if case.status != ReviewStatus.OPEN:
        if case.assigned_to_id is not None and case.assigned_to_id != actor.pk:
            raise Conflict(f"{case.assigned_to} has already claimed this case.")
        raise Conflict(f"A case that is {case.get_status_display().lower()} cannot be claimed.")
    case.status = ReviewStatus.CLAIMED
    case.assigned_to = actor
    case.save(update_fields=["status", "assigned_to"])
    _record(case=case, actor=actor, action=ReviewActionKind.CLAIM)
    return case


@transaction.atomic
def review_case_release(*, case, actor) -> ReviewCase:
    """Give a claimed case back to the queue."""
    case = _locked_case_for(case=case, actor=actor)
    if case.status != ReviewStatus.CLAIMED:
        raise Conflict(f"Only a claimed case can be released; this one is {case.get_status_display().lower()}.")
    _require_assignee(case, actor, "release")
    case.status = ReviewStatus.OPEN
    case.assigned_to = None
    case.save(update_fields=["status", "assigned_to"])
    _record(case=case, actor=actor, action=ReviewActionKind.RELEASE)
    return case


@transaction.atomic
def review_case_decide(*, case, actor, outcome, note, reason_codes=()) -> ReviewCase:
    """Approve or decline a claimed case.

    An override (the flow said decline, the underwriter approves) above the partner's
    `override_confirmation_amount` waits for a second underwriter; everything else stands at once.
    """
    case = _locked_case_for(case=case, actor=actor)
    if case.status != ReviewStatus.CLAIMED:
        raise Conflict(f"Only a claimed case can be decided; this one is {case.get_status_display().lower()}.")
    _require_assignee(case, actor, "decide")
    if outcome not in DECIDABLE_OUTCOMES:
        raise ArgumentError("outcome", f"The outcome must be APPROVED or DECLINED, not {outcome!r}.")
    note = (note or "").strip()
    if not note:
        raise ArgumentError("note", "Write a note: why this outcome.")
    reason_codes = list(dict.fromkeys(code.strip() for code in reason_codes if code and code.strip()))
    known = set(ReasonCode.objects.filter(partner=case.partner, code__in=reason_codes).values_list("code", flat=True))
    unknown = [code for code in reason_codes if code not in known]
    if unknown:
        raise ArgumentError("reasonCodes", f"Not in the partner's reason-code catalogue: {', '.join(unknown)}.")
    if outcome == Outcome.DECLINED and not reason_codes:
        raise ArgumentError("reasonCodes", "A decline needs at least one reason code for the adverse-action notice.")

    decision = case.decision
    is_override = _is_override(decision, outcome)
    amount = _amount(decision)
    limit = case.partner.override_confirmation_amount
    # An override whose amount cannot be read is treated as above the limit: the safe side.
    needs_confirmation = is_override and (amount is None or amount > limit)

    now = timezone.now()
    case.proposed_outcome = outcome
    case.proposed_by = actor
    case.is_override = is_override
    if needs_confirmation:
        case.status = ReviewStatus.PENDING_CONFIRMATION
    else:
        _settle(case, outcome=outcome, now=now)
    case.save()
    _record(
        case=case,
        actor=actor,
        action=ReviewActionKind.DECIDE,
        outcome=outcome,
        reason_codes=reason_codes,
        note=note,
        isOverride=is_override,
        needsConfirmation=needs_confirmation,
    )
    return case


@transaction.atomic
def review_case_confirm(*, case, actor) -> ReviewCase:
    """A second underwriter lets a pending override stand."""
    case = _locked_case_for(case=case, actor=actor)
    if case.status != ReviewStatus.PENDING_CONFIRMATION:
        raise Conflict(
            f"Only a case pending confirmation can be confirmed; this one is {case.get_status_display().lower()}."
        )
    if case.proposed_by_id == actor.pk:
        raise NotPermitted("A second underwriter must confirm an override; you proposed this one.")
    _settle(case, outcome=case.proposed_outcome, now=timezone.now())
    case.save()
    _record(case=case, actor=actor, action=ReviewActionKind.CONFIRM, outcome=case.proposed_outcome)
    return case
