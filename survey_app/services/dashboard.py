"""The region dashboard: a campaign's stored report run, per library system and library.

Reads the latest finished :class:`~survey_app.models.ReportRun` of a campaign (never
computes): for every library in the caller's scope, its number of responses and the run's
main indicator with its interval, the verdict against the regional standard, and the
empirical-Bayes estimate with its rank interval where the run has them. Libraries are
grouped by library system; groups are paged so that a region of 600 libraries is never one
flat list. Scope comes from :mod:`survey_app.services.scope`: a library outside it is never
read, whatever the URL asks for.

**Channel and period.** A run also stores the main indicator of every library (and its
system and region roll-ups) on the responses of each channel and of each period (calendar
month; ISO week for a campaign of at most eight weeks): ``channel=`` or ``period=`` shows
those instead of the whole campaign. Such a breakdown with fewer than ``small_cell_min``
responses (``SMALL_CELL_MIN``) is shown as "too few responses", never as a number. The change
since the previous campaign is computed when read (:func:`report_runs.change_rows`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey_app.models import Campaign
from survey_app.models import Library
from survey_app.models import LibrarySystem
from survey_app.models import ReportResult
from survey_app.models import ReportRun
from survey_app.models import ResultLevel
from survey_app.models import User
from survey_app.services import report_runs
from survey_app.services.instruments import instrument_of
from survey_app.services.scope import Action
from survey_app.services.scope import campaigns_in_scope
from survey_app.services.scope import library_ids_in_scope
from survey_app.services.scope import require_campaign
from survey_app.services.scope import require_system

__all__ = [
    "SORTS",
    "SYSTEMS_PER_PAGE",
    "CampaignSummary",
    "Dashboard",
    "Estimate",
    "LibraryRow",
    "SystemGroup",
    "campaign_summaries",
    "region_dashboard",
    "request_recompute",
    "run_status",
]

#: library systems shown per page
SYSTEMS_PER_PAGE = 10
#: how the libraries of a system can be ordered
SORTS = ("name", "n", "estimate", "rank", "change", "flagged")
#: verdicts of analysis.compare_to_standard, in the order a summary lists them
VERDICTS = ("below", "indeterminate", "meets", "insufficient data")


@dataclass(frozen=True, slots=True)
class LibraryRow:
    """One library's line: its main indicator in the shown run (None where it has none)."""

    library_id: int
    code: str
    name: str
    n: int
    estimate: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    verdict: str | None = None
    target: float | None = None
    shrunken: float | None = None
    shrunken_low: float | None = None
    shrunken_high: float | None = None
    rank: float | None = None
    rank_low: float | None = None
    rank_high: float | None = None
    note: str | None = None
    #: the library's type (central, branch, rural, children, model)
    kind: str = ""
    #: where it is (same-named libraries are told apart by system and address)
    system: str = ""
    address: str = ""
    #: the change of the indicator since the previous campaign, with its 95 % interval
    change: Estimate | None = None
    #: the share of responses flagged by the careless-response screening
    flagged: Estimate | None = None
    #: a channel or period breakdown with fewer responses than the small-cell minimum: its
    #: number is not shown (``estimate`` and the interval are None)
    suppressed: bool = False


@dataclass(frozen=True, slots=True)
class Estimate:
    """A stored estimate with its interval and n (a change, a share flagged, a roll-up)."""

    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    n: int = 0
    #: flagged responses (the screening share), else None
    count: int | None = None
    #: the verdict against the regional standard (roll-ups), None without a target
    verdict: str | None = None
    #: fewer responses than the small-cell minimum: the number is withheld
    suppressed: bool = False

    @property
    def significant(self) -> bool:
        """Whether the interval excludes 0 (for a change)."""
        return (
            self.ci_low is not None
            and self.ci_high is not None
            and (self.ci_low > 0 or self.ci_high < 0)
        )


@dataclass(frozen=True, slots=True)
class SystemGroup:
    """A library system and its libraries in scope."""

    id: int
    code: str
    name: str
    libraries: tuple[LibraryRow, ...]
    #: verdict -> how many of the system's libraries got it
    verdicts: dict[str, int] = field(default_factory=dict)
    #: the system's indicator and share flagged, combined from all its libraries in the run
    rollup: Estimate | None = None
    flagged: Estimate | None = None

    @property
    def responses(self) -> int:
        """Responses counted in the system's libraries."""
        return sum(row.n for row in self.libraries)


