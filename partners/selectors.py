from django.apps import apps
from django.db.models import QuerySet

from core.exceptions import ArgumentError

from .models import User


def user_list(*, partner) -> QuerySet:
    return User.objects.filter(partner=partner).prefetch_related("groups").order_by("username")


def user_get(*, partner, user_id) -> User:
    try:
        user = User.objects.filter(partner=partner, pk=int(user_id)).first()
    except (TypeError, ValueError):
        user = None
    if user is None:
        raise ArgumentError("user", "No such user at your partner.")
    return user


def partner_first_steps(*, partner) -> list[tuple[str, str, bool]]:
    """[(step, page, done)]: the way from a new partner to its first decision, for the admin's overview.

    Models of other apps are looked up by label: those apps import this one.
    """

    def exists(label, **lookup):
        return apps.get_model(label).objects.filter(**lookup).exists()

    return [
        (
            "Add your people and your loan-origination system, with roles",
            "/people/",
            exists("partners.User", partner=partner, groups__name="partner_system"),
        ),
        ("Create an API token for your system", "/people/", exists("knox.AuthToken", user__partner=partner)),
        (
            "Import the data dictionary entries your models need (CSV)",
            "/dictionary/",
            exists("modelregistry.DataDictionaryField"),
        ),
        (
            "Upload a PMML model or DMN rules, and map their columns",
            "/admin/modelregistry/predictivemodel/add/",
            exists("modelregistry.PredictiveModel", partner=partner),
        ),
        (
            "Create a decision flow and submit it; a rule approver publishes it",
            "/flows/",
            exists("decisioning.DecisionFlow", partner=partner, status="published"),
        ),
    ]
