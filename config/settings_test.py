"""Test settings: the base settings with test-only secrets when the environment gives none.

These keys protect nothing but throw-away test databases; the base settings still refuse to
start without real keys.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production")
os.environ.setdefault("FERNET_KEYS", "dGVzdC1vbmx5LWZlcm5ldC1rZXktMDAwMDAwMDAwMDA=")

from .settings import *  # noqa: E402,F401,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    # A file, not shared-cache memory: threads racing in tests then wait on locks as real workers do.
    import tempfile

    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"creditbox-test-{os.getpid()}.sqlite3")
    }

# Tests run in one process (subprocesses they start use Redis when they need a shared cache).
PROCESS_CACHE_WITHOUT_REDIS = env.bool("PROCESS_CACHE_WITHOUT_REDIS", default=True)  # noqa: F405
