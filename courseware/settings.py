"""Settings for Serverless Academy: one module, read from the environment.

Every value has a safe default for a laptop: SQLite under ``var/``, DEBUG off unless the
run command turns it on, a secret key generated once per checkout and kept in ``var/``.
Production sets DEBUG=0, SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL and HTTPS=1.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean: use 1/0, true/false, yes/no or on/off")


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _local_secret_key() -> str:
    """A random key generated on first use and kept in var/, so sessions survive restarts."""
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(64))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY") or _local_secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

# Behind TLS (production): secure cookies, HSTS and redirects to https.
HTTPS = env_bool("HTTPS", False)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0))
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", HTTPS)
if env_bool("BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "courseware",
    "cheatsheets",
    "quizzes",
    "labs",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "courseware.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # An anonymous reader's cached sheet page needs nothing below: served here (cheatsheets/middleware.py).
    "cheatsheets.middleware.AnonymousSheetPages",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# Login throttling (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one account, or
# from one client address, logins from it are refused for AXES_COOLOFF_MINUTES, on the site's
# login page and the admin's alike. A right password inside the window does not get through.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, with the signed-in user read from the shared cache (courseware/readers.py)
    "courseware.readers.CachedModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", 5))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", 15)))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one reaching the limit locks
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # it would announce itself on every manage.py command
AXES_LOCKOUT_CALLABLE = "courseware.security.locked_out"
AXES_CLIENT_IP_CALLABLE = "courseware.security.client_ip"

ROOT_URLCONF = "courseware.urls"
WSGI_APPLICATION = "courseware.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # The site's own registration/ pages first: django.contrib.admin (listed first) ships
        # templates with the same names, which would otherwise win.
        "DIRS": [BASE_DIR / "courseware" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        # Connections are kept a minute: opening one (and SQLite's PRAGMAs) cost a signed-in page a third
        # of its time (`manage.py bench pages`). CONN_MAX_AGE=0 closes each at the end of its request.
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", 60)), conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # WAL lets the site and the task worker read while the other writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Mail (password reset). Hosting: SMTP from the environment. A laptop without EMAIL_HOST: each
# message is written as a file under var/mail/, and the reset page says so.
if os.environ.get("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["EMAIL_HOST"]
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", 587))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
    EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", 10))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Serverless Academy <noreply@localhost>")

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # LOG_FORMAT=json: one JSON object per line (time, level, logger, message, exception).
    "formatters": {"json": {"()": "courseware.logs.JsonFormatter"}, "plain": {"format": "%(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler",
                             "formatter": "json" if os.environ.get("LOG_FORMAT") == "json" else "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Cache: Redis when REDIS_URL (or CACHE_URL) is set, shared by every process and host; else a
# file cache under var/, shared by the processes of this machine (local memory would not be,
# and the content version every process reads must be one).
CACHE_URL = os.environ.get("CACHE_URL") or os.environ.get("REDIS_URL") or ""
if CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {"default": {"BACKEND": "courseware.cache.SharedRedisCache", "LOCATION": CACHE_URL,
                          "KEY_PREFIX": os.environ.get("CACHE_PREFIX", "sa"), "TIMEOUT": 3600}}
else:
    CACHES = {"default": {"BACKEND": "courseware.cache.FileCache",
                          "LOCATION": str(VAR_DIR / "cache"), "TIMEOUT": 3600, "OPTIONS": {"MAX_ENTRIES": 5000}}}

# Sessions are read from the cache and kept in the database too (a cleared cache logs nobody out).
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Cheat sheets are loaded from here by `manage.py sync_content`.
CHEATSHEET_CONTENT_DIR = Path(os.environ.get("CHEATSHEET_CONTENT_DIR", BASE_DIR / "cheatsheets" / "content"))
QUIZ_BANK_DIR = Path(os.environ.get("QUIZ_BANK_DIR", BASE_DIR / "quizzes" / "bank"))

# Item statistics count an exam attempt only when at least this share of it was answered (an
# attempt left early says nothing about its questions). 0 counts every submitted attempt.
QUIZ_STATS_MIN_ANSWERED = float(os.environ.get("QUIZ_STATS_MIN_ANSWERED", 0.8))

# Background work: django-tasks with the database backend; `manage.py db_worker` runs it.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# `manage.py periodic` enqueues each of these tasks every so many seconds.
PERIODIC_TASKS: list[tuple[str, int]] = [
    ("quizzes.tasks.submit_expired_attempts", 60),
]

# `manage.py run_site` (what `make run` starts): one process per entry, stopped together.
SITE_PROCESSES = {
    "web": ["runserver", "--noreload", "{host}:{port}"],
    # Lab actions are clicks a learner waits on: poll the queue five times a second.
    "worker": ["db_worker", "--no-reload", "--interval", "0.1"],
    "periodic": ["periodic"],
}

# Labs: the local sandbox (MiniStack on 127.0.0.1), run timings, and their processes.
# Anything that reaches the sandbox's port can run code as the site's user: a hosted site may switch it
# off (LABS_LOCAL_SANDBOX=off); the labs then offer only the learner's own AWS account.
LABS_LOCAL_SANDBOX = os.environ.get("LABS_LOCAL_SANDBOX", "on").strip().lower() not in ("off", "0", "false", "no")
LABS_SANDBOX_URL = os.environ.get("LABS_SANDBOX_URL") or f"http://127.0.0.1:{int(os.environ.get('LABS_SANDBOX_PORT', 4566))}"
LABS_REGION = os.environ.get("LABS_REGION", "us-east-1")
# MiniStack's AUTH=true: functions run as their execution role, whose policies are enforced.
LABS_SANDBOX_AUTH = os.environ.get("LABS_SANDBOX_AUTH", "on").strip().lower() not in ("off", "0", "false", "no")
# The origin a lab run started from the command line allows for CORS (web runs use the site's own).
LABS_SITE_ORIGIN = os.environ.get("LABS_SITE_ORIGIN", "http://127.0.0.1:8000")
LABS_EXPLORE_SECONDS = int(os.environ.get("LABS_EXPLORE_SECONDS", 30 * 60))  # a verified app stays up this long
LABS_IDLE_SECONDS = int(os.environ.get("LABS_IDLE_SECONDS", 2 * 60 * 60))  # an untouched guided run, this long
LABS_STALL_SECONDS = int(os.environ.get("LABS_STALL_SECONDS", 120))  # a run whose worker is silent this long is reaped
# Teardown waits at most this long for invocations in flight, and looks for leftovers again after the grace.
LABS_TEARDOWN_DRAIN_SECONDS = float(os.environ.get("LABS_TEARDOWN_DRAIN_SECONDS", 60))
LABS_TEARDOWN_GRACE_SECONDS = float(os.environ.get("LABS_TEARDOWN_GRACE_SECONDS", 2))
PERIODIC_TASKS += [("labs.engine.tasks.reap_runs", 60)]
if LABS_LOCAL_SANDBOX:
    SITE_PROCESSES["sandbox"] = ["sandbox"]

# Labs in the learner's own AWS account (docs/labs.md, "Your own AWS account").
LABS_AWS_REGIONS = env_list("LABS_AWS_REGIONS", "us-east-1")  # the only regions labs may deploy to
LABS_AWS_ACCOUNT_BLOCKLIST = env_list("LABS_AWS_ACCOUNT_BLOCKLIST", "")  # account ids that are always refused
LABS_RUN_TTL_SECONDS = int(os.environ.get("LABS_RUN_TTL_SECONDS", 2 * 60 * 60))  # any run is torn down this long after it starts
LABS_AWS_SESSION_SECONDS = int(os.environ.get("LABS_AWS_SESSION_SECONDS", 3600))  # an assumed role's session (900-3600)
# The account whose credentials (the standard boto3 chain on the server) assume learners' roles; found
# with sts:GetCallerIdentity when empty. The role template trusts this account, with the learner's external id.
LABS_AWS_SITE_ACCOUNT_ID = os.environ.get("LABS_AWS_SITE_ACCOUNT_ID", "")
# Where the operator published labs/aws_role.py's template in S3 (`manage.py lab_account template`), for the
# console's one-click "quick create" link; without it learners download the template and upload it.
LABS_AWS_TEMPLATE_URL = os.environ.get("LABS_AWS_TEMPLATE_URL", "")


def _local_labs_secret_key() -> str:
    """A Fernet key generated on first use and kept in var/, like SECRET_KEY: a laptop needs no setup."""
    from cryptography.fernet import Fernet

    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key_file = VAR_DIR / "labs_secret_key"
    if not key_file.exists():
        key_file.write_bytes(Fernet.generate_key())
        key_file.chmod(0o600)
    return key_file.read_text().strip()


# Fernet keys that encrypt learners' stored AWS keys, comma-separated, newest first: the first encrypts,
# all decrypt (MultiFernet), so a key is rotated by putting a new one in front and running
# `manage.py lab_account rotate-keys`. Production sets it; a laptop gets one kept in var/.
LABS_SECRET_KEYS = env_list("LABS_SECRET_KEYS", "") or [_local_labs_secret_key()]
# botocore logs request headers (the access key id) and response bodies (an assumed role's secret key) at
# DEBUG: whatever LOG_LEVEL says, the AWS SDK logs warnings and worse only.
for _sdk_logger in ("botocore", "boto3", "s3transfer", "urllib3"):
    LOGGING["loggers"][_sdk_logger] = {"level": "WARNING"}
PERIODIC_TASKS += [("labs.engine.tasks.expire_runs", 60)]
# Error pages hide what is marked sensitive (a learner's AWS key) with DEBUG on as well.
DEFAULT_EXCEPTION_REPORTER_FILTER = "own_account.vault.SafeInDebugExceptionReporterFilter"
