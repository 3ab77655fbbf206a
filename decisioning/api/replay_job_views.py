from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, views
from rest_framework.response import Response

from core.api.permissions import roles_required
from core.api.serializers import StrictCharField
from decisioning.services.replay_jobs import REPLAY_JOB_MAX_DECISIONS, replay_job_submit
from partners import roles


class ReplayJobInputSerializer(serializers.Serializer):
    # Items are checked by the service, which names the one at fault (/data/attributes/decisionIds/2);
    # no max_length on the items: a per-item serializer error has no JSON:API pointer (it was a 500).
    # The body's size is bounded by the parser.
    decision_ids = serializers.ListField(
        child=StrictCharField(allow_blank=True, trim_whitespace=False),
        help_text=f"Ids of up to {REPLAY_JOB_MAX_DECISIONS} decisions to replay on their recorded versions; "
        "each replay is recorded on the audit log.",
    )

    class Meta:
        resource_name = "replayJob"


class ReplayJobOutputSerializer(serializers.Serializer):
    id = StrictCharField()
    decision_ids = serializers.ListField(child=serializers.UUIDField())
    status = StrictCharField()

    class Meta:
        resource_name = "replayJob"


class ReplayJobView(views.APIView):
    """Replay many decisions in the background (a Celery job); 503 while the job queue is down."""

    resource_name = "replayJob"
    permission_classes = [roles_required(roles.AUDITOR, roles.PARTNER_ADMIN)]

    @extend_schema(request=ReplayJobInputSerializer(), responses={202: ReplayJobOutputSerializer()})
    def post(self, request):
        payload = ReplayJobInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        job = replay_job_submit(
            partner=request.user.partner, user=request.user, decision_ids=payload.validated_data["decision_ids"]
        )
        return Response(ReplayJobOutputSerializer({**job, "status": "queued"}).data, status=status.HTTP_202_ACCEPTED)
