from django.db.models import QuerySet

from core.exceptions import NotFound
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
    import uuid

    try:
        insight_id = uuid.UUID(str(insight_id))
    except ValueError:
        raise NotFound(f"No insight {insight_id}.") from None
    insight = insight_list(partner=partner, user=user).filter(pk=insight_id).first()
    if insight is None:
        raise NotFound(f"No insight {insight_id}.")
    return insight


def decision_list(*, partner, outcome=None, external_id=None, created_from=None, created_to=None) -> QuerySet:
    from .models import Decision

    decisions = Decision.objects.filter(partner=partner).select_related("flow", "review_case")
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
    import uuid

    try:
        decision_id = uuid.UUID(str(decision_id))
    except ValueError:
        raise NotFound(f"No decision {decision_id}.") from None
    decision = decision_list(partner=partner).filter(pk=decision_id).first()
    if decision is None:
        raise NotFound(f"No decision {decision_id}.")
    return decision
