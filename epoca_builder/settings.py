"""Settings for Epoch Builder, read from the environment (django-environ).

The embedded default needs no service: SQLite under ``var/`` and django-q2's ORM broker.
Set ``DATABASE_URL`` (PostgreSQL) and ``REDIS_URL`` to scale out to several workers.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import environ
import plotly

from core.cores import usable_cores

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
env.read_env(BASE_DIR / ".env")  # optional; real environment variables win
VAR_DIR = Path(env.str("EPOCA_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """Use SECRET_KEY, else a key generated once and kept (never committed) under var/."""
    if env.str("SECRET_KEY", default=""):
        return env.str("SECRET_KEY")
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(64))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "core",  # the non-domain utilities every app uses (template tags)
    # Before django_q: its `qcluster` command is cluster's (reaper, fast stop).
    "cluster",
    "django_q",
    "epoca_builder",
    "epochs",
    "regressions",
    "prediction_models",
    "pipeline",
    "accounts",  # last: its roles are set up after every other app migrated
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.middleware.LoginRequiredMiddleware",
    "accounts.middleware.PagePermissionMiddleware",
    "accounts.audit.AuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "epoca_builder.urls"
WSGI_APPLICATION = "epoca_builder.wsgi.application"

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
                "cluster.context_processors.worker_status",
            ],
            # ``iso_utc`` and ``readable`` in every template: one time format, floats rounded.
            "builtins": ["core.templatetags.times", "core.templatetags.numbers"],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'epoch_builder.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web app read while a worker writes; IMMEDIATE transactions take the write
    # lock up front and the busy timeout waits for it instead of failing "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;",
        }
    )
    # Tests that start real worker processes need a database file, not memory.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test_epoch_builder.sqlite3")}
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", 60)
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")

CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # django-q2 keeps worker statistics here; it must be shared between processes so that
    # the web app can tell whether a worker is alive.
    "workers": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "worker_cache"}
    ),
}

# --- Auth -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
# Dates Django formats itself (the admin) in UTC ISO 8601, as the pages write them.
FORMAT_MODULE_PATH = ["epoca_builder.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Bounded input: every body, upload and uploaded member has a limit ----------------------
MIB = 1024 * 1024
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=2 * MIB)  # a JSON or form body
API_MAX_JSON_DEPTH = env.int("API_MAX_JSON_DEPTH", default=32)  # arrays and objects inside each other
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES  # Django's own check of bodies and form fields
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=1024 * MIB)  # the files of one request (workers' uploads)
FILE_UPLOAD_HANDLERS = [
    "core.uploads.BoundedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# An uploaded Epoch File (EPOCA_CONTRACT §2: Epoca's GUI refuses files over 390 MiB), read from
# its zip directory before any member is: members, sizes, compression ratio, JSON size and depth.
EPOCH_FILE_MAX_BYTES = env.int("EPOCH_FILE_MAX_BYTES", default=390 * MIB)
EPOCH_FILE_LIMITS = {
    "members": env.int("EPOCH_FILE_MAX_MEMBERS", default=40),
    "member_bytes": env.int("EPOCH_FILE_MAX_MEMBER_BYTES", default=256 * MIB),
    "total_bytes": env.int("EPOCH_FILE_MAX_TOTAL_BYTES", default=1024 * MIB),
    "json_bytes": env.int("EPOCH_FILE_MAX_JSON_BYTES", default=32 * MIB),
    "json_depth": env.int("EPOCH_FILE_MAX_JSON_DEPTH", default=64),
    "compression_ratio": env.int("EPOCH_FILE_MAX_COMPRESSION_RATIO", default=100),
}
# Strings in API answers that echo uploaded content are cut to this many characters.
API_MAX_ECHOED_CHARS = env.int("API_MAX_ECHOED_CHARS", default=10_000)

# --- Static files: plotly is served from our own static files, never a CDN ------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static", ("plotly", Path(plotly.__file__).parent / "package_data")]
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Roles: Django's model permissions (reads too) and the actions' own (accounts/roles.py).
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.RolePermission"],
    "DEFAULT_FILTER_BACKENDS": [
        "core.filters.StrictFilterBackend",
        "core.filters.StrictOrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.errors.api_exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.BoundedJSONParser",
        "core.parsers.BoundedFormParser",
        "core.parsers.BoundedMultiPartParser",
    ],
}
# A token expires after this many days without use; each use extends it (sliding expiry).
API_TOKEN_IDLE_DAYS = env.int("API_TOKEN_IDLE_DAYS", default=30)
# Off: tokens of worker accounts never expire (a quiet cluster keeps its workers' access).
WORKER_TOKENS_EXPIRE = env.bool("WORKER_TOKENS_EXPIRE", default=True)
REST_KNOX = {"AUTO_REFRESH": True, "TOKEN_TTL": timedelta(days=API_TOKEN_IDLE_DAYS), "MIN_REFRESH_INTERVAL": 60}
SPECTACULAR_SETTINGS = {
    "TITLE": "Epoch Builder API",
    "DESCRIPTION": "Epochs, candlesticks, regressions, prediction models, servers and jobs.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_PERMISSIONS": ["accounts.permissions.RolePermission"],
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "core.schema.add_error_responses"],
    "ENUM_NAME_OVERRIDES": {
        "JobStatusEnum": "cluster.choices.JobStatus",
        "EpochStatusEnum": "epochs.choices.EpochStatus",
        "RegressionStatusEnum": "regressions.choices.RegressionStatus",
        "SearchStatusEnum": "prediction_models.choices.SearchStatus",
    },
}

# The Epoca GUI runs on another origin: list it here (comma-separated URLs).
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"

# --- Security (production-like when DEBUG is off) ------------------------------------------
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=SECURE_SSL_REDIRECT)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=SECURE_SSL_REDIRECT)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=bool(SECURE_HSTS_SECONDS))
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=bool(SECURE_HSTS_SECONDS))
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_PROXY", default=False) else None
X_FRAME_OPTIONS = "DENY"

# --- Files ----------------------------------------------------------------------------------
EPOCHS_ROOT = Path(env.str("EPOCHS_ROOT", default=str(VAR_DIR / "epochs")))
CANDLES_ROOT = Path(env.str("CANDLES_ROOT", default=str(VAR_DIR / "candles")))
# Where candles are downloaded from: Binance's public data site, or a local folder laid out
# the same way (offline use).
CANDLESTICK_SOURCE = env.str("CANDLESTICK_SOURCE", default="https://data.binance.vision")
# A local copy of Binance's dumps that tests and benchmarks read.
BINANCE_MIRROR_DIR = Path(env.str("BINANCE_MIRROR_DIR", default=str(BASE_DIR.parent / "shared" / "binance")))
# Keys for cluster servers live on disk (0600), never in the database.
SSH_DIR = Path(env.str("SSH_DIR", default=str(VAR_DIR / "ssh")))

# What a server's power actions run over SSH (never prompting: a refusal is reported). The
# test settings replace both with a harmless command: the suite runs as root against SSH
# servers on this very machine.
SERVER_POWER_COMMANDS = {
    "reboot": ("sudo", "-n", "reboot"),
    "shutdown": ("sudo", "-n", "poweroff"),
}

# --- Scale-out: worker machines with their own EPOCHS_ROOT and a central epoch store ---------
# On a worker machine, CENTRAL_URL (the web app's base URL) and CENTRAL_TOKEN (an API token of
# an account with the worker role) switch on "remote store" mode: training inputs are fetched from the central
# store and every trained regression is uploaded there. Leave both empty on the central machine.
CENTRAL_URL = env.str("CENTRAL_URL", default="").rstrip("/")
CENTRAL_TOKEN = env.str("CENTRAL_TOKEN", default="")
CENTRAL_TIMEOUT_SECONDS = env.int("CENTRAL_TIMEOUT_SECONDS", default=300)

# --- Jobs and the django-q2 worker ---------------------------------------------------------
# A job whose heartbeat is older than this is treated as lost (its worker died).
JOB_HEARTBEAT_SECONDS = env.int("JOB_HEARTBEAT_SECONDS", default=10)
JOB_STALE_SECONDS = env.int("JOB_STALE_SECONDS", default=120)
JOB_REAPER_SECONDS = env.int("JOB_REAPER_SECONDS", default=30)
# Healthy jobs may run for days: django-q2 must never kill them (timeout) nor hand the same
# message to a second worker while the first still runs (retry > timeout).
_TASK_TIMEOUT = env.int("JOB_TASK_TIMEOUT", default=14 * 24 * 3600)
Q_CLUSTER = {
    "name": "epoch-builder",
    # One worker per core (at least two): a batch's trainings run that many at once.
    "workers": env.int("WORKER_PROCESSES", default=max(2, usable_cores())),
    "timeout": _TASK_TIMEOUT,
    "retry": _TASK_TIMEOUT + 3600,
    "max_attempts": 1,
    "ack_failures": True,
    "recycle": 50,
    "save_limit": 500,
    "catch_up": False,
    "poll": 0.5,
    "cache": "workers",
    "sync": env.bool("JOBS_RUN_INLINE", default=False),
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
    Q_CLUSTER["broker_class"] = "cluster.jobs.brokers.RedisBroker"
else:
    Q_CLUSTER["orm"] = "default"
    Q_CLUSTER["broker_class"] = "cluster.jobs.brokers.ORMBroker"
# TensorFlow threads per training process; 0: each gets its share of the host's cores, the cores
# divided by the trainings it runs at once (WORKER_PROCESSES here, a server's max_jobs there), so
# one training alone uses every core and several never oversubscribe.
TRAINING_THREADS = env.int("TRAINING_THREADS", default=0)
# TensorFlow op determinism (resumes and reruns give identical weights); false trades it for speed.
TRAINING_DETERMINISM = env.bool("TRAINING_DETERMINISM", default=True)
# Benchmarks only: stop every training after this many fitting mini-batches (0: no limit).
TRAINING_MAX_BATCHES = env.int("TRAINING_MAX_BATCHES", default=0)
# One warm TensorFlow process per worker trains its regressions one after another; false: a
# fresh process per regression (each costs a TensorFlow start, about 4 s).
TRAINING_WARM_PROCESS = env.bool("TRAINING_WARM_PROCESS", default=True)
# Start that process when its worker starts, so the first training finds TensorFlow loaded
# (about 2.5 s) instead of waiting for it; false: the first training starts it.
TRAINING_WARM_AT_START = env.bool("TRAINING_WARM_AT_START", default=True)

# Overfitting statistics (docs/statistics.md): every chunk of a search uses the same settings,
# the SPA's bootstrap seeded by the epoch's seed.
OVERFITTING_PBO_BLOCKS = env.int("OVERFITTING_PBO_BLOCKS", default=8)
OVERFITTING_SPA_REPS = env.int("OVERFITTING_SPA_REPS", default=1000)
# The built model's verdict: each check's threshold.
VERDICT_MIN_DEFLATED_SHARPE = env.float("VERDICT_MIN_DEFLATED_SHARPE", default=0.95)
VERDICT_MAX_PBO = env.float("VERDICT_MAX_PBO", default=0.2)
VERDICT_MAX_SPA_PVALUE = env.float("VERDICT_MAX_SPA_PVALUE", default=0.05)
VERDICT_MIN_HOLDOUT_PROFIT = env.float("VERDICT_MIN_HOLDOUT_PROFIT", default=0.0)
VERDICT_MIN_FORWARD_PROFIT = env.float("VERDICT_MIN_FORWARD_PROFIT", default=0.0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django_q": {"level": env.str("WORKER_LOG_LEVEL", default="WARNING")}},
}
