"""The Flask application: :func:`create_app` is the only way to get one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask import request
from flask import session


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create and configure the application (the flaskr factory pattern)."""
    app = Flask(__name__, instance_relative_config=True)

    from survey_app.config import load_config

    load_config(app, test_config)
    if proxies := app.config["PROXY_COUNT"]:
        # the client's address as the configured number of proxies report it. Not the scheme
        # (x_proto=0; ProxyFix trusts one by default): a request seen as HTTPS makes Flask-WTF
        # demand a Referer, which our no-referrer policy never sends
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=0)  # type: ignore[method-assign]

    from survey_app.sessions import CookieSessionInterface

    app.session_interface = CookieSessionInterface()

    from survey_app.extensions import babel
    from survey_app.extensions import csrf
    from survey_app.extensions import db

    db.init_app(app)
    from survey_app.request_guards import init_request_guards

    init_request_guards(app)  # body limits and NUL checks run before the CSRF check
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    # numbers in the UI are formatted per locale: 12 345,6 in Russian, 12,345.6 in English
    from flask_babel import format_decimal

    app.jinja_env.filters["number"] = format_decimal
    # and so are the counts in sentences ("2 640 ответов"), as in the tables
    from survey_app.plurals import ngettext

    app.jinja_env.globals["ngettext"] = ngettext
    # instrument and answer problems in the page's language (the code stays)
    from survey_app.problem_messages import problem_message

    app.jinja_env.globals["problem_message"] = problem_message

    from survey_app.auth import init_auth

    init_auth(app)  # Flask-Login and Flask-Limiter

    from survey_app.db import enable_sqlite_foreign_keys

    with app.app_context():
        enable_sqlite_foreign_keys(db.engine)

    from survey_app.blueprints import register_blueprints
    from survey_app.cli import register_commands
    from survey_app.errors import register_error_handlers
    from survey_app.queue import init_queue
    from survey_app.security_headers import init_security_headers

    init_queue(app)
    register_blueprints(app)
    register_error_handlers(app)
    init_security_headers(app)
    register_commands(app)
    return app


def _select_locale() -> str:
    """Pick the UI language: ?lang=, then the session, then Russian."""
    from flask import current_app

    languages = current_app.config["LANGUAGES"]
    wanted = request.args.get("lang")
    if wanted is not None and wanted in languages:
        if not current_app.session_interface.is_null_session(session):  # the API has none
            session["lang"] = wanted
        return wanted
    stored = session.get("lang")
    if isinstance(stored, str) and stored in languages:
        return stored
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])