@dataclass(frozen=True, slots=True)
class Dashboard:
    """What the dashboard page shows."""

    campaign: Campaign
    state: report_runs.RunState
    #: the indicator shown (the run's main index) and how to read it
    indicator: str | None
    indicator_family: str
    indicator_subject: str
    #: the groups on this page
    groups: tuple[SystemGroup, ...]
    #: every system in scope (for the filter)
    systems: tuple[tuple[str, str], ...]
    system: str | None
    query: str
    sort: str
    page: int
    pages: int
    libraries_shown: int
    libraries_total: int
    #: the caller sees one library only (library staff)
    single_library: bool
    #: verdict -> count over every library matching the filters
    verdicts: dict[str, int]
    #: library types present in scope (for the filter) and the one chosen
    kinds: tuple[str, ...] = ()
    kind: str | None = None
    #: the region's indicator and share flagged (None for a caller who sees one system or
    #: one library: a region figure would include libraries outside their scope)
    region: Estimate | None = None
    region_flagged: Estimate | None = None
    #: the campaign the change is measured against (its code and title), if any
    previous: tuple[str, str] | None = None
    #: the other campaigns of the same instrument in scope: (code, title, period), newest
    #: first, for the period switch
    periods: tuple[tuple[str, str, str], ...] = ()
    #: whether the run screened the responses (False for an instrument too short to screen)
    screened: bool = False
    #: every library matching the filters, on every page (for the funnel plot)
    rows: tuple[LibraryRow, ...] = ()
    #: the channels and periods the run has breakdowns for (for the filters), the ones
    #: chosen, and the period's unit (``month`` or ``week``)
    channels: tuple[str, ...] = ()
    channel: str | None = None
    slice_periods: tuple[str, ...] = ()
    period: str | None = None
    period_unit: str = "month"
    #: both a channel and a period were asked for: the run stores each alone, so the
    #: channel is shown and the period left out
    period_ignored: bool = False
    #: the stored indicator shown: the main one, or its channel or period breakdown
    shown_indicator: str | None = None
    #: the small-cell minimum applied to the breakdowns
    small_cell_min: int = 10

    @property
    def sliced(self) -> bool:
        """Whether a channel or period breakdown is shown instead of the whole campaign."""
        return self.channel is not None or self.period is not None


def _family(indicator: str | None) -> tuple[str, str]:
    if not indicator:
        return "", ""
    family, _, subject = indicator.partition(":")
    return family, subject


def _subject_title(campaign: Campaign, family: str, subject: str) -> str:
    """The instrument's own (Russian) title of a scale or text of an item."""
    instrument = instrument_of(campaign.instrument_version)
    if family == "scale":
        for scale in instrument.scales:
            if scale.id == subject:
                return str(scale.title.get("ru") or next(iter(scale.title.values()), subject))
    item_id = subject.partition(":")[0]
    try:
        item = instrument.item(item_id)
    except KeyError:
        return subject
    return str(item.text.get("ru") or next(iter(item.text.values()), subject))


def _estimate(result: ReportResult | None, small_cell_min: int = 0) -> Estimate | None:
    if result is None:
        return None
    if result.n < small_cell_min:
        return Estimate(None, None, None, result.n, suppressed=True)
    flagged = (result.extra or {}).get("flagged")
    return Estimate(
        result.estimate,
        result.ci_low,
        result.ci_high,
        result.n,
        int(flagged) if flagged is not None else None,
        verdict=result.verdict,
    )


def _change(change: report_runs.Change | None) -> Estimate | None:
    if change is None:
        return None
    return Estimate(change.estimate, change.ci_low, change.ci_high, change.n)


def _row(
    library: Library,
    result: ReportResult | None,
    change: report_runs.Change | None = None,
    flagged: ReportResult | None = None,
    small_cell_min: int = 0,
) -> LibraryRow:
    kind = str(library.type.value if hasattr(library.type, "value") else library.type)
    if result is None:
        return LibraryRow(
            library.id,
            library.code,
            library.name,
            flagged.n if flagged is not None else 0,
            kind=kind,
            system=library.system.name,
            address=library.address or "",
            flagged=_estimate(flagged),
        )
    if result.n < small_cell_min:
        return LibraryRow(
            library.id, library.code, library.name, result.n, kind=kind, suppressed=True
        )
    return LibraryRow(
        library_id=library.id,
        code=library.code,
        name=library.name,
        n=result.n,
        estimate=result.estimate,
        ci_low=result.ci_low,
        ci_high=result.ci_high,
        verdict=result.verdict,
        target=result.target,
        shrunken=result.shrunken,
        shrunken_low=result.shrunken_low,
        shrunken_high=result.shrunken_high,
        rank=result.rank,
        rank_low=result.rank_low,
        rank_high=result.rank_high,
        note=result.note,
        kind=kind,
        system=library.system.name,
        address=library.address or "",
        change=_change(change),
        flagged=_estimate(flagged),
    )


