"""Partner- and role-scoped reads of decisions and their step records (insight transactions).

Who reads what, for decisions and insights alike (a record one may not read is 404 on detail
and absent from lists):
- the auditor and the partner admin: every record of their partner;
- the partner system: the records it requested;
- the underwriter: the decisions behind cases in the review queue, and their steps;
- rule editors, rule approvers and data scientists: none (they get aggregates elsewhere).
A user with several roles reads the union.
"""
from django.db.models import Prefetch, Q, QuerySet

from core.exceptions import NotFound
from core.ids import parse_uuid
from partners import roles

from .models import Decision, InsightTransaction, ReviewAction

# Who reads every decision and evaluation of their partner.
RECORD_READERS_ALL = (roles.AUDITOR, roles.PARTNER_ADMIN)
# Who reads the records they requested themselves.
RECORD_READERS_OWN = (roles.PARTNER_SYSTEM,)
# Who reads the records behind cases in the review queue.
RECORD_READERS_REVIEW = (roles.UNDERWRITER,)
# Every role that reads some decisions and evaluations; the API refuses the others with 403.
RECORD_READERS = RECORD_READERS_ALL + RECORD_READERS_OWN + RECORD_READERS_REVIEW


def _readable(user, *, requested_by, under_review):
    """The Q a record must satisfy for `user` to read it, or None when it reads all of the partner's."""
    if user.has_any_role(*RECORD_READERS_ALL):
        return None
    readable = Q(pk__in=[])
    if user.has_any_role(*RECORD_READERS_OWN):
        readable |= Q(**{requested_by: user})
    if user.has_any_role(*RECORD_READERS_REVIEW):
        readable |= Q(**{under_review: False})
    return readable


def insight_list(*, partner, user, model_id=None, created_from=None, created_to=None, status=None) -> QuerySet:
    insights = InsightTransaction.objects.filter(partner=partner).select_related("model")
    readable = _readable(user, requested_by="requested_by", under_review="decision__review_case__isnull")
    if readable is not None:
        insights = insights.filter(readable)
    if model_id is not None:
        insights = insights.filter(model_id=model_id)
    if created_from is not None:
        insights = insights.filter(created__gte=created_from)
    if created_to is not None:
        insights = insights.filter(created__lte=created_to)
    if status is not None:
        insights = insights.filter(status=status)
    return insights.order_by("-created", "-id")


def insight_get(*, partner, user, insight_id) -> InsightTransaction:
    insight = insight_list(partner=partner, user=user).filter(pk=parse_uuid(insight_id)).first()
    if insight is None:
        raise NotFound(f"No insight {insight_id}.")
    return insight


def decision_list(*, partner, user, outcome=None, external_id=None, created_from=None, created_to=None) -> QuerySet:
    decisions = Decision.objects.filter(partner=partner).select_related("flow", "review_case").prefetch_related(
        Prefetch("steps", queryset=InsightTransaction.objects.select_related("model__ruleset_version").order_by("step_position")),
        Prefetch("review_case__actions", queryset=ReviewAction.objects.select_related("actor")),
    )
    readable = _readable(user, requested_by="requested_by", under_review="review_case__isnull")
    if readable is not None:
        decisions = decisions.filter(readable)
    if outcome is not None:
        decisions = decisions.filter(final_outcome=outcome)
    if external_id is not None:
        decisions = decisions.filter(external_id=external_id)
    if created_from is not None:
        decisions = decisions.filter(created__gte=created_from)
    if created_to is not None:
        decisions = decisions.filter(created__lte=created_to)
    return decisions.order_by("-created", "-id")


def decision_get(*, partner, user, decision_id) -> Decision:
    decision = decision_list(partner=partner, user=user).filter(pk=parse_uuid(decision_id)).first()
    if decision is None:
        raise NotFound(f"No decision {decision_id}.")
    return decision
