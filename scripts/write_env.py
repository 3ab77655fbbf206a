#!/usr/bin/env python3
"""Write a local .env with freshly generated secrets for the demo (never committed; see .gitignore).

Leaves an existing .env alone, so the demo's encrypted data stays readable across restarts.
"""

import secrets
import sys
from pathlib import Path

from cryptography.fernet import Fernet

target = Path(__file__).resolve().parent.parent / ".env"
if target.exists():
    print(f"{target} exists; keeping its keys.")
    sys.exit(0)
target.write_text(
    "# Generated for the local demo by scripts/write_env.py. Not for production.\n"
    f"SECRET_KEY={secrets.token_urlsafe(50)}\n"
    f"FERNET_KEYS={Fernet.generate_key().decode()}\n"
    "DEBUG=true\n"
)
target.chmod(0o600)
print(f"Wrote {target} with generated SECRET_KEY and FERNET_KEYS.")
