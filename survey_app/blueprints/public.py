"""Public pages for visitors: the survey a QR poster links to, its QR code, the thank-you page.

Privacy: nothing that identifies a visitor is stored: no IP address, no account, no tracking
cookie.  The only cookie is Flask's session cookie, which holds the CSRF token, the chosen
language and, per survey opened, a random token of its draft (a new one for every survey,
so nothing links them); the answers so far are kept server-side in that draft
(:mod:`survey_app.services.drafts`) for ``DRAFT_LIFETIME_MINUTES``.

Every page is a GET (``/s/<campaign>/<library>/p/<section>``); a posted page is kept in the
draft and answered with a redirect (POST-redirect-GET), so Back and reload show the page
with its answers instead of a "confirm form resubmission" prompt.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from datetime import timedelta
from random import SystemRandom
from typing import Any

from flask import Blueprint
from flask import Response
from flask import abort
from flask import current_app
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import refresh
from werkzeug.exceptions import TooManyRequests
from werkzeug.wrappers import Response as BaseResponse

from instruments import Instrument
from instruments import draw_lite_items
from kiosk.qr import qr_png
from kiosk.qr import qr_svg
from survey_app import client_limits
from survey_app.extensions import db
from survey_app.forms.flow import Page
from survey_app.forms.flow import SurveyState
from survey_app.forms.flow import advance
from survey_app.forms.flow import posted_page
from survey_app.forms.flow import reachable
from survey_app.forms.flow import reopen
from survey_app.forms.flow import show
from survey_app.forms.flow import start
from survey_app.forms.questionnaire import formdata_of
from survey_app.models import Campaign
from survey_app.models import Library
from survey_app.models import SurveyDraft
from survey_app.models.base import utcnow
from survey_app.services.bursts import BurstRule
from survey_app.services.drafts import close_draft
from survey_app.services.drafts import create_draft
from survey_app.services.drafts import discard_draft
from survey_app.services.drafts import find_draft
from survey_app.services.drafts import save_draft
from survey_app.services.errors import Invalid
from survey_app.services.survey_flow import TamperedForm
from survey_app.services.survey_flow import check_page
from survey_app.services.survey_flow import open_survey
from survey_app.services.survey_flow import sign_page
from survey_app.services.survey_flow import submit_web_response
from survey_app.services.survey_flow import survey_target

bp = Blueprint("public", __name__)

#: session key of {"<campaign>/<library>": draft token}: one random token per survey
DRAFTS_KEY = "drafts"
#: drafts remembered by one browser (the oldest is forgotten first)
MAX_DRAFTS_IN_COOKIE = 5
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


@bp.get("/")
def start_page() -> str:
    """The site's front page: how visitors reach a survey, and the way in for staff."""
    return render_template("public/start.html")


def _link_channel(asked: str | None) -> str:
    """The channel a survey link records: ``qr`` from the poster's code, else ``web``.

    A link cannot claim the kiosk or paper channels: those answers come only from an enrolled
    tablet or the paper import, so that nobody can pass a phone's answers off as a kiosk's.
    """
    if asked in (None, "", "web", "qr"):
        return asked or "web"
    if asked == "kiosk":
        abort(400, description=_("Kiosk answers come only from an enrolled kiosk tablet."))
    abort(400, description=_("A survey link has no channel %(channel)s.", channel=asked[:20]))


@bp.get("/s/<campaign_code>/<library_code>")
def questionnaire(campaign_code: str, library_code: str) -> ResponseReturnValue:
    """Where the QR code and the poster link lead: start, or offer to continue a draft."""
    _lang()  # a ?lang= on the link is remembered in the session for the pages that follow
    channel = _link_channel(request.args.get("ch"))
    point = request.args.get("sp") or None
    campaign, library, instrument = open_survey(
        db.session, campaign_code, library_code, channel, point
    )
    now = utcnow()
    draft = _draft(campaign, library, now)
    if draft is not None and draft.submitted_at is None:
        state = SurveyState.decode(draft.state, instrument)
        if state.timings:  # at least one page answered: ask
            return _no_store(
                render_template(
                    "public/resume.html",
                    campaign=campaign,
                    library=library,
                    survey_title=instrument.title.get(_lang()) or instrument.title["ru"],
                )
            )
        return _to_page(campaign, library, state.section)
    state = _new_state(instrument, campaign, channel, point, now)
    _create_draft(campaign, library, state, now)
    db.session.commit()
    return _to_page(campaign, library, state.section)


