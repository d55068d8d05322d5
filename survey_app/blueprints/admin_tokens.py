"""API integration tokens (administrators): issue, see once, list, revoke.

The token itself is shown on the page that answers the issuing POST, once; it is never put in
a flash message (the session cookie) nor in a redirect, and that page is not cached.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask import abort
from flask import flash
from flask import make_response
from flask import redirect
from flask import render_template
from flask import url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms import SelectField
from wtforms import StringField
from wtforms.validators import DataRequired
from wtforms.validators import Length

from survey_app.auth import current_staff
from survey_app.auth import permission_required
from survey_app.blueprints.admin import _scope_choices
from survey_app.blueprints.admin import add_nav_item
from survey_app.blueprints.auth import ConfirmForm
from survey_app.blueprints.auth import apply_issues
from survey_app.extensions import db
from survey_app.models import Channel
from survey_app.services import campaigns
from survey_app.services import tokens
from survey_app.services.errors import Conflict
from survey_app.services.errors import Invalid
from survey_app.services.scope import Action

bp = Blueprint("admin_tokens", __name__, url_prefix="/admin/tokens")

#: what each channel means for an integration
TOKEN_CHANNEL_LABELS = {
    Channel.paper: _l("Paper forms typed in elsewhere"),
    Channel.web: _l("Answers imported from another online survey"),
}


@bp.record_once
def _nav(state: Any) -> None:
    add_nav_item(state.app, "admin_tokens.index", _l("API tokens"), Action.manage_integrations, 85)


class TokenForm(FlaskForm):
    """A new integration token (syntax only; the service checks the rest)."""

    name = StringField(
        _l("What it is for"), validators=[DataRequired(), Length(max=tokens.MAX_NAME_LENGTH)]
    )
    channel = RadioField(_l("Channel"), validators=[DataRequired()], default=Channel.paper.value)
    campaign = SelectField(_l("Campaign"), default="")
    scope = SelectField(_l("Libraries"), default="region")


def _form() -> TokenForm:
    form = TokenForm()
    form.channel.choices = [(c.value, TOKEN_CHANNEL_LABELS[c]) for c in tokens.INTEGRATION_CHANNELS]
    form.campaign.choices = [("", _("Any open campaign"))] + [
        # the code first: a phone cuts a long title, and two years of one survey share it
        (c.code, f"{c.code} — {c.title}")
        for c in campaigns.list_campaigns(db.session)
    ]
    form.scope.choices = _scope_choices()
    return form


def _page(form: TokenForm, *, issued: str | None = None, general: Any = (), status: int = 200):
    uses = tokens.list_tokens(db.session, actor=current_staff())
    body = render_template(
        "admin/tokens.html",
        form=form,
        uses=uses,
        issued=issued,
        general=list(general),
        channel_name=lambda c: TOKEN_CHANNEL_LABELS.get(c, c),
        token_scope=tokens.describe_token_scope,
    )
    response = make_response(body, status)
    response.cache_control.no_store = True  # the page that shows a new token must not be kept
    return response


@bp.get("/")
@permission_required(Action.manage_integrations)
def index() -> ResponseReturnValue:
    """The tokens and the form to issue one."""
    return _page(_form())


@bp.post("/")
@permission_required(Action.manage_integrations)
def issue() -> ResponseReturnValue:
    """Issue a token and show it, this once."""
    form = _form()
    if not form.validate_on_submit():
        return _page(form, status=422)
    try:
        secret, _row = tokens.issue_token(
            db.session,
            name=form.name.data or "",
            channel=form.channel.data or "",
            campaign=form.campaign.data or None,
            scope=form.scope.data,
            actor=current_staff(),
        )
    except Invalid as error:
        db.session.rollback()
        return _page(form, general=apply_issues(form, error), status=422)
    db.session.commit()
    return _page(_form_blank(), issued=secret, status=201)


def _form_blank() -> TokenForm:
    form = _form()
    form.process(formdata=None)  # a fresh form under the new token, not the one just sent
    form.channel.data = Channel.paper.value
    return form


@bp.post("/<int:token_id>/revoke")
@permission_required(Action.manage_integrations)
def revoke(token_id: int) -> ResponseReturnValue:
    """Revoke a token: the API refuses it from the next request on."""
    actor = current_staff()
    token = tokens.get_token(db.session, token_id, actor=actor)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        tokens.revoke_token(db.session, token, actor=actor)
    except Conflict as error:
        db.session.rollback()
        flash(_(error.message), "error")
        return redirect(url_for(".index"))
    db.session.commit()
    flash(
        _("The token %(hint)s… (%(name)s) is revoked.", hint=token.hint, name=token.name), "success"
    )
    return redirect(url_for(".index"))
