"""Staff accounts, their roles and scopes, and the audit log."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from flask_login import UserMixin
from sqlalchemy import JSON
from sqlalchemy import CheckConstraint
from sqlalchemy import ForeignKey
from sqlalchemy import String
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from survey_app.models.base import Base
from survey_app.models.base import utcnow
from survey_app.models.library import Library
from survey_app.models.library import LibrarySystem


class Role(StrEnum):
    """What a staff member may do; the scope columns say where."""

    admin = "admin"  #: everything, everywhere
    methodologist = "methodologist"  #: instruments and campaigns, whole region
    quality_manager = "quality_manager"  #: results of the region or of one library system
    library_staff = "library_staff"  #: one library: its posters, kiosks and own results


class User(UserMixin, Base):
    """A staff account. Visitors never have one."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "NOT (system_id IS NOT NULL AND library_id IS NOT NULL)", name="one_scope_level"
        ),
        CheckConstraint(
            "role != 'library_staff' OR library_id IS NOT NULL", name="staff_have_a_library"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    #: argon2 hash (never the password)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(String(20))
    #: quality manager of one library system (None = whole region)
    system_id: Mapped[int | None] = mapped_column(ForeignKey("library_systems.id"))
    #: library staff: their library
    library_id: Mapped[int | None] = mapped_column(ForeignKey("libraries.id"))
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str] = mapped_column(String(5), default="ru")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    system: Mapped[LibrarySystem | None] = relationship()
    library: Mapped[Library | None] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active


class AuditEvent(Base):
    """Who did what and when (publish, open/close, users and scopes, imports, exclusions)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    #: None for the command line or the system itself
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    #: e.g. "instrument.publish", "campaign.open", "user.create", "import.responses"
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str] = mapped_column(String(200), default="")
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    actor: Mapped[User | None] = relationship()


class StaffSession(Base):
    """One signed-in staff session, known to the server: signing out deletes it.

    The cookie carries a random token; only its SHA-256 is stored here. Deactivating an
    account deletes all its sessions, so reactivating it revives none.
    """

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: SHA-256 (hex) of the token in the session cookie
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
