"""Monitoring's writes: protected characteristics beside a decision, and a score model's development sample."""

from django.db import transaction

from core.exceptions import ArgumentError, ArgumentErrors
from core.services import audit_event_record
from modelregistry.arguments import convert_value
from modelregistry.models import DataDictionaryField
from portfolio import drift

from .models import DevelopmentSample, ProtectedCharacteristics


@transaction.atomic
def protected_characteristics_record(*, decision, values, actor, synthetic=False) -> ProtectedCharacteristics:
    """Record (or replace) the protected characteristics of `decision`'s applicant.

    Every key must be a dictionary entry flagged `protected`: this store is for fairness
    monitoring only, and an ordinary field recorded here would escape the application's checks.
    The audit event names the fields, never their values.
    """
    if not isinstance(values, dict) or not values:
        raise ArgumentError("values", "Give an object of protected dictionary names and values.")
    dictionary = {field.name: field for field in DataDictionaryField.objects.filter(name__in=list(values))}
    errors, converted = [], {}
    for name, value in values.items():
        field = dictionary.get(name)
        if field is None:
            errors.append(ArgumentError(("values", name), f"{name!r} is not in the data dictionary."))
        elif not field.protected:
            errors.append(ArgumentError(("values", name), f"{name!r} is not a protected characteristic."))
        else:
            try:
                converted[name] = convert_value(field, value)
            except ValueError as problem:
                errors.append(ArgumentError(("values", name), f"{name}: {problem}."))
    if errors:
        raise ArgumentErrors(errors)
    record, _ = ProtectedCharacteristics.objects.update_or_create(
        decision=decision,
        defaults={"partner_id": decision.partner_id, "values": converted, "synthetic": synthetic, "recorded_by": actor},
    )
    audit_event_record(
        actor=actor,
        action="protected_characteristics.record",
        obj=record,
        partner=decision.partner,
        data={"decision": str(decision.pk), "fields": sorted(converted), "synthetic": synthetic},
    )
    return record


@transaction.atomic
def development_sample_record(*, partner, model, score_field, scores, actor, description="") -> DevelopmentSample:
    """Bin `scores` (the model's output on its development data) into deciles and keep the counts."""
    if model.partner_id != partner.pk:
        raise ArgumentError("model", f"No predictive model {model.pk}.")
    present = [float(score) for score in scores if score is not None]
    if not present:
        raise ArgumentError("scores", "The development sample has no score.")
    spec = {"kind": "numeric", "edges": drift.numeric_edges(present), "counts": {}}
    drift.count_into(spec["counts"], spec, present)
    sample, _ = DevelopmentSample.objects.update_or_create(
        model=model,
        score_field=score_field,
        defaults={
            "partner": partner,
            "spec": spec,
            "size": len(present),
            "description": description[:300],
            "recorded_by": actor,
        },
    )
    audit_event_record(
        actor=actor,
        action="development_sample.record",
        obj=sample,
        partner=partner,
        data={"model": str(model.pk), "scoreField": score_field, "size": len(present)},
    )
    return sample
