"""Settings of the ccapp project, all read from the environment (see README)."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from ccapp.env import (
    check_redis_url,
    env_bool,
    env_int,
    env_list,
    env_str,
    parse_database_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY", "insecure-development-key-change-me" if DEBUG else None)
if not DEBUG and (len(SECRET_KEY) < 50 or SECRET_KEY.startswith("insecure")):
    raise ImproperlyConfigured("SECRET_KEY must be a random string of at least 50 characters.")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "unfold",
    "unfold.contrib.filters",
    "unfold.contrib.simple_history",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "django_celery_beat",
    "simple_history",
    "phonenumber_field",
    "ccapp.apps.CcappConfig",
    "crm",
    "tickets",
    "qa",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "ccapp.urls"
WSGI_APPLICATION = None
ASGI_APPLICATION = "ccapp.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ccapp")
DATABASES = {"default": parse_database_url("DATABASE_URL", DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = check_redis_url("REDIS_URL", env_str("REDIS_URL", "redis://127.0.0.1:6379/0"))

# channels-redis drops group messages silently past `capacity` and fails past the pool size:
# both are set on purpose, well above the defaults (100).
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [{"address": REDIS_URL, "max_connections": env_int("REDIS_MAX_CONNECTIONS", 1000)}],
            "capacity": env_int("CHANNEL_LAYER_CAPACITY", 5000),
            "expiry": 60,
            "group_expiry": 86400,
            "prefix": env_str("CHANNEL_LAYER_PREFIX", "ccapp"),
        },
    }
}

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "ccapp",
    }
}

# Kombu spells a unix socket redis+socket:// and takes no query string there.
CELERY_BROKER_URL = env_str(
    "CELERY_BROKER_URL",
    REDIS_URL.replace("unix://", "redis+socket://", 1).split("?")[0]
    if REDIS_URL.startswith("unix://")
    else REDIS_URL,
)
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = env_str("TIME_ZONE", "Asia/Shanghai")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))

PHONENUMBER_DEFAULT_REGION = env_str("PHONE_REGION", "CN")
PHONENUMBER_DB_FORMAT = "E164"

# Asterisk REST Interface. With no ARI_URL, `make run` starts the project's ARI simulator.
ARI_URL = env_str("ARI_URL", "http://127.0.0.1:8088")
ARI_USERNAME = env_str("ARI_USERNAME", "ccapp")
ARI_PASSWORD = env_str("ARI_PASSWORD", "ccapp")
ARI_APP = env_str("ARI_APP", "ccapp")
# Call recordings and voicemails are copied from Asterisk into MEDIA_ROOT by a Celery task
# (GET /recordings/stored/{name}/file), retried with a growing delay, then marked failed.
RECORDING_FETCH_TIMEOUT = env_int("RECORDING_FETCH_TIMEOUT", 30)
RECORDING_FETCH_RETRIES = env_int("RECORDING_FETCH_RETRIES", 5)
# Delete Asterisk's copy once ours is written and checked (size and WAV header).
RECORDINGS_DELETE_FROM_ASTERISK = env_bool("RECORDINGS_DELETE_FROM_ASTERISK", False)

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "ccapp <noreply@localhost>")

# The address people reach the project at, for links in emails (ticket replies, satisfaction surveys).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
TICKETS_BASE_URL = SITE_URL
# Where Asterisk fetches rendered prompts from (it must reach the web server at this address).
PROMPT_BASE_URL = env_str("PROMPT_BASE_URL", SITE_URL)
TICKETS_REOPEN_DAYS = env_int("TICKETS_REOPEN_DAYS", 7)
TICKETS_AUTOCLOSE_DAYS = env_int("TICKETS_AUTOCLOSE_DAYS", 3)
TICKETS_ATTACHMENT_MAX_BYTES = env_int("TICKETS_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.BasicAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "ccapp.api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ccapp API",
    "DESCRIPTION": "Call center: queues, agents, calls, customers, tickets, quality.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Several apps have fields named status / state / channel / language with different choices: give
    # each choice set its own schema name.
    "ENUM_NAME_OVERRIDES": {
        "LanguageEnum": [("zh", "中文"), ("en", "English")],
        "ArticleLanguageEnum": "crm.models.kb.ArticleLanguage",
        "ArticleStatusEnum": "crm.models.kb.ArticleStatus",
        "TicketStatusEnum": "tickets.models.ticket.Status",
        "TicketChannelEnum": "tickets.models.config.Channel",
        "WebhookDeliveryStatusEnum": "tickets.models.webhooks.DeliveryStatus",
        "SLAStateEnum": ["none", "paused", "on_track", "warning", "breached", "met"],
        "AgentStateEnum": "ccapp.models.agents.AgentState",
        "CallbackStatusEnum": "ccapp.models.calls.CallbackStatus",
    },
}

UNFOLD = {
    "SITE_TITLE": "ccapp",
    "SITE_HEADER": "ccapp",
    "SHOW_LANGUAGES": True,
}

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"httpx": {"level": "WARNING"}, "httpcore": {"level": "WARNING"}},
}
