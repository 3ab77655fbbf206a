"""Pages of the flow editor: translate forms to flow services, domain errors to messages."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from core.exceptions import (
    ArgumentError,
    ArgumentErrors,
    DomainError,
    NotFound,
    NotPermitted,
)

from .. import selectors, services
from ..models import FlowVersionStatus
from ..services.backtests import BACKTEST_ROLES
from ..services.flow_versions import FLOW_APPROVERS, FLOW_AUTHORS
from . import charts
from .forms import (
    BandFormSet,
    BlankBandFormSet,
    BlankStepFormSet,
    FlowCreateForm,
    FlowSettingsForm,
    StepFormSet,
    step_initial,
    step_payload,
)


def flow_reader_required(view):
    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        user = request.user
        if user.partner_id is None or not user.has_any_role(*selectors.FLOW_READERS):
            raise PermissionDenied(
                "Only partner admins, rule approvers, rule editors, data scientists and auditors read flows."
            )
        return view(request, *args, **kwargs)

    return wrapped


def _found(getter, **kwargs):
    try:
        return getter(**kwargs)
    except NotFound:
        raise Http404("Not found.") from None


# The services name what is wrong by the API's attribute names; the page by its own labels.
FIELD_LABELS = {
    "scoreField": "Score field",
    "probabilityOfDefaultField": "Probability-of-default field",
    "reasonCodeFields": "Reason-code fields",
    "amountField": "Amount field",
    "cutoffBands": "Score bands",
    "reviewSlaHours": "Review SLA",
    "overrideConfirmationAmount": "Override limit",
    "challengerShare": "Share of traffic",
    "steps": "Steps",
    "name": "Name",
}


def where_on_the_page(field):
    """("steps", "1", "resultField") -> "Step 2, result the flow reads"; ("cutoffBands", "0") -> "Score band 1"."""
    parts = [part for item in field for part in str(item).split("/")]  # some pointers come as one "a/0"
    if parts[:1] == ["steps"] and len(parts) > 1 and parts[1].isdigit():
        label = f"Step {int(parts[1]) + 1}"
        rest = {"resultField": "result the flow reads", "kind": "kind"}
        return label + "".join(f", {rest.get(part, part)}" for part in parts[2:])
    if parts[:1] == ["cutoffBands"] and len(parts) > 1 and parts[1].isdigit():
        return f"Score band {int(parts[1]) + 1}" + "".join(f", {part}" for part in parts[2:])
    if parts[:1] == ["reasonCodeFields"] and len(parts) > 1 and parts[1].isdigit():
        return f"Reason-code field {int(parts[1]) + 1}"
    return FIELD_LABELS.get(parts[0], parts[0]) if len(parts) == 1 else "/".join(parts)


def _error_messages(request, error):
    problems = error.errors if isinstance(error, ArgumentErrors) else [error]
    for problem in problems:
        if isinstance(problem, ArgumentError):
            messages.error(request, f"{where_on_the_page(problem.field)}: {problem.message}")
        else:
            messages.error(request, str(problem))


@flow_reader_required
def flow_list(request):
    """The partner's flows; a partner admin creates one here, with its first (empty) draft."""
    partner, user = request.user.partner, request.user
    flows = selectors.flow_list(partner=partner, user=user).prefetch_related("versions")
    can_author = user.has_any_role(*FLOW_AUTHORS)
    form = FlowCreateForm(request.POST or None, initial={"is_default": not flows.exists()})
    if request.method == "POST":
        if not can_author:
            raise PermissionDenied("Only partner admins create decision flows.")
        if form.is_valid():
            try:
                with transaction.atomic():
                    flow = services.flow_create(
                        partner=partner,
                        name=form.cleaned_data["name"],
                        actor=user,
                        is_default=form.cleaned_data["is_default"],
                    )
                    draft = services.flow_version_create_draft(flow=flow, actor=user)
            except DomainError as error:
                _error_messages(request, error)
            else:
                messages.success(
                    request,
                    f"{flow.name} created. Choose its steps, fields and bands, then submit it: a rule approver "
                    "publishes it.",
                )
                return redirect("flows:version", version_id=draft.pk)
    return render(request, "flows/list.html", {"flows": flows, "can_author": can_author, "create_form": form})


