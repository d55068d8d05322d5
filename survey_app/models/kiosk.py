"""Kiosk tablets: a paired device per library desk, its pairing codes and quarantined items."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlalchemy import ForeignKey
from sqlalchemy import String
from sqlalchemy import UniqueConstraint
from sqlalchemy import Uuid
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from survey_app.models.base import Base
from survey_app.models.base import utcnow
from survey_app.models.campaign import Campaign
from survey_app.models.library import Library
from survey_app.models.library import ServicePoint


class KioskDevice(Base):
    """A tablet at a library desk that collects responses for one campaign.

    Its credential is a long-lived device token; only its SHA-256 is stored. A revoked
    device is refused at once. What the tablet reports with each heartbeat is kept here for
    the fleet page; nothing about visitors.
    """

    __tablename__ = "kiosk_devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: shown to staff and stored on each response's ``device_id``
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id"), index=True)
    service_point_id: Mapped[int | None] = mapped_column(ForeignKey("service_points.id"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    #: SHA-256 (hex) of the device token; None until the first pairing completes
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: staff PIN for the tablet's settings screen: PBKDF2-SHA256 (base64 salt and hash)
    pin_salt: Mapped[str | None] = mapped_column(String(64))
    pin_hash: Mapped[str | None] = mapped_column(String(128))
    pin_iterations: Mapped[int | None]
    #: weekly opening hours {"mon": [["09:00", "19:00"]], ...}; None = always open
    opening_hours: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    paired_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    #: from the heartbeats
    last_contact_at: Mapped[datetime | None]
    app_version: Mapped[str | None] = mapped_column(String(64))
    instrument: Mapped[str | None] = mapped_column(String(100))
    queue_depth: Mapped[int | None]
    oldest_unsent_at: Mapped[datetime | None]
    #: the last client submission times (ISO, newest last) for the interval and burst checks
    recent_submits: Mapped[list[str] | None] = mapped_column(JSON)

    library: Mapped[Library] = relationship()
    service_point: Mapped[ServicePoint | None] = relationship()
    campaign: Mapped[Campaign] = relationship()

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


class KioskPairing(Base):
    """A one-time pairing code (hashed), valid for a short time."""

    __tablename__ = "kiosk_pairings"

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(
        ForeignKey("kiosk_devices.id", ondelete="CASCADE"), index=True
    )
    #: SHA-256 (hex) of the normalised code
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    device: Mapped[KioskDevice] = relationship()


class KioskQuarantine(Base):
    """An item a kiosk sent that the server refused (conflict or rejected): counted, kept."""

    __tablename__ = "kiosk_quarantine"
    __table_args__ = (UniqueConstraint("device_id", "client_uuid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("kiosk_devices.id", ondelete="CASCADE"))
    client_uuid: Mapped[uuid.UUID] = mapped_column(Uuid)
    status: Mapped[str] = mapped_column(String(10))
    code: Mapped[str | None] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(default=utcnow)
