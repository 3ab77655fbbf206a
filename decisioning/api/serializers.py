from rest_framework_json_api import serializers
from rest_framework_json_api.relations import ResourceRelatedField

from core.api.serializers import ResultsAttributeMixin
from decisioning.models import InsightTransaction
from modelregistry.models import PredictiveModel


class InsightOutputSerializer(ResultsAttributeMixin, serializers.ModelSerializer):
    predictive_model = ResourceRelatedField(source="model", read_only=True, model=PredictiveModel)
    model_version = serializers.IntegerField(source="model.version", read_only=True)
    requested_by = serializers.CharField(source="requested_by.username", read_only=True, allow_null=True)
    arguments = serializers.JSONField(read_only=True)
    results = serializers.JSONField(read_only=True, allow_null=True)

    class Meta:
        model = InsightTransaction
        resource_name = "insight"
        fields = (
            "id", "created", "status", "arguments", "results", "error", "model_version",
            "artifact_sha256", "engine_name", "engine_version", "duration_us", "requested_by",
            "predictive_model",
        )


class InsightInputSerializer(serializers.Serializer):
    model_id = serializers.UUIDField()
    arguments = serializers.JSONField(help_text="Data-dictionary names to values; null is a missing value.")

    class Meta:
        resource_name = "insight"
