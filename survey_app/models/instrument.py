"""Instrument versions stored in the database (bundled or uploaded)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlalchemy import ForeignKey
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from survey_app.models.base import Base
from survey_app.models.base import utcnow


class InstrumentVersion(Base):
    """One version of an instrument; immutable once ``published_at`` is set."""

    __tablename__ = "instrument_versions"
    __table_args__ = (UniqueConstraint("instrument_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the instrument's id from its definition, e.g. "nok_culture"
    instrument_id: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int]
    #: content hash of the definition (instruments.Instrument.sha256)
    sha256: Mapped[str] = mapped_column(String(64))
    #: the YAML source, the single truth from which the instrument is loaded
    source: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(String(300))
    #: "yaml" or "xlsform": what the methodologist uploaded (the source is always YAML)
    source_format: Mapped[str] = mapped_column(String(10), default="yaml")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: set when published; a published version is never edited again
    published_at: Mapped[datetime | None]
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: item id -> "same" | "reworded" | "new" against the previous published version,
    #: recorded when publishing, so that trends compare like with like
    lineage: Mapped[dict[str, Any] | None] = mapped_column(JSON)
