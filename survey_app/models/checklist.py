"""The NOK expert checklist: what experts counted in a library for a campaign (order 344n)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint
from sqlalchemy import ForeignKey
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from survey_app.models.base import Base
from survey_app.models.base import utcnow


class NokChecklist(Base):
    """One library's expert checklist counts in one campaign (the ``indices --checklist`` row).

    The columns are :data:`analysis.nok.CHECKLIST_COLUMNS`; see ``docs/nok-checklist.md``.
    """

    __tablename__ = "nok_checklists"
    __table_args__ = (
        UniqueConstraint("campaign_id", "library_id"),
        CheckConstraint(
            "stand_info_present >= 0 AND stand_info_required > 0 "
            "AND stand_info_present <= stand_info_required "
            "AND site_info_present >= 0 AND site_info_required > 0 "
            "AND site_info_present <= site_info_required "
            "AND remote_channels >= 0 AND comfort_conditions >= 0 "
            "AND premises_accessibility >= 0 AND service_accessibility >= 0",
            name="counts",
        ),
    )

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
    #: who entered it (None: the demo or the command line) and when
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    entered_at: Mapped[datetime] = mapped_column(default=utcnow)
