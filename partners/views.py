"""The product's pages outside the review queue: home per role, the partner admin's overview,
people and API tokens, and the auditor's page. They translate HTTP to services and selectors."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from core.exceptions import ArgumentError, ArgumentErrors
from core.selectors import audit_event_list
from decisioning.selectors import decision_list
from modelregistry import selectors as registry_selectors
from modelregistry import services as registry_services
from modelregistry.dictionary_csv import MAX_BYTES

from . import roles, selectors, services

PARTNER_HOMES = {
    roles.UNDERWRITER: "/review/",
    roles.RULE_EDITOR: "/admin/rulesets/ruleset/",
    roles.RULE_APPROVER: "/admin/rulesets/ruleset/",
    roles.DATA_SCIENTIST: "/admin/modelregistry/predictivemodel/",
    roles.AUDITOR: "/audit/",
    roles.PARTNER_ADMIN: "/overview/",
    roles.RISK_MANAGER: "/portfolio/jobs/",
}
# Rule editing and approving share one home, so a person with both still has one place to go.
SAME_HOME = {roles.RULE_APPROVER: roles.RULE_EDITOR}


def partner_member_required(*allowed):
    """Logged-in people of a partner with one of `allowed` roles (any role when none given)."""

    def decorate(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            user = request.user
            if user.partner_id is None or (allowed and not user.has_any_role(*allowed)):
                raise PermissionDenied("Your role does not open this page.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def home_for(user):
    """Where a signed-in user starts: their role's page; the overview for several roles or a partner admin."""
    if user.partner_id is None:
        return "/admin/"
    people_roles = {SAME_HOME.get(role, role) for role in user.role_names() if role in PARTNER_HOMES}
    if roles.PARTNER_ADMIN in people_roles or len(people_roles) != 1:
        return "/overview/"
    return PARTNER_HOMES[people_roles.pop()]


@require_GET
@login_required
def home(request):
    return redirect(home_for(request.user))


def _links_for(user):
    """The product's areas this user may open, in the navigation bar's order."""
    every = user.has_any_role(roles.PARTNER_ADMIN)
    links = []
    if user.has_any_role(roles.UNDERWRITER):  # the queue is the underwriters' alone (others read /audit/)
        links.append(("Review queue", "/review/", "Referred applications waiting for an underwriter."))
    if every or user.has_any_role(roles.RULE_EDITOR, roles.RULE_APPROVER, roles.DATA_SCIENTIST):
        links.append(("Rulesets", "/admin/rulesets/ruleset/", "Decision tables: drafts, review, publication."))
    if every or user.has_any_role(roles.RULE_EDITOR, roles.RULE_APPROVER, roles.DATA_SCIENTIST, roles.AUDITOR):
        links.append(("Decision flows", "/flows/", "Flow versions, backtests and challengers."))
    if every or user.has_any_role(roles.DATA_SCIENTIST):
        links.append(("Models", "/admin/modelregistry/predictivemodel/", "Registered models and their field mapping."))
        links.append(("Data dictionary", "/dictionary/", "The shared vocabulary; CSV import and export."))
        links.append(("Training", "/training/", "Train a model on historical loans and register it."))
    if every or user.has_any_role(roles.UNDERWRITER, roles.DATA_SCIENTIST, roles.RISK_MANAGER):
        links.append(("What-if", "/what-if/", "Try an application on a flow or a model; nothing is kept."))
    if every or user.has_any_role(roles.RISK_MANAGER, roles.AUDITOR):
        links.append(("Monitoring", "/monitoring/", "Decisions over time, drift, overrides and the fairness report."))
    if every or user.has_any_role(roles.DATA_SCIENTIST, roles.RISK_MANAGER, roles.AUDITOR):
        links.append(
            ("Batch predictions", "/batch-predictions/", "Score a CSV of applications with a model or a flow.")
        )
    if every or user.has_any_role(roles.AUDITOR):
        links.append(("Audit", "/audit/", "Every decision and every change, on the record."))
    if user.has_any_role(roles.RISK_MANAGER, roles.AUDITOR):  # the portfolio's readers (portfolio/selectors.py)
        links.append(("Portfolio", "/portfolio/jobs/", "Re-evaluations of the loan book: migration, drift, warnings."))
    if every:
        links.append(("People & tokens", "/people/", "Add people with roles; tokens for your systems."))
    links.append(("API docs", "/api/docs/", "The REST API (OpenAPI)."))
    return links


