"""Running a decision flow: knock-outs → score → cut-off → review routing → outcome and reasons.

Pure orchestration over registered model versions; nothing here writes to the database.
"""
import math
from dataclasses import dataclass, field

from core.exceptions import ArgumentError, ArgumentErrors, EngineError
from modelregistry.arguments import convert_value
from modelregistry.models import DataDictionaryField, FieldType

from . import evaluation as model_evaluation
from .models import Outcome, StepKind

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
    evaluations: list = field(default_factory=list)  # [(FlowStep, Evaluation)]

    def outputs(self):
        return {
            "score": self.score,
            "probabilityOfDefault": self.probability_of_default,
            "cutoff": self.cutoff,
            "scoreBand": self.cutoff or "",
            "reasons": self.reasons,
            "referralReasons": self.referral_reasons,
        }


def flow_steps(flow):
    return list(flow.steps.select_related("model").order_by("position"))


def required_application_fields(steps):
    """Dictionary names the application must carry: every step's arguments not produced by an earlier step."""
    required, produced = [], set()
    for step in steps:
        arguments, results = model_evaluation.model_fields(step.model)
        for argument in arguments:
            if argument.supported_field_id and argument.supported_field.name not in produced and argument.supported_field.name not in required:
                required.append(argument.supported_field.name)
        produced.update(r.supported_field.name for r in results if r.supported_field_id)
    return required


def validate_application(steps, application, *, path=("application",)):
    """Every problem in the application at once; returns the values converted to dictionary types."""
    if not isinstance(application, dict):
        raise ArgumentErrors([ArgumentError(path, "must be an object of dictionary names to values")])
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
    for name in required_application_fields(steps):
        if name not in application:
            errors.append(ArgumentError(path + (name,), f"{name!r} is required by this flow", code="required"))
    if errors:
        raise ArgumentErrors(errors)
    return converted


def _run_step(step, available):
    arguments_fields, _ = model_evaluation.model_fields(step.model)
    arguments = {f.supported_field.name: available.get(f.supported_field.name) for f in arguments_fields if f.supported_field_id}
    record, result_fields, mapping = model_evaluation.prepare(step.model, arguments, path=("application",), model_path=("flowId",))
    result = model_evaluation.evaluate(step.model, arguments, record=record, result_fields=result_fields, mapping=mapping)
    return result


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


def flow_run(*, flow, application, catalogue) -> FlowResult:
    steps = flow_steps(flow)
    available = validate_application(steps, application)
    evaluations, knockout_codes, model_codes, referral_codes = [], [], [], []
    cutoff = None
    for step in steps:
        result = _run_step(step, available)
        evaluations.append((step, result))
        if not result.ok:
            raise EngineError(f"Step {step.position} ({step.kind}, {step.model}) failed: {result.error}", location=result.error_location)
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
    referral = [{"code": c, "text": catalogue[c].notice_text if c in catalogue else c, "kind": "review"} for c in dict.fromkeys(referral_codes)]
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
        raise EngineError(f"The flow {flow} gave no cut-off outcome (got {cutoff!r}; expected one of {', '.join(CUTOFF_OUTCOMES)}).")
    return FlowResult(
        outcome=outcome, reasons=reasons, referral_reasons=referral, score=score,
        probability_of_default=probability, cutoff=cutoff, evaluations=evaluations,
    )
