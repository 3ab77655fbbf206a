import json

import pytest
from rest_framework.test import APIClient

from partners.services import api_token_create
from tests import factories

JSON_API = "application/vnd.api+json"


class JsonApiClient:
    """Sends JSON:API documents as a partner system would: raw JSON, token in the header."""

    def __init__(self, user=None, token=None):
        self.client = APIClient()
        self.user = user
        if user is not None:
            token = token or api_token_create(user=user)
        if token:
            self.client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    def _send(self, method, url, document=None, **headers):
        body = json.dumps(document) if document is not None else None
        return getattr(self.client, method)(url, data=body, content_type=JSON_API, HTTP_ACCEPT=JSON_API, **headers)

    def get(self, url, params=None, **headers):
        return self.client.get(url, data=params, HTTP_ACCEPT=JSON_API, **headers)

    def post(self, url, document, **headers):
        return self._send("post", url, document, **headers)

    def patch(self, url, document, **headers):
        return self._send("patch", url, document, **headers)


@pytest.fixture
def partner(db):
    return factories.PartnerFactory(name="Demo Credit Union", slug="demo-credit-union")


@pytest.fixture
def other_partner(db):
    return factories.PartnerFactory(name="Other Bank", slug="other-bank")


@pytest.fixture
def make_user(db):
    def make(partner, *roles, **attributes):
        return factories.UserFactory(partner=partner, roles=list(roles), **attributes)

    return make


@pytest.fixture
def api_as(db):
    def client(user):
        return JsonApiClient(user)

    return client


@pytest.fixture
def dictionary(db):
    return factories.lending_dictionary()


def _subprocess_environment(**overrides):
    """Environment for a subprocess (a worker, a manage.py command) that uses the test database."""
    import os

    from django.db import connection

    database = connection.settings_dict
    if database["ENGINE"].endswith("postgresql"):
        url = f"postgres://{database['USER']}:{database['PASSWORD'] or ''}@{database['HOST']}:{database['PORT'] or 5432}/{database['NAME']}"
    else:
        url = f"sqlite:///{database['NAME']}"
    return {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings_test", **overrides}


@pytest.fixture
def subprocess_environment(django_db_setup):
    """A function giving the environment for a subprocess on the test database, with overrides."""
    return _subprocess_environment


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker):
    """A real Celery worker on the test database when REDIS_URL is set; eager tasks otherwise.

    With REDIS_URL promised, a worker that cannot start fails the test: nothing skips quietly.
    """
    import os
    import subprocess
    import sys
    import time

    from django.conf import settings

    if settings.CELERY_TASK_ALWAYS_EAGER:
        yield None
        return
    import tempfile

    env = _subprocess_environment()
    from config.celery import app

    # Tests on rolled-back transactions (the non-transactional ones, run before this fixture is first
    # used) queued tasks for rows that were never committed; the worker would start on that backlog.
    app.control.purge()
    # The worker's output goes to a file, never to an unread pipe (a full pipe blocks the worker),
    # and its tail is shown when the worker does not come up.
    log = tempfile.NamedTemporaryFile(prefix="celery-worker-", suffix=".log", delete=False)
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "-n",
            f"test-{os.getpid()}@%h",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )

    def worker_output():
        with open(log.name, "rb") as handle:
            return handle.read().decode(errors="replace")[-4000:]

    started = time.time()
    deadline = started + 180
    while time.time() < deadline:
        if worker.poll() is not None:
            raise RuntimeError("The Celery worker exited:\n" + worker_output())
        if app.control.ping(timeout=1.0):
            break
    else:
        worker.terminate()
        raise RuntimeError(
            f"No Celery worker answered within {time.time() - started:.0f} s on {settings.CELERY_BROKER_URL}. "
            "Its output:\n" + worker_output()
        )
    yield worker
    worker.terminate()
    worker.wait(timeout=30)
    log.close()
    os.unlink(log.name)
