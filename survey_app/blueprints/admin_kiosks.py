"""Kiosk pages for staff: the fleet, enrolling a tablet, its pairing code, PIN, hours, revoking."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
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
from markupsafe import Markup
from wtforms import PasswordField
from wtforms import SelectField
from wtforms import StringField
from wtforms.validators import DataRequired
from wtforms.validators import Length
from wtforms.validators import Regexp

from kiosk.qr import qr_svg
from survey_app.auth import current_staff
from survey_app.auth import permission_required
from survey_app.blueprints.admin import add_nav_item
from survey_app.blueprints.auth import ConfirmForm
from survey_app.blueprints.auth import apply_issues
from survey_app.blueprints.kiosk import settings
from survey_app.extensions import db
from survey_app.models import KioskDevice
from survey_app.services import kiosks
from survey_app.services.errors import Invalid
from survey_app.services.scope import Action

bp = Blueprint("admin_kiosks", __name__, url_prefix="/admin/kiosks")

DAY_LABELS = {
    "mon": _l("Monday"),
    "tue": _l("Tuesday"),
    "wed": _l("Wednesday"),
    "thu": _l("Thursday"),
    "fri": _l("Friday"),
    "sat": _l("Saturday"),
    "sun": _l("Sunday"),
}
FLAG_LABELS = {
    "kiosk_interval": _l("too soon after the previous response on this kiosk"),
    "burst": _l("one of a burst of responses on this kiosk"),
    "partial": _l("unfinished (kept under the campaign's partial policy)"),
    # the careless-response screening's signs (analysis.screen_responses' *_flag columns)
    "longstr": _l("the same answer many times in a row"),
    "irv": _l("hardly varying answers"),
    "psychsyn": _l("inconsistent answers to similar questions"),
    "evenodd": _l("inconsistent answers within the scales (even–odd)"),
    "mahad": _l("an unusual answer pattern"),
    "speed": _l("pages answered too fast"),
}


@bp.record_once
def _nav(state: Any) -> None:
    add_nav_item(state.app, "admin_kiosks.index", _l("Kiosks"), Action.view_kiosks, 35)


@bp.app_context_processor
def _labels() -> dict[str, Any]:
    return {"flag_label": lambda f: FLAG_LABELS.get(f, f)}


class NewKioskForm(FlaskForm):
    """A new kiosk (the service checks library, campaign and service point)."""

    name = StringField(
        _l("Name"),
        description=_l("How staff tell the tablets apart, e.g. «Абонемент, у входа»."),
        validators=[DataRequired(), Length(max=200)],
    )
    library = SelectField(_l("Library"), coerce=int)
    campaign = SelectField(_l("Campaign"))
    service_point = SelectField(_l("Service point"), default="")


class RenameForm(FlaskForm):
    """A kiosk's new name."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])


class PinForm(FlaskForm):
    """The staff PIN of the tablet's settings screen."""

    pin = PasswordField(
        _l("Staff PIN"),
        validators=[
            DataRequired(),
            Regexp(r"^\d{4,8}$", message=_l("The PIN is 4 to 8 digits.")),
        ],
    )


class HoursForm(FlaskForm):
    """Opening hours per weekday (the tablet sleeps outside them)."""

    mon = StringField(DAY_LABELS["mon"])
    tue = StringField(DAY_LABELS["tue"])
    wed = StringField(DAY_LABELS["wed"])
    thu = StringField(DAY_LABELS["thu"])
    fri = StringField(DAY_LABELS["fri"])
    sat = StringField(DAY_LABELS["sat"])
    sun = StringField(DAY_LABELS["sun"])


def _base_url() -> str:
    return str(current_app.config.get("PUBLIC_BASE_URL") or request.host_url).rstrip("/")


def _pairing_page(device: KioskDevice, code: str, status: int = 200) -> ResponseReturnValue:
    url = f"{_base_url()}/kiosk?pair={code}"
    svg = qr_svg(url).decode("utf-8")
    svg = svg[svg.index("<svg") :].replace(
        "<svg ",
        f'<svg class="qr" role="img" aria-label="{_("QR code of the pairing link")}" ',
        1,
    )
    return (
        render_template(
            "admin/kiosks/pairing.html",
            device=device,
            code=kiosks.grouped(code),
            url=url,
            qr=Markup(svg),  # noqa: S704  # nosec B704 - our own SVG from qrcode: the URL only
            minutes=kiosks.PAIRING_MINUTES,
        ),
        status,
    )


@bp.get("/")
@permission_required(Action.view_kiosks)
def index() -> ResponseReturnValue:
    """The fleet: every kiosk in scope with its last contact, queue and warnings."""
    actor = current_staff()
    rows = kiosks.fleet(db.session, actor=actor, settings=settings())
    return render_template(
        "admin/kiosks/index.html", rows=rows, stale_minutes=settings().stale_minutes
    )


def _fill(form: NewKioskForm) -> None:
    actor = current_staff()
    libraries = kiosks.kiosk_libraries(db.session, actor=actor)
    # grouped by library system: same-named libraries are told apart by their system and
    # address, as in the account form's scope picker, not by a Latin code
    grouped: dict[str, list[tuple[int, str]]] = {}
    for lib in sorted(libraries, key=lambda lib: (lib.system.name, lib.name, lib.id)):
        label = f"{lib.name} — {lib.address}" if lib.address else lib.name
        group = str(_("Libraries of %(system)s", system=lib.system.name))
        grouped.setdefault(group, []).append((lib.id, label))
    form.library.choices = grouped
    campaigns: dict[str, str] = {}
    points: list[tuple[str, str]] = [("", str(_("None (the whole library)")))]
    for library in libraries:
        for campaign in kiosks.kiosk_campaigns(db.session, library):
            # the code first: a phone cuts a long title, and two years of one survey share it
            campaigns.setdefault(campaign.code, f"{campaign.code} — {campaign.title}")
        for point in sorted(library.service_points, key=lambda p: p.code):
            if point.active:
                points.append((point.code, f"{library.name}: {point.name}"))
    form.campaign.choices = list(campaigns.items())
    form.service_point.choices = points


