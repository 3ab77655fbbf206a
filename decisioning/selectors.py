"""Partner- and role-scoped reads of decisions and their step records (insight transactions).

Who reads what, for decisions and insights alike (a record one may not read is 404 on detail
and absent from lists):
- the auditor and the partner admin: every record of their partner;
- the partner system: the records it requested;
- the underwriter: the decisions behind cases in the review queue, and their steps;
- rule editors, rule approvers and data scientists: none (they get aggregates elsewhere).
A user with several roles reads the union.
"""

from django.db.models import Prefetch, Q, QuerySet

from core.exceptions import NotFound
from core.ids import parse_uuid
from modelregistry import engines
from modelregistry.models import DevelopmentSample
from partners import roles

from .evaluation import explanation_in_dictionary_names
from .models import Decision, InsightTransaction, ReviewAction

# Who reads every decision and evaluation of their partner.
RECORD_READERS_ALL = (roles.AUDITOR, roles.PARTNER_ADMIN)
# Who reads the records they requested themselves.
RECORD_READERS_OWN = (roles.PARTNER_SYSTEM,)
# Who reads the records behind cases in the review queue.
RECORD_READERS_REVIEW = (roles.UNDERWRITER,)
# Every role that reads some decisions and evaluations; the API refuses the others with 403.
RECORD_READERS = RECORD_READERS_ALL + RECORD_READERS_OWN + RECORD_READERS_REVIEW


def _readable(user, *, requested_by, under_review):
    """The Q a record must satisfy for `user` to read it, or None when it reads all of the partner's."""
    if user.has_any_role(*RECORD_READERS_ALL):
        return None
    readable = Q(pk__in=[])
    if user.has_any_role(*RECORD_READERS_OWN):
        readable |= Q(**{requested_by: user})
    if user.has_any_role(*RECORD_READERS_REVIEW):
        readable |= Q(**{under_review: False})
    return readable


def insight_list(*, partner, user, model_id=None, created_from=None, created_to=None, status=None) -> QuerySet:
    insights = InsightTransaction.objects.filter(partner=partner).select_related("model")
    readable = _readable(user, requested_by="requested_by", under_review="decision__review_case__isnull")
    if readable is not None:
        insights = insights.filter(readable)
    if model_id is not None:
        insights = insights.filter(model_id=model_id)
    if created_from is not None:
        insights = insights.filter(created__gte=created_from)
    if created_to is not None:
        insights = insights.filter(created__lte=created_to)
    if status is not None:
        insights = insights.filter(status=status)
    return insights.order_by("-created", "-id")


def insight_get(*, partner, user, insight_id) -> InsightTransaction:
    insight = insight_list(partner=partner, user=user).filter(pk=parse_uuid(insight_id)).first()
    if insight is None:
        raise NotFound(f"No insight {insight_id}.")
    return insight


def decision_list(*, partner, user, outcome=None, external_id=None, created_from=None, created_to=None) -> QuerySet:
    decisions = (
        Decision.objects.filter(partner=partner)
        .select_related("flow", "review_case")
        .prefetch_related(
            Prefetch(
                "steps",
                queryset=InsightTransaction.objects.select_related("model__ruleset_version").order_by("step_position"),
            ),
            Prefetch("review_case__actions", queryset=ReviewAction.objects.select_related("actor")),
        )
    )
    readable = _readable(user, requested_by="requested_by", under_review="review_case__isnull")
    if readable is not None:
        decisions = decisions.filter(readable)
    if outcome is not None:
        decisions = decisions.filter(final_outcome=outcome)
    if external_id is not None:
        decisions = decisions.filter(external_id=external_id)
    if created_from is not None:
        decisions = decisions.filter(created__gte=created_from)
    if created_to is not None:
        decisions = decisions.filter(created__lte=created_to)
    return decisions.order_by("-created", "-id")


def decision_get(*, partner, user, decision_id) -> Decision:
    decision = decision_list(partner=partner, user=user).filter(pk=parse_uuid(decision_id)).first()
    if decision is None:
        raise NotFound(f"No decision {decision_id}.")
    return decision


# ---------------------------------------------------------------- decision flows, backtests, challengers
# Who reads flows, their versions and backtests: those who author, approve or audit them.
FLOW_READERS = (roles.PARTNER_ADMIN, roles.RULE_APPROVER, roles.AUDITOR, roles.RULE_EDITOR, roles.DATA_SCIENTIST)


def _require_flow_reader(user):
    from core.exceptions import NotPermitted

    if user is not None and not user.is_superuser and not user.has_any_role(*FLOW_READERS):
        raise NotPermitted(
            "Only partner admins, rule approvers, rule editors, data scientists and auditors read flows."
        )


def flow_list(*, partner, user) -> QuerySet:
    from .models import Flow

    _require_flow_reader(user)
    return Flow.objects.filter(partner=partner).order_by("name")


def flow_get(*, partner, user, flow_id):
    from .models import Flow

    _require_flow_reader(user)
    flow = Flow.objects.filter(partner=partner, pk=parse_uuid(flow_id)).first() if parse_uuid(flow_id) else None
    if flow is None:
        raise NotFound(f"No decision flow {flow_id}.")
    return flow


