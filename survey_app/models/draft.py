"""Unfinished web questionnaires, so that Back, reload and reopening the link lose nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlalchemy import ForeignKey
from sqlalchemy import String
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from survey_app.models.base import Base
from survey_app.models.base import utcnow


class SurveyDraft(Base):
    """One visitor's answers so far to one survey (campaign × library).

    Nothing personal: the row is found by the SHA-256 of a random token that only the
    visitor's session cookie holds, one token per survey, so drafts of two surveys cannot be
    linked.  Drafts expire (``DRAFT_LIFETIME_MINUTES``); a submitted draft keeps no answers.
    """

    __tablename__ = "survey_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: sha256 (hex) of the token in the visitor's session cookie
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id", ondelete="CASCADE"))
    #: the questionnaire state (SurveyState's fields, as its hidden-field encoding)
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: the last posted page that did not pass its checks, shown again with its errors
    pending: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: last change; drafts untouched for DRAFT_LIFETIME_MINUTES are gone
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    #: when the finished questionnaire was recorded; the draft can then no longer change
    submitted_at: Mapped[datetime | None]
