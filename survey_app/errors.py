"""Map service errors and HTTP errors to pages or JSON, in exactly one place."""

from __future__ import annotations

from contextlib import suppress

from flask import Flask
from flask import jsonify
from flask import render_template
from flask import request
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import SecurityError

from survey_app.services.errors import Invalid
from survey_app.services.errors import ServiceError


def wants_json() -> bool:
    """API paths, /healthz and clients that ask for JSON get JSON errors."""
    return (
        request.path.startswith("/api/")
        or request.blueprint == "api"
        or request.accept_mimetypes.best == "application/json"
    )


#: seconds a client is asked to wait (``Retry-After``) while the database cannot be reached
RETRY_AFTER_SECONDS = 30

#: errors meaning the database is unreachable or overloaded for now (not a bug): answered 503
DATABASE_OUTAGES: tuple[type[Exception], ...] = (
    sa_exc.OperationalError,  # connection refused or lost, server shutting down, SQLite locked
    sa_exc.InterfaceError,  # the driver's connection is already closed
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,  # no pooled connection free in time
)


def register_error_handlers(app: Flask) -> None:
    """Install the handlers on ``app``."""

    def _database_unavailable(error: Exception):
        from survey_app.extensions import db

        # the connection may be gone; the session is discarded at teardown anyway
        with suppress(sa_exc.SQLAlchemyError):
            db.session.rollback()
        app.logger.warning("database unavailable: %s", type(error).__name__)
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        if wants_json():
            body = {
                "error": "The database cannot be reached right now; retry later with the same id.",
                "status": "unavailable",
            }
            return jsonify(body), 503, headers
        return render_template("error.html", code=503, message=None), 503, headers

    for outage in DATABASE_OUTAGES:
        app.register_error_handler(outage, _database_unavailable)

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
        # keep the exception's own headers (Allow on 405, Retry-After on 429...)
        headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
        if wants_json():
            return jsonify({"error": error.description}), error.code, headers
        return (
            render_template("error.html", code=error.code, message=error.description),
            error.code or 500,
            headers,
        )
