"""Results pages, scoped per staff member: counts per library, latest responses, exclusions,
and the wide export (CSV streamed, XLSX) of exactly the libraries in the caller's scope.

Library staff see and export their own library only; a system's quality manager its
libraries; region-wide roles every library. Anything outside the scope is 404, exactly like
something that does not exist (see :mod:`survey_app.services.scope`).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from typing import Any

from flask import Blueprint
from flask import Response
from flask import abort
from flask import current_app
from flask import flash
from flask import jsonify
from flask import redirect
from flask import render_template
from flask import request
from flask import send_file
from flask import stream_with_context
from flask import url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_date
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired
from wtforms.validators import Length

from survey_app.auth import current_staff
from survey_app.auth import permission_required
from survey_app.blueprints.admin import add_nav_item
from survey_app.blueprints.admin_campaigns import CHANNEL_LABELS
from survey_app.blueprints.answer_text import answer_lines
from survey_app.blueprints.paging import library_listing
from survey_app.blueprints.paging import page_number
from survey_app.extensions import db
from survey_app.queue import queue_of
from survey_app.services import dashboard as dashboards
from survey_app.services import exclusions
from survey_app.services import funnel_chart
from survey_app.services.errors import Conflict
from survey_app.services.errors import Invalid
from survey_app.services.exclusions import MAX_REASON_LENGTH
from survey_app.services.exports import iter_csv
from survey_app.services.exports import write_xlsx
from survey_app.services.scope import Action

bp = Blueprint("admin_results", __name__, url_prefix="/admin/results")

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: query-string values that switch ``include_excluded`` on
_YES = frozenset({"1", "true", "yes", "on"})


@bp.record_once
def _nav(state: Any) -> None:
    add_nav_item(state.app, "admin_results.index", _l("Results"), Action.view_results, 30)


class ReasonForm(FlaskForm):
    """Why a response is excluded or restored (the service checks it again)."""

    reason = StringField(
        _l("Reason"),
        validators=[
            DataRequired(_l("Give a reason.")),
            Length(max=MAX_REASON_LENGTH, message=_l("At most %(max)d characters.")),
        ],
    )


#: the service's reason problems, as the form shows them
ISSUE_TEXTS = {
    "EXC001": _l("Give a reason."),
    "EXC002": _l("At most %(max)d characters.", max=MAX_REASON_LENGTH),
}


def _page(value: str | None) -> int:
    """The page number asked for (see :func:`survey_app.blueprints.paging.page_number`)."""
    return page_number(value)


@bp.get("/")
@permission_required(Action.view_results)
def index() -> ResponseReturnValue:
    """List the campaigns with a library in the caller's scope, with response counts."""
    rows = exclusions.campaigns_with_results(db.session, current_staff())
    return render_template("admin/results/index.html", rows=rows)


@bp.get("/<campaign>/", strict_slashes=False)
@permission_required(Action.view_results)
def campaign(campaign: str) -> ResponseReturnValue:
    """Show a campaign's libraries in the caller's scope with their counts and exports.

    With several library systems in scope the counts are one line per system; ``?system=``
    lists a system's libraries and ``?q=`` finds libraries by name, code or address, 50 a page
    (``?page=``; see :func:`survey_app.blueprints.paging.library_listing`).
    """
    results = exclusions.campaign_results(db.session, current_staff(), campaign)
    listing = library_listing(results.libraries, lambda row: row.library)
    return render_template("admin/results/campaign.html", results=results, listing=listing)


def _library_page(
    campaign: str,
    library: str,
    page: int,
    *,
    failed: str | None = None,
    form: ReasonForm | None = None,
) -> str:
    results = exclusions.library_results(db.session, current_staff(), campaign, library, page=page)
    return render_template(
        "admin/results/library.html",
        results=results,
        failed=failed,
        form=form,
        max_reason=MAX_REASON_LENGTH,
    )


@bp.get("/<campaign>/libraries/<library>/", strict_slashes=False)
@permission_required(Action.view_results)
def library(campaign: str, library: str) -> ResponseReturnValue:
    """List a library's latest responses in a campaign, with the exclude/restore forms."""
    return _library_page(campaign, library, _page(request.args.get("page")))


def _dashboard_filters() -> dict[str, Any]:
    return {
        "system": request.args.get("system", "").strip()[:100] or None,
        "kind": request.args.get("type", "").strip()[:20] or None,
        "query": request.args.get("q", "")[:200],
        "channel": request.args.get("channel", "").strip()[:20] or None,
        "period": request.args.get("period", "").strip()[:20] or None,
        "small_cell_min": int(current_app.config["SMALL_CELL_MIN"]),
    }


