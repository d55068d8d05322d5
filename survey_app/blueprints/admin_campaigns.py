"""Campaign pages: create, open and close campaigns, live counts, QR codes and posters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Blueprint
from flask import Response
from flask import abort
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField
from wtforms import HiddenField
from wtforms import IntegerField
from wtforms import RadioField
from wtforms import SelectField
from wtforms import SelectMultipleField
from wtforms import StringField
from wtforms.validators import DataRequired
from wtforms.validators import InputRequired
from wtforms.validators import Length
from wtforms.validators import NumberRange
from wtforms.validators import Optional

from survey_app.auth import current_staff
from survey_app.auth import permission_required
from survey_app.blueprints.admin import add_nav_item
from survey_app.blueprints.admin import type_label
from survey_app.blueprints.auth import ConfirmForm
from survey_app.blueprints.auth import apply_issues
from survey_app.blueprints.paging import LibraryListing
from survey_app.blueprints.paging import by_system
from survey_app.blueprints.paging import library_listing
from survey_app.extensions import db
from survey_app.models import Channel
from survey_app.models import LibraryType
from survey_app.services import campaigns
from survey_app.services import posters
from survey_app.services.campaigns import CampaignSpec
from survey_app.services.errors import Invalid
from survey_app.services.scope import Action

bp = Blueprint("admin_campaigns", __name__, url_prefix="/admin/campaigns")

CHANNEL_LABELS = {
    Channel.web: _l("Web link"),
    Channel.qr: _l("QR code"),
    Channel.kiosk: _l("Kiosk tablet"),
    Channel.paper: _l("Paper (typed in)"),
}
STATUS_LABELS = {"draft": _l("draft"), "open": _l("open"), "closed": _l("closed")}
POLICY_LABELS = {
    "discard": _l("Discard the answers of a visitor who walks away"),
    "keep": _l("Keep the pages a visitor completed"),
}


@bp.record_once
def _nav(state: Any) -> None:
    add_nav_item(state.app, "admin_campaigns.index", _l("Campaigns"), Action.view_campaigns, 25)


@bp.app_context_processor
def _labels() -> dict[str, Any]:
    return {
        "channel_label": lambda c: CHANNEL_LABELS.get(c, c),
        "status_label": lambda s: STATUS_LABELS.get(str(s), s),
        "policy_label": lambda p: POLICY_LABELS.get(p, p),
    }


class CampaignForm(FlaskForm):
    """A new campaign (syntax only; the service checks the rest)."""

    code = StringField(
        _l("Code"),
        description=_l("Appears in the survey link: lower-case Latin letters, digits, hyphens."),
        validators=[DataRequired(), Length(max=64)],
    )
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    instrument_version = SelectField(
        _l("Instrument version"), coerce=int, validators=[InputRequired()]
    )
    choice = RadioField(
        _l("Libraries"),
        choices=[
            ("all", _l("All active libraries")),
            ("systems", _l("The libraries of chosen library systems")),
            ("types", _l("The libraries of chosen types")),
            ("libraries", _l("Libraries chosen one by one")),
        ],
        default="all",
    )
    system_ids = SelectMultipleField(_l("Library systems"), coerce=int)
    library_types = SelectMultipleField(_l("Library types"))
    library_ids = SelectMultipleField(_l("Libraries"), coerce=int)
    starts_on = DateField(_l("First day"), validators=[Optional()])
    ends_on = DateField(_l("Last day"), validators=[Optional()])
    channels = SelectMultipleField(
        _l("Channels"),
        choices=[(c.value, label) for c, label in CHANNEL_LABELS.items()],
        default=["web", "qr"],
    )
    lite_share = IntegerField(
        _l("Share of respondents given the Lite form, %"),
        description=_l(
            "Only for instruments with a Lite form (gap batteries). 0: everyone gets the full form."
        ),
        default=0,
        validators=[InputRequired(), NumberRange(min=0, max=100)],
    )
    partial_policy = RadioField(
        _l("Kiosk: a visitor who stops midway"),
        choices=list(POLICY_LABELS.items()),
        default="discard",
    )
    #: "1" once the chosen libraries were shown back and the creator confirmed them
    confirmed = HiddenField()


def _fill_choices(form: CampaignForm) -> campaigns.FormOptions:
    options = campaigns.form_options(db.session, actor=current_staff())
    form.instrument_version.choices = [
        (v.id, _version_label(options, v.id)) for v in options.versions
    ]
    if request.method == "GET" and form.instrument_version.data is None and options.versions:
        # radio buttons, not a select, whose long titles were cut on a phone; the first
        # version is ticked, as the select showed it
        form.instrument_version.data = options.versions[0].id
    form.system_ids.choices = [(s.id, s.name) for s in options.systems]
    form.library_types.choices = [(t.value, str(type_label(t))) for t in LibraryType]
    form.library_ids.choices = [(lib.id, lib.name) for lib in options.libraries]
    return options


def _version_label(options: campaigns.FormOptions, version_id: int | None) -> str:
    return next(
        (
            f"{v.title} ({v.instrument_id}, {_('version %(n)s', n=v.version)})"
            for v in options.versions
            if v.id == version_id
        ),
        "",
    )


def _spec(form: CampaignForm) -> CampaignSpec:
    return CampaignSpec(
        code=form.code.data or "",
        title=form.title.data or "",
        instrument_version_id=form.instrument_version.data,
        choice=form.choice.data or "all",
        system_ids=form.system_ids.data or (),
        library_types=form.library_types.data or (),
        library_ids=form.library_ids.data or (),
        starts_on=form.starts_on.data,
        ends_on=form.ends_on.data,
        channels=form.channels.data or (),
        lite_share=(form.lite_share.data or 0) / 100,
        partial_policy=form.partial_policy.data or "",
    )


def _base_url() -> str:
    return str(current_app.config.get("PUBLIC_BASE_URL") or request.host_url)


@bp.get("/")
@permission_required(Action.view_campaigns)
def index() -> ResponseReturnValue:
    """List the campaigns that include a library in the caller's scope."""
    user = current_staff()
    rows = campaigns.list_campaigns(db.session, actor=user)
    totals = campaigns.total_counts(db.session, rows, actor=user)
    return render_template(
        "admin/campaigns/index.html", campaigns=rows, totals=totals, today=date.today()
    )