def _natural(text: str) -> tuple[tuple[int, int | str], ...]:
    """A key ordering "№ 5" before "№ 12": digit runs compare as numbers."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part)
        for part in re.split(r"(\d+)", text.casefold())
        if part
    )


def _sort_key(sort: str) -> Callable[[LibraryRow], tuple[object, ...]]:
    def key(row: LibraryRow) -> tuple[object, ...]:
        if sort == "n":
            return (-row.n, _natural(row.name))
        if sort == "estimate":
            missing = row.estimate is None
            return (missing, -(row.estimate or 0.0), _natural(row.name))
        if sort == "rank":
            return (row.rank is None, row.rank or 0.0, _natural(row.name))
        if sort == "change":
            value = row.change.estimate if row.change is not None else None
            return (value is None, value or 0.0, _natural(row.name))
        if sort == "flagged":
            value = row.flagged.estimate if row.flagged is not None else None
            return (value is None, -(value or 0.0), _natural(row.name))
        return (_natural(row.name), row.code)

    return key


def _rollups(
    session: Session, run: ReportRun | None, indicator: str | None
) -> dict[tuple[str, int | None], ReportResult]:
    """The run's system and region rows of an indicator, keyed by (level, system id)."""
    if run is None or indicator is None:
        return {}
    rows = session.scalars(
        select(ReportResult)
        .where(ReportResult.run_id == run.id)
        .where(ReportResult.indicator == indicator)
        .where(ReportResult.level != ResultLevel.library.value)
    )
    return {(str(row.level), row.system_id): row for row in rows}


def _periods(session: Session, actor: User, campaign: Campaign) -> tuple[tuple[str, str, str], ...]:
    instrument_id = campaign.instrument_version.instrument_id
    return tuple(
        (
            other.code,
            other.title,
            f"{other.starts_on:%d.%m.%Y}–{other.ends_on:%d.%m.%Y}"
            if other.starts_on and other.ends_on
            else "",
        )
        for other in campaigns_in_scope(session, actor, Action.view_results)
        if other.instrument_version.instrument_id == instrument_id
    )


def _slices(session: Session, run: ReportRun | None, indicator: str | None) -> dict[str, list[str]]:
    """The channels and periods the run has breakdowns of ``indicator`` for."""
    found: dict[str, list[str]] = {"channel": [], "period": []}
    if run is None or indicator is None:
        return found
    names = session.scalars(
        select(ReportResult.indicator)
        .where(ReportResult.run_id == run.id)
        .where(ReportResult.level == ResultLevel.region.value)
        .where(
            ReportResult.indicator.startswith(report_runs.CHANNEL_PREFIX, autoescape=True)
            | ReportResult.indicator.startswith(report_runs.PERIOD_PREFIX, autoescape=True)
        )
    )
    for name in names:
        if report_runs.base_indicator(name) != indicator:
            continue
        kind, _, rest = name.partition(":")
        found[kind].append(rest.partition(":")[0])
    channel_order = {c: k for k, c in enumerate(("kiosk", "qr", "web", "paper"))}
    found["channel"].sort(key=lambda c: (channel_order.get(c, 99), c))
    found["period"].sort()
    return found


def _results(
    session: Session, run: ReportRun | None, indicator: str | None, ids: list[int]
) -> dict[int, ReportResult]:
    if run is None or indicator is None or not ids:
        return {}
    found: dict[int, ReportResult] = {}
    for start in range(0, len(ids), 5000):
        part = ids[start : start + 5000]
        rows = session.scalars(
            select(ReportResult)
            .where(ReportResult.run_id == run.id)
            .where(ReportResult.indicator == indicator)
            .where(ReportResult.library_id.in_(part))
            .where(ReportResult.level == ResultLevel.library.value)
        )
        found.update({row.library_id: row for row in rows if row.library_id is not None})
    return found


