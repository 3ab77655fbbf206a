from rest_framework.permissions import BasePermission


class IsPartnerMember(BasePermission):
    """An authenticated, active user or token of an active lending partner."""

    message = "This API is for users and systems of a lending partner."

    def has_permission(self, request, view):
        user = request.user
        return bool(
            user and user.is_authenticated and user.is_active and user.partner_id is not None and user.partner.is_active
        )


def roles_required(*roles, methods=None):
    """A permission class: the user has one of `roles` (for `methods`, default all)."""

    class HasRole(IsPartnerMember):
        message = "Your role does not allow this (needs one of: " + ", ".join(roles) + ")."

        def has_permission(self, request, view):
            if not super().has_permission(request, view):
                return False
            if methods is not None and request.method not in methods:
                return True
            return request.user.has_any_role(*roles)

    HasRole.__name__ = "HasRole_" + "_".join(roles)
    return HasRole
