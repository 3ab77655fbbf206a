"""psycopg cursors on Django's PostgreSQL connection, for what Django's cursors cannot ask for.

Django's cursors bind parameters client-side and cannot ask for binary results or for a statement
never to be prepared; a few hot paths need that (the decision's one-statement write, the portfolio
job's chunk reads). `psycopg_cursor` gives them a psycopg cursor used as Django uses its own: the
connection health-checked first where CONN_HEALTH_CHECKS is on (a persistent connection the server
ended is replaced, not failed on), opened if closed, and psycopg's errors raised as django.db's
(OperationalError, IntegrityError, ...), so the request's 503 handling and the Celery tasks'
retries on OperationalError see them as they see any other database error.
"""

from contextlib import contextmanager


@contextmanager
def psycopg_cursor(connection, cursor_class=None):
    """A `cursor_class` (psycopg.Cursor by default) cursor on `connection`'s connection (see above)."""
    import psycopg

    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        with (cursor_class or psycopg.Cursor)(connection.connection) as cursor:
            yield cursor
