import pytest

from decisioning.demo import demo_decisions_run, demo_load
from decisioning.models import ReviewCase, ReviewStatus
from decisioning.review.services import review_case_claim, review_case_decide
from monitoring.demo import demo_monitoring_load
from partners import roles
from portfolio.demo import demo_loans_load

DEMO_DECISIONS = 160


@pytest.fixture
def demo_book(db, make_user):
    """The demo partner with its first decisions, their loans, underwriters' decisions on some referred
    cases (approving against a decline recommendation, declining against an approve), and the
    monitoring demo data (synthetic age bands, loans linked, the scorecard's development sample)."""
    demo = demo_load(out=lambda *_: None)
    demo_loans_load(partner=demo["partner"], limit=DEMO_DECISIONS)
    demo_decisions_run(
        partner=demo["partner"], requested_by=demo["people"][roles.PARTNER_SYSTEM][0], count=DEMO_DECISIONS
    )
    underwriter = make_user(demo["partner"], roles.UNDERWRITER, username="uma")
    for number, case in enumerate(ReviewCase.objects.filter(partner=demo["partner"]).order_by("created")[:8]):
        review_case_claim(case=case, actor=underwriter)
        outcome = "APPROVED" if number % 2 == 0 else "DECLINED"
        review_case_decide(
            case=case,
            actor=underwriter,
            outcome=outcome,
            note="checked",
            reason_codes=[] if number % 2 == 0 else ["RC01"],
        )
    demo["decided_cases"] = ReviewCase.objects.filter(partner=demo["partner"], status=ReviewStatus.DECIDED).count()
    demo["monitoring"] = demo_monitoring_load(partner=demo["partner"], actor=demo["people"][roles.RISK_MANAGER][0])
    return demo
