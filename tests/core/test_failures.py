"""When Redis or the database is down: decisions go on without Redis, jobs and everything without the
database answer 503 (JSON:API under /api/), and nothing is half-written.

Each scenario runs in a separate process whose settings point at a closed port (or whose database
connection is cut mid-request), as a production worker would meet it; nothing is mocked.
"""

import socket

import pytest
from django.db import connection

from core.models import AuditEvent
from decisioning.demo import demo_application, demo_load
from decisioning.models import Decision, InsightTransaction
from partners import roles
from partners.services import api_token_create
from tests.processes import run_django

JSON_API = "application/vnd.api+json"
CLOSED_REDIS_PORT = 8139  # in this checkout's port range; nothing listens there
CLOSED_DATABASE_PORT = 8138


def assert_closed(port):
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0, f"something listens on {port}: pick another closed port"


def decision_document(application, external_id):
    return {"data": {"type": "decision", "attributes": {"externalId": external_id, "application": application}}}


REQUESTS = """
import time
from django.test import Client

def send(method, url, token=None, document=None, **extra):
    headers = {"HTTP_ACCEPT": %(accept)r, **extra}
    if token:
        headers["HTTP_AUTHORIZATION"] = "Token " + token
    started = time.monotonic()
    if document is None:
        response = getattr(Client(), method)(url, **headers)
    else:
        response = getattr(Client(), method)(url, data=json.dumps(document), content_type=%(accept)r, **headers)
    body = response.content.decode()
    return {
        "status": response.status_code,
        "type": response.get("Content-Type"),
        "retryAfter": response.get("Retry-After"),
        "body": json.loads(body) if "json" in (response.get("Content-Type") or "") else body,
        "seconds": time.monotonic() - started,
    }
""" % {"accept": JSON_API}


@pytest.fixture
def demo(transactional_db):
    demo = demo_load(out=lambda *_: None)
    demo["auditor_token"] = api_token_create(user=demo["people"][roles.AUDITOR][0])
    return demo


def test_with_redis_down_decisions_go_on_and_job_submissions_are_503(demo):
    assert_closed(CLOSED_REDIS_PORT)
    decisions_before = Decision.objects.count()
    answers = run_django(
        REQUESTS
        + f"""
decided = send("post", "/api/v1/decisions", {demo["token"]!r}, {decision_document(demo_application(0), "REDIS-DOWN-1")!r})
listed = send("get", "/api/v1/decisions", {demo["auditor_token"]!r})
job = send("post", "/api/v1/replay-jobs", {demo["auditor_token"]!r},
           {{"data": {{"type": "replayJob", "attributes": {{"decisionIds": [decided["body"]["data"]["id"]]}}}}}})
print(json.dumps({{"decided": decided, "listed": listed, "job": job}}))
""",
        env={"REDIS_URL": f"redis://127.0.0.1:{CLOSED_REDIS_PORT}/3"},
    )

    assert answers["decided"]["status"] == 201, answers["decided"]["body"]
    assert answers["listed"]["status"] == 200
    assert Decision.objects.count() == decisions_before + 1

    job = answers["job"]
    assert job["status"] == 503 and job["type"] == JSON_API
    assert job["body"]["errors"][0]["status"] == "503"
    assert job["body"]["errors"][0]["code"] == "service_unavailable"
    assert int(job["retryAfter"]) > 0
    assert job["seconds"] < 10, "the submission must answer, not hang on the broker"
    assert not AuditEvent.objects.filter(
        action="decision.replay_job"
    ).exists()  # nothing recorded for a job never queued


