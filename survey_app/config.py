"""Configuration: documented defaults and the load order.

Order (later wins): :data:`DEFAULTS` -> ``instance/config.py`` -> environment variables
(``DATABASE_URL``, ``SECRET_KEY`` and any ``SURVEY_<NAME>``) -> the ``test_config`` mapping.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo
from zoneinfo import ZoneInfoNotFoundError

from flask import Flask

#: The secret used when none is configured; production refuses to start with it.
# bandit B105: refused in production
DEV_SECRET_KEY = "dev-insecure-change-me"  # nosec B105

DEFAULTS: dict[str, Any] = {
    #: "development" or "production"; production refuses the default secret key
    "ENV": "development",
    "SECRET_KEY": DEV_SECRET_KEY,
    #: SQLAlchemy URL; empty means a SQLite file in the instance folder
    "SQLALCHEMY_DATABASE_URI": "",
    #: pool_pre_ping tests a pooled connection before lending it (one cheap round trip), so
    #: after a database restart no worker's first request fails on a dead connection
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "pool_recycle": 1800},
    #: largest accepted request body, bytes (the API answers 413 above it)
    "MAX_CONTENT_LENGTH": 256 * 1024,
    #: JSON responses keep Cyrillic readable
    "JSON_AS_ASCII": False,
    "BABEL_DEFAULT_LOCALE": "ru",
    #: dates and times are shown in the region's time zone (Kemerovo region: UTC+7)
    "BABEL_DEFAULT_TIMEZONE": "Asia/Novokuznetsk",
    #: one gettext catalog per area of the UI (survey_app/translations/<lang>/LC_MESSAGES/)
    "BABEL_DOMAIN": "messages;accounts;admin",
    #: Flask-Babel pairs domains with directories by position: one entry per domain
    "BABEL_TRANSLATION_DIRECTORIES": "translations;translations;translations",
    "LANGUAGES": ("ru", "en"),
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    #: set True behind HTTPS (done automatically in production)
    "SESSION_COOKIE_SECURE": False,
    "WTF_CSRF_TIME_LIMIT": None,
    #: how long an unfinished web questionnaire is kept for "continue where you left off"
    #: (minutes since the visitor's last page); the draft is deleted after that
    "DRAFT_LIFETIME_MINUTES": 120,
    #: public base URL printed on posters and QR codes (e.g. https://survey.example.org)
    "PUBLIC_BASE_URL": "",
    #: fewest responses a channel or service point needs to be named in library staff's exports
    "SMALL_CELL_MIN": 10,
    #: storage for Flask-Limiter counters: "memory://" holds per process only, so production
    #: requires a shared store (a redis:// URL) for the sign-in limits to hold across workers
    "RATELIMIT_STORAGE_URI": "memory://",
    #: anonymous web survey, per client (a keyed hash of its address, kept only in the limiter's
    #: store): page posts, and finished questionnaires ("limits" syntax; "" = no limit). A
    #: library's visitors may share one address (its Wi-Fi): keep these generous
    "WEB_PAGE_RATE_LIMIT": "60 per minute",
    "WEB_SUBMIT_RATE_LIMIT": "20 per 10 minutes; 100 per day",
    #: this many web responses for one library of a campaign within the window are a burst:
    #: all of them are flagged "burst" (kept and counted, shown as flagged; never dropped)
    "WEB_BURST_RESPONSES": 20,
    "WEB_BURST_WINDOW_SECONDS": 600,
    #: reverse proxies in front of the app that set X-Forwarded-For (werkzeug ProxyFix);
    #: 0 trusts no such header, so the client address is the TCP peer's
    "PROXY_COUNT": 0,
    #: HSTS max-age in seconds, sent in production only (behind HTTPS)
    "HSTS_MAX_AGE": 365 * 24 * 3600,
    #: background queue (huey): "" = a SQLite file in the instance folder, "redis://..." in
    #: production, "sqlite:///path" or "memory://" (see survey_app/queue.py)
    "QUEUE_URL": "",
    #: the queue's name (its Redis key prefix); one per deployment sharing a Redis
    "QUEUE_NAME": "survey",
    #: run background tasks at once in the caller (huey's immediate mode)
    "QUEUE_IMMEDIATE": False,
    #: the regional standard report runs hold libraries against (packaged name or YAML path)
    "REPORT_STANDARD": "kemerovo_example",
    #: when the nightly task recomputes the open campaigns (hour, UTC; 19 = 02:00 in Kemerovo)
    "REPORTS_NIGHTLY_UTC_HOUR": 19,
    #: kiosk tablets (docs/kiosk-protocol.md): seconds without a touch before the idle
    #: warning ends a visitor's session, and how long the warning shows (WCAG 2.2.1: >= 20)
    "KIOSK_IDLE_SECONDS": 60,
    "KIOSK_WARNING_SECONDS": 20,
    #: ballot stuffing: responses on one kiosk closer than this (client clock) are flagged
    #: "kiosk_interval"; more than BURST_COUNT within BURST_WINDOW seconds are flagged "burst"
    "KIOSK_MIN_INTERVAL_SECONDS": 5,
    "KIOSK_BURST_COUNT": 10,
    "KIOSK_BURST_WINDOW_SECONDS": 120,
    #: the fleet page warns when a kiosk has not synced for this long during opening hours
    "KIOSK_STALE_MINUTES": 60,
}


class ConfigError(RuntimeError):
    """A setting the application refuses to start with (the message says which and why)."""


def load_config(app: Flask, test_config: Mapping[str, Any] | None) -> None:
    """Fill ``app.config`` in the documented order and check it is safe."""
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    if url := os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = url
    if secret := os.environ.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secret
    app.config.from_prefixed_env("SURVEY")
    if test_config is not None:
        app.config.from_mapping(test_config)
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        os.makedirs(app.instance_path, exist_ok=True)
        path = os.path.join(app.instance_path, "survey.sqlite3")
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{path}"
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(
        app.config["SQLALCHEMY_DATABASE_URI"]
    )
    if app.config["ENV"] == "production":
        if app.config["SECRET_KEY"] in ("", DEV_SECRET_KEY):
            raise ConfigError(
                "Refusing to start in production with the default SECRET_KEY; "
                "set the SECRET_KEY environment variable to a long random string."
            )
        if not app.config["PUBLIC_BASE_URL"] and not app.config.get("TRUSTED_HOSTS"):
            # posters and QR codes would otherwise print whatever Host header a request sent
            raise ConfigError(
                "Refusing to start in production without SURVEY_PUBLIC_BASE_URL (the address "
                "printed on posters and QR codes, e.g. https://survey.example.org) or "
                "SURVEY_TRUSTED_HOSTS."
            )
        app.config["SESSION_COOKIE_SECURE"] = True
        storage = str(app.config["RATELIMIT_STORAGE_URI"])
        if app.config.get("RATELIMIT_ENABLED", True) and storage.startswith("memory://"):
            raise ConfigError(
                "Refusing to start in production with RATELIMIT_STORAGE_URI=memory://: sign-in "
                "limits would hold per worker only; set SURVEY_RATELIMIT_STORAGE_URI to a shared "
                "store, e.g. redis://127.0.0.1:6379."
            )
    if not isinstance(app.config["PROXY_COUNT"], int) or app.config["PROXY_COUNT"] < 0:
        raise ConfigError("PROXY_COUNT must be a whole number of proxies (0 or more).")
    check_public_base_url(app.config["PUBLIC_BASE_URL"])
    check_time_zone(region_time_zone(app.config))


def time_zone(zone: str) -> ZoneInfo:
    """The IANA time zone named ``zone``; a ValueError naming it when the database does not
    know it (the one check of a zone name: start-up and report runs)."""
    try:
        return ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(
            f"unknown time zone {zone!r} (an IANA name such as 'Asia/Novokuznetsk')"
        ) from None


def check_time_zone(zone: str) -> None:
    """Refuse a region time zone the IANA database does not know: pages, kiosks and report
    runs would fail on it later, one by one."""
    try:
        time_zone(zone)
    except ValueError:
        raise ConfigError(
            f"BABEL_DEFAULT_TIMEZONE {zone!r} is not a time zone; set "
            "SURVEY_BABEL_DEFAULT_TIMEZONE to an IANA name such as Asia/Novokuznetsk."
        ) from None


def region_time_zone(config: Mapping[str, Any]) -> str:
    """The region's time zone (an IANA name): times on the pages, the library page's hour ×
    weekday map, the months and weeks of report runs, kiosks' opening hours."""
    return str(config.get("BABEL_DEFAULT_TIMEZONE") or "UTC")


def check_public_base_url(url: str) -> None:
    """Refuse a ``PUBLIC_BASE_URL`` that is not an absolute http(s) address without a query."""
    if not url:
        return
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError(
            f"SURVEY_PUBLIC_BASE_URL must be an http(s) address such as "
            f"https://survey.example.org, not {url!r}."
        )


def normalise_database_url(url: str) -> str:
    """Make ``postgres://`` and ``postgresql://`` URLs use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
