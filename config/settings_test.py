"""Test settings: the base settings with test-only secrets when the environment gives none.

These keys protect nothing but throw-away test databases; the base settings still refuse to
start without real keys.
"""
import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production")
os.environ.setdefault(
    "FERNET_KEYS", "dGVzdC1vbmx5LWZlcm5ldC1rZXktMDAwMDAwMDAwMDA="
)

from .settings import *  # noqa: E402,F401,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
