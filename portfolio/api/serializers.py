from rest_framework import serializers
from rest_framework_json_api import serializers as jsonapi

from core.api.serializers import StrictCharField
from portfolio.models import LoanStatus, ReevaluationJob
from portfolio.services.jobs import DEFAULT_CHUNK_SIZE, MAX_CHUNK_SIZE


class ReevaluationJobInputSerializer(serializers.Serializer):
    flow_id = StrictCharField(
        max_length=64, required=False, help_text="The flow to evaluate with; the partner's default flow when absent."
    )
    statuses = serializers.ListField(
        child=serializers.ChoiceField(choices=LoanStatus.values),
        required=False,
        max_length=len(LoanStatus.values),
        help_text="Loan statuses in scope (default: current and delinquent).",
    )
    chunk_size = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_CHUNK_SIZE,
        default=DEFAULT_CHUNK_SIZE,
        help_text="Loans per Celery task.",
    )

    class Meta:
        resource_name = "reevaluationJob"


class ReevaluationJobOutputSerializer(jsonapi.ModelSerializer):
    flow_id = serializers.UUIDField(read_only=True)
    progress = serializers.FloatField(read_only=True, help_text="Percent of the loans evaluated (done + failed).")
    psi = serializers.JSONField(
        read_only=True, help_text="Population stability of the score and each model argument, when completed."
    )

    class Meta:
        model = ReevaluationJob
        resource_name = "reevaluationJob"
        fields = (
            "id",
            "flow_id",
            "plan",
            "scope",
            "status",
            "total",
            "done",
            "failed",
            "progress",
            "chunk_size",
            "created",
            "started",
            "finished",
            "psi",
            "error",
        )
        read_only_fields = fields
