from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from core.api.filters import MOMENT_SCHEMA, FilterParser
from core.api.permissions import roles_required
from decisioning import selectors, services
from decisioning.models import InsightTransaction
from partners import roles

from .serializers import InsightInputSerializer, InsightOutputSerializer

Evaluators = roles_required(roles.PARTNER_SYSTEM, roles.DATA_SCIENTIST, roles.PARTNER_ADMIN, methods=("POST",))
# Roles that read no evaluation at all are refused before anything is looked up.
RecordReaders = roles_required(*selectors.RECORD_READERS, methods=("GET", "HEAD"))

INSIGHT_FILTERS = [
    OpenApiParameter("filter[model]", OpenApiTypes.UUID, description="Only this model version's insights."),
    OpenApiParameter("filter[createdFrom]", MOMENT_SCHEMA, description="Created at or after (date or date-time)."),
    OpenApiParameter(
        "filter[createdTo]", MOMENT_SCHEMA, description="Created at or before (a date includes the whole day)."
    ),
    OpenApiParameter("filter[status]", OpenApiTypes.STR, enum=["ok", "error"]),
]


class InsightViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Evaluations of one model version, stored encrypted for audit and replay."""

    resource_name = "insight"
    permission_classes = [Evaluators, RecordReaders]
    serializer_class = InsightOutputSerializer
    extra_error_statuses = {"create": {404, 422}}  # 404: the model or flow the body names
    queryset = InsightTransaction.objects.none()  # for schema introspection; get_queryset scopes

    def get_queryset(self):
        filters = FilterParser(self.request.query_params)
        criteria = {
            "model_id": filters.uuid("model"),
            "created_from": filters.moment("createdFrom"),
            "created_to": filters.moment("createdTo", end_of_day=True),
            "status": filters.choice("status", ("ok", "error")),
        }
        filters.raise_errors()
        return selectors.insight_list(partner=self.request.user.partner, user=self.request.user, **criteria)

    def get_object(self):
        return selectors.insight_get(
            partner=self.request.user.partner, user=self.request.user, insight_id=self.kwargs["pk"]
        )

    @extend_schema(parameters=INSIGHT_FILTERS)
    def list(self, request, *args, **kwargs):
        """Insights the caller may read: auditors and partner admins all of the partner's, partner systems those they requested, underwriters the steps of decisions under review."""
        return super().list(request, *args, **kwargs)

    @extend_schema(request=InsightInputSerializer(), responses={201: InsightOutputSerializer()})
    def create(self, request):
        """Evaluate a model on arguments named by the data dictionary."""
        payload = InsightInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        insight = services.insight_create(
            partner=request.user.partner,
            model_id=payload.validated_data["model_id"],
            arguments=payload.validated_data["arguments"],
            requested_by=request.user,
        )
        return Response(InsightOutputSerializer(insight).data, status=status.HTTP_201_CREATED)
