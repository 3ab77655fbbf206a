"""Every API endpoint × every class of malformed request → a 4xx JSON:API error naming where.

The endpoints come from the URL configuration, so an endpoint added later without a row in
`ENDPOINTS` fails `test_every_api_endpoint_is_in_the_table` instead of escaping these tests.
"""

import json

import pytest
from django.urls import get_resolver
from django.utils import timezone
from rest_framework.test import APIClient

from batchpredictions.models import BatchPrediction
from decisioning.demo import demo_application, demo_load
from decisioning.models import Decision
from decisioning.services.backtests import backtest_create
from partners import roles
from partners.services import api_token_create, user_roles_set
from portfolio.services.jobs import reevaluation_job_create

JSON_API = "application/vnd.api+json"
DEEP = 10_000

pytestmark = pytest.mark.django_db


def _world():
    demo = demo_load(out=lambda *_: None)
    admin = demo["people"][roles.PARTNER_ADMIN][0]
    # Re-evaluation jobs are started by risk managers only: the same person has that role too, so
    # every operation is reached past its permission check.
    user_roles_set(user=admin, roles=[*admin.role_names(), roles.RISK_MANAGER], record=False)
    model = demo["logistic"]
    field = model.fields.filter(field_type="argument").first()
    decision = Decision.objects.create(
        partner=demo["partner"],
        flow=demo["flow"],
        application=demo_application(0),
        outcome="APPROVED",
        final_outcome="APPROVED",
        outputs={},
    )
    ruleset = demo["rulesets"]["knockout"]
    flow = demo["flow"].definition
    backtest = backtest_create(flow=flow, actor=demo["people"][roles.RULE_APPROVER][0], candidate=demo["flow"], limit=5)
    job = reevaluation_job_create(partner=demo["partner"], user=admin, flow_id=str(demo["flow"].pk), chunk_size=100)
    batch = BatchPrediction.objects.create(
        partner=demo["partner"], model=model, versions_at=timezone.now(), expires=timezone.now(), created_by=admin
    )
    return {
        "admin": admin,
        "batch": batch,
        "flow": flow,
        "flow_version": demo["flow"],
        "backtest": backtest,
        "job": job,
        "model": model,
        "field": field,
        "decision": decision,
        "ruleset": ruleset,
        "version": ruleset.versions.order_by("-number").first(),
        "test_case": ruleset.test_cases.first(),
        "dmn_model": demo["knockout"],
    }


