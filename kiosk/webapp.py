"""The kiosk web app's files, ready for the route that serves them (pure: bytes in, bytes out).

The files live in ``kiosk/static`` (shipped as package data): the HTML shell, the service
worker and the manifest at the top, the scripts, style sheet and icons in ``assets/``.  The
web layer maps ``GET /kiosk`` to :func:`shell`, ``/kiosk/sw.js`` to :func:`service_worker`,
``/kiosk/manifest.webmanifest`` to :func:`manifest` and ``/kiosk/assets/<name>`` to
:func:`asset`.  :data:`APP_VERSION`, a digest of every file, is written into the shell and
the service worker: a changed file gives a new worker, which replaces the cached copies.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
from importlib import resources

__all__ = [
    "APP_VERSION",
    "ASSETS",
    "asset",
    "asset_urls",
    "manifest",
    "service_worker",
    "shell",
    "transfer_size",
]

#: the files under ``static/assets`` and their media types (nothing else is served)
ASSETS: dict[str, str] = {
    "kiosk.js": "text/javascript",
    "dom.js": "text/javascript",
    "form.js": "text/javascript",
    "hours.js": "text/javascript",
    "i18n.js": "text/javascript",
    "pin.js": "text/javascript",
    "store.js": "text/javascript",
    "sync.js": "text/javascript",
    "kiosk.css": "text/css",
    "icon.svg": "image/svg+xml",
    "icon-192.png": "image/png",
    "icon-512.png": "image/png",
}

_VERSION_MARK = b"__KIOSK_VERSION__"
_ASSETS_MARK = b"__KIOSK_ASSETS__"


def _read(*parts: str) -> bytes:
    return resources.files("kiosk").joinpath("static", *parts).read_bytes()


@functools.cache
def _version() -> str:
    digest = hashlib.sha256()
    for name in ("index.html", "sw.js", "manifest.webmanifest"):
        digest.update(name.encode() + b"\0" + _read(name) + b"\0")
    for name in sorted(ASSETS):
        digest.update(name.encode() + b"\0" + _read("assets", name) + b"\0")
    return digest.hexdigest()[:12]


#: a digest of the kiosk's files: the app version each heartbeat reports
APP_VERSION: str = _version()


def asset_urls() -> list[str]:
    """The URLs of the assets the service worker keeps for offline use."""
    return ["/kiosk/manifest.webmanifest", *(f"/kiosk/assets/{name}" for name in ASSETS)]


@functools.cache
def shell() -> bytes:
    """The HTML shell of ``GET /kiosk`` (text/html), with the app version filled in."""
    return _read("index.html").replace(_VERSION_MARK, APP_VERSION.encode())


@functools.cache
def service_worker() -> bytes:
    """``GET /kiosk/sw.js`` (text/javascript).

    Registered with scope ``/kiosk``, which lies outside the default scope of its folder: the
    response must carry ``Service-Worker-Allowed: /kiosk``.
    """
    source = _read("sw.js").replace(_VERSION_MARK, APP_VERSION.encode())
    return source.replace(_ASSETS_MARK, json.dumps(asset_urls()).encode())


@functools.cache
def manifest() -> bytes:
    """``GET /kiosk/manifest.webmanifest`` (application/manifest+json)."""
    return _read("manifest.webmanifest")


def asset(name: str) -> tuple[bytes, str] | None:
    """The bytes and media type of ``/kiosk/assets/<name>``; ``None`` for any other name."""
    if name not in ASSETS:
        return None
    return _read("assets", name), ASSETS[name]


def transfer_size() -> dict[str, int]:
    """Bytes of each file as sent gzip-compressed (level 9), and their ``"total"``.

    What a first visit downloads: the shell, the worker, the manifest and every asset (the
    PNG icons are already compressed and counted as they are).
    """
    files = {
        "/kiosk": shell(),
        "/kiosk/sw.js": service_worker(),
        "/kiosk/manifest.webmanifest": manifest(),
    }
    for name in ASSETS:
        body = asset(name)
        assert body is not None
        files[f"/kiosk/assets/{name}"] = body[0]
    sizes = {
        url: len(body) if url.endswith(".png") else len(gzip.compress(body, 9, mtime=0))
        for url, body in files.items()
    }
    sizes["total"] = sum(sizes.values())
    return sizes
