"""Parallax settings: the only settings module.

Every deployment value comes from an environment variable with a safe development
default; with PARALLAX_ENV=production the unsafe defaults are refused (see README).
"""

import os
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent

PRODUCTION = os.environ.get("PARALLAX_ENV", "development") == "production"


def env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name)
    if value:
        return value
    if PRODUCTION and default is None:
        raise ImproperlyConfigured(f"The environment variable {name} is required in production.")
    return default or ""


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


SECRET_KEY = env("SECRET_KEY", None if PRODUCTION else "dev-only-insecure-key-do-not-deploy")
DEBUG = env_bool("DEBUG", not PRODUCTION)
# Django's technical 404 and 500 pages (with DEBUG); otherwise the site's own.
TECHNICAL_ERROR_PAGES = env_bool("TECHNICAL_ERROR_PAGES", False)
ALLOWED_HOSTS = [
    h.strip()
    for h in env("ALLOWED_HOSTS", None if PRODUCTION else "127.0.0.1,localhost,testserver").split(
        ","
    )
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    # Django's own widget templates, for FORM_RENDERER below.
    "django.forms",
    "django_htmx",
    "simple_history",
    "axes",
    "django_tasks_db",
    "core",
    "accounts",
    "incidents",
    "editing",
    "imports",
    "search",
    "analysis",
    "api",
    "ops",
    "geo",
]

MIDDLEWARE = [
    # /healthz for container health checks, before host checks and redirects.
    "core.middleware.HealthCheckMiddleware",
    # Cache hits of anonymous pages are answered here, before the rest is run: what it
    # would add to the page was stored with it, what it would refuse is passed on
    # (core.cache).
    "core.cache.CachedPageMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Django's own Content Security Policy (SECURE_CSP below).
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Turns "database unreachable" into a 503 page instead of a 500.
    "core.middleware.DatabaseUnavailableMiddleware",
    # A NUL in a query string or form post is a 400, before any view or query.
    "core.middleware.UnstorableInputMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Answers to signed-in visitors (who may see drafts) are never shared-cached.
    "core.middleware.PrivateForSignedInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # With DEBUG, the site's own 404 and 500 pages rather than Django's technical ones.
    "core.middleware.StyledErrorPagesMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, so that a locked-out sign-in never reaches the view.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "core.context_processors.data_licence",
            ],
            "builtins": ["django_htmx.templatetags.django_htmx"],
        },
    }
]

# Widgets are rendered with the project's templates, so that templates/widgets/
# can hold the project's own (incidents.forms.Select).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# SQLite (WAL mode, see incidents.apps) unless DATABASE_URL names another database.
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", None if PRODUCTION else f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;"
            ),
            "transaction_mode": "IMMEDIATE",
        }
    )
else:
    # A database that does not answer a new connection within this many seconds is
    # treated as down (503), instead of holding the request.
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = int(
        os.environ.get("DATABASE_CONNECT_TIMEOUT", "5")
    )
    if os.environ.get("DATABASE_STATEMENT_TIMEOUT_MS"):
        # A ceiling on any one query of the web processes (e.g. 5000): a runaway query
        # gets a 503 page instead of holding a worker. Leave it unset for `migrate` and
        # the other management commands, whose statements can legitimately run longer
        # (docker-compose sets it for the web service only).
        DATABASES["default"]["OPTIONS"]["options"] = (
            f"-c statement_timeout={int(os.environ['DATABASE_STATEMENT_TIMEOUT_MS'])}"
        )
# A request whose database has not answered for this long is cut off with a 503
# (core.middleware._StallWatch): a frozen server never enforces its own statement
# timeout. By default the web's statement timeout plus two seconds; 0 turns it off.
DATABASE_STALL_SECONDS = float(
    os.environ.get(
        "DATABASE_STALL_SECONDS",
        str(int(os.environ["DATABASE_STATEMENT_TIMEOUT_MS"]) / 1000 + 2)
        if os.environ.get("DATABASE_STATEMENT_TIMEOUT_MS")
        else "0",
    )
)

