"""Scoring uploaded rows with a registered model or a decision flow, through the engines' batch paths.

Cells are converted by the data dictionary's types; a row with a bad cell gets an error naming
the field and the others are scored together in one `evaluate_batch` call (a flow: one call per
step, decisioning/flows_batch.py). When the engine fails for the batch, the rows are tried one at
a time so the error lands on the row that caused it. Nothing here writes to the database.
"""

import math
from dataclasses import dataclass

import numpy

from core.exceptions import ArgumentError, EngineError
from decisioning import flows_batch
from decisioning.evaluation import check_ready, model_fields
from modelregistry import engines
from modelregistry.arguments import convert_text, plain_value
from modelregistry.models import DataDictionaryField

from .uploads import row_shape_error

OUTCOME_COLUMN = "outcome"
CUTOFF_COLUMN = "cutoff"
MAX_ERROR_CHARS = 500


@dataclass
class ModelTarget:
    model: object
    loaded: object
    arguments: list  # [(artifact name, DataDictionaryField)]
    results: list  # [(artifact name, result column)]

    @property
    def fields(self):
        return [field for _, field in self.arguments]

    @property
    def required(self):
        return [field.name for field in self.fields]

    @property
    def result_columns(self):
        return [column for _, column in self.results]

    def score(self, applications):
        return _score_model(self, applications)


@dataclass
class FlowTarget:
    flow: object
    steps: list  # flows_batch.BatchStep
    arguments: list  # [DataDictionaryField] the application must carry (not produced by an earlier step)

    @property
    def fields(self):
        return self.arguments

    @property
    def required(self):
        return [field.name for field in self.fields]

    @property
    def result_columns(self):
        columns = [OUTCOME_COLUMN, self.flow.score_field]
        if self.flow.probability_of_default_field:
            columns.append(self.flow.probability_of_default_field)
        return columns + [CUTOFF_COLUMN]

    def score(self, applications):
        return _score_flow(self, applications)


def model_target(model) -> ModelTarget:
    """The compiled model and its mapping; ArgumentError on `modelId` when it cannot be evaluated."""
    argument_fields, result_fields = model_fields(model)
    check_ready(model, argument_fields)
    try:
        loaded = engines.load_for(model)
    except ValueError as error:
        raise ArgumentError("modelId", f"{model} cannot be loaded: {error}") from None
    return ModelTarget(
        model=model,
        loaded=loaded,
        arguments=[(field.name, field.supported_field) for field in argument_fields],
        results=[
            (field.name, field.supported_field.name if field.supported_field_id else field.name)
            for field in result_fields
        ],
    )


def flow_target(flow, *, at) -> FlowTarget:
    """The flow version's steps resolved at `at` (the job's submission: every chunk runs the same versions)."""
    try:
        steps = flows_batch.batch_steps(flow, at=at)
    except (EngineError, ValueError) as error:  # a step with nothing to run; an artifact that does not load
        raise ArgumentError("flowId", f"{flow} cannot be run: {error}") from None
    required, produced = [], set()
    for step in steps:
        required += [name for _, name in step.arguments if name not in produced and name not in required]
        produced.update(name for _, name in step.results)
    dictionary = {field.name: field for field in DataDictionaryField.objects.filter(name__in=required)}
    return FlowTarget(flow=flow, steps=steps, arguments=[dictionary[name] for name in required if name in dictionary])


def missing_columns(target, header) -> list:
    return [name for name in target.required if name not in header]


