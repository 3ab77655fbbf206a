"""Production settings: the base settings with HTTPS enforced; `manage.py check --deploy` is clean.

    DJANGO_SETTINGS_MODULE=config.settings_production

`SECURE_SSL_REDIRECT=false` switches the HTTPS redirect off (a loopback benchmark that speaks plain
HTTP); HSTS and secure cookies stay on. Behind a proxy that terminates TLS, set
`BEHIND_HTTPS_PROXY=true` so Django trusts its `X-Forwarded-Proto` header (only then).
"""

from .settings import *  # noqa: F401,F403
from .settings import env

if DEBUG:  # noqa: F405
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("config.settings_production refuses DEBUG=true.")

# Persistent database connections: a new connection per request costs a PostgreSQL backend start
# and its cold catalogue caches, several times a whole decision's statements. Checked before reuse
# (a connection the server dropped is replaced, not failed on); CONN_MAX_AGE=0 turns it off.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=600)  # noqa: F405
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # noqa: F405

SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
if env.bool("BEHIND_HTTPS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Static files are served by the web process itself through WhiteNoise (compressed, hashed names,
# far-future caching); `scripts/serve.sh` runs collectstatic into STATIC_ROOT before starting.
MIDDLEWARE = list(MIDDLEWARE)  # noqa: F405
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1, "whitenoise.middleware.WhiteNoiseMiddleware"
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
