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

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.test import Client
from django.utils import timezone

from decisioning.models import Backtest, Flow, FlowStep, InsightTransaction
from decisioning.services import insight_create
from modelregistry.models import TrainingJob, TrainingJobStatus
from partners import roles
from partners.models import User
from partners.services import user_roles_set
from tests.conftest import JsonApiClient
from tests.decisioning.test_insights_api import (
    GOOD_ARGUMENTS,
    insight_document,
    register_mapped_logistic,
)
from tests.factories import (
    LOGISTIC_PMML,
    DecisionFactory,
    DecisionFlowFactory,
    ReviewCaseFactory,
)

pytestmark = pytest.mark.django_db

ANONYMOUS = "anonymous"
SUPERUSER = "superuser"
EVERYONE = (*roles.ALL, ANONYMOUS, SUPERUSER)

RE, RA, UW, DS, AU, PA, PS, RM = (
    roles.RULE_EDITOR,
    roles.RULE_APPROVER,
    roles.UNDERWRITER,
    roles.DATA_SCIENTIST,
    roles.AUDITOR,
    roles.PARTNER_ADMIN,
    roles.PARTNER_SYSTEM,
    roles.RISK_MANAGER,
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


STAFF = tuple(sorted(roles.ADMIN_ROLES))  # roles.user_roles_set makes them staff; underwriters and systems are not


def admin_page(staff_default=403, superuser=200, **by_role):
    """An admin page: the admin's login redirect for anonymous users, underwriters and partner
    systems (not staff); `staff_default` for partner staff unless `by_role` says otherwise (200
    with the view permission, 403 without, 302 for an object the scoped admin does not find: the
    same redirect to the admin index as for an id that exists nowhere)."""
    return expect(LOGIN, **{SUPERUSER: superuser, **{role: staff_default for role in STAFF}, **by_role})


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
    return {
        "data": {
            "type": "predictiveModelField",
            "id": str(world["field"]),
            "attributes": {"supportedFieldName": "annualIncome"},
        }
    }


def model_upload(world):
    return {"data": {"type": "predictiveModel", "attributes": {"name": "PD upload", "artifact": LOGISTIC_PMML}}}


def insight_post(world):
    return insight_document(world["model"], GOOD_ARGUMENTS)


def decision_post(world):
    # Enough to show who may ask: those who may get a 400 naming the field outside the dictionary at
    # their own flow, and 404 for another partner's flow; the others are refused before the body is read.
    return {
        "data": {"type": "decision", "attributes": {"flowId": str(world["flow"]), "application": {"creditScore": 600}}}
    }


def replay_job_post(world):
    return {
        "data": {
            "type": "replayJob",
            "attributes": {"decisionIds": [str(world["decision_reviewed"]), str(world["decision_plain"])]},
        }
    }


def flow_post(world):
    return {"data": {"type": "decisionFlow", "attributes": {"name": "Flow from the API"}}}


def flow_version_post(world):
    return {"data": {"type": "decisionFlowVersion", "attributes": {"changeNote": "From the API."}}}


def flow_transition(**attributes):
    return lambda world: {"data": {"type": "decisionFlowVersion", "attributes": attributes}}


def backtest_post(world):
    return {"data": {"type": "backtest", "attributes": {"candidateId": str(world["flow_draft"]), "limit": 10}}}


# Decision flows: the partner admin edits, the approver approves, the auditor reads (decisioning/selectors.py).
FLOW_READ = {UW: 403, PS: 403, RM: 403}
WHAT_IF_READ = page(403, underwriter=200, data_scientist=200, risk_manager=200, partner_admin=200)
WHAT_IF_OTHER = page(403, underwriter=404, data_scientist=404, risk_manager=404, partner_admin=404)
FLOW_PAGE_READ = page(200, underwriter=403, partner_system=403, risk_manager=403, superuser=403)
FLOW_PAGE_OTHER = page(404, underwriter=403, partner_system=403, risk_manager=403, superuser=403)

# Who works with rulesets (README's rulesets endpoint table): everyone in RULE_PEOPLE reads; authors
# write drafts and test cases; rule approvers approve, reject and (with partner admins) publish and retire.
RULE_PEOPLE = (RE, RA, DS, PA, AU)
RULE_AUTHORS = (RE, DS, PA)
RULE_READ = api(403, **{role: 200 for role in RULE_PEOPLE})
RULE_OTHER = api(403, **{role: 404 for role in RULE_PEOPLE})


def by_authors(status, **by_role):
    return api(403, **{role: status for role in RULE_AUTHORS}, **by_role)


def rule_listed(*names):
    return {role: set(names) for role in RULE_PEOPLE}


KNOCKOUT_CASE_INPUTS = {"annualIncome": 9000, "accountsNowDelinquent": 0}


def ruleset_post(world):
    return {"data": {"type": "ruleset", "attributes": {"name": "Cut-offs", "purpose": "cutoff"}}}


def case_post(world):
    return {
        "data": {
            "type": "rulesetTestCase",
            "attributes": {
                "name": "low again",
                "inputs": KNOCKOUT_CASE_INPUTS,
                "expectedOutputs": {"knockoutReasons": ["KO03"]},
            },
        }
    }


def case_import(world):
    return {
        "data": {
            "type": "rulesetTestCase",
            "attributes": {"csv": "name,annualIncome,accountsNowDelinquent,knockoutReasons\nlow,9000,0,KO03\n"},
        }
    }


def case_patch(world):
    return {"data": {"type": "rulesetTestCase", "id": str(world["test_case"]), "attributes": {"name": "low income"}}}


def version_post(world):
    return {
        "data": {
            "type": "rulesetVersion",
            "attributes": {"rulesetId": str(world["ruleset"]), "basedOnId": str(world["published"])},
        }
    }


def draft_patch(world):
    return {"data": {"type": "rulesetVersion", "id": str(world["draft"]), "attributes": {"changeNote": "tighter"}}}


def transition(**attributes):
    return lambda world: {"data": {"type": "rulesetVersion", "attributes": attributes}}


def reevaluation_job_post(world):
    return {"data": {"type": "reevaluationJob", "attributes": {"flowId": str(world["flow"]), "statuses": ["current"]}}}


def protected_characteristics_post(world):
    return {"data": {"type": "protectedCharacteristics", "attributes": {"values": {"applicantAge": 44}}}}


# Portfolio monitoring (portfolio/selectors.py): risk managers run and read jobs, auditors read.
JOB_READ = {RM: 200, AU: 200}
JOB_READ_OTHER = {RM: 404, AU: 404}
PORTFOLIO_PAGES = ("", "progress/", "export.csv", "psi.svg")
# The monitoring pages: risk managers, auditors and partner admins, each of their own partner only.
MONITORING_READ = {RM: 200, AU: 200, PA: 200}

# Batch predictions (batchpredictions/selectors.py): data scientists, risk managers and partner
# admins score files; the auditor reads and downloads.
BATCH_RUNNERS = (DS, RM, PA)
BATCH_READ = {role: 200 for role in (*BATCH_RUNNERS, AU)}
BATCH_READ_OTHER = {role: 404 for role in (*BATCH_RUNNERS, AU)}
BATCH_CSV = "ref,annualIncome,revolvingUtilization,homeOwnership\nR-1,45000,62.5,RENT\n"
BATCH_PAGES = ("", "progress/", "result.csv")


def batch_prediction_post(world):
    return {"data": {"type": "batchPrediction", "attributes": {"modelId": str(world["model"]), "csv": BATCH_CSV}}}


TRAIN_PAGE = {DS: 200, PA: 200}
TRAIN_OTHER = {DS: 404, PA: 404}

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
    Row(
        "patch",
        "/api/v1/predictive-models/{model}/fields/{field}",
        api(403, data_scientist=200, rule_editor=200, partner_admin=200),
        api(403, data_scientist=404, rule_editor=404, partner_admin=404),
        body=field_patch,
    ),
    # --- data dictionary (platform-wide; CSV). The table's requests send JSON:API, so those who
    # may import get 415 (the import reads text/csv): the permission is checked first.
    Row("get", "/api/v1/data-dictionary", api(200), None),
    Row("post", "/api/v1/data-dictionary", api(403, data_scientist=415, partner_admin=415), None),
    Row("get", "/api/v1/predictive-models/{dmn_model}/export?format=dmn", MODEL_READERS, api(404)),
    # --- rulesets (rows run in order on one world per role: the draft is submitted before the
    # version in review is approved, published, then its rejection is too late) ---
    Row("get", "/api/v1/rulesets", RULE_READ, None, listed=rule_listed("ruleset")),
    Row("post", "/api/v1/rulesets", by_authors(201), None, body=ruleset_post),
    Row("get", "/api/v1/rulesets/{ruleset}", RULE_READ, RULE_OTHER),
    Row("get", "/api/v1/rulesets/{ruleset}/test-cases", RULE_READ, RULE_OTHER, listed=rule_listed("test_case")),
    Row("post", "/api/v1/rulesets/{ruleset}/test-cases", by_authors(201), RULE_OTHER, body=case_post),
    Row("post", "/api/v1/rulesets/{ruleset}/test-cases/import", by_authors(200), RULE_OTHER, body=case_import),
    Row("get", "/api/v1/rulesets/{ruleset}/test-cases/{test_case}", RULE_READ, RULE_OTHER),
    Row("patch", "/api/v1/rulesets/{ruleset}/test-cases/{test_case}", by_authors(200), RULE_OTHER, body=case_patch),
    Row(
        "get",
        "/api/v1/ruleset-versions",
        RULE_READ,
        None,
        listed=rule_listed("published", "draft", "in_review", "scrap"),
    ),
    Row("post", "/api/v1/ruleset-versions", by_authors(201), RULE_OTHER, body=version_post),
    Row("get", "/api/v1/ruleset-versions/{draft}", RULE_READ, RULE_OTHER),
    Row("patch", "/api/v1/ruleset-versions/{draft}", by_authors(200), RULE_OTHER, body=draft_patch),
    Row("get", "/api/v1/ruleset-versions/{draft}/field-mapping", RULE_READ, RULE_OTHER),
    Row("get", "/api/v1/ruleset-versions/{draft}/diff?against={published}", RULE_READ, RULE_OTHER),
    Row("post", "/api/v1/ruleset-versions/{draft}/test-run", RULE_READ, RULE_OTHER),
    Row("post", "/api/v1/ruleset-versions/{draft}/submit", by_authors(200), RULE_OTHER, body=transition(note="ready")),
    Row(
        "post",
        "/api/v1/ruleset-versions/{in_review}/approve",
        api(403, rule_approver=200),
        RULE_OTHER,
        body=transition(effectiveFrom="2026-01-01T00:00:00Z"),
    ),
    Row(
        "post",
        "/api/v1/ruleset-versions/{in_review}/publish",
        api(403, rule_approver=200, partner_admin=409),
        RULE_OTHER,
        body=transition(note="live"),
    ),
    Row(
        "post",
        "/api/v1/ruleset-versions/{in_review}/reject",
        api(403, rule_approver=409),
        RULE_OTHER,
        body=transition(note="too late"),
    ),
    Row(
        "post",
        "/api/v1/ruleset-versions/{published}/retire",
        api(403, rule_approver=200, partner_admin=200),
        RULE_OTHER,
        body=transition(note="withdrawn"),
    ),
    Row("delete", "/api/v1/rulesets/{ruleset}/test-cases/{test_case}", by_authors(204), RULE_OTHER),
    Row("delete", "/api/v1/ruleset-versions/{scrap}", by_authors(204), RULE_OTHER),
    # The rule editor's mapping form (admin): a redirect back to the editor with the service's
    # answer as a message; the draft is in review by now, so nothing changes whoever posts.
    Row(
        "post",
        "/admin/rulesets/ruleset/version/{draft}/editor/mapping/",
        admin_page(302, data_scientist=404, superuser=302),
        admin_page(404, data_scientist=404, superuser=302),
        page=True,
    ),
    # --- insights ---
    Row("get", "/api/v1/insights", api(200, **NO_READ), None, listed=listed(INSIGHTS_READ_BY)),
    Row(
        "post",
        "/api/v1/insights",
        api(403, partner_system=201, data_scientist=201, partner_admin=201),
        api(403, partner_system=404, data_scientist=404, partner_admin=404),
        body=insight_post,
    ),
    *(Row("get", f"/api/v1/insights/{{{name}}}", *read_detail(readers)) for name, readers in INSIGHTS_READ_BY.items()),
    # --- decisions ---
    Row("get", "/api/v1/decisions", api(200, **NO_READ), None, listed=listed(DECISIONS_READ_BY)),
    Row(
        "post",
        "/api/v1/decisions",
        api(403, partner_system=400, partner_admin=400),
        api(403, partner_system=404, partner_admin=404),
        body=decision_post,
    ),
    *(
        Row("get", f"/api/v1/decisions/{{{name}}}", *read_detail(readers))
        for name, readers in DECISIONS_READ_BY.items()
    ),
    Row(
        "post",
        "/api/v1/decisions/{decision_reviewed}/replay",
        api(403, partner_system=200, partner_admin=200),
        api(403, partner_system=404, partner_admin=404),
    ),
    Row(
        "post",
        "/api/v1/decisions/{decision_plain}/replay",
        api(403, partner_system=404, partner_admin=200),
        api(403, partner_system=404, partner_admin=404),
    ),
    Row(
        "post",
        "/api/v1/replay-jobs",
        api(403, auditor=202, partner_admin=202),
        api(403, auditor=404, partner_admin=404),
        body=replay_job_post,
    ),
    # --- decision flows, versions, backtests ---
    Row("get", "/api/v1/decision-flows", api(200, **FLOW_READ), None),
    Row("post", "/api/v1/decision-flows", api(403, partner_admin=201), None, body=flow_post),
    Row("get", "/api/v1/decision-flows/{named_flow}", api(200, **FLOW_READ), api(404, **FLOW_READ)),
    Row("get", "/api/v1/decision-flows/{named_flow}/versions", api(200, **FLOW_READ), api(404, **FLOW_READ)),
    Row(
        "post",
        "/api/v1/decision-flows/{named_flow}/versions",
        api(403, partner_admin=201),
        api(404, **FLOW_READ),
        body=flow_version_post,
    ),
    Row(
        "post",
        "/api/v1/decision-flows/{named_flow}/backtests",
        api(403, partner_admin=202, rule_approver=202, rule_editor=202),
        api(404, **FLOW_READ),
        body=backtest_post,
    ),
    Row("get", "/api/v1/backtests/{backtest}", api(200, **FLOW_READ), api(404, **FLOW_READ)),
    # Flow versions' path (rows run in order: the version in review is approved, published, then its
    # rejection is too late and it is retired): the partner admin submits; a rule approver who is
    # not the author approves, rejects and publishes; approvers and partner admins retire.
    Row("get", "/api/v1/decision-flow-versions/{flow_draft}", api(200, **FLOW_READ), api(404, **FLOW_READ)),
    Row(
        "post",
        "/api/v1/decision-flow-versions/{flow_submittable}/submit",
        api(403, partner_admin=200),
        api(404, **FLOW_READ),
        body=flow_transition(note="ready"),
    ),
    Row(
        "post",
        "/api/v1/decision-flow-versions/{flow_in_review}/approve",
        api(403, rule_approver=200),
        api(404, **FLOW_READ),
        body=flow_transition(note="fine"),
    ),
    Row(
        "post",
        "/api/v1/decision-flow-versions/{flow_in_review}/publish",
        api(403, rule_approver=200),
        api(404, **FLOW_READ),
        body=flow_transition(),
    ),
    Row(
        "post",
        "/api/v1/decision-flow-versions/{flow_in_review}/reject",
        api(403, rule_approver=409),
        api(404, **FLOW_READ),
        body=flow_transition(note="too late"),
    ),
    Row(
        "post",
        "/api/v1/decision-flow-versions/{flow_in_review}/retire",
        api(403, rule_approver=200, partner_admin=409),
        api(404, **FLOW_READ),
        body=flow_transition(note="withdrawn"),
    ),
    Row("get", "/flows/", FLOW_PAGE_READ, None, page=True),
    Row("get", "/flows/{named_flow}/", FLOW_PAGE_READ, FLOW_PAGE_OTHER, page=True),
    Row("get", "/flows/versions/{flow_draft}/", FLOW_PAGE_READ, FLOW_PAGE_OTHER, page=True),
    # Creating a flow: a partner admin's empty form comes back with its errors (200).
    Row("post", "/flows/", page(403, partner_admin=200), None, page=True),
    Row(
        "post",
        "/flows/versions/{flow_draft}/backtests/",
        page(403, partner_admin=302, rule_approver=302, rule_editor=302),
        FLOW_PAGE_OTHER,
        page=True,
    ),  # another partner's version is 404 before the role is asked
    Row("get", "/flows/backtests/{backtest}/", FLOW_PAGE_READ, FLOW_PAGE_OTHER, page=True),
    Row("get", "/flows/backtests/{backtest}/progress", FLOW_PAGE_READ, FLOW_PAGE_OTHER, page=True),
    # --- portfolio re-evaluation ---
    Row("get", "/api/v1/reevaluation-jobs", api(403, **JOB_READ), None, listed={RM: {"job"}, AU: {"job"}}),
    Row(
        "post",
        "/api/v1/reevaluation-jobs",
        api(403, risk_manager=202),
        api(403, risk_manager=404),
        body=reevaluation_job_post,
    ),
    Row("get", "/api/v1/reevaluation-jobs/{job}", api(403, **JOB_READ), api(403, **JOB_READ_OTHER)),
    Row("post", "/api/v1/reevaluation-jobs/{job}/cancel", api(403, risk_manager=200), api(403, risk_manager=404)),
    Row("get", "/portfolio/jobs/", page(403, **JOB_READ), None, page=True),
    Row("post", "/portfolio/jobs/submit/", page(403, risk_manager=302), None, page=True),
    *(
        Row("get", f"/portfolio/jobs/{{job}}/{suffix}", page(403, **JOB_READ), page(403, **JOB_READ_OTHER), page=True)
        for suffix in PORTFOLIO_PAGES
    ),
    Row("get", "/portfolio/schedule/", page(403, risk_manager=200), None, page=True),
    Row("post", "/portfolio/schedule/", page(403, risk_manager=302), None, page=True),
    # --- protected characteristics beside a decision: those who create decisions, on one they may read ---
    Row(
        "post",
        "/api/v1/decisions/{decision_reviewed}/protected-characteristics",
        api(403, partner_system=201, partner_admin=201),
        api(403, partner_system=404, partner_admin=404),
        body=protected_characteristics_post,
    ),
    Row(  # requested by another of the partner's systems: not this system's to read
        "post",
        "/api/v1/decisions/{decision_plain}/protected-characteristics",
        api(403, partner_system=404, partner_admin=201),
        None,
        body=protected_characteristics_post,
    ),
    # --- monitoring dashboard and fairness report (monitoring/selectors.py READERS) ---
    Row("get", "/monitoring/", page(403, **MONITORING_READ), None, page=True),
    Row("get", "/monitoring/fairness/", page(403, **MONITORING_READ), None, page=True),
    # --- batch predictions ---
    Row(
        "get",
        "/api/v1/batch-predictions",
        api(403, **BATCH_READ),
        None,
        listed={role: {"batch"} for role in BATCH_READ},
    ),
    Row(
        "post",
        "/api/v1/batch-predictions",
        api(403, **{role: 202 for role in BATCH_RUNNERS}),
        api(403, **{role: 404 for role in BATCH_RUNNERS}),
        body=batch_prediction_post,
    ),
    Row("get", "/api/v1/batch-predictions/{batch}", api(403, **BATCH_READ), api(403, **BATCH_READ_OTHER)),
    Row("get", "/api/v1/batch-predictions/{batch}/result", api(403, **BATCH_READ), api(403, **BATCH_READ_OTHER)),
    Row("get", "/batch-predictions/", page(403, **BATCH_READ), None, page=True),
    Row("post", "/batch-predictions/submit/", page(403, **{role: 302 for role in BATCH_RUNNERS}), None, page=True),
    *(
        Row(
            "get",
            f"/batch-predictions/{{batch}}/{suffix}",
            page(403, **BATCH_READ),
            page(403, **BATCH_READ_OTHER),
            page=True,
        )
        for suffix in BATCH_PAGES
    ),
    # --- the training page (modelregistry/views.py): data scientists and partner admins ---
    Row("get", "/training/", page(403, **TRAIN_PAGE), None, page=True),
    Row("post", "/training/", page(403, **TRAIN_PAGE), None, page=True),  # an empty form: named on the page
    Row("get", "/training/{training_job}/", page(403, **TRAIN_PAGE), page(403, **TRAIN_OTHER), page=True),
    Row("get", "/training/{training_job}/progress/", page(403, **TRAIN_PAGE), page(403, **TRAIN_OTHER), page=True),
    Row(
        "post",
        "/training/{training_job}/confirm/",
        page(403, **{role: 302 for role in TRAIN_PAGE}),
        page(403, **TRAIN_OTHER),
        page=True,
    ),  # the job has ended: nothing to confirm, said on the job's page
    # --- API documentation (public) ---
    Row("get", "/api/schema/", expect(200), None, page=True),
    Row("get", "/api/docs/", expect(200), None, page=True),
    # --- what-if pages: underwriters, data scientists, risk managers, partner admins; nothing stored ---
    Row("get", "/what-if/", WHAT_IF_READ, None, page=True),
    Row("get", "/what-if/flows/{named_flow}/", WHAT_IF_READ, WHAT_IF_OTHER, page=True),
    Row("get", "/what-if/models/{model}/", WHAT_IF_READ, WHAT_IF_OTHER, page=True),
    # --- review queue pages: underwriters of the case's partner ---
    Row("get", "/review/", page(403, underwriter=200), None, page=True),
    Row("get", "/review/{case}/", page(403, underwriter=200), page(403, underwriter=404), page=True),
    *(
        Row("post", f"/review/{{case}}/{verb}/", page(403, underwriter=302), page(403, underwriter=404), page=True)
        for verb in ("claim", "release", "confirm")
    ),
    # An empty decision is refused on the same page (200, nothing kept in the session).
    Row("post", "/review/{case}/decide/", page(403, underwriter=200), page(403, underwriter=404), page=True),
    Row("get", "/review/{case}/claim/", expect(405), expect(405), page=True),  # only POST, checked first
    # --- home, overview, people and tokens, audit (partners/views.py) ---
    Row("get", "/", expect(302), None, page=True),  # to the login form, the role's home, or the admin
    Row("get", "/overview/", page(200, superuser=403), None, page=True),
    Row("get", "/people/", page(403, partner_admin=200), None, page=True),
    Row("post", "/people/add/", page(403, partner_admin=302), None, page=True),
    Row("post", "/people/tokens/", page(403, partner_admin=302), None, page=True),
    Row("get", "/audit/", page(403, auditor=200, partner_admin=200), None, page=True),
    Row("get", "/dictionary/", page(403, data_scientist=200, partner_admin=200), None, page=True),
    Row("get", "/dictionary/export.csv", page(403, data_scientist=200, partner_admin=200), None, page=True),
    Row("post", "/dictionary/import/", page(403, data_scientist=302, partner_admin=302), None, page=True),
    # --- login ---
    Row("get", "/accounts/login/", expect(200), None, page=True),
    # --- admin: partner staff see their own partner's objects, per their roles' permissions ---
    Row("get", "/admin/", admin_page(200), None, page=True),
    Row("get", "/admin/decisioning/insighttransaction/", admin_page(auditor=200, partner_admin=200), None, page=True),
    Row(
        "get",
        "/admin/decisioning/insighttransaction/{insight_by_system}/change/",
        admin_page(auditor=200, partner_admin=200),
        admin_page(auditor=302, partner_admin=302),
        page=True,
    ),
    Row("get", "/admin/modelregistry/predictivemodel/", admin_page(200), None, page=True),
    Row("get", "/admin/modelregistry/predictivemodel/{model}/change/", admin_page(200), admin_page(302), page=True),
    # Another partner's object answers as an id that exists nowhere does: no leak.
    Row(
        "get",
        "/admin/modelregistry/predictivemodel/00000000-0000-0000-0000-000000000000/change/",
        admin_page(302, superuser=302),
        None,
        page=True,
    ),
    Row("get", "/admin/modelregistry/datadictionaryfield/", admin_page(200), None, page=True),
    Row(
        "get",
        "/admin/modelregistry/datadictionaryfield/import/",
        admin_page(data_scientist=200, partner_admin=200),
        None,
        page=True,
    ),
    Row("get", "/admin/core/auditevent/", admin_page(auditor=200, partner_admin=200), None, page=True),
    # Sealed audit blocks span every partner: platform only.
    Row("get", "/admin/core/auditblock/", admin_page(), None, page=True),
    Row("get", "/admin/partners/partner/", admin_page(partner_admin=200), None, page=True),
    Row(
        "get",
        "/admin/partners/partner/{partner}/change/",
        admin_page(partner_admin=200),
        admin_page(partner_admin=302),
        page=True,
    ),
    Row("get", "/admin/partners/user/", admin_page(partner_admin=200), None, page=True),
    Row("get", "/admin/portfolio/loan/", admin_page(), None, page=True),
    Row("get", "/admin/portfolio/loan/import/", admin_page(), None, page=True),
    Row("get", "/admin/portfolio/reevaluationjob/", admin_page(), None, page=True),
    Row("get", "/admin/axes/accessattempt/", admin_page(), None, page=True),  # login throttling (django-axes)
    Row("get", "/admin/axes/accesslog/", admin_page(), None, page=True),
    # The beat schedule (django_celery_beat) is the platform's: superusers only.
    *(
        Row("get", f"/admin/django_celery_beat/{name}/", admin_page(), None, page=True)
        for name in ("periodictask", "crontabschedule", "intervalschedule", "clockedschedule", "solarschedule")
    ),
]