# A streaming replica of the primary for anonymous reads (docs/scaling.md, step 4).
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"],
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
    # Tests see the primary through the replica alias.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["core.middleware.PublicReadReplicaRouter"]
    MIDDLEWARE.insert(
        MIDDLEWARE.index("core.middleware.DatabaseUnavailableMiddleware") + 1,
        "core.middleware.PublicReadMiddleware",
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "incidents:list"
LOGOUT_REDIRECT_URL = "incidents:list"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
# 15 minutes, doubling with each further round of failures on a username within a
# day (accounts.security.cool_off, which counts the failure log).
AXES_COOLOFF_TIME = "accounts.security.cool_off"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# Locked per username and address, and per username alone: an attack on one account
# spread over many addresses is stopped too.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]
# The client's address behind reverse proxies (accounts.security.client_ip): the
# number of proxies in front of the app that append to TRUSTED_PROXY_HEADER. 0 (no
# proxy) uses REMOTE_ADDR; never more than there are, or clients can forge it.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
TRUSTED_PROXY_HEADER = os.environ.get("TRUSTED_PROXY_HEADER", "HTTP_X_FORWARDED_FOR")
AXES_CLIENT_IP_CALLABLE = "accounts.security.client_ip"
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
# Its start-up banner would print on every management command.
AXES_VERBOSE = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
# The interface is in English only; without the translation machinery every date
# and label a page renders skips a language lookup (a tenth of the comparison page's
# rendering time). Dates are still formatted the en-GB way.
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Development and tests serve static files straight from the apps (no collectstatic);
# production serves the collected, hashed copies.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG and not PRODUCTION
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded files (bulk imports waiting for the worker, imports.uploads): on the local
# disk under MEDIA_ROOT by default, which web and task worker must share (docker-compose
# mounts one volume on both). STORAGE_BACKEND names another Django storage class (an
# object store), configured by its own settings.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", str(BASE_DIR / "data" / "media")))
MEDIA_URL = "media/"  # never served: uploads are read by the worker, not by browsers
STORAGES = {
    "default": {
        "BACKEND": os.environ.get("STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage")
    },
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# A cache shared by every worker process: the database by default, Redis when
# REDIS_URL is set (docker-compose). A per-process memory cache would serve stale
# public pages after a publish on another worker.
CACHES: dict[str, dict[str, object]]
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
        }
    }
else:
    CACHES = {
        "default": {
            # Django's, each write one statement (core/dbcache.py).
            "BACKEND": "core.dbcache.DatabaseCache",
            "LOCATION": "parallax_cache",
            # Room for the anonymous pages of a busy day (core.cache).
            "OPTIONS": {"MAX_ENTRIES": int(os.environ.get("CACHE_MAX_ENTRIES", "20000"))},
        }
    }
# A namespace of its own in a shared cache (ops/bench/loadtest.sh: each run starts
# empty without clearing anyone's entries).
CACHES["default"]["KEY_PREFIX"] = os.environ.get("CACHE_KEY_PREFIX", "")

TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# Django 6.1's MAILERS (EMAIL_BACKEND and friends are deprecated). SMTP in production,
# the console in development; every value from the environment.
_EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
MAILERS = {
    "default": {
        "BACKEND": _EMAIL_BACKEND,
        # Only the SMTP backend takes connection options.
        "OPTIONS": {
            "host": os.environ.get("EMAIL_HOST", "localhost"),
            "port": int(os.environ.get("EMAIL_PORT", "25")),
            "username": os.environ.get("EMAIL_HOST_USER", ""),
            "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
            "use_tls": env_bool("EMAIL_USE_TLS", False),
            "timeout": 10,
        }
        if _EMAIL_BACKEND.endswith("smtp.EmailBackend")
        else {},
    }
}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "parallax@localhost")

# spaCy pipeline used by article import; loaded once per process (imports.nlp).
SPACY_MODEL = os.environ.get("SPACY_MODEL", "en_core_web_sm")

# Pasted articles and request bodies are capped so one request cannot exhaust memory.
IMPORT_MAX_CHARS = int(os.environ.get("IMPORT_MAX_CHARS", "200000"))
# The longest statement text (and original text) and the longest annotation note an
# editor may save (core.text, docs/scaling.md "Limits"). Well below what one row of
# PostgreSQL's search index can hold (a text-search vector of at most 1 MB).
STATEMENT_MAX_CHARS = int(os.environ.get("STATEMENT_MAX_CHARS", "20000"))
NOTE_MAX_CHARS = int(os.environ.get("NOTE_MAX_CHARS", "10000"))
# Import jobs: the worker stamps a heartbeat this often; a running job without one
# for the lease has lost its worker and is resumed (at most MAX_ATTEMPTS runs in all),
# then marked failed with a Retry button.
IMPORT_JOB_HEARTBEAT_SECONDS = float(os.environ.get("IMPORT_JOB_HEARTBEAT_SECONDS", "5"))
IMPORT_JOB_LEASE_SECONDS = float(os.environ.get("IMPORT_JOB_LEASE_SECONDS", "30"))
IMPORT_JOB_MAX_ATTEMPTS = int(os.environ.get("IMPORT_JOB_MAX_ATTEMPTS", "2"))
# A bulk upload, all files together (a request over it is refused before it is read),
# and its number of files. The files are streamed to storage (imports.uploads); the
# job row keeps references only.
IMPORT_BULK_MAX_BYTES = int(os.environ.get("IMPORT_BULK_MAX_BYTES", str(20 * 1024 * 1024)))
IMPORT_BULK_MAX_FILES = int(os.environ.get("IMPORT_BULK_MAX_FILES", "200"))
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("DATA_UPLOAD_MAX_MEMORY_SIZE", "2621440"))
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
# Django refuses more files than this before any view runs; the bulk view turns that
# refusal into its own message (imports.views.bulk).
DATA_UPLOAD_MAX_NUMBER_FILES = IMPORT_BULK_MAX_FILES
# A request body larger than this is spooled to temporary files as it arrives instead
# of being held in memory, so a web worker's memory does not grow with an upload.
FILE_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("FILE_UPLOAD_MAX_MEMORY_SIZE", "262144"))

