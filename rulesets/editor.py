"""The decision-table editor in the admin: a page around dmn-js and the JSON calls it makes.

Every view is reached through the admin site (staff only), finds the version within the user's
partner (another partner's is 404), and calls a rulesets service or selector; domain errors
become the API's JSON error objects, so the page shows the same words the API would.
"""

import datetime
import json

from django.contrib import messages
from django.db import transaction
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from core.api.exceptions import _domain_errors
from core.exceptions import ArgumentError, DomainError, NotFound
from modelregistry import engines
from modelregistry.arguments import is_compatible
from modelregistry.models import DataDictionaryField, FieldType
from partners import roles
from rulesets.dmn import read_model, validation
from rulesets.dmn.errors import DmnError

from . import selectors, services
from .models import Ruleset, RulesetVersion, RulesetVersionStatus

MAX_BODY_BYTES = 2_500_000  # the XML limit of the services plus JSON overhead
DMN13_MODEL = "https://www.omg.org/spec/DMN/20191111/MODEL/"
# Namespaces whose tables read as DMN 1.3 tables (the writer keeps them; dmn-js 17 opens only 1.3).
SAME_TABLES_MODEL = (
    "http://www.omg.org/spec/DMN/20180521/MODEL/",
    "https://www.omg.org/spec/DMN/20211108/MODEL/",
    "https://www.omg.org/spec/DMN/20230324/MODEL/",
)
FEEL_TYPES = {"number": "number", "integer": "number", "string": "string", "boolean": "boolean", "date": "date"}


# ---------------------------------------------------------------- lookups and translation
def _version_for(request, version_id):
    if request.user.is_superuser:
        version = RulesetVersion.objects.select_related("ruleset", "author", "approver").filter(pk=version_id).first()
        if version is None:
            raise Http404("No such ruleset version.")
        return version
    try:
        return selectors.ruleset_version_get(partner=request.user.partner, version_id=version_id)
    except NotFound:
        raise Http404("No such ruleset version.") from None


def _ruleset_for(request, ruleset_id):
    if request.user.is_superuser:
        ruleset = Ruleset.objects.filter(pk=ruleset_id).first()
        if ruleset is None:
            raise Http404("No such ruleset.")
        return ruleset
    try:
        return selectors.ruleset_get(partner=request.user.partner, ruleset_id=ruleset_id)
    except NotFound:
        raise Http404("No such ruleset.") from None


def _error_response(error):
    status, errors = _domain_errors(error) or (400, [{"status": "400", "code": error.code, "detail": error.message}])
    return JsonResponse({"errors": errors}, status=status)


def _body(request):
    if len(request.body) > MAX_BODY_BYTES:
        raise ArgumentError("dmnXml", f"The request is larger than {MAX_BODY_BYTES:,} bytes.")
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise ArgumentError("body", "Send a JSON object.") from None
    if not isinstance(body, dict):
        raise ArgumentError("body", "Send a JSON object.")
    return body


def _text(body, name, *, required=False):
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise ArgumentError(name, f"Give {name} as text.")
    return value


def json_view(view):
    """Domain errors and bad bodies as JSON error objects, never a 500 or an HTML page."""

    def wrapped(request, *args, **kwargs):
        try:
            with transaction.atomic():
                return view(request, *args, **kwargs)
        except DomainError as error:
            return _error_response(error)

    wrapped.__name__ = view.__name__
    return wrapped


# ---------------------------------------------------------------- validation, as the page shows it
def dictionary_domains():
    """{name: data_type} and {name: FEEL unary tests} of the dictionary, for the validation engine."""
    known, domains = {}, {}
    for field in DataDictionaryField.objects.all():
        known[field.name] = field.data_type
        if field.allowed_values:
            domains[field.name] = ", ".join(json.dumps(str(value)) for value in field.allowed_values)
        elif field.minimum is not None and field.maximum is not None:
            domains[field.name] = f"[{field.minimum!r}..{field.maximum!r}]"
        elif field.minimum is not None:
            domains[field.name] = f">= {field.minimum!r}"
        elif field.maximum is not None:
            domains[field.name] = f"<= {field.maximum!r}"
    return known, domains


def validation_messages(version, dmn_xml):
    """The validation engine's messages on `dmn_xml`: inputs must be dictionary fields, or names the
    version or the ruleset's published version maps onto one (checked against that field's type)."""
    known, domains = dictionary_domains()
    aliases = dict(version.field_mapping or {})
    previous = (
        RulesetVersion.objects.filter(ruleset_id=version.ruleset_id, published_model__isnull=False)
        .exclude(pk=version.pk)
        .select_related("published_model")
        .order_by("-number")
        .first()
    )
    if previous is not None:
        for name, target in previous.published_model.fields.filter(supported_field__isnull=False).values_list(
            "name", "supported_field__name"
        ):
            aliases.setdefault(name, target)
    for name, target in aliases.items():
        if target in known:
            known.setdefault(name, known[target])
            if target in domains:
                domains.setdefault(name, domains[target])
    try:
        imports = selectors.dmn_xml_imports(partner=version.ruleset.partner, dmn_xml=dmn_xml)
    except ArgumentError as error:  # an import found nowhere: said beside the table, like any load error
        return [validation.Message(validation.ERROR, "model", error.message).as_dict()]
    messages = validation.validate(
        dmn_xml, known_inputs=known, input_domains=domains, import_resolver=engines.dmn_import_resolver(imports)
    )
    return [message.as_dict() for message in messages]


