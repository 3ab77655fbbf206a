#!/usr/bin/env bash
# Install Creditbox into .venv: Python packages, and the system packages it needs (via apt when
# missing and running as root; otherwise a clear message). Usage: scripts/install.sh [--dev]
set -euo pipefail
cd "$(dirname "$0")/.."
dev=${1:-}

need_apt=()
command -v java >/dev/null 2>&1 || need_apt+=(default-jre-headless)
if [ "$dev" = "--dev" ] && ! command -v chromium >/dev/null 2>&1; then need_apt+=(chromium); fi
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing system packages: ${need_apt[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "Creditbox needs these system packages: ${need_apt[*]}" >&2
    echo "  (a Java runtime for the PMML reference engine and model export; Chromium for the browser tests)." >&2
    echo "  Install them with your package manager (e.g. sudo apt-get install ${need_apt[*]}) and run this again." >&2
    exit 1
  fi
fi

PYTHON=${PYTHON:-python3}
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || {
  echo "Creditbox needs Python 3.11 or newer; $("$PYTHON" --version) found. Set PYTHON=/path/to/python3.11." >&2; exit 1; }
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
if [ "$dev" = "--dev" ]; then
  .venv/bin/python -m pip install -q -r requirements-dev.txt
else
  .venv/bin/python -m pip install -q -r requirements.txt
fi
echo "Installed into .venv."
