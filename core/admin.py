from django.contrib import admin

from .admin_mixins import PartnerScopedAdmin
from .models import AuditBlock, AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(PartnerScopedAdmin):
    list_display = ("created", "partner", "actor", "action", "object_type", "object_repr")
    list_filter = ("action", "object_type", "partner")
    search_fields = ("object_id", "object_repr", "actor__username")
    date_hierarchy = "created"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _platform_user(request):
    # The admin's login page asks before anyone is signed in: an anonymous user is no platform user.
    return request.user.is_authenticated and getattr(request.user, "partner_id", None) is None


@admin.register(AuditBlock)
class AuditBlockAdmin(admin.ModelAdmin):
    """Read-only: blocks are written by the seal task and checked by verify_audit_chain."""

    list_display = ("chain", "sequence", "record_count", "sealed_at", "key_id")
    list_filter = ("chain",)
    fields = ("chain", "sequence", "sealed_at", "record_count", "key_id", "previous_mac", "mac", "schema", "records")
    readonly_fields = fields

    # Blocks seal every partner's records together: platform staff only, whatever permissions a
    # partner's group is given.
    def has_module_permission(self, request):
        return _platform_user(request) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return _platform_user(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
