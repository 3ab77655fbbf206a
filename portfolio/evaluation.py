"""Column-wise evaluation of a decision flow's knock-out and score steps over many loans.

The one place that knows how a flow is turned into a batch plan: the flow's steps are resolved
once, at job start, with decisioning.flows.resolve_step (so a job pins exact model versions), and
each chunk evaluates the pinned versions with the engines' `evaluate_batch`.
"""

import math
import operator
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


def _numbers(values):
    """float64 array of a result column, NaN where there is no number."""
    import numpy

    array = numpy.asarray(values)
    if array.dtype.kind in "fiub":
        return array.astype(numpy.float64)
    out = numpy.full(len(array), numpy.nan)
    for position, value in enumerate(array.tolist()):
        if value is not None:
            number = float(value)
            if not math.isnan(number):
                out[position] = number
    return out


def columns_of(records: list[dict], names) -> dict:
    """Each named attribute over `records` as one column, the form the engines' batch paths read:
    float64 with NaN for missing when every present value is a number (bool excluded), else an
    object array with None for missing."""
    import numpy

    names = list(names)
    if not names:
        return {}
    getter = operator.itemgetter(*names)
    try:  # one C call per record when every record has every name (as stored loans do)
        rows = list(map(getter, records))
    except KeyError:
        rows = [tuple(record.get(name) for name in names) for record in records]
    values_by_name = [rows] if len(names) == 1 else list(zip(*rows)) if rows else [()] * len(names)
    columns = {}
    for name, values in zip(names, values_by_name):
        kinds = set(map(type, values))
        kinds.discard(type(None))
        if kinds <= {int, float}:
            columns[name] = numpy.array(values, dtype=numpy.float64)  # None -> NaN
        else:
            column = numpy.empty(len(values), dtype=object)
            column[:] = values
            column[[value is not None and value != value for value in values]] = None  # NaN -> None
            columns[name] = column
    return columns


def _python_value(column, position):
    value = column[position]
    if isinstance(value, float) and math.isnan(value):
        return None
    item = getattr(value, "item", None)
    return item() if item is not None else value


@dataclass
class BatchOutcome:
    scores: object  # numpy float64 array, NaN where the flow gave none
    probabilities: object
    knockout_reasons: list  # per record: [code, ...]
    errors: list  # per record: None or what went wrong


def evaluate_batch(plan: BatchPlan, columns: dict, count: int) -> BatchOutcome:
    """Evaluate the plan's steps over `count` records given as `columns` (see `columns_of`).

    Every step runs on every record (a monitoring job wants the score of a loan that a knock-out
    would now decline); a step that fails for the batch is retried record by record so one bad
    loan does not fail its chunk.
    """
    import numpy  # numpy and pandas not at import: start-up paths (manage.py check, web workers) stay light
    import pandas

    available = dict(columns)
    errors = [None] * count
    knockouts = [[] for _ in range(count)]
    for step in plan.steps:
        frame = pandas.DataFrame(
            {
                artifact: available[name] if name in available else numpy.full(count, None, dtype=object)
                for artifact, name in step.arguments.items()
            },
            index=pandas.RangeIndex(count),
        )
        try:
            output = step.loaded.evaluate_batch(frame)
        except Exception:  # noqa: BLE001 — fall back to one record at a time, naming the bad ones
            rows, arrays = [], {artifact: frame[artifact].to_numpy() for artifact in frame.columns}
            for position in range(count):
                record = {artifact: _python_value(array, position) for artifact, array in arrays.items()}
                try:
                    rows.append(step.loaded.evaluate(record))
                except Exception as error:  # noqa: BLE001
                    errors[position] = errors[position] or f"step {step.kind}: {type(error).__name__}: {error}"[:500]
                    rows.append({})
            output = pandas.DataFrame.from_records(rows, index=frame.index)
        for artifact, name in step.results.items():
            if artifact in output:
                available[name] = output[artifact].to_numpy()
        if step.kind == StepKind.KNOCKOUT and step.result_field in available:
            knockouts = [_codes(value) for value in available[step.result_field].tolist()]
    missing = numpy.full(count, numpy.nan)
    scores = _numbers(available[plan.score_field]) if plan.score_field in available else missing
    field = plan.probability_of_default_field
    probabilities = _numbers(available[field]) if field and field in available else missing.copy()
    if plan.score_offset is not None and plan.score_factor:
        from_score = numpy.isnan(probabilities) & ~numpy.isnan(scores)
        with numpy.errstate(over="ignore"):
            probabilities[from_score] = 1 / (
                1 + numpy.exp((scores[from_score] - plan.score_offset) / plan.score_factor)
            )
    neither = numpy.isnan(scores) & numpy.isnan(probabilities)
    for position in numpy.flatnonzero(neither).tolist():
        if errors[position] is None:
            errors[position] = "the flow gave neither a score nor a probability of default"
    return BatchOutcome(scores=scores, probabilities=probabilities, knockout_reasons=knockouts, errors=errors)
