import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from decisioning.models import Decision, InsightTransaction, ReviewAction, ReviewStatus
from decisioning.review.services import review_case_claim, review_case_decide
from modelregistry.models import PredictiveModel
from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
from tests.factories import PASSWORD, DataDictionaryFieldFactory, DecisionFactory, ReasonCodeFactory, ReviewCaseFactory

# Playwright's sync API runs an event loop in this thread; Django refuses ORM calls there otherwise.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


def a_case(partner, *, external_id=None, amount=30000.0, due_in_hours=48, with_steps=False, **attributes):
    decision = DecisionFactory(
        partner=partner,
        application={"fundedAmount": amount, "annualIncome": 52000.0, "term": "term_36"},
        **({"external_id": external_id} if external_id else {}),
    )
    if with_steps:
        record_steps(decision)
    return ReviewCaseFactory(
        partner=partner, decision=decision, due_at=timezone.now() + timedelta(hours=due_in_hours), **attributes
    )


STEPS = [
    ("knockout", "Knock-outs", {"knockoutReasons": []}, 410),
    ("score", "Consumer scorecard", {"creditScore": 550, "reasonCode1": "RC02", "reasonCode2": "RC01"}, 1830),
    ("cutoff", "Cut-off table", {"cutoff": "DECLINE"}, 260),
    ("review", "Review routing", {"referralReasons": ["REV03"]}, 300),
]


def record_steps(decision):
    """The InsightTransaction rows a decision flow leaves behind, one per step."""
    for position, (kind, name, results, duration_us) in enumerate(STEPS, start=1):
        model, _ = PredictiveModel.objects.get_or_create(
            partner=decision.partner,
            name=name,
            version=3,
            defaults={"engine": "dmn" if kind != "score" else "pmml", "artifact": f"<{name}/>", "sha256": "0" * 64},
        )
        InsightTransaction.objects.create(
            partner=decision.partner,
            model=model,
            artifact_sha256=model.sha256,
            engine_name="native",
            engine_version="1",
            arguments=decision.application,
            results=results,
            status="ok",
            duration_us=duration_us,
            decision=decision,
            step_kind=kind,
            step_position=position,
        )


@pytest.fixture
def underwriter(partner, make_user):
    return make_user(partner, "underwriter", username="uma", first_name="Uma", last_name="Reyes")


def logged_in(client, user):
    client.force_login(user)
    return client


# ---- permissions: page × role × own/other partner → status -------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "whose", "page", "expected"),
    [
        ("underwriter", "own", "queue", 200),
        ("underwriter", "own", "case", 200),
        ("underwriter", "other", "case", 404),
        ("underwriter", "other", "claim", 404),
        ("auditor", "own", "queue", 403),
        ("auditor", "own", "case", 403),
        ("auditor", "own", "claim", 403),
        ("rule_editor", "own", "queue", 403),
    ],
)
def test_review_pages_by_role_and_partner(client, partner, other_partner, make_user, role, whose, page, expected):
    user = make_user(partner if whose == "own" else other_partner, role)
    case = a_case(partner)
    logged_in(client, user)
    if page == "queue":
        response = client.get(reverse("review:queue"))
    elif page == "case":
        response = client.get(reverse("review:case", args=[case.pk]))
    else:
        response = client.post(reverse(f"review:{page}", args=[case.pk]))
    assert response.status_code == expected
    if expected != 200:
        assert "Traceback" not in response.content.decode()
    assert not ReviewAction.objects.exists()


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_the_login_page(client, partner):
    case = a_case(partner)
    for url in (reverse("review:queue"), reverse("review:case", args=[case.pk])):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.django_db
def test_unknown_case_id_is_404(client, underwriter):
    logged_in(client, underwriter)
    assert client.get("/review/00000000-0000-0000-0000-000000000000/").status_code == 404