@bp.route("/new", methods=["GET", "POST"])
@permission_required(Action.manage_campaigns)
def new() -> ResponseReturnValue:
    """Create a draft campaign."""
    form = CampaignForm()
    options = _fill_choices(form)
    general: list[str] = []
    editing = "edit" in request.form
    if form.validate_on_submit() and not editing:
        confirmed = form.confirmed.data == "1"
        try:
            if confirmed:
                campaign = campaigns.create_campaign(db.session, _spec(form), actor=current_staff())
            else:
                chosen = campaigns.chosen_libraries(db.session, _spec(form), actor=current_staff())
        except Invalid as error:
            db.session.rollback()
            general = apply_issues(form, error)
        else:
            if not confirmed:
                # shown back before anything is stored: what the campaign will include
                return render_template(
                    "admin/campaigns/confirm_new.html",
                    form=form,
                    groups=by_system(chosen),
                    chosen=chosen,
                    version=_version_label(options, form.instrument_version.data),
                )
            db.session.commit()
            flash(_("Campaign %(code)s is created as a draft.", code=campaign.code), "success")
            return redirect(url_for(".show", code=campaign.code))
    status = 422 if form.errors or general else 200
    return render_template(
        "admin/campaigns/new.html",
        form=form,
        general=general,
        groups=by_system(options.libraries),
    ), status


@dataclass(frozen=True)
class SystemRow:
    """One library system's line in a campaign's counts: its libraries and responses."""

    system: Any
    libraries: int
    by_channel: dict[str, int]
    total: int


def _system_rows(
    counts: campaigns.CampaignCounts, listing: LibraryListing[campaigns.LibraryCounts]
) -> list[SystemRow]:
    return [
        SystemRow(
            group.system,
            len(group.rows),
            {c: sum(r.by_channel.get(c, 0) for r in group.rows) for c in counts.channels},
            sum(r.total for r in group.rows),
        )
        for group in listing.groups
    ]


@bp.get("/<code>")
@permission_required(Action.view_campaigns)
def show(code: str) -> ResponseReturnValue:
    """Show a campaign: settings, live counts per library system and channel, posters.

    With many library systems the counts are one line per system; ``?system=<code>`` lists
    that system's libraries and ``?q=`` finds libraries by name or address across systems,
    ``LIBRARIES_PER_PAGE`` at a time (``?page=``; see
    :func:`survey_app.blueprints.paging.library_listing`).  Nothing lists 600 libraries at once.
    """
    user = current_staff()
    campaign = campaigns.get_campaign(db.session, code, actor=user)
    counts = campaigns.response_counts(db.session, campaign, actor=user)
    listing = library_listing(counts.rows, lambda row: row.library)
    return render_template(
        "admin/campaigns/show.html",
        campaign=campaign,
        counts=counts,
        system_rows=_system_rows(counts, listing),
        listing=listing,
        systems=campaigns.systems_of(db.session, campaign, actor=user),
        base_url=_base_url(),
    )