def editable_xml(dmn_xml):
    """(XML dmn-js can open, note or None): dmn-js 17 opens DMN 1.3 only, so other versions are
    written out as DMN 1.3 (the registry's own export); saving then stores DMN 1.3."""
    try:
        namespace = read_model(dmn_xml).xml_namespace
    except DmnError:
        return dmn_xml, None  # the page shows why it does not open; validation names the error
    if namespace in (None, DMN13_MODEL):
        return dmn_xml, None
    try:
        converted = engines.dmn_export(dmn_xml, export_format="dmn")
    except (DmnError, DomainError):
        return dmn_xml, None
    for other in SAME_TABLES_MODEL:
        converted = converted.replace(other, DMN13_MODEL)
    return converted, (
        "This file is not DMN 1.3: the editor shows it as DMN 1.3 (same tables and decisions), "
        "and saving stores DMN 1.3."
    )


def _version_state(version):
    return {
        "id": str(version.pk),
        "number": version.number,
        "status": version.status,
        "statusDisplay": version.get_status_display(),
        "sha256": version.sha256,
    }


# ---------------------------------------------------------------- pages
def open_editor(model_admin, request, ruleset_id):
    """The ruleset's draft, or the version under review; once the latest is published, a new draft of it."""
    ruleset = _ruleset_for(request, ruleset_id)
    latest = selectors.ruleset_version_latest(ruleset=ruleset)
    if latest is None:
        raise Http404("The ruleset has no version yet.")
    target = latest
    may_author = request.user.is_superuser or request.user.has_any_role(*services.AUTHOR_ROLES)
    if latest.status in (RulesetVersionStatus.PUBLISHED, RulesetVersionStatus.RETIRED) and may_author:
        try:
            target = services.ruleset_version_create_draft(ruleset=ruleset, actor=request.user, based_on=latest)
        except DomainError as error:
            model_admin.message_user(request, error.message, level="error")
            return redirect(reverse("admin:rulesets_ruleset_change", args=[ruleset.pk]))
    return redirect(reverse("admin:rulesets_ruleset_editor", args=[target.pk]))


def mapping_rows(version, dictionary_fields):
    """Each DMN input and result with the dictionary field it maps to and the fields it may map to.

    Choices are the dictionary fields of a compatible type (never a protected characteristic as an
    input), labelled by their labels; nothing when the DMN does not load (validation says why).
    """
    try:
        rows = selectors.ruleset_version_field_mapping(version=version)
    except DomainError:
        return []
    explicit = version.field_mapping or {}
    for row in rows:
        row["explicit"] = explicit.get(row["name"], "")
        row["choices"] = [
            (field.name, f"{field.name} ({field.label})" if field.label else field.name)
            for field in dictionary_fields
            if is_compatible(row["dataType"], field.data_type, row["fieldType"])
            and not (field.protected and row["fieldType"] == FieldType.ARGUMENT)
        ]
    return rows


def editor_page(model_admin, request, version_id):
    version = _version_for(request, version_id)
    user = request.user
    is_author_role = user.is_superuser or user.has_any_role(*services.AUTHOR_ROLES)
    is_approver = user.has_any_role(roles.RULE_APPROVER)
    dictionary_fields = list(DataDictionaryField.objects.order_by("name"))
    dictionary = [
        {
            "name": f.name,
            "dataType": f.data_type,
            "typeRef": FEEL_TYPES.get(f.data_type, ""),
            "description": f.description,
            "protected": f.protected,
        }
        for f in dictionary_fields
    ]
    cases = list(version.ruleset.test_cases.order_by("name"))
    dmn_xml, conversion_note = editable_xml(version.dmn_xml)
    rows = mapping_rows(version, dictionary_fields)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": f"{version.ruleset.name}: version {version.number}",
        "version": version,
        "ruleset": version.ruleset,
        "versions": version.ruleset.versions.select_related("author", "approver").order_by("-number"),
        "transitions": selectors.ruleset_version_transitions(version=version),
        "test_cases": cases,
        "can_edit": version.status == RulesetVersionStatus.DRAFT and is_author_role,
        "can_review": version.status == RulesetVersionStatus.IN_REVIEW and is_approver and version.author_id != user.pk,
        "is_author_blocked": version.status == RulesetVersionStatus.IN_REVIEW
        and is_approver
        and version.author_id == user.pk,
        "conversion_note": conversion_note,
        "mapping_rows": rows,
        "editor_data": {
            "mapping": {row["name"]: row["supportedFieldName"] for row in rows if row["supportedFieldName"]},
            "dmnXml": dmn_xml,
            "version": _version_state(version),
            "dictionary": dictionary,
            "urls": {
                name: reverse(f"admin:rulesets_ruleset_editor_{name}", args=[version.pk])
                for name in ("save", "validate", "test_run", "submit", "approve", "reject")
            },
            "defaultEffectiveFrom": timezone.localtime().strftime("%Y-%m-%dT%H:%M:%S"),
        },
    }
    return TemplateResponse(request, "rulesets/editor.html", context)


