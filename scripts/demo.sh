#!/usr/bin/env bash
# Install everything and start the demo on SQLite, Celery tasks run eagerly (no Redis needed).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh
.venv/bin/python scripts/write_env.py
.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py load_demo --base-url "http://127.0.0.1:${PORT:-8000}"
echo "Starting Creditbox on http://127.0.0.1:${PORT:-8000}/ (Ctrl-C stops it)."
exec .venv/bin/python manage.py runserver "127.0.0.1:${PORT:-8000}"
