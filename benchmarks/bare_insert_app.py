"""A WSGI app that stores each request body as one row: the server's ceiling with a database.

Per request it does the least any ingest must: read the body, take the client's id from the
JSON, ``INSERT`` one row and ``COMMIT`` (one psycopg connection per worker, opened on first
use, autocommit off), and answer 201 with a constant receipt. The table ``bare`` is created
by ``benchmarks/ingest.py``; the database is named by ``DATABASE_URL``.
"""

from __future__ import annotations

import json
import os

import psycopg

BODY = b'{"id": "00000000-0000-0000-0000-000000000000", "status": "stored"}'
_connection: psycopg.Connection | None = None


def _connect() -> psycopg.Connection:
    global _connection
    if _connection is None:
        _connection = psycopg.connect(os.environ["DATABASE_URL"].replace("+psycopg", "", 1))
    return _connection


def app(environ, start_response):  # type: ignore[no-untyped-def]
    """Insert the body with its id, commit, answer 201."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length)
    connection = _connect()
    connection.execute("INSERT INTO bare VALUES (%s, %s)", (json.loads(body)["id"], body.decode()))
    connection.commit()
    start_response(
        "201 Created", [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))]
    )
    return [BODY]