def score_rows(target, header, rows) -> list:
    """One list per row: the target's result values, then the row's error ("" when none)."""
    missing = missing_columns(target, header)
    if missing:  # checked at submission; a model's mapping changed since then
        raise ArgumentError("file", f"The file has no column {', '.join(missing)}, which is read now.")
    positions = {name: index for index, name in enumerate(header)}
    errors = [row_shape_error(row, header) for row in rows]
    fields = [(field, positions[field.name]) for field in target.fields]
    applications = {}  # row index -> {dictionary name: value}
    for index, row in enumerate(rows):
        if errors[index]:
            continue
        application, problems = {}, []
        for field, position in fields:
            try:
                application[field.name] = convert_text(field, row[position])
            except ValueError as problem:
                problems.append(f"{field.name}: {problem}")
        if problems:
            errors[index] = "; ".join(problems)
        else:
            applications[index] = application
    width = len(target.result_columns)
    values = [[None] * width for _ in rows]
    if applications:
        for index, (result, error) in target.score(applications).items():
            values[index] = result
            errors[index] = error
    return [value + [(error or "")[:MAX_ERROR_CHARS]] for value, error in zip(values, errors)]


def _column(values):
    """A frame column: numbers as float64 (None → NaN), anything else as objects keeping None."""
    present = [value for value in values if value is not None]
    if present and all(isinstance(value, (int, float)) and not isinstance(value, bool) for value in present):
        return numpy.array([numpy.nan if value is None else value for value in values], dtype=numpy.float64)
    array = numpy.empty(len(values), dtype=object)
    array[:] = values
    return array


def _failure(error):
    return f"{type(error).__name__}: {error}"


def _score_model(target, applications):
    """{row index: (result values, error)} for the applications, by the model's evaluate_batch."""
    import pandas  # on first use: pandas stays off start-up paths

    indexes = list(applications)
    records = [{artifact: applications[index][field.name] for artifact, field in target.arguments} for index in indexes]
    out = {}
    try:
        frame = pandas.DataFrame(
            {artifact: _column([record[artifact] for record in records]) for artifact, _ in target.arguments},
            index=indexes,
        )
        if not target.arguments:
            frame = pandas.DataFrame(index=indexes)
        output = target.loaded.evaluate_batch(frame)
        columns = {
            artifact: output[artifact].tolist() if artifact in output else None for artifact, _ in target.results
        }
        for position, index in enumerate(indexes):
            out[index] = (
                [
                    plain_value(columns[artifact][position]) if columns[artifact] else None
                    for artifact, _ in target.results
                ],
                "",
            )
    except Exception:  # noqa: BLE001 — the batch failed: find the rows that fail, one at a time
        for index, record in zip(indexes, records):
            try:
                output = target.loaded.evaluate(record)
                out[index] = ([plain_value(output.get(artifact)) for artifact, _ in target.results], "")
            except Exception as error:  # noqa: BLE001 — an engine fault is the row's error, never a trace
                out[index] = ([None] * len(target.results), f"{target.model}: {_failure(error)}")
    return out


def _score_flow(target, applications):
    indexes = list(applications)
    try:
        result = flows_batch.flow_run_batch(
            flow=target.flow, steps=target.steps, applications=[applications[index] for index in indexes]
        )
        return {index: _flow_row(target, result, position) for position, index in enumerate(indexes)}
    except Exception:  # noqa: BLE001 — a step failed for the batch: run the rows one at a time
        out = {}
        for index in indexes:
            try:
                result = flows_batch.flow_run_batch(
                    flow=target.flow, steps=target.steps, applications=[applications[index]]
                )
                out[index] = _flow_row(target, result, 0)
            except Exception as error:  # noqa: BLE001
                out[index] = ([None] * len(target.result_columns), f"{target.flow}: {_failure(error)}")
        return out


def _flow_row(target, result, position):
    outcome = result.outcomes[position]
    score, probability = plain_value(result.scores[position]), plain_value(result.probabilities[position])
    if isinstance(probability, float) and not math.isfinite(probability):
        probability = None
    values = [outcome, score]
    if target.flow.probability_of_default_field:
        values.append(probability)
    values.append(result.cutoffs[position])
    error = ""
    if outcome == flows_batch.ERROR:
        values[0] = None
        error = f"{target.flow} gave no outcome (no score, or no cut-off band for it)"
    return values, error
