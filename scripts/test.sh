#!/usr/bin/env bash
# Install everything (with test tools) and run the whole test suite.
# With DATABASE_URL and REDIS_URL set, tests run against that PostgreSQL and Redis and a real
# Celery worker; without them, on SQLite with eager tasks.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh --dev
exec .venv/bin/python -m pytest "$@"
