"""Use cases of the visitor web survey: open it, record the finished form.

Recording goes through :func:`survey_app.services.responses.record`, the same
service the JSON API and the kiosks use, so the rules cannot drift between channels.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from instruments import Instrument
from survey_app.models import Campaign
from survey_app.models import CampaignStatus
from survey_app.models import Library
from survey_app.models import Response
from survey_app.models import ServicePoint
from survey_app.services.errors import Conflict
from survey_app.services.errors import Gone
from survey_app.services.errors import NotFound
from survey_app.services.instruments import instrument_of
from survey_app.services.responses import Receipt
from survey_app.services.responses import get_open_target
from survey_app.services.responses import parse_submission
from survey_app.services.responses import record


def open_survey(
    session: Session,
    campaign_code: str,
    library_code: str,
    channel: str | None = None,
    service_point: str | None = None,
) -> tuple[Campaign, Library, Instrument]:
    """Return the open campaign, its library and instrument for a visitor.

    Raises
    ------
    Gone
        the campaign has closed (its link says the survey has ended).
    NotFound
        unknown campaign or library, library not in it, ``channel`` not accepted by it, or
        a ``service_point`` (from a service point's poster) that the library does not have.
    """
    campaign, library = survey_target(session, campaign_code, library_code)
    if channel is not None and channel not in campaign.channels:
        raise NotFound("This survey is not offered online.")
    if service_point is not None:
        known = session.scalar(
            select(ServicePoint.id).filter_by(
                library_id=library.id, code=service_point, active=True
            )
        )
        if known is None:
            raise NotFound("This library has no such service point.")
    return campaign, library, instrument_of(campaign.instrument_version)


def survey_target(
    session: Session, campaign_code: str, library_code: str
) -> tuple[Campaign, Library]:
    """The open campaign and library of a survey link, saying why when there is none.

    Raises
    ------
    Gone
        the campaign has closed.
    NotFound
        no campaign or no library has the code, or the library is not in the campaign.
    """
    try:
        return get_open_target(session, campaign_code, library_code)
    except NotFound:
        status = session.scalar(select(Campaign.status).filter_by(code=campaign_code))
        if status == CampaignStatus.closed:
            raise Gone("This survey has ended.") from None
        if (
            status is not None
            and session.scalar(select(Library.id).filter_by(code=library_code)) is None
        ):
            raise NotFound("There is no library with this code.") from None
        raise


def submit_web_response(session: Session, payload: Mapping[str, Any]) -> Receipt:
    """Record a finished web questionnaire (a JSON submission, as the API takes it).

    A form sent twice (a double tap, a reload of the last page) carries the same client
    UUID; the second delivery gets the first one's receipt, even when the visitor changed an
    answer in between, instead of the API's 409.

    Raises
    ------
    Invalid
        the answers do not fit the questionnaire (every problem listed).
    NotFound
        the campaign closed or the library left it.
    """
    submission = parse_submission(payload)
    stored = _stored(session, submission.id, submission.campaign)
    if stored is not None:
        return stored
    try:
        return record(session, submission, commit=False)
    except Conflict:
        # another request with this id won the race between our check and our insert
        stored = _stored(session, submission.id, submission.campaign)
        if stored is None:
            raise
        return stored


def _stored(session: Session, response_id: uuid.UUID, campaign_code: str) -> Receipt | None:
    row = session.execute(
        select(Response.received_at, Campaign.code)
        .join(Campaign, Response.campaign_id == Campaign.id)
        .where(Response.client_uuid == response_id)
    ).first()
    if row is None:
        return None
    if row.code != campaign_code:
        raise Conflict("A different response with this id is already stored.")
    return Receipt(id=response_id, received_at=row.received_at, created=False)
