"""Methodologists' pages for questionnaires: list, upload, preview, publish, compare."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask import Response
from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask.typing import ResponseReturnValue
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from flask_wtf.file import FileRequired
from wtforms import HiddenField

from instruments import Instrument
from survey_app.auth import current_staff
from survey_app.auth import permission_required
from survey_app.blueprints.admin import add_nav_item
from survey_app.blueprints.auth import ConfirmForm
from survey_app.extensions import db
from survey_app.forms.flow import _condition_notes
from survey_app.forms.flow import shown_items
from survey_app.forms.questionnaire import build_form
from survey_app.request_guards import body_limit
from survey_app.services import instrument_admin
from survey_app.services.errors import Invalid
from survey_app.services.instruments import instrument_of
from survey_app.services.scope import Action

#: largest upload request (a workbook plus the form fields)
UPLOAD_BODY_LIMIT = 4 * 1024 * 1024

bp = Blueprint("admin_instruments", __name__, url_prefix="/admin/instruments")


@bp.record_once
def _nav(state: Any) -> None:
    add_nav_item(
        state.app, "admin_instruments.index", _l("Instruments"), Action.manage_instruments, 20
    )


class UploadForm(FlaskForm):
    """A definition file; ``instrument_id`` is set when uploading a new version."""

    file = FileField(
        _l("Definition file (YAML or XLSForm .xlsx)"),
        validators=[FileRequired(_l("Choose a file."))],
    )
    instrument_id = HiddenField()


@bp.get("/")
@permission_required(Action.manage_instruments)
def index() -> ResponseReturnValue:
    """List every instrument with its versions."""
    overview = instrument_admin.list_instruments(db.session, actor=current_staff())
    return render_template("admin/instruments/index.html", instruments=overview)


@bp.route("/upload", methods=["GET", "POST"])
@body_limit(UPLOAD_BODY_LIMIT)  # instrument files may exceed the limit meant for submissions
@permission_required(Action.manage_instruments)
def upload() -> ResponseReturnValue:
    """Upload a new instrument, or a new version of one; every problem is listed on failure."""
    form = UploadForm()
    if request.method == "GET":
        form.instrument_id.data = request.args.get("instrument", "")
    if form.validate_on_submit():
        file = form.file.data
        try:
            row = instrument_admin.upload_instrument(
                db.session,
                file.read(),
                file.filename or "upload",
                actor=current_staff(),
                instrument_id=form.instrument_id.data or None,
            )
        except Invalid as error:
            db.session.rollback()
            page = render_template(
                "admin/instruments/upload.html",
                form=form,
                problems=error.issues,
                filename=file.filename,
            )
            return page, 422
        db.session.commit()
        flash(
            _(
                "Version %(version)s of %(id)s is stored as a draft.",
                version=row.version,
                id=row.instrument_id,
            ),
            "success",
        )
        return redirect(
            url_for(".show_version", instrument_id=row.instrument_id, version=row.version)
        )
    status = 422 if form.errors else 200
    return render_template("admin/instruments/upload.html", form=form, problems=()), status


@bp.get("/<instrument_id>/<int:version>")
@permission_required(Action.manage_instruments)
def show_version(instrument_id: str, version: int) -> ResponseReturnValue:
    """Show one version: status, structure, lineage and what can be done with it."""
    row = instrument_admin.get_version(db.session, instrument_id, version, actor=current_staff())
    return render_template(
        "admin/instruments/version.html",
        row=row,
        instrument=instrument_of(row),
        versions=instrument_admin.list_versions(db.session, instrument_id),
        in_use=instrument_admin.version_in_use(db.session, row),
    )


@bp.post("/<instrument_id>/<int:version>/publish")
@permission_required(Action.manage_instruments)
def publish(instrument_id: str, version: int) -> ResponseReturnValue:
    """Publish a draft: it is frozen from now on."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    if request.form.get("confirmed") != "1":
        row = instrument_admin.get_version(
            db.session, instrument_id, version, actor=current_staff()
        )
        if row.published_at is None:
            return render_template(
                "admin/confirm.html",
                heading=_("Publish version %(n)s of %(id)s?", n=version, id=instrument_id),
                consequences=[
                    _("The version is frozen: it can never be changed or deleted afterwards."),
                    _(
                        "Campaigns can then ask it of visitors; a correction needs a new "
                        "version, whose answers are compared with this one's item by item."
                    ),
                ],
                action=url_for(".publish", instrument_id=instrument_id, version=version),
                confirm_label=_("Yes, publish version %(n)s", n=version),
                css="button",
                cancel_url=url_for(".show_version", instrument_id=instrument_id, version=version),
            )
    instrument_admin.publish_version(db.session, instrument_id, version, actor=current_staff())
    db.session.commit()
    flash(
        _("Version %(version)s of %(id)s is published.", version=version, id=instrument_id),
        "success",
    )
    return redirect(url_for(".show_version", instrument_id=instrument_id, version=version))


@bp.get("/<instrument_id>/<int:version>/source")
@permission_required(Action.manage_instruments)
def source(instrument_id: str, version: int) -> Response:
    """Download the YAML definition of a version."""
    row = instrument_admin.get_version(db.session, instrument_id, version, actor=current_staff())
    response = Response(row.source, mimetype="application/yaml")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{row.instrument_id}-{row.version}.yaml"'
    )
    return response


def _pages(instrument: Instrument, locale: str) -> list[dict[str, Any]]:
    """Every section as the page a respondent sees, with no answers given yet."""
    pages = []
    for section in instrument.sections:
        items = list(section.items)
        form_class = build_form(instrument, section, locale)
        form = form_class(formdata=None, meta={"csrf": False})
        pages.append(
            {
                "section": section,
                "form": form,
                "questions": form.questions(None, _condition_notes(items, locale)),
                "conditional": [i for i in items if i.show_if is not None],
                "shown_at_start": bool(shown_items(instrument, section, {}, None)),
            }
        )
    return pages


@bp.get("/<instrument_id>/<int:version>/preview")
@permission_required(Action.manage_instruments)
def preview(instrument_id: str, version: int) -> ResponseReturnValue:
    """Show the questionnaire as a respondent sees it, in one of its languages."""
    row = instrument_admin.get_version(db.session, instrument_id, version, actor=current_staff())
    instrument = instrument_of(row)
    locale = request.args.get("locale", "ru")
    if locale not in instrument.locales:
        locale = "ru"
    with force_locale(locale):
        return render_template(
            "admin/instruments/preview.html",
            row=row,
            instrument=instrument,
            locale=locale,
            pages=_pages(instrument, locale),
        )


@bp.get("/<instrument_id>/diff")
@permission_required(Action.manage_instruments)
def diff(instrument_id: str) -> ResponseReturnValue:
    """Compare two versions of an instrument (``?old=1&new=2``)."""
    old = request.args.get("old", type=int)
    new = request.args.get("new", type=int)
    if old is None or new is None:
        abort(400)
    result = instrument_admin.diff_versions(
        db.session, instrument_id, old, new, actor=current_staff()
    )
    return render_template("admin/instruments/diff.html", instrument_id=instrument_id, diff=result)
