"""Django settings. Every value comes from an environment variable (see .env.example)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url

from steward.lib.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("STEWARD_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)  # the embedded SQLite database lives here

DEBUG = env_bool("STEWARD_DEBUG", False)
# The development key is refused by every serving process unless DEBUG is on (see the
# security block below and steward/lib/security.py).
DEVELOPMENT_SECRET_KEY = "insecure-development-key-change-me"
SECRET_KEY = env_str("STEWARD_SECRET_KEY", DEVELOPMENT_SECRET_KEY)
ALLOWED_HOSTS = env_list("STEWARD_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("STEWARD_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "steward.organisations",
    "steward.audit",
    "steward.jobs",
    "steward.calendars",
    "steward.plans",
    "steward.inventory",
    "steward.datasets",
    "steward.publishing",
    "steward.catalogue",
    "steward.quality",
    "steward.feedback",
    "steward.committees",
    "steward.tasks",
    "steward.evaluation",  # after the apps it measures: its demo evaluates their activity
    "steward.reports",  # after every app it reports on
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "steward.lib.middleware.TraditionalChineseFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "steward.organisations.middleware.RolesOncePerRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "steward.organisations.signin.middleware.IdleTimeoutMiddleware",
    "steward.organisations.signin.middleware.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "steward.urls"
WSGI_APPLICATION = "steward.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "steward" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "steward.organisations.context_processors.navigation",
            ],
            # `year_label`: years as the seeds write them (民國), on every page.
            "builtins": ["steward.lib.years"],
        },
    },
]

# SQLite by default (the embedded demo); PostgreSQL in production and CI via DATABASE_URL.
# In production each server thread keeps its connection STEWARD_DB_CONN_MAX_AGE seconds
# (docs/production.env: 60), checked before reuse so a restarted database costs no error.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'steward.sqlite3'}"),
        conn_max_age=env_int("STEWARD_DB_CONN_MAX_AGE", 0),
        conn_health_checks=env_bool("STEWARD_DB_CONN_HEALTH_CHECKS", True),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "organisations.Person"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Traditional Chinese first, English second.
LANGUAGE_CODE = "zh-hant"
LANGUAGES = [("zh-hant", "繁體中文"), ("en", "English")]
# steward/lib is not an installed app, so its catalogue (outbound HTTP messages) is listed here.
LOCALE_PATHS = [BASE_DIR / "steward" / "locale", BASE_DIR / "steward" / "lib" / "locale"]
TIME_ZONE = env_str("STEWARD_TIME_ZONE", "Asia/Taipei")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "steward" / "static"]
STATIC_ROOT = Path(env_str("STEWARD_STATIC_ROOT", str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns about a missing one
MEDIA_ROOT = VAR_DIR / "media"
# Static files are served by WhiteNoise from STATIC_ROOT (`steward collectstatic`). With
# STEWARD_STATIC_MANIFEST (set by `steward serve`) their names carry a content hash and are
# cached for ever; without it (tests, development) the plain names are served from the apps.
STEWARD_STATIC_MANIFEST = env_bool("STEWARD_STATIC_MANIFEST", False)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STEWARD_STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# E-mail: the console backend by default, SMTP when configured.
EMAIL_BACKEND = env_str("STEWARD_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# Where the file backend (django.core.mail.backends.filebased.EmailBackend) writes messages.
EMAIL_FILE_PATH = env_str("STEWARD_EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
EMAIL_HOST = env_str("STEWARD_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("STEWARD_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("STEWARD_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("STEWARD_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("STEWARD_EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("STEWARD_FROM_EMAIL", "opendata-steward@localhost")

# Uploads: spreadsheets and calendar files are small; refuse anything larger.
# Language of the `steward` command's messages: "en", or "zh-hant"; empty means from the locale
# (LC_ALL, LC_MESSAGES, LANG): English when it starts with "en", else Traditional Chinese.
STEWARD_LANGUAGE = env_str("STEWARD_LANGUAGE", "")
STEWARD_MAX_UPLOAD_BYTES = env_int("STEWARD_MAX_UPLOAD_BYTES", 20 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = STEWARD_MAX_UPLOAD_BYTES
# The national catalogue export is ~68 MB (2026): catalogue imports have their own limit, on the
# file and on what a .csv.gz expands to.
STEWARD_MAX_CATALOGUE_BYTES = env_int("STEWARD_MAX_CATALOGUE_BYTES", 200 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Inventory imports with more data rows than this are checked and applied by a background job
# (`steward worker`), with progress on the page, instead of inside the web request.
STEWARD_INVENTORY_BACKGROUND_ROWS = env_int("STEWARD_INVENTORY_BACKGROUND_ROWS", 2000)
# An inventory file with more data rows than this is refused; an XLSX/ODS (a zip) that would
# expand beyond this many bytes is refused as a zip bomb.
STEWARD_INVENTORY_MAX_ROWS = env_int("STEWARD_INVENTORY_MAX_ROWS", 50_000)
STEWARD_INVENTORY_MAX_UNCOMPRESSED_BYTES = env_int(
    "STEWARD_INVENTORY_MAX_UNCOMPRESSED_BYTES", 256 * 1024 * 1024
)

# The official office calendar files (辦公日曆表) shipped with the product.
STEWARD_CALENDAR_DIR = Path(
    env_str("STEWARD_CALENDAR_DIR", str(BASE_DIR / "steward" / "calendars" / "data"))
)

# Outbound HTTP (crawler, portal adapter).
STEWARD_USER_AGENT = env_str(
    "STEWARD_USER_AGENT", "OpenDataSteward/0.1 (+https://github.com/opendata-steward)"
)
# Hosts or CIDR ranges the crawler may reach even though they are private or loopback.
STEWARD_HTTP_ALLOWED_PRIVATE = env_list("STEWARD_HTTP_ALLOWED_PRIVATE", [])
# Crawler processes a large quality check is split across, by host (0: in the caller's process).
STEWARD_CRAWL_PROCESSES = env_int(
    "STEWARD_CRAWL_PROCESSES", (os.cpu_count() or 1) if (os.cpu_count() or 1) > 1 else 0
)

# Days a quality check run is kept; runs of the current and the previous year are kept
# whatever this says (their KPIs are still reported), and each resource's last verdict too.
STEWARD_QUALITY_RETENTION_DAYS = env_int("STEWARD_QUALITY_RETENTION_DAYS", 400)
# Overrides of the quality scores' tables (`quality/scores.py`: STAR_TABLE, MARK_RULES, …), for
# a deployment whose plan judges differently; a dict, so set here, not from the environment.
STEWARD_QUALITY: dict[str, object] = {}

# National portal (data.gov.tw) publishing adapter.
STEWARD_PORTAL_URL = env_str("STEWARD_PORTAL_URL", "https://data.gov.tw")
STEWARD_PORTAL_API_KEY = env_str("STEWARD_PORTAL_API_KEY", "")
# Seconds the portal may take to answer one request.
STEWARD_PORTAL_TIMEOUT = env_int("STEWARD_PORTAL_TIMEOUT", 15)
# Reports as PDF: LibreOffice headless converts the ODT (steward/reports/render/pdf.py); the
# seconds one conversion may take before the ODT is delivered instead, and the program to run.
STEWARD_REPORT_PDF_TIMEOUT = env_int("STEWARD_REPORT_PDF_TIMEOUT", 120)
STEWARD_REPORT_SOFFICE = env_str("STEWARD_REPORT_SOFFICE", "soffice")
# The publishing outbox: attempts before an entry is dead; the back-off after the first failure
# (doubling each time, up to the cap; never less than the portal's Retry-After); how long a
# worker's claim lasts before another worker may take the entry over.
STEWARD_PUBLISH_MAX_ATTEMPTS = env_int("STEWARD_PUBLISH_MAX_ATTEMPTS", 8)
STEWARD_PUBLISH_BACKOFF_SECONDS = env_int("STEWARD_PUBLISH_BACKOFF_SECONDS", 60)
STEWARD_PUBLISH_BACKOFF_CAP_SECONDS = env_int("STEWARD_PUBLISH_BACKOFF_CAP_SECONDS", 6 * 3600)
STEWARD_PUBLISH_LEASE_SECONDS = env_int("STEWARD_PUBLISH_LEASE_SECONDS", 300)

# The production server (`steward serve`: gunicorn, with `steward worker` beside it).
STEWARD_BIND = env_str("STEWARD_BIND", "127.0.0.1:8000")
# One process per core with 8 threads each (gunicorn's gthread worker): pages wait on the
# database, threads overlap the waits (measured: docs/benchmarks.md, docs/deploy.md).
STEWARD_WEB_WORKERS = env_int("STEWARD_WEB_WORKERS", os.cpu_count() or 1)
STEWARD_WEB_THREADS = env_int("STEWARD_WEB_THREADS", 8)

# ---------------------------------------------------------------------------------------------
# Security: HTTPS, headers and the secret key (issue 10, part 5). Sign-in hardening (throttling,
# second factor, idle timeout) has a block of its own, after this one.
# ---------------------------------------------------------------------------------------------
# STEWARD_HTTPS=true: the site is only reached over HTTPS, usually through a reverse proxy that
# terminates TLS and sets X-Forwarded-Proto (it must overwrite any such header a client sends).
STEWARD_HTTPS = env_bool("STEWARD_HTTPS", False)
SESSION_COOKIE_SECURE = STEWARD_HTTPS
CSRF_COOKIE_SECURE = STEWARD_HTTPS
SECURE_SSL_REDIRECT = STEWARD_HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if STEWARD_HTTPS else None
SECURE_HSTS_SECONDS = env_int("STEWARD_HSTS_SECONDS", 365 * 24 * 3600) if STEWARD_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("STEWARD_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("STEWARD_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
# A form sent from an expired page gets the site's own 403 page, in the person's language.
CSRF_FAILURE_VIEW = "steward.errors.csrf_failure"

# ---- Sign-in: lockout, second factor, idle timeout -----------------------------------------
# (steward/organisations/signin/; kept apart from the HTTPS and headers settings.)
# django-axes counts failed sign-ins per account and per address; at the limit both are
# locked for the cool-off time or until the information centre unlocks them.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("STEWARD_SIGNIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("STEWARD_SIGNIN_COOLOFF_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one reaching the limit locks
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "steward.organisations.signin.views.locked_out"  # 429, in zh-Hant
AXES_VERBOSE = False
AXES_ENABLE_ADMIN = False  # unlock through /accounts/lockouts/, which writes the audit event
# Behind a reverse proxy, how many proxies add to X-Forwarded-For (0: use the peer address).
STEWARD_SIGNIN_PROXY_COUNT = env_int("STEWARD_SIGNIN_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "steward.organisations.signin.lockouts.client_address"
# Roles that must use a second factor (TOTP): role keys, "admin" for staff and superusers.
STEWARD_REQUIRE_2FA_ROLES = env_list("STEWARD_REQUIRE_2FA_ROLES", [])
OTP_TOTP_ISSUER = env_str("STEWARD_OTP_ISSUER", "OpenData Steward")
# Signed out after this many minutes without a request (0: never).
STEWARD_SESSION_IDLE_MINUTES = env_int("STEWARD_SESSION_IDLE_MINUTES", 30)
# Content-Security-Policy (django-csp): scripts and styles only from our own static files, so
# an injected <script>, inline event handler or style attribute does nothing. Templates carry
# no inline script or style (steward/lib/tests/test_security.py keeps it so); htmx is configured
# in base.html not to inject its indicator <style> (the rule is in steward.css).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# ---------------------------------------------------------------------------------------------

# ---- Public feedback (steward/feedback) ----------------------------------------------------
# The address people reach this site at, for links in e-mails to the public ("" = relative).
STEWARD_PUBLIC_URL = env_str("STEWARD_PUBLIC_URL", "")
# Most items one sender address may send through the public form in an hour.
STEWARD_FEEDBACK_PER_ADDRESS_PER_HOUR = env_int("STEWARD_FEEDBACK_PER_ADDRESS_PER_HOUR", 5)
# A form sent back sooner than this after it was shown is taken for a robot.
STEWARD_FEEDBACK_MIN_FILL_SECONDS = env_int("STEWARD_FEEDBACK_MIN_FILL_SECONDS", 3)
# Remind the liaison this many working days before a reply is due.
STEWARD_FEEDBACK_REMIND_WORKING_DAYS = env_int("STEWARD_FEEDBACK_REMIND_WORKING_DAYS", 2)
# Remind the people who do a schedule task this many working days before it is due.
STEWARD_TASK_REMIND_WORKING_DAYS = env_int("STEWARD_TASK_REMIND_WORKING_DAYS", 5)
# Dashboards (steward/reports/dashboards, per person) and the home page's standing (per
# organisations) keep their figures this many seconds (0: computed on every request); the
# page says when they were computed.
STEWARD_DASHBOARD_CACHE_SECONDS = env_int("STEWARD_DASHBOARD_CACHE_SECONDS", 300)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("STEWARD_LOG_LEVEL", "WARNING")},
}
