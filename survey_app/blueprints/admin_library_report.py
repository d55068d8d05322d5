"""The library page of a campaign (issue 13 §4, §6): every indicator of one library with its
interval, the answer distributions, the NOK criteria, the reliability of every scale, the
channels, the hour × weekday heat maps and the free-text comments, with its charts as SVG
files; and the upload of a campaign's NOK expert checklist.

Scope as everywhere in the results: a library outside the caller's scope is 404, however the
URL names it (code, id, other letter case).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask import Response
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from flask_wtf.file import FileRequired

from survey_app.auth import current_staff
from survey_app.auth import permission_required
from survey_app.blueprints.admin import SUBJECT_LABELS
from survey_app.config import region_time_zone
from survey_app.extensions import db
from survey_app.services import checklists
from survey_app.services import library_report
from survey_app.services.errors import Invalid
from survey_app.services.scope import Action

bp = Blueprint("admin_library_report", __name__, url_prefix="/admin/results")

#: longest search text for the comments
MAX_QUERY = 200


class ChecklistForm(FlaskForm):
    """The NOK expert checklist file of a campaign (docs/nok-checklist.md)."""

    file = FileField(_l("Checklist file (CSV)"), validators=[FileRequired(_l("Choose a file."))])


def _settings() -> dict[str, Any]:
    return {
        "tz": region_time_zone(current_app.config),
        "small_cell_min": int(current_app.config["SMALL_CELL_MIN"]),
        # the page's questions and scales, and the charts, in the reader's language
        "locale": str(get_locale() or "ru"),
    }


def chart_labels() -> dict[str, str]:
    """Every word the charts show, in the request's language."""
    days = [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]
    labels = {
        "likert_title": _("Answers to each question (percentages of those who answered)"),
        "likert_axis": _("Percentage of answers: lower answers to the left, higher to the right"),
        "gap_title": _("Zone of tolerance and perceived service, per question"),
        "gap_zone": _("zone of tolerance (minimum to desired)"),
        "gap_perceived": _("perceived"),
        "gap_axis": _("mean rating"),
        "nok_title": _("NOK criteria and total score with 95 % bootstrap intervals"),
        "nok_axis": _("points out of 100"),
        "channels_title": _("By channel (intervals: 95 %)"),
        "channels_axis": _("value of the indicator"),
        "heat_n_title": _("Responses by weekday and hour"),
        "heat_index_title": _("Indicator by weekday and hour"),
        "hour_axis": _("hour (region time)"),
        "channel:web": _("Web link"),
        "channel:qr": _("QR code"),
        "channel:kiosk": _("Kiosk tablet"),
        "channel:paper": _("Paper (typed in)"),
    }
    labels.update({f"day{k}": day for k, day in enumerate(days)})
    labels.update({subject: str(label) for subject, label in SUBJECT_LABELS.items()})
    return labels


def _render(campaign: str, library: str, form: ChecklistForm, errors: list[str]) -> str:
    view = library_report.library_page(
        db.session, current_staff(), campaign, library, **_settings()
    )
    db.session.commit()  # the page computed on first view is kept with the run
    query = request.args.get("q", "")[:MAX_QUERY].strip()
    comments: list[dict[str, Any]] = []
    total = 0
    if view.page is not None:
        needle = query.casefold()
        found = [
            c
            for c in view.page.get("comments") or []
            if not needle or needle in str(c["text"]).casefold()
        ]
        total = len(found)
        comments = found[: library_report.MAX_COMMENTS]
    return render_template(
        "admin/results/library_report.html",
        view=view,
        page=view.page,
        query=query,
        comments=comments,
        comments_total=total,
        form=form,
        errors=errors,
        coarse=current_staff().role == "library_staff",
        chart_labels=chart_labels(),
        nok_boot=library_report.NOK_BOOT,
        omega_boot=library_report.OMEGA_BOOT,
        seed=library_report.BOOTSTRAP_SEED,
        verdict_min_n=library_report.VERDICT_MIN_N,
    )


@bp.get("/<campaign>/libraries/<library>/report", strict_slashes=False)
@permission_required(Action.view_results)
def report(campaign: str, library: str) -> ResponseReturnValue:
    """The library page of the campaign's latest report run (``?q=`` searches the comments)."""
    return _render(campaign, library, ChecklistForm(), [])


@bp.get("/<campaign>/libraries/<library>/report/charts/<name>.svg")
@permission_required(Action.view_results)
def chart(campaign: str, library: str, name: str) -> Response:
    """One chart of the library page (SVG, drawn once per run and cached with it)."""
    svg = library_report.library_chart(
        db.session,
        current_staff(),
        campaign,
        library,
        name,
        labels=chart_labels(),
        **_settings(),
    )
    db.session.commit()
    response = Response(svg, mimetype="image/svg+xml")
    response.cache_control.private = True
    response.cache_control.max_age = 300
    return response


@bp.post("/<campaign>/libraries/<library>/checklist")
@permission_required(Action.run_reports)
def upload_checklist(campaign: str, library: str) -> ResponseReturnValue:
    """Store the NOK expert checklist of the campaign's libraries (audited); the file may
    hold every library of the campaign in the caller's scope, not only this one."""
    form = ChecklistForm()
    if not form.validate_on_submit():
        errors = [str(m) for m in form.file.errors] or [
            _("The form has expired. Please submit it again.")
        ]
        return _render(campaign, library, form, errors), 422
    try:
        upload = checklists.store_checklist(
            db.session, current_staff(), campaign, form.file.data.read()
        )
    except Invalid as error:
        db.session.rollback()
        errors = [_("The checklist was not stored; nothing was changed.")]
        errors += [f"{issue.path}: {issue.message}" for issue in error.issues[:10]]
        return _render(campaign, library, form, errors), 422
    db.session.commit()
    flash(
        _(
            "The checklist of %(n)d libraries is stored. Recompute the results to score them.",
            n=len(upload.libraries),
        ),
        "success",
    )
    return redirect(url_for(".report", campaign=campaign, library=library))
