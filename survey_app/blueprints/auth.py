"""Staff sign-in, sign-out and password change.

Failed sign-in attempts are rate-limited per client address and per account *from that
address*; successful ones never count. So nobody's failures lock another client out of an
account: the right password from elsewhere is never refused. The counters live in the shared
limiter store (Redis in production), so they hold across workers and machines; the client
address is the one the configured number of proxies report (``PROXY_COUNT``, werkzeug's
ProxyFix). Both limiter keys are keyed hashes (HMAC with the secret key), so neither the
address nor the e-mail is kept in the limiter's storage, and nothing about the address is
stored anywhere else.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import EmailField
from wtforms import PasswordField
from wtforms.validators import DataRequired
from wtforms.validators import EqualTo
from wtforms.validators import Length

from survey_app.auth import current_staff
from survey_app.auth import login_required
from survey_app.auth import refresh_fingerprint
from survey_app.auth import safe_next_url
from survey_app.auth import sign_in
from survey_app.auth import sign_out
from survey_app.extensions import db
from survey_app.extensions import limiter
from survey_app.services.accounts import MAX_PASSWORD_LENGTH
from survey_app.services.accounts import MIN_PASSWORD_LENGTH
from survey_app.services.accounts import authenticate
from survey_app.services.accounts import change_password
from survey_app.services.errors import Invalid

bp = Blueprint("auth", __name__)

#: failed attempts allowed; override with LOGIN_RATE_LIMIT_PER_ACCOUNT (one account from one
#: address) / LOGIN_RATE_LIMIT_PER_ADDRESS (all accounts from one address)
DEFAULT_LIMIT_PER_ACCOUNT = "5/minute"
DEFAULT_LIMIT_PER_ADDRESS = "20/minute"


class LoginForm(FlaskForm):
    """E-mail and password."""

    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(
        _l("Password"), validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)]
    )


class PasswordChangeForm(FlaskForm):
    """The current password and the new one, twice."""

    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH)],
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The passwords differ."))],
    )


class ConfirmForm(FlaskForm):
    """An empty form: a button whose POST carries the CSRF token (sign-out, deactivate...)."""


def apply_issues(form: FlaskForm, error: Invalid) -> list[str]:
    """Attach a service's issues to the form fields they name; return the rest as text."""
    general: list[str] = []
    for issue in error.issues:
        field = getattr(form, issue.path, None) if issue.path else None
        if field is not None and hasattr(field, "errors"):
            field.errors = [*list(field.errors or []), _(issue.message)]
        else:
            general.append(_(issue.message))
    return general


def _digest(kind: str, value: str) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    return kind + hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:40]


def _address_key() -> str:
    return _digest("login-addr:", get_remote_address() or "")


def _account_key() -> str:
    """One account from one address: failures elsewhere never lock this client out."""
    email = (request.form.get("email") or "").strip().lower()
    return _digest("login-acct:", f"{email}|{get_remote_address() or ''}")


def _account_limit() -> str:
    return str(current_app.config.get("LOGIN_RATE_LIMIT_PER_ACCOUNT", DEFAULT_LIMIT_PER_ACCOUNT))


def _address_limit() -> str:
    return str(current_app.config.get("LOGIN_RATE_LIMIT_PER_ADDRESS", DEFAULT_LIMIT_PER_ADDRESS))


def _failed(response: Any) -> bool:
    """Only unsuccessful attempts use up the allowance (a success redirects)."""
    return bool(response.status_code != 302)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_address_limit, key_func=_address_key, methods=["POST"], deduct_when=_failed)
@limiter.limit(_account_limit, key_func=_account_key, methods=["POST"], deduct_when=_failed)
def login() -> ResponseReturnValue:
    """Sign a staff member in."""
    target = safe_next_url(request.args.get("next")) or url_for("admin.index")
    if current_user.is_authenticated:
        return redirect(target)
    form = LoginForm()
    failed = False
    if form.validate_on_submit():
        user = authenticate(db.session, form.email.data or "", form.password.data or "")
        if user is not None:
            sign_in(user)
            db.session.commit()
            return redirect(target)
        failed = True
    status = 200 if request.method == "GET" else 401 if failed else 422
    return render_template("auth/login.html", form=form, failed=failed), status


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """Sign out (a POST with the CSRF token, so other sites cannot sign you out)."""
    if ConfirmForm().validate_on_submit():
        sign_out()
        db.session.commit()
        flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password() -> ResponseReturnValue:
    """Change one's own password; other sessions of the account end."""
    form = PasswordChangeForm()
    general: list[str] = []
    if form.validate_on_submit():
        user = current_staff()
        try:
            change_password(
                db.session,
                user,
                current_password=form.current_password.data or "",
                new_password=form.new_password.data or "",
            )
        except Invalid as error:
            db.session.rollback()
            general = apply_issues(form, error)
        else:
            db.session.commit()
            refresh_fingerprint(user)
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("admin.index"))
    status = 422 if request.method == "POST" else 200
    return (
        render_template(
            "auth/password.html", form=form, general=general, min_length=MIN_PASSWORD_LENGTH
        ),
        status,
    )
