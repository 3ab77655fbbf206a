from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.filters import FilterParser
from core.api.permissions import roles_required
from decisioning import selectors, services
from decisioning.models import Decision
from partners import roles

from .serializers import DecisionInputSerializer, DecisionOutputSerializer

Deciders = roles_required(roles.PARTNER_SYSTEM, roles.PARTNER_ADMIN, methods=("POST",))
RecordReaders = roles_required(*selectors.RECORD_READERS, methods=("GET", "HEAD"))
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER,
    description="The same key and body return the first decision; the same key with another body is 409.",
)


class DecisionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Applications decided by the partner's decision flow."""

    resource_name = "decision"
    permission_classes = [Deciders, RecordReaders]
    serializer_class = DecisionOutputSerializer
    queryset = Decision.objects.none()  # for schema introspection; get_queryset scopes

    def get_queryset(self):
        filters = FilterParser(self.request.query_params)
        criteria = {
            "outcome": filters.choice("outcome", ("APPROVED", "DECLINED", "REFERRED")),
            "external_id": filters.text("externalId"),
            "created_from": filters.moment("createdFrom"),
            "created_to": filters.moment("createdTo", end_of_day=True),
        }
        filters.raise_errors()
        return selectors.decision_list(partner=self.request.user.partner, user=self.request.user, **criteria)

    def get_object(self):
        return selectors.decision_get(partner=self.request.user.partner, user=self.request.user, decision_id=self.kwargs["pk"])

    @extend_schema(parameters=[
        OpenApiParameter("filter[outcome]", OpenApiTypes.STR, enum=["APPROVED", "DECLINED", "REFERRED"]),
        OpenApiParameter("filter[externalId]", OpenApiTypes.STR),
        OpenApiParameter("filter[createdFrom]", OpenApiTypes.DATETIME),
        OpenApiParameter("filter[createdTo]", OpenApiTypes.DATETIME),
    ])
    def list(self, request, *args, **kwargs):
        """Decisions the caller may read: auditors and partner admins all of the partner's, partner systems those they requested, underwriters those under review."""
        return super().list(request, *args, **kwargs)

    @extend_schema(request=DecisionInputSerializer(), responses={201: DecisionOutputSerializer(), 200: DecisionOutputSerializer()},
                   parameters=[IDEMPOTENCY_KEY])
    def create(self, request):
        """Decide an application (the partner's default flow unless flowId names one)."""
        payload = DecisionInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        decision, created = services.decision_create(
            partner=request.user.partner, requested_by=request.user,
            idempotency_key=request.headers.get("Idempotency-Key") or None, **payload.validated_data,
        )
        return Response(DecisionOutputSerializer(decision).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(request=None, responses=inline_serializer("DecisionReplay", {
        "decisionId": serializers.UUIDField(), "identical": serializers.BooleanField(), "steps": serializers.ListField(child=serializers.DictField()),
    }))
    @action(detail=True, methods=["post"])
    def replay(self, request, pk=None):
        """Re-run the decision's steps on the exact recorded versions; report whether every output is identical."""
        self.resource_name = False  # a report, not a resource: rendered as plain JSON inside the meta
        report = services.decision_replay(decision=self.get_object(), actor=request.user)
        return Response({"meta": report})