# ---- queue -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_queue_filters_list_the_right_cases_sorted_by_due_time(client, partner, other_partner, make_user, underwriter):
    colleague = make_user(partner, "underwriter", username="sam")
    late = a_case(partner, external_id="APP-LATE", due_in_hours=-3)
    mine = a_case(partner, external_id="APP-MINE", due_in_hours=5)
    theirs = a_case(partner, external_id="APP-THEIRS", due_in_hours=10)
    pending = a_case(partner, external_id="APP-PENDING", amount=90000.0, due_in_hours=20)
    a_case(other_partner, external_id="APP-OTHER-PARTNER", due_in_hours=-10)
    review_case_claim(case=mine, actor=underwriter)
    review_case_claim(case=theirs, actor=colleague)
    review_case_claim(case=pending, actor=colleague)
    review_case_decide(case=pending, actor=colleague, outcome="APPROVED", note="Verified.")
    logged_in(client, underwriter)

    def listed(view):
        page = client.get(reverse("review:queue"), {"view": view})
        assert page.status_code == 200
        return [row["case"].decision.external_id for row in page.context["rows"]]

    # A claimed case leaves "Open": it is under its claimant's "Mine", and shown with the claimant in "All".
    assert listed("open") == ["APP-LATE"]
    assert listed("mine") == ["APP-MINE"]
    assert listed("all") == ["APP-LATE", "APP-MINE", "APP-THEIRS", "APP-PENDING"]
    assert listed("overdue") == ["APP-LATE"]
    assert listed("pending") == ["APP-PENDING"]

    html = client.get(reverse("review:queue"), {"view": "all"}).content.decode()
    assert "sam" in html  # the colleague who claimed APP-THEIRS
    assert "APP-OTHER-PARTNER" not in html
    assert "overdue by" in html and "30,000.00" in html and "REV03" in html and "Uma Reyes" in html
    assert late.pk


# ---- case page and actions ---------------------------------------------------------------------


@pytest.mark.django_db
def test_case_page_shows_the_decrypted_application_outputs_and_reasons(client, partner, underwriter):
    ReasonCodeFactory(partner=partner, code="REV03", kind="review", notice_text="Data-quality check")
    case = a_case(partner, external_id="APP-00042", with_steps=True)
    html = logged_in(client, underwriter).get(reverse("review:case", args=[case.pk])).content.decode()
    for expected in (
        "APP-00042",
        "Funded amount",
        "52,000.00",
        "Why this application was referred",
        "term_36",
        "550",
        "10.50%",
        "Too many recent inquiries",
        "RC02",
        "REV03",
        "Data-quality check",
        "Claim case",
        "Consumer scorecard",
        "creditScore",
        "1830 µs",
        "Review routing",
        'title="knockoutReasons">',  # step results by the dictionary's label, the name on hover
        ": (none)",
    ):
        assert expected in html, expected


@pytest.mark.django_db
def test_claim_then_decline_through_the_pages(client, partner, underwriter):
    ReasonCodeFactory(partner=partner, code="RC01", notice_text="Income insufficient")
    case = a_case(partner)
    logged_in(client, underwriter)
    response = client.post(reverse("review:claim", args=[case.pk]), follow=True)
    assert "You claimed the case." in response.content.decode()
    response = client.post(
        reverse("review:decide", args=[case.pk]),
        {"outcome": "DECLINED", "note": "Income below policy.", "reason_codes": ["RC01"]},
        follow=True,
    )
    assert "Decided: declined." in response.content.decode()
    assert Decision.objects.get(pk=case.decision_id).final_outcome == "DECLINED"