def test_with_the_database_down_every_request_is_503_and_api_errors_are_json_api(demo):
    assert_closed(CLOSED_DATABASE_PORT)
    answers = run_django(
        REQUESTS
        + f"""
print(json.dumps({{
    "list": send("get", "/api/v1/decisions", {demo["auditor_token"]!r}),
    "decide": send("post", "/api/v1/decisions", {demo["token"]!r}, {decision_document(demo_application(0), "DB-DOWN-1")!r}),
    "page": send("get", "/review/", HTTP_COOKIE="sessionid=" + "a" * 32),
    "login": Client().post("/accounts/login/", {{"username": "someone", "password": "a password"}}).status_code,
}}))
""",
        env={"DATABASE_URL": f"postgres://postgres@127.0.0.1:{CLOSED_DATABASE_PORT}/creditbox"},
    )

    for name in ("list", "decide"):
        answer = answers[name]
        assert answer["status"] == 503 and answer["type"] == JSON_API, (name, answer)
        assert answer["body"]["errors"][0]["code"] == "service_unavailable"
        assert int(answer["retryAfter"]) > 0
    assert answers["page"]["status"] == 503, answers["page"]
    assert answers["page"]["status"] == 503 and answers["page"]["type"].startswith("text/plain")
    assert answers["login"] == 503


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="cuts a PostgreSQL connection mid-request: run with a PostgreSQL DATABASE_URL (CI does)",
)
def test_a_database_connection_lost_mid_decision_is_503_and_nothing_is_half_written(demo):
    counts_before = (Decision.objects.count(), InsightTransaction.objects.count(), AuditEvent.objects.count())
    answers = run_django(
        REQUESTS
        + f"""
from django.db import connection

def lose_the_database(execute, sql, params, many, context):
    # When the decision's rows are written (on PostgreSQL one statement with the decision, its step
    # records, its review case, its audit event and their audit-queue entries), the server ends this
    # connection, as a restart would.
    if 'INSERT INTO "core_auditevent"' in sql:
        context["cursor"].execute("SELECT pg_terminate_backend(pg_backend_pid())")
    return execute(sql, params, many, context)

with connection.execute_wrapper(lose_the_database):
    answer = send("post", "/api/v1/decisions", {demo["token"]!r}, {decision_document(demo_application(0), "DB-LOST-1")!r})
print(json.dumps(answer))
"""
    )
    assert answers["status"] == 503 and answers["body"]["errors"][0]["code"] == "service_unavailable", answers
    assert (Decision.objects.count(), InsightTransaction.objects.count(), AuditEvent.objects.count()) == counts_before


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="ends a PostgreSQL connection between requests: run with a PostgreSQL DATABASE_URL (CI does)",
)
def test_a_persistent_connection_the_server_ended_is_replaced_before_the_next_decision(demo):
    """As production runs (config/settings_production.py: persistent connections, health-checked
    before reuse), a worker whose connection the server ended between two requests (a restart, an
    idle timeout, a failover) decides the next application on a new connection instead of failing
    it. The decision is written by core/sealed_rows.py's own cursor, which must check too."""
    decisions_before = Decision.objects.count()
    answers = run_django(
        f"""
import time

import psycopg
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test import RequestFactory

connection.settings_dict["CONN_MAX_AGE"] = 600
connection.settings_dict["CONN_HEALTH_CHECKS"] = True
connection.close()  # the next connection is made with the settings above
handler = WSGIHandler()  # the whole request cycle, signals included, as gunicorn drives it
application = {demo_application(0)!r}

def decide(external_id):
    document = {{"data": {{"type": "decision", "attributes": {{"externalId": external_id, "application": application}}}}}}
    environ = RequestFactory().post(
        "/api/v1/decisions",
        data=json.dumps(document),
        content_type={JSON_API!r},
        HTTP_ACCEPT={JSON_API!r},
        HTTP_AUTHORIZATION="Token " + {demo["token"]!r},
    ).environ
    statuses = []
    result = handler(environ, lambda status, headers, exc_info=None: statuses.append(status))
    body = b"".join(result)
    result.close()  # request_finished, as a WSGI server sends it
    return int(statuses[0].split()[0]), json.loads(body)

first = decide("CONN-1")
ended = connection.connection.info.backend_pid
with psycopg.connect(connection.connection.info.dsn, autocommit=True) as other:
    other.execute("SELECT pg_terminate_backend(%s)", [ended])
    for _ in range(100):  # until the server has ended it
        if not other.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [ended]).fetchone():
            break
        time.sleep(0.05)
second = decide("CONN-2")
now = connection.connection.info.backend_pid if connection.connection else None
print(json.dumps({{"first": first, "second": second, "ended": ended, "now": now}}))
"""
    )
    assert answers["first"][0] == 201, answers["first"]
    assert answers["second"][0] == 201, answers["second"]
    assert answers["now"] != answers["ended"]
    assert Decision.objects.count() == decisions_before + 2
