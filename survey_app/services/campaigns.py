"""Campaigns: an instrument version asked in chosen libraries, over a period, on chosen channels.

A campaign is created as a *draft*, then opened (it accepts responses) and closed; opening
and closing are recorded in the audit log.  Only a published instrument version can be
chosen.  The libraries are chosen as all of them, by library system, by library type or by
hand; whatever the way, only active libraries in the caller's scope are taken.

``actor=None`` means the command line (trusted); views pass the signed-in user.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from enum import StrEnum

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey_app.models import Campaign
from survey_app.models import CampaignStatus
from survey_app.models import Channel
from survey_app.models import InstrumentVersion
from survey_app.models import Library
from survey_app.models import LibrarySystem
from survey_app.models import LibraryType
from survey_app.models import Response
from survey_app.models import User
from survey_app.services import audit
from survey_app.services.errors import Conflict
from survey_app.services.errors import Invalid
from survey_app.services.errors import Issue
from survey_app.services.errors import NotFound
from survey_app.services.instruments import instrument_of
from survey_app.services.scope import Action
from survey_app.services.scope import campaigns_in_scope
from survey_app.services.scope import library_ids_in_scope
from survey_app.services.scope import library_scope_clause
from survey_app.services.scope import require
from survey_app.services.scope import require_campaign

__all__ = [
    "CAMPAIGN_CODE",
    "PARTIAL_POLICIES",
    "CampaignCounts",
    "CampaignSpec",
    "FormOptions",
    "LibraryCounts",
    "LibraryChoice",
    "chosen_libraries",
    "close_campaign",
    "create_campaign",
    "form_options",
    "get_campaign",
    "list_campaigns",
    "open_campaign",
    "response_counts",
    "select_libraries",
    "systems_of",
    "total_counts",
]

#: campaign codes appear in public URLs: /s/<campaign>/<library>
CAMPAIGN_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")
#: what a kiosk does with a visitor who walks away midway: drop the answers or keep them
PARTIAL_POLICIES = ("discard", "keep")


class LibraryChoice(StrEnum):
    """How the libraries of a campaign are chosen."""

    all = "all"
    systems = "systems"
    types = "types"
    libraries = "libraries"


@dataclass(frozen=True)
class CampaignSpec:
    """What a new campaign asks for (as typed; checked by :func:`create_campaign`)."""

    code: str
    title: str
    instrument_version_id: int | None
    choice: LibraryChoice | str = LibraryChoice.all
    system_ids: Collection[int] = ()
    library_types: Collection[str] = ()
    library_ids: Collection[int] = ()
    starts_on: date | None = None
    ends_on: date | None = None
    channels: Collection[str] = ("web", "qr")
    lite_share: float = 0.0
    partial_policy: str = "discard"


@dataclass(frozen=True)
class FormOptions:
    """What the campaign form offers: published versions, systems and libraries in scope."""

    versions: tuple[InstrumentVersion, ...]
    systems: tuple[LibrarySystem, ...]
    libraries: tuple[Library, ...]


@dataclass(frozen=True, slots=True)
class LibraryCounts:
    """Responses received from one library, per channel."""

    library: Library
    by_channel: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """All channels together."""
        return sum(self.by_channel.values())


@dataclass(frozen=True)
class CampaignCounts:
    """Live response counts of a campaign: one row per library in scope, zeros included."""

    campaign: Campaign
    channels: tuple[str, ...]
    rows: tuple[LibraryCounts, ...]

    @property
    def totals(self) -> dict[str, int]:
        """Per channel, over the libraries shown."""
        return {c: sum(r.by_channel.get(c, 0) for r in self.rows) for c in self.channels}

    @property
    def total(self) -> int:
        """Everything shown."""
        return sum(r.total for r in self.rows)


def N_(message: str) -> str:  # noqa: N802 - the gettext_noop name extractors know
    """Mark a message for extraction into the ``admin`` catalog; the view translates it."""
    return message


def _allowed(actor: User | None, action: Action) -> None:
    if actor is not None:
        require(actor, action)


def select_libraries(
    session: Session,
    choice: LibraryChoice | str,
    *,
    system_ids: Collection[int] = (),
    library_types: Collection[str] = (),
    library_ids: Collection[int] = (),
    actor: User | None = None,
) -> list[Library]:
    """Return the active libraries a choice designates, limited to the actor's scope."""
    stmt = (
        select(Library)
        .join(Library.system)
        .where(Library.active.is_(True), LibrarySystem.active.is_(True))
        .order_by(LibrarySystem.name, Library.name, Library.id)
    )
    choice = LibraryChoice(choice)
    if choice is LibraryChoice.systems:
        stmt = stmt.where(Library.system_id.in_(sorted(set(system_ids))))
    elif choice is LibraryChoice.types:
        stmt = stmt.where(Library.type.in_(sorted(set(library_types))))
    elif choice is LibraryChoice.libraries:
        stmt = stmt.where(Library.id.in_(sorted(set(library_ids))))
    if actor is not None:
        stmt = stmt.where(library_scope_clause(session, actor, Library.id))
    return list(session.scalars(stmt))