@bp.post("/s/<campaign_code>/<library_code>/resume")
def resume(campaign_code: str, library_code: str) -> ResponseReturnValue:
    """ "Continue where you left off" or "Start again"."""
    campaign, library, instrument = open_survey(db.session, campaign_code, library_code)
    now = utcnow()
    draft = _draft(campaign, library, now)
    if draft is None or draft.submitted_at is not None:
        return _to_start(campaign, library)
    state = SurveyState.decode(draft.state, instrument)
    if request.form.get("choice") == "restart":
        discard_draft(db.session, draft)
        state = _new_state(instrument, campaign, state.channel, state.service_point, now)
        _create_draft(campaign, library, state, now)
    else:
        # the break is not time spent on the page
        state = replace(state, shown_at=now)
        save_draft(db.session, draft, dict(state.hidden_data()), now=now, pending=draft.pending)
    db.session.commit()
    return _to_page(campaign, library, state.section)


@bp.get("/s/<campaign_code>/<library_code>/p/<section_id>")
def page(campaign_code: str, library_code: str, section_id: str) -> ResponseReturnValue:
    """Show one page with the answers given so far (Back and reload land here)."""
    campaign, library, instrument = open_survey(db.session, campaign_code, library_code)
    draft = _draft(campaign, library, utcnow())
    if draft is None:
        return _to_start(campaign, library)
    if draft.submitted_at is not None:
        return _to_thanks(campaign, library, sent=True)
    state = SurveyState.decode(draft.state, instrument)
    if section_id not in reachable(instrument, state):
        return _to_page(campaign, library, state.section)
    pending = draft.pending
    if pending is not None and pending.get("section") == section_id:
        # the page as last posted, with its errors (a reload shows them again)
        shown = advance(
            instrument,
            posted_page(state, section_id, [tuple(pair) for pair in pending["data"]]),
            locale=_lang(),
            now=state.shown_at,
        )
    else:
        shown = show(instrument, state, section_id, locale=_lang())
    return _render(shown, campaign, library, draft)


@bp.post("/s/<campaign_code>/<library_code>/p/<section_id>")
def page_post(campaign_code: str, library_code: str, section_id: str) -> ResponseReturnValue:
    """Take one page, keep it in the draft and redirect to the page to show next.

    After the last page the response is recorded and the visitor thanked; a submitted
    draft can no longer change.
    """
    _limit(
        "web-page",
        "WEB_PAGE_RATE_LIMIT",
        _("Too many pages were sent from this address in a short time. Please wait a minute."),
    )
    campaign, library, instrument = open_survey(db.session, campaign_code, library_code)
    now = utcnow()
    draft = _draft(campaign, library, now)
    if draft is None:
        return _to_start(campaign, library)
    if draft.submitted_at is not None:
        return _to_thanks(campaign, library, sent=True)
    _check_signed_page(campaign, library, draft, section_id)
    state = SurveyState.decode(draft.state, instrument)
    if section_id not in reachable(instrument, state):
        return _to_page(campaign, library, state.section)
    posted = [(k, v) for k, v in request.form.items(multi=True) if k not in ("csrf_token", "nav")]
    nav = request.form.get("nav", "next")
    result = advance(
        instrument,
        posted_page(state, section_id, [*posted, ("nav", nav)]),
        locale=_lang(),
        now=now,
    )
    if result.complete:
        wait = client_limits.hit("web-submit", "WEB_SUBMIT_RATE_LIMIT")
        if wait is not None:
            _keep(draft, result, now)  # the answers stay in the draft: sending again works
            raise TooManyRequests(
                _(
                    "Many questionnaires were sent from this address in a short time. Your "
                    "answers are kept: please send them again in a few minutes."
                ),
                retry_after=wait,
            )
        try:
            submit_web_response(
                db.session,
                result.state.submission(campaign.code, library.code, now),
                burst=_burst_rule(),
            )
        except Invalid as error:
            reopened = reopen(
                instrument, result.state, [i.path for i in error.issues], locale=_lang()
            )
            if reopened is None:
                raise
            db.session.rollback()
            draft = _draft(campaign, library, now)
            assert draft is not None
            _keep(draft, reopened, now, pending=_pending(reopened))
            return _to_page(campaign, library, reopened.page_id)
        close_draft(db.session, draft, now=now)
        db.session.commit()
        return _to_thanks(campaign, library)
    if result.has_errors:
        _keep(draft, result, now, pending={"section": section_id, "data": posted})
    else:
        _keep(draft, result, now)
    return _to_page(campaign, library, result.page_id)


@bp.get("/s/<campaign_code>/<library_code>/thanks")
def thanks(campaign_code: str, library_code: str) -> str:
    """Thank the visitor (no lookup: the campaign may have closed in the meantime)."""
    return render_template("public/thanks.html", sent=request.args.get("sent") == "1")


@bp.get("/s/<campaign_code>/<library_code>/qr.svg")
def qr_code_svg(campaign_code: str, library_code: str) -> Response:
    """The QR code of the survey link, as SVG for posters."""
    return _qr(campaign_code, library_code, "svg")


@bp.get("/s/<campaign_code>/<library_code>/qr.png")
def qr_code_png(campaign_code: str, library_code: str) -> Response:
    """The QR code of the survey link, as PNG."""
    return _qr(campaign_code, library_code, "png")