def region_dashboard(
    session: Session,
    actor: User,
    campaign_ref: Campaign | int | str,
    *,
    system: str | None = None,
    kind: str | None = None,
    query: str = "",
    sort: str = "name",
    page: int = 1,
    unpaged: bool = False,
    channel: str | None = None,
    period: str | None = None,
    small_cell_min: int = 10,
) -> Dashboard:
    """The dashboard of a campaign for the caller's scope.

    ``system`` (a code or id) keeps one library system; ``query`` keeps libraries whose name
    or code contains it (case-insensitive); ``kind`` keeps one library type; ``sort`` orders
    the libraries within a system; ``unpaged`` returns every group on one page (for the
    charts, never for the page). Library system and region rows (roll-ups) are shown only
    to a caller whose scope covers them whole. ``channel`` or ``period`` (a value the run
    has a breakdown for; others are ignored) shows the main indicator on those responses
    only, with breakdowns under ``small_cell_min`` responses withheld; a channel wins over a
    period (the run stores each alone).

    Raises
    ------
    Forbidden
        When the actor may not see results.
    NotFound
        When the campaign, or the system asked for, does not exist or is outside the scope.
    """
    campaign = require_campaign(session, actor, campaign_ref, Action.view_results)
    state = report_runs.run_state(session, campaign.id)
    run = state.shown
    indicator = run.main_indicator if run is not None else None
    family, subject = _family(indicator)
    allowed = library_ids_in_scope(session, actor)
    libraries = [lib for lib in campaign.libraries if allowed is None or lib.id in allowed]
    systems_seen: dict[int, LibrarySystem] = {lib.system.id: lib.system for lib in libraries}
    systems = tuple(
        (s.code, s.name) for s in sorted(systems_seen.values(), key=lambda s: s.name.casefold())
    )
    if system:
        chosen = require_system(session, actor, system, Action.view_results)
        libraries = [lib for lib in libraries if lib.system_id == chosen.id]
    kinds = tuple(sorted({str(lib.type) for lib in libraries}))
    if kind and kind in kinds:
        libraries = [lib for lib in libraries if str(lib.type) == kind]
    else:
        kind = None
    needle = query.strip().casefold()
    if needle:
        libraries = [
            lib
            for lib in libraries
            if needle in lib.name.casefold() or needle in lib.code.casefold()
        ]
    ids = sorted(lib.id for lib in libraries)
    slices = _slices(session, run, indicator)
    channel = channel if channel in slices["channel"] else None
    period_ignored = bool(channel and period in slices["period"])
    period = period if period in slices["period"] and not channel else None
    shown_indicator = indicator
    cell_min = 0
    if indicator and (channel or period):
        shown_indicator = (
            report_runs.slice_indicator(report_runs.CHANNEL_PREFIX, channel, indicator)
            if channel
            else report_runs.slice_indicator(report_runs.PERIOD_PREFIX, str(period), indicator)
        )
        cell_min = small_cell_min
    sliced = cell_min > 0
    results = _results(session, run, shown_indicator, ids)
    previous, changes = (
        report_runs.change_rows(session, campaign, run, indicator, ids)
        if run is not None and indicator and not sliced
        else (None, {})
    )
    flagged = {} if sliced else _results(session, run, report_runs.SCREENING_INDICATOR, ids)
    rows_by_system: dict[int, list[LibraryRow]] = {}
    for library in libraries:
        rows_by_system.setdefault(library.system_id, []).append(
            _row(
                library,
                results.get(library.id),
                changes.get(library.id),
                flagged.get(library.id),
                cell_min,
            )
        )
    # roll-ups cover every library of a system (or of the region): only for a caller who
    # sees all of them, and only when no filter narrows the libraries shown
    whole = allowed is None
    screening = None if sliced else report_runs.SCREENING_INDICATOR
    rollups = _rollups(session, run, shown_indicator) if whole else {}
    flagged_rollups = _rollups(session, run, screening) if whole else {}
    if allowed is not None and run is not None:
        # a system is covered when every one of its libraries in the campaign is in scope
        # (a system quality manager), never for the staff of one library of a larger system
        covered = {
            system_id
            for system_id in systems_seen
            if all(lib.id in allowed for lib in campaign.libraries if lib.system_id == system_id)
            and sum(1 for lib in campaign.libraries if lib.system_id == system_id) > 1
        }
        if covered:
            rollups = {
                key: row
                for key, row in _rollups(session, run, shown_indicator).items()
                if key[1] in covered
            }
            flagged_rollups = {
                key: row
                for key, row in _rollups(session, run, screening).items()
                if key[1] in covered
            }
    order = _sort_key(sort if sort in SORTS else "name")
    all_groups = []
    totals: dict[str, int] = {}
    for system_id, rows in rows_by_system.items():
        counts: dict[str, int] = {}
        for row in rows:
            if row.verdict:
                counts[row.verdict] = counts.get(row.verdict, 0) + 1
                totals[row.verdict] = totals.get(row.verdict, 0) + 1
        unit = systems_seen[system_id]
        all_groups.append(
            SystemGroup(
                id=unit.id,
                code=unit.code,
                name=unit.name,
                libraries=tuple(sorted(rows, key=order)),
                verdicts=counts,
                rollup=_estimate(rollups.get((ResultLevel.system.value, unit.id)), cell_min),
                flagged=_estimate(flagged_rollups.get((ResultLevel.system.value, unit.id))),
            )
        )
    all_groups.sort(key=lambda g: g.name.casefold())
    pages = 1 if unpaged else max(1, math.ceil(len(all_groups) / SYSTEMS_PER_PAGE))
    page = min(max(1, page), pages)
    shown = (
        tuple(all_groups)
        if unpaged
        else tuple(all_groups[(page - 1) * SYSTEMS_PER_PAGE : page * SYSTEMS_PER_PAGE])
    )
    return Dashboard(
        campaign=campaign,
        state=state,
        indicator=indicator,
        indicator_family=family,
        indicator_subject=_subject_title(campaign, family, subject) if indicator else "",
        groups=shown,
        systems=systems,
        system=system or None,
        query=query.strip(),
        sort=sort if sort in SORTS else "name",
        page=page,
        pages=pages,
        libraries_shown=sum(len(g.libraries) for g in shown),
        libraries_total=len(libraries),
        single_library=allowed is not None and len(allowed) == 1,
        verdicts=totals,
        kinds=kinds,
        kind=kind,
        region=_estimate(rollups.get((ResultLevel.region.value, None)), cell_min),
        region_flagged=_estimate(flagged_rollups.get((ResultLevel.region.value, None))),
        previous=(previous.code, previous.title) if previous is not None else None,
        periods=_periods(session, actor, campaign),
        screened=run is not None and _has(session, run, report_runs.SCREENING_INDICATOR),
        rows=tuple(row for group in all_groups for row in group.libraries),
        channels=tuple(slices["channel"]),
        channel=channel,
        slice_periods=tuple(slices["period"]),
        period=period,
        period_unit=report_runs.period_unit(campaign),
        period_ignored=period_ignored,
        shown_indicator=shown_indicator,
        small_cell_min=small_cell_min,
    )


