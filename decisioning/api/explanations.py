"""The `explanation` attribute of insights and decision steps, and its OpenAPI schema."""

from drf_spectacular.utils import extend_schema_field
from rest_framework_json_api import serializers

EXPLANATION_SCHEMA = {
    "type": "object",
    "nullable": True,
    "description": (
        "Why the model scored as it did; null when the model has no explanation (DMN rules, a tree "
        "ensemble registered without a development sample, a model outside what is explained). "
        "`baseValue` plus the sum of the contributions' `value` equals `output`."
    ),
    "properties": {
        "method": {
            "type": "string",
            "enum": ["scorecardPoints", "treeShap", "linear"],
            "description": "scorecardPoints: each characteristic's points against its baseline; treeShap: "
            "TreeSHAP (path-dependent) on the registered PMML's trees; linear: coefficient × value.",
        },
        "scale": {
            "type": "string",
            "enum": ["points", "logOdds", "probability", "raw"],
            "description": "What `output` is: scorecard points, the log-odds or the probability of `category`, "
            "or the model's raw output.",
        },
        "category": {"nullable": True, "description": "The class whose log-odds or probability is explained."},
        "baseValue": {"type": "number", "description": "The output before any field is known."},
        "output": {"type": "number", "description": "baseValue + the sum of the contributions."},
        "contributions": {
            "type": "array",
            "description": "Largest absolute contribution first.",
            "items": {
                "type": "object",
                "properties": {
                    "name": {"type": "string", "description": "A dictionary name, or a scorecard characteristic."},
                    "fields": {"type": "array", "items": {"type": "string"}, "description": "Dictionary names read."},
                    "value": {"type": "number"},
                    "points": {"type": "number", "description": "Scorecards: the points scored."},
                    "baseline": {"type": "number", "description": "Scorecards: the characteristic's baseline."},
                    "reasonCode": {"type": "string", "nullable": True, "description": "Scorecards."},
                },
                "required": ["name", "fields", "value"],
            },
        },
    },
}


@extend_schema_field(EXPLANATION_SCHEMA)
class ExplanationField(serializers.JSONField):
    pass


STEPS_SCHEMA = {
    "type": "array",
    "description": "The flow's steps in order, each with the exact model version it ran.",
    "items": {
        "type": "object",
        "properties": {
            "kind": {"type": "string", "enum": ["knockout", "score", "cutoff", "review"]},
            "modelId": {"type": "string", "format": "uuid"},
            "model": {"type": "string"},
            "version": {"type": "integer"},
            "engine": {"type": "string"},
            "outputs": {"type": "object", "nullable": True, "description": "Results by dictionary name."},
            "explanation": EXPLANATION_SCHEMA,
            "durationUs": {"type": "integer"},
            "insightId": {"type": "string", "format": "uuid"},
            "rulesetVersion": {"type": "object", "nullable": True},
        },
    },
}
