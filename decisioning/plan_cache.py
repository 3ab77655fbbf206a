"""Per-process caches of what a decision reads but rarely changes: a flow's resolved plan, a partner's reason codes.

Each entry is keyed by what it was resolved from and is dropped (core.process_cache) when any of
it changes:

- a flow's plan (`decisioning.flows.flow_plan`: steps → ruleset versions → published models →
  their argument/result fields and dictionary mapping, with each step's argument conversion,
  result keys and field mapping compiled) by the flow's id; dropped when a flow or
  step, a ruleset or ruleset version (publication, effective date), a predictive model (status,
  new version), a model field (re-mapping) or a dictionary field is saved or deleted, and
  ignored from the next already-scheduled `effective_from` of a followed ruleset on;
- a partner's flow by (partner, flow id or None for its default), dropped with the plans;
- a partner's reason-code catalogue by the partner's id; dropped when a reason code is saved or
  deleted;
- the data dictionary ({name: DataDictionaryField}, what an application is checked and converted
  against); dropped when a dictionary field is saved or deleted.
"""

from django.core.exceptions import ObjectDoesNotExist
from django.db.models.signals import post_delete, post_save

from core.process_cache import ProcessCache

plans = ProcessCache("decision-plans")

WATCHED = (
    "decisioning.Flow",
    "decisioning.DecisionFlow",
    "decisioning.FlowStep",
    "decisioning.ReasonCode",
    "rulesets.Ruleset",
    "rulesets.RulesetVersion",
    "modelregistry.PredictiveModel",
    "modelregistry.PredictiveModelField",
    "modelregistry.DataDictionaryField",
)


def generation():
    return plans.generation()


def flow_plan(flow, *, at, current=None):
    """`flows.flow_plan(flow, at=at)`, built once per process until something it was resolved from changes."""
    from rulesets.models import RulesetVersion, RulesetVersionStatus

    from . import flows
    from .models import StepBinding

    current = plans.generation() if current is None else current
    cached = plans.get(("plan", flow.pk), current, valid=lambda entry: entry[0] is None or at < entry[0])
    if cached is not None:
        return cached[1]
    plan = flows.flow_plan(flow, at=at)
    for resolved in plan:  # the ruleset version a model step's model was published from, read once (answers show it)
        if resolved.ruleset_version is None:
            try:
                resolved.model.ruleset_version  # noqa: B018 — caches the relation (or its absence) on the model
            except ObjectDoesNotExist:
                pass
    followed = [r.step.ruleset_id for r in plan if r.step.ruleset_id and r.step.binding != StepBinding.PIN]
    valid_until = None
    if followed:
        valid_until = (
            RulesetVersion.objects.filter(
                ruleset_id__in=followed, status=RulesetVersionStatus.PUBLISHED, effective_from__gt=at
            )
            .order_by("effective_from")
            .values_list("effective_from", flat=True)
            .first()
        )
    return plans.put(("plan", flow.pk), current, (valid_until, plan))[1]


def flow_for(partner, flow_id, *, current, at, lookup):
    """The flow version deciding for `flow_id` (None: the partner's default flow) at `at`, as
    `lookup(partner, flow_id, at=at)` finds it, once per process.

    Ignored from the next already-scheduled `effective_from` of a version of the same flow on, so a
    version approved to take effect later is picked up then. Errors (no default flow, another
    partner's flow) are not cached: they raise from `lookup` each time.
    """
    from .models import DecisionFlow, FlowVersionStatus

    key = ("flow", partner.pk, str(flow_id) if flow_id else None)
    cached = plans.get(key, current, valid=lambda entry: entry[0] is None or at < entry[0])
    if cached is not None:
        return cached[1]
    flow = lookup(partner, flow_id, at=at)
    valid_until = None
    if flow.definition_id is not None:
        valid_until = (
            DecisionFlow.objects.filter(
                definition_id=flow.definition_id, status=FlowVersionStatus.PUBLISHED, effective_from__gt=at
            )
            .order_by("effective_from")
            .values_list("effective_from", flat=True)
            .first()
        )
    return plans.put(key, current, (valid_until, flow))[1]


def reason_catalogue(partner, *, current=None):
    """{code: ReasonCode} of the partner, built once per process until a reason code changes."""
    from .models import ReasonCode

    current = plans.generation() if current is None else current
    cached = plans.get(("catalogue", partner.pk), current)
    if cached is not None:
        return cached
    catalogue = {reason.code: reason for reason in ReasonCode.objects.filter(partner=partner)}
    return plans.put(("catalogue", partner.pk), current, catalogue)


def dictionary(*, current=None):
    """{name: DataDictionaryField} of the whole data dictionary, read once per process until a field
    changes; None when the generation cannot be known (nothing is cached then)."""
    from modelregistry.models import DataDictionaryField

    current = plans.generation() if current is None else current
    if current is None:
        return None  # nothing can be trusted (Redis unreachable): the caller reads only the names it needs
    cached = plans.get(("dictionary",), current)
    if cached is not None:
        return cached
    return plans.put(("dictionary",), current, {field.name: field for field in DataDictionaryField.objects.all()})


def connect():
    for label in WATCHED:
        for signal in (post_save, post_delete):
            signal.connect(
                plans.invalidate, sender=label, dispatch_uid=f"decision-plan-cache-{label}-{signal is post_save}"
            )
