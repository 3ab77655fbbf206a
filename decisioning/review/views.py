"""Pages of the review queue: translate HTTP to selectors and services, and domain errors to messages."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from core.exceptions import ArgumentError, DomainError, NotFound
from modelregistry import display
from partners import roles

from .. import explanations
from ..models import Outcome, ReviewActionKind, ReviewStatus
from . import selectors, services

QUEUE_VIEWS = (
    ("open", "Open"),
    ("mine", "Mine"),
    ("overdue", "Overdue"),
    ("pending", "Pending confirmation"),
    ("all", "All"),
)
PAGE_SIZE = 20
SCORE_BANDS = {
    "APPROVE": "the score alone would approve",
    "REFER": "the score alone falls in the band that is always referred",
    "DECLINE": "the score alone would decline",
}
FIELD_LABELS = {"note": "Note", "reasonCodes": "Reason codes", "outcome": "Outcome"}


def underwriter_required(view):
    """Logged-in underwriters of a partner only; everyone else gets 403."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.user.partner_id is None or not request.user.has_any_role(roles.UNDERWRITER):
            raise PermissionDenied("Only underwriters work the review queue.")
        return view(request, *args, **kwargs)

    return wrapped


def _case_or_404(request, case_id):
    try:
        return selectors.review_case_get(partner=request.user.partner, case_id=case_id)
    except NotFound:
        raise Http404("No such review case.") from None


def _amount(decision):
    return (decision.application or {}).get(decision.flow.amount_field)


def _percent(value):
    try:
        return float(value) * 100
    except (TypeError, ValueError):
        return None


def _notice_texts(partner):
    return dict(selectors.reason_code_catalogue(partner=partner).values_list("code", "notice_text"))


def _reason_texts(catalogue, codes, fallback=()):
    """[(code, text)] for `codes`, texts from the partner's catalogue, else from the decision's outputs."""
    known = {r.get("code"): r.get("text", "") for r in fallback if isinstance(r, dict)}
    return [(code, catalogue.get(code) or known.get(code, "")) for code in codes]


@require_GET
@underwriter_required
def queue(request):
    view = request.GET.get("view", "open")
    if view not in dict(QUEUE_VIEWS) and view != "all":
        view = "open"
    now = timezone.now()
    catalogue = _notice_texts(request.user.partner)
    search = {
        "external_id": request.GET.get("external_id", "").strip()[:200],
        "outcome": request.GET.get("outcome", "") if request.GET.get("outcome") in Outcome.values else "",
        "created_from": parse_date(request.GET.get("created_from", "")[:10] or "")
        if _is_date(request.GET.get("created_from"))
        else None,
        "created_to": parse_date(request.GET.get("created_to", "")[:10] or "")
        if _is_date(request.GET.get("created_to"))
        else None,
    }
    cases = selectors.review_case_list(partner=request.user.partner, user=request.user, view=view, **search)
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    amount_fields = {case.decision.flow.amount_field for case in page}
    dictionary = display.dictionary_of(amount_fields)
    rows = [
        {
            "case": case,
            "amount": _amount(case.decision),
            "amount_text": display.format_value(
                dictionary.get(case.decision.flow.amount_field), _amount(case.decision)
            ),
            "referral_reasons": _reason_texts(catalogue, case.referral_reasons),
            "is_overdue": case.status != ReviewStatus.DECIDED and case.due_at < now,
        }
        for case in page
    ]
    query = {key: value for key, value in request.GET.items() if key != "page" and value}
    return render(
        request,
        "review/queue.html",
        {
            "rows": rows,
            "view": view,
            "queue_views": QUEUE_VIEWS,
            "page": page,
            "search": search,
            "outcomes": Outcome.choices,
            "query": urlencode(query),
            "search_query": urlencode({key: value for key, value in query.items() if key != "view"}),
        },
    )


def _is_date(text):
    try:
        return bool(text) and parse_date(text[:10]) is not None
    except ValueError:
        return False


@require_GET
@underwriter_required
def case_detail(request, case_id):
    return _case_page(request, _case_or_404(request, case_id))


