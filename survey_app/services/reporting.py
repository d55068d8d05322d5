"""Reports: every statistic an instrument calls for, from files and from the database.

The orchestration of the read side; the statistics live in :mod:`analysis`
(``docs/analysis-architecture.md``). The jobs are split by module:

* :mod:`survey_app.services.analysis_plan` — the instrument -> :class:`analysis.AnalysisPlan`
  seam and the reading of wide files (:func:`numeric_frame`);
* :mod:`analysis.accumulator` — per-group sufficient statistics, fed chunk by chunk;
* :mod:`survey_app.services.response_stream` — the database stream of a campaign's response
  vectors into the accumulator (:func:`library_moments`);
* :mod:`analysis.plan_tables` — the plan's tables from rows or from the statistics, the long
  indicator table and the shrinkage, all ending in :mod:`analysis.estimators`;
* this module — :func:`instrument_indices` (a wide file, per any grouping) and
  :func:`regional_analysis` (a campaign from the database, per library), with verdicts
  against a standard.

The tests compare the database path with the file path and with :mod:`analysis` called on
the same responses loaded naively.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from collections.abc import Hashable
from collections.abc import Mapping
from collections.abc import Sequence
from concurrent.futures import Future
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from dataclasses import field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

import analysis
from analysis.accumulator import GroupStats
from analysis.accumulator import Layout
from analysis.accumulator import cell_groups
from analysis.plan import AnalysisPlan
from analysis.plan import GapSpec
from analysis.plan import ScaleSpec
from analysis.plan import ServqualSpec
from analysis.plan_tables import CELL_TABLES
from analysis.plan_tables import RELIABILITY_COLUMNS
from analysis.plan_tables import long_indices
from analysis.plan_tables import shrink_indicators
from analysis.plan_tables import tables_from_rows
from analysis.plan_tables import tables_from_stats
from survey_app.models import Campaign
from survey_app.models import InstrumentVersion
from survey_app.models import Library
from survey_app.services.analysis_plan import analysis_plan
from survey_app.services.analysis_plan import numeric_frame
from survey_app.services.errors import Invalid
from survey_app.services.errors import Issue
from survey_app.services.response_stream import CELL_COLUMNS
from survey_app.services.response_stream import library_moments
from survey_app.services.response_stream import source_filter

#: the per-library statistics of the stream (the name before the accumulator moved to analysis)
LibraryStats = GroupStats

__all__ = [
    "RELIABILITY_COLUMNS",
    "AnalysisPlan",
    "GapSpec",
    "IndicesReport",
    "LibraryStats",
    "RegionalReport",
    "ScaleSpec",
    "ServqualSpec",
    "analysis_plan",
    "instrument_indices",
    "library_moments",
    "long_indices",
    "numeric_frame",
    "regional_analysis",
]


# ---------------------------------------------------------------------------------------------
# the file path: the analysis functions on the rows
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndicesReport:
    """Every index an instrument calls for, per group, from the wide response rows."""

    plan: AnalysisPlan
    by: tuple[str, ...]
    #: one row per group: ``*by, n`` (responses)
    groups: pd.DataFrame
    #: name -> the analysis function's own table (``items``, ``shares``, ``nps``, ``happy``,
    #: ``scales``, ``reliability``, ``gap``, ``servqual``, ``nok``), only those that apply
    tables: Mapping[str, pd.DataFrame]
    #: long table (:func:`analysis.indices_table`): ``*by, indicator, value, ci_low, ci_high,
    #: n, se, test``
    indices: pd.DataFrame
    #: :func:`analysis.compare_to_standard` of ``indices``, when a standard was given
    verdicts: pd.DataFrame | None = None
    #: what could not be computed and why (e.g. NOK without a checklist)
    notes: tuple[str, ...] = ()


def instrument_indices(
    data: pd.DataFrame,
    plan: AnalysisPlan,
    *,
    by: Sequence[str] = ("library",),
    checklist: pd.DataFrame | None = None,
    standard: analysis.Standard | None = None,
    min_n: int = 30,
    confidence: float = 0.95,
    nok_config: analysis.NokConfig | None = None,
) -> IndicesReport:
    """Compute every index of ``plan`` per group from wide rows with the analysis functions.

    Raises
    ------
    Invalid
        If a key column is missing or not numeric (see :func:`numeric_frame`), or a grouping
        column is missing.
    ValueError
        From the analysis functions (e.g. an answer outside its declared range).
    """
    by_ = tuple(by)
    absent = [c for c in by_ if c not in data.columns]
    if absent:
        raise Invalid(
            "The data lack the grouping column(s).",
            [Issue("RPT001", c, "column missing from the data") for c in absent],
        )
    frame = numeric_frame(data, plan)
    tables, notes = tables_from_rows(frame, plan, by_, checklist, confidence, nok_config)
    groups = frame.groupby(list(by_), sort=True, dropna=False).size().rename("n").reset_index()
    indices = long_indices(tables, by_)
    verdicts = None
    if standard is not None:
        verdicts = analysis.compare_to_standard(indices, standard, unit=list(by_), min_n=min_n)
    return IndicesReport(
        plan=plan,
        by=by_,
        groups=groups,
        tables=MappingProxyType(tables),
        indices=indices,
        verdicts=verdicts,
        notes=tuple(notes),
    )


# ---------------------------------------------------------------------------------------------
# the regional report: the database stream, per library
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegionalReport:
    """Per-library reliability, indices, verdicts and shrinkage of one campaign."""

    plan: AnalysisPlan
    #: the campaign analysed (``None`` when an instrument version was pooled)
    campaign_id: int | None
    #: one row per library with responses: ``library_id, code, name, n``
    libraries: pd.DataFrame
    #: as :attr:`IndicesReport.tables` with ``library_id`` as the group, plus
    #: ``reliability_items`` (per library, scale and item: n, mean, sd, raw_r, r_drop,
    #: alpha_if_deleted)
    tables: Mapping[str, pd.DataFrame]
    #: long table: ``library_id, indicator, value, ci_low, ci_high, n, se, test``
    indices: pd.DataFrame
    #: :func:`analysis.compare_to_standard` (unit ``library_id``) when a standard was given
    verdicts: pd.DataFrame | None
    #: empirical-Bayes estimates: ``library_id, indicator, n, raw, posterior_mean,
    #: posterior_sd, ci_low, ci_high, weight, method`` and, for the ranked indicators,
    #: ``rank, rank_low, rank_high, p_top``
    shrinkage: pd.DataFrame
    notes: tuple[str, ...] = ()
    #: with ``cells=True``: the tables of :data:`analysis.CELL_TABLES` per library × channel ×
    #: day × service point (``library_id, channel, day, service_point_id`` first), from the
    #: same stream and the same formulas as ``tables``
    cells: Mapping[str, pd.DataFrame] = field(default_factory=lambda: MappingProxyType({}))
    #: with ``breakdowns``: name -> long table ``library_id, <name>, indicator, value, ci_low,
    #: ci_high, n, se, test`` of each library's responses per value of the breakdown (e.g.
    #: per channel), from the same cells and finalisers, with ``verdict`` and ``target``
    #: columns when a standard was given (:func:`analysis.compare_to_standard`, the same
    #: ``min_n``)
    breakdowns: Mapping[str, pd.DataFrame] = field(default_factory=lambda: MappingProxyType({}))


#: libraries finalised together (vectorised formulas); bounds the memory of finished stats
FINALISE_BATCH = 64


def regional_analysis(
    session: Session,
    campaign: Campaign | InstrumentVersion,
    *,
    standard: analysis.Standard | None = None,
    checklist: pd.DataFrame | None = None,
    min_n: int = 30,
    confidence: float = 0.95,
    nok_config: analysis.NokConfig | None = None,
    shrink: Sequence[str] | None = None,
    rank: Sequence[str] | None = None,
    n_sim: int = 1000,
    max_rank_libraries: int = 2000,
    chunk_rows: int = 20_000,
    progress: Callable[[int, int], None] | None = None,
    cells: bool = False,
    breakdowns: Mapping[str, Callable[[tuple[Any, ...]], Hashable]] | None = None,
    breakdown_indicators: Sequence[str] | None = None,
    pages: Sequence[str] = (),
    on_rows: Callable[[np.ndarray, np.ndarray, np.ndarray], None] | None = None,
    on_end: Callable[[], None] | None = None,
    zone: str = "UTC",
) -> RegionalReport:
    """Analyse every library of a campaign from the database, streaming its responses once.

    ``checklist`` (NOK only) has a ``library`` column of library codes and the
    :func:`analysis.nok_scores` checklist counts. ``shrink`` names the indicators to shrink
    (default: every ``scale:*`` indicator and the ``mean:``/``share_satisfied:`` indicators of
    items outside any scale); ``rank`` those that also get rank intervals (default: the shrunk
    ``scale:*`` indicators, or all shrunk ones when the instrument has no scale). Ranks are
    skipped above ``max_rank_libraries`` libraries: the simulation holds ``n_sim`` draws per
    library, and a league table of thousands of libraries says nothing a funnel plot does not.
    ``progress`` is called after each library streamed with (libraries, responses) so far.
    ``chunk_rows`` bounds the responses read at a time (at 1,000,000 responses a report run
    peaked ~60 MB lower with 20,000 than with 50,000, in about the same time).
    ``cells=True`` adds :attr:`RegionalReport.cells` (per library × channel × day × service
    point; the day is the date in the time zone ``zone``) from the same stream.
    ``breakdowns`` (name -> a key of a cell's label
    ``(channel, ISO day, service point id)``, None to leave the cell out) adds
    :attr:`RegionalReport.breakdowns`: each library's cells merged per key
    (:func:`analysis.regroup_cells`) and finalised like the cells (:data:`CELL_TABLES`).
    ``breakdown_indicators`` (the indicators wanted per breakdown, e.g. the main one: known
    before the scan, :func:`analysis.plan_indicators`) makes the cells keep only what those
    need (:func:`analysis.plan_for_indicators`) and finalises them once every library is
    streamed (the merged breakdown statistics are kept until then: a few dozen small groups a
    library); the breakdowns then hold those indicators only.
    ``on_rows`` is handed every chunk of the same scan with the seconds of each page of
    ``pages`` (:func:`library_moments`): a report run's careless-response screening
    (:class:`survey_app.services.careless.CampaignScreening`) reads no rows of its own;
    ``on_end`` is called once the scan has ended, before the last tables are made (the
    screening starts its last batch: :meth:`~survey_app.services.careless.CampaignScreening.flush`).

    Raises
    ------
    ValueError
        See :func:`library_moments`; a checklist without a ``library`` column.
    """
    _, instrument = source_filter(session, campaign)
    plan = analysis_plan(instrument)
    split_by = dict(breakdowns or {})
    # without the fine cells a library keeps one cell per combination of the breakdowns'
    # keys (e.g. channel × month): a few dozen, not one per day
    cell_key = None if cells or not split_by else _combined_key(tuple(split_by.values()))
    regroup_by = {
        name: key if cell_key is None else _position(j)
        for j, (name, key) in enumerate(split_by.items())
    }
    layout = Layout(plan)
    # the cells (and so the breakdowns) keep only what the wanted indicators need
    cell_plan = (
        analysis.plan_for_indicators(plan, breakdown_indicators)
        if breakdown_indicators is not None and not cells
        else None
    )
    cell_layout = Layout(cell_plan) if cell_plan is not None else layout
    notes: list[str] = []
    check = _checklist_by_id(session, checklist) if plan.nok and checklist is not None else None
    if plan.nok and checklist is None:
        notes.append("nok: no expert checklist given, so K1-K5 and the total are not scored")
    collected: dict[str, list[pd.DataFrame]] = {}
    counts: list[tuple[int, int]] = []
    streamed = 0
    batch: list[GroupStats] = []
    pending: deque[Future[dict[str, pd.DataFrame]]] = deque()

    def collect(future: Future[dict[str, pd.DataFrame]]) -> None:
        for name, table in future.result().items():
            collected.setdefault(name, []).append(table)

    def finalise(finished: list[GroupStats]) -> dict[str, pd.DataFrame]:
        keep(finished)
        out = tables_from_stats(
            finished,
            plan,
            confidence=confidence,
            checklist=check,
            nok_config=nok_config,
            layout=layout,
        )
        for name, key in regroup_by.items() if breakdown_indicators is None else ():
            parts = tables_from_stats(
                analysis.regroup_cells(finished, key),
                plan,
                by=("library_id", name),
                confidence=confidence,
                layout=layout,
                only=CELL_TABLES,
            )
            out.update({f"by:{name}:{table}": frame for table, frame in parts.items()})
        if cells:
            by_cell = ("library_id", *CELL_COLUMNS)
            cell_tables = tables_from_stats(
                cell_groups(finished),
                plan,
                by=by_cell,
                confidence=confidence,
                layout=layout,
                only=CELL_TABLES,
            )
            out.update({f"cell:{name}": table for name, table in cell_tables.items()})
        return out

    kept: dict[str, list[GroupStats]] = {name: [] for name in regroup_by}

    def keep(finished: list[GroupStats]) -> None:
        # on the finalising thread (one worker: batches in stream order); read once the
        # pool has finished
        if breakdown_indicators is not None:
            for name, key in regroup_by.items():
                kept[name].extend(analysis.regroup_cells(finished, key))

    # Finished libraries are finalised on a second thread while this one streams: the
    # stream mostly waits for the database (the GIL is released), the finalising mostly
    # computes. At most two batches are in flight, so memory stays bounded.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="finalise") as pool:
        stream = library_moments(
            session,
            campaign,
            plan=plan,
            chunk_rows=chunk_rows,
            cells=cells or bool(split_by),
            cell_key=cell_key,
            cell_plan=cell_plan,
            pages=pages,
            on_rows=on_rows,
            zone=zone,
        )
        for stats_ in stream:
            counts.append((stats_.library_id, stats_.n))
            batch.append(stats_)
            streamed += stats_.n
            if progress is not None:
                progress(len(counts), streamed)
            if len(batch) >= FINALISE_BATCH:
                if len(pending) >= 2:
                    collect(pending.popleft())
                pending.append(pool.submit(finalise, list(batch)))
                batch.clear()
        if on_end is not None:
            on_end()  # the scan has ended (e.g. the screening's last batch starts)
        if batch:
            pending.append(pool.submit(finalise, list(batch)))
        while pending:
            collect(pending.popleft())
    tables = {name: pd.concat(parts, ignore_index=True) for name, parts in collected.items()}
    cell_tables = {
        name.removeprefix("cell:"): _sorted_cells(tables.pop(name))
        for name in [n for n in tables if n.startswith("cell:")]
    }
    by_tables: dict[str, dict[str, pd.DataFrame]] = {}
    for name in [n for n in tables if n.startswith("by:")]:
        breakdown, _, table = name.removeprefix("by:").partition(":")
        by_tables.setdefault(breakdown, {})[table] = tables.pop(name)
    if check is not None:
        unscored = sorted({i for i, _ in counts} - set(check["library_id"]))
        if unscored:
            notes.append(f"nok: no checklist row for {len(unscored)} libraries (not scored)")
    libraries = _library_frame(session, counts)
    by = ("library_id",)
    indices = long_indices(tables, by)
    verdicts = None
    if standard is not None:
        verdicts = analysis.compare_to_standard(indices, standard, unit="library_id", min_n=min_n)
    if breakdown_indicators is not None:
        wanted = {analysis.indicator_table(i) for i in breakdown_indicators}
        only = {"shares" if t == "filter_shares" else t for t in wanted if t} & CELL_TABLES
        for name, groups in kept.items():
            for start in range(0, len(groups) if only else 0, 16 * FINALISE_BATCH):
                parts = tables_from_stats(
                    groups[start : start + 16 * FINALISE_BATCH],
                    cell_layout.plan,
                    by=("library_id", name),
                    confidence=confidence,
                    layout=cell_layout,
                    only=only,
                )
                for table, frame in parts.items():
                    found = by_tables.setdefault(name, {}).get(table)
                    by_tables[name][table] = (
                        frame if found is None else pd.concat([found, frame], ignore_index=True)
                    )
        kept.clear()
    if len(counts) > max_rank_libraries:
        rank = ()
        notes.append(f"ranks: skipped for {len(counts)} libraries (> {max_rank_libraries})")
    shrinkage, shrink_notes = shrink_indicators(
        tables, plan, shrink=shrink, rank=rank, n_sim=n_sim, confidence=confidence
    )
    notes.extend(shrink_notes)
    split: dict[str, pd.DataFrame] = {}
    for name, parts in by_tables.items():
        long = long_indices(parts, ("library_id", name))
        if standard is not None:
            judged = analysis.compare_to_standard(
                long, standard, unit=["library_id", name], min_n=min_n
            )
            long = long.merge(
                judged.loc[:, ["library_id", name, "indicator", "verdict", "target"]],
                on=["library_id", name, "indicator"],
                how="left",
            )
        split[name] = long
    return RegionalReport(
        plan=plan,
        campaign_id=campaign.id if isinstance(campaign, Campaign) else None,
        libraries=libraries,
        tables=MappingProxyType(tables),
        indices=indices,
        verdicts=verdicts,
        shrinkage=shrinkage,
        notes=tuple(notes),
        cells=MappingProxyType(cell_tables),
        breakdowns=MappingProxyType(split),
    )


def _combined_key(
    keys: tuple[Callable[[tuple[Any, ...]], Hashable], ...],
) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    def key(label: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(k(label) for k in keys)

    return key


def _position(j: int) -> Callable[[tuple[Any, ...]], Hashable]:
    def key(label: tuple[Any, ...]) -> Hashable:
        return label[j]

    return key


def _sorted_cells(table: pd.DataFrame) -> pd.DataFrame:
    """Cells in (library, channel, day, service point) order; within a cell the units keep
    the plan's order (the stream numbers cells as they appear)."""
    order = pd.DataFrame(
        {
            "library": table["library_id"].to_numpy(),
            "channel": table["channel"].astype(str).to_numpy(),
            "day": table["day"].fillna("").astype(str).to_numpy(),
            "point": table["service_point_id"].fillna(-1).astype("int64").to_numpy(),
            "position": np.arange(len(table)),
        }
    ).sort_values(["library", "channel", "day", "point", "position"], kind="stable")
    return table.loc[order.index].reset_index(drop=True)


