from rest_framework_json_api import serializers

from rulesets.models import Ruleset, RulesetPurpose, RulesetTestCase, RulesetVersion


class RulesetOutputSerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.username", read_only=True, allow_null=True)

    class Meta:
        model = Ruleset
        resource_name = "ruleset"
        fields = ("id", "name", "purpose", "description", "created_by", "created")


class RulesetInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    purpose = serializers.ChoiceField(choices=RulesetPurpose.choices)
    description = serializers.CharField(required=False, allow_blank=True, default="")

    class Meta:
        resource_name = "ruleset"


class RulesetVersionOutputSerializer(serializers.ModelSerializer):
    ruleset_id = serializers.CharField(source="ruleset.pk", read_only=True)
    ruleset_name = serializers.CharField(source="ruleset.name", read_only=True)
    author = serializers.CharField(source="author.username", read_only=True)
    approver = serializers.CharField(source="approver.username", read_only=True, allow_null=True)
    published_model_id = serializers.CharField(source="published_model.pk", read_only=True, allow_null=True)
    based_on_id = serializers.CharField(read_only=True, allow_null=True)

    class Meta:
        model = RulesetVersion
        resource_name = "rulesetVersion"
        fields = (
            "id", "ruleset_id", "ruleset_name", "number", "status", "live_state", "effective_from", "sha256",
            "change_note", "field_mapping", "author", "approver", "published_model_id", "based_on_id",
            "source_format", "source_name", "created", "updated",
        )


class RulesetVersionDetailSerializer(RulesetVersionOutputSerializer):
    class Meta(RulesetVersionOutputSerializer.Meta):
        fields = RulesetVersionOutputSerializer.Meta.fields + ("dmn_xml",)


class RulesetTestCaseOutputSerializer(serializers.ModelSerializer):
    ruleset_id = serializers.CharField(source="ruleset.pk", read_only=True)

    class Meta:
        model = RulesetTestCase
        resource_name = "rulesetTestCase"
        fields = ("id", "ruleset_id", "name", "inputs", "expected_outputs", "created", "updated")
