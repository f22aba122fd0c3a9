"""Django settings. Every value comes from an environment variable (see .env.example)."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

from steward.lib.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("STEWARD_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)  # the embedded SQLite database lives here

DEBUG = env_bool("STEWARD_DEBUG", False)
SECRET_KEY = env_str("STEWARD_SECRET_KEY", "insecure-development-key-change-me")
ALLOWED_HOSTS = env_list("STEWARD_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("STEWARD_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "steward.organisations",
    "steward.audit",
    "steward.jobs",
    "steward.calendars",
    "steward.plans",
    "steward.inventory",
    "steward.datasets",
    "steward.publishing",
    "steward.quality",
    "steward.feedback",
    "steward.evaluation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "steward.lib.middleware.TraditionalChineseFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
        },
    },
]

# SQLite by default (the embedded demo); PostgreSQL in production and CI via DATABASE_URL.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'steward.sqlite3'}"),
        conn_max_age=env_int("STEWARD_DB_CONN_MAX_AGE", 0),
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
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = VAR_DIR / "media"

# E-mail: the console backend by default, SMTP when configured.
EMAIL_BACKEND = env_str("STEWARD_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("STEWARD_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("STEWARD_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("STEWARD_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("STEWARD_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("STEWARD_EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("STEWARD_FROM_EMAIL", "opendata-steward@localhost")

# Uploads: spreadsheets and calendar files are small; refuse anything larger.
STEWARD_MAX_UPLOAD_BYTES = env_int("STEWARD_MAX_UPLOAD_BYTES", 20 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = STEWARD_MAX_UPLOAD_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

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

# National portal (data.gov.tw) publishing adapter.
STEWARD_PORTAL_URL = env_str("STEWARD_PORTAL_URL", "https://data.gov.tw")
STEWARD_PORTAL_API_KEY = env_str("STEWARD_PORTAL_API_KEY", "")

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("STEWARD_LOG_LEVEL", "WARNING")},
}
