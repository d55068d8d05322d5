"""The instrument under review (issue 13 §5): methodologists and quality managers check one
instrument version across every campaign and library in their scope — reliability per scale
per campaign, item distributions, and whether the factor structure matches the intended scales.

Charts are SVGs served by their own routes (``<img src>``; the CSP allows no inline style),
cached in the database with the campaigns' latest report runs and sent with an ETag of the
review's fingerprint, with the same numbers in tables on the page.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask import Response
from flask import abort
from flask import render_template
from flask import request
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from survey_app.auth import current_staff
from survey_app.auth import permission_required
from survey_app.blueprints.admin import add_nav_item
from survey_app.extensions import db
from survey_app.services import instrument_review as reviews
from survey_app.services import review_charts
from survey_app.services.scope import Action

bp = Blueprint("admin_review", __name__, url_prefix="/admin/review")

#: how long a browser may keep a chart without asking again (it asks with the ETag after)
CHART_MAX_AGE = 300


@bp.record_once
def _nav(state: Any) -> None:
    add_nav_item(
        state.app, "admin_review.index", _l("Instrument review"), Action.review_instruments, 35
    )


@bp.get("/")
@permission_required(Action.review_instruments)
def index() -> ResponseReturnValue:
    """The instruments with responses in the caller's scope, with their versions."""
    found = reviews.reviewable_instruments(db.session, current_staff())
    return render_template("admin/review/index.html", instruments=found)


@bp.get("/<instrument_id>/<int:version>")
@permission_required(Action.review_instruments)
def show(instrument_id: str, version: int) -> ResponseReturnValue:
    """One instrument version under review."""
    review = reviews.instrument_review(db.session, current_staff(), instrument_id, version)
    db.session.commit()  # ω's intervals computed on first view are kept with the runs
    return render_template(
        "admin/review/show.html",
        review=review,
        min_n=reviews.RELIABILITY_MIN_N,
        omega_boot=reviews.OMEGA_BOOT,
        seed=reviews.BOOTSTRAP_SEED,
        reliability_scales=list(review.scales),
        locale=_locale(),
        translate=_,
    )


def _locale() -> str:
    return str(get_locale() or "ru")


def _chart(body: bytes, fingerprint: str) -> Response:
    db.session.commit()  # a chart drawn on first view is kept with the runs
    response = Response(body, mimetype="image/svg+xml")
    response.set_etag(f"{fingerprint}-{_locale()}")
    response.vary.update(["Cookie", "Accept-Language"])
    response.cache_control.private = True
    response.cache_control.max_age = CHART_MAX_AGE
    response.make_conditional(request)
    return response


@bp.get("/<instrument_id>/<int:version>/items.svg")
@permission_required(Action.review_instruments)
def items_chart(instrument_id: str, version: int) -> Response:
    """Stacked bars of every item's answers and missing share (SVG)."""
    review = reviews.instrument_review(
        db.session, current_staff(), instrument_id, version, intervals=False
    )
    if not review.items:
        abort(404)
    body = review_charts.item_distributions_svg(
        db.session,
        review,
        title=_("Answers to each item"),
        missing=_("no answer"),
        not_asked=_("not asked"),
        locale=_locale(),
        translate=_,
    )
    return _chart(body, f"items-2-{review.fingerprint}")


@bp.get("/<instrument_id>/<int:version>/loadings.svg")
@permission_required(Action.review_instruments)
def loadings_chart(instrument_id: str, version: int) -> Response:
    """The rotated factor loadings as a grey-scale table (SVG)."""
    review = reviews.instrument_review(
        db.session, current_staff(), instrument_id, version, intervals=False
    )
    if review.factor is None:
        abort(404)
    body = review_charts.loadings_svg(
        db.session, review, title=_("Rotated factor loadings"), locale=_locale()
    )
    return _chart(body, f"loadings-{review.fingerprint}")
