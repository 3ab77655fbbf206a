from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from knox.models import AuthToken

from core.admin_mixins import PartnerScopedAdmin
from core.exceptions import ArgumentError

from . import services
from .models import Partner, User


class PartnerOnboardForm(forms.ModelForm):
    """Adding a partner also creates its first partner admin (partners.services.partner_onboard)."""

    admin_username = forms.CharField(
        max_length=150, help_text="The partner's first admin, who adds its people and tokens."
    )
    admin_email = forms.EmailField(required=False)

    class Meta:
        model = Partner
        fields = ("name", "review_sla_hours", "override_confirmation_amount", "api_requests_per_minute")

    def clean_admin_username(self):
        username = self.cleaned_data["admin_username"]
        if User.objects.filter(username=username).exists():
            raise forms.ValidationError(f"The username {username!r} is taken.")
        return username


@admin.register(Partner)
class PartnerAdmin(PartnerScopedAdmin):
    """Platform superusers manage partners; a partner admin sees and tunes their own partner."""

    partner_lookup = "pk"
    list_display = ("name", "slug", "is_active", "review_sla_hours", "override_confirmation_amount")
    search_fields = ("name",)

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = PartnerOnboardForm
        return super().get_form(request, obj, **kwargs)

    def get_prepopulated_fields(self, request, obj=None):
        # Adding (the onboarding form) has no slug field; only superusers edit a partner's slug.
        return {"slug": ("name",)} if obj is not None and request.user.is_superuser else {}

    def get_readonly_fields(self, request, obj=None):
        return () if request.user.is_superuser else ("name", "slug", "is_active")

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [
                (
                    None,
                    {"fields": ("name", "review_sla_hours", "override_confirmation_amount", "api_requests_per_minute")},
                ),
                ("First partner admin", {"fields": ("admin_username", "admin_email")}),
            ]
        return super().get_fieldsets(request, obj)

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        data = form.cleaned_data
        try:
            partner, admin_user, password = services.partner_onboard(
                name=data["name"],
                admin_username=data["admin_username"],
                admin_email=data["admin_email"],
                actor=request.user,
                review_sla_hours=data["review_sla_hours"],
                override_confirmation_amount=data["override_confirmation_amount"],
                api_requests_per_minute=data["api_requests_per_minute"],
            )
        except ArgumentError as error:
            # The form validated the same things; a race lost to another admin lands here.
            raise forms.ValidationError(error.message) from None
        obj.pk, obj.slug = partner.pk, partner.slug
        messages.success(
            request,
            f"Partner {partner.name} created with its admin {admin_user.username}; their password, shown only "
            f"now: {password}",
        )


@admin.register(User)
class UserAdmin(PartnerScopedAdmin, DjangoUserAdmin):
    """People of the partner. Roles are the groups; admin access (`is_staff`) follows from the roles
    (partners.services.user_roles_set), so a partner admin can neither grant it nor anything else."""

    list_display = ("username", "partner", "email", "is_active", "is_staff")
    list_filter = ("partner", "groups", "is_active", "is_staff")
    fieldsets = DjangoUserAdmin.fieldsets + (("Lending partner", {"fields": ("partner",)}),)
    add_fieldsets = DjangoUserAdmin.add_fieldsets + (("Lending partner", {"fields": ("partner",)}),)
    partner_fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "email")}),
        ("Roles", {"fields": ("is_active", "groups")}),
        ("Access", {"fields": ("partner", "is_staff", "last_login", "date_joined")}),
    )
    partner_add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "usable_password", "password1", "password2")}),
        ("Roles", {"fields": ("groups",)}),
    )

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if request.user.is_superuser else queryset.filter(is_superuser=False)

    def get_fieldsets(self, request, obj=None):
        if request.user.is_superuser:
            return super().get_fieldsets(request, obj)
        return self.partner_add_fieldsets if obj is None else self.partner_fieldsets

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return super().get_readonly_fields(request, obj)
        return ("partner", "is_staff", "last_login", "date_joined") if obj is not None else ()

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if request.user.is_superuser:
            return form
        partner_id = request.user.partner_id

        class OwnPartnerForm(form):
            """The person belongs to the partner admin's partner before validation (User.clean)."""

            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                self.instance.partner_id = partner_id

        return OwnPartnerForm

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        user = form.instance
        services.user_roles_set(user=user, roles=list(user.groups.values_list("name", flat=True)), actor=request.user)


admin.site.unregister(AuthToken)


@admin.register(AuthToken)
class AuthTokenAdmin(PartnerScopedAdmin):
    """The partner's API tokens: a partner admin sees and revokes them (issue one with
    `manage.py create_api_token`; only a hash is stored, so a token is never shown again)."""

    partner_lookup = "user__partner"
    list_display = ("token_key", "user", "created", "expiry")
    search_fields = ("token_key", "user__username")
    fields = readonly_fields = ("token_key", "user", "created", "expiry")
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # revoking goes through the service, on the record
        return actions

    def delete_model(self, request, obj):
        services.api_token_revoke(token=obj, actor=request.user)

    @admin.action(description="Revoke the selected API tokens", permissions=["delete"])
    def revoke(self, request, queryset):
        for token in queryset.select_related("user__partner"):
            services.api_token_revoke(token=token, actor=request.user)
