"""Map service errors and HTTP errors to pages or JSON, in exactly one place."""

from __future__ import annotations

import re
from contextlib import suppress

from flask import Flask
from flask import jsonify
from flask import render_template
from flask import request
from flask_babel import get_locale
from flask_babel import gettext
from flask_babel import gettext as _
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import SecurityError

from survey_app.services.errors import Invalid
from survey_app.services.errors import ServiceError

_CYRILLIC = re.compile("[А-Яа-яЁё]")
#: staff pages: their error pages keep the administration menu
STAFF_PREFIX = "/admin"


def N_(message: str) -> str:  # noqa: N802 - the gettext_noop name extractors know
    """Mark a message for translation; it is translated where it is shown."""
    return message


#: the messages services raise, marked here so that the catalogs hold their translations
#: (a message without one is left out of a Russian page rather than shown in English)
SERVICE_MESSAGES = (
    N_("A different response with this id is already stored."),
    N_("Accounts are scoped to this library system; deactivate it instead."),
    N_("Accounts are scoped to this library; deactivate it instead."),
    N_("Empty file."),
    N_("Malformed scope."),
    N_("No library of this system takes part in the campaign."),
    N_("No open survey has this code."),
    N_("No such account."),
    N_("No such campaign."),
    N_("No such library system."),
    N_("No such library."),
    N_("No such response."),
    N_("No such service point."),
    N_("No such instrument version."),
    N_("Nothing was imported: the file has errors."),
    N_("Please sign in."),
    N_("The account cannot be created."),
    N_("The answers do not fit the questionnaire."),
    N_("The body is not JSON."),
    N_("The body must be a JSON object."),
    N_("The campaign cannot be created."),
    N_("The data do not fit the instrument."),
    N_("The data lack the grouping column(s)."),
    N_("The file defines another instrument."),
    N_("The file is neither YAML (UTF-8) nor an .xlsx workbook."),
    N_("The file is too large."),
    N_("The file's columns are wrong."),
    N_("The library cannot be created."),
    N_("The library has responses; deactivate it instead."),
    N_("The library system cannot be created."),
    N_("The library system has libraries; deactivate it instead."),
    N_("The library system was not changed."),
    N_("The library takes part in a campaign; deactivate it instead."),
    N_("The library was not changed."),
    N_("The password was not changed."),
    N_("The reason is too long."),
    N_("The region cannot be created."),
    N_("The role or scope was not changed."),
    N_("The service point cannot be created."),
    N_("The service point has responses; deactivate it instead."),
    N_("The service point was not changed."),
    N_("The submission is not valid."),
    N_("The version number is too low."),
    N_("This library does not take part in the campaign."),
    N_("This library does not take part in this survey."),
    N_("This library has no such service point."),
    N_("This survey is not offered online."),
    N_("There is no library with this code."),
    N_("This survey has ended."),
    N_("Unknown scope."),
    N_("Unreadable file."),
    N_("Unsupported file."),
    N_("You are not allowed to do this."),
)


def _detail(message: str | None) -> str | None:
    """The detail line in the page's language, or None when it has no translation."""
    if not message:
        return None
    translated = gettext(message)
    if str(get_locale() or "ru") != "en" and not _CYRILLIC.search(translated):
        return None  # no English on a Russian page (the heading says what happened)
    return translated


def _texts(code: int, staff: bool) -> tuple[str, str]:
    """Heading and explanation of an error page."""
    if code == 404 and staff:
        return _("Page not found"), _(
            "It does not exist, or it is outside the libraries your account may see."
        )
    if code == 404:
        return _("Page not found"), _("The link may be mistyped, or the survey has ended.")
    if code == 410:
        return _("This survey has ended"), _(
            "Thank you for your interest! The survey no longer takes answers."
        )
    if code == 400:
        return _("The form could not be accepted"), _(
            "It may have expired or been damaged. Please go back, reload the page and try again."
        )
    if code == 403:
        return _("Access denied"), _("Your account may not open this page.")
    if code == 409:
        return _("Already recorded"), _(
            "Different answers with the same form number are already stored."
        )
    if code == 422:
        return _("Some answers could not be accepted"), _("Please open the survey again.")
    if code == 503:
        return _("Temporarily unavailable"), _(
            "The service cannot reach its database right now. Please try again in a minute."
        )
    return _("Something went wrong"), _("Please try again later.")


def _page(code: int, message: str | None) -> str:
    staff = request.path == STAFF_PREFIX or request.path.startswith(STAFF_PREFIX + "/")
    heading, explanation = _texts(code, staff)
    context = {
        "code": code,
        "heading": heading,
        "explanation": explanation,
        # a 410 says it all in its heading
        "message": None if code == 410 else _detail(message),
    }
    if staff:
        try:
            return render_template("admin/error.html", **context)
        except HTTPException:
            pass  # the menu reads the request (e.g. a body over the limit): the plain page
    return render_template("error.html", **context)


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
        return _page(503, None), 503, headers

    for outage in DATABASE_OUTAGES:
        app.register_error_handler(outage, _database_unavailable)

    @app.errorhandler(ServiceError)
    def _service_error(error: ServiceError):
        from survey_app.extensions import db

        db.session.rollback()
        if wants_json():
            body: dict[str, object] = {"error": error.message}
            if error.code is not None:
                body["code"] = error.code
            if isinstance(error, Invalid):
                body["problems"] = [issue.to_dict() for issue in error.issues]
            return jsonify(body), error.status
        return _page(error.status, error.message), error.status

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        if isinstance(error, SecurityError):
            # a Host outside TRUSTED_HOSTS: no URL can be built, so no page can be rendered
            return str(error.description), 400, {"Content-Type": "text/plain; charset=utf-8"}
        # keep the exception's own headers (Allow on 405, Retry-After on 429...)
        headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
        if wants_json():
            return jsonify({"error": error.description}), error.code, headers
        return _page(error.code or 500, error.description), error.code or 500, headers
