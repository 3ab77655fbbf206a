"""Reads for the review queue; every query is scoped to the partner given."""

from django.db.models import QuerySet
from django.utils import timezone

from core.exceptions import NotFound, ParameterError
from core.ids import parse_uuid

from ..models import ReasonCode, ReviewAction, ReviewCase, ReviewStatus

VIEWS = ("open", "mine", "overdue", "pending", "all")


def review_case_list(
    *, partner, user, view="open", external_id=None, outcome=None, created_from=None, created_to=None
) -> QuerySet:
    """The partner's cases for one queue view, soonest SLA due first.

    "open" holds unclaimed cases only: a claimed case is under its claimant's "Mine" and shown
    with the claimant's name in the other views. `external_id` matches the start of the
    application's external id; `outcome` is what the flow decided; the dates bound the referral day.
    """
    cases = ReviewCase.objects.filter(partner=partner).select_related("decision__flow", "assigned_to")
    if external_id:
        cases = cases.filter(decision__external_id__istartswith=external_id)
    if outcome:
        cases = cases.filter(decision__outcome=outcome)
    if created_from is not None:
        cases = cases.filter(created__date__gte=created_from)
    if created_to is not None:
        cases = cases.filter(created__date__lte=created_to)
    if view == "open":
        cases = cases.filter(status=ReviewStatus.OPEN)
    elif view == "mine":
        cases = cases.filter(assigned_to=user).exclude(status=ReviewStatus.DECIDED)
    elif view == "overdue":
        cases = cases.exclude(status=ReviewStatus.DECIDED).filter(due_at__lt=timezone.now())
    elif view == "pending":
        cases = cases.filter(status=ReviewStatus.PENDING_CONFIRMATION)
    elif view != "all":
        raise ParameterError("view", f"Unknown queue view {view!r}; use one of {', '.join(VIEWS)}.")
    return cases.order_by("due_at", "created")


def review_case_get(*, partner, case_id) -> ReviewCase:
    case = (
        ReviewCase.objects.filter(partner=partner, pk=parse_uuid(case_id))
        .select_related("decision__flow", "assigned_to", "proposed_by", "partner")
        .first()
    )
    if case is None:
        raise NotFound(f"No review case {case_id}.")
    return case


def review_case_history(*, case) -> QuerySet:
    return ReviewAction.objects.filter(case=case).select_related("actor").order_by("created", "id")


def reason_code_catalogue(*, partner) -> QuerySet:
    return ReasonCode.objects.filter(partner=partner).order_by("kind", "code")