@pytest.mark.django_db
def test_a_refused_decision_shows_the_error_and_keeps_the_note(client, partner, underwriter):
    case = a_case(partner)
    review_case_claim(case=case, actor=underwriter)
    logged_in(client, underwriter)
    response = client.post(
        reverse("review:decide", args=[case.pk]),
        {"outcome": "DECLINED", "note": "Thin file, no reason yet."},
        follow=True,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Reason codes: A decline needs at least one reason code" in html
    assert "Thin file, no reason yet." in html and "Traceback" not in html
    case.refresh_from_db()
    assert case.status == ReviewStatus.CLAIMED


SECRET_NOTE = "Sister co-signs; payslips 4471 verified by phone"
SECRET_APPLICATION = {
    "fundedAmount": 93217.5,
    "annualIncome": 61234.0,
    "term": "term_36",
    "employerName": "Zyxwv Widgets",
}


def assert_sessions_hold_nothing_sensitive(client, step):
    from django.contrib.sessions.models import Session

    secrets = [SECRET_NOTE, "4471", "93217", "61234", "Zyxwv"]
    for session in Session.objects.all():
        for text in (session.session_data, repr(session.get_decoded())):
            for secret in secrets:
                assert secret not in text, (step, secret, session.get_decoded())
    for cookie in client.cookies.values():  # e.g. the messages cookie: readable by anyone holding it
        assert not any(secret in cookie.value for secret in secrets), (step, cookie.key)


@pytest.mark.django_db
def test_no_review_page_flow_leaves_the_note_or_application_values_in_the_session(
    client, partner, make_user, underwriter
):
    ReasonCodeFactory(partner=partner, code="RC01", notice_text="Income insufficient")
    make_user(partner, "underwriter", username="sam")  # a colleague, so the queue has two underwriters
    case = a_case(partner, amount=SECRET_APPLICATION["fundedAmount"])
    case.decision.application = SECRET_APPLICATION
    case.decision.save()
    assert client.post(reverse("login"), {"username": "uma", "password": PASSWORD}).status_code == 302
    page = lambda name: reverse(f"review:{name}", args=[case.pk])  # noqa: E731
    steps = [
        ("queue", lambda: client.get(reverse("review:queue"))),
        ("case", lambda: client.get(page("case"))),
        ("claim", lambda: client.post(page("claim"), follow=True)),
        (
            "refused: decline without reason",
            lambda: client.post(page("decide"), {"outcome": "DECLINED", "note": SECRET_NOTE}),
        ),
        ("refused: no outcome", lambda: client.post(page("decide"), {"note": SECRET_NOTE, "reason_codes": ["RC01"]})),
        (
            "refused: unknown reason",
            lambda: client.post(page("decide"), {"outcome": "DECLINED", "note": SECRET_NOTE, "reason_codes": ["NOPE"]}),
        ),
        ("case after refusals", lambda: client.get(page("case"))),
        ("release", lambda: client.post(page("release"), follow=True)),
        ("claim again", lambda: client.post(page("claim"), follow=True)),
        (
            "override proposed",
            lambda: client.post(page("decide"), {"outcome": "APPROVED", "note": SECRET_NOTE}, follow=True),
        ),
        ("own confirmation refused", lambda: client.post(page("confirm"), follow=True)),
    ]
    for step, perform in steps:
        response = perform()
        assert_sessions_hold_nothing_sensitive(client, step)
        assert response.status_code == 200, (step, response.status_code)
        if step.startswith("refused"):
            # The refusal is shown on the same response, with what was typed still in the form.
            html = response.content.decode()
            assert 'class="error"' in html and SECRET_NOTE in html, step
    case.refresh_from_db()
    assert case.status == ReviewStatus.PENDING_CONFIRMATION
    client.post(reverse("logout"))
    assert client.post(reverse("login"), {"username": "sam", "password": PASSWORD}).status_code == 302
    response = client.post(page("confirm"), follow=True)
    assert "You confirmed the override" in response.content.decode()
    assert_sessions_hold_nothing_sensitive(client, "confirmed by a colleague")


@pytest.mark.django_db
def test_a_pending_override_offers_confirm_to_others_only(client, partner, make_user, underwriter):
    colleague = make_user(partner, "underwriter", username="sam")
    case = a_case(partner, amount=90000.0)
    review_case_claim(case=case, actor=colleague)
    review_case_decide(case=case, actor=colleague, outcome="APPROVED", note="Strong collateral.")
    assert (
        "Confirm override"
        not in logged_in(client, colleague).get(reverse("review:case", args=[case.pk])).content.decode()
    )
    own = client.post(reverse("review:confirm", args=[case.pk]), follow=True).content.decode()
    assert "you proposed this one" in own
    html = logged_in(client, underwriter).get(reverse("review:case", args=[case.pk])).content.decode()
    assert "Confirm override" in html
    response = client.post(reverse("review:confirm", args=[case.pk]), follow=True)
    assert "You confirmed the override" in response.content.decode()
    assert "confirmed by Uma Reyes" in response.content.decode()
    assert Decision.objects.get(pk=case.decision_id).final_outcome == "APPROVED"


@pytest.mark.django_db
def test_claiming_a_case_someone_else_holds_is_an_error_message(client, partner, make_user, underwriter):
    colleague = make_user(partner, "underwriter", username="sam")
    case = a_case(partner)
    review_case_claim(case=case, actor=colleague)
    response = logged_in(client, underwriter).post(reverse("review:claim", args=[case.pk]), follow=True)
    assert response.status_code == 200
    assert "has already claimed this case" in response.content.decode()


# ---- browser -----------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_underwriter_claims_and_declines_a_case_in_the_browser(live_server, partner, other_partner, make_user):
    from playwright.sync_api import expect, sync_playwright

    # A missing browser is a failure, not a skip: the pages are untested without it.
    assert Path(CHROMIUM).exists(), f"Chromium is not installed at {CHROMIUM}"
    ARTIFACTS.mkdir(exist_ok=True)
    underwriter = make_user(partner, "underwriter", username="uma", first_name="Uma", last_name="Reyes")
    outsider = make_user(other_partner, "underwriter", username="otto")
    for code, kind, text in [
        ("KO03", "knockout", "Income below the minimum"),
        ("RC01", "model", "Debt-to-income ratio too high"),
        ("RC02", "model", "Too many recent inquiries"),
        ("REV03", "review", "Data-quality check"),
    ]:
        ReasonCodeFactory(partner=partner, code=code, kind=kind, notice_text=text)
    a_case(partner, external_id="APP-10007", amount=8500.0, due_in_hours=-4)
    case = a_case(partner, external_id="APP-10012", amount=30000.0, due_in_hours=6, with_steps=True)
    a_case(partner, external_id="APP-10019", amount=42000.0, due_in_hours=40, referral_reasons=["REV03", "REV01"])

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"{live_server.url}/review/")
            expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "login.png"))
            page.fill("#id_username", "uma")
            page.fill("#id_password", PASSWORD)
            page.get_by_role("button", name="Sign in").click()

            expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
            queue_rows = page.locator("table.queue tbody tr")
            expect(queue_rows).to_have_count(3)
            expect(queue_rows.first).to_contain_text("APP-10007")
            expect(queue_rows.first).to_contain_text("overdue by")
            page.screenshot(path=str(ARTIFACTS / "review-queue.png"), full_page=True)

            page.get_by_role("link", name="APP-10012").click()
            page.get_by_role("button", name="Claim case").click()
            expect(page.locator(".messages")).to_contain_text("You claimed the case.")
            page.get_by_label("Decline").check()
            page.get_by_label("RC01").check()
            page.fill("#note", "Debt-to-income above policy after verifying payslips.")
            page.screenshot(path=str(ARTIFACTS / "review-case.png"), full_page=True)
            page.get_by_role("button", name="Record decision").click()
            expect(page.locator(".messages")).to_contain_text("Decided: declined.")
            expect(page.locator("table.history")).to_contain_text("Debt-to-income above policy")
            page.screenshot(path=str(ARTIFACTS / "review-case-decided.png"), full_page=True)

            page.get_by_role("link", name="Review queue").first.click()
            expect(queue_rows).to_have_count(2)
            expect(page.locator("table.queue")).not_to_contain_text("APP-10012")

            page.context.clear_cookies()
            page.goto(f"{live_server.url}/accounts/login/")
            page.fill("#id_username", outsider.username)
            page.fill("#id_password", PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
            response = page.goto(f"{live_server.url}/review/{case.pk}/")
            assert response.status == 404
            expect(page.get_by_role("heading", name="Not found")).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "other-partner-404.png"))
        finally:
            browser.close()

    case.refresh_from_db()
    assert (case.status, case.decided_outcome, case.assigned_to) == (ReviewStatus.DECIDED, "DECLINED", underwriter)
    assert Decision.objects.get(pk=case.decision_id).final_outcome == "DECLINED"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_second_underwriter_confirms_an_override_in_the_browser(live_server, partner, make_user):
    from playwright.sync_api import expect, sync_playwright

    assert Path(CHROMIUM).exists(), f"Chromium is not installed at {CHROMIUM}"
    ARTIFACTS.mkdir(exist_ok=True)
    proposer = make_user(partner, "underwriter", username="sam", first_name="Sam", last_name="Okafor")
    make_user(partner, "underwriter", username="uma", first_name="Uma", last_name="Reyes")
    case = a_case(partner, external_id="APP-20001", amount=60000.0, with_steps=True)
    review_case_claim(case=case, actor=proposer)
    review_case_decide(
        case=case, actor=proposer, outcome="APPROVED", note="Verified income; collateral covers the loan."
    )

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"{live_server.url}/accounts/login/?next=/review/%3Fview%3Dpending")
            page.fill("#id_username", "uma")
            page.fill("#id_password", PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page.locator("table.queue tbody tr")).to_have_count(1)
            page.get_by_role("link", name="APP-20001").click()
            expect(page.locator("#actions")).to_contain_text("Sam Okafor proposes to approve")
            page.screenshot(path=str(ARTIFACTS / "review-case-pending-confirmation.png"), full_page=True)
            page.get_by_role("button", name="Confirm override").click()
            expect(page.locator(".messages")).to_contain_text("You confirmed the override")
            expect(page.locator("#actions")).to_contain_text("confirmed by Uma Reyes")
        finally:
            browser.close()

    assert Decision.objects.get(pk=case.decision_id).final_outcome == "APPROVED"


