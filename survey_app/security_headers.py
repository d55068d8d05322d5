"""Security headers on every response (issue 12 §6).

A small ``after_request`` rather than a library: Flask-Talisman, the usual choice, has had no
release since 2023 and also redirects to HTTPS, which the proxy does here. The policy allows
scripts, styles, images and fonts from the app itself only: no inline ``<script>``,
``<style>``, ``style=`` or ``on...=`` (they live in ``static/``), no framing by any site.
"""

from __future__ import annotations

from flask import Flask
from flask import Response
from flask import current_app

#: the Content-Security-Policy of every response (no 'unsafe-inline' anywhere)
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        # the kiosk app (/kiosk): its service worker and manifest, from the app itself only
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate CSP 2
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # survey links carry campaign and library codes
    "Cross-Origin-Opener-Policy": "same-origin",
}


def init_security_headers(app: Flask) -> None:
    """Add the headers to every response of ``app`` (HSTS in production only)."""
    app.after_request(_add_headers)


def _add_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if current_app.config["ENV"] == "production":
        max_age = int(current_app.config["HSTS_MAX_AGE"])
        response.headers.setdefault(
            "Strict-Transport-Security", f"max-age={max_age}; includeSubDomains"
        )
    return response
