from rest_framework_json_api import serializers

from modelregistry.models import PredictiveModel, PredictiveModelField


class PredictiveModelOutputSerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.username", read_only=True, allow_null=True)
    unmapped_arguments = serializers.SerializerMethodField()

    class Meta:
        model = PredictiveModel
        resource_name = "predictiveModel"
        fields = (
            "id", "name", "version", "engine", "status", "sha256", "description", "warnings",
            "unmapped_arguments", "created_by", "created",
        )

    def get_unmapped_arguments(self, model) -> list[str]:
        return [
            field.name
            for field in model.fields.all()
            if field.field_type == "argument" and field.supported_field_id is None
        ]


class PredictiveModelInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    artifact = serializers.CharField(trim_whitespace=False, help_text="The PMML or DMN XML document.")
    description = serializers.CharField(required=False, allow_blank=True, default="")

    class Meta:
        resource_name = "predictiveModel"


class PredictiveModelFieldOutputSerializer(serializers.ModelSerializer):
    supported_field_name = serializers.CharField(source="supported_field.name", read_only=True, allow_null=True)
    protected_use_allowed_by = serializers.CharField(source="protected_use_allowed_by.username", read_only=True, allow_null=True)

    class Meta:
        model = PredictiveModelField
        resource_name = "predictiveModelField"
        fields = (
            "id", "name", "supported_field_name", "field_type", "data_type", "allowed_values",
            "protected_use_allowed_by",
        )


class PredictiveModelFieldInputSerializer(serializers.Serializer):
    supported_field_name = serializers.CharField(allow_null=True, max_length=64)
    allow_protected = serializers.BooleanField(required=False, default=False)

    class Meta:
        resource_name = "predictiveModelField"
