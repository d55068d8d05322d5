"""Bursts of web responses for one library: flagged for screening, never dropped.

Many web (or QR) responses for one library of one campaign within a short window are what
ballot stuffing looks like from the server (one person filling the form again and again, or a
script through many addresses). The rule is configurable (``WEB_BURST_RESPONSES`` within
``WEB_BURST_WINDOW_SECONDS``). When a new web response makes the count reach the threshold,
it and every other web response of that library in the window carry the ``burst`` flag
(``responses.flags``): they stay stored and counted, the results show them as flagged and
analysts can compare the figures with and without them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

from survey_app.models import Campaign
from survey_app.models import Channel
from survey_app.models import Library
from survey_app.models import Response

#: the flag reason code (survey_app.services.responses.FLAG_CODES)
BURST = "burst"
#: the channels of the anonymous web form
WEB_CHANNELS = (Channel.web.value, Channel.qr.value)


@dataclass(frozen=True, slots=True)
class BurstRule:
    """``responses`` or more web responses for one library within ``window`` are a burst."""

    responses: int
    window: timedelta

    @property
    def active(self) -> bool:
        """A rule of fewer than 2 responses or an empty window flags nothing."""
        return self.responses >= 2 and self.window > timedelta(0)


def web_burst_flags(
    session: Session, campaign_code: str, library_code: str, *, now: datetime, rule: BurstRule
) -> list[str]:
    """The flags for a new web response to this campaign and library: ``["burst"]`` when it
    completes a burst (then the earlier responses of the window are flagged too), else []."""
    if not rule.active:
        return []
    recent = session.execute(
        select(Response.id, Response.flags)
        .join(Campaign, Campaign.id == Response.campaign_id)
        .join(Library, Library.id == Response.library_id)
        .where(
            Campaign.code == campaign_code,
            Library.code == library_code,
            Response.channel.in_(WEB_CHANNELS),
            Response.received_at >= now - rule.window,
        )
    ).all()
    if len(recent) + 1 < rule.responses:
        return []
    for row in recent:
        flags = list(row.flags or [])
        if BURST not in flags:
            session.execute(
                update(Response).where(Response.id == row.id).values(flags=sorted({*flags, BURST}))
            )
    return [BURST]
