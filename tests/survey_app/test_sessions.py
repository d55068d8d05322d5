"""The signed cookie session: opened for pages, never for the JSON API."""

from __future__ import annotations

from flask import session as http_session


def test_api_requests__get_the_null_session(app):
    with app.test_request_context("/api/v1/responses", method="POST"):
        assert app.session_interface.is_null_session(http_session)


def test_pages__get_the_signed_cookie_session(app):
    with app.test_request_context("/s/some-campaign/some-library"):
        assert not app.session_interface.is_null_session(http_session)
        http_session["lang"] = "en"  # writable
        assert http_session.modified