def save_mapping(model_admin, request, version_id):
    """The mapping form beside the editor: `map:<DMN name>` = a dictionary name, or empty for the
    default (the published version's mapping, else the dictionary field of the same name)."""
    version = _version_for(request, version_id)
    mapping = {
        key.removeprefix("map:"): value.strip()
        for key, value in request.POST.items()
        if key.startswith("map:") and value.strip()
    }
    try:
        services.ruleset_version_update_draft(version=version, actor=request.user, field_mapping=mapping)
    except DomainError as error:
        problems = getattr(error, "errors", None) or [error]
        for problem in problems:
            column = problem.field[-1] if getattr(problem, "field", None) else ""  # the DMN name
            model_admin.message_user(
                request, f"Mapping not saved: {column + ': ' if column else ''}{problem.message}", level=messages.ERROR
            )
    else:
        unmapped = [row["name"] for row in selectors.ruleset_version_field_mapping(version=version) if row["problem"]]
        if unmapped:
            model_admin.message_user(
                request, f"Mapping saved; still unmapped: {', '.join(unmapped)}.", level=messages.WARNING
            )
        else:
            model_admin.message_user(request, "Mapping saved: every column maps onto the data dictionary.")
    return redirect(reverse("admin:rulesets_ruleset_editor", args=[version.pk]))


# ---------------------------------------------------------------- JSON calls
@json_view
def save_draft(model_admin, request, version_id):
    version = _version_for(request, version_id)
    body = _body(request)
    dmn_xml = _text(body, "dmnXml", required=True)
    version = services.ruleset_version_update_draft(
        version=version, actor=request.user, dmn_xml=dmn_xml, change_note=_text(body, "changeNote")
    )
    return JsonResponse(
        {"saved": True, "version": _version_state(version), "messages": validation_messages(version, version.dmn_xml)}
    )


@json_view
def validate(model_admin, request, version_id):
    version = _version_for(request, version_id)
    dmn_xml = version.dmn_xml
    if request.method == "POST":
        dmn_xml = _text(_body(request), "dmnXml") or dmn_xml
        if len(dmn_xml) > services.MAX_DMN_XML_CHARS:
            raise ArgumentError("dmnXml", f"The DMN XML is longer than {services.MAX_DMN_XML_CHARS:,} characters.")
    return JsonResponse({"messages": validation_messages(version, dmn_xml)})


@json_view
def test_run(model_admin, request, version_id):
    version = _version_for(request, version_id)
    run = services.ruleset_version_test_run(version=version)
    return JsonResponse(
        {
            "passed": run.passed,
            "results": [
                {
                    "name": result.case.name,
                    "passed": result.passed,
                    "expected": result.expected,
                    "actual": result.actual,
                    "mismatches": result.mismatches,
                    "error": result.error,
                    "summary": result.summary(),
                }
                for result in run.results
            ],
        },
        json_dumps_params={"default": str},
    )


@json_view
def submit(model_admin, request, version_id):
    version = _version_for(request, version_id)
    version = services.ruleset_version_submit(
        version=version, actor=request.user, note=_text(_body(request), "note") or ""
    )
    return JsonResponse({"version": _version_state(version)})


@json_view
def approve(model_admin, request, version_id):
    """Approve with the moment it takes effect, and publish it: from then on decisions use it."""
    version = _version_for(request, version_id)
    body = _body(request)
    effective_from = _effective_from(_text(body, "effectiveFrom", required=True))
    version = services.ruleset_version_approve_and_publish(
        version=version, actor=request.user, effective_from=effective_from, note=_text(body, "note") or ""
    )
    return JsonResponse({"version": _version_state(version), "effectiveFrom": version.effective_from.isoformat()})


def _effective_from(text):
    value = parse_datetime(text.strip()) if text.strip() else None
    if value is None:
        try:
            value = datetime.datetime.fromisoformat(text.strip())
        except ValueError:
            raise ArgumentError(
                "effectiveFrom", "Give the date and time from which the version takes effect, e.g. 2026-12-01T00:00."
            ) from None
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


@json_view
def reject(model_admin, request, version_id):
    version = _version_for(request, version_id)
    version = services.ruleset_version_reject(
        version=version, actor=request.user, note=_text(_body(request), "note") or ""
    )
    return JsonResponse({"version": _version_state(version)})