def _case_page(request, case, *, draft=None):
    """The case page; `draft` is what the underwriter typed into a decision that was refused.

    The draft goes into this response only: nothing of it (the note, the outcome) is kept in the
    session, which Django stores readable in `django_session`.
    """
    decision = case.decision
    outputs = decision.outputs or {}
    user = request.user
    history = list(selectors.review_case_history(case=case))
    steps = [
        {
            "number": step.step_position + 1 if step.step_position is not None else None,
            "kind": step.step_kind,
            "model": step.model,
            "status": step.status,
            # [(label, dictionary name, value as formatted by the dictionary)], as the application is shown
            "results": display.labelled(step.results or {}),
            "error": step.error,
            "duration_us": step.duration_us,
            "explanation": explanations.labelled(step.explanation, values=decision.application or {}),
        }
        for step in decision.steps.select_related("model").order_by("step_position", "created")
    ]
    for step in steps:
        if step["explanation"]:
            step["chart"] = explanations.contribution_chart_svg(
                step["explanation"], title=f"Contributions to {step['model'].name} v{step['model'].version}"
            )
    context = {
        "case": case,
        "decision": decision,
        "amount": _amount(decision),
        "application": display.labelled(decision.application or {}),
        "amount_text": display.format_value(
            display.dictionary_of([decision.flow.amount_field]).get(decision.flow.amount_field), _amount(decision)
        ),
        "score_text": display.format_value(
            display.dictionary_of([decision.flow.score_field]).get(decision.flow.score_field), outputs.get("score")
        ),
        "score_band_explained": SCORE_BANDS.get(case.score_band, ""),
        "outputs": outputs,
        "reasons": outputs.get("reasons") or [],
        "probability_of_default_percent": _percent(outputs.get("probabilityOfDefault")),
        "steps": steps,
        "referral_reasons": _reason_texts(
            _notice_texts(case.partner), case.referral_reasons, outputs.get("referralReasons") or []
        ),
        "history": history,
        "confirmation": next((a for a in reversed(history) if a.action == ReviewActionKind.CONFIRM), None),
        "catalogue": selectors.reason_code_catalogue(partner=case.partner),
        "is_overdue": case.status != ReviewStatus.DECIDED and case.due_at < timezone.now(),
        "is_assignee": case.assigned_to_id == user.pk,
        "can_claim": case.status == ReviewStatus.OPEN,
        "can_work": case.status == ReviewStatus.CLAIMED and case.assigned_to_id == user.pk,
        "can_confirm": case.status == ReviewStatus.PENDING_CONFIRMATION and case.proposed_by_id != user.pk,
        "awaiting_other": case.status == ReviewStatus.PENDING_CONFIRMATION and case.proposed_by_id == user.pk,
        "override_limit": case.partner.override_confirmation_amount,
        "outcomes": (Outcome.APPROVED, Outcome.DECLINED),
        "draft": draft or {},
    }
    return render(request, "review/case.html", context)


def _act(request, case_id, perform, success):
    """Run `perform(case)`; `success(result)` gives (level, text) for the message. Returns (result, case)."""
    case = _case_or_404(request, case_id)
    try:
        result = perform(case)
    except NotFound:
        raise Http404("No such review case.") from None
    except ArgumentError as error:
        label = FIELD_LABELS.get(error.field[-1], error.field[-1])
        messages.error(request, f"{label}: {error.message}")
        return None, case
    except DomainError as error:
        messages.error(request, error.message)
        return None, case
    level, text = success(result)
    messages.add_message(request, level, text)
    return result, case


def _saying(text):
    return lambda result: (messages.SUCCESS, text)


@require_POST
@underwriter_required
def claim(request, case_id):
    _, case = _act(
        request,
        case_id,
        lambda case: services.review_case_claim(case=case, actor=request.user),
        _saying("You claimed the case."),
    )
    return redirect("review:case", case_id=case.pk)


@require_POST
@underwriter_required
def release(request, case_id):
    _, case = _act(
        request,
        case_id,
        lambda case: services.review_case_release(case=case, actor=request.user),
        _saying("You released the case back to the queue."),
    )
    return redirect("review:case", case_id=case.pk)


def _decided_message(case):
    if case.status == ReviewStatus.PENDING_CONFIRMATION:
        return messages.WARNING, (
            f"Override proposed: {case.proposed_outcome.lower()} needs a second underwriter's confirmation "
            f"because the amount is above {case.partner.override_confirmation_amount:,.2f}."
        )
    return messages.SUCCESS, f"Decided: {case.decided_outcome.lower()}."


@require_POST
@underwriter_required
def decide(request, case_id):
    outcome = request.POST.get("outcome", "")
    note = request.POST.get("note", "")
    reason_codes = request.POST.getlist("reason_codes")
    decided, case = _act(
        request,
        case_id,
        lambda case: services.review_case_decide(
            case=case, actor=request.user, outcome=outcome, note=note, reason_codes=reason_codes
        ),
        _decided_message,
    )
    if decided is None:
        # Refused: the same response shows the error and keeps what was typed (see _case_page).
        return _case_page(
            request,
            _case_or_404(request, case_id),
            draft={"outcome": outcome, "note": note, "reason_codes": reason_codes},
        )
    return redirect("review:case", case_id=case.pk)


@require_POST
@underwriter_required
def confirm(request, case_id):
    _, case = _act(
        request,
        case_id,
        lambda case: services.review_case_confirm(case=case, actor=request.user),
        _saying("You confirmed the override; the decision now stands."),
    )
    return redirect("review:case", case_id=case.pk)
