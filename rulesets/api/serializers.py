from rest_framework_json_api import serializers

from core.api.serializers import StrictCharField
from rulesets import selectors
from rulesets.models import Ruleset, RulesetPurpose, RulesetTestCase, RulesetVersion


class RulesetOutputSerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.username", read_only=True, allow_null=True)

    class Meta:
        model = Ruleset
        resource_name = "ruleset"
        fields = ("id", "name", "purpose", "description", "created_by", "created")


class RulesetInputSerializer(serializers.Serializer):
    name = StrictCharField(max_length=200)
    purpose = serializers.ChoiceField(choices=RulesetPurpose.choices)
    description = StrictCharField(required=False, allow_blank=True, default="")

    class Meta:
        resource_name = "ruleset"


class RulesetVersionOutputSerializer(serializers.ModelSerializer):
    ruleset_id = serializers.CharField(source="ruleset.pk", read_only=True)
    ruleset_name = serializers.CharField(source="ruleset.name", read_only=True)
    author = serializers.CharField(source="author.username", read_only=True)
    approver = serializers.CharField(source="approver.username", read_only=True, allow_null=True)
    published_model_id = serializers.CharField(source="published_model.pk", read_only=True, allow_null=True)
    based_on_id = serializers.CharField(read_only=True, allow_null=True)
    imports = serializers.JSONField(
        read_only=True,
        help_text="The registered DMN models its imports resolved to (by namespace, in the partner's registry) "
        "when it was submitted: what the approver reviews and publication registers. Empty for a draft, whose "
        "imports resolve when it is tested.",
    )

    class Meta:
        model = RulesetVersion
        resource_name = "rulesetVersion"
        fields = (
            "id",
            "ruleset_id",
            "ruleset_name",
            "number",
            "status",
            "live_state",
            "effective_from",
            "sha256",
            "change_note",
            "field_mapping",
            "imports",
            "author",
            "approver",
            "published_model_id",
            "based_on_id",
            "source_format",
            "source_name",
            "created",
            "updated",
        )


class RulesetDraftUploadSerializer(RulesetVersionOutputSerializer):
    """The draft an upload made, with what the engine warned about on reading it (e.g. implicit inputs)."""

    warnings = serializers.SerializerMethodField()

    class Meta(RulesetVersionOutputSerializer.Meta):
        fields = RulesetVersionOutputSerializer.Meta.fields + ("warnings",)

    def get_warnings(self, version) -> list[str]:
        loaded = selectors.ruleset_version_loaded(version)
        return list(getattr(loaded, "warnings", ()) or ())


class RulesetVersionDetailSerializer(RulesetVersionOutputSerializer):
    class Meta(RulesetVersionOutputSerializer.Meta):
        fields = RulesetVersionOutputSerializer.Meta.fields + ("dmn_xml",)


class RulesetTestCaseOutputSerializer(serializers.ModelSerializer):
    ruleset_id = serializers.CharField(source="ruleset.pk", read_only=True)

    class Meta:
        model = RulesetTestCase
        resource_name = "rulesetTestCase"
        fields = ("id", "ruleset_id", "name", "inputs", "expected_outputs", "created", "updated")


class RulesetVersionWithHistorySerializer(RulesetVersionDetailSerializer):
    """One version with its XML and every transition (who, when, from, to, note)."""

    transitions = serializers.SerializerMethodField()

    class Meta(RulesetVersionDetailSerializer.Meta):
        fields = RulesetVersionDetailSerializer.Meta.fields + ("transitions",)

    def get_transitions(self, version) -> list[dict]:
        return [
            {
                "from": t.from_status or None,
                "to": t.to_status,
                "by": t.actor.username if t.actor_id else None,
                "at": t.created.isoformat(),
                "note": t.note,
            }
            for t in version.transitions.select_related("actor").order_by("created", "id")
        ]


class RulesetVersionInputSerializer(serializers.Serializer):
    ruleset_id = serializers.UUIDField(help_text="The ruleset the draft belongs to.")
    dmn_xml = StrictCharField(
        required=False, trim_whitespace=False, help_text="The DMN XML. Omit to start from `basedOnId`."
    )
    based_on_id = serializers.UUIDField(
        required=False, allow_null=True, default=None, help_text="A version of the same ruleset to start from."
    )
    change_note = StrictCharField(required=False, allow_blank=True, default="")
    field_mapping = serializers.DictField(child=StrictCharField(), required=False, allow_null=True, default=None)

    class Meta:
        resource_name = "rulesetVersion"


class RulesetVersionUpdateSerializer(serializers.Serializer):
    dmn_xml = StrictCharField(required=False, trim_whitespace=False)
    change_note = StrictCharField(required=False, allow_blank=True)
    field_mapping = serializers.DictField(child=StrictCharField(), required=False)

    class Meta:
        resource_name = "rulesetVersion"


class RulesetVersionTransitionInputSerializer(serializers.Serializer):
    note = StrictCharField(required=False, allow_blank=True, default="", max_length=5000)
    effective_from = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="Approval only: when the version takes effect."
    )

    class Meta:
        resource_name = "rulesetVersion"


class RulesetTestCaseInputSerializer(serializers.Serializer):
    name = StrictCharField(max_length=200)
    inputs = serializers.DictField(required=False, default=dict)
    expected_outputs = serializers.DictField()

    class Meta:
        resource_name = "rulesetTestCase"


class RulesetTestCaseUpdateSerializer(serializers.Serializer):
    name = StrictCharField(max_length=200, required=False)
    inputs = serializers.DictField(required=False)
    expected_outputs = serializers.DictField(required=False)

    class Meta:
        resource_name = "rulesetTestCase"


class RulesetTestCaseImportSerializer(serializers.Serializer):
    csv = StrictCharField(
        trim_whitespace=False,
        help_text="The CSV text: a name column, then inputs and "
        "expected outputs named as in the DMN (or input:NAME / expected:NAME).",
    )
    version_id = serializers.UUIDField(
        required=False,
        allow_null=True,
        default=None,
        help_text="The version whose DMN types the columns (default: the latest).",
    )

    class Meta:
        resource_name = "rulesetTestCase"
