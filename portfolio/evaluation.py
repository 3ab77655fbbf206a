"""Column-wise evaluation of a decision flow's knock-out and score steps over many loans.

The one place that knows how a flow is turned into a batch plan: the flow's steps are resolved
once, at job start, with decisioning.flows.resolve_step (so a job pins exact model versions), and
each chunk evaluates the pinned versions with the engines' `evaluate_batch`.
"""

import math
from dataclasses import dataclass

from decisioning.evaluation import model_fields
from decisioning.flows import resolve_step
from decisioning.models import StepKind
from modelregistry import engines
from modelregistry.models import PredictiveModel

MONITORED_KINDS = (StepKind.KNOCKOUT, StepKind.SCORE)


def plan_pin(*, flow, at) -> list[dict]:
    """The flow's knock-out and score steps resolved at `at`: what a job stores and runs."""
    steps = flow.steps.select_related("model", "ruleset", "ruleset_version__published_model").order_by("position")
    pinned = []
    for step in steps:
        if step.kind not in MONITORED_KINDS:
            continue
        resolved = resolve_step(step, at=at)
        pinned.append(
            {
                "position": step.position,
                "kind": step.kind,
                "result_field": step.result_field,
                "model_id": str(resolved.model.pk),
                "model": str(resolved.model),
                "ruleset_version_id": str(resolved.ruleset_version.pk) if resolved.ruleset_version else None,
            }
        )
    return pinned


@dataclass
class BatchStep:
    kind: str
    result_field: str
    loaded: object
    arguments: dict  # artifact name -> dictionary name
    results: dict  # artifact name -> dictionary name


@dataclass
class BatchPlan:
    steps: list
    score_field: str
    probability_of_default_field: str
    score_offset: float | None
    score_factor: float | None

    @property
    def argument_names(self):
        return sorted({name for step in self.steps for name in step.arguments.values()})


def plan_load(*, flow, pinned) -> BatchPlan:
    """Compile (or fetch from the engines' cache) the pinned model versions."""
    models = {str(m.pk): m for m in PredictiveModel.objects.filter(pk__in=[p["model_id"] for p in pinned])}
    steps = []
    for entry in pinned:
        model = models[entry["model_id"]]
        arguments, results = model_fields(model)
        steps.append(
            BatchStep(
                kind=entry["kind"],
                result_field=entry["result_field"],
                loaded=engines.load_for(model),
                arguments={f.name: f.supported_field.name for f in arguments if f.supported_field_id},
                results={f.name: f.supported_field.name for f in results if f.supported_field_id},
            )
        )
    return BatchPlan(
        steps=steps,
        score_field=flow.score_field,
        probability_of_default_field=flow.probability_of_default_field,
        score_offset=flow.score_offset,
        score_factor=flow.score_factor,
    )


def _codes(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    values = value if isinstance(value, (list, tuple)) else [value]
    return [str(item) for item in values if item not in (None, "")]


def _number(value):
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def evaluate_batch(plan: BatchPlan, records: list[dict]) -> list[dict]:
    """Per record: {"score", "probability_of_default", "knockout_reasons": [...]} (or {"error"}).

    Every step runs on every record (a monitoring job wants the score of a loan that a knock-out
    would now decline); a step that fails for the batch is retried record by record so one bad
    loan does not fail its chunk.
    """
    import pandas  # not at import: start-up paths (manage.py check, web workers) stay light

    available = pandas.DataFrame.from_records(records) if records else pandas.DataFrame()
    errors = [None] * len(records)
    knockouts = [[] for _ in records]
    for step in plan.steps:
        frame = pandas.DataFrame(
            {artifact: available[name] if name in available else None for artifact, name in step.arguments.items()},
            index=available.index,
        )
        frame = frame.astype(object).where(frame.notna(), None)
        try:
            output = step.loaded.evaluate_batch(frame)
        except Exception:  # noqa: BLE001 — fall back to one record at a time, naming the bad ones
            rows = []
            for position, record in enumerate(frame.to_dict("records")):
                try:
                    rows.append(step.loaded.evaluate(record))
                except Exception as error:  # noqa: BLE001
                    errors[position] = errors[position] or f"step {step.kind}: {type(error).__name__}: {error}"[:500]
                    rows.append({})
            output = pandas.DataFrame.from_records(rows, index=available.index)
        for artifact, name in step.results.items():
            if artifact in output:
                available[name] = output[artifact].values
        if step.kind == StepKind.KNOCKOUT and step.result_field in available:
            for position, value in enumerate(available[step.result_field].tolist()):
                knockouts[position] = _codes(value)
    scores = available[plan.score_field].tolist() if plan.score_field in available else [None] * len(records)
    if plan.probability_of_default_field and plan.probability_of_default_field in available:
        probabilities = available[plan.probability_of_default_field].tolist()
    else:
        probabilities = [None] * len(records)
    out = []
    for position in range(len(records)):
        score, probability = _number(scores[position]), _number(probabilities[position])
        if probability is None and score is not None and plan.score_offset is not None and plan.score_factor:
            probability = 1 / (1 + math.exp((score - plan.score_offset) / plan.score_factor))
        error = errors[position]
        if error is None and score is None and probability is None:
            error = "the flow gave neither a score nor a probability of default"
        out.append(
            {
                "score": score,
                "probability_of_default": probability,
                "knockout_reasons": knockouts[position],
                "error": error,
            }
        )
    return out
