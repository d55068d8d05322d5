"""Drafts of web questionnaires: the answers so far, kept server-side for a few hours.

A draft is found by a random token that only the visitor's session cookie holds (the
database keeps its SHA-256), one token per survey, so nothing links one visitor's surveys.
Drafts untouched for the configured lifetime are treated as gone and deleted when the next
draft is created.  A submitted draft keeps no answers and can no longer change; the final
response is recorded by :func:`survey_app.services.survey_flow.submit_web_response`.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from datetime import datetime
from datetime import timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey_app.models import Campaign
from survey_app.models import Library
from survey_app.models import SurveyDraft


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def find_draft(
    session: Session,
    token: str | None,
    campaign: Campaign,
    library: Library,
    *,
    now: datetime,
    lifetime: timedelta,
) -> SurveyDraft | None:
    """Return the live draft of ``token`` for this survey, or None (unknown or expired)."""
    if not token:
        return None
    return session.scalar(
        select(SurveyDraft).where(
            SurveyDraft.token_sha256 == _digest(token),
            SurveyDraft.campaign_id == campaign.id,
            SurveyDraft.library_id == library.id,
            SurveyDraft.updated_at >= now - lifetime,
        )
    )


def create_draft(
    session: Session,
    campaign: Campaign,
    library: Library,
    state: Mapping[str, Any],
    *,
    now: datetime,
    lifetime: timedelta,
) -> tuple[str, SurveyDraft]:
    """Store a new draft; return its token (for the cookie only) and the row.

    Expired drafts of every survey are deleted on the way.
    """
    session.execute(delete(SurveyDraft).where(SurveyDraft.updated_at < now - lifetime))
    token = secrets.token_urlsafe(32)
    draft = SurveyDraft(
        token_sha256=_digest(token),
        campaign_id=campaign.id,
        library_id=library.id,
        state=dict(state),
        created_at=now,
        updated_at=now,
    )
    session.add(draft)
    session.flush()
    return token, draft


def save_draft(
    session: Session,
    draft: SurveyDraft,
    state: Mapping[str, Any],
    *,
    now: datetime,
    pending: Mapping[str, Any] | None = None,
) -> None:
    """Replace the draft's state (and the page shown again with its errors, if any)."""
    if draft.submitted_at is not None:
        raise ValueError("a submitted draft cannot change")
    draft.state = dict(state)
    draft.pending = None if pending is None else dict(pending)
    draft.updated_at = now
    session.flush()


def discard_draft(session: Session, draft: SurveyDraft) -> None:
    """Delete a draft (the visitor chose to start again)."""
    session.delete(draft)
    session.flush()


def close_draft(session: Session, draft: SurveyDraft, *, now: datetime) -> None:
    """Mark the draft submitted and forget its answers."""
    draft.state = {}
    draft.pending = None
    draft.submitted_at = now
    draft.updated_at = now
    session.flush()
