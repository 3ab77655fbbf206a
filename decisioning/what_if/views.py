"""What-if pages: fill an application, see the outcome, the reasons and the contributions; nothing is kept."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from core.exceptions import ArgumentError, ArgumentErrors, EngineError, NotFound
from modelregistry.models import Engine, ModelStatus
from modelregistry.selectors import predictive_model_list
from partners import roles

from .. import explanations, selectors, services
from ..models import Flow
from .forms import ApplicationForm

WHAT_IF_ROLES = (roles.UNDERWRITER, roles.DATA_SCIENTIST, roles.RISK_MANAGER, roles.PARTNER_ADMIN)


def what_if_required(view):
    """Logged-in underwriters, data scientists, risk managers and partner admins of a partner; else 403."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.user.partner_id is None or not request.user.has_any_role(*WHAT_IF_ROLES):
            raise PermissionDenied("Only underwriters, data scientists, risk managers and partner admins try what-ifs.")
        return view(request, *args, **kwargs)

    return wrapped


@require_GET
@what_if_required
def index(request):
    partner = request.user.partner
    return render(
        request,
        "decisioning/what_if_index.html",
        {
            "flows": Flow.objects.filter(partner=partner).order_by("name"),
            "models": predictive_model_list(partner=partner, status=ModelStatus.ACTIVE, engine=Engine.PMML),
        },
    )


def _submitted(request, fields, run):
    """(form, values, answer): the page's form over `fields`, bound on POST, and for a valid
    submission its values and what `run(values)` answered. A service's argument or engine error is
    shown on the form, on the field it names (the answer is then None); nothing is kept."""
    form = ApplicationForm(fields, request.POST if request.method == "POST" else None)
    if request.method != "POST" or not form.is_valid():
        return form, None, None
    values = form.application()
    try:
        return form, values, run(values)
    except (ArgumentError, ArgumentErrors) as error:
        form.add_domain_errors(error.errors if isinstance(error, ArgumentErrors) else [error])
    except EngineError as error:
        form.add_error(None, error.message)
    return form, values, None


def _explained(evaluation, application):
    if evaluation is None or not evaluation.explanation:
        return None
    explained = explanations.labelled(evaluation.explanation, values=application)
    explained["chart"] = explanations.contribution_chart_svg(
        explained, title=f"Contributions to {evaluation.model.name} v{evaluation.model.version}"
    )
    explained["model"] = evaluation.model
    return explained


@never_cache  # the answer shows the values typed: not for a browser's or a proxy's cache
@require_http_methods(["GET", "POST"])
@what_if_required
def flow_page(request, flow_id):
    partner = request.user.partner
    try:
        version, fields = services.what_if_flow_fields(partner=partner, flow_id=flow_id)
    except NotFound:
        raise Http404("No such decision flow.") from None
    except (ArgumentError, EngineError) as error:  # no version deciding now; a step that cannot run
        return render(request, "decisioning/what_if.html", {"title": str(flow_id), "unavailable": error.message})
    form, application, outcome = _submitted(
        request, fields, lambda values: services.what_if_flow(partner=partner, flow_id=flow_id, application=values)
    )
    result = None
    if outcome is not None:
        result = {
            "outcome": outcome.outcome,
            "score": outcome.score,
            "probability_of_default": outcome.probability_of_default,
            "cutoff": outcome.cutoff,
            "reasons": outcome.reasons,
            "referral_reasons": outcome.referral_reasons,
            "explanations": [
                explained
                for _, evaluation in outcome.evaluations
                if (explained := _explained(evaluation, application)) is not None
            ],
            "steps": [
                {"position": step.position, "kind": step.kind, "model": step.model, "results": evaluation.results}
                for step, evaluation in outcome.evaluations
            ],
        }
    return render(
        request,
        "decisioning/what_if.html",
        {"title": f"{version.name} v{version.version}", "subject": "flow", "form": form, "result": result},
    )


@never_cache
@require_http_methods(["GET", "POST"])
@what_if_required
def model_page(request, model_id):
    partner = request.user.partner
    try:
        model, fields = services.what_if_model_fields(partner=partner, model_id=model_id)
    except NotFound:
        raise Http404("No such model.") from None
    form, arguments, evaluation = _submitted(
        request, fields, lambda values: services.what_if_model(partner=partner, model_id=model_id, arguments=values)
    )
    result = None
    if evaluation is not None:
        explained = _explained(evaluation, arguments)
        result = {"results": evaluation.results, "explanations": [explained] if explained else []}
    return render(
        request,
        "decisioning/what_if.html",
        {
            "title": f"{model.name} v{model.version}",
            "subject": "model",
            "form": form,
            "result": result,
            "importance": _importance(partner, model),
        },
    )


def _importance(partner, model):
    """The model version's global importance (an aggregate over evaluations, no one's values)."""
    importance = selectors.model_global_importance(partner=partner, model=model)
    if importance is None:
        return None
    labelled = explanations.labelled({"contributions": importance["rows"], "scale": importance["scale"]}, top=15)
    return {
        **importance,
        "rows": labelled["rows"],
        "scale_text": labelled["scale_text"],
        "chart": explanations.importance_chart_svg(
            [{"label": row["label"], "value": row["value"]} for row in labelled["shown"]],
            title=f"Mean |contribution| of {model}",
        ),
    }
