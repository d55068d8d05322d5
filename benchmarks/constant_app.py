"""A WSGI app that answers every request with a constant receipt: the server's ceiling."""

from __future__ import annotations

BODY = b'{"id": "00000000-0000-0000-0000-000000000000", "status": "stored"}'


def app(environ, start_response):  # type: ignore[no-untyped-def]
    """Read the body (as the real app must) and answer 201 with a constant JSON."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    environ["wsgi.input"].read(length)
    start_response(
        "201 Created", [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))]
    )
    return [BODY]
