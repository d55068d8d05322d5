"""Report runs: the stored result of analysing one campaign, computed in the background."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON
from sqlalchemy import CheckConstraint
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from survey_app.models.base import Base
from survey_app.models.base import utcnow
from survey_app.models.campaign import Campaign
from survey_app.models.instrument import InstrumentVersion


class RunStatus(StrEnum):
    """Where a report run is in its life."""

    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class ResultLevel(StrEnum):
    """Which unit a result row describes."""

    library = "library"
    system = "system"
    region = "region"


class ReportRun(Base):
    """One analysis of a campaign: what went in, when, and how it ended.

    Pages read the latest run whose status is ``done``; a failed run keeps its error and
    leaves the earlier results in place.
    """

    __tablename__ = "report_runs"
    __table_args__ = (
        CheckConstraint("progress >= 0 AND progress <= 1", name="progress_range"),
        Index("ix_report_runs_campaign_status", "campaign_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    instrument_version_id: Mapped[int] = mapped_column(ForeignKey("instrument_versions.id"))
    #: the regional standard held against (id and version), None when none applied
    standard_id: Mapped[str | None] = mapped_column(String(100))
    standard_version: Mapped[str | None] = mapped_column(String(50))
    #: responses left out by quality control when the run was computed
    exclusions_applied: Mapped[int] = mapped_column(default=0)
    #: the application version that computed it
    code_version: Mapped[str] = mapped_column(String(50), default="")
    status: Mapped[RunStatus] = mapped_column(String(10), default=RunStatus.queued)
    #: 0..1, updated while the run streams the responses
    progress: Mapped[float] = mapped_column(default=0.0)
    #: the one-line error of a failed run
    error: Mapped[str | None] = mapped_column(Text)
    #: what the analysis said it could not compute (reporting's notes)
    notes: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: the indicator the pages show first (the instrument's main index)
    main_indicator: Mapped[str | None] = mapped_column(String(200))
    responses_counted: Mapped[int | None]
    libraries_counted: Mapped[int | None]
    #: who asked for it (None: the nightly task, the demo or the command line)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    campaign: Mapped[Campaign] = relationship()
    instrument_version: Mapped[InstrumentVersion] = relationship()


class ReportResult(Base):
    """One indicator of one unit (library, system, region) in a report run."""

    __tablename__ = "report_results"
    __table_args__ = (
        Index("ix_report_results_run_indicator", "run_id", "indicator"),
        Index("ix_report_results_run_library", "run_id", "library_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("report_runs.id", ondelete="CASCADE"))
    level: Mapped[ResultLevel] = mapped_column(String(10), default=ResultLevel.library)
    library_id: Mapped[int | None] = mapped_column(ForeignKey("libraries.id", ondelete="CASCADE"))
    system_id: Mapped[int | None] = mapped_column(
        ForeignKey("library_systems.id", ondelete="CASCADE")
    )
    #: reporting's indicator name: ``scale:<id>``, ``share_satisfied:<key>``, ``nok:total`` ...
    indicator: Mapped[str] = mapped_column(String(200))
    estimate: Mapped[float | None]
    ci_low: Mapped[float | None]
    ci_high: Mapped[float | None]
    n: Mapped[int] = mapped_column(default=0)
    #: meets / below / indeterminate / insufficient data (None: the standard names no target)
    verdict: Mapped[str | None] = mapped_column(String(20))
    target: Mapped[float | None]
    #: empirical-Bayes estimate and its interval, where reporting shrinks this indicator
    shrunken: Mapped[float | None]
    shrunken_low: Mapped[float | None]
    shrunken_high: Mapped[float | None]
    rank: Mapped[float | None]
    rank_low: Mapped[float | None]
    rank_high: Mapped[float | None]
    #: why the value is missing (e.g. a reliability that could not be computed)
    note: Mapped[str | None] = mapped_column(Text)
    #: anything else reporting gave for the row (kept as it came)
    extra: Mapped[dict[str, Any] | None] = mapped_column(JSON)