@bp.route("/new", methods=["GET", "POST"])
@permission_required(Action.manage_kiosks)
def new() -> ResponseReturnValue:
    """Create a kiosk: the page that answers shows its pairing code and QR."""
    form = NewKioskForm()
    _fill(form)
    general: list[str] = []
    if form.validate_on_submit():
        try:
            device, code = kiosks.create_kiosk(
                db.session,
                actor=current_staff(),
                library=form.library.data,
                name=form.name.data or "",
                campaign=form.campaign.data or "",
                service_point=form.service_point.data or None,
            )
        except Invalid as error:
            db.session.rollback()
            general = apply_issues(form, error)
        else:
            db.session.commit()
            return _pairing_page(device, code, 201)
    status = 422 if form.errors or general else 200
    return render_template("admin/kiosks/new.html", form=form, general=general), status


def _device(public_id: str) -> KioskDevice:
    return kiosks.get_kiosk(db.session, public_id, actor=current_staff())


@bp.get("/<public_id>")
@permission_required(Action.manage_kiosks)
def show(public_id: str) -> ResponseReturnValue:
    """A kiosk: its state and the forms to rename it, set its PIN and hours, re-pair, revoke."""
    device = _device(public_id)
    hours = HoursForm()
    for day, text in kiosks.format_opening_hours(device.opening_hours).items():
        getattr(hours, day).data = text
    return _show(device, RenameForm(data={"name": device.name}), PinForm(), hours)


def _show(
    device: KioskDevice,
    rename: RenameForm,
    pin: PinForm,
    hours: HoursForm,
    general: list[str] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    row = kiosks.fleet(
        db.session, actor=current_staff(), settings=settings(), library=device.library_id
    )
    found = next(r for r in row if r.device.id == device.id)
    return (
        render_template(
            "admin/kiosks/show.html",
            row=found,
            device=device,
            rename_form=rename,
            pin_form=pin,
            hours_form=hours,
            days=list(DAY_LABELS),
            general=general or [],
            confirm=ConfirmForm(),
        ),
        status,
    )


@bp.post("/<public_id>/rename")
@permission_required(Action.manage_kiosks)
def rename(public_id: str) -> ResponseReturnValue:
    """Rename the kiosk."""
    device = _device(public_id)
    form = RenameForm()
    if form.validate_on_submit():
        try:
            kiosks.rename(db.session, device, form.name.data or "", actor=current_staff())
        except Invalid as error:
            db.session.rollback()
            general = apply_issues(form, error)
            return _show(device, form, PinForm(), HoursForm(), general, 422)
        db.session.commit()
        flash(_("The kiosk is renamed."), "success")
        return redirect(url_for(".show", public_id=public_id))
    return _show(device, form, PinForm(), HoursForm(), status=422)


@bp.post("/<public_id>/pin")
@permission_required(Action.manage_kiosks)
def pin(public_id: str) -> ResponseReturnValue:
    """Set the staff PIN (the tablet picks it up with its next configuration)."""
    device = _device(public_id)
    form = PinForm()
    if form.validate_on_submit():
        kiosks.set_pin(db.session, device, form.pin.data or "", actor=current_staff())
        db.session.commit()
        flash(_("The staff PIN is set. The tablet uses it after its next sync."), "success")
        return redirect(url_for(".show", public_id=public_id))
    return _show(device, RenameForm(data={"name": device.name}), form, HoursForm(), status=422)


@bp.post("/<public_id>/hours")
@permission_required(Action.manage_kiosks)
def hours(public_id: str) -> ResponseReturnValue:
    """Set the opening hours (the tablet sleeps outside them; the fleet page warns within)."""
    device = _device(public_id)
    form = HoursForm()
    if not form.validate_on_submit():
        abort(400)
    spec = {day: (getattr(form, day).data or "").strip() for day in DAY_LABELS}
    try:
        kiosks.set_opening_hours(db.session, device, spec, actor=current_staff())
    except Invalid as error:
        db.session.rollback()
        general = apply_issues(form, error)
        return _show(device, RenameForm(data={"name": device.name}), PinForm(), form, general, 422)
    db.session.commit()
    flash(_("The opening hours are saved."), "success")
    return redirect(url_for(".show", public_id=public_id))


@bp.post("/<public_id>/repair")
@permission_required(Action.manage_kiosks)
def repair(public_id: str) -> ResponseReturnValue:
    """A new pairing code; the tablet's current token works until the new pairing completes."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    device = _device(public_id)
    code = kiosks.repair(db.session, device, actor=current_staff())
    db.session.commit()
    return _pairing_page(device, code)


@bp.post("/<public_id>/revoke")
@permission_required(Action.manage_kiosks)
def revoke(public_id: str) -> ResponseReturnValue:
    """Revoke the kiosk: its tablet is refused at once."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    device = _device(public_id)
    kiosks.revoke(db.session, device, actor=current_staff())
    db.session.commit()
    flash(_("The kiosk is revoked: its tablet can no longer send responses."), "success")
    return redirect(url_for(".index"))
