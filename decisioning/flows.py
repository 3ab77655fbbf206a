"""Running a decision flow: knock-outs → score → cut-off → review routing → outcome and reasons.

Pure orchestration over registered model versions; nothing here writes to the database.
"""

import math
from dataclasses import dataclass, field

from django.utils import timezone

from core.exceptions import ArgumentError, ArgumentErrors, EngineError
from modelregistry.arguments import CompiledArguments, convert_value, field_mapping, result_keys
from modelregistry.models import DataDictionaryField, ModelStatus, PredictiveModel
from rulesets import selectors as ruleset_selectors
from rulesets.models import RulesetVersionStatus

from . import evaluation as model_evaluation
from .models import Outcome, StepBinding, StepKind

MAX_ADVERSE_REASONS = 4  # what adverse-action notices carry
CUTOFF_OUTCOMES = ("APPROVE", "REFER", "DECLINE")


@dataclass
class FlowResult:
    outcome: str
    reasons: list  # [{"code", "text", "kind"}], ranked, unique, at most four
    referral_reasons: list
    score: object = None
    probability_of_default: object = None
    cutoff: str | None = None
    evaluations: list = field(default_factory=list)  # [(ResolvedStep, Evaluation)]

    def outputs(self):
        return {
            "score": self.score,
            "probabilityOfDefault": self.probability_of_default,
            "cutoff": self.cutoff,
            "scoreBand": self.cutoff or "",
            "reasons": self.reasons,
            "referralReasons": self.referral_reasons,
        }


@dataclass(frozen=True)
class ResolvedStep:
    """A flow step with the exact registered model version it runs for one decision."""

    step: object
    model: object  # modelregistry.PredictiveModel
    ruleset_version: object = None  # rulesets.RulesetVersion when the step runs a ruleset
    arguments: tuple = ()  # the model's argument fields (with their dictionary mapping)
    results: tuple = ()
    # Compiled from the fields above once, when the plan is built (a decision reuses them):
    inputs: CompiledArguments | None = None  # the mapped arguments, converted by dictionary type
    result_keys: tuple = ()  # ((artifact name, dictionary name or its own), ...)
    mapping: dict = field(default_factory=dict)  # {artifact name: dictionary name}, as step records keep it
    produces: tuple = ()  # the dictionary names its mapped results give later steps

    @property
    def kind(self):
        return self.step.kind

    @property
    def position(self):
        return self.step.position

    @property
    def result_field(self):
        return self.step.result_field


def resolve_step(step, *, at) -> ResolvedStep:
    """The registered model version `step` runs for a decision made at `at` — the one place this is decided.

    A ruleset step follows the version published with the latest `effective_from` not after `at`
    (or its pinned version, once published and effective); a model step follows the latest active
    version of the model's name (or its pinned version). Raises EngineError naming the step when
    nothing can run.
    """
    if step.ruleset_id:
        if step.binding == StepBinding.PIN:
            version = step.ruleset_version
            usable = (
                version.status == RulesetVersionStatus.PUBLISHED
                and version.effective_from is not None
                and version.effective_from <= at
            )
            if not usable:
                raise EngineError(
                    f"Step {step.position} ({step.kind}) is pinned to {version}, which is not published and "
                    f"effective at {at:%Y-%m-%d %H:%M:%S %Z}."
                )
        else:
            version = ruleset_selectors.ruleset_version_effective(ruleset=step.ruleset, at=at)
            if version is None:
                raise EngineError(
                    f"Step {step.position} ({step.kind}): the ruleset {step.ruleset.name!r} has no version "
                    f"published and effective at {at:%Y-%m-%d %H:%M:%S %Z}."
                )
        model = version.published_model
    elif step.binding == StepBinding.FOLLOW:
        version = None
        model = (
            PredictiveModel.objects.filter(
                partner_id=step.model.partner_id, name=step.model.name, status=ModelStatus.ACTIVE
            )
            .order_by("-version")
            .first()
        )
        if model is None:
            raise EngineError(
                f"Step {step.position} ({step.kind}): the model {step.model.name!r} has no active version."
            )
    else:
        version, model = None, step.model
    retired = model_evaluation.retired_imports(model)
    if retired:
        raise EngineError(
            f"Step {step.position} ({step.kind}): {model} imports {', '.join(retired)}, which is retired; "
            "publish its rules again to import the version in force."
        )
    arguments, results = model_evaluation.model_fields(model)
    return ResolvedStep(
        step=step,
        model=model,
        ruleset_version=version,
        arguments=tuple(arguments),
        results=tuple(results),
        inputs=CompiledArguments([f for f in arguments if f.supported_field_id]),
        result_keys=result_keys(results),
        mapping=field_mapping(arguments + results),
        produces=tuple(f.supported_field.name for f in results if f.supported_field_id),
    )


def flow_plan(flow, *, at) -> list[ResolvedStep]:
    """Every step of `flow` resolved for a decision made at `at`, with its fields read once."""
    steps = flow.steps.select_related("model", "ruleset", "ruleset_version__published_model").order_by("position")
    return [resolve_step(step, at=at) for step in steps]


def required_application_fields(plan):
    """Dictionary names the application must carry: every step's arguments not produced by an earlier step."""
    required, produced = [], set()
    for resolved in plan:
        for name, _, _ in resolved.inputs.inputs:
            if name not in produced and name not in required:
                required.append(name)
        produced.update(resolved.produces)
    return required


