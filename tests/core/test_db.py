"""psycopg cursors on Django's connection (core/db.py): health-checked first, errors as django.db's."""

import pytest
from django.db import connection

from tests.processes import run_django

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="ends a PostgreSQL connection: run with a PostgreSQL DATABASE_URL (CI does)",
)

END_THE_CONNECTION = """
import time

import psycopg
from django.db import connection, OperationalError

from core.db import psycopg_cursor

def end_the_connection():
    ended = connection.connection.info.backend_pid
    with psycopg.connect(connection.connection.info.dsn, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [ended])
        for _ in range(100):
            if not other.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [ended]).fetchone():
                break
            time.sleep(0.05)
    return ended

def backend_pid():
    with psycopg_cursor(connection) as cursor:
        cursor.execute("SELECT pg_backend_pid()", prepare=False, binary=True)
        return cursor.fetchone()[0]

def connected(*, health_checks):
    # A new connection with CONN_HEALTH_CHECKS as given; its backend's pid.
    connection.settings_dict["CONN_HEALTH_CHECKS"] = health_checks
    connection.close()
    return backend_pid()
"""


def test_a_health_checked_connection_the_server_ended_is_replaced(transactional_db):
    answer = run_django(
        END_THE_CONNECTION
        + """
first = connected(health_checks=True)
ended = end_the_connection()
connection.health_check_done = False  # a new request or task (Django's and Celery's signals do this)
print(json.dumps({"first": first, "ended": ended, "after": backend_pid()}))
"""
    )
    assert answer["first"] == answer["ended"]
    assert answer["after"] != answer["ended"]


def test_without_health_checks_a_lost_connection_is_djangos_operational_error(transactional_db):
    answer = run_django(
        END_THE_CONNECTION
        + """
connected(health_checks=False)
end_the_connection()
try:
    backend_pid()
    raised = None
except Exception as error:
    raised = error
print(json.dumps({
    "django": isinstance(raised, OperationalError),
    "type": type(raised).__module__ + "." + type(raised).__name__,
    "errors_occurred": connection.errors_occurred,
}))
"""
    )
    # Django's OperationalError (what the API's 503 handling and the tasks' autoretry catch), and
    # the connection marked so that Django closes it at the end of the request or task.
    assert answer == {"django": True, "type": "django.db.utils.OperationalError", "errors_occurred": True}
