import json

from django.contrib import admin
from django.utils.html import format_html

from core.admin_mixins import PartnerScopedAdmin
from core.fields import dumps
from partners import roles

from . import selectors
from .models import InsightTransaction

HIDDEN = "(encrypted — shown to auditors only)"


@admin.register(InsightTransaction)
class InsightTransactionAdmin(PartnerScopedAdmin):
    list_display = ("created", "partner", "model", "status", "engine_name", "duration_us", "requested_by")
    list_filter = ("status", "engine_name", "partner")
    date_hierarchy = "created"
    search_fields = ("id", "artifact_sha256")
    fields = (
        "id",
        "created",
        "partner",
        "model",
        "artifact_sha256",
        "engine_name",
        "engine_version",
        "status",
        "duration_us",
        "requested_by",
        "field_mapping",
        "shown_arguments",
        "shown_results",
        "shown_error",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        # Partner staff read the records the API lets them read (decisioning/selectors.py).
        queryset = super().get_queryset(request)
        user = request.user
        if user.is_superuser or user.partner_id is None:
            return queryset
        if not user.has_any_role(*selectors.RECORD_READERS):
            return queryset.none()
        return queryset.filter(pk__in=selectors.insight_list(partner=user.partner, user=user).values("pk"))

    def get_fields(self, request, obj=None):
        if request.user.has_any_role(roles.AUDITOR):
            return self.fields
        return tuple(name for name in self.fields if not name.startswith("shown_")) + ("encrypted_values",)

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    @staticmethod
    def _pretty(value):
        return format_html("<pre>{}</pre>", json.dumps(json.loads(dumps(value)), indent=2))

    @admin.display(description="arguments")
    def shown_arguments(self, obj):
        return self._pretty(obj.arguments)

    @admin.display(description="results")
    def shown_results(self, obj):
        return self._pretty(obj.results)

    @admin.display(description="error")
    def shown_error(self, obj):
        return obj.error or "—"

    @admin.display(description="arguments, results, error")
    def encrypted_values(self, obj):
        return HIDDEN

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return request.method in ("GET", "HEAD") and super().has_view_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False
