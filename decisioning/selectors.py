from django.db.models import QuerySet

from core.exceptions import NotFound
from core.ids import parse_uuid
from partners import roles

from .models import InsightTransaction

# Who reads every evaluation of their partner; everyone else reads only their own.
INSIGHT_READERS_ALL = (roles.AUDITOR, roles.PARTNER_ADMIN)


def insight_list(*, partner, user, model_id=None, created_from=None, created_to=None, status=None) -> QuerySet:
    insights = InsightTransaction.objects.filter(partner=partner).select_related("model")
    if not user.has_any_role(*INSIGHT_READERS_ALL):
        insights = insights.filter(requested_by=user)
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


def decision_list(*, partner, outcome=None, external_id=None, created_from=None, created_to=None) -> QuerySet:
    from .models import Decision

    from django.db.models import Prefetch

    from .models import InsightTransaction, ReviewAction

    decisions = Decision.objects.filter(partner=partner).select_related("flow", "review_case").prefetch_related(
        Prefetch("steps", queryset=InsightTransaction.objects.select_related("model__ruleset_version").order_by("step_position")),
        Prefetch("review_case__actions", queryset=ReviewAction.objects.select_related("actor")),
    )
    if outcome is not None:
        decisions = decisions.filter(final_outcome=outcome)
    if external_id is not None:
        decisions = decisions.filter(external_id=external_id)
    if created_from is not None:
        decisions = decisions.filter(created__gte=created_from)
    if created_to is not None:
        decisions = decisions.filter(created__lte=created_to)
    return decisions.order_by("-created", "-id")


def decision_get(*, partner, decision_id):
    decision = decision_list(partner=partner).filter(pk=parse_uuid(decision_id)).first()
    if decision is None:
        raise NotFound(f"No decision {decision_id}.")
    return decision
