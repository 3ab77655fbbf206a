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