def _has(session: Session, run: ReportRun, indicator: str) -> bool:
    return (
        session.scalar(
            select(ReportResult.id)
            .where(ReportResult.run_id == run.id)
            .where(ReportResult.indicator == indicator)
            .limit(1)
        )
        is not None
    )


@dataclass(frozen=True, slots=True)
class CampaignSummary:
    """A campaign in scope and the run its dashboard shows."""

    campaign: Campaign
    state: report_runs.RunState


def campaign_summaries(session: Session, actor: User) -> list[CampaignSummary]:
    """The campaigns with a library in scope (newest first) with their report-run state.

    Raises
    ------
    Forbidden
        When the actor may not see results.
    """
    return [
        CampaignSummary(campaign, report_runs.run_state(session, campaign.id))
        for campaign in campaigns_in_scope(session, actor, Action.view_results)
    ]


def request_recompute(
    session: Session, actor: User, campaign_ref: Campaign | int | str
) -> tuple[ReportRun, bool]:
    """Queue a recomputation of a campaign in the actor's scope; see :func:`request_run`.

    Raises
    ------
    Forbidden
        When the actor may not start report runs.
    NotFound
        When the campaign does not exist or is outside the actor's scope.
    """
    campaign = require_campaign(session, actor, campaign_ref, Action.run_reports)
    return report_runs.request_run(session, campaign, requested_by=actor)


def run_status(
    session: Session, actor: User, campaign_ref: Campaign | int | str
) -> dict[str, object]:
    """The state of a campaign's runs as plain data (for the page's status poll).

    Raises
    ------
    Forbidden, NotFound
        As :func:`region_dashboard`.
    """
    campaign = require_campaign(session, actor, campaign_ref, Action.view_results)
    state = report_runs.run_state(session, campaign.id)
    pending = state.pending
    shown = state.shown
    return {
        "pending": None
        if pending is None
        else {"id": pending.id, "status": str(pending.status), "progress": pending.progress},
        "shown": None
        if shown is None
        else {
            "id": shown.id,
            "finished_at": shown.finished_at.isoformat() if shown.finished_at else None,
            "responses": shown.responses_counted,
        },
        "failed": state.failed is not None,
    }
