"""Who may do what: every API endpoint and page × every role × own/other partner → exact status.

One table, `ROWS`. To add an endpoint or a page, add a `Row`: its method, a URL template naming
objects of the `world` below (`{model}`, `{decision_reviewed}` …, filled from the partner the
column is about), an optional body, and the status each role gets at its own partner (`own`) and
at another partner (`other`). `expect(default, **by_role)` keeps a row short: the default status,
then the roles that differ. Collection endpoints have no "other partner" in their URL: for them
`other` is None and `listed` says which of the world's records each role sees (another
partner's records are never listed).

The roles are partners/roles.py's, plus `anonymous` (no credentials) and `superuser` (platform
staff, no partner). Pages are requested with a logged-in session, the API with a token.
"""
from dataclasses import dataclass, field
from typing import Callable

import pytest
from django.test import Client

from decisioning.models import InsightTransaction
from decisioning.services import insight_create
from partners import roles
from partners.models import User
from tests.conftest import JsonApiClient
from tests.decisioning.test_insights_api import GOOD_ARGUMENTS, insight_document, register_mapped_logistic
from tests.factories import LOGISTIC_PMML, DecisionFactory, DecisionFlowFactory, ReviewCaseFactory

pytestmark = pytest.mark.django_db

ANONYMOUS = "anonymous"
SUPERUSER = "superuser"
EVERYONE = (*roles.ALL, ANONYMOUS, SUPERUSER)

RE, RA, UW, DS, AU, PA, PS, RM = (
    roles.RULE_EDITOR, roles.RULE_APPROVER, roles.UNDERWRITER, roles.DATA_SCIENTIST,
    roles.AUDITOR, roles.PARTNER_ADMIN, roles.PARTNER_SYSTEM, roles.RISK_MANAGER,
)


def expect(default, **by_role):
    unknown = set(by_role) - set(EVERYONE)
    assert not unknown, f"unknown roles in the table: {unknown}"
    return {role: by_role.get(role, default) for role in EVERYONE}


@dataclass
class Row:
    method: str
    url: str
    own: dict
    other: dict | None
    body: Callable[[dict], dict] | None = None
    page: bool = False  # a page (session login) rather than the API (token)
    listed: dict = field(default_factory=dict)  # role -> names of the world's records in the list


# Statuses that recur: the API for no credentials, for a platform user without a partner, and a
# page's redirect to a login form.
API = {ANONYMOUS: 401, SUPERUSER: 403}
LOGIN = 302


def api(default, **by_role):
    return expect(default, **{**API, **by_role})


def page(default, **by_role):
    return expect(default, **{ANONYMOUS: LOGIN, **by_role})


def admin_page(superuser_status=200):
    # Partner users are not staff (the admin's own login answers with a redirect); superusers see all partners.
    return expect(LOGIN, superuser=superuser_status)


# Who reads decisions and their step records (decisioning/selectors.py; README's endpoint table).
NO_READ = {RE: 403, RA: 403, DS: 403, RM: 403}
DECISIONS_READ_BY = {
    "decision_reviewed": {AU, PA, PS, UW},  # requested by the partner system, under review
    "decision_plain": {AU, PA},  # requested by a second partner system, never referred
}
INSIGHTS_READ_BY = {
    "insight_by_system": {AU, PA, PS},
    "insight_step_reviewed": {AU, PA, PS, UW},
    "insight_by_scientist": {AU, PA},
}


def read_detail(read_by):
    own = api(404, **NO_READ, **{role: 200 for role in read_by})
    other = api(404, **NO_READ)
    return own, other


def listed(read_by_record):
    return {role: {name for name, readers in read_by_record.items() if role in readers} for role in (UW, AU, PA, PS)}


def field_patch(world):
    return {"data": {"type": "predictiveModelField", "id": str(world["field"]), "attributes": {"supportedFieldName": "annualIncome"}}}


def model_upload(world):
    return {"data": {"type": "predictiveModel", "attributes": {"name": "PD upload", "artifact": LOGISTIC_PMML}}}


