"""Credentials that may write responses through the API: integration tokens.

Kiosk tablets have their own device tokens (``kd_``, :mod:`survey_app.services.kiosks`);
both are checked by :func:`survey_app.services.credentials.authenticate`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint
from sqlalchemy import ForeignKey
from sqlalchemy import String
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from survey_app.models.base import Base
from survey_app.models.base import utcnow
from survey_app.models.campaign import Campaign
from survey_app.models.campaign import Channel
from survey_app.models.library import Library
from survey_app.models.library import LibrarySystem
from survey_app.models.staff import User


class IntegrationToken(Base):
    """An administrator's token for other software (a paper import, a web import...).

    Writes responses of one fixed channel, for one campaign or any, in a scope (the whole
    region, one library system or one library). Only the SHA-256 of the secret is stored; the
    secret is shown once when it is issued. A revoked token is kept (responses name it).
    """

    __tablename__ = "integration_tokens"
    __table_args__ = (
        CheckConstraint(
            "NOT (system_id IS NOT NULL AND library_id IS NOT NULL)", name="one_scope_level"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: what it is for, e.g. "Ввод бумажных анкет ЦБС Кемерово"
    name: Mapped[str] = mapped_column(String(200))
    #: sha256 (hex) of the whole token ``it_...``
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    #: the first characters of the token (``it_AbC12``), to recognise it in lists
    hint: Mapped[str] = mapped_column(String(16))
    #: the channel every response it writes is recorded with
    channel: Mapped[Channel] = mapped_column(String(10))
    #: the one campaign it may write to (None = any open campaign that takes the channel)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    #: scope: one library system, one library, or neither = the whole region
    system_id: Mapped[int | None] = mapped_column(ForeignKey("library_systems.id"))
    library_id: Mapped[int | None] = mapped_column(ForeignKey("libraries.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: when it was revoked (None = valid); a revoked token is refused at once
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    campaign: Mapped[Campaign | None] = relationship()
    system: Mapped[LibrarySystem | None] = relationship()
    library: Mapped[Library | None] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])

    @property
    def active(self) -> bool:
        """Whether the token is still accepted."""
        return self.revoked_at is None
