"""Campaigns: an instrument version asked in some libraries over a period."""

from __future__ import annotations

from datetime import date
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON
from sqlalchemy import CheckConstraint
from sqlalchemy import Column
from sqlalchemy import ForeignKey
from sqlalchemy import String
from sqlalchemy import Table
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from survey_app.models.base import Base
from survey_app.models.base import utcnow
from survey_app.models.instrument import InstrumentVersion
from survey_app.models.library import Library


class Channel(StrEnum):
    """How a response reached us."""

    web = "web"
    qr = "qr"
    kiosk = "kiosk"
    paper = "paper"


class CampaignStatus(StrEnum):
    """Whether a campaign accepts responses."""

    draft = "draft"
    open = "open"
    closed = "closed"


campaign_libraries = Table(
    "campaign_libraries",
    Base.metadata,
    Column("campaign_id", ForeignKey("campaigns.id"), primary_key=True),
    Column("library_id", ForeignKey("libraries.id"), primary_key=True, index=True),
)


class Campaign(Base):
    """An instrument version × libraries × period × channels."""

    __tablename__ = "campaigns"
    __table_args__ = (
        CheckConstraint("lite_share >= 0 AND lite_share <= 1", name="lite_share_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: short code used in public URLs: /s/<campaign>/<library>
    code: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    instrument_version_id: Mapped[int] = mapped_column(ForeignKey("instrument_versions.id"))
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]
    #: list of accepted Channel values
    channels: Mapped[list[str]] = mapped_column(JSON, default=lambda: [c.value for c in Channel])
    status: Mapped[CampaignStatus] = mapped_column(String(10), default=CampaignStatus.open)
    #: share of respondents given the Lite form of a gap battery (0 = everyone gets the full form)
    lite_share: Mapped[float] = mapped_column(default=0.0)
    #: kiosk sessions abandoned midway: "discard" them or "keep" the answered part
    partial_policy: Mapped[str] = mapped_column(String(10), default="discard")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    instrument_version: Mapped[InstrumentVersion] = relationship()
    libraries: Mapped[list[Library]] = relationship(secondary=campaign_libraries)