def insight_post(world):
    return insight_document(world["model"], GOOD_ARGUMENTS)


def decision_post(world):
    # Enough to show who may ask: those who may get a 400 naming the field outside the dictionary at
    # their own flow, and 404 for another partner's flow; the others are refused before the body is read.
    return {"data": {"type": "decision", "attributes": {"flowId": str(world["flow"]), "application": {"creditScore": 600}}}}


def replay_job_post(world):
    return {"data": {"type": "replayJob", "attributes": {"decisionIds": [str(world["decision_reviewed"]), str(world["decision_plain"])]}}}


def reevaluation_job_post(world):
    return {"data": {"type": "reevaluationJob", "attributes": {"flowId": str(world["flow"]), "statuses": ["current"]}}}


# Portfolio monitoring (portfolio/selectors.py): risk managers run and read jobs, auditors read.
JOB_READ = {RM: 200, AU: 200}
JOB_READ_OTHER = {RM: 404, AU: 404}
PORTFOLIO_PAGES = ("", "progress/", "export.csv", "psi.svg")

MODEL_WRITERS = {DS: 201, RE: 201, PA: 201}
MODEL_READERS = api(200)
ROWS = [
    # --- model registry ---
    Row("get", "/api/v1/predictive-models", api(200), None),
    Row("post", "/api/v1/predictive-models", api(403, **MODEL_WRITERS), None, body=model_upload),
    Row("get", "/api/v1/predictive-models/{model}", MODEL_READERS, api(404)),
    Row("get", "/api/v1/predictive-models/{model}/source", MODEL_READERS, api(404)),
    Row("get", "/api/v1/predictive-models/{model}/fields", MODEL_READERS, api(404)),
    Row("get", "/api/v1/predictive-models/{model}/fields/{field}", MODEL_READERS, api(404)),
    Row("patch", "/api/v1/predictive-models/{model}/fields/{field}", api(403, data_scientist=200, rule_editor=200, partner_admin=200),
        api(403, data_scientist=404, rule_editor=404, partner_admin=404), body=field_patch),
    # --- insights ---
    Row("get", "/api/v1/insights", api(200, **NO_READ), None, listed=listed(INSIGHTS_READ_BY)),
    Row("post", "/api/v1/insights", api(403, partner_system=201, data_scientist=201, partner_admin=201), api(403, partner_system=404, data_scientist=404, partner_admin=404), body=insight_post),
    *(Row("get", f"/api/v1/insights/{{{name}}}", *read_detail(readers)) for name, readers in INSIGHTS_READ_BY.items()),
    # --- decisions ---
    Row("get", "/api/v1/decisions", api(200, **NO_READ), None, listed=listed(DECISIONS_READ_BY)),
    Row("post", "/api/v1/decisions", api(403, partner_system=400, partner_admin=400), api(403, partner_system=404, partner_admin=404), body=decision_post),
    *(Row("get", f"/api/v1/decisions/{{{name}}}", *read_detail(readers)) for name, readers in DECISIONS_READ_BY.items()),
    Row("post", "/api/v1/decisions/{decision_reviewed}/replay", api(403, partner_system=200, partner_admin=200), api(403, partner_system=404, partner_admin=404)),
    Row("post", "/api/v1/decisions/{decision_plain}/replay", api(403, partner_system=404, partner_admin=200), api(403, partner_system=404, partner_admin=404)),
    Row("post", "/api/v1/replay-jobs", api(403, auditor=202, partner_admin=202), api(403, auditor=404, partner_admin=404),
        body=replay_job_post),
    # --- portfolio re-evaluation ---
    Row("get", "/api/v1/reevaluation-jobs", api(403, **JOB_READ), None, listed={RM: {"job"}, AU: {"job"}}),
    Row("post", "/api/v1/reevaluation-jobs", api(403, risk_manager=202), api(403, risk_manager=404), body=reevaluation_job_post),
    Row("get", "/api/v1/reevaluation-jobs/{job}", api(403, **JOB_READ), api(403, **JOB_READ_OTHER)),
    Row("post", "/api/v1/reevaluation-jobs/{job}/cancel", api(403, risk_manager=200), api(403, risk_manager=404)),
    Row("get", "/portfolio/jobs/", page(403, **JOB_READ), None, page=True),
    Row("post", "/portfolio/jobs/submit/", page(403, risk_manager=302), None, page=True),
    *(Row("get", f"/portfolio/jobs/{{job}}/{suffix}", page(403, **JOB_READ), page(403, **JOB_READ_OTHER), page=True)
      for suffix in PORTFOLIO_PAGES),
    Row("get", "/portfolio/schedule/", page(403, risk_manager=200), None, page=True),
    Row("post", "/portfolio/schedule/", page(403, risk_manager=302), None, page=True),
    # --- API documentation (public) ---
    Row("get", "/api/schema/", expect(200), None, page=True),
    Row("get", "/api/docs/", expect(200), None, page=True),
    # --- review queue pages: underwriters of the case's partner ---
    Row("get", "/review/", page(403, underwriter=200), None, page=True),
    Row("get", "/review/{case}/", page(403, underwriter=200), page(403, underwriter=404), page=True),
    *(Row("post", f"/review/{{case}}/{verb}/", page(403, underwriter=302), page(403, underwriter=404), page=True)
      for verb in ("claim", "release", "decide", "confirm")),
    Row("get", "/review/{case}/claim/", expect(405), expect(405), page=True),  # only POST, checked first
    # --- login ---
    Row("get", "/accounts/login/", expect(200), None, page=True),
    # --- admin: superusers only until partner staff get admin access ---
    Row("get", "/admin/", admin_page(), None, page=True),
    Row("get", "/admin/decisioning/insighttransaction/", admin_page(), None, page=True),
    Row("get", "/admin/decisioning/insighttransaction/{insight_by_system}/change/", admin_page(), admin_page(), page=True),
    Row("get", "/admin/modelregistry/predictivemodel/", admin_page(), None, page=True),
    Row("get", "/admin/modelregistry/predictivemodel/{model}/change/", admin_page(), admin_page(), page=True),
    Row("get", "/admin/modelregistry/datadictionaryfield/", admin_page(), None, page=True),
    Row("get", "/admin/core/auditevent/", admin_page(), None, page=True),
    Row("get", "/admin/partners/partner/", admin_page(), None, page=True),
    Row("get", "/admin/partners/partner/{partner}/change/", admin_page(), admin_page(), page=True),
    Row("get", "/admin/partners/user/", admin_page(), None, page=True),
    Row("get", "/admin/portfolio/loan/", admin_page(), None, page=True),
    Row("get", "/admin/portfolio/loan/import/", admin_page(), None, page=True),
    Row("get", "/admin/portfolio/reevaluationjob/", admin_page(), None, page=True),
    Row("get", "/admin/axes/accessattempt/", admin_page(), None, page=True),  # login throttling (django-axes)
    Row("get", "/admin/axes/accesslog/", admin_page(), None, page=True),
]