def _period_label(value: str) -> str:
    """``2026-03`` -> "март 2026"; ``2026-W05`` -> "неделя 5, 26.01–01.02.2026"."""
    try:
        if "-W" in value:
            year, week = value.split("-W")
            monday = dt.date.fromisocalendar(int(year), int(week), 1)
            sunday = monday + dt.timedelta(days=6)
            return _(
                "week %(week)d, %(start)s–%(end)s",
                week=int(week),
                start=format_date(monday, "dd.MM"),
                end=format_date(sunday, "dd.MM.yyyy"),
            )
        year, month = value.split("-")
        return str(format_date(dt.date(int(year), int(month), 1), "LLLL yyyy"))
    except ValueError:
        return value


def _slice_labels(view: dashboards.Dashboard) -> dict[str, str]:
    """What the channel and period filters call their values."""
    names = {str(channel.value): str(label) for channel, label in CHANNEL_LABELS.items()}
    labels = {c: names.get(c, c) for c in view.channels}
    labels.update({p: _period_label(p) for p in view.slice_periods})
    return labels


def _funnel(view: dashboards.Dashboard) -> funnel_chart.FunnelChart:
    return funnel_chart.funnel_chart(
        view,
        title=_("Funnel plot: the main index of each library against its number of responses"),
        reasons={
            "no_run": _("No results have been computed for this campaign yet."),
            "too_few": _("A funnel plot needs at least three libraries with an estimate."),
            "no_interval": _(
                "This indicator has no sampling interval (a formula score), so it has no "
                "control limits."
            ),
        },
    )


@bp.get("/<campaign>/dashboard")
@permission_required(Action.view_results)
def dashboard(campaign: str) -> ResponseReturnValue:
    """The region dashboard: the campaign's latest report run, by library system and library.

    ``?system=<code>`` keeps one system, ``?type=<library type>`` one type, ``?q=`` searches
    library names and codes, ``?sort=name|n|estimate|rank|change|flagged`` orders libraries
    within a system, ``?page=`` pages systems; ``?channel=`` or ``?period=`` (``2026-03``,
    ``2026-W05``) shows the main index on that channel's or period's responses only.
    """
    filters = _dashboard_filters()
    view = dashboards.region_dashboard(
        db.session,
        current_staff(),
        campaign,
        **filters,
        sort=request.args.get("sort", "name"),
        page=_page(request.args.get("page")),
    )
    funnel = None if view.single_library else _funnel(view)
    return render_template(
        "admin/results/dashboard.html", view=view, funnel=funnel, slice_labels=_slice_labels(view)
    )


@bp.get("/<campaign>/dashboard/funnel.svg")
@permission_required(Action.view_results)
def dashboard_funnel(campaign: str) -> ResponseReturnValue:
    """The dashboard's funnel plot as an SVG image (same filters as the page)."""
    view = dashboards.region_dashboard(
        db.session, current_staff(), campaign, **_dashboard_filters()
    )
    # the staff of one library get no plot (one point has no funnel): 404
    chart = _funnel(view)
    svg = funnel_chart.funnel_svg(
        chart,
        {
            "x": _("Responses (n)"),
            "y": _("Main index"),
            "centre": _("Regional value"),
            "limit95": _("%(level)s limits", level="95 %"),
            "limit998": _("%(level)s limits", level=format_decimal(99.8) + "\u00a0%"),
            "inside": _("Library within the limits"),
            "outside95": _("Outside the %(level)s limits", level="95 %"),
            "outside998": _("Outside the %(level)s limits", level=format_decimal(99.8) + "\u00a0%"),
        },
    )
    if svg is None:
        abort(404)
    return _private(Response(svg, mimetype="image/svg+xml"))


@bp.get("/<campaign>/dashboard/status.json")
@permission_required(Action.view_results)
def dashboard_status(campaign: str) -> ResponseReturnValue:
    """The state of the campaign's report runs (polled by the dashboard while one runs)."""
    response = jsonify(dashboards.run_status(db.session, current_staff(), campaign))
    return _private(response)


@bp.post("/<campaign>/dashboard/recompute")
@permission_required(Action.run_reports)
def recompute(campaign: str) -> ResponseReturnValue:
    """Queue a recomputation of the campaign's report run (one at a time per campaign)."""
    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400)
    run, new = dashboards.request_recompute(db.session, current_staff(), campaign)
    db.session.commit()
    if new:
        queue_of(current_app._get_current_object()).enqueue(run.id)  # type: ignore[attr-defined]
        flash(_("The recomputation is queued."), "success")
    else:
        flash(_("A recomputation is already under way."), "warning")
    return redirect(url_for(".dashboard", campaign=campaign))


