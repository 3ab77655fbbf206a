from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import headers
from core.api.filters import MOMENT_SCHEMA, FilterParser
from core.api.permissions import roles_required
from decisioning import selectors, services
from decisioning.models import Decision
from partners import roles

from .serializers import DecisionInputSerializer, DecisionOutputSerializer, decision_document

Deciders = roles_required(roles.PARTNER_SYSTEM, roles.PARTNER_ADMIN, methods=("POST",))
RecordReaders = roles_required(*selectors.RECORD_READERS, methods=("GET", "HEAD"))
IDEMPOTENCY_KEY = OpenApiParameter(
    headers.IDEMPOTENCY_KEY,
    {"type": "string", "maxLength": headers.IDEMPOTENCY_KEY_MAX_LENGTH, "pattern": "^[\\x20-\\x7e]*$"},
    OpenApiParameter.HEADER,
    description="The same key and body return the first decision; the same key with another body is 409.",
)


REPLAY_DOCUMENT = {
    "type": "object",
    "description": "A report, not a resource: the whole answer is in `meta`.",
    "required": ["meta"],
    "properties": {
        "meta": {
            "type": "object",
            "required": ["decisionId", "identical", "steps"],
            "properties": {
                "decisionId": {"type": "string", "format": "uuid"},
                "identical": {
                    "type": "boolean",
                    "description": "Every step's replayed outputs equal the recorded ones.",
                },
                "steps": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": [
                            "insightId",
                            "model",
                            "modelVersion",
                            "engine",
                            "identical",
                            "recorded",
                            "replayed",
                        ],
                        "properties": {
                            "insightId": {"type": "string", "format": "uuid"},
                            "model": {"type": "string"},
                            "modelVersion": {"type": "integer"},
                            "importedModels": {
                                "type": "array",
                                "description": "DMN: the registered versions of the models it imports, as "
                                "recorded when it was evaluated; the replay used exactly these.",
                                "items": {
                                    "type": "object",
                                    "properties": {
                                        "namespace": {"type": "string"},
                                        "model": {"type": "string", "format": "uuid"},
                                        "name": {"type": "string"},
                                        "version": {"type": "integer"},
                                    },
                                },
                            },
                            "engine": {"type": "string"},
                            "identical": {"type": "boolean"},
                            "recorded": {"type": "object", "nullable": True, "additionalProperties": True},
                            "replayed": {"type": "object", "additionalProperties": True},
                        },
                    },
                },
            },
        }
    },
}


class DecisionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Applications decided by the partner's decision flow."""

    resource_name = "decision"
    permission_classes = [Deciders, RecordReaders]
    serializer_class = DecisionOutputSerializer
    extra_error_statuses = {"create": {404, 422}}  # 404: the model or flow the body names
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
        return selectors.decision_get(
            partner=self.request.user.partner, user=self.request.user, decision_id=self.kwargs["pk"]
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("filter[outcome]", OpenApiTypes.STR, enum=["APPROVED", "DECLINED", "REFERRED"]),
            OpenApiParameter("filter[externalId]", OpenApiTypes.STR),
            OpenApiParameter("filter[createdFrom]", MOMENT_SCHEMA),
            OpenApiParameter("filter[createdTo]", MOMENT_SCHEMA),
        ]
    )
    def list(self, request, *args, **kwargs):
        """Decisions the caller may read: auditors and partner admins all of the partner's, partner systems those they requested, underwriters those under review."""
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=DecisionInputSerializer(),
        responses={201: DecisionOutputSerializer(), 200: DecisionOutputSerializer()},
        parameters=[IDEMPOTENCY_KEY],
    )
    def create(self, request):
        """Decide an application (the partner's default flow unless flowId names one)."""
        idempotency_key = headers.idempotency_key(request)
        payload = DecisionInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        decision, created = services.decision_create(
            partner=request.user.partner,
            requested_by=request.user,
            idempotency_key=idempotency_key,
            **payload.validated_data,
        )
        self.resource_name = False  # a whole JSON:API document already (DecisionOutputSerializer's), rendered as it is
        return Response(decision_document(decision), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(request=None, responses={200: REPLAY_DOCUMENT})
    @action(detail=True, methods=["post"])
    def replay(self, request, pk=None):
        """Re-run the decision's steps on the exact recorded versions; report whether every output is identical."""
        self.resource_name = False  # a report, not a resource: rendered as plain JSON inside the meta
        report = services.decision_replay(decision=self.get_object(), actor=request.user)
        return Response({"meta": report})