@flow_reader_required
def flow_detail(request, flow_id):
    flow = _found(selectors.flow_get, partner=request.user.partner, user=request.user, flow_id=flow_id)
    if request.method == "POST" and request.POST.get("action") == "challenger":
        return _challenger_set(request, flow)
    if request.method == "POST":
        try:
            draft = services.flow_version_create_draft(flow=flow, actor=request.user)
        except DomainError as error:
            _error_messages(request, error)
            return redirect("flows:flow", flow_id=flow.pk)
        messages.success(request, f"Draft {draft.version} started from the published version.")
        return redirect("flows:version", version_id=draft.pk)
    return render(
        request,
        "flows/flow.html",
        {
            "flow": flow,
            "versions": selectors.flow_version_list(flow=flow),
            "effective": selectors.flow_version_effective(flow=flow),
            "challenger": selectors.challenger_report(flow=flow),
            "can_author": request.user.has_any_role(*FLOW_AUTHORS),
            "backtests": flow.backtests.select_related("candidate")[:10],
            "can_set_challenger": request.user.has_any_role(*FLOW_APPROVERS),
            "challenger_candidates": flow.versions.filter(
                status__in=[FlowVersionStatus.APPROVED, FlowVersionStatus.PUBLISHED]
            ),
        },
    )


def _challenger_set(request, flow):
    """Start or stop a shadow challenger (approvers): a version number and a share in percent."""
    number, share = request.POST.get("version", ""), request.POST.get("share", "0")
    try:
        challenger = flow.versions.filter(version=int(number)).first() if number.isdigit() else None
        if number and challenger is None:
            raise ArgumentError("version", f"The flow has no version {number}.")
        try:
            share = float(share) / 100
        except ValueError:
            raise ArgumentError("share", "The share is a percentage from 0 to 100.") from None
        services.flow_challenger_set(flow=flow, actor=request.user, challenger=challenger, share=share)
        messages.success(
            request, f"Challenger: {challenger} on {share:.1%} of traffic." if challenger else "No challenger runs."
        )
    except DomainError as error:
        _error_messages(request, error)
    return redirect("flows:flow", flow_id=flow.pk)


def _forms(request, version, data=None):
    partner = request.user.partner
    settings = FlowSettingsForm(
        data,
        prefix="settings",
        initial={
            "score_field": version.score_field,
            "probability_of_default_field": version.probability_of_default_field,
            "reason_code_fields": version.reason_code_fields,
            "amount_field": version.amount_field,
            "score_offset": version.score_offset,
            "score_factor": version.score_factor,
            "change_note": version.change_note,
            "review_sla_hours": partner.review_sla_hours,
            "override_confirmation_amount": partner.override_confirmation_amount,
        },
    )
    blank = not version.cutoff_bands and not version.steps.exists()
    # A whole minimum reads as 700, not 700.0 (stored as a float).
    shown_bands = [
        {**band, "minimum": int(band["minimum"])}
        if isinstance(band.get("minimum"), float) and band["minimum"].is_integer()
        else band
        for band in version.cutoff_bands
    ]
    bands = (BlankBandFormSet if blank else BandFormSet)(data, prefix="bands", initial=shown_bands)
    steps = (BlankStepFormSet if blank else StepFormSet)(
        data,
        prefix="steps",
        initial=[step_initial(step) for step in version.steps.order_by("position")],
        form_kwargs={"partner": partner},
    )
    return settings, bands, steps


def _save(request, version, settings, bands, steps):
    if not (settings.is_valid() and bands.is_valid() and steps.is_valid()):
        messages.error(request, "Some fields are not valid; see the messages beside them.")
        return False
    data = settings.cleaned_data
    kept_bands = [
        {"minimum": form.cleaned_data.get("minimum"), "outcome": form.cleaned_data["outcome"]}
        for form in bands.forms
        if form.cleaned_data.get("outcome") and not form.cleaned_data.get("DELETE")
    ]
    kept_steps = [
        step_payload(form.cleaned_data)
        for form in steps.forms
        if form.cleaned_data.get("kind") and form.cleaned_data.get("target") and not form.cleaned_data.get("DELETE")
    ]
    try:
        services.flow_version_steps_replace(version=version, actor=request.user, steps=kept_steps)
        services.flow_version_update_draft(
            version=version,
            actor=request.user,
            score_field=data["score_field"],
            probability_of_default_field=data["probability_of_default_field"] or "",
            reason_code_fields=list(data["reason_code_fields"]),
            amount_field=data["amount_field"],
            score_offset=data["score_offset"],
            score_factor=data["score_factor"],
            change_note=data["change_note"],
            cutoff_bands=kept_bands,
        )
        services.partner_decision_settings_update(
            partner=request.user.partner,
            actor=request.user,
            review_sla_hours=data["review_sla_hours"],
            override_confirmation_amount=data["override_confirmation_amount"],
        )
    except DomainError as error:
        _error_messages(request, error)
        return False
    return True


@flow_reader_required
def version_detail(request, version_id):
    version = _found(selectors.flow_version_get, partner=request.user.partner, user=request.user, version_id=version_id)
    user = request.user
    editable = version.status == FlowVersionStatus.DRAFT and user.has_any_role(*FLOW_AUTHORS)
    if request.method == "POST":
        return _version_action(request, version, editable)
    settings, bands, steps = _forms(request, version)
    return _render_version(request, version, editable, settings, bands, steps)


