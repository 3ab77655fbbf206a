"""scripts/serve.sh starts gunicorn with the production settings and answers on loopback."""

import os
import secrets
import signal
import subprocess
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
PORT = 8117


@pytest.fixture
def served(subprocess_environment, tmp_path):
    environment = {
        key: value
        for key, value in subprocess_environment().items()
        if key not in ("DEBUG", "SECURE_SSL_REDIRECT") and not key.startswith("DJANGO_")
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="config.settings_production",
        DJANGO_READ_DOT_ENV="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        FERNET_KEYS="dGVzdC1vbmx5LWZlcm5ldC1rZXktMDAwMDAwMDAwMDA=",
        SECURE_SSL_REDIRECT="false",
        BIND=f"127.0.0.1:{PORT}",
        WEB_CONCURRENCY="2",
        GUNICORN_ACCESS_LOG=str(tmp_path / "access.log"),
    )
    log = open(tmp_path / "serve.log", "w+")
    server = subprocess.Popen(
        ["scripts/serve.sh"],
        cwd=ROOT,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if server.poll() is not None:
                log.seek(0)
                raise AssertionError(f"serve.sh exited ({server.returncode}):\n{log.read()[-4000:]}")
            try:
                requests.get(f"http://127.0.0.1:{PORT}/api/v1/", timeout=5)
                break
            except requests.RequestException:
                time.sleep(0.3)
        else:
            log.seek(0)
            raise AssertionError("serve.sh did not answer within 90 s:\n" + log.read()[-4000:])
        yield server, log
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
        log.close()


def test_serve_sh_runs_gunicorn_with_production_settings_and_whitenoise(served):
    server, log = served
    # An API call without a token: a JSON:API 401, no debug page, the security headers.
    answer = requests.get(f"http://127.0.0.1:{PORT}/api/v1/decisions", timeout=10)
    assert answer.status_code == 401
    assert answer.headers["Content-Type"].startswith("application/vnd.api+json")
    assert answer.headers["Server"] == "gunicorn"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    # An unknown URL is the plain 404, not DEBUG's URL listing.
    missing = requests.get(f"http://127.0.0.1:{PORT}/no-such-page", timeout=10)
    assert missing.status_code == 404
    assert "URLconf" not in missing.text
    # Static files come from WhiteNoise under hashed names with far-future caching.
    manifest = (ROOT / "staticfiles" / "staticfiles.json").read_text()
    hashed = next(name for name in __import__("json").loads(manifest)["paths"].values() if name.endswith(".css"))
    static = requests.get(f"http://127.0.0.1:{PORT}/static/{hashed}", timeout=10)
    assert static.status_code == 200
    assert "max-age=315360000" in static.headers["Cache-Control"]
    log.seek(0)
    output = log.read()
    assert "Booting worker" in output and "gunicorn" in output.lower()