def build_side(partner):
    """One user per role, a mapped model, decisions and insights each readable by different roles."""
    people = {role: User.objects.get_or_create(username=f"{role}-{partner.slug}", defaults={"partner": partner})[0] for role in roles.ALL}
    from django.contrib.auth.models import Group

    for role, user in people.items():
        user.groups.set([Group.objects.get_or_create(name=role)[0]])
    second_system = User.objects.create(username=f"second-system-{partner.slug}", partner=partner)
    second_system.groups.set([Group.objects.get(name=PS)])

    model = register_mapped_logistic(partner, people[DS])
    flow = DecisionFlowFactory(partner=partner, is_default=True)
    decision_reviewed = DecisionFactory(partner=partner, flow=flow, requested_by=people[PS])
    case = ReviewCaseFactory(partner=partner, decision=decision_reviewed)
    decision_plain = DecisionFactory(partner=partner, flow=flow, requested_by=second_system, outcome="APPROVED", final_outcome="APPROVED")

    def evaluate(by, **links):
        insight = insight_create(partner=partner, model_id=model.pk, arguments=GOOD_ARGUMENTS, requested_by=by)
        InsightTransaction.objects.filter(pk=insight.pk).update(**links)
        return insight.pk

    from portfolio.models import ReevaluationJob

    job = ReevaluationJob.objects.create(partner=partner, flow=flow)
    return {
        "people": people,
        "ids": {
            "job": job.pk,
            "partner": partner.pk,
            "model": model.pk,
            "field": model.fields.get(name="annual_inc").pk,
            "flow": flow.pk,
            "case": case.pk,
            "decision_reviewed": decision_reviewed.pk,
            "decision_plain": decision_plain.pk,
            "insight_by_system": evaluate(people[PS]),
            "insight_step_reviewed": evaluate(people[PS], decision=decision_reviewed, step_kind="score", step_position=1),
            "insight_by_scientist": evaluate(people[DS]),
        },
    }


