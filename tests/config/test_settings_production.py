"""Production settings pass Django's deployment checks; every response carries the security headers."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def production_environment(**extra):
    # A deployment's environment: none of the test run's Django switches (browser tests set
    # DJANGO_ALLOW_ASYNC_UNSAFE in this process, which check --deploy rightly refuses).
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DEBUG", "SECURE_SSL_REDIRECT") and not key.startswith("DJANGO_")
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="config.settings_production",
        DJANGO_READ_DOT_ENV="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        FERNET_KEYS="dGVzdC1vbmx5LWZlcm5ldC1rZXktMDAwMDAwMDAwMDA=",
        **extra,
    )
    return environment


def manage(*arguments, **extra):
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT,
        env=production_environment(**extra),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_the_production_settings():
    finished = manage("check", "--deploy", "--fail-level", "WARNING")
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert "no issues" in finished.stdout


def test_without_the_https_redirect_check_deploy_names_exactly_that():
    """The loopback benchmark's switch turns off the redirect and nothing else."""
    finished = manage("check", "--deploy", "--fail-level", "WARNING", SECURE_SSL_REDIRECT="false")
    assert finished.returncode != 0
    assert "security.W008" in finished.stderr + finished.stdout
    assert "security.W004" not in finished.stderr + finished.stdout  # HSTS stays on


def test_production_settings_refuse_debug():
    finished = manage("check", DEBUG="true")
    assert finished.returncode != 0 and "refuses DEBUG" in finished.stderr


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/v1/predictive-models", "/accounts/login/", "/api/docs/"])
def test_every_response_carries_the_security_headers(client, url):
    response = client.get(url)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    # Swagger UI sets its own opener policy (unsafe-none) for its OAuth pop-up.
    assert response["Cross-Origin-Opener-Policy"] == ("unsafe-none" if url == "/api/docs/" else "same-origin")


@pytest.mark.django_db
def test_api_answers_may_not_be_cached(partner, make_user, api_as):
    from partners import roles

    response = api_as(make_user(partner, roles.AUDITOR)).get("/api/v1/decisions")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


HSTS = "max-age=31536000; includeSubDomains; preload"
REQUEST_OVER_HTTP = """
import django, json
django.setup()
from django.test.utils import setup_test_environment
setup_test_environment()
from django.test import Client
response = Client().get("/accounts/login/")
secure = Client().get("/accounts/login/", secure=True)
print(json.dumps([response.status_code, response.get("Location"), secure.status_code, secure.get("Strict-Transport-Security")]))
"""


@pytest.mark.parametrize(
    "redirect, expected",
    [
        ("true", [301, "https://testserver/accounts/login/", 200, HSTS]),
        ("false", [200, None, 200, HSTS]),  # plain HTTP on loopback for benchmarks; HSTS stays on
    ],
)
def test_production_redirects_plain_http_to_https_unless_switched_off(redirect, expected):
    finished = subprocess.run(
        [sys.executable, "-c", REQUEST_OVER_HTTP],
        cwd=ROOT,
        env=production_environment(SECURE_SSL_REDIRECT=redirect),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert finished.returncode == 0, finished.stderr
    import json

    assert json.loads(finished.stdout.strip().splitlines()[-1]) == expected


def test_the_benchmark_echo_view_is_not_routed_unless_asked_for():
    """benchmarks/load.py's floor (core/api/echo.py) exists only with CREDITBOX_BENCHMARK_ECHO=1."""
    probe = "from django.urls import resolve, Resolver404\ntry:\n    resolve('/api/v1/benchmark-echo'); print('routed')\nexcept Resolver404:\n    print('absent')"
    for value, expected in (("", "absent"), ("1", "routed")):
        finished = subprocess.run(
            [sys.executable, "-c", "import django; django.setup()\n" + probe],
            cwd=ROOT,
            env=production_environment(CREDITBOX_BENCHMARK_ECHO=value) if value else production_environment(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert finished.stdout.strip() == expected, finished.stderr[-2000:]
