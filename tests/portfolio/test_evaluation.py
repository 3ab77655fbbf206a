"""A chunk's column-wise evaluation of the flow equals running each step record by record."""

import math
import random

import pytest
from django.utils import timezone

from decisioning.demo import demo_load
from decisioning.models import StepKind
from portfolio import evaluation
from portfolio.demo import _typed_source_records

pytestmark = pytest.mark.django_db


def _record_by_record(plan, record):
    """The flow over one record through each engine's single-record `evaluate`."""
    available, knockouts = dict(record), []
    for step in plan.steps:
        output = step.loaded.evaluate({artifact: available.get(name) for artifact, name in step.arguments.items()})
        for artifact, name in step.results.items():
            if artifact in output:
                available[name] = output[artifact]
        if step.kind == StepKind.KNOCKOUT:
            knockouts = evaluation._codes(available.get(step.result_field))
    return available.get(plan.score_field), available.get(plan.probability_of_default_field), knockouts


def _same_number(batch_value, single_value):
    if single_value is None or (isinstance(single_value, float) and math.isnan(single_value)):
        return math.isnan(batch_value)
    return batch_value == pytest.approx(float(single_value), rel=1e-12, abs=1e-12)


def test_the_demo_flow_column_wise_equals_record_by_record_on_perturbed_loans():
    demo = demo_load(out=lambda *_: None)
    flow = demo["flow"]
    plan = evaluation.plan_load(flow=flow, pinned=evaluation.plan_pin(flow=flow, at=timezone.now()))
    generator = random.Random(5)
    records = []
    for source in _typed_source_records()[:400]:
        record = dict(source)
        for name in list(record):
            roll = generator.random()
            if roll < 0.05:
                record[name] = None  # a missing attribute
            elif roll < 0.08:
                del record[name]  # an attribute the loan never had
            elif roll < 0.2 and isinstance(record[name], float):
                record[name] = round(record[name] * generator.uniform(0, 3), 2)
        records.append(record)
    outcome = evaluation.evaluate_batch(plan, evaluation.columns_of(records, plan.argument_names), len(records))
    assert not any(outcome.errors)
    knocked_out = 0
    for position, record in enumerate(records):
        score, probability, knockouts = _record_by_record(plan, record)
        assert _same_number(outcome.scores[position], score), (position, record)
        assert _same_number(outcome.probabilities[position], probability), (position, record)
        assert outcome.knockout_reasons[position] == knockouts, (position, record)
        knocked_out += bool(knockouts)
    assert 0 < knocked_out < len(records)  # the knock-out step really decides both ways here
