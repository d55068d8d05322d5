"""Security headers on every response (issue 12 §6): a Content-Security-Policy without
'unsafe-inline' that forbids framing, nosniff, a Referrer-Policy; HSTS in production only.
Templates carry no inline script or style the policy would block."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from survey_app import create_app
from survey_app.extensions import db

TEMPLATES = Path(__file__).resolve().parents[2] / "survey_app" / "templates"


def directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


@pytest.mark.parametrize(
    "url",
    [
        "/login",
        "/healthz",
        "/api/v1/openapi.json",
        "/no-such-page",
        "/s/%00/x",
        "/static/survey.css",
    ],
)
def test_every_response__carries_the_security_headers(client, url):
    reply = client.get(url)

    policy = directives(reply.headers["Content-Security-Policy"])
    assert "'unsafe-inline'" not in reply.headers["Content-Security-Policy"]
    assert "'unsafe-eval'" not in reply.headers["Content-Security-Policy"]
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert reply.headers["X-Frame-Options"] == "DENY"
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    assert reply.headers["Referrer-Policy"] == "no-referrer"
    assert "Strict-Transport-Security" not in reply.headers  # development: plain HTTP


def test_json_errors_and_api_answers__carry_them_too(api_client, session):
    invalid = api_client.post("/api/v1/responses", data="{", content_type="application/json")
    del api_client.environ_base["HTTP_AUTHORIZATION"]
    anonymous = api_client.post("/api/v1/responses", data="{", content_type="application/json")

    assert (invalid.status_code, anonymous.status_code) == (422, 401)
    for reply in (invalid, anonymous):
        assert "frame-ancestors 'none'" in reply.headers["Content-Security-Policy"]


def test_production__adds_hsts(database_url):
    production = create_app(
        {
            "ENV": "production",
            "SECRET_KEY": "a-long-random-production-secret",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "RATELIMIT_ENABLED": False,
            "PUBLIC_BASE_URL": "https://survey.example.org",
        }
    )
    try:
        reply = production.test_client().get("/login", base_url="https://survey.example.org")
        hsts = reply.headers["Strict-Transport-Security"]
    finally:
        with production.app_context():
            db.engine.dispose()

    assert re.fullmatch(r"max-age=(\d+); includeSubDomains", hsts)
    assert int(hsts.split("=")[1].split(";")[0]) >= 180 * 24 * 3600


INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=", re.IGNORECASE)


def test_templates__hold_no_inline_script_or_style():
    found = [
        f"{path.relative_to(TEMPLATES)}:{number}: {line.strip()[:80]}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if INLINE.search(line)
    ]

    assert found == []