def _consequences(campaign: Any, action: str) -> list[str]:
    """What opening or closing means for the visitors, said before it happens."""
    libraries = len(campaign.libraries)
    if action == "close":
        return [
            _("The survey links and QR codes of the campaign stop accepting answers at once."),
            _(
                "Visitors who open a link or scan a poster see “This survey has ended”; a "
                "visitor in the middle of the survey cannot send their answers."
            ),
            _("The answers received so far are kept. You can re-open the campaign later."),
        ]
    return [
        _(
            "Libraries in the campaign: %(num)d. Their survey links and QR codes accept "
            "answers from visitors at once.",
            num=libraries,
        ),
        _("Check that the posters are ready: everyone who has the link can answer."),
    ]


def _transition(code: str, action: str) -> Any:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    campaign = campaigns.get_campaign(db.session, code, actor=current_staff())
    possible = campaign.status in (("draft", "closed") if action == "open" else ("open",))
    if possible and request.form.get("confirmed") != "1":
        if action == "open":
            heading = (
                _("Open campaign “%(title)s”?", title=campaign.title)
                if campaign.status == "draft"
                else _("Re-open campaign “%(title)s”?", title=campaign.title)
            )
        else:
            heading = _("Close campaign “%(title)s”?", title=campaign.title)
        return render_template(
            "admin/confirm.html",
            heading=heading,
            consequences=_consequences(campaign, action),
            action=url_for(".open_" if action == "open" else ".close", code=campaign.code),
            confirm_label=_("Yes, open the campaign")
            if action == "open"
            else _("Yes, close the campaign"),
            css="button" if action == "open" else "button-warning",
            cancel_url=url_for(".show", code=campaign.code),
        )
    change = campaigns.open_campaign if action == "open" else campaigns.close_campaign
    campaign = change(db.session, code, actor=current_staff())
    db.session.commit()
    message = (
        _("Campaign %(code)s is open.", code=campaign.code)
        if action == "open"
        else _("Campaign %(code)s is closed.", code=campaign.code)
    )
    flash(message, "success")
    return redirect(url_for(".show", code=campaign.code))


@bp.post("/<code>/open")
@permission_required(Action.manage_campaigns)
def open_(code: str) -> Any:
    """Open the campaign: it accepts responses."""
    return _transition(code, "open")


@bp.post("/<code>/close")
@permission_required(Action.manage_campaigns)
def close(code: str) -> Any:
    """Close the campaign: it refuses responses."""
    return _transition(code, "close")


def _download(file: posters.PosterFile) -> Response:
    response = Response(file.content, mimetype=file.mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{file.filename}"'
    response.cache_control.private = True
    return response


def _target(code: str, library: str) -> posters.PosterTarget:
    return posters.resolve_target(
        db.session,
        code,
        library,
        service_point=request.args.get("sp") or None,
        actor=current_staff(),
    )


@bp.get("/<code>/libraries/<library>/poster.pdf")
@permission_required(Action.manage_posters)
def poster(code: str, library: str) -> Response:
    """Download the A4 poster of a library (``?sp=`` for a service point)."""
    return _download(posters.poster_pdf(_target(code, library), base_url=_base_url()))


@bp.get("/<code>/libraries/<library>/qr.<fmt>")
@permission_required(Action.manage_posters)
def qr(code: str, library: str, fmt: str) -> Response:
    """Download the QR code of a library's survey link as SVG or PNG."""
    if fmt not in ("svg", "png"):
        abort(404)
    return _download(posters.qr_image(_target(code, library), base_url=_base_url(), fmt=fmt))


@bp.get("/<code>/systems/<system>/posters.zip")
@permission_required(Action.manage_posters)
def system_posters(code: str, system: str) -> Response:
    """Download the posters of every library of a system in the campaign, as one ZIP."""
    archive = posters.system_posters_zip(
        db.session, code, system, base_url=_base_url(), actor=current_staff()
    )
    return _download(archive)