def validate_application(plan, application, *, path=("application",), dictionary=None):
    """Every problem in the application at once; returns the values converted to dictionary types.

    `dictionary`: {name: DataDictionaryField} covering at least the application's names (the plan
    cache's whole dictionary); read from the database when not given."""
    if not isinstance(application, dict):
        raise ArgumentErrors([ArgumentError(path, "must be an object of dictionary names to values")])
    if dictionary is None:
        dictionary = {f.name: f for f in DataDictionaryField.objects.filter(name__in=list(application))}
    errors, converted = [], {}
    for name, value in application.items():
        if name not in dictionary:
            errors.append(ArgumentError(path + (name,), f"{name!r} is not in the data dictionary", code="unknown"))
            continue
        try:
            converted[name] = convert_value(dictionary[name], value)
        except ValueError as problem:
            errors.append(ArgumentError(path + (name,), f"{name}: {problem}"))
    for name in required_application_fields(plan):
        if name not in application:
            errors.append(ArgumentError(path + (name,), f"{name!r} is required by this flow", code="required"))
    if errors:
        raise ArgumentErrors(errors)
    return converted


def _run_step(resolved, available, *, explain=True):
    model = resolved.model
    model_evaluation.check_ready(model, resolved.arguments, path=("flowId",))
    arguments = {name: available.get(name) for name, _, _ in resolved.inputs.inputs}
    record, errors = resolved.inputs.record(arguments, path=("application",))
    if errors:
        raise ArgumentErrors(errors)
    return model_evaluation.evaluate(
        model,
        arguments,
        record=record,
        keys=resolved.result_keys,
        mapping=dict(resolved.mapping),  # the step record's own copy
        explain=explain,
    )


def _codes(value):
    if value is None:
        return []
    values = value if isinstance(value, list) else [value]
    return [str(item) for item in values if item not in (None, "")]


def rank_reasons(knockout_codes, model_codes, catalogue):
    """Knock-out codes first, then model codes in rank order; unique; at most four."""
    ranked, seen = [], set()
    for kind, codes in (("knockout", knockout_codes), ("model", model_codes)):
        for code in codes:
            if code in seen:
                continue
            seen.add(code)
            entry = catalogue.get(code)
            ranked.append({"code": code, "text": entry.notice_text if entry else code, "kind": kind})
    return ranked[:MAX_ADVERSE_REASONS]


def _band(flow, score):
    if score is None:
        return None
    for band in flow.cutoff_bands:
        minimum = band.get("minimum")
        if minimum is None or score >= minimum:
            return band["outcome"]
    return None


def flow_run(*, flow, application, catalogue, at=None, plan=None, dictionary=None, explain=True) -> FlowResult:
    """Decide `application` with `flow` as it resolves at `at` (default now); `plan`: flow_plan's and
    `dictionary`: the data dictionary by name, if known.

    `explain`: each model step also says why it scored so (False for a shadow run nobody reads)."""
    steps = plan if plan is not None else flow_plan(flow, at=at or timezone.now())
    available = validate_application(steps, application, dictionary=dictionary)
    evaluations, knockout_codes, model_codes, referral_codes = [], [], [], []
    cutoff = None
    for step in steps:
        result = _run_step(step, available, explain=explain)
        evaluations.append((step, result))
        if not result.ok:
            raise EngineError(
                f"Step {step.position} ({step.kind}, {step.model}) failed: {result.error}",
                location=result.error_location,
            )
        available.update({key: value for key, value in result.results.items()})
        if step.kind == StepKind.KNOCKOUT:
            knockout_codes += _codes(result.results.get(step.result_field))
            if knockout_codes:
                break
        elif step.kind == StepKind.SCORE:
            model_codes += [code for name in flow.reason_code_fields for code in _codes(result.results.get(name))]
        elif step.kind == StepKind.CUTOFF:
            cutoff = result.results.get(step.result_field)
        elif step.kind == StepKind.REVIEW:
            referral_codes += _codes(result.results.get(step.result_field))

    score = available.get(flow.score_field)
    probability = available.get(flow.probability_of_default_field) if flow.probability_of_default_field else None
    if probability is None and score is not None and flow.score_offset is not None and flow.score_factor:
        probability = 1 / (1 + math.exp((float(score) - flow.score_offset) / flow.score_factor))
    if cutoff is None and not knockout_codes:
        cutoff = _band(flow, score)
    reasons = rank_reasons(knockout_codes, model_codes, catalogue)
    referral = [
        {"code": c, "text": catalogue[c].notice_text if c in catalogue else c, "kind": "review"}
        for c in dict.fromkeys(referral_codes)
    ]
    if knockout_codes:
        outcome = Outcome.DECLINED
    elif referral or cutoff == "REFER":
        outcome = Outcome.REFERRED
        if not referral:
            referral = [{"code": "SCORE_BAND", "text": "Score in the refer band", "kind": "review"}]
    elif cutoff == "DECLINE":
        outcome = Outcome.DECLINED
    elif cutoff == "APPROVE":
        outcome = Outcome.APPROVED
    else:
        raise EngineError(
            f"The flow {flow} gave no cut-off outcome (got {cutoff!r}; expected one of {', '.join(CUTOFF_OUTCOMES)})."
        )
    return FlowResult(
        outcome=outcome,
        reasons=reasons,
        referral_reasons=referral,
        score=score,
        probability_of_default=probability,
        cutoff=cutoff,
        evaluations=evaluations,
    )