@require_GET
@partner_member_required()
def overview(request):
    user = request.user
    first_steps = selectors.partner_first_steps(partner=user.partner) if user.has_any_role(roles.PARTNER_ADMIN) else []
    return render(
        request,
        "partners/overview.html",
        # The checklist shows until the partner's first flow decides.
        {
            "links": _links_for(user),
            "first_steps": first_steps if not all(s[2] for s in first_steps) else [],
            "role_labels": sorted(name.replace("_", " ").capitalize() for name in user.role_names()),
            "system_only": user.role_names() == {roles.PARTNER_SYSTEM},
        },
    )


ASSIGNABLE_ROLES = [(name, roles.DESCRIPTIONS[name]) for name in roles.ALL]


@require_GET
@partner_member_required(roles.PARTNER_ADMIN)
def people(request):
    return render(
        request,
        "partners/people.html",
        {
            "people": selectors.user_list(partner=request.user.partner),
            "roles": ASSIGNABLE_ROLES,
            "new_token": request.session.pop("new_api_token", None),
            "new_password": request.session.pop("new_password", None),
        },
    )


@require_POST
@partner_member_required(roles.PARTNER_ADMIN)
def person_add(request):
    try:
        user, password = services.user_create(
            partner=request.user.partner,
            username=request.POST.get("username", "").strip(),
            email=request.POST.get("email", "").strip(),
            roles=request.POST.getlist("roles"),
            actor=request.user,
        )
    except ArgumentError as error:
        messages.error(request, error.message)
    else:
        request.session["new_password"] = {"username": user.username, "password": password}
        messages.success(request, f"{user.username} added.")
    return redirect("partners:people")


@require_POST
@partner_member_required(roles.PARTNER_ADMIN)
def token_create(request):
    try:
        user = selectors.user_get(partner=request.user.partner, user_id=request.POST.get("user"))
        key = services.api_token_create(user=user, actor=request.user)
    except ArgumentError as error:
        messages.error(request, error.message)
    else:
        request.session["new_api_token"] = {"username": user.username, "key": key}
    return redirect("partners:people")


@require_GET
@partner_member_required(roles.AUDITOR, roles.PARTNER_ADMIN)
def audit(request):
    partner = request.user.partner
    decisions = Paginator(decision_list(partner=partner, user=request.user).order_by("-created"), 25)
    events = Paginator(audit_event_list(partner=partner).order_by("-pk"), 25)
    return render(
        request,
        "partners/audit.html",
        {
            "decisions": decisions.get_page(request.GET.get("decisions")),
            "events": events.get_page(request.GET.get("events")),
        },
    )


@require_GET
@partner_member_required(roles.DATA_SCIENTIST, roles.PARTNER_ADMIN)
def dictionary(request):
    return render(
        request,
        "partners/dictionary.html",
        {
            "entries": registry_selectors.data_dictionary_list(),
            "row_errors": request.session.pop("dictionary_errors", None),
        },
    )


@require_GET
@partner_member_required(roles.DATA_SCIENTIST, roles.PARTNER_ADMIN)
def dictionary_export(request):
    response = HttpResponse(registry_selectors.data_dictionary_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="data_dictionary.csv"'
    return response


@require_POST
@partner_member_required(roles.DATA_SCIENTIST, roles.PARTNER_ADMIN)
def dictionary_import(request):
    upload = request.FILES.get("file")
    if upload is None or upload.size > MAX_BYTES:
        messages.error(request, f"Choose a CSV file of at most {MAX_BYTES:,} bytes.")
        return redirect("partners:dictionary")
    try:
        text = upload.read().decode("utf-8-sig")
        result = registry_services.data_dictionary_import_csv(text=text, actor=request.user)
    except UnicodeDecodeError:
        messages.error(request, "The file is not UTF-8 text.")
    except ArgumentErrors as errors:
        request.session["dictionary_errors"] = [
            {"row": error.field[1], "column": error.field[2], "message": error.message} for error in errors.errors
        ]
        messages.error(request, f"Nothing imported: {len(errors.errors)} problem(s) in the file.")
    except ArgumentError as error:
        messages.error(request, f"Nothing imported: {error.message}")
    else:
        messages.success(
            request,
            f"Imported: {len(result.created)} added, {len(result.updated)} updated, "
            f"{len(result.unchanged)} already there and left as they are.",
        )
    return redirect("partners:dictionary")