def build_side(partner):
    """One user per role, a mapped model, decisions and insights each readable by different roles."""
    people = {role: User.objects.create(username=f"{role}-{partner.slug}", partner=partner) for role in roles.ALL}
    for role, user in people.items():  # the real path: staff status follows the roles
        user_roles_set(user=user, roles=[role])
    second_system = User.objects.create(username=f"second-system-{partner.slug}", partner=partner)
    user_roles_set(user=second_system, roles=[PS])

    model = register_mapped_logistic(partner, people[DS])
    rules = build_rules(partner, people)
    named_flow = Flow.objects.create(partner=partner, name="Consumer loans", is_default=True)
    flow = DecisionFlowFactory(
        partner=partner, definition=named_flow, status="published", effective_from=timezone.now()
    )
    flow_draft = DecisionFlowFactory(partner=partner, definition=named_flow, created_by=people[PA])

    def valid_flow_version(status):
        """A version the partner admin authored that passes every check: one score step."""
        version = DecisionFlowFactory(
            partner=partner,
            definition=named_flow,
            status=status,
            created_by=people[PA],
            score_field="probabilityOfDefault",
            probability_of_default_field="",
            reason_code_fields=[],
            amount_field="annualIncome",
            cutoff_bands=[{"minimum": None, "outcome": "APPROVE"}],
        )
        FlowStep.objects.create(flow=version, position=0, kind="score", model=model)
        return version

    backtest = Backtest.objects.create(partner=partner, flow=named_flow, candidate=flow_draft, baseline=flow, limit=10)
    decision_reviewed = DecisionFactory(partner=partner, flow=flow, requested_by=people[PS])
    case = ReviewCaseFactory(partner=partner, decision=decision_reviewed)
    decision_plain = DecisionFactory(
        partner=partner, flow=flow, requested_by=second_system, outcome="APPROVED", final_outcome="APPROVED"
    )

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
            "batch": build_batch_prediction(partner, people[DS], model),
            "training_job": TrainingJob.objects.create(
                partner=partner,
                created_by=people[DS],
                source_sha256="0" * 64,
                target="Class",
                bad_value="bad",
                algorithm="logistic",
                name="PD",
                status=TrainingJobStatus.COMPLETED,
                model=model,
            ).pk,
            "partner": partner.pk,
            "model": model.pk,
            "field": model.fields.get(name="annual_inc").pk,
            "flow": flow.pk,
            "named_flow": named_flow.pk,
            "flow_draft": flow_draft.pk,
            "flow_submittable": valid_flow_version("draft").pk,
            "flow_in_review": valid_flow_version("in_review").pk,
            "backtest": backtest.pk,
            "case": case.pk,
            "decision_reviewed": decision_reviewed.pk,
            "decision_plain": decision_plain.pk,
            "insight_by_system": evaluate(people[PS]),
            "insight_step_reviewed": evaluate(
                people[PS], decision=decision_reviewed, step_kind="score", step_position=1
            ),
            "insight_by_scientist": evaluate(people[DS]),
            **rules,
        },
    }


