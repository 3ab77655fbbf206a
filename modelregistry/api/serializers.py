from rest_framework_json_api import serializers

from core import safe_xml
from core.api.serializers import StrictBooleanField, StrictCharField
from modelregistry.models import PredictiveModel, PredictiveModelField
from rulesets.models import RulesetPurpose


class PredictiveModelOutputSerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.username", read_only=True, allow_null=True)
    imports = serializers.JSONField(
        read_only=True,
        help_text="DMN: the registered versions of the models it imports (by namespace, in the partner's "
        "registry), pinned when it was reviewed: [{namespace, model, name, version, sha256}].",
    )
    unmapped_arguments = serializers.SerializerMethodField()
    unmapped_results = serializers.SerializerMethodField(
        help_text="Results not mapped onto the data dictionary: returned under the model's own names until mapped."
    )

    class Meta:
        model = PredictiveModel
        resource_name = "predictiveModel"
        fields = (
            "id",
            "name",
            "version",
            "engine",
            "status",
            "sha256",
            "description",
            "warnings",
            "allow_reference_engine",
            "source_format",
            "source_name",
            "source_sha256",
            "namespace",
            "imports",
            "unmapped_arguments",
            "unmapped_results",
            "created_by",
            "created",
        )

    def get_unmapped_arguments(self, model) -> list[str]:
        return [
            field.name
            for field in model.fields.all()
            if field.field_type == "argument" and field.supported_field_id is None
        ]

    def get_unmapped_results(self, model) -> list[str]:
        return [
            field.name
            for field in model.fields.all()
            if field.field_type == "result" and field.supported_field_id is None
        ]


class PredictiveModelInputSerializer(serializers.Serializer):
    name = StrictCharField(max_length=200)
    artifact = StrictCharField(
        required=False,
        trim_whitespace=False,
        help_text="The PMML or DMN XML document. Send this or `workbook`.",
    )
    workbook = StrictCharField(
        required=False,
        help_text="An Excel rule workbook (.xlsx in pyDMNrules' layout), base64-encoded. It is converted to DMN "
        "XML, which is what is evaluated; the workbook is kept as sent. Send this or `artifact`.",
    )
    source_name = StrictCharField(
        required=False, allow_blank=True, default="", max_length=255, help_text="The uploaded file's name."
    )
    description = StrictCharField(required=False, allow_blank=True, default="")
    purpose = serializers.ChoiceField(
        choices=RulesetPurpose.choices,
        required=False,
        allow_null=True,
        default=None,
        help_text="DMN only: the purpose of the ruleset the draft belongs to, when the upload creates it "
        "(default knockout).",
    )
    allow_reference_engine = StrictBooleanField(
        required=False,
        default=False,
        help_text="Let the pypmml reference engine (a JVM) evaluate this PMML model if the native engine cannot. "
        "Off unless asked for; recorded on the version and in the audit trail.",
    )

    def validate_artifact(self, value):
        _within_limit(len(value.encode("utf-8", "surrogatepass")), "artifact")
        return value

    def validate_workbook(self, value):
        import base64
        import binascii

        _within_limit(len(value) // 4 * 3, "workbook (decoded)")  # before decoding a huge body
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise serializers.ValidationError("Send the workbook's bytes base64-encoded.") from None

    class Meta:
        resource_name = "predictiveModel"


def _within_limit(size, what):
    if size > safe_xml.MAX_DOCUMENT_BYTES:
        raise serializers.ValidationError(
            f"The {what} is {size:,} bytes; the limit is {safe_xml.MAX_DOCUMENT_BYTES:,} bytes "
            f"({safe_xml.MAX_DOCUMENT_BYTES / 2**20:g} MiB).",
            code="too_large",
        )


class PredictiveModelFieldOutputSerializer(serializers.ModelSerializer):
    supported_field_name = serializers.CharField(source="supported_field.name", read_only=True, allow_null=True)
    protected_use_allowed_by = serializers.CharField(
        source="protected_use_allowed_by.username", read_only=True, allow_null=True
    )

    class Meta:
        model = PredictiveModelField
        resource_name = "predictiveModelField"
        fields = (
            "id",
            "name",
            "supported_field_name",
            "field_type",
            "data_type",
            "allowed_values",
            "protected_use_allowed_by",
        )


class PredictiveModelFieldInputSerializer(serializers.Serializer):
    supported_field_name = StrictCharField(allow_null=True, max_length=64)
    allow_protected = StrictBooleanField(required=False, default=False)

    class Meta:
        resource_name = "predictiveModelField"