def _qr(campaign_code: str, library_code: str, kind: str) -> Response:
    campaign, library = survey_target(db.session, campaign_code, library_code)
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


def _limit(kind: str, setting: str, message: str) -> None:
    """Answer 429 (with Retry-After) when this client is over the limit ``setting``."""
    wait = client_limits.hit(kind, setting)
    if wait is not None:
        raise TooManyRequests(message, retry_after=wait)


def _burst_rule() -> BurstRule:
    config = current_app.config
    return BurstRule(
        responses=int(config["WEB_BURST_RESPONSES"]),
        window=timedelta(seconds=float(config["WEB_BURST_WINDOW_SECONDS"])),
    )


def _lifetime() -> timedelta:
    return timedelta(minutes=float(current_app.config["DRAFT_LIFETIME_MINUTES"]))


def _key(campaign: Campaign, library: Library) -> str:
    return f"{campaign.code}/{library.code}"


def _draft(campaign: Campaign, library: Library, now: datetime) -> SurveyDraft | None:
    """The live draft whose token this browser's session holds for this survey."""
    tokens = session.get(DRAFTS_KEY) or {}
    token = tokens.get(_key(campaign, library)) if isinstance(tokens, dict) else None
    return find_draft(db.session, token, campaign, library, now=now, lifetime=_lifetime())


def _create_draft(campaign: Campaign, library: Library, state: SurveyState, now: datetime) -> None:
    token, _row = create_draft(
        db.session, campaign, library, dict(state.hidden_data()), now=now, lifetime=_lifetime()
    )
    tokens = session.get(DRAFTS_KEY)
    tokens = dict(tokens) if isinstance(tokens, dict) else {}
    tokens.pop(_key(campaign, library), None)
    tokens[_key(campaign, library)] = token
    # a handful of surveys at most: the cookie stays small
    session[DRAFTS_KEY] = dict(list(tokens.items())[-MAX_DRAFTS_IN_COOKIE:])


def _new_state(
    instrument: Instrument,
    campaign: Campaign,
    channel: str,
    point: str | None,
    now: datetime,
) -> SurveyState:
    # Lite or full form for a new visitor: Lite in the campaign's share
    lite = draw_lite_items(instrument, _rng, share=campaign.lite_share)
    first = start(
        instrument,
        channel=channel,
        lite_items=lite,
        locale=_lang(),
        now=now,
        service_point=point,
    )
    return first.state


def _pending(page: Page) -> dict[str, Any]:
    """The fields of ``page`` as if posted again (so its errors are shown on the GET)."""
    return {"section": page.page_id, "data": formdata_of(page.items, page.state.answers)}


def _keep(
    draft: SurveyDraft, page: Page, now: datetime, pending: dict[str, Any] | None = None
) -> None:
    state = replace(page.state, section=page.page_id)
    save_draft(db.session, draft, dict(state.hidden_data()), now=now, pending=pending)
    db.session.commit()


def _to_page(campaign: Campaign, library: Library, section_id: str) -> BaseResponse:
    return redirect(
        url_for(
            ".page",
            campaign_code=campaign.code,
            library_code=library.code,
            section_id=section_id,
        ),
        303,
    )


def _to_start(campaign: Campaign, library: Library) -> BaseResponse:
    return redirect(
        url_for(".questionnaire", campaign_code=campaign.code, library_code=library.code), 303
    )


def _to_thanks(campaign: Campaign, library: Library, *, sent: bool = False) -> BaseResponse:
    url = url_for(".thanks", campaign_code=campaign.code, library_code=library.code)
    return redirect(url + ("?sent=1" if sent else ""), 303)


def _no_store(body: str, status: int = 200) -> Response:
    response = Response(body, status=status)
    # pages carry answers and a CSRF token: never cache them (shared library PCs); Back and
    # reload still work, as every page is a GET
    response.cache_control.no_store = True
    return response


def _render(page: Page, campaign: Campaign, library: Library, draft: SurveyDraft) -> Response:
    signed = sign_page(
        current_app.config["SECRET_KEY"], campaign.code, library.code, draft.id, page.page_id
    )
    return _no_store(
        render_template(
            "public/questionnaire.html",
            page=page,
            campaign=campaign,
            library=library,
            signed_page=signed,
        ),
        status=422 if page.has_errors else 200,
    )


def _check_signed_page(
    campaign: Campaign, library: Library, draft: SurveyDraft, section_id: str
) -> None:
    """Refuse (400, in the visitor's language) a page whose signed ``s-page`` is missing,
    altered, expired or was made for another survey, draft or page."""
    try:
        check_page(
            current_app.config["SECRET_KEY"],
            request.form.get("s-page"),
            campaign=campaign.code,
            library=library.code,
            draft_id=draft.id,
            section=section_id,
            max_age_seconds=_lifetime().total_seconds(),
        )
    except TamperedForm:
        abort(
            400, description=_("This form is damaged or out of date. Please open the survey again.")
        )
