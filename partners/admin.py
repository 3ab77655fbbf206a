from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from core.exceptions import ArgumentError

from . import services
from .models import Partner, User


class PartnerOnboardForm(forms.ModelForm):
    """Adding a partner also creates its first partner admin (partners.services.partner_onboard)."""

    admin_username = forms.CharField(max_length=150, help_text="The partner's first admin, who adds its people and tokens.")
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
class PartnerAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "is_active", "review_sla_hours", "override_confirmation_amount")
    prepopulated_fields = {"slug": ("name",)}
    search_fields = ("name",)

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = PartnerOnboardForm
        return super().get_form(request, obj, **kwargs)

    def get_prepopulated_fields(self, request, obj=None):
        return super().get_prepopulated_fields(request, obj) if obj else {}

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [
                (None, {"fields": ("name", "review_sla_hours", "override_confirmation_amount", "api_requests_per_minute")}),
                ("First partner admin", {"fields": ("admin_username", "admin_email")}),
            ]
        return super().get_fieldsets(request, obj)

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        data = form.cleaned_data
        try:
            partner, admin_user, password = services.partner_onboard(
                name=data["name"], admin_username=data["admin_username"], admin_email=data["admin_email"],
                actor=request.user, review_sla_hours=data["review_sla_hours"],
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
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "partner", "email", "is_active", "is_staff")
    list_filter = ("partner", "groups", "is_active", "is_staff")
    fieldsets = DjangoUserAdmin.fieldsets + (("Lending partner", {"fields": ("partner",)}),)
    add_fieldsets = DjangoUserAdmin.add_fieldsets + (("Lending partner", {"fields": ("partner",)}),)
