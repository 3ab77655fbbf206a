import secrets

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from knox.models import AuthToken

from core.exceptions import ArgumentError
from core.services import audit_event_record

from . import roles as role_names
from .models import Partner, User


@transaction.atomic
def partner_create(*, name, actor=None, **settings) -> Partner:
    name = (name or "").strip()
    if not name:
        raise ArgumentError("name", "A partner needs a name.")
    if Partner.objects.filter(name=name).exists():
        raise ArgumentError("name", f"A partner named {name!r} exists already.")
    partner = Partner(name=name, slug=slugify(name)[:64], **settings)
    partner.full_clean()
    partner.save()
    audit_event_record(actor=actor, action="partner.create", obj=partner, partner=partner)
    return partner


@transaction.atomic
def user_create(*, partner, username, roles=(), password=None, email="", actor=None):
    """Create a person or system of `partner` with `roles`. Returns (user, password)."""
    unknown = set(roles) - set(role_names.ALL)
    if unknown:
        raise ArgumentError("roles", f"Unknown roles: {', '.join(sorted(unknown))}.")
    if User.objects.filter(username=username).exists():
        raise ArgumentError("username", f"The username {username!r} is taken.")
    password = password or secrets.token_urlsafe(12)
    user = User(partner=partner, username=username, email=email)
    user.set_password(password)
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise ArgumentError(field if field != "__all__" else "username", " ".join(messages)) from None
    user.save()
    user_roles_set(user=user, roles=roles, actor=actor, record=False)
    audit_event_record(actor=actor, action="user.create", obj=user, partner=partner, data={"roles": sorted(roles)})
    return user, password


@transaction.atomic
def user_roles_set(*, user, roles, actor=None, record=True):
    """Give `user` exactly `roles`; people whose roles work in the admin get `is_staff`.

    `is_staff` means admin access and nothing more (every admin page is scoped to the user's
    partner); underwriters and partner systems never get it. Platform staff (no partner) and
    superusers keep theirs.
    """
    roles = set(roles)
    unknown = roles - set(role_names.ALL)
    if unknown:
        raise ArgumentError("roles", f"Unknown roles: {', '.join(sorted(unknown))}.")
    user.groups.set([Group.objects.get_or_create(name=name)[0] for name in sorted(roles)])
    staff = user.is_superuser or user.partner_id is None or role_names.uses_admin(roles)
    if user.is_staff != staff:
        user.is_staff = staff
        user.save(update_fields=["is_staff"])
    if hasattr(user, "_role_names"):
        del user._role_names
    if record:
        audit_event_record(
            actor=actor,
            action="user.roles_set",
            obj=user,
            partner=user.partner,
            data={"roles": sorted(roles), "is_staff": staff},
        )
    return user


@transaction.atomic
def api_token_create(*, user, actor=None, expiry=None) -> str:
    """Issue an API token for `user`; the key is shown once and only its hash is stored."""
    if user.partner_id is None:
        raise ArgumentError("user", "API tokens belong to a partner; platform staff have none.")
    instance, key = AuthToken.objects.create(user=user, expiry=expiry)
    audit_event_record(
        actor=actor or user,
        action="api_token.create",
        obj=user,
        partner=user.partner,
        data={"token_prefix": instance.token_key},
    )
    return key


@transaction.atomic
def api_token_revoke(*, token, actor) -> None:
    """Revoke an API token (its user's calls with it fail from now on)."""
    user = token.user
    prefix = token.token_key
    token.delete()
    audit_event_record(
        actor=actor, action="api_token.revoke", obj=user, partner=user.partner, data={"token_prefix": prefix}
    )


@transaction.atomic
def partner_onboard(*, name, admin_username, admin_email="", admin_password=None, actor=None, **settings):
    """A new partner and its first partner admin, who then adds the partner's people and tokens.

    Returns (partner, admin, password): the password is generated when not given and shown once.
    """
    partner = partner_create(name=name, actor=actor, **settings)
    admin, password = user_create(
        partner=partner,
        username=admin_username,
        email=admin_email,
        password=admin_password,
        roles=[role_names.PARTNER_ADMIN],
        actor=actor,
    )
    return partner, admin, password
