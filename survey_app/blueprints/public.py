"""Public pages for visitors: the survey a QR poster links to, its QR code, the thank-you page.

Privacy: nothing that identifies a visitor is stored: no IP address, no account, no tracking
cookie.  The only cookie is Flask's session cookie, which holds the CSRF token and the chosen
language and nothing else; the survey's own state travels in the form's hidden fields.
"""

from __future__ import annotations

from random import SystemRandom

from flask import Blueprint
from flask import Response
from flask import current_app
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import refresh

from kiosk.qr import qr_png
from kiosk.qr import qr_svg
from survey_app.extensions import db
from survey_app.forms.flow import Page
from survey_app.forms.flow import advance
from survey_app.forms.flow import draw_form_items
from survey_app.forms.flow import reopen
from survey_app.forms.flow import start
from survey_app.models import Campaign
from survey_app.models import Library
from survey_app.models.base import utcnow
from survey_app.services.errors import Invalid
from survey_app.services.responses import get_open_target
from survey_app.services.survey_flow import open_survey
from survey_app.services.survey_flow import submit_web_response

bp = Blueprint("public", __name__)

#: draws the Lite form items; system randomness, so a visitor cannot predict their form
_rng = SystemRandom()


@bp.app_context_processor
def _locale() -> dict[str, object]:
    return {"current_locale": lambda: str(get_locale() or "ru")}


@bp.before_app_request
def _fresh_locale() -> None:
    # Flask-Babel caches the locale on ``g``, which lives as long as the app context; when
    # several requests share one (the test client inside an app context), a language chosen
    # with ?lang= would otherwise not reach the next request
    refresh()


def _lang() -> str:
    return str(get_locale() or "ru")


@bp.get("/s/<campaign_code>/<library_code>")
def questionnaire(campaign_code: str, library_code: str) -> Response:
    """Show the first page of the survey (where the QR code and the poster link lead)."""
    channel = "qr" if request.args.get("ch") == "qr" else "web"
    point = request.args.get("sp") or None
    campaign, library, instrument = open_survey(
        db.session, campaign_code, library_code, channel, point
    )
    lite = draw_form_items(instrument, campaign.lite_share, _rng)
    page = start(
        instrument,
        channel=channel,
        lite_items=lite,
        locale=_lang(),
        now=utcnow(),
        service_point=point,
    )
    return _render(page, campaign, library)


@bp.post("/s/<campaign_code>/<library_code>")
def questionnaire_post(campaign_code: str, library_code: str) -> ResponseReturnValue:
    """Take one page; after the last one record the response and thank the visitor."""
    campaign, library, instrument = open_survey(db.session, campaign_code, library_code)
    page = advance(instrument, request.form, locale=_lang(), now=utcnow())
    if page.complete:
        try:
            submit_web_response(
                db.session, page.state.submission(campaign.code, library.code, utcnow())
            )
        except Invalid as error:
            reopened = reopen(
                instrument, page.state, [i.path for i in error.issues], locale=_lang()
            )
            if reopened is None:
                raise
            page = reopened
        else:
            db.session.commit()
            return redirect(
                url_for(".thanks", campaign_code=campaign.code, library_code=library.code), 303
            )
    return _render(page, campaign, library)


@bp.get("/s/<campaign_code>/<library_code>/thanks")
def thanks(campaign_code: str, library_code: str) -> str:
    """Thank the visitor (no lookup: the campaign may have closed in the meantime)."""
    return render_template("public/thanks.html")


@bp.get("/s/<campaign_code>/<library_code>/qr.svg")
def qr_code_svg(campaign_code: str, library_code: str) -> Response:
    """The QR code of the survey link, as SVG for posters."""
    return _qr(campaign_code, library_code, "svg")


@bp.get("/s/<campaign_code>/<library_code>/qr.png")
def qr_code_png(campaign_code: str, library_code: str) -> Response:
    """The QR code of the survey link, as PNG."""
    return _qr(campaign_code, library_code, "png")


def _qr(campaign_code: str, library_code: str, kind: str) -> Response:
    campaign, library = get_open_target(db.session, campaign_code, library_code)
    base = current_app.config.get("PUBLIC_BASE_URL") or request.host_url
    path = url_for(
        ".questionnaire", campaign_code=campaign.code, library_code=library.code, ch="qr"
    )
    url = base.rstrip("/") + path
    if kind == "svg":
        response = Response(qr_svg(url), mimetype="image/svg+xml")
    else:
        response = Response(qr_png(url), mimetype="image/png")
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    return response


def _render(page: Page, campaign: Campaign, library: Library) -> Response:
    response = Response(
        render_template("public/questionnaire.html", page=page, campaign=campaign, library=library),
        status=422 if page.has_errors else 200,
    )
    # pages carry answers and a CSRF token: never cache them (shared library PCs)
    response.cache_control.no_store = True
    return response
