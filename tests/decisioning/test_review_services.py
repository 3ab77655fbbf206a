from decimal import Decimal

import pytest

from core.exceptions import ArgumentError, Conflict, NotFound, NotPermitted
from core.models import AuditEvent
from decisioning.models import Decision, ReviewAction, ReviewStatus
from decisioning.review.selectors import review_case_get, review_case_history, review_case_list
from decisioning.review.services import (
    review_case_claim,
    review_case_confirm,
    review_case_decide,
    review_case_release,
)
from tests.factories import DecisionFactory, ReasonCodeFactory, ReviewCaseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def underwriter(partner, make_user):
    return make_user(partner, "underwriter", username="uma")


@pytest.fixture
def second_underwriter(partner, make_user):
    return make_user(partner, "underwriter", username="sam")


@pytest.fixture
def catalogue(partner):
    return [ReasonCodeFactory(partner=partner, code=code) for code in ("RC01", "RC02", "KO03")]


def a_case(partner, *, amount=30000.0, flow_outcome="REFERRED", cutoff="DECLINE", **attributes):
    decision = DecisionFactory(
        partner=partner,
        outcome=flow_outcome,
        final_outcome=flow_outcome,
        application={"fundedAmount": amount, "annualIncome": 52000.0},
        outputs={"score": 555, "cutoff": cutoff, "reasons": [], "referralReasons": []},
    )
    return ReviewCaseFactory(partner=partner, decision=decision, **attributes)


def test_claim_assigns_the_case_and_records_who_and_when(partner, underwriter):
    case = a_case(partner)
    claimed = review_case_claim(case=case, actor=underwriter)
    assert (claimed.status, claimed.assigned_to) == (ReviewStatus.CLAIMED, underwriter)
    action = ReviewAction.objects.get(case=case)
    assert (action.action, action.actor, action.created is not None) == ("claim", underwriter, True)
    event = AuditEvent.objects.get(action="review_case.claim")
    assert (event.actor, event.partner, event.object_id) == (underwriter, partner, str(case.pk))


def test_claiming_a_case_someone_else_claimed_is_a_conflict(partner, underwriter, second_underwriter):
    case = a_case(partner)
    review_case_claim(case=case, actor=underwriter)
    with pytest.raises(Conflict):
        review_case_claim(case=case, actor=second_underwriter)
    assert ReviewAction.objects.filter(case=case).count() == 1


def test_release_by_the_assignee_reopens_the_case(partner, underwriter):
    case = review_case_claim(case=a_case(partner), actor=underwriter)
    released = review_case_release(case=case, actor=underwriter)
    assert (released.status, released.assigned_to) == (ReviewStatus.OPEN, None)
    assert [a.action for a in review_case_history(case=case)] == ["claim", "release"]
    assert AuditEvent.objects.filter(action="review_case.release", actor=underwriter).exists()


def test_only_the_assignee_may_release_or_decide(partner, underwriter, second_underwriter, catalogue):
    case = review_case_claim(case=a_case(partner), actor=underwriter)
    with pytest.raises(NotPermitted):
        review_case_release(case=case, actor=second_underwriter)
    with pytest.raises(NotPermitted):
        review_case_decide(case=case, actor=second_underwriter, outcome="DECLINED", note="no", reason_codes=["RC01"])
    assert ReviewAction.objects.filter(case=case).count() == 1


def test_deciding_an_unclaimed_case_is_a_conflict(partner, underwriter, catalogue):
    with pytest.raises(Conflict):
        review_case_decide(case=a_case(partner), actor=underwriter, outcome="DECLINED", note="n", reason_codes=["RC01"])


def test_decline_sets_the_final_outcome_and_records_note_and_reasons(partner, underwriter, catalogue):
    case = review_case_claim(case=a_case(partner), actor=underwriter)
    decided = review_case_decide(
        case=case, actor=underwriter, outcome="DECLINED", note="Income not verified.", reason_codes=["RC01", "KO03"]
    )
    assert (decided.status, decided.decided_outcome, decided.is_override) == (ReviewStatus.DECIDED, "DECLINED", False)
    assert decided.decided_at is not None
    assert Decision.objects.get(pk=case.decision_id).final_outcome == "DECLINED"
    action = review_case_history(case=case).last()
    assert (action.action, action.actor, action.outcome) == ("decide", underwriter, "DECLINED")
    assert (action.note, action.reason_codes) == ("Income not verified.", ["RC01", "KO03"])
    event = AuditEvent.objects.get(action="review_case.decide")
    assert event.data["reasonCodes"] == ["RC01", "KO03"] and "Income" not in str(event.data)


@pytest.mark.parametrize("note", ["", "   ", None])
def test_a_decision_needs_a_note(partner, underwriter, catalogue, note):
    case = review_case_claim(case=a_case(partner), actor=underwriter)
    with pytest.raises(ArgumentError) as error:
        review_case_decide(case=case, actor=underwriter, outcome="APPROVED", note=note)
    assert error.value.field == ("note",)


def test_a_decline_needs_a_reason_code(partner, underwriter, catalogue):
    case = review_case_claim(case=a_case(partner), actor=underwriter)
    with pytest.raises(ArgumentError) as error:
        review_case_decide(case=case, actor=underwriter, outcome="DECLINED", note="Thin file.")
    assert error.value.field == ("reasonCodes",)
    assert review_case_get(partner=partner, case_id=case.pk).status == ReviewStatus.CLAIMED


def test_a_reason_code_outside_the_partners_catalogue_is_refused(partner, other_partner, underwriter, catalogue):
    ReasonCodeFactory(partner=other_partner, code="XX99")
    case = review_case_claim(case=a_case(partner), actor=underwriter)
    with pytest.raises(ArgumentError) as error:
        review_case_decide(case=case, actor=underwriter, outcome="DECLINED", note="n", reason_codes=["RC01", "XX99"])
    assert error.value.field == ("reasonCodes",) and "XX99" in error.value.message


