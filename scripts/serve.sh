#!/usr/bin/env bash
# Production web server: gunicorn with config.settings_production (DEBUG off, HTTPS enforced unless
# SECURE_SSL_REDIRECT=false), static files collected and served by WhiteNoise.
#
#   BIND=127.0.0.1:8000 WEB_CONCURRENCY=4 scripts/serve.sh
#
# Workers: WEB_CONCURRENCY, or 2 x the CPU cores + 1 (gunicorn's advice for sync workers).
# Run the Celery worker and beat next to it (README, "Processes").
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-config.settings_production}"
cores="$("$PYTHON" -c 'import os; print(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)')"
workers="${WEB_CONCURRENCY:-$((2 * cores + 1))}"
if [ "${SKIP_COLLECTSTATIC:-0}" != "1" ]; then
    "$PYTHON" manage.py collectstatic --noinput -v 0
fi
exec "$PYTHON" -m gunicorn config.wsgi:application \
    --bind "${BIND:-127.0.0.1:8000}" \
    --workers "$workers" \
    --worker-class sync \
    --timeout "${GUNICORN_TIMEOUT:-30}" \
    --graceful-timeout 10 \
    --max-requests "${GUNICORN_MAX_REQUESTS:-0}" \
    --access-logfile "${GUNICORN_ACCESS_LOG:--}" \
    --error-logfile - \
    "$@"