def flow_version_list(*, flow) -> QuerySet:
    return flow.versions.order_by("-version")


def flow_version_get(*, partner, user, version_id):
    from .models import DecisionFlow

    _require_flow_reader(user)
    version = (
        DecisionFlow.objects.filter(partner=partner, pk=parse_uuid(version_id)).select_related("definition").first()
        if parse_uuid(version_id)
        else None
    )
    if version is None:
        raise NotFound(f"No decision flow version {version_id}.")
    return version


def flow_version_effective(*, flow, at=None):
    """The version of `flow` deciding at `at` (default now): published, latest `effective_from` not after `at`."""
    from django.utils import timezone

    from .models import FlowVersionStatus

    return (
        flow.versions.filter(status=FlowVersionStatus.PUBLISHED, effective_from__lte=at or timezone.now())
        .order_by("-effective_from", "-version")
        .first()
    )


def backtest_get(*, partner, user, backtest_id):
    from .models import Backtest

    _require_flow_reader(user)
    backtest = (
        Backtest.objects.filter(partner=partner, pk=parse_uuid(backtest_id))
        .select_related("candidate", "baseline", "flow")
        .first()
        if parse_uuid(backtest_id)
        else None
    )
    if backtest is None:
        raise NotFound(f"No backtest {backtest_id}.")
    return backtest


def challenger_report(*, flow, challenger=None) -> dict:
    """Champion vs challenger over the decisions the challenger also decided: outcome counts and swap sets."""
    from .models import ChallengerResult

    challenger = challenger or flow.challenger
    if challenger is None:
        return {"challenger": None, "count": 0}
    rows = ChallengerResult.objects.filter(flow_version=challenger).select_related("decision")
    champion, shadow, swaps = {}, {}, {"newlyApproved": [], "newlyDeclined": []}
    count = errors = 0
    for row in rows:
        count += 1
        if not row.outcome:
            errors += 1
            continue
        champion[row.decision.outcome] = champion.get(row.decision.outcome, 0) + 1
        shadow[row.outcome] = shadow.get(row.outcome, 0) + 1
        if row.outcome == "APPROVED" and row.decision.outcome != "APPROVED":
            swaps["newlyApproved"].append(row.decision.external_id)
        elif row.outcome == "DECLINED" and row.decision.outcome != "DECLINED":
            swaps["newlyDeclined"].append(row.decision.external_id)
    return {
        "challenger": str(challenger),
        "count": count,
        "errors": errors,
        "champion": champion,
        "challengerOutcomes": shadow,
        "newlyApproved": len(swaps["newlyApproved"]),
        "newlyDeclined": len(swaps["newlyDeclined"]),
        "examples": {key: value[:10] for key, value in swaps.items()},
    }


# How many of the latest explained evaluations a model's global importance averages over.
IMPORTANCE_EVALUATIONS = 2000
# How many development-sample rows are explained when the version has no explained evaluations yet
# (a 200-tree forest takes ~70 ms a row; the result is kept per process: sample and artifact never change).
IMPORTANCE_SAMPLE_ROWS = 100
_sample_importance = {}


def model_global_importance(*, partner, model, limit=IMPORTANCE_EVALUATIONS) -> dict | None:
    """Mean |contribution| per field of `model` (one version) over the partner's latest `limit`
    explained evaluations of it (decisions' steps and insights alike), else over its development
    sample; an aggregate, so no single applicant's values are shown. None when there is neither.

    {"source": "evaluations" | "developmentSample", "count": n, "scale": ..., "rows": [{"name", "fields", "value"}]}
    """
    explanations = [
        explanation
        for explanation in InsightTransaction.objects.filter(partner=partner, model=model, status="ok")
        .order_by("-created")
        .values_list("explanation", flat=True)[:limit]
        if explanation
    ]
    source = "evaluations"
    if not explanations:
        explanations, source = _development_sample_explanations(model), "developmentSample"
    if not explanations:
        return None
    totals, fields = {}, {}
    for explanation in explanations:
        for row in explanation["contributions"]:
            totals[row["name"]] = totals.get(row["name"], 0.0) + abs(row["value"])
            fields[row["name"]] = row["fields"]
    rows = [
        {"name": name, "fields": fields[name], "value": total / len(explanations)} for name, total in totals.items()
    ]
    rows.sort(key=lambda row: -row["value"])
    return {"source": source, "count": len(explanations), "scale": explanations[0]["scale"], "rows": rows}


def _development_sample_explanations(model, rows=IMPORTANCE_SAMPLE_ROWS):
    key = (model.pk, model.sha256, rows)
    if key not in _sample_importance:
        _sample_importance[key] = _explain_development_sample(model, rows)
    return _sample_importance[key]


def _explain_development_sample(model, rows):
    sample = DevelopmentSample.objects.filter(model=model).first()
    if sample is None or model.engine != "pmml":
        return []
    loaded = engines.load_for(model)
    mapping = dict(model.fields.filter(supported_field__isnull=False).values_list("name", "supported_field__name"))
    explained = []
    for record in sample.rows[:rows]:
        _, explanation = engines.evaluate_explained(model, loaded, record)
        if explanation is not None:
            explained.append(explanation_in_dictionary_names(explanation, mapping))
    return explained