def build_batch_prediction(partner, user, model):
    """A completed batch prediction of one row (its chunk run here, so its result can be downloaded)."""
    from batchpredictions.services.chunks import batch_prediction_chunk_run
    from batchpredictions.services.jobs import batch_prediction_create

    job = batch_prediction_create(partner=partner, user=user, data=BATCH_CSV, model_id=model.pk)
    batch_prediction_chunk_run(chunk_id=job.chunks.get().pk)
    return job.pk


def build_rules(partner, people):
    """A ruleset with a published version, a test case, and the rule editor's draft, version in
    review and draft to discard (all copies of the published one)."""
    from rulesets import services as rulesets
    from rulesets.models import RulesetTestCase
    from tests.factories import KNOCKOUT_DMN, publish_ruleset

    editor = people[RE]
    published = publish_ruleset(
        partner,
        "Knock-outs",
        KNOCKOUT_DMN,
        author=editor,
        approver=people[RA],
        test_cases=[("low", KNOCKOUT_CASE_INPUTS, {"knockoutReasons": ["KO03"]})],
    )
    ruleset = published.ruleset

    def draft():
        return rulesets.ruleset_version_create_draft(ruleset=ruleset, actor=editor, based_on=published)

    in_review = rulesets.ruleset_version_submit(version=draft(), actor=editor)
    return {
        "ruleset": ruleset.pk,
        "test_case": RulesetTestCase.objects.get(ruleset=ruleset).pk,
        "published": published.pk,
        "dmn_model": published.published_model_id,
        "draft": draft().pk,
        "in_review": in_review.pk,
        "scrap": draft().pk,
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
    if method == "delete":
        return client.client.delete(url, HTTP_ACCEPT="application/vnd.api+json")
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
                mismatches.append(
                    f"{row.method.upper()} {row.url} ({side}): {response.status_code}, table says {expected}"
                )
                continue
            if not row.page and expected >= 400:
                assert response.json()["errors"][0]["status"] == str(expected), (row.url, response.content[:300])
            if row.listed and expected == 200:
                ids = {item["id"] for item in response.json()["data"]}
                assert not ids & other_ids, f"{row.url} lists another partner's records"
                seen = {name for name, value in world["own"]["ids"].items() if str(value) in ids}
                if row.listed.get(role) != seen:
                    mismatches.append(
                        f"GET {row.url} lists {sorted(seen)}, table says {sorted(row.listed.get(role, ()))}"
                    )
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
        return re.sub(r"<[^>]+>|\{[^}]+\}", "*", url.lstrip("/").split("?")[0])

    api_routes = {shape(route) for route in routes(get_resolver()) if route.startswith("api/")}
    covered = {shape(row.url) for row in ROWS}
    assert api_routes - covered == set()
