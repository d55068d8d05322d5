"""The cookie session, not opened for the JSON API.

Visitors' phones and kiosks post responses to ``/api/``; nothing there reads or writes the
signed cookie session, and opening it (a signing serializer and a cookie parse per request)
is a measurable share of a submission's CPU. API requests get Flask's null session instead:
reading it gives nothing, writing it raises.
"""

from __future__ import annotations

from flask import Flask
from flask import Request
from flask.sessions import SecureCookieSession
from flask.sessions import SecureCookieSessionInterface

#: requests under this path never use the cookie session
API_PREFIX = "/api/"


class CookieSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session everywhere but under :data:`API_PREFIX`."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path.startswith(API_PREFIX):
            return None  # Flask then uses make_null_session() and never saves it
        return super().open_session(app, request)
