"""Evaluate one registered model on dictionary-named arguments, timed, never raising for engine faults."""

import time
from dataclasses import dataclass, field

from core.exceptions import ArgumentError, ArgumentErrors
from modelregistry import engines
from modelregistry.arguments import arguments_to_record, field_mapping, result_keys, results_from_keys
from modelregistry.models import FieldType, ModelStatus, PredictiveModel


@dataclass
class Evaluation:
    model: object
    arguments: dict
    field_mapping: dict
    engine_name: str = ""
    engine_version: str = ""
    results: dict | None = None
    error: str | None = None
    error_location: str | None = None
    duration_us: int = 0
    outputs: dict = field(default_factory=dict)
    explanation: dict | None = None

    @property
    def ok(self):
        return self.error is None


def model_fields(model):
    fields = list(model.fields.select_related("supported_field"))
    return (
        [f for f in fields if f.field_type == FieldType.ARGUMENT],
        [f for f in fields if f.field_type == FieldType.RESULT],
    )


def check_ready(model, argument_fields, *, path=("modelId",)):
    if model.status != ModelStatus.ACTIVE:
        raise ArgumentError(path, f"{model} is {model.status}; it cannot be evaluated.", code="retired")
    unmapped = [field.name for field in argument_fields if not field.supported_field_id]
    if unmapped:
        raise ArgumentError(
            path,
            f"{model} cannot be evaluated until every argument is mapped to the data dictionary; "
            f"unmapped: {', '.join(unmapped)}.",
            code="not_mapped",
        )


def retired_imports(model) -> list[str]:
    """ "name vN" of each model `model` imports (its pinned DMN imports) that is no longer active.

    Retiring a model withdraws it from decisions at once, including where other models import it
    (the safe side: withdrawn logic is never used); the importing rules are published again to
    import the version in force. No query for a model that imports nothing.
    """
    if not model.imports:
        return []
    active = {
        str(pk)
        for pk in PredictiveModel.objects.filter(
            pk__in=[pin["model"] for pin in model.imports], status=ModelStatus.ACTIVE
        ).values_list("pk", flat=True)
    }
    return [f"{pin['name']} v{pin['version']}" for pin in model.imports if pin["model"] not in active]


def prepare(model, arguments, *, path=("arguments",), model_path=("modelId",)):
    """Validate `arguments` for `model`; raise ArgumentErrors listing every problem. Returns (the
    record in the artifact's names, the result keys, the field mapping), as `evaluate` takes them."""
    argument_fields, result_fields = model_fields(model)
    check_ready(model, argument_fields, path=model_path)
    retired = retired_imports(model)
    if retired:
        raise ArgumentError(
            model_path,
            f"{model} imports {', '.join(retired)}, which is retired; it cannot be evaluated until its rules are "
            "published again.",
            code="retired",
        )
    record, errors = arguments_to_record(argument_fields, arguments, path=path)
    if errors:
        raise ArgumentErrors(errors)
    return record, result_keys(result_fields), field_mapping(argument_fields + result_fields)


def evaluate(model, arguments, *, record, keys, mapping, explain=True) -> Evaluation:
    """`model` on `record`; with `explain`, also why it scored so (the explanation, dictionary-named).

    `keys` (modelregistry.arguments.result_keys) names the results; `mapping` is the field mapping
    the evaluation records."""
    evaluation = Evaluation(model=model, arguments=arguments, field_mapping=mapping)
    started = time.perf_counter_ns()
    try:
        loaded = engines.load_for(model)
        evaluation.engine_name = loaded.engine_name
        evaluation.engine_version = str(loaded.engine_version)
        if explain:
            evaluation.outputs, explanation = engines.evaluate_explained(model, loaded, record)
        else:
            evaluation.outputs, explanation = loaded.evaluate(record), None
        evaluation.results = results_from_keys(keys, evaluation.outputs)
        evaluation.explanation = explanation_in_dictionary_names(explanation, mapping)
    except Exception as error:  # noqa: BLE001 — any engine fault is recorded, never shown as a trace
        evaluation.error = f"{type(error).__name__}: {error}"
        evaluation.error_location = getattr(error, "location", None)
        evaluation.engine_name = evaluation.engine_name or model.engine
    evaluation.duration_us = (time.perf_counter_ns() - started) // 1000
    return evaluation


def explanation_in_dictionary_names(explanation, mapping):
    """The engine's explanation with its data fields named as the dictionary names them (`mapping`:
    artifact name -> dictionary name); a contribution of one field takes that field's name."""
    if explanation is None:
        return None
    contributions = []
    for row in explanation["contributions"]:
        fields = [mapping.get(name, name) for name in row["fields"]]
        name = fields[0] if row["name"] in row["fields"] and len(fields) == 1 else row["name"]
        contributions.append({**row, "name": name, "fields": fields})
    return {**explanation, "contributions": contributions}
