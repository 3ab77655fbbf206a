from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import FieldDoesNotExist

from partners.models import Partner
from partners.roles import ALL as ROLE_NAMES


def scoped_choices(model, user):
    """The rows of `model` a partner's staff may pick in a form, or None when nothing is hidden.

    Partners: their own. Users, and anything with a `partner`: their partner's. Groups: the role
    groups only (never a group that could carry other permissions). Superusers: everything.
    """
    if user.is_superuser:
        return None
    if model is Partner:
        return Partner.objects.filter(pk=user.partner_id)
    if model is Group:
        return Group.objects.filter(name__in=ROLE_NAMES)
    if model is get_user_model() or any(f.name == "partner" for f in model._meta.get_fields()):
        return (
            model._default_manager.filter(partner_id=user.partner_id)
            if user.partner_id
            else model._default_manager.none()
        )
    return None


class ScopedChoicesMixin:
    """Foreign-key and many-to-many choices limited by `scoped_choices` (admins and inlines)."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        choices = scoped_choices(db_field.related_model, request.user)
        if choices is not None:
            kwargs["queryset"] = choices
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        choices = scoped_choices(db_field.related_model, request.user)
        if choices is not None:
            kwargs["queryset"] = choices
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class PartnerScopedAdmin(ScopedChoicesMixin, admin.ModelAdmin):
    """Staff of a partner see only their partner's rows; platform superusers see all.

    Scoped too: foreign-key and many-to-many choices in forms (`scoped_choices`), and the list
    filters, which would otherwise list every partner's names and people. Inlines take
    `ScopedChoicesMixin`; their rows belong to the (scoped) parent.
    """

    partner_lookup = "partner"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser or request.user.partner_id is None:
            return queryset if request.user.is_superuser else queryset.none()
        return queryset.filter(**{self.partner_lookup: request.user.partner_id})

    def get_list_filter(self, request):
        filters = super().get_list_filter(request)
        if request.user.is_superuser:
            return filters
        return tuple(f for f in filters if not (isinstance(f, str) and _is_relation(self.model, f)))


def _is_relation(model, lookup):
    try:
        return model._meta.get_field(lookup.split("__", 1)[0]).is_relation
    except FieldDoesNotExist:
        return False
