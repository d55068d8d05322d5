"""Quality control of responses, and the read side of the scoped results pages.

Staff allowed to (``Action.exclude_responses``) may exclude a response from analysis with a
reason, and restore it later. An excluded response is **kept**: ``Response.excluded_at`` is
set (with ``excluded_reason`` and ``excluded_by_id``); exports leave it out unless asked,
and reports filter on ``responses.excluded_at IS NULL``. Every exclusion and restoration is
in the audit log (``response.exclude`` / ``response.restore``, with the reason), which is
where the history lives: restoring clears the three columns.

Scope: a response is reached through its library. One outside the caller's scope is
reported exactly like one that does not exist (:class:`NotFound`), as in
:mod:`survey_app.services.scope`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from instruments import Instrument
from survey_app.models import Answer
from survey_app.models import Campaign
from survey_app.models import InstrumentVersion
from survey_app.models import Library
from survey_app.models import Response
from survey_app.models import Role
from survey_app.models import ServicePoint
from survey_app.models import User
from survey_app.models.base import utcnow
from survey_app.services import audit
from survey_app.services.errors import Conflict
from survey_app.services.errors import Invalid
from survey_app.services.errors import Issue
from survey_app.services.errors import NotFound
from survey_app.services.exports import Cell
from survey_app.services.exports import export_rows
from survey_app.services.exports import has_lite_form
from survey_app.services.exports import wide_columns
from survey_app.services.instruments import instrument_of
from survey_app.services.scope import Action
from survey_app.services.scope import campaigns_in_scope
from survey_app.services.scope import in_scope
from survey_app.services.scope import library_ids_in_scope
from survey_app.services.scope import library_scope_clause
from survey_app.services.scope import require
from survey_app.services.scope import require_campaign
from survey_app.services.scope import require_library

__all__ = [
    "MAX_REASON_LENGTH",
    "CampaignResults",
    "CampaignTotal",
    "LibraryResults",
    "LibraryTally",
    "ResponseAnswers",
    "ResponseRow",
    "ScopedExport",
    "campaign_results",
    "campaigns_with_results",
    "exclude_response",
    "library_results",
    "response_answers",
    "restore_response",
    "scoped_export",
]

#: the longest reason stored (``responses.excluded_reason`` is VARCHAR(500))
MAX_REASON_LENGTH = 500
#: responses shown per page of a library's results
PER_PAGE = 50

_NO_SUCH_RESPONSE = "No such response."


# --- exclusions -----------------------------------------------------------------------------


def exclude_response(
    session: Session,
    actor: User,
    response_uuid: uuid.UUID | str,
    reason: str,
    *,
    campaign_ref: Campaign | int | str | None = None,
    library_ref: Library | int | str | None = None,
) -> Response:
    """Exclude a response from analysis (kept, marked, audited as ``response.exclude``).

    Raises
    ------
    Forbidden
        When the actor may not exclude responses.
    NotFound
        When the response does not exist, its library lies outside the actor's scope, or it
        is not a response of ``campaign_ref`` and ``library_ref`` when they are given (the
        page the action was posted from).
    Invalid
        When the reason is blank or too long (code ``EXC001`` / ``EXC002``).
    Conflict
        When the response is already excluded.
    """
    response = _response_in_scope(session, actor, response_uuid, campaign_ref, library_ref)
    text = _reason(reason)
    if response.excluded_at is not None:
        raise Conflict("This response is already excluded.")
    response.excluded_at = utcnow()
    response.excluded_reason = text
    response.excluded_by_id = actor.id
    session.flush()
    _audit(session, actor, "response.exclude", response, text)
    return response


def restore_response(
    session: Session,
    actor: User,
    response_uuid: uuid.UUID | str,
    reason: str,
    *,
    campaign_ref: Campaign | int | str | None = None,
    library_ref: Library | int | str | None = None,
) -> Response:
    """Include an excluded response again (audited as ``response.restore`` with the reason).

    Raises
    ------
    Forbidden
        When the actor may not exclude responses.
    NotFound
        As :func:`exclude_response`.
    Invalid
        When the reason is blank or too long (code ``EXC001`` / ``EXC002``).
    Conflict
        When the response is not excluded.
    """
    response = _response_in_scope(session, actor, response_uuid, campaign_ref, library_ref)
    text = _reason(reason)
    if response.excluded_at is None:
        raise Conflict("This response is not excluded.")
    previous = response.excluded_reason
    response.excluded_at = None
    response.excluded_reason = None
    response.excluded_by_id = None
    session.flush()
    _audit(session, actor, "response.restore", response, text, excluded_reason=previous)
    return response


@dataclass(frozen=True)
class ResponseAnswers:
    """A response's stored answers, as shown before it is excluded.

    ``answers`` are ``(item id, column, number, text)`` in questionnaire order; a battery
    statement answered "not applicable" has the column ``na``.
    """

    response: Response
    instrument: Instrument
    answers: tuple[tuple[str, str, float | None, str | None], ...]
    excluded: bool


def response_answers(
    session: Session,
    actor: User,
    response_uuid: uuid.UUID | str,
    *,
    campaign_ref: Campaign | int | str | None = None,
    library_ref: Library | int | str | None = None,
) -> ResponseAnswers:
    """Return a response's answers for the person about to exclude it.

    Raises
    ------
    Forbidden, NotFound
        As :func:`exclude_response`.
    """
    response = _response_in_scope(session, actor, response_uuid, campaign_ref, library_ref)
    version = session.scalars(
        select(InstrumentVersion).where(
            InstrumentVersion.instrument_id == response.instrument_id,
            InstrumentVersion.version == response.instrument_version,
        )
    ).one()
    instrument = instrument_of(version)
    order = {item.id: n for n, item in enumerate(instrument.items)}
    rows = session.execute(
        select(Answer.item_id, Answer.column, Answer.value_num, Answer.value_text)
        .where(Answer.response_id == response.id)
        .order_by(Answer.id)
    ).all()
    answers = sorted(
        ((r.item_id, r.column, r.value_num, r.value_text) for r in rows),
        key=lambda row: order.get(row[0], len(order)),
    )
    return ResponseAnswers(response, instrument, tuple(answers), response.excluded_at is not None)


def _response_in_scope(
    session: Session,
    actor: User,
    ref: uuid.UUID | str,
    campaign_ref: Campaign | int | str | None = None,
    library_ref: Library | int | str | None = None,
) -> Response:
    staff = require(actor, Action.exclude_responses)
    key = _uuid(ref)
    response = (
        session.scalar(select(Response).where(Response.client_uuid == key))
        if key is not None
        else None
    )
    if response is None or not in_scope(session, staff, response.library_id):
        raise NotFound(_NO_SUCH_RESPONSE)
    if campaign_ref is not None and library_ref is not None:
        try:
            campaign, library = _campaign_library(
                session, actor, campaign_ref, library_ref, Action.exclude_responses
            )
        except NotFound:
            raise NotFound(_NO_SUCH_RESPONSE) from None
        if (response.campaign_id, response.library_id) != (campaign.id, library.id):
            raise NotFound(_NO_SUCH_RESPONSE)
    return response


def _uuid(ref: uuid.UUID | str) -> uuid.UUID | None:
    if isinstance(ref, uuid.UUID):
        return ref
    if not isinstance(ref, str):
        return None
    try:
        return uuid.UUID(ref.strip())
    except ValueError:
        return None


def _reason(reason: object) -> str:
    text = reason.strip() if isinstance(reason, str) else ""
    if not text:
        raise Invalid(
            "Give a reason.", [Issue("EXC001", "reason", "required: why the status changes")]
        )
    if len(text) > MAX_REASON_LENGTH:
        raise Invalid(
            "The reason is too long.",
            [Issue("EXC002", "reason", f"at most {MAX_REASON_LENGTH} characters")],
        )
    return text


def _audit(
    session: Session, actor: User, action: str, response: Response, reason: str, **extra: Any
) -> None:
    library = session.get(Library, response.library_id)
    audit.record(
        session,
        actor,
        action,
        f"response:{response.client_uuid}",
        reason=reason,
        campaign=response.campaign.code,
        library=library.code if library is not None else response.library_id,
        **extra,
    )


# --- results pages (read side) --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CampaignTotal:
    """A campaign with the number of responses the caller may see (excluded ones included)."""

    campaign: Campaign
    total: int
    excluded: int

    @property
    def included(self) -> int:
        """Responses that count in the analysis."""
        return self.total - self.excluded


@dataclass(frozen=True, slots=True)
class LibraryTally:
    """One library of a campaign: how many responses, how many excluded, the latest one."""

    library: Library
    total: int = 0
    excluded: int = 0
    last_received_at: datetime | None = None
    #: stored with a reason to doubt them (kiosk interval, burst, partial): kept and counted
    flagged: int = 0

    @property
    def included(self) -> int:
        """Responses that count in the analysis."""
        return self.total - self.excluded


@dataclass(frozen=True, slots=True)
class CampaignResults:
    """The libraries of a campaign in the caller's scope, with their counts."""

    campaign: Campaign
    libraries: tuple[LibraryTally, ...]

    @property
    def total(self) -> int:
        """Every response of the libraries shown."""
        return sum(row.total for row in self.libraries)

    @property
    def excluded(self) -> int:
        """Excluded responses of the libraries shown."""
        return sum(row.excluded for row in self.libraries)


