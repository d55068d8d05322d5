"""The kiosk tablet's side: its app shell and files, and its JSON API (docs/kiosk-protocol.md).

The files of the web app live in the ``kiosk`` package (``kiosk/static``); this module only
maps URLs to them with their media types. The API authenticates the device by its bearer
token; campaign, library and channel come from the device's record, never from the body.
"""

from __future__ import annotations

import importlib
from importlib import resources
from types import ModuleType
from typing import Any

from flask import Blueprint
from flask import Response
from flask import abort
from flask import current_app
from flask import jsonify
from flask import request
from flask.typing import ResponseReturnValue

from survey_app.config import region_time_zone
from survey_app.extensions import csrf
from survey_app.extensions import db
from survey_app.extensions import limiter
from survey_app.services import kiosks
from survey_app.services.errors import Invalid
from survey_app.services.errors import Issue
from survey_app.services.json_body import parse_json

bp = Blueprint("kiosk", __name__)

#: media types of the kiosk app's files, by extension
MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".json": "application/json",
    ".woff2": "font/woff2",
}
#: the pairing endpoint is the only one without a credential: limited per address
PAIR_LIMIT = "10 per minute"


@limiter.request_filter
def _not_rate_limited() -> bool:
    """A library's tablets share one address: only pairing (no credential yet) is limited."""
    return request.blueprint == "kiosk" and request.endpoint != "kiosk.pair"


def settings() -> kiosks.KioskSettings:
    """The kiosk settings from the app config (``KIOSK_*``)."""
    config = current_app.config
    return kiosks.KioskSettings(
        idle_seconds=int(config["KIOSK_IDLE_SECONDS"]),
        warning_seconds=int(config["KIOSK_WARNING_SECONDS"]),
        min_interval_seconds=int(config["KIOSK_MIN_INTERVAL_SECONDS"]),
        burst_count=int(config["KIOSK_BURST_COUNT"]),
        burst_window_seconds=int(config["KIOSK_BURST_WINDOW_SECONDS"]),
        stale_minutes=int(config["KIOSK_STALE_MINUTES"]),
        timezone=region_time_zone(config),
    )


# --- the app shell and its files ------------------------------------------------------------


def _webapp() -> ModuleType | None:
    """``kiosk.webapp`` (the client's file map, with its version marks filled in), if present."""
    try:
        return importlib.import_module("kiosk.webapp")
    except ImportError:
        return None


def _static(*parts: str) -> bytes | None:
    try:
        return resources.files("kiosk").joinpath("static", *parts).read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


def _file(body: bytes | None, mimetype: str, *, revalidate: bool = False) -> Response:
    if body is None:
        abort(404)
    response = Response(body, mimetype=mimetype)
    if revalidate:  # the shell, the worker, the manifest: a new version must reach the tablet
        response.cache_control.no_cache = True
    else:
        response.cache_control.public = True
        response.cache_control.max_age = 3600
    return response


@bp.get("/kiosk")
@bp.get("/kiosk/")
def shell() -> Response:
    """The kiosk app (HTML shell); it pairs with ``?pair=<code>`` and runs offline after."""
    webapp = _webapp()
    body = webapp.shell() if webapp else _static("index.html")
    return _file(body, "text/html", revalidate=True)


@bp.get("/kiosk/sw.js")
def service_worker() -> Response:
    """The service worker, allowed to control ``/kiosk`` (its folder's scope is ``/kiosk/``)."""
    webapp = _webapp()
    body = webapp.service_worker() if webapp else _static("sw.js")
    response = _file(body, "text/javascript", revalidate=True)
    response.headers["Service-Worker-Allowed"] = "/kiosk"
    return response


@bp.get("/kiosk/manifest.webmanifest")
def manifest() -> Response:
    """The web app manifest (full screen, icons)."""
    webapp = _webapp()
    body = webapp.manifest() if webapp else _static("manifest.webmanifest")
    return _file(body, "application/manifest+json", revalidate=True)


@bp.get("/kiosk/assets/<name>")
def asset(name: str) -> Response:
    """A script, style sheet or icon of the kiosk app (only files the app lists)."""
    webapp = _webapp()
    if webapp is not None:
        found = webapp.asset(name)
        if found is None:
            abort(404)
        return _file(found[0], found[1])
    suffix = name[name.rfind(".") :] if "." in name else ""
    if "/" in name or "\\" in name or name.startswith(".") or suffix not in MEDIA_TYPES:
        abort(404)
    return _file(_static("assets", name), MEDIA_TYPES[suffix])


# --- the API --------------------------------------------------------------------------------


def _body() -> Any:
    if not request.is_json:
        raise Invalid("The body is not JSON.", [Issue("API000", "", "send application/json")])
    return parse_json(request.get_data(cache=False))


@bp.post("/api/v1/kiosk/pair")
@csrf.exempt
@limiter.limit(PAIR_LIMIT, methods=["POST"])
def pair() -> ResponseReturnValue:
    """Redeem a one-time pairing code for a device token."""
    body = _body()
    code = body.get("code") if isinstance(body, dict) else None
    device, token = kiosks.pair(db.session, code if isinstance(code, str) else "")
    payload = {"token": token, "device": kiosks.device_json(device)}
    db.session.commit()
    response = jsonify(payload)
    response.cache_control.no_store = True
    return response


@bp.get("/api/v1/kiosk/config")
def config() -> ResponseReturnValue:
    """What the tablet needs to run offline: campaign, instrument, timings, hours, PIN."""
    device = kiosks.require_device(db.session, request.headers.get("Authorization"))
    body = kiosks.kiosk_config(db.session, device, settings())
    kiosks.record_heartbeat(db.session, device, None)
    db.session.commit()
    response = jsonify(body)
    response.set_etag(body["config_version"])
    response.cache_control.no_cache = True
    return response.make_conditional(request)


@bp.post("/api/v1/kiosk/batches")
@csrf.exempt
def batches() -> ResponseReturnValue:
    """Record a batch of responses; a receipt per item (created/duplicate/conflict/rejected)."""
    device = kiosks.require_device(db.session, request.headers.get("Authorization"))
    result = kiosks.receive_batch(db.session, device, _body(), settings())
    return jsonify(result)


@bp.post("/api/v1/kiosk/heartbeat")
@csrf.exempt
def heartbeat() -> ResponseReturnValue:
    """The tablet's state for the fleet page (app and instrument version, its queue)."""
    device = kiosks.require_device(db.session, request.headers.get("Authorization"))
    kiosks.record_heartbeat(db.session, device, _body())
    db.session.commit()
    return "", 204
