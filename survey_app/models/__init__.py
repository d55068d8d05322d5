"""All models; importing this module makes ``Base.metadata`` complete (Alembic relies on it)."""

from __future__ import annotations

from survey_app.models.base import Base
from survey_app.models.campaign import Campaign
from survey_app.models.campaign import CampaignStatus
from survey_app.models.campaign import Channel
from survey_app.models.campaign import campaign_libraries
from survey_app.models.credential import IntegrationToken
from survey_app.models.draft import SurveyDraft
from survey_app.models.instrument import InstrumentVersion
from survey_app.models.kiosk import KioskDevice
from survey_app.models.kiosk import KioskPairing
from survey_app.models.kiosk import KioskQuarantine
from survey_app.models.library import Library
from survey_app.models.library import LibrarySystem
from survey_app.models.library import LibraryType
from survey_app.models.library import Region
from survey_app.models.library import ServicePoint
from survey_app.models.library_report import NokChecklist
from survey_app.models.library_report import ReportCache
from survey_app.models.report import ReportResult
from survey_app.models.report import ReportRun
from survey_app.models.report import ResultLevel
from survey_app.models.report import RunStatus
from survey_app.models.response import Answer
from survey_app.models.response import Response
from survey_app.models.review import ReviewCache
from survey_app.models.staff import AuditEvent
from survey_app.models.staff import Role
from survey_app.models.staff import StaffSession
from survey_app.models.staff import User

__all__ = [
    "Answer",
    "AuditEvent",
    "Base",
    "Campaign",
    "CampaignStatus",
    "Channel",
    "InstrumentVersion",
    "KioskDevice",
    "KioskPairing",
    "KioskQuarantine",
    "IntegrationToken",
    "Library",
    "LibrarySystem",
    "LibraryType",
    "NokChecklist",
    "Region",
    "ReportCache",
    "ReportResult",
    "ReportRun",
    "ResultLevel",
    "Response",
    "ReviewCache",
    "Role",
    "RunStatus",
    "ServicePoint",
    "StaffSession",
    "SurveyDraft",
    "User",
    "campaign_libraries",
]
