"""The JSON API: submissions, the OpenAPI document, health."""

from __future__ import annotations

import functools

from flask import Blueprint
from flask import current_app
from flask import jsonify
from flask import request
from flask.typing import ResponseReturnValue

from survey_app.api_schema import openapi_document
from survey_app.db import current_revision
from survey_app.db import head_revision
from survey_app.extensions import csrf
from survey_app.extensions import db
from survey_app.extensions import limiter
from survey_app.services.errors import Invalid
from survey_app.services.errors import Issue
from survey_app.services.health import ping_database
from survey_app.services.json_body import parse_json
from survey_app.services.responses import parse_submission
from survey_app.services.responses import record

bp = Blueprint("api", __name__)


@limiter.request_filter
def _not_rate_limited() -> bool:
    """The API has no rate limits: a library's visitors and kiosks share one address.

    Declared so Flask-Limiter resolves no limits for these requests (a hot path).
    """
    return request.blueprint == "api"


@bp.post("/api/v1/responses")
@csrf.exempt
def post_response() -> ResponseReturnValue:
    """Store one response; retries with the same id and content get the same receipt."""
    if not request.is_json:
        raise Invalid("The body is not JSON.", [Issue("API000", "", "send application/json")])
    submission = parse_submission(parse_json(request.get_data(cache=False)))
    receipt = record(db.session, submission)  # stored and committed
    return jsonify(receipt.to_dict()), 201 if receipt.created else 200


@bp.get("/api/v1/openapi.json")
def openapi() -> ResponseReturnValue:
    """Describe the API."""
    return jsonify(openapi_document(current_app.config["MAX_CONTENT_LENGTH"]))


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """Report that the app runs, reaches its database and that it is migrated (else 503).

    An unreachable database is answered 503 by the outage handler (survey_app/errors.py).
    """
    dialect = ping_database(db.session)
    current = current_revision(db.session.connection())
    head = _head()
    if current != head:
        body = {
            "status": "not migrated",
            "database": dialect,
            "revision": current,
            "expected": head,
            "error": "run 'survey-app db upgrade'",
        }
        return jsonify(body), 503
    return jsonify({"status": "ok", "database": dialect, "revision": current})


@functools.cache
def _head() -> str | None:
    return head_revision()
