from rest_framework import serializers

from core.api.serializers import StrictCharField


class ProtectedCharacteristicsInputSerializer(serializers.Serializer):
    values = serializers.JSONField(
        help_text='Protected data-dictionary names to values, e.g. {"ageBand": "25_to_61"}. Recorded for '
        "fairness monitoring only: kept apart from the application, never a model argument."
    )

    class Meta:
        resource_name = "protectedCharacteristics"


class ProtectedCharacteristicsOutputSerializer(serializers.Serializer):
    """What was recorded, by name only: the values are applicant data and are not sent back."""

    id = StrictCharField(source="pk")
    decision_id = serializers.UUIDField()
    recorded_fields = serializers.SerializerMethodField(help_text="The dictionary names recorded (not their values).")
    synthetic = serializers.BooleanField()
    created = serializers.DateTimeField()

    class Meta:
        resource_name = "protectedCharacteristics"

    def get_recorded_fields(self, record) -> list[str]:
        return sorted(record.values)
