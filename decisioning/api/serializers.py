from django.core.exceptions import ObjectDoesNotExist
from drf_spectacular.utils import extend_schema_field
from rest_framework_json_api import serializers
from rest_framework_json_api.relations import ResourceRelatedField
from rest_framework_json_api.utils import get_resource_type_from_model

from core.api.serializers import ResultsAttributeMixin, StrictCharField
from decisioning.models import InsightTransaction
from modelregistry.models import PredictiveModel

from .explanations import STEPS_SCHEMA, ExplanationField


class InsightOutputSerializer(ResultsAttributeMixin, serializers.ModelSerializer):
    predictive_model = ResourceRelatedField(source="model", read_only=True, model=PredictiveModel)
    model_version = serializers.IntegerField(source="model.version", read_only=True)
    requested_by = serializers.CharField(source="requested_by.username", read_only=True, allow_null=True)
    arguments = serializers.JSONField(read_only=True)
    results = serializers.JSONField(read_only=True, allow_null=True)
    imported_artifacts = serializers.JSONField(
        read_only=True,
        help_text="DMN: the registered versions of the models it imports, as evaluated "
        "([{namespace, model, name, version, sha256}]); replay uses exactly these.",
    )
    explanation = ExplanationField(read_only=True, allow_null=True)
    unmapped_results = serializers.SerializerMethodField(
        help_text="Keys of `results` that are the model's own names, not dictionary names (not mapped yet)."
    )

    class Meta:
        model = InsightTransaction
        resource_name = "insight"
        fields = (
            "id",
            "created",
            "status",
            "arguments",
            "results",
            "unmapped_results",
            "explanation",
            "error",
            "model_version",
            "artifact_sha256",
            "imported_artifacts",
            "engine_name",
            "engine_version",
            "duration_us",
            "requested_by",
            "predictive_model",
        )

    def get_unmapped_results(self, insight) -> list[str]:
        unmapped = {
            field.name
            for field in insight.model.fields.all()
            if field.field_type == "result" and field.supported_field_id is None
        }
        return sorted(name for name in (insight.results or {}) if name in unmapped)


class InsightInputSerializer(serializers.Serializer):
    model_id = serializers.UUIDField()
    arguments = serializers.JSONField(help_text="Data-dictionary names to values; null is a missing value.")

    class Meta:
        resource_name = "insight"


from decisioning.models import Decision, DecisionFlow  # noqa: E402


def decision_flow_version(decision) -> dict:
    return {
        "id": str(decision.flow_id),
        "flowId": str(decision.flow.definition_id) if decision.flow.definition_id else None,
        "number": decision.flow.version,
        "name": decision.flow.name,
    }


def decision_reasons(decision) -> list[dict]:
    return [{"code": r["code"], "text": r["text"]} for r in decision.outputs.get("reasons", [])]


def decision_steps(decision) -> list[dict]:
    return [
        {
            "kind": step.step_kind,
            "modelId": str(step.model_id),
            "model": step.model.name,
            "version": step.model.version,
            "engine": step.engine_name,
            "outputs": step.results,
            "explanation": step.explanation,
            "durationUs": step.duration_us,
            "insightId": str(step.pk),
            "rulesetVersion": _ruleset_version_of(step.model),
            "importedModels": [
                {key: pin[key] for key in ("namespace", "model", "name", "version")}
                for pin in step.imported_artifacts or ()
            ],
        }
        for step in sorted(decision.steps.all(), key=lambda step: step.step_position)
    ]


def decision_review(decision) -> dict | None:
    case = getattr(decision, "review_case", None)
    if case is None:
        return None
    return {
        "id": str(case.pk),
        "status": case.status,
        "dueAt": case.due_at.isoformat(),
        "referralReasons": decision.outputs.get("referralReasons", []),
        "scoreBand": case.score_band,
        "decidedOutcome": case.decided_outcome or None,
        "history": [
            {
                "action": a.action,
                "by": a.actor.username,
                "at": a.created.isoformat(),
                "outcome": a.outcome or None,
                "reasonCodes": a.reason_codes,
            }
            for a in case.actions.all()
        ],
    }


class DecisionOutputSerializer(serializers.ModelSerializer):
    flow = ResourceRelatedField(read_only=True, model=DecisionFlow)
    reasons = serializers.SerializerMethodField()
    score = serializers.SerializerMethodField()
    probability_of_default = serializers.SerializerMethodField()
    steps = serializers.SerializerMethodField()
    review = serializers.SerializerMethodField()

    class Meta:
        model = Decision
        resource_name = "decision"
        fields = (
            "id",
            "external_id",
            "outcome",
            "final_outcome",
            "reasons",
            "score",
            "probability_of_default",
            "steps",
            "review",
            "created",
            "updated",
            "flow",
            "flow_version",
        )

    flow_version = serializers.SerializerMethodField()

    def get_flow_version(self, decision) -> dict:
        return decision_flow_version(decision)

    def get_reasons(self, decision) -> list[dict]:
        return decision_reasons(decision)

    def get_score(self, decision) -> float | None:
        return decision.outputs.get("score")

    def get_probability_of_default(self, decision) -> float | None:
        return decision.outputs.get("probabilityOfDefault")

    @extend_schema_field(STEPS_SCHEMA)
    def get_steps(self, decision) -> list[dict]:
        return decision_steps(decision)

    def get_review(self, decision) -> dict | None:
        return decision_review(decision)


_MOMENT = serializers.DateTimeField()  # DRF's rendering of a moment (ISO 8601, UTC as Z), as the serializer's
_FLOW_TYPE = get_resource_type_from_model(DecisionFlow)


def decision_document(decision) -> dict:
    """The JSON:API document that DecisionOutputSerializer and the JSON:API renderer make of one
    decision, built directly: the answer to a decision request, where building the serializer's
    fields and walking them in the renderer cost more than everything else the answer needs
    (tests/decisioning/test_decision_statements.py checks it equals a GET of the same decision)."""
    return {
        "data": {
            "type": DecisionOutputSerializer.Meta.resource_name,
            "id": str(decision.pk),
            "attributes": {
                "externalId": decision.external_id,
                "outcome": decision.outcome,
                "finalOutcome": decision.final_outcome,
                "reasons": decision_reasons(decision),
                "score": decision.outputs.get("score"),
                "probabilityOfDefault": decision.outputs.get("probabilityOfDefault"),
                "steps": decision_steps(decision),
                "review": decision_review(decision),
                "created": _MOMENT.to_representation(decision.created),
                "updated": _MOMENT.to_representation(decision.updated),
                "flowVersion": decision_flow_version(decision),
            },
            "relationships": {"flow": {"data": {"type": _FLOW_TYPE, "id": str(decision.flow_id)}}},
        }
    }


class DecisionInputSerializer(serializers.Serializer):
    flow_id = serializers.UUIDField(
        required=False,
        allow_null=True,
        default=None,
        help_text="A decision flow: its version published and effective now decides.",
    )
    flow_version = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        help_text="A published version number of flowId's flow instead.",
    )
    external_id = StrictCharField(required=False, allow_blank=True, default="", max_length=200)
    application = serializers.JSONField(help_text="Data-dictionary names to values.")

    class Meta:
        resource_name = "decision"


def _ruleset_version_of(model):
    """{id, number} of the ruleset version a DMN model was published from, else None."""
    try:
        version = model.ruleset_version
    except ObjectDoesNotExist:
        return None
    return {"id": str(version.pk), "number": version.number, "rulesetId": str(version.ruleset_id)}
