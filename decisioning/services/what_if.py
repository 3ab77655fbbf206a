"""What-if: decide an application, or evaluate a model, exactly as the live path would, and keep nothing.

No decision, no step record, no review case and no audit event is written: an underwriter or a data
scientist tries values that are not anyone's application, so there is nothing to keep on the record.
The same code as a live decision runs (flows.flow_run, evaluation.evaluate), explanations included.
"""

from django.utils import timezone

from core.exceptions import EngineError, NotFound
from modelregistry.models import DataDictionaryField, Engine, ModelStatus
from modelregistry.selectors import predictive_model_get

from .. import evaluation as model_evaluation
from .. import flows, plan_cache
from ..models import Flow
from .decisions import flow_version_resolve


def what_if_flow_fields(*, partner, flow_id):
    """(flow version, [DataDictionaryField]) an application to the partner's flow `flow_id` must carry."""
    if not Flow.objects.filter(partner=partner, pk=flow_id).exists():
        raise NotFound(f"No decision flow {flow_id}.")
    version = flow_version_resolve(partner=partner, flow_id=flow_id)
    plan = flows.flow_plan(version, at=timezone.now())
    names = flows.required_application_fields(plan)
    by_name = {field.name: field for field in DataDictionaryField.objects.filter(name__in=names)}
    return version, [by_name[name] for name in names if name in by_name]


def what_if_flow(*, partner, flow_id, application) -> flows.FlowResult:
    """Decide `application` (dictionary names) with the flow's effective version; writes nothing.

    Bad values raise ArgumentErrors naming each field; a step that fails raises EngineError."""
    version, _ = what_if_flow_fields(partner=partner, flow_id=flow_id)
    return flows.flow_run(flow=version, application=application, catalogue=plan_cache.reason_catalogue(partner))


def what_if_model_fields(*, partner, model_id):
    """(model, [DataDictionaryField]) of the partner's active PMML model's mapped arguments."""
    model = predictive_model_get(partner=partner, model_id=model_id)
    if model.engine != Engine.PMML or model.status != ModelStatus.ACTIVE:
        raise NotFound(f"No active PMML model {model_id}.")
    arguments, _ = model_evaluation.model_fields(model)
    return model, [field.supported_field for field in arguments if field.supported_field_id]


def what_if_model(*, partner, model_id, arguments) -> model_evaluation.Evaluation:
    """Evaluate the model on `arguments` (dictionary names) with its explanation; writes nothing."""
    model, _ = what_if_model_fields(partner=partner, model_id=model_id)
    record, keys, mapping = model_evaluation.prepare(model, arguments)
    evaluation = model_evaluation.evaluate(model, arguments, record=record, keys=keys, mapping=mapping)
    if not evaluation.ok:
        raise EngineError(f"{model} could not evaluate these values: {evaluation.error}")
    return evaluation
