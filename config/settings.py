"""Creditbox settings, read from the environment (and a local, git-ignored `.env`)."""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if env.bool("DJANGO_READ_DOT_ENV", default=True):
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

try:
    SECRET_KEY = env("SECRET_KEY")
except ImproperlyConfigured:
    raise ImproperlyConfigured(
        "SECRET_KEY is not set. Put it in the environment or in .env "
        "(`python manage.py load_demo` writes a .env with generated keys for the demo)."
    ) from None
# Keys Idempotency-Key fingerprints (core.fingerprints); empty: derived from SECRET_KEY.
FINGERPRINT_KEY = env("FINGERPRINT_KEY", default="")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])


def _fernet_keys(raw):
    from cryptography.fernet import Fernet

    keys = [key.strip() for key in raw.split(",") if key.strip()]
    if not keys:
        raise ImproperlyConfigured("FERNET_KEYS is empty: give at least one Fernet key.")
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode())
        except (ValueError, TypeError):
            raise ImproperlyConfigured(
                f"FERNET_KEYS: key number {position} is not a valid Fernet key (32 url-safe "
                'base64-encoded bytes; generate one with `python -c "from cryptography.fernet '
                'import Fernet; print(Fernet.generate_key().decode())"`).'
            ) from None
    return keys


_raw_fernet_keys = env("FERNET_KEYS", default="")
if not _raw_fernet_keys:
    raise ImproperlyConfigured(
        "FERNET_KEYS is not set. Evaluations are stored encrypted: give a comma-separated list of "
        "Fernet keys (the first encrypts, all decrypt), e.g. in .env. Generate one with "
        '`python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`.'
    )
# Keys are used as given (no HKDF derivation), so they are real Fernet keys an operator can check.
FERNET_KEYS = _fernet_keys(_raw_fernet_keys)
FERNET_USE_HKDF = False

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_json_api",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "django_celery_beat",
    "core",
    "partners",
    "modelregistry",
    "rulesets",
    "decisioning",
    "portfolio",
    "monitoring",
    "batchpredictions",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.ProcessCacheSnapshotMiddleware",
    "core.middleware.ServiceUnavailableMiddleware",
    "core.middleware.ApiNoStoreMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its 429 answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "partners.context_processors.navigation",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Concurrent writers (API workers, tests racing an Idempotency-Key) wait instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 30, "transaction_mode": "IMMEDIATE"})
elif DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # Django's queries bind client-side and are never prepared. The few hot statements run on
    # server-binding cursors (core/sealed_rows.py, the portfolio's chunk read) are prepared by
    # psycopg after this many runs on a connection: parsed and planned once. Set it empty behind a
    # connection pooler in transaction mode that does not track prepared statements.
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = (
        env.int("DATABASE_PREPARE_THRESHOLD", default=5) if env.str("DATABASE_PREPARE_THRESHOLD", default="5") else None
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "partners.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "core.auth_backends.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Login pages (admin and product): after AXES_FAILURE_LIMIT failed attempts for one username from
# one address, that pair is refused (429) for AXES_COOLOFF_MINUTES; a success resets the count.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# Security headers on every response (Django's defaults, written down so a change is deliberate);
# the HTTPS-only settings are in config/settings_production.py.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

# Celery: with REDIS_URL tasks go to a worker; without it they run eagerly in-process.
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CELERY_BROKER_URL = "memory://"
    CELERY_RESULT_BACKEND = "cache+memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# A task is acknowledged when it has finished, so a worker that dies mid-task leaves it to be
# delivered again: a pool child killed mid-task is requeued at once (reject_on_worker_lost); a
# whole worker killed leaves the message unacknowledged until the broker's visibility timeout
# expires. Tasks are written to be run twice (see decisioning/tasks.py). The visibility timeout
# must exceed the longest a worker may hold a message (the hard time limit, plus a retry's
# countdown, at most 60 s), or a healthy long task would be handed to a second worker while the
# first still runs it.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=15 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - max(1, min(60, CELERY_TASK_TIME_LIMIT // 10))
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=CELERY_TASK_TIME_LIMIT + 5 * 60)
if CELERY_VISIBILITY_TIMEOUT <= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured(
        f"CELERY_VISIBILITY_TIMEOUT ({CELERY_VISIBILITY_TIMEOUT} s) must be longer than CELERY_TASK_TIME_LIMIT "
        f"({CELERY_TASK_TIME_LIMIT} s), or a task still running is delivered to a second worker."
    )