def form_options(session: Session, *, actor: User | None = None) -> FormOptions:
    """Return the choices of the campaign form (active libraries in the actor's scope)."""
    versions = session.scalars(
        select(InstrumentVersion)
        .where(InstrumentVersion.published_at.is_not(None))
        .order_by(InstrumentVersion.instrument_id, InstrumentVersion.version.desc())
    ).all()
    libraries = select_libraries(session, LibraryChoice.all, actor=actor)
    systems = {library.system.id: library.system for library in libraries}
    ordered = sorted(systems.values(), key=lambda system: (system.name, system.id))
    return FormOptions(tuple(versions), tuple(ordered), tuple(libraries))


def systems_of(
    session: Session, campaign: Campaign, *, actor: User | None = None
) -> list[LibrarySystem]:
    """Return the library systems of the campaign's libraries in the actor's scope."""
    ids = library_ids_in_scope(session, actor) if actor is not None else None
    systems = {
        lib.system.id: lib.system for lib in campaign.libraries if ids is None or lib.id in ids
    }
    return sorted(systems.values(), key=lambda system: (system.name, system.id))


def _spec_issues(
    session: Session, spec: CampaignSpec
) -> tuple[list[Issue], InstrumentVersion | None]:
    issues: list[Issue] = []
    code = (spec.code or "").strip()
    if not CAMPAIGN_CODE.match(code):
        issues.append(
            Issue("CMP001", "code", N_("Use 2–64 lower-case Latin letters, digits and hyphens."))
        )
    elif session.scalar(select(Campaign.id).where(Campaign.code == code)) is not None:
        issues.append(Issue("CMP002", "code", N_("This code is already used.")))
    if not (spec.title or "").strip():
        issues.append(Issue("CMP003", "title", N_("A title is required.")))
    elif len(spec.title.strip()) > 300:
        issues.append(Issue("CMP003", "title", N_("At most 300 characters.")))
    version = None
    if spec.instrument_version_id is None:
        issues.append(Issue("CMP004", "instrument_version", N_("Choose an instrument version.")))
    else:
        version = session.get(InstrumentVersion, spec.instrument_version_id)
        if version is None:
            issues.append(Issue("CMP004", "instrument_version", N_("No such instrument version.")))
        elif version.published_at is None:
            issues.append(
                Issue("CMP005", "instrument_version", N_("Only a published version can be used."))
            )
            version = None
    if spec.starts_on and spec.ends_on and spec.ends_on < spec.starts_on:
        issues.append(Issue("CMP006", "ends_on", N_("The campaign must end after it starts.")))
    known = {c.value for c in Channel}
    channels = list(dict.fromkeys(spec.channels))
    if not channels:
        issues.append(Issue("CMP007", "channels", N_("Choose at least one channel.")))
    for channel in channels:
        if channel not in known:
            issues.append(Issue("CMP007", "channels", N_("Unknown channel.")))
    share = spec.lite_share
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0 <= share <= 1:
        issues.append(Issue("CMP008", "lite_share", N_("The Lite share must lie between 0 and 1.")))
    elif share > 0 and version is not None and instrument_of(version).lite is None:
        issues.append(
            Issue(
                "CMP009",
                "lite_share",
                N_("This instrument has no Lite form; leave the share at 0."),
            )
        )
    if spec.partial_policy not in PARTIAL_POLICIES:
        issues.append(Issue("CMP010", "partial_policy", N_("Choose “discard” or “keep”.")))
    try:
        choice = LibraryChoice(spec.choice)
    except ValueError:
        issues.append(Issue("CMP011", "choice", N_("Choose how to select the libraries.")))
    else:
        if choice is LibraryChoice.systems and not spec.system_ids:
            issues.append(Issue("CMP012", "system_ids", N_("Choose at least one library system.")))
        if choice is LibraryChoice.types:
            if not spec.library_types:
                issues.append(
                    Issue("CMP012", "library_types", N_("Choose at least one library type."))
                )
            for kind in spec.library_types:
                if kind not in {t.value for t in LibraryType}:
                    issues.append(Issue("CMP012", "library_types", N_("Unknown library type.")))
        if choice is LibraryChoice.libraries and not spec.library_ids:
            issues.append(Issue("CMP012", "library_ids", N_("Choose at least one library.")))
        issues.extend(_unused_picks(spec, choice))
    return issues, version


