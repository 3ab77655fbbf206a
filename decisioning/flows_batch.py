"""A decision flow over many applications at once, column by column through the engines' batch path.

The same semantics as `flows.flow_run`, one step at a time over every application still in play:
a knock-out removes an application from the later steps; the score, probability of default, the
cut-off (table or bands) and review routing then decide APPROVED, DECLINED or REFERRED. Each step
runs once through `evaluate_batch(frame)` (modelregistry/engines.py), never one run per row.
Reasons for adverse-action notices are not computed: a backtest compares outcomes. Nothing here
writes to the database.
"""

import math
from dataclasses import dataclass, field

import numpy

from modelregistry import engines
from modelregistry.arguments import plain_value
from rulesets import selectors as ruleset_selectors

from . import flows
from .models import Outcome, StepKind

ERROR = "ERROR"  # an application this flow could not decide (a missing field, a failing step)


@dataclass(frozen=True)
class BatchStep:
    """One step as the batch path runs it: the compiled engine and its dictionary mapping."""

    position: int
    kind: str
    label: str
    result_field: str
    loaded: object
    arguments: tuple  # ((artifact name, dictionary name), ...)
    results: tuple


@dataclass
class BatchResult:
    outcomes: list
    scores: list
    probabilities: list
    cutoffs: list
    rule_hits: dict = field(default_factory=dict)  # step label -> {code or outcome: count}


def batch_steps(flow, *, at, ruleset_version=None) -> list[BatchStep]:
    """`flow`'s steps resolved at `at`; with `ruleset_version`, steps on its ruleset run that version
    instead (a draft's rules tried before review), mapped as it would be on publication."""
    steps = []
    for resolved in flows.flow_plan(flow, at=at):
        step = resolved.step
        if ruleset_version is not None and step.ruleset_id == ruleset_version.ruleset_id:
            loaded = ruleset_selectors.ruleset_version_loaded(ruleset_version)
            rows = ruleset_selectors.ruleset_version_field_mapping(version=ruleset_version)
            arguments = tuple(
                (r["name"], r["supportedFieldName"])
                for r in rows
                if r["fieldType"] == "argument" and r["supportedFieldName"]
            )
            results = tuple(
                (r["name"], r["supportedFieldName"] or r["name"]) for r in rows if r["fieldType"] == "result"
            )
            label = f"{ruleset_version.ruleset.name} v{ruleset_version.number}"
        else:
            loaded = engines.load_for(resolved.model)
            arguments = tuple((f.name, f.supported_field.name) for f in resolved.arguments if f.supported_field_id)
            results = resolved.result_keys
            label = f"{resolved.model.name} v{resolved.model.version}"
        steps.append(
            BatchStep(
                position=step.position,
                kind=step.kind,
                label=f"{step.position + 1}. {step.kind}: {label}",
                result_field=step.result_field,
                loaded=loaded,
                arguments=arguments,
                results=results,
            )
        )
    return steps


def _codes(value):
    return flows._codes(value)


def _column(values):
    """A list as a frame column: numbers as float64 (None → NaN), anything else as objects."""
    present = [value for value in values if value is not None]
    if present and all(isinstance(value, (int, float)) and not isinstance(value, bool) for value in present):
        return numpy.array([numpy.nan if value is None else value for value in values], dtype=numpy.float64)
    array = numpy.empty(len(values), dtype=object)
    array[:] = values
    return array


def flow_run_batch(*, flow, steps, applications, progress=None) -> BatchResult:
    """Decide every application in `applications` (a list of dictionary-named dicts) with `steps`."""
    import pandas  # on first use, as modelregistry/engines.py does: pandas stays off start-up paths

    count = len(applications)
    names = {name for application in applications for name in application}
    available = {name: [application.get(name) for application in applications] for name in names}
    outcomes = [None] * count
    alive = numpy.ones(count, dtype=bool)
    knockout = [[] for _ in range(count)]
    referral = [[] for _ in range(count)]
    cutoff = [None] * count
    rule_hits = {}
    # As flow_run validates up front: every field a step reads that no earlier step produces.
    required, will_produce = [], set()
    for step in steps:
        required += [name for _, name in step.arguments if name not in will_produce and name not in required]
        will_produce.update(name for _, name in step.results)
    for row, application in enumerate(applications):
        if any(name not in application for name in required):
            outcomes[row], alive[row] = ERROR, False
    for step in steps:
        rows = numpy.flatnonzero(alive)
        hits = rule_hits.setdefault(step.label, {})
        if len(rows):
            frame = pandas.DataFrame(
                {
                    artifact: _column([available[dictionary][i] for i in rows])
                    for artifact, dictionary in step.arguments
                },
                index=rows,
            )
            if not step.arguments:
                frame = pandas.DataFrame(index=rows)
            output = step.loaded.evaluate_batch(frame)
            for artifact, dictionary in step.results:
                values = output[artifact].tolist() if artifact in output else [None] * len(rows)
                column = available.setdefault(dictionary, [None] * count)
                for row, value in zip(rows, values):
                    column[row] = plain_value(value)
        result_column = available.get(step.result_field) if step.result_field else None
        for row in rows:
            if step.kind == StepKind.KNOCKOUT:
                codes = _codes(result_column[row]) if result_column else []
                knockout[row] += codes
                for code in codes:
                    hits[code] = hits.get(code, 0) + 1
                if knockout[row]:
                    alive[row] = False
            elif step.kind == StepKind.CUTOFF:
                cutoff[row] = result_column[row] if result_column else None
                hits[str(cutoff[row])] = hits.get(str(cutoff[row]), 0) + 1
            elif step.kind == StepKind.REVIEW:
                codes = _codes(result_column[row]) if result_column else []
                referral[row] += codes
                for code in dict.fromkeys(codes):
                    hits[code] = hits.get(code, 0) + 1
        if progress:
            progress(step)
    scores, probabilities = [None] * count, [None] * count
    score_column = available.get(flow.score_field, [None] * count)
    probability_column = available.get(flow.probability_of_default_field) if flow.probability_of_default_field else None
    for row in range(count):
        if outcomes[row] == ERROR:
            continue
        knocked_out = bool(knockout[row])
        score = score_column[row]
        probability = probability_column[row] if probability_column else None
        if probability is None and score is not None and flow.score_offset is not None and flow.score_factor:
            probability = 1 / (1 + math.exp((float(score) - flow.score_offset) / flow.score_factor))
        band = cutoff[row]
        if band is None and not knocked_out:
            band = flows._band(flow, score)
        if knocked_out:
            outcome = Outcome.DECLINED
        elif referral[row] or band == "REFER":
            outcome = Outcome.REFERRED
        elif band == "DECLINE":
            outcome = Outcome.DECLINED
        elif band == "APPROVE":
            outcome = Outcome.APPROVED
        else:
            outcome = ERROR
        outcomes[row], scores[row], probabilities[row], cutoff[row] = str(outcome), score, probability, band
    return BatchResult(
        outcomes=outcomes, scores=scores, probabilities=probabilities, cutoffs=cutoff, rule_hits=rule_hits
    )
