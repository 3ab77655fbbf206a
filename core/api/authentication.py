"""Knox token authentication with a per-process cache of token → user, partner and roles.

A cache hit costs no SQL: the token is hashed as knox does, looked up by its digest (so only the
full, correct token finds an entry), and its expiry and the user's `is_active` are checked again
on every request. The cache (core.process_cache) is dropped — here at once, in other processes
once the transaction commits — when any token is created or deleted (revocation, logout, expiry
clean-up), a user is saved or deleted (deactivation, partner move), a user's groups change
(roles), a group is saved or deleted, or a partner is saved. A miss runs knox's own checks.
"""

import copy

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.models import get_token_model
from rest_framework import exceptions

from core.process_cache import ProcessCache

tokens = ProcessCache("api-tokens")


class CachedTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, token):
        current = tokens.generation()
        try:
            digest = hash_token(token.decode("utf-8"))
        except (TypeError, ValueError, UnicodeDecodeError):
            return super().authenticate_credentials(token)
        cached = tokens.get(digest, current)
        if cached is not None:
            auth_token, user = cached
            if auth_token.expiry is not None and auth_token.expiry < timezone.now():
                tokens.invalidate()  # knox deletes it on the next miss
            elif user.is_active:
                # A copy per request: nothing a view sets on request.user leaks into the next one.
                return copy.copy(user), auth_token
            else:
                raise exceptions.AuthenticationFailed("User inactive or deleted.")
        user, auth_token = super().authenticate_credentials(token)
        user.partner  # noqa: B018 — read once, kept with the user
        user.role_names()
        tokens.put(digest, current, (auth_token, user))
        return copy.copy(user), auth_token


def connect():
    User = get_user_model()
    Token = get_token_model()
    for model in (Token, User, Group, "partners.Partner"):
        for signal in (post_save, post_delete):
            signal.connect(
                tokens.invalidate,
                sender=model,
                dispatch_uid=f"api-token-cache-{model if isinstance(model, str) else model._meta.label}-{signal is post_save}",
            )
    m2m_changed.connect(tokens.invalidate, sender=User.groups.through, dispatch_uid="api-token-cache-user-groups")
    m2m_changed.connect(
        tokens.invalidate, sender=Group.permissions.through, dispatch_uid="api-token-cache-group-permissions"
    )


from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme  # noqa: E402 — the schema extension for the class above


class CachedTokenScheme(KnoxTokenScheme):
    """The OpenAPI description: the same scheme as knox's own."""

    target_class = "core.api.authentication.CachedTokenAuthentication"
