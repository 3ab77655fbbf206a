"""The per-process plan and reason-code caches: reused while nothing changes, dropped on every change."""

import pytest
from django.utils import timezone

from decisioning import flows, plan_cache
from decisioning.models import FlowStep, InsightTransaction, ReasonCode
from decisioning.services import reason_code_upsert
from decisioning.services.decisions import flow_version_resolve
from modelregistry.models import (
    DataDictionaryField,
    PredictiveModel,
    PredictiveModelField,
)
from rulesets.models import Ruleset, RulesetVersion

from .test_decisions_api import clean_application, decide, demo, system  # noqa: F401 — fixtures


def default_flow(demo):
    return flow_version_resolve(partner=demo["partner"])  # the default flow's effective version


@pytest.mark.django_db
def test_a_plan_is_built_once_and_rebuilt_after_each_watched_change(demo, django_assert_num_queries):
    flow = default_flow(demo)
    at = timezone.now()
    first = plan_cache.flow_plan(flow, at=at)
    with django_assert_num_queries(0):
        assert plan_cache.flow_plan(flow, at=at) is first
    step = FlowStep.objects.filter(flow=flow).exclude(ruleset=None).first()
    version = RulesetVersion.objects.filter(ruleset=step.ruleset, status="published").first()
    model = first[0].model
    field = PredictiveModelField.objects.filter(model=model).first()
    changes = [
        lambda: flow.save(),
        lambda: step.save(),
        lambda: Ruleset.objects.get(pk=step.ruleset_id).save(),
        lambda: version.save(),
        lambda: PredictiveModel.objects.get(pk=model.pk).save(),
        lambda: field.save(),
        lambda: DataDictionaryField.objects.first().save(),
    ]
    previous = first
    for change in changes:
        change()
        rebuilt = plan_cache.flow_plan(flow, at=at)
        assert rebuilt is not previous
        previous = rebuilt


@pytest.mark.django_db
def test_a_reason_code_edit_reaches_the_next_decision(system, demo):
    application = {**clean_application(system), "revolvingUtilization": 140.0}
    before = decide(system, application).json()["data"]["attributes"]["review"]["referralReasons"]
    assert any(reason["code"] == "REV04" for reason in before)
    reason = ReasonCode.objects.get(partner=demo["partner"], code="REV04")
    reason_code_upsert(
        partner=demo["partner"], code="REV04", kind=reason.kind, notice_text="Utilisation above the limit (edited)"
    )
    after = decide(system, application, external_id="again").json()["data"]["attributes"]["review"]["referralReasons"]
    assert {"code": "REV04", "text": "Utilisation above the limit (edited)", "kind": "review"} in after


@pytest.mark.django_db
def test_re_mapping_a_model_field_reaches_the_next_decision(system, demo):
    """A step's argument unmapped from the dictionary: the next decision refuses instead of using the old plan."""
    application = clean_application(system)
    assert decide(system, application).status_code == 201
    flow = default_flow(demo)
    model = plan_cache.flow_plan(flow, at=timezone.now())[0].model
    argument = (
        PredictiveModelField.objects.filter(model=model, field_type="argument").exclude(supported_field=None).first()
    )
    argument.supported_field = None
    argument.save()
    refused = decide(system, application, external_id="after-unmapping")
    assert refused.status_code == 400, refused.content
    assert refused.json()["errors"][0]["code"] == "not_mapped"


@pytest.mark.django_db
def test_with_redis_a_change_reaches_other_processes_after_commit(demo, settings, django_capture_on_commit_callbacks):
    """Another worker reads the shared generation: a change committed here makes its entries stale."""
    if not settings.REDIS_URL:
        pytest.skip("single-process configuration: the in-process generation is the whole story")
    before = plan_cache.generation()
    with django_capture_on_commit_callbacks(execute=True):
        ReasonCode.objects.filter(partner=demo["partner"]).first().save()
    after = plan_cache.generation()
    assert after[1] == before[1] + 1  # the shared counter another process compares with


@pytest.mark.django_db
def test_the_dictionary_is_read_once_and_a_new_field_reaches_the_next_decision(system, demo, django_assert_num_queries):
    first = plan_cache.dictionary()
    with django_assert_num_queries(0):
        assert plan_cache.dictionary() is first
    application = {**clean_application(system), "favouriteColour": "blue"}
    refused = decide(system, application, external_id="before")
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["source"]["pointer"] == "/data/attributes/application/favouriteColour"
    DataDictionaryField.objects.create(name="favouriteColour", data_type="string")
    assert plan_cache.dictionary() is not first
    assert decide(system, application, external_id="after").status_code == 201


@pytest.mark.django_db
def test_a_re_mapping_reaches_the_plans_compiled_arguments_and_the_next_decision(system, demo):
    """The plan compiles each step's argument conversion once; re-mapping a model's argument to
    another dictionary field drops it, and the next decision asks for and converts the new name."""
    application = clean_application(system)  # an approved one, found before the change
    flow = default_flow(demo)
    plan = plan_cache.flow_plan(flow, at=timezone.now())
    required = flows.required_application_fields(plan)
    assert "fundedAmount" in required
    arguments = list(
        PredictiveModelField.objects.filter(
            model__in=[resolved.model for resolved in plan], field_type="argument", supported_field__name="fundedAmount"
        )
    )
    assert arguments
    models = {argument.model_id for argument in arguments}
    renamed = DataDictionaryField.objects.create(
        name="fundedAmountUsd", data_type=arguments[0].supported_field.data_type, minimum=0
    )
    for argument in arguments:  # every step model reading the amount, one save each (as the mapping page does)
        argument.supported_field = renamed
        argument.save()

    rebuilt = plan_cache.flow_plan(flow, at=timezone.now())
    assert rebuilt is not plan
    for argument in arguments:
        step = next(resolved for resolved in rebuilt if resolved.model.pk == argument.model_id)
        assert ("fundedAmountUsd", argument.name, renamed) in step.inputs.inputs
        assert "fundedAmount" not in step.inputs.names
    required = flows.required_application_fields(rebuilt)
    assert "fundedAmountUsd" in required and "fundedAmount" not in required

    response = decide(system, {**application, "fundedAmountUsd": -5}, key="re-mapped-bad")
    assert response.status_code == 400
    pointers = [error["source"]["pointer"] for error in response.json()["errors"]]
    assert pointers == ["/data/attributes/application/fundedAmountUsd"]
    amount = application.pop("fundedAmount")
    response = decide(system, {**application, "fundedAmountUsd": amount}, key="re-mapped")
    assert response.status_code == 201, response.content
    stored = InsightTransaction.objects.filter(decision_id=response.json()["data"]["id"], model__in=models)
    assert len(stored) == len(models)
    assert [step.arguments.get("fundedAmountUsd") for step in stored] == [amount] * len(models)
