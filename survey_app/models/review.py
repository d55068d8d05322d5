"""What the instrument review keeps (issue 13 §6): its charts and its bootstrap intervals,
cached with the report runs they were computed beside."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from survey_app.models.base import Base
from survey_app.models.base import utcnow


class ReviewCache(Base):
    """One chart (SVG) or the ω intervals (JSON) of the review of one instrument version.

    The review spans every campaign of the version, so a row belongs to the set of their
    latest finished report runs: ``key`` holds a digest of the caller's scope, of the state
    of the responses and of those runs' ids (a new run gives a new key), and ``run_id`` is
    the newest of them (deleting it deletes the row). A newer row of the same chart and
    scope replaces the older ones (:mod:`survey_app.services.review_cache`).
    """

    __tablename__ = "review_cache"
    __table_args__ = (UniqueConstraint("instrument_version_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instrument_version_id: Mapped[int] = mapped_column(
        ForeignKey("instrument_versions.id", ondelete="CASCADE")
    )
    run_id: Mapped[int] = mapped_column(ForeignKey("report_runs.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