@dataclass(frozen=True, slots=True)
class ResponseRow:
    """One response as the results page lists it (nothing about the visitor: there is none)."""

    id: uuid.UUID
    received_at: datetime
    channel: str
    service_point: str | None
    excluded_at: datetime | None
    excluded_reason: str | None
    excluded_by: str | None
    #: reason codes it was stored with ("kiosk_interval", "burst", "partial"), or none
    flags: tuple[str, ...] = ()

    @property
    def excluded(self) -> bool:
        """Whether quality control left it out of the analysis."""
        return self.excluded_at is not None


@dataclass(frozen=True, slots=True)
class LibraryResults:
    """A page of one library's latest responses in a campaign, newest first."""

    campaign: Campaign
    tally: LibraryTally
    rows: tuple[ResponseRow, ...]
    page: int
    per_page: int

    @property
    def library(self) -> Library:
        """The library shown."""
        return self.tally.library

    @property
    def pages(self) -> int:
        """How many pages there are (at least one)."""
        return max(1, -(-self.tally.total // self.per_page))


def campaigns_with_results(session: Session, actor: User) -> list[CampaignTotal]:
    """Return the campaigns with a library in the actor's scope, newest first, with counts.

    Raises
    ------
    Forbidden
        When the actor may not see results.
    """
    found = campaigns_in_scope(session, actor, Action.view_results)
    counts: dict[int, tuple[int, int]] = {}
    if found:
        rows = session.execute(
            select(Response.campaign_id, func.count(Response.id), _excluded_count())
            .where(Response.campaign_id.in_([c.id for c in found]))
            .where(library_scope_clause(session, actor, Response.library_id))
            .group_by(Response.campaign_id)
        )
        counts = {cid: (int(total), int(excluded or 0)) for cid, total, excluded in rows}
    return [CampaignTotal(c, *counts.get(c.id, (0, 0))) for c in found]


def campaign_results(
    session: Session, actor: User, campaign_ref: Campaign | int | str
) -> CampaignResults:
    """Return the campaign's libraries in the actor's scope with their response counts.

    Raises
    ------
    Forbidden
        When the actor may not see results.
    NotFound
        When the campaign does not exist or has no library in the actor's scope.
    """
    campaign = require_campaign(session, actor, campaign_ref, Action.view_results)
    ids = library_ids_in_scope(session, actor)
    libraries = [lib for lib in campaign.libraries if ids is None or lib.id in ids]
    tallies = _tallies(session, campaign, [lib.id for lib in libraries])
    libraries.sort(key=lambda lib: (lib.system.name, lib.name, lib.id))
    return CampaignResults(
        campaign, tuple(tallies.get(lib.id, LibraryTally(lib)) for lib in libraries)
    )


def library_results(
    session: Session,
    actor: User,
    campaign_ref: Campaign | int | str,
    library_ref: Library | int | str,
    *,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> LibraryResults:
    """Return one page of a library's latest responses in a campaign (newest first).

    Raises
    ------
    Forbidden
        When the actor may not see results.
    NotFound
        When the campaign or the library does not exist, lies outside the actor's scope, or
        the library is not in the campaign.
    """
    campaign, library = _campaign_library(session, actor, campaign_ref, library_ref)
    tally = _tallies(session, campaign, [library.id]).get(library.id, LibraryTally(library))
    per_page = max(1, per_page)
    page = max(1, page)
    stmt = (
        select(
            Response.client_uuid,
            Response.received_at,
            Response.channel,
            ServicePoint.name,
            Response.excluded_at,
            Response.excluded_reason,
            User.name,
            User.email,
            Response.flags,
        )
        .outerjoin(ServicePoint, ServicePoint.id == Response.service_point_id)
        .outerjoin(User, User.id == Response.excluded_by_id)
        .where(Response.campaign_id == campaign.id, Response.library_id == library.id)
        .order_by(Response.received_at.desc(), Response.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    rows = tuple(
        ResponseRow(
            id=client_uuid,
            received_at=received_at,
            channel=str(channel),
            service_point=point,
            excluded_at=excluded_at,
            excluded_reason=reason,
            excluded_by=(name or email) if email else None,
            flags=tuple(flags or ()),
        )
        for client_uuid, received_at, channel, point, excluded_at, reason, name, email, flags in (
            session.execute(stmt)
        )
    )
    return LibraryResults(campaign, tally, rows, page, per_page)


def _campaign_library(
    session: Session,
    actor: User,
    campaign_ref: Campaign | int | str,
    library_ref: Library | int | str,
    action: Action = Action.view_results,
) -> tuple[Campaign, Library]:
    campaign = require_campaign(session, actor, campaign_ref, action)
    library = require_library(session, actor, library_ref, action)
    if library not in campaign.libraries:
        raise NotFound("No such library.")
    return campaign, library


def _excluded_count() -> Any:
    return func.sum(case((Response.excluded_at.is_not(None), 1), else_=0))


def _tallies(
    session: Session, campaign: Campaign, library_ids: list[int]
) -> dict[int, LibraryTally]:
    if not library_ids:
        return {}
    rows = session.execute(
        select(
            Response.library_id,
            func.count(Response.id),
            _excluded_count(),
            func.max(Response.received_at),
            func.sum(case((Response.flags.is_not(None), 1), else_=0)),
        )
        .where(Response.campaign_id == campaign.id, Response.library_id.in_(sorted(library_ids)))
        .group_by(Response.library_id)
    ).all()
    libraries = {
        lib.id: lib for lib in session.scalars(select(Library).where(Library.id.in_(library_ids)))
    }
    tallies: dict[int, LibraryTally] = {}
    for library_id, total, excluded, last, flagged in rows:
        tallies[library_id] = LibraryTally(
            libraries[library_id], int(total), int(excluded or 0), last, int(flagged or 0)
        )
    return tallies


# --- the scoped export ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScopedExport:
    """What an export request resolves to: the columns, the rows (lazy) and a file name."""

    campaign: Campaign
    library: Library | None
    instrument: Instrument
    include_excluded: bool
    #: timestamps as dates and small channel/service-point groups left empty (library staff)
    coarse: bool
    columns: list[str]
    rows: Iterator[dict[str, Cell]]

    def filename(self, extension: str) -> str:
        """``<campaign>[_<library>]_responses.<extension>``."""
        parts = [self.campaign.code]
        if self.library is not None:
            parts.append(self.library.code)
        return "_".join(parts) + f"_responses.{extension}"


def scoped_export(
    session: Session,
    actor: User,
    campaign_ref: Campaign | int | str,
    *,
    library_ref: Library | int | str | None = None,
    include_excluded: bool = False,
    small_cell_min: int = 10,
) -> ScopedExport:
    """Resolve an export of a campaign to exactly the libraries the actor may see.

    Without ``library_ref`` the export holds every library of the campaign in the actor's
    scope (library staff: their library; a system's quality manager: its libraries;
    region-wide roles: all). The checks run now; the rows are read when iterated.

    Library staff, who may recognise their visitors, get the coarse export (dates instead of
    times, channels and service points shared by fewer than ``small_cell_min`` responses
    left empty; see :func:`~survey_app.services.exports.export_rows`). The other roles get
    full precision, and their export is audited as ``results.export``.

    Raises
    ------
    Forbidden
        When the actor may not export results.
    NotFound
        When the campaign or the library does not exist, lies outside the actor's scope, or
        the library is not in the campaign.
    """
    library: Library | None = None
    if library_ref is None:
        campaign = require_campaign(session, actor, campaign_ref, Action.export_results)
        library_ids = library_ids_in_scope(session, actor)
    else:
        campaign, library = _campaign_library(
            session, actor, campaign_ref, library_ref, Action.export_results
        )
        library_ids = {library.id}
    instrument = instrument_of(campaign.instrument_version)
    coarse = actor.role == Role.library_staff
    if not coarse:
        audit.record(
            session,
            actor,
            "results.export",
            campaign,
            library=library.code if library is not None else None,
            include_excluded=include_excluded,
        )
    rows = export_rows(
        session,
        campaign.code,
        library_ids=library_ids,
        include_excluded=include_excluded,
        coarse=coarse,
        small_cell_min=small_cell_min,
    )
    return ScopedExport(
        campaign=campaign,
        library=library,
        instrument=instrument,
        include_excluded=include_excluded,
        coarse=coarse,
        columns=wide_columns(
            instrument, include_excluded=include_excluded, lite=has_lite_form(campaign)
        ),
        rows=rows,
    )
