from django.contrib import admin

from .admin_mixins import PartnerScopedAdmin
from .models import AuditEvent


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
