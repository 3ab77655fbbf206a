from drf_spectacular.utils import extend_schema
from rest_framework import status, views
from rest_framework.response import Response

from core.api.permissions import roles_required
from decisioning import selectors as decision_selectors
from monitoring import services
from partners import roles

from .serializers import ProtectedCharacteristicsInputSerializer, ProtectedCharacteristicsOutputSerializer


class ProtectedCharacteristicsView(views.APIView):
    """The applicant's protected characteristics beside one decision, for the fairness report."""

    resource_name = "protectedCharacteristics"
    permission_classes = [roles_required(roles.PARTNER_SYSTEM, roles.PARTNER_ADMIN)]

    @extend_schema(
        request=ProtectedCharacteristicsInputSerializer(),
        responses={201: ProtectedCharacteristicsOutputSerializer(), 200: ProtectedCharacteristicsOutputSerializer()},
    )
    def post(self, request, pk):
        """Record (201) or replace (200) them: protected dictionary fields only, encrypted, never passed to a model."""
        decision = decision_selectors.decision_get(partner=request.user.partner, user=request.user, decision_id=pk)
        payload = ProtectedCharacteristicsInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        replacing = hasattr(decision, "protected_characteristics")
        record = services.protected_characteristics_record(
            decision=decision, values=payload.validated_data["values"], actor=request.user
        )
        return Response(
            ProtectedCharacteristicsOutputSerializer(record).data,
            status=status.HTTP_200_OK if replacing else status.HTTP_201_CREATED,
        )
