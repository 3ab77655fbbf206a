from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from .models import Partner, User


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "is_active", "review_sla_hours", "override_confirmation_amount")
    prepopulated_fields = {"slug": ("name",)}
    search_fields = ("name",)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "partner", "email", "is_active", "is_staff")
    list_filter = ("partner", "groups", "is_active", "is_staff")
    fieldsets = DjangoUserAdmin.fieldsets + (("Lending partner", {"fields": ("partner",)}),)
    add_fieldsets = DjangoUserAdmin.add_fieldsets + (("Lending partner", {"fields": ("partner",)}),)