@pytest.fixture
def world(partner, other_partner, dictionary):
    return {"own": build_side(partner), "other": build_side(other_partner)}


def clients_for(role, world):
    """(API client, page client) for `role` at the own partner."""
    if role == ANONYMOUS:
        return JsonApiClient(), Client()
    if role == SUPERUSER:
        from knox.models import AuthToken

        user = User.objects.create_superuser(username="platform-root", password="x" * 24)
        pages = Client()
        pages.force_login(user)
        return JsonApiClient(token=AuthToken.objects.create(user=user)[1]), pages
    else:
        user = world["own"]["people"][role]
    pages = Client()
    pages.force_login(user)
    return JsonApiClient(user), pages


def request(client, method, url, body, page):
    if page:
        return getattr(client, method)(url)
    if method == "get":
        return client.get(url)
    return getattr(client, method)(url, body or {})


@pytest.mark.parametrize("role", EVERYONE)
def test_every_endpoint_and_page_answers_each_role_as_the_table_says(world, role):
    api_client, page_client = clients_for(role, world)
    other_ids = {str(value) for value in world["other"]["ids"].values()}
    mismatches = []
    for row in ROWS:
        for side in ("own", "other"):
            expected_by_role = row.own if side == "own" else row.other
            if expected_by_role is None:
                continue
            url = row.url.format(**world[side]["ids"])
            body = row.body(world[side]["ids"]) if row.body else None
            response = request(page_client if row.page else api_client, row.method, url, body, row.page)
            expected = expected_by_role[role]
            if response.status_code != expected:
                mismatches.append(f"{row.method.upper()} {row.url} ({side}): {response.status_code}, table says {expected}")
                continue
            if not row.page and expected >= 400:
                assert response.json()["errors"][0]["status"] == str(expected), (row.url, response.content[:300])
            if row.listed and expected == 200:
                ids = {item["id"] for item in response.json()["data"]}
                assert not ids & other_ids, f"{row.url} lists another partner's records"
                seen = {name for name, value in world["own"]["ids"].items() if str(value) in ids}
                if row.listed.get(role) != seen:
                    mismatches.append(f"GET {row.url} lists {sorted(seen)}, table says {sorted(row.listed.get(role, ()))}")
    assert not mismatches, f"{role}:\n" + "\n".join(mismatches)


def test_an_unknown_token_is_401():
    assert JsonApiClient(token="not-a-token").get("/api/v1/predictive-models").status_code == 401


def test_the_table_covers_every_api_route():
    """A new API endpoint without a row fails here, so nobody forgets the table."""
    from django.urls import get_resolver

    def routes(resolver, prefix=""):
        for pattern in resolver.url_patterns:
            if hasattr(pattern, "url_patterns"):
                yield from routes(pattern, prefix + str(pattern.pattern))
            else:
                yield prefix + str(pattern.pattern)

    import re

    def shape(url):
        return re.sub(r"<[^>]+>|\{[^}]+\}", "*", url.lstrip("/"))

    api_routes = {shape(route) for route in routes(get_resolver()) if route.startswith("api/")}
    covered = {shape(row.url) for row in ROWS}
    assert api_routes - covered == set()
