from django.contrib import admin


class PartnerScopedAdmin(admin.ModelAdmin):
    """Staff of a partner see only their partner's rows; platform superusers see all."""

    partner_lookup = "partner"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser or request.user.partner_id is None:
            return queryset if request.user.is_superuser else queryset.none()
        return queryset.filter(**{self.partner_lookup: request.user.partner_id})