def _checklist_by_id(session: Session, checklist: pd.DataFrame) -> pd.DataFrame:
    if "library" not in checklist.columns:
        raise ValueError("the checklist needs a library column (library codes)")
    codes = [str(c) for c in checklist["library"]]
    found = dict(
        session.execute(select(Library.code, Library.id).where(Library.code.in_(codes))).all()
    )
    unknown = sorted(set(codes) - set(found))
    if unknown:
        raise ValueError(f"checklist names unknown libraries {unknown[:10]!r}")
    out = checklist.drop(columns="library").copy()
    out.insert(0, "library_id", [found[c] for c in codes])
    return out


def _library_frame(session: Session, counts: Sequence[tuple[int, int]]) -> pd.DataFrame:
    frame = pd.DataFrame(counts, columns=["library_id", "n"])
    names: dict[int, tuple[str, str]] = {}
    ids = [i for i, _ in counts]
    for start in range(0, len(ids), 5000):  # keep the IN list of one query bounded
        part = ids[start : start + 5000]
        rows = session.execute(
            select(Library.id, Library.code, Library.name).where(Library.id.in_(part))
        )
        names.update({row.id: (row.code, row.name) for row in rows})
    frame.insert(1, "code", [names.get(i, ("", ""))[0] for i in frame["library_id"]])
    frame.insert(2, "name", [names.get(i, ("", ""))[1] for i in frame["library_id"]])
    return frame
