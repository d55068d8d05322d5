"""The library network: region -> library system -> library -> service point."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import ForeignKey
from sqlalchemy import String
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from survey_app.models.base import Base


class LibraryType(StrEnum):
    """Kinds of municipal library."""

    central = "central"
    branch = "branch"
    rural = "rural"
    children = "children"
    model = "model"  #: a "model public library" under the regional regulation


class Region(Base):
    """A region (e.g. the Kemerovo region) owning library systems."""

    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))

    systems: Mapped[list[LibrarySystem]] = relationship(back_populates="region")


class LibrarySystem(Base):
    """A municipal (centralised) library system: a city or a district."""

    __tablename__ = "library_systems"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)

    region: Mapped[Region] = relationship(back_populates="systems")
    libraries: Mapped[list[Library]] = relationship(back_populates="system")


class Library(Base):
    """One library (a building that serves visitors)."""

    __tablename__ = "libraries"

    id: Mapped[int] = mapped_column(primary_key=True)
    system_id: Mapped[int] = mapped_column(ForeignKey("library_systems.id"), index=True)
    #: short code used in public URLs: /s/<campaign>/<library>
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    type: Mapped[LibraryType] = mapped_column(String(20), default=LibraryType.branch)
    address: Mapped[str | None] = mapped_column(String(300))
    population_served: Mapped[int | None]
    opening_hours: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)

    system: Mapped[LibrarySystem] = relationship(back_populates="libraries")
    service_points: Mapped[list[ServicePoint]] = relationship(back_populates="library")


class ServicePoint(Base):
    """A desk or department inside a library (lending, reading room, children's room)."""

    __tablename__ = "service_points"
    __table_args__ = (UniqueConstraint("library_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)

    library: Mapped[Library] = relationship(back_populates="service_points")