@pytest.mark.django_db
def test_queue_page_queries_do_not_grow_with_the_number_of_cases(
    client, partner, underwriter, django_assert_max_num_queries
):
    for _ in range(12):
        a_case(partner)
    logged_in(client, underwriter)
    with django_assert_max_num_queries(8):
        assert client.get(reverse("review:queue")).status_code == 200


# ---- search, pages, dictionary formats, why referred ------------------------------------------


@pytest.mark.django_db
def test_queue_searches_by_external_id_outcome_and_date_and_pages(client, partner, underwriter):
    for number in range(25):
        a_case(partner, external_id=f"LOAN-{number:03d}", due_in_hours=number + 1)
    a_case(partner, external_id="OTHER-1", due_in_hours=100)
    logged_in(client, underwriter)

    def listed(**params):
        return [row["case"].decision.external_id for row in client.get(reverse("review:queue"), params).context["rows"]]

    assert len(listed()) == 20 and listed(page=2) == [f"LOAN-{n:03d}" for n in range(20, 25)] + ["OTHER-1"]
    assert listed(external_id="other") == ["OTHER-1"]
    assert listed(external_id="LOAN-01") == [f"LOAN-{n:03d}" for n in range(10, 20)]
    assert listed(outcome="DECLINED") == []
    assert len(listed(outcome="REFERRED", page=2)) == 6
    today = timezone.now().date()
    assert listed(created_from=str(today + timedelta(days=1))) == []
    assert len(listed(created_to=str(today), external_id="OTHER")) == 1
    assert client.get(reverse("review:queue"), {"created_from": "not-a-date", "page": "x"}).status_code == 200


@pytest.mark.django_db
def test_case_page_shows_labels_currency_enumerations_and_why_it_was_referred(client, partner, underwriter):
    DataDictionaryFieldFactory(
        name="fundedAmount", data_type="number", label="Loan amount", unit="USD", display_format="currency"
    )
    DataDictionaryFieldFactory(
        name="term",
        data_type="string",
        label="Term",
        display_format="enumeration",
        value_labels={"term_36": "36 months"},
    )
    ReasonCodeFactory(partner=partner, code="REV03", kind="review", notice_text="Data-quality check")
    case = a_case(partner, amount=52000.0, score_band="APPROVE", referral_reasons=["REV03"])
    html = logged_in(client, underwriter).get(reverse("review:case", args=[case.pk])).content.decode()
    for expected in (
        "Loan amount",
        "$52,000.00",
        "36 months",
        "REV03</code> Data-quality check",
        "the score alone would approve",
        "a review rule refers the application whatever the score band",
    ):
        assert expected in html, expected
    assert "term_36" not in html.split("Application</h2>")[1].split("</section>")[0]