# Content Security Policy: scripts and styles only from our own origin, no inline
# script or style anywhere (htmx's inline indicator style is switched off in
# base.html; its CSS lives in parallax.css). Report-only instead with CSP_REPORT_ONLY=1.
_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
if env_bool("CSP_REPORT_ONLY", False):
    SECURE_CSP_REPORT_ONLY = _CSP
else:
    SECURE_CSP = _CSP

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# htmx sends the token from the page (hx-headers on <body>), never from the cookie.
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Anonymous pages are cached in the shared cache (core.cache) for this long at
# most; publishing or editing invalidates them at once, whatever this value.
PUBLIC_PAGE_CACHE_SECONDS = int(os.environ.get("PUBLIC_PAGE_CACHE_SECONDS", "600"))
# On by default; off under pytest, whose tests count each view's own SQL queries
# (tests/core/test_cache.py turns it on where it is what is tested).
# With a read replica, pages rendered this soon after a change are not stored: the
# replica may not have the change yet (its lag must stay below this).
PUBLIC_PAGE_CACHE_SETTLE_SECONDS = float(
    os.environ.get(
        "PUBLIC_PAGE_CACHE_SETTLE_SECONDS", "5" if os.environ.get("DATABASE_REPLICA_URL") else "0"
    )
)
PUBLIC_PAGE_CACHE = env_bool("PUBLIC_PAGE_CACHE", "pytest" not in sys.modules)
# A page first rendered within this many seconds after a change of something it shows
# is not stored (core.cache): allows for clocks of different machines that differ.
PUBLIC_PAGE_CACHE_CLOCK_SKEW = float(os.environ.get("PUBLIC_PAGE_CACHE_CLOCK_SKEW", "0.5"))
# Bytes of cached pages each worker keeps in its own memory, by digest (core.cache:
# a hit then reads only the page's small entry and its generations).
PUBLIC_PAGE_CACHE_LOCAL_BYTES = int(os.environ.get("PUBLIC_PAGE_CACHE_LOCAL_BYTES", 32 * 2**20))
# The cache alias of the page cache and remember() (manage.py bench uses its own).
PUBLIC_PAGE_CACHE_ALIAS = os.environ.get("PUBLIC_PAGE_CACHE_ALIAS", "default")

# The site's public address, for identifiers that must not depend on the Host header
# of a request (the Atom feed's ids; absolute links in exports).
SITE_URL = (
    os.environ.get("SITE_URL")
    or (f"https://{ALLOWED_HOSTS[0]}" if PRODUCTION and ALLOWED_HOSTS else "http://localhost:8000")
).rstrip("/")
# The date in the site's tag: URIs (RFC 4151), e.g. the Atom feed's entry ids: a day
# on which SITE_URL's domain was the site's. Set once; changing it changes every id.
SITE_TAG_DATE = os.environ.get("SITE_TAG_DATE", "2026")
# The terms the published data may be reused under: stated by the API (a `license`
# field and a Link rel="license" header), in every export and in the page footer.
DATA_LICENSE = os.environ.get("DATA_LICENSE", "CC-BY-4.0")
DATA_LICENSE_URL = os.environ.get(
    "DATA_LICENSE_URL", "https://creativecommons.org/licenses/by/4.0/"
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"forbidden_on_one_line": {"()": "core.logging.ForbiddenOnOneLine"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["forbidden_on_one_line"]}
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # "Watching for file changes with StatReloader" at every start and reload.
        "django.utils.autoreload": {"level": "WARNING"},
    },
}
