"""Map service errors and HTTP errors to pages or JSON, in exactly one place."""

from __future__ import annotations

from flask import Flask
from flask import jsonify
from flask import render_template
from flask import request
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import SecurityError

from survey_app.services.errors import Invalid
from survey_app.services.errors import ServiceError


def wants_json() -> bool:
    """API paths and clients that ask for JSON get JSON errors."""
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def register_error_handlers(app: Flask) -> None:
    """Install the handlers on ``app``."""

    @app.errorhandler(ServiceError)
    def _service_error(error: ServiceError):
        from survey_app.extensions import db

        db.session.rollback()
        if wants_json():
            body: dict[str, object] = {"error": error.message}
            if isinstance(error, Invalid):
                body["problems"] = [issue.to_dict() for issue in error.issues]
            return jsonify(body), error.status
        return render_template("error.html", code=error.status, message=error.message), error.status

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        if isinstance(error, SecurityError):
            # a Host outside TRUSTED_HOSTS: no URL can be built, so no page can be rendered
            return str(error.description), 400, {"Content-Type": "text/plain; charset=utf-8"}
        if wants_json():
            return jsonify({"error": error.description}), error.code
        return (
            render_template("error.html", code=error.code, message=error.description),
            error.code or 500,
        )
