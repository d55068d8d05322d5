"""What the library page keeps: the NOK expert checklist of a campaign's libraries, and the
page's computed content and charts cached with the report run they belong to."""

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


class NokChecklist(Base):
    """The expert counts of one library in one campaign (``docs/nok-checklist.md``)."""

    __tablename__ = "nok_checklists"
    __table_args__ = (UniqueConstraint("campaign_id", "library_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id", ondelete="CASCADE"))
    stand_info_present: Mapped[int]
    stand_info_required: Mapped[int]
    site_info_present: Mapped[int]
    site_info_required: Mapped[int]
    remote_channels: Mapped[int]
    comfort_conditions: Mapped[int]
    premises_accessibility: Mapped[int]
    service_accessibility: Mapped[int]
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReportCache(Base):
    """A library page's content (``key`` ``page``, JSON) or one chart (``chart:<name>``, SVG)
    computed from a report run; deleted with the run."""

    __tablename__ = "report_cache"
    __table_args__ = (UniqueConstraint("run_id", "library_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("report_runs.id", ondelete="CASCADE"))
    library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