def _change(campaign: str, library: str, response_id: str, restore: bool) -> Any:
    form = ReasonForm()
    page = _page(request.form.get("page"))
    if not form.validate_on_submit():
        body = _library_page(campaign, library, page, failed=response_id, form=form)
        return body, 422
    if not restore and request.form.get("confirmed") != "1":
        return _confirm_exclusion(campaign, library, response_id, form.reason.data or "", page)
    change = exclusions.restore_response if restore else exclusions.exclude_response
    try:
        change(
            db.session,
            current_staff(),
            response_id,
            form.reason.data or "",
            campaign_ref=campaign,
            library_ref=library,
        )
    except Conflict:
        db.session.rollback()
        if restore:
            flash(_("This response is not excluded."), "warning")
        else:
            flash(_("This response is already excluded."), "warning")
    except Invalid as error:
        db.session.rollback()
        form.reason.errors = [str(ISSUE_TEXTS.get(i.code, i.message)) for i in error.issues]
        body = _library_page(campaign, library, page, failed=response_id, form=form)
        return body, 422
    else:
        db.session.commit()
        if restore:
            flash(_("The response is included in the analysis again."), "success")
        else:
            flash(_("The response is excluded from the analysis."), "success")
    return redirect(url_for(".library", campaign=campaign, library=library, page=page))


def _confirm_exclusion(
    campaign: str, library: str, response_id: str, reason: str, page: int
) -> Any:
    """Show the response's answers before it is excluded (issue 9 §6)."""
    found = exclusions.response_answers(
        db.session, current_staff(), response_id, campaign_ref=campaign, library_ref=library
    )
    if found.excluded:
        flash(_("This response is already excluded."), "warning")
        return redirect(url_for(".library", campaign=campaign, library=library, page=page))
    return render_template(
        "admin/results/exclude.html",
        found=found,
        lines=answer_lines(found),
        reason=reason,
        page=page,
        campaign=campaign,
        library=library,
        response_id=response_id,
    )


@bp.post("/<campaign>/libraries/<library>/responses/<response_id>/exclude")
@permission_required(Action.exclude_responses)
def exclude(campaign: str, library: str, response_id: str) -> Any:
    """Exclude a response from analysis (kept; audited with the reason)."""
    return _change(campaign, library, response_id, restore=False)


@bp.post("/<campaign>/libraries/<library>/responses/<response_id>/restore")
@permission_required(Action.exclude_responses)
def restore(campaign: str, library: str, response_id: str) -> Any:
    """Include an excluded response again (audited with the reason)."""
    return _change(campaign, library, response_id, restore=True)


def _scoped_export(campaign: str) -> exclusions.ScopedExport:
    libraries = {value.strip() for value in request.args.getlist("library") if value.strip()}
    if len(libraries) > 1:
        abort(400)
    export = exclusions.scoped_export(
        db.session,
        current_staff(),
        campaign,
        library_ref=libraries.pop() if libraries else None,
        include_excluded=request.args.get("include_excluded", "").lower() in _YES,
        small_cell_min=int(current_app.config["SMALL_CELL_MIN"]),
    )
    db.session.commit()  # the audit event of a full-precision export; rows are read after
    return export


def _private(response: Response) -> Response:
    response.cache_control.private = True
    response.cache_control.no_store = True
    return response


@bp.get("/<campaign>/export.csv")
@permission_required(Action.export_results)
def export_csv(campaign: str) -> Response:
    """Stream the wide CSV of the campaign's libraries in scope.

    ``?library=<code or id>`` narrows it to one library; ``?include_excluded=1`` keeps the
    excluded responses, with an ``excluded`` column; ``?raw=1`` writes texts without the
    protection against spreadsheet formulas. The CSV starts with a byte order mark so that
    Excel reads the Cyrillic.
    """
    export = _scoped_export(campaign)
    raw = request.args.get("raw", "").lower() in _YES
    body = stream_with_context(iter_csv(export.columns, export.rows, raw=raw, bom=True))
    response = Response(body, mimetype="text/csv")
    response.headers.set("Content-Disposition", "attachment", filename=export.filename("csv"))
    return _private(response)


@bp.get("/<campaign>/export.xlsx")
@permission_required(Action.export_results)
def export_xlsx(campaign: str) -> Response:
    """Send the wide XLSX of the campaign's libraries in scope (built in a temporary file)."""
    export = _scoped_export(campaign)
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - send_file closes it after sending
    write_xlsx(spool, export.columns, export.rows)
    spool.seek(0)
    response = send_file(
        spool, mimetype=XLSX_MIMETYPE, as_attachment=True, download_name=export.filename("xlsx")
    )
    return _private(response)
