"""Django settings, built from the typed configuration in geo_core.config (environment only)."""

from __future__ import annotations

from pathlib import Path

import dj_database_url

from geo_core import config

CONFIG = config.load()
BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = CONFIG.secret_key
DEBUG = CONFIG.debug
ALLOWED_HOSTS = list(CONFIG.allowed_hosts)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.gis",
    "geo_core.apps.GeoCoreConfig",
    "alarms.apps.AlarmsConfig",
    "layers.apps.LayersConfig",
    "web.apps.WebConfig",
    "video.apps.VideoConfig",
    "reports.apps.ReportsConfig",
    "demo.apps.DemoConfig",
]

MIDDLEWARE = [
    "geo_core.boundary.Hardening",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "geo_core.audit.AuditContext",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "geo_core.boundary.ErrorBoundary",
]

ROOT_URLCONF = "geo_core.urls"
# Wrapped around the Django application by geo_core.asgi (rooms' fast paths that answer without Django).
ASGI_MIDDLEWARE = ["layers.fast.TileFastPath", "geo_core.boundary.BodyLimit", "geo_core.boundary.ClientAddress"]
ASGI_APPLICATION = "geo_core.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        CONFIG.database_url, engine="django.contrib.gis.db.backends.postgis", conn_max_age=0 if CONFIG.db_pool else 60
    )
}
# No JIT: our queries are short (tiles, look-ups, batches) but their cost estimates can be high (spatial joins);
# compiling cost 140 ms on queries that run in 10 ms.
DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
if CONFIG.db_pool:
    DATABASES["default"]["OPTIONS"]["pool"] = {
        "min_size": 2,
        "max_size": CONFIG.db_pool_max,
        "timeout": 3,
    }  # a 503 from /healthz within seconds
if CONFIG.replica_url:  # the read-only paths read here while it is fresh (geo_core/replica.py)
    DATABASES["replica"] = dj_database_url.parse(
        CONFIG.replica_url, engine="django.contrib.gis.db.backends.postgis", conn_max_age=60
    )
    DATABASES["replica"]["OPTIONS"] = {"options": "-c jit=off"}
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["geo_core.replica.ReplicaRouter"]
# GDAL 3.6 (Debian bookworm) cannot block file/network access from spatial references; we never open
# user-supplied SRS definitions through GDAL, so the warning is acknowledged here.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = ["geo_core.signin.LockoutBackend"]
# Sessions (SEC-2): 30 minutes idle, renewed by each request; cookies never readable by scripts; Secure behind TLS.
SESSION_COOKIE_AGE = CONFIG.session_idle_s
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = CONFIG.tls
if CONFIG.tls:  # behind a TLS-terminating proxy that sets X-Forwarded-Proto; HSTS: geo_core.boundary.harden
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "geo_core.signin.CharacterClassesValidator"},
]

LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / ".var" / "static"
# The pages' bundle (web/build.mjs) is served straight from web/static/ (no collectstatic needed by tests or a fresh
# start); its files carry a content hash in their names and are cached for a year.
WHITENOISE_USE_FINDERS = True
WHITENOISE_IMMUTABLE_FILE_TEST = r"-[0-9A-Z]{8}\.(js|css|map|woff2?|png|svg)$"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "geo_core.logging.JsonFormatter"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["stderr"], "level": CONFIG.log_level},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

if CONFIG.fast_password_hasher:  # the tests' servers only (geo_core/config.py)
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
