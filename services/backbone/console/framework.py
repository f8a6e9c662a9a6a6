"""The composition root: Django's settings, the database, and the services the views use.

Django is configured in code (``settings.configure``), once per process, from a
``ConsoleSettings``; nothing happens at import time. ``configure`` also applies the database
migrations (users, sessions, roles, failed sign-ins), so a first start needs no other step.
"""

from __future__ import annotations

from typing import Any

import django
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command

from backbone.audit.core.calendar import ALMATY
from backbone.audit.core.rules import load_rules
from backbone.audit.live.client import AuditClient
from backbone.audit.live.settings import rules_files
from backbone.broker.topology import load
from backbone.console import i18n, throttle
from backbone.console.agency_names import AgencyNames
from backbone.console.audit_api import AuditApi
from backbone.console.config import ConsoleSettings, load_secret_key
from backbone.console.quarantine import KafkaQuarantineSource, QuarantineSource
from backbone.console.wiring import Services, install

AUDIT_TIMEOUT = 10.0
_CONTEXT = [
    "django.template.context_processors.request",
    "django.contrib.auth.context_processors.auth",
    "django.template.context_processors.i18n",
    "backbone.console.views.common.console_context",
]
_VALIDATORS = [
    "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
    "django.contrib.auth.password_validation.MinimumLengthValidator",
    "django.contrib.auth.password_validation.CommonPasswordValidator",
    "django.contrib.auth.password_validation.NumericPasswordValidator",
]


def django_settings(config: ConsoleSettings) -> dict[str, Any]:
    return {
        "DEBUG": False,
        "SECRET_KEY": load_secret_key(config.secret_file),
        "ALLOWED_HOSTS": ["127.0.0.1", "localhost", *config.public_hosts],
        "INSTALLED_APPS": [
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "axes",
            "backbone.console.apps.ConsoleConfig",
        ],
        "MIDDLEWARE": [
            "backbone.console.middleware.timing",
            "django.middleware.security.SecurityMiddleware",
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.locale.LocaleMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.middleware.clickjacking.XFrameOptionsMiddleware",
            "backbone.console.middleware.content_security_policy",
            "backbone.console.middleware.never_stored",
            throttle.MIDDLEWARE,
        ],
        "ROOT_URLCONF": "backbone.console.urls",
        "TEMPLATES": [
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "APP_DIRS": True,
                "OPTIONS": {"context_processors": _CONTEXT},
            }
        ],
        "DATABASES": {
            "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(config.database)}
        },
        "AUTH_PASSWORD_VALIDATORS": [{"NAME": name} for name in _VALIDATORS],
        "AUTHENTICATION_BACKENDS": throttle.AUTHENTICATION_BACKENDS,
        "DEFAULT_AUTO_FIELD": "django.db.models.BigAutoField",
        "USE_I18N": True,
        "LANGUAGE_CODE": "en",
        "LANGUAGES": i18n.LANGUAGES,
        "USE_TZ": True,
        "TIME_ZONE": ALMATY.key,
        "LOGIN_URL": "login",
        "LOGIN_REDIRECT_URL": "board",
        "LOGOUT_REDIRECT_URL": "login",
        "SESSION_COOKIE_NAME": "backbone_console_session",
        "SESSION_COOKIE_AGE": 8 * 3600,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_NAME": "backbone_console_csrf",
        "CSRF_COOKIE_HTTPONLY": True,
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "SECURE_REFERRER_POLICY": "same-origin",
        "X_FRAME_OPTIONS": "DENY",
        **throttle.SETTINGS,
    }


def configure(config: ConsoleSettings, quarantine: QuarantineSource | None = None) -> None:
    """Configure Django and the views' services for this process, and migrate the database."""
    if settings.configured:
        raise RuntimeError("the console is already configured in this process")
    settings.configure(**django_settings(config))
    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    audit = AuditApi(AuditClient(config.audit_url, timeout=AUDIT_TIMEOUT))
    install(
        Services(
            audit=audit,
            quarantine=quarantine or KafkaQuarantineSource(config.quarantine_topic),
            poll_seconds=config.poll_seconds,
            regions=tuple(sorted({agency.split(".")[1] for agency in load().agencies})),
            rules=tuple(sorted(rule.id for rule in load_rules(rules_files()).rules)),
            agencies=AgencyNames(audit.agencies),
        )
    )


def wsgi_application() -> WSGIHandler:
    return WSGIHandler()