def _render_version(request, version, editable, settings, bands, steps):
    user = request.user
    effective = selectors.flow_version_effective(flow=version.definition)
    return render(
        request,
        "flows/version.html",
        {
            "version": version,
            "flow": version.definition,
            "editable": editable,
            "settings_form": settings,
            "band_forms": bands,
            "step_forms": steps,
            "steps": version.steps.select_related("ruleset", "model", "ruleset_version").order_by("position"),
            "problems": [
                {"where": where_on_the_page(problem.field), "message": problem.message}
                for problem in services.flow_version_problems(version=version)
            ],
            # A backtest compares with the published version: a flow's first draft has none, and
            # the version deciding now has nothing to be compared with but itself.
            "can_backtest": user.has_any_role(*BACKTEST_ROLES)
            and version.status != FlowVersionStatus.RETIRED
            and effective is not None
            and effective.pk != version.pk,
            "can_approve": user.has_any_role(*FLOW_APPROVERS)
            and version.status == FlowVersionStatus.IN_REVIEW
            and version.created_by_id != user.pk,
            "can_publish": user.has_any_role(*FLOW_APPROVERS)
            and version.status == FlowVersionStatus.APPROVED
            and version.created_by_id != user.pk,
            "can_submit": editable,
        },
    )


def _version_action(request, version, editable):
    action = request.POST.get("action", "")
    user = request.user
    try:
        if action in ("save", "submit"):
            if not editable:
                raise NotPermitted("Only the partner admin edits a draft.")
            settings, bands, steps = _forms(request, version, request.POST)
            if not _save(request, version, settings, bands, steps):
                return _render_version(request, version, editable, settings, bands, steps)
            if action == "submit":
                services.flow_version_submit(version=version, actor=user, note=request.POST.get("note", ""))
                messages.success(request, f"{version} is submitted for review.")
            else:
                messages.success(request, f"{version} is saved.")
        elif action == "approve":
            version = services.flow_version_approve(version=version, actor=user, note=request.POST.get("note", ""))
            version = services.flow_version_publish(version=version, actor=user)
            messages.success(
                request,
                f"{version} is approved and published; it decides from {version.effective_from:%Y-%m-%d %H:%M %Z}.",
            )
        elif action == "reject":
            services.flow_version_reject(version=version, actor=user, note=request.POST.get("note", ""))
            messages.success(request, f"{version} is sent back to draft.")
        else:
            messages.error(request, "Unknown action.")
    except DomainError as error:
        _error_messages(request, error)
    return redirect("flows:version", version_id=version.pk)


@require_POST
@flow_reader_required
def backtest_start(request, version_id):
    version = _found(selectors.flow_version_get, partner=request.user.partner, user=request.user, version_id=version_id)
    if not request.user.has_any_role(*BACKTEST_ROLES):
        raise PermissionDenied("Only partner admins, rule approvers and rule editors run backtests.")
    try:
        backtest = services.backtest_create(flow=version.definition, actor=request.user, candidate=version)
    except DomainError as error:
        _error_messages(request, error)
        return redirect("flows:version", version_id=version.pk)
    return redirect("flows:backtest", backtest_id=backtest.pk)


@require_GET
@flow_reader_required
def backtest_detail(request, backtest_id):
    backtest = _found(selectors.backtest_get, partner=request.user.partner, user=request.user, backtest_id=backtest_id)
    report = backtest.report or {}
    arms = report.get("arms", {})
    rows = []
    for outcome in ("APPROVED", "DECLINED", "REFERRED", "ERROR"):
        before, after = (
            arms.get("baseline", {}).get("rates", {}).get(outcome),
            arms.get("candidate", {}).get("rates", {}).get(outcome),
        )
        rows.append(
            {
                "outcome": outcome,
                "baseline": before,
                "candidate": after,
                "change": (after - before) if before is not None and after is not None else None,
            }
        )
    hits = [(name, label, counts) for name, arm in arms.items() for label, counts in arm["ruleHits"].items() if counts]
    return render(
        request,
        "flows/backtest.html",
        {
            "backtest": backtest,
            "report": report,
            "rates": rows,
            "hits": hits,
            # Examples name applications: shown to those who read every decision (decisioning/selectors.py).
            "show_examples": request.user.has_any_role(*selectors.RECORD_READERS_ALL),
            "chart": charts.score_histogram_svg(report) if report else "",
        },
    )


@require_GET
@flow_reader_required
def backtest_progress(request, backtest_id):
    backtest = _found(selectors.backtest_get, partner=request.user.partner, user=request.user, backtest_id=backtest_id)
    return JsonResponse(
        {
            "status": backtest.status,
            "progress": backtest.progress,
            "processed": backtest.processed,
            "total": backtest.total,
            "error": backtest.error or None,
        }
    )