def test_an_outcome_other_than_approve_or_decline_is_refused(partner, underwriter):
    case = review_case_claim(case=a_case(partner), actor=underwriter)
    with pytest.raises(ArgumentError) as error:
        review_case_decide(case=case, actor=underwriter, outcome="REFERRED", note="n")
    assert error.value.field == ("outcome",)


def test_override_above_the_partners_amount_waits_for_a_second_underwriter(partner, underwriter, second_underwriter):
    partner.override_confirmation_amount = Decimal("25000")
    partner.save()
    case = review_case_claim(case=a_case(partner, amount=30000.0), actor=underwriter)
    proposed = review_case_decide(
        case=case, actor=underwriter, outcome="APPROVED", note="Verified income, strong file."
    )
    assert proposed.status == ReviewStatus.PENDING_CONFIRMATION
    assert (proposed.proposed_outcome, proposed.proposed_by, proposed.is_override) == ("APPROVED", underwriter, True)
    assert proposed.decided_outcome == "" and proposed.decided_at is None
    assert Decision.objects.get(pk=case.decision_id).final_outcome == "REFERRED"
    assert list(review_case_list(partner=partner, user=second_underwriter, view="pending")) == [case]

    confirmed = review_case_confirm(case=case, actor=second_underwriter)
    assert (confirmed.status, confirmed.decided_outcome) == (ReviewStatus.DECIDED, "APPROVED")
    assert Decision.objects.get(pk=case.decision_id).final_outcome == "APPROVED"
    history = list(review_case_history(case=case))
    assert [(a.action, a.actor) for a in history] == [
        ("claim", underwriter),
        ("decide", underwriter),
        ("confirm", second_underwriter),
    ]
    assert AuditEvent.objects.filter(action="review_case.confirm", actor=second_underwriter).exists()


def test_an_underwriter_cannot_confirm_their_own_override(partner, underwriter):
    case = review_case_claim(case=a_case(partner, amount=30000.0), actor=underwriter)
    review_case_decide(case=case, actor=underwriter, outcome="APPROVED", note="Looks fine.")
    with pytest.raises(NotPermitted):
        review_case_confirm(case=case, actor=underwriter)
    assert review_case_get(partner=partner, case_id=case.pk).status == ReviewStatus.PENDING_CONFIRMATION


def test_override_at_or_below_the_partners_amount_stands_at_once(partner, underwriter):
    case = review_case_claim(case=a_case(partner, amount=25000.0), actor=underwriter)
    decided = review_case_decide(case=case, actor=underwriter, outcome="APPROVED", note="Small, well-covered loan.")
    assert (decided.status, decided.decided_outcome, decided.is_override) == (ReviewStatus.DECIDED, "APPROVED", True)
    assert Decision.objects.get(pk=case.decision_id).final_outcome == "APPROVED"


def test_approving_when_the_flow_did_not_decline_is_no_override(partner, underwriter):
    case = review_case_claim(case=a_case(partner, amount=90000.0, cutoff="REFER"), actor=underwriter)
    decided = review_case_decide(case=case, actor=underwriter, outcome="APPROVED", note="Fine.")
    assert (decided.status, decided.is_override) == (ReviewStatus.DECIDED, False)


def test_a_flow_decline_outcome_counts_as_decline_for_overrides(partner, underwriter):
    case = review_case_claim(
        case=a_case(partner, amount=90000.0, flow_outcome="DECLINED", cutoff="APPROVE"), actor=underwriter
    )
    assert review_case_decide(case=case, actor=underwriter, outcome="APPROVED", note="n").status == (
        ReviewStatus.PENDING_CONFIRMATION
    )


def test_confirm_needs_a_case_pending_confirmation(partner, underwriter, second_underwriter):
    case = review_case_claim(case=a_case(partner), actor=underwriter)
    with pytest.raises(Conflict):
        review_case_confirm(case=case, actor=second_underwriter)


@pytest.mark.parametrize("verb", [review_case_claim, review_case_confirm])
def test_a_user_without_the_underwriter_role_is_not_permitted(partner, make_user, verb):
    auditor = make_user(partner, "auditor")
    with pytest.raises(NotPermitted):
        verb(case=a_case(partner), actor=auditor)


def test_another_partners_underwriter_cannot_see_the_case(partner, other_partner, make_user):
    outsider = make_user(other_partner, "underwriter")
    case = a_case(partner)
    with pytest.raises(NotFound):
        review_case_claim(case=case, actor=outsider)
    with pytest.raises(NotFound):
        review_case_get(partner=other_partner, case_id=case.pk)
    assert not ReviewAction.objects.exists()


def test_queue_views_are_sorted_by_due_time_and_partner_scoped(partner, other_partner, underwriter, second_underwriter):
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    late = a_case(partner, due_at=now - timedelta(hours=2))
    soon = a_case(partner, due_at=now + timedelta(hours=1))
    later = a_case(partner, due_at=now + timedelta(hours=30))
    a_case(other_partner, due_at=now - timedelta(hours=5))
    review_case_claim(case=soon, actor=underwriter)
    review_case_claim(case=later, actor=second_underwriter)

    def ids(view, user=underwriter):
        return [c.pk for c in review_case_list(partner=partner, user=user, view=view)]

    assert ids("open") == [late.pk]  # claimed cases are under their claimant's "mine"
    assert ids("mine") == [soon.pk]
    assert ids("mine", user=second_underwriter) == [later.pk]
    assert ids("overdue") == [late.pk]
    assert ids("pending") == []
    assert ids("all") == [late.pk, soon.pk, later.pk]