#: the list each way of choosing reads, and the message when it is filled but not the way chosen
_PICKS = (
    (
        LibraryChoice.systems,
        "system_ids",
        N_("Library systems are ticked, but another way of choosing the libraries is selected."),
    ),
    (
        LibraryChoice.types,
        "library_types",
        N_("Library types are ticked, but another way of choosing the libraries is selected."),
    ),
    (
        LibraryChoice.libraries,
        "library_ids",
        N_("Libraries are ticked, but another way of choosing the libraries is selected."),
    ),
)


def _unused_picks(spec: CampaignSpec, choice: LibraryChoice) -> list[Issue]:
    """Ticks in a list the chosen way ignores: refused, never silently overridden."""
    return [
        Issue("CMP014", name, message)
        for way, name, message in _PICKS
        if way is not choice and getattr(spec, name)
    ]


def chosen_libraries(
    session: Session, spec: CampaignSpec, *, actor: User | None = None
) -> list[Library]:
    """Return the libraries a new campaign would include, checking the whole specification.

    The creation form shows them back for confirmation before :func:`create_campaign`.

    Raises
    ------
    Invalid
        As :func:`create_campaign`.
    """
    return _checked(session, spec, actor)[0]


def _checked(
    session: Session, spec: CampaignSpec, actor: User | None
) -> tuple[list[Library], InstrumentVersion]:
    _allowed(actor, Action.manage_campaigns)
    issues, version = _spec_issues(session, spec)
    libraries: list[Library] = []
    if not issues:
        libraries = select_libraries(
            session,
            spec.choice,
            system_ids=spec.system_ids,
            library_types=spec.library_types,
            library_ids=spec.library_ids,
            actor=actor,
        )
        if not libraries:
            issues.append(Issue("CMP013", "choice", N_("No active library matches this choice.")))
        elif LibraryChoice(spec.choice) is LibraryChoice.libraries:
            missing = set(spec.library_ids) - {library.id for library in libraries}
            if missing:
                issues.append(
                    Issue(
                        "CMP013",
                        "library_ids",
                        N_("Some chosen libraries are inactive or unknown."),
                    )
                )
    if issues or version is None:
        raise Invalid("The campaign cannot be created.", issues)
    return libraries, version


def create_campaign(session: Session, spec: CampaignSpec, *, actor: User | None = None) -> Campaign:
    """Create a draft campaign.

    Raises
    ------
    Invalid
        With every problem of the specification (including a choice that designates no
        active library in the caller's scope, and ticks in a list the chosen way ignores).
    """
    libraries, version = _checked(session, spec, actor)
    campaign = Campaign(
        code=spec.code.strip(),
        title=spec.title.strip(),
        instrument_version=version,
        starts_on=spec.starts_on,
        ends_on=spec.ends_on,
        channels=list(dict.fromkeys(spec.channels)),
        status=CampaignStatus.draft,
        lite_share=float(spec.lite_share),
        partial_policy=spec.partial_policy,
        libraries=libraries,
    )
    session.add(campaign)
    session.flush()
    audit.record(
        session,
        actor,
        "campaign.create",
        campaign,
        instrument=f"{version.instrument_id}@{version.version}",
        libraries=len(libraries),
        channels=campaign.channels,
        choice=LibraryChoice(spec.choice).value,
    )
    return campaign


