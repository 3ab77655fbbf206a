from rest_framework import serializers

from core.api.serializers import StrictBooleanField, StrictCharField
from decisioning.models import Backtest, DecisionFlow, Flow
from decisioning.services.backtests import DEFAULT_APPLICATIONS, MAX_APPLICATIONS


class FlowInputSerializer(serializers.Serializer):
    name = StrictCharField(max_length=200)
    is_default = StrictBooleanField(required=False, default=False)

    class Meta:
        resource_name = "decisionFlow"


class FlowOutputSerializer(serializers.ModelSerializer):
    published_version = serializers.SerializerMethodField()
    challenger_version = serializers.SerializerMethodField()

    class Meta:
        model = Flow
        resource_name = "decisionFlow"
        fields = ("id", "name", "is_default", "published_version", "challenger_version", "challenger_share", "created")

    def get_published_version(self, flow) -> int | None:
        from decisioning.selectors import flow_version_effective

        version = flow_version_effective(flow=flow)
        return version.version if version else None

    def get_challenger_version(self, flow) -> int | None:
        return flow.challenger.version if flow.challenger_id else None


class StepSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["knockout", "score", "cutoff", "review"])
    binding = serializers.ChoiceField(choices=["follow", "pin"], required=False)
    ruleset = serializers.UUIDField(required=False, help_text="A ruleset id: the step follows its effective version.")
    # Nested keys reach the serializer as sent (the JSON:API parser renames attributes only).
    rulesetVersion = serializers.UUIDField(required=False, help_text="A ruleset version id: the step pins it.")
    model = serializers.UUIDField(required=False, help_text="A registered model id (pinned, or followed with binding).")
    resultField = StrictCharField(required=False, allow_blank=True, max_length=64)


class BandSerializer(serializers.Serializer):
    minimum = serializers.FloatField(allow_null=True)
    outcome = serializers.ChoiceField(choices=["APPROVE", "REFER", "DECLINE"])


class FlowVersionInputSerializer(serializers.Serializer):
    based_on_id = serializers.UUIDField(required=False, allow_null=True)
    change_note = StrictCharField(required=False, allow_blank=True, max_length=4000)
    score_field = StrictCharField(required=False, max_length=64)
    probability_of_default_field = StrictCharField(required=False, allow_blank=True, max_length=64)
    reason_code_fields = serializers.ListField(child=StrictCharField(max_length=64), required=False, max_length=10)
    amount_field = StrictCharField(required=False, max_length=64)
    score_offset = serializers.FloatField(required=False, allow_null=True)
    score_factor = serializers.FloatField(required=False, allow_null=True)
    cutoff_bands = BandSerializer(many=True, required=False, max_length=20)
    steps = StepSerializer(many=True, required=False, max_length=20)
    submit = StrictBooleanField(required=False, default=False)

    class Meta:
        resource_name = "decisionFlowVersion"

    def validate_steps(self, steps):
        return [dict(step) for step in steps]

    def validate_cutoff_bands(self, bands):
        return [dict(band) for band in bands]


class FlowVersionTransitionInputSerializer(serializers.Serializer):
    note = StrictCharField(required=False, allow_blank=True, default="", max_length=5000)
    effective_from = serializers.DateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Approval only: when the version takes effect (default: now).",
    )

    class Meta:
        resource_name = "decisionFlowVersion"


class FlowVersionOutputSerializer(serializers.ModelSerializer):
    status = StrictCharField()
    steps = serializers.SerializerMethodField()
    problems = serializers.SerializerMethodField()
    author = serializers.SerializerMethodField()
    approver = serializers.SerializerMethodField()

    class Meta:
        model = DecisionFlow
        resource_name = "decisionFlowVersion"
        fields = (
            "id",
            "version",
            "status",
            "effective_from",
            "change_note",
            "score_field",
            "probability_of_default_field",
            "reason_code_fields",
            "amount_field",
            "score_offset",
            "score_factor",
            "cutoff_bands",
            "steps",
            "problems",
            "author",
            "approver",
            "created",
        )

    def get_steps(self, version) -> list[dict]:
        return [
            {
                "position": step.position,
                "kind": step.kind,
                "binding": step.binding,
                "ruleset": str(step.ruleset_id) if step.ruleset_id else None,
                "rulesetVersion": str(step.ruleset_version_id) if step.ruleset_version_id else None,
                "model": str(step.model_id) if step.model_id else None,
                "resultField": step.result_field,
            }
            for step in version.steps.all()
        ]

    def get_problems(self, version) -> list[dict]:
        from decisioning.services import flow_version_problems

        if version.status != "draft":
            return []
        return [
            {"pointer": "/" + "/".join(problem.field), "detail": problem.message, "code": problem.code}
            for problem in flow_version_problems(version=version)
        ]

    def get_author(self, version) -> str | None:
        return version.created_by.username if version.created_by_id else None

    def get_approver(self, version) -> str | None:
        return version.approved_by.username if version.approved_by_id else None


class BacktestInputSerializer(serializers.Serializer):
    candidate_id = serializers.UUIDField(required=False, allow_null=True)
    ruleset_version_id = serializers.UUIDField(required=False, allow_null=True)
    limit = serializers.IntegerField(
        required=False, default=DEFAULT_APPLICATIONS, min_value=1, max_value=MAX_APPLICATIONS
    )

    class Meta:
        resource_name = "backtest"


class BacktestOutputSerializer(serializers.ModelSerializer):
    progress = serializers.IntegerField(read_only=True)
    report = serializers.SerializerMethodField()
    candidate_id = serializers.UUIDField(read_only=True)
    baseline_id = serializers.UUIDField(read_only=True, allow_null=True)
    flow_id = serializers.UUIDField(read_only=True)

    class Meta:
        model = Backtest
        resource_name = "backtest"
        fields = (
            "id",
            "flow_id",
            "candidate_id",
            "baseline_id",
            "limit",
            "status",
            "progress",
            "processed",
            "total",
            "report",
            "error",
            "duration_ms",
            "created",
            "finished",
        )

    def get_report(self, backtest) -> dict | None:
        """The report; examples name applications, so only those who read every decision see them."""
        from decisioning.selectors import RECORD_READERS_ALL

        if not backtest.report:
            return None
        request = self.context.get("request")
        hidden = {"swapIds"}
        if request is None or not request.user.has_any_role(*RECORD_READERS_ALL):
            hidden.add("swapExamples")
        return {key: value for key, value in backtest.report.items() if key not in hidden}