@pytest.fixture(scope="module")
def module_world(django_db_setup, django_db_blocker):
    """The demo and one object of each kind, built once for this module inside a transaction that is
    rolled back at its end; each test runs in a savepoint inside it (pytest-django's `db`), so what a
    test writes is still undone after it. Building the demo per test cost most of this module's time."""
    from django.db import transaction

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield _world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def world(module_world, db):
    """The module's world with a client on a token of its own (rate limits count per token)."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=module_world['admin'])}")
    return {**module_world, "client": client}


# route name -> (path kwargs from the world, {method: (resource type, the attribute a deep value goes in)})
# A method mapped to None takes no body: malformed bodies must still never crash it.
ENDPOINTS = {
    "predictive-model-list": (lambda w: {}, {"post": ("predictiveModel", "artifact")}),
    "predictive-model-detail": (lambda w: {"pk": w["model"].pk}, {}),
    "predictive-model-source": (lambda w: {"pk": w["model"].pk}, {}),
    "predictive-model-field-list": (lambda w: {"model_pk": w["model"].pk}, {}),
    "predictive-model-field-detail": (
        lambda w: {"model_pk": w["model"].pk, "pk": w["field"].pk},
        {"patch": ("predictiveModelField", "supportedFieldName")},
    ),
    "insight-list": (lambda w: {}, {"post": ("insight", "arguments")}),
    "insight-detail": (lambda w: {"pk": w["decision"].pk}, {}),
    "decision-list": (lambda w: {}, {"post": ("decision", "application")}),
    "decision-detail": (lambda w: {"pk": w["decision"].pk}, {}),
    "decision-replay": (lambda w: {"pk": w["decision"].pk}, {"post": None}),
    "replay-job-list": (lambda w: {}, {"post": ("replayJob", "decisionIds")}),
    "predictive-model-export": (lambda w: {"pk": w["dmn_model"].pk}, {}),
    "ruleset-list": (lambda w: {}, {"post": ("ruleset", "name")}),
    "ruleset-detail": (lambda w: {"pk": w["ruleset"].pk}, {}),
    "ruleset-test-case-list": (lambda w: {"ruleset_pk": w["ruleset"].pk}, {"post": ("rulesetTestCase", "inputs")}),
    "ruleset-test-case-import": (lambda w: {"ruleset_pk": w["ruleset"].pk}, {"post": ("rulesetTestCase", "csv")}),
    "ruleset-test-case-detail": (
        lambda w: {"ruleset_pk": w["ruleset"].pk, "pk": w["test_case"].pk},
        {"patch": ("rulesetTestCase", "inputs")},
    ),
    "ruleset-version-list": (lambda w: {}, {"post": ("rulesetVersion", "dmnXml")}),
    "ruleset-version-detail": (lambda w: {"pk": w["version"].pk}, {"patch": ("rulesetVersion", "changeNote")}),
    **{
        f"ruleset-version-{verb}": (lambda w: {"pk": w["version"].pk}, {"post": ("rulesetVersion", "note")})
        for verb in ("submit", "approve", "reject", "publish", "retire")
    },
    "ruleset-version-test-run": (lambda w: {"pk": w["version"].pk}, {"post": None}),
    "ruleset-version-diff": (lambda w: {"pk": w["version"].pk}, {}),
    "ruleset-version-field-mapping": (lambda w: {"pk": w["version"].pk}, {}),
    "data-dictionary": (lambda w: {}, {}),  # its POST takes text/csv, not a JSON:API document
    "decision-flow-list": (lambda w: {}, {"post": ("decisionFlow", "name")}),
    "decision-flow-detail": (lambda w: {"pk": w["flow"].pk}, {}),
    "decision-flow-version-list": (
        lambda w: {"flow_pk": w["flow"].pk},
        {"post": ("decisionFlowVersion", "changeNote")},
    ),
    "decision-flow-version-detail": (lambda w: {"pk": w["flow_version"].pk}, {}),
    **{
        f"decision-flow-version-{verb}": (
            lambda w: {"pk": w["flow_version"].pk},
            {"post": ("decisionFlowVersion", "note")},
        )
        for verb in ("submit", "approve", "reject", "publish", "retire")
    },
    "decision-flow-backtest-list": (lambda w: {"flow_pk": w["flow"].pk}, {"post": ("backtest", "candidateId")}),
    "backtest-detail": (lambda w: {"pk": w["backtest"].pk}, {}),
    "reevaluation-job-list": (lambda w: {}, {"post": ("reevaluationJob", "statuses")}),
    "reevaluation-job-detail": (lambda w: {"pk": w["job"].pk}, {}),
    "reevaluation-job-cancel": (lambda w: {"pk": w["job"].pk}, {"post": None}),
    "decision-protected-characteristics": (
        lambda w: {"pk": w["decision"].pk},
        {"post": ("protectedCharacteristics", "values")},
    ),
    "batch-prediction-list": (lambda w: {}, {"post": ("batchPrediction", "csv")}),
    "batch-prediction-detail": (lambda w: {"pk": w["batch"].pk}, {}),
    "batch-prediction-result": (lambda w: {"pk": w["batch"].pk}, {}),
}


def api_routes():
    """(route name, route) of every URL under /api/v1/."""
    found = []

    def walk(patterns, prefix):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if hasattr(pattern, "url_patterns"):
                walk(pattern.url_patterns, route)
            elif route.startswith("api/v1/"):
                found.append((pattern.name, route))

    walk(get_resolver().url_patterns, "")
    return found


def url_of(world, name):
    from django.urls import reverse

    kwargs, _ = ENDPOINTS[name]
    return reverse(name, kwargs=kwargs(world))


def document(resource_type, attributes_json, *, id_=None, extra=""):
    identity = f'"id": "{id_}", ' if id_ else ""
    return f'{{"data": {{"type": "{resource_type}", {identity}"attributes": {attributes_json}{extra}}}}}'


def malformed_bodies(resource_type, deep_attribute, id_):
    """(case, body bytes, expected status, expected pointer or a prefix ending in '*', or header)."""
    deep = "[" * DEEP + "]" * DEEP
    with_attributes = lambda attributes, extra="": document(resource_type, attributes, id_=id_, extra=extra).encode()  # noqa: E731
    return [
        (
            "nested 10,000 deep",
            with_attributes(f'{{"{deep_attribute}": {deep}}}'),
            400,
            f"/data/attributes/{deep_attribute}/0*",
        ),
        (
            "nested 40 deep",
            with_attributes(f'{{"{deep_attribute}": {"[" * 40 + "]" * 40}}}'),
            400,
            f"/data/attributes/{deep_attribute}/0*",
        ),
        ("attributes a list", with_attributes("[1]"), 400, "/data/attributes"),
        ("attributes a string", with_attributes('"text"'), 400, "/data/attributes"),
        ("attributes null", with_attributes("null"), 400, "/data/attributes"),
        ("relationships a list", with_attributes("{}", ', "relationships": [1]'), 400, "/data/relationships"),
        (
            "relationship a number",
            with_attributes("{}", ', "relationships": {"flow": 1}'),
            400,
            "/data/relationships/flow",
        ),
        (
            "relationship without data",
            with_attributes("{}", ', "relationships": {"flow": {}}'),
            400,
            "/data/relationships/flow/data",
        ),
        (
            "relationship data a string",
            with_attributes("{}", ', "relationships": {"flow": {"data": "x"}}'),
            400,
            "/data/relationships/flow/data",
        ),
        (
            "relationship linkage without id",
            with_attributes("{}", ', "relationships": {"flow": {"data": [{"type": "x"}]}}'),
            400,
            "/data/relationships/flow/data/0/id",
        ),
        (
            "lone surrogate in a member name",
            with_attributes(f'{{"{deep_attribute}": {{"\\ud800": 1}}}}'),
            400,
            f"/data/attributes/{deep_attribute}/\\ud800",
        ),
        (
            "lone surrogate in a value",
            with_attributes(f'{{"{deep_attribute}": ["ok", "a\\udfffb"]}}'),
            400,
            f"/data/attributes/{deep_attribute}/1",
        ),
        (
            "NUL in a value",
            with_attributes(f'{{"{deep_attribute}": "a\\u0000b"}}'),
            400,
            f"/data/attributes/{deep_attribute}",
        ),
        ("NUL in a member name", with_attributes('{"a\\u0000b": 1}'), 400, "/data/attributes/a\x00b"),
        ("type a number", '{"data": {"type": 7, "attributes": {}}}'.encode(), 400, "/data/type"),
        ("type missing", b'{"data": {"attributes": {}}}', 400, "/data/type"),
        (
            "unknown member of data",
            f'{{"data": {{"type": "{resource_type}", "attributes": {{}}, "x-unknown": 42}}}}'.encode(),
            400,
            "/data/x-unknown",
        ),
        ("meta a list", with_attributes("{}", ', "meta": []'), 400, "/data/meta"),
        ("data a list", b'{"data": [1]}', 400, "/data"),
        ("data missing", b'{"meta": {}}', 400, "/data"),
        ("document a list", b"[1]", 400, ""),
        ("document a string", b'"data"', 400, ""),
        ("not JSON", b'{"data": ', 400, ""),
        ("NaN", document(resource_type, '{"x": NaN}', id_=id_).encode(), 400, ""),
        ("not UTF-8", with_attributes('{"name": "\xff"}').replace(b"\xc3\xbf", b"\xff"), 400, ""),
    ]


def assert_json_api_error(response, status, case):
    assert response.status_code == status, (case, response.status_code, response.content[:300])
    assert response["Content-Type"].startswith(JSON_API), (case, response["Content-Type"])
    errors = response.json()["errors"]
    assert errors and all(error["status"] == str(status) for error in errors), (case, errors)
    return errors


def test_every_api_endpoint_is_in_the_table():
    assert {name for name, _ in api_routes()} == set(ENDPOINTS)


def body_cases():
    for name, (_, methods) in ENDPOINTS.items():
        for method, spec in methods.items():
            yield name, method, spec


@pytest.mark.parametrize("name,method,spec", list(body_cases()), ids=lambda v: v if isinstance(v, str) else "")
def test_malformed_bodies_are_json_api_errors_naming_the_pointer(world, name, method, spec):
    url = url_of(world, name)
    resource_type, deep_attribute = spec or ("decision", "application")
    id_ = str(world["field"].pk) if method == "patch" else None
    for case, body, status, expected in malformed_bodies(resource_type, deep_attribute, id_):
        response = getattr(world["client"], method)(url, data=body, content_type=JSON_API)
        if spec is None:  # takes no body: never read, so it cannot crash on one
            assert response.status_code < 500, (case, response.status_code)
            continue
        errors = assert_json_api_error(response, status, case)
        pointer = errors[0]["source"]["pointer"]
        if expected.endswith("*"):
            assert pointer.startswith(expected[:-1]), (case, pointer)
        else:
            assert pointer == expected, (case, pointer)


@pytest.mark.parametrize("name,method,spec", list(body_cases()), ids=lambda v: v if isinstance(v, str) else "")
def test_a_body_over_the_size_limit_is_a_413_json_api_error(world, settings, name, method, spec):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    resource_type, attribute = spec or ("decision", "application")
    body = document(resource_type, json.dumps({attribute: "x" * 20_000})).encode()
    response = getattr(world["client"], method)(url_of(world, name), data=body, content_type=JSON_API)
    if spec is None:
        assert response.status_code < 500
        return
    errors = assert_json_api_error(response, 413, "over the limit")
    assert errors[0]["source"] == {"header": "Content-Length"} and "10,000 bytes" in errors[0]["detail"]


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_options_answers_on_every_endpoint(world, name):
    response = world["client"].options(url_of(world, name))
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith(JSON_API)
    allowed = set(response.json()["data"]["allowedMethods"])
    assert {method.upper() for method in ENDPOINTS[name][1]} <= allowed


BAD_FILTERS = [
    ("filter[externalId]", "a\x00b"),
    ("filter[outcome]", "\x00"),
    ("filter[status]", "ok\x00"),
    ("filter[unknownName]", "x\x00"),
    ("filter[createdTo]", "2024-01-01T00:00:00+24:00"),
    ("filter[createdFrom]", ""),
    ("filter[outcome]", ""),
    ("filter[createdFrom]", "2024-13-01"),
    ("filter[createdTo]", "2024-02-30T10:00:00"),
    ("filter[createdFrom]", "yesterday"),
    ("filter[model]", "not-a-uuid"),
    ("page[number]", "0"),
    ("page[number]", "-1"),
    ("page[number]", "abc"),
    ("page[size]", "0"),
    ("page[size]", "100000"),
]
LISTS = [
    name
    for name in ENDPOINTS
    if name.endswith("-list") and name not in ("replay-job-list", "decision-flow-backtest-list")
]  # those are POST only


@pytest.mark.parametrize("name", LISTS)
def test_bad_filters_and_pages_are_400s_naming_the_parameter(world, name):
    url = url_of(world, name)
    for parameter, value in BAD_FILTERS:
        response = world["client"].get(url, {parameter: value})
        if response.status_code == 200:
            # A filter this list does not read is ignored, unless it carries NUL (refused everywhere).
            assert parameter.startswith("filter[") and "\x00" not in value, (parameter, value)
            continue
        errors = assert_json_api_error(response, 400, (parameter, value))
        assert errors[0]["source"] == {"parameter": parameter}, (parameter, value, errors)


@pytest.mark.parametrize("name", ["decision-list", "insight-list"])
def test_filters_within_range_are_accepted(world, name):
    # Offsets beyond PostgreSQL's ±15:59 and moments at the calendar's ends are compared in UTC.
    for parameter, value in [
        ("filter[createdFrom]", "2024-01-01T00:00:00+15:59"),
        ("filter[createdTo]", "9999-12-31"),
        ("filter[createdFrom]", "2024-01-01T00:00:00+16:00"),
        ("filter[createdTo]", "2024-01-01T00:00:00-23:59"),
        ("filter[createdFrom]", "9999-12-31T23:59:59-15:00"),
        ("filter[createdTo]", "0001-01-01T00:00:00+15:00"),
        ("filter[createdFrom]", "0001-01-02"),
        ("page[size]", "200"),
        ("page[number]", "1"),
    ]:
        response = world["client"].get(url_of(world, name), {parameter: value})
        assert response.status_code == 200, (parameter, value, response.content[:300])


def test_an_idempotency_key_over_the_column_length_is_refused_before_the_flow_runs(world):
    before = Decision.objects.count()
    body = json.dumps({"data": {"type": "decision", "attributes": {"application": demo_application(1)}}})
    for key, message in [("k" * 201, "At most 200 characters"), ("é-key", "printable ASCII")]:
        response = world["client"].post(
            url_of(world, "decision-list"), data=body, content_type=JSON_API, HTTP_IDEMPOTENCY_KEY=key
        )
        errors = assert_json_api_error(response, 400, key)
        assert errors[0]["source"] == {"header": "Idempotency-Key"} and message in errors[0]["detail"]
    assert Decision.objects.count() == before
    accepted = world["client"].post(
        url_of(world, "decision-list"), data=body, content_type=JSON_API, HTTP_IDEMPOTENCY_KEY="k" * 200
    )
    assert accepted.status_code == 201, accepted.content[:300]


def test_errors_about_no_request_document_name_no_pointer(world):
    anonymous = APIClient().get(url_of(world, "decision-list"))
    errors = assert_json_api_error(anonymous, 401, "no token")
    assert "source" not in errors[0]
    errors = assert_json_api_error(world["client"].delete(url_of(world, "decision-list")), 405, "DELETE")
    assert "source" not in errors[0]
    body = document("insight", "{}").encode()
    conflict = world["client"].post(url_of(world, "decision-list"), data=body, content_type=JSON_API)
    assert assert_json_api_error(conflict, 409, "wrong type")[0]["source"] == {"pointer": "/data"}


@pytest.mark.parametrize(
    "name,method,spec", [case for case in body_cases() if case[2]], ids=lambda v: v if isinstance(v, str) else ""
)
def test_bodies_of_another_media_type_are_415_json_api_errors(world, name, method, spec):
    resource_type, attribute = spec
    body = document(resource_type, json.dumps({attribute: "x"})).encode()
    for content_type in (
        "application/json",
        "text/plain",
        "multipart/form-data; boundary=x",
        "application/x-www-form-urlencoded",
    ):
        response = getattr(world["client"], method)(url_of(world, name), data=body, content_type=content_type)
        assert_json_api_error(response, 415, content_type)