def get_campaign(
    session: Session, ref: Campaign | int | str, *, actor: User | None = None
) -> Campaign:
    """Return a campaign the actor may see (by object, id or code).

    Raises
    ------
    NotFound
        When it does not exist or lies outside the actor's scope.
    """
    if actor is not None:
        return require_campaign(session, actor, ref, Action.view_campaigns)
    campaign: Campaign | None
    if isinstance(ref, Campaign):
        campaign = ref
    elif isinstance(ref, int):
        campaign = session.get(Campaign, ref)
    else:
        campaign = session.scalar(select(Campaign).where(Campaign.code == ref))
    if campaign is None:
        raise NotFound("No such campaign.")
    return campaign


def list_campaigns(session: Session, *, actor: User | None = None) -> Sequence[Campaign]:
    """Return the campaigns that include a library in the actor's scope, newest first
    (every campaign without an actor: the command line)."""
    if actor is not None:
        return campaigns_in_scope(session, actor, Action.view_campaigns)
    return session.scalars(
        select(Campaign).order_by(Campaign.created_at.desc(), Campaign.id.desc())
    ).all()


def _transition(
    session: Session,
    ref: Campaign | int | str,
    actor: User | None,
    allowed_from: tuple[CampaignStatus, ...],
    to: CampaignStatus,
) -> Campaign:
    _allowed(actor, Action.manage_campaigns)
    campaign = get_campaign(session, ref, actor=actor)
    current = CampaignStatus(campaign.status)
    if current not in allowed_from:
        raise Conflict(f"The campaign is {current.value}; it cannot be made {to.value}.")
    campaign.status = to
    session.flush()
    audit.record(
        session,
        actor,
        f"campaign.{'open' if to is CampaignStatus.open else 'close'}",
        campaign,
        previous=current.value,
    )
    return campaign


def open_campaign(
    session: Session, ref: Campaign | int | str, *, actor: User | None = None
) -> Campaign:
    """Open a draft (or re-open a closed) campaign: it accepts responses from now on.

    Raises
    ------
    Conflict
        When it is open already.
    """
    return _transition(
        session, ref, actor, (CampaignStatus.draft, CampaignStatus.closed), CampaignStatus.open
    )


def close_campaign(
    session: Session, ref: Campaign | int | str, *, actor: User | None = None
) -> Campaign:
    """Close an open campaign: responses are refused from now on.

    Raises
    ------
    Conflict
        When it is not open.
    """
    return _transition(session, ref, actor, (CampaignStatus.open,), CampaignStatus.closed)


def response_counts(
    session: Session, campaign: Campaign, *, actor: User | None = None
) -> CampaignCounts:
    """Count the campaign's responses per library and channel with one GROUP BY query.

    Libraries of the campaign outside the actor's scope are left out (a librarian sees
    their own library only); libraries without responses show zeros.
    """
    ids = library_ids_in_scope(session, actor) if actor is not None else None
    stmt = (
        select(Response.library_id, Response.channel, func.count(Response.id))
        .where(Response.campaign_id == campaign.id)
        .group_by(Response.library_id, Response.channel)
    )
    if actor is not None:
        stmt = stmt.where(library_scope_clause(session, actor, Response.library_id))
    found: dict[int, dict[str, int]] = {}
    for library_id, channel, count in session.execute(stmt):
        found.setdefault(library_id, {})[str(channel)] = int(count)
    libraries = [lib for lib in campaign.libraries if ids is None or lib.id in ids]
    libraries.sort(key=lambda lib: (lib.system.name, lib.name, lib.id))
    channels = list(campaign.channels)
    for extra in sorted({c for counts in found.values() for c in counts} - set(channels)):
        channels.append(extra)  # e.g. paper responses imported after the channel was dropped
    rows = tuple(LibraryCounts(lib, found.get(lib.id, {})) for lib in libraries)
    return CampaignCounts(campaign, tuple(channels), rows)


def total_counts(
    session: Session, campaigns: Sequence[Campaign], *, actor: User | None = None
) -> dict[int, int]:
    """Return ``{campaign id: responses}`` for a list of campaigns (one GROUP BY query)."""
    if not campaigns:
        return {}
    stmt = (
        select(Response.campaign_id, func.count(Response.id))
        .where(Response.campaign_id.in_([c.id for c in campaigns]))
        .group_by(Response.campaign_id)
    )
    if actor is not None:
        stmt = stmt.where(library_scope_clause(session, actor, Response.library_id))
    counts = {campaign_id: int(count) for campaign_id, count in session.execute(stmt)}
    return {c.id: counts.get(c.id, 0) for c in campaigns}
