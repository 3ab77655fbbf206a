"""Run Django code in a separate process on the test database: another worker, as production has."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def test_database_url():
    database = connection.settings_dict
    if database["ENGINE"].endswith("postgresql"):
        return f"postgres://{database['USER']}:{database['PASSWORD'] or ''}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{database['NAME']}"
    return f"sqlite:///{database['NAME']}"


def run_django(code, *, env=None, timeout=120):
    """Run `code` after django.setup() in a new interpreter; it prints one JSON value, returned here.

    The process sees the test database (commit what it needs: use transactional tests) and
    `django.test.Client` works in it.
    """
    prologue = (
        "import django, json\n"
        "django.setup()\n"
        "from django.test.utils import setup_test_environment\n"
        "setup_test_environment()\n"
        "from django.test import Client\n"
    )
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DATABASE_URL": test_database_url(),
        **(env or {}),
    }
    finished = subprocess.run(
        [sys.executable, "-c", prologue + textwrap.dedent(code)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if finished.returncode != 0:
        raise AssertionError(f"the process failed ({finished.returncode}):\n{finished.stderr[-4000:]}")
    return json.loads(finished.stdout.strip().splitlines()[-1])