# How often a worker looks for messages abandoned by a dead worker (kombu's default is ~100 s).
_restore_interval = env.int("CELERY_RESTORE_INTERVAL", default=30)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    "unacked_restore_interval": _restore_interval,
    "unacked_restore_throttle": 1,
}
# The audit chain's HMAC key (docs/audit-chain.md). Without it a key is derived from SECRET_KEY,
# and changing SECRET_KEY then makes every sealed block fail verification.
AUDIT_CHAIN_KEY = env("AUDIT_CHAIN_KEY", default="")
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "seal-audit-chain": {
        "task": "core.tasks.audit_chain_seal",
        "schedule": env.int("AUDIT_SEAL_INTERVAL_SECONDS", default=5 * 60),
    },
    # Display only: decisions read effective_from, never these states.
    "ruleset-live-states": {"task": "rulesets.tasks.ruleset_live_states_refresh", "schedule": 60.0},
    # Batch predictions' inputs and results are deleted once their download window has passed.
    "expire-batch-predictions": {
        "task": "batchpredictions.tasks.batch_predictions_expire",
        "schedule": env.int("BATCH_PREDICTION_EXPIRY_INTERVAL_SECONDS", default=60 * 60),
    },
    # Training uploads nobody confirmed are deleted (TRAINING_UNCONFIRMED_DAYS).
    "expire-unconfirmed-training": {"task": "modelregistry.tasks.training_jobs_expire", "schedule": 60 * 60.0},
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": (
        "core.api.authentication.CachedTokenAuthentication",  # knox, with a per-process token cache
        "rest_framework.authentication.SessionAuthentication",
    ),
    "DEFAULT_PERMISSION_CLASSES": ("core.api.permissions.IsPartnerMember",),
    "EXCEPTION_HANDLER": "core.api.exceptions.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_PARSER_CLASSES": ("core.api.parsers.JSONParser",),
    "DEFAULT_RENDERER_CLASSES": ("core.api.renderers.JSONRenderer",),
    "DEFAULT_METADATA_CLASS": "core.api.metadata.JSONAPIMetadata",
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ("core.api.filters.FilterTextBackend",),
    "DEFAULT_THROTTLE_CLASSES": ("core.api.throttling.PartnerRateThrottle",),
    "TEST_REQUEST_DEFAULT_FORMAT": "vnd.api+json",
    "TEST_REQUEST_RENDERER_CLASSES": ("core.api.renderers.JSONRenderer",),
}
JSON_API_FORMAT_FIELD_NAMES = "camelize"
JSON_API_FORMAT_TYPES = "camelize"
JSON_API_PLURALIZE_TYPES = False
JSON_API_UNIFORM_EXCEPTIONS = True

# Requests per API token per minute unless the partner sets its own (Partner.api_requests_per_minute).
API_RATE_LIMIT_PER_MINUTE = env.int("API_RATE_LIMIT_PER_MINUTE", default=6000)
# benchmarks/load.py only: route the bare echo view (core/api/echo.py). Never set it in a deployment.
CREDITBOX_BENCHMARK_ECHO = env.bool("CREDITBOX_BENCHMARK_ECHO", default=False)
# Streams (decisioning/streams.py): "<partner slug>=<username>,..." — the partner-system user each
# partner's stream consumer decides as. Set by the administrator; never taken from a message.
CREDITBOX_STREAM_USERS = env("CREDITBOX_STREAM_USERS", default="")
# core/process_cache.py: without REDIS_URL, per-process caches (tokens, decision plans) are used only
# when this process is the only one (a change made in another process would not reach it).
PROCESS_CACHE_WITHOUT_REDIS = env.bool("PROCESS_CACHE_WITHOUT_REDIS", default=False)

REST_KNOX = {
    "AUTH_HEADER_PREFIX": "Token",
    "TOKEN_TTL": timedelta(days=env.int("API_TOKEN_TTL_DAYS", default=365)),
    "AUTO_REFRESH": False,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Creditbox API",
    "DESCRIPTION": (
        "Credit decisioning for lending partners: model registry, data dictionary, insights "
        "(single evaluations) and decisions. JSON:API documents (application/vnd.api+json); "
        "authenticate with `Authorization: Token <key>`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One resource type shown by two serializers (list and detail) is one enum.
    "ENUM_NAME_OVERRIDES": {"RulesetVersionTypeEnum": ["rulesetVersion"]},
}

# Evaluations: which implementation runs each artifact format ("native" or the reference engine).
CREDITBOX_ENGINE_IMPLEMENTATIONS = {
    "pmml": env("PMML_ENGINE", default=None),
    "dmn": env("DMN_ENGINE", default=None),
}
CREDITBOX_ENGINE_CACHE_SIZE = env.int("ENGINE_CACHE_SIZE", default=64)

# Uploads: an artifact may be up to core.safe_xml.MAX_DOCUMENT_BYTES (20 MiB, a large ensemble PMML);
# a workbook of that size sent base64 in JSON is ~27 MiB, so the request bodies Django accepts are larger.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=32 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = env.int("FILE_UPLOAD_MAX_MEMORY_SIZE", default=32 * 1024 * 1024)

# Batch predictions (batchpredictions/): an uploaded CSV of applications scored in Celery chunks.
BATCH_PREDICTION_RETENTION_DAYS = env.int("BATCH_PREDICTION_RETENTION_DAYS", default=7)  # the download window
BATCH_PREDICTION_MAX_BYTES = env.int("BATCH_PREDICTION_MAX_BYTES", default=20 * 1024 * 1024)
BATCH_PREDICTION_MAX_ROWS = env.int("BATCH_PREDICTION_MAX_ROWS", default=100_000)
BATCH_PREDICTION_MAX_COLUMNS = env.int("BATCH_PREDICTION_MAX_COLUMNS", default=300)
BATCH_PREDICTION_CHUNK_ROWS = env.int("BATCH_PREDICTION_CHUNK_ROWS", default=500)  # rows per Celery task

# The training page (modelregistry/training/jobs.py): the largest CSV of historical loans it takes.
TRAINING_UPLOAD_MAX_BYTES = env.int("TRAINING_UPLOAD_MAX_BYTES", default=50 * 1024 * 1024)
# An upload whose column mapping nobody confirms is deleted after this many days (beat, hourly).
TRAINING_UNCONFIRMED_DAYS = env.int("TRAINING_UNCONFIRMED_DAYS", default=7)
# Training from the portfolio (modelregistry/training/portfolio.py): at most this many of the most recent loans.
TRAINING_PORTFOLIO_MAX_ROWS = env.int("TRAINING_PORTFOLIO_MAX_ROWS", default=100_000)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="WARNING")},
}
