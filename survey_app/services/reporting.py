"""Read side: which statistics an instrument calls for, from files and from the database.

This module is the anti-corruption seam between :mod:`instruments` and :mod:`analysis`
(which never import each other). :func:`analysis_plan` turns an :class:`~instruments.Instrument`
into plain analysis inputs — item keys, declared ranges, scales with their reverse-keyed items,
gap batteries, SERVQUAL dimensions and weights, whether the NOK calculation applies — and two
paths compute every index the plan calls for:

* :func:`instrument_indices` takes the wide response table (``docs/data-format.md``; a CSV
  export read into pandas) and calls the :mod:`analysis` functions on the rows. The
  ``survey-app indices`` command uses it; it needs no database.
* :func:`library_moments` streams ``(library_id, vector)`` from the database ordered by library
  and accumulates per-library *sufficient statistics* (pairwise moments of the scale items,
  answer histograms per key, histograms of the scale scores, moment blocks of the gap and
  SERVQUAL scores); :func:`regional_analysis` turns them into the same tables with the formulas the
  analysis functions document (t intervals, Wilson intervals, the NPS Wald interval, paired
  differences) and adds reliability, verdicts against a standard, empirical-Bayes shrinkage
  and rank intervals. Memory is bounded by one library's statistics (O(k²) for k scale items,
  independent of its number of responses) plus the finished results, never by the number of
  rows. The one exception is the NOK calculation, which needs each respondent's skip-filter
  answers: the yes/no block (14 bytes per response) of the libraries being finalised is kept
  until :func:`analysis.nok_scores` has scored them.

The tests compare the database path with the file path and with :mod:`analysis` called on
the same responses loaded naively.
"""

from __future__ import annotations

import struct
from collections import deque
from collections.abc import Callable
from collections.abc import Iterator
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
from scipy import stats
from sqlalchemy import func
from sqlalchemy import literal_column
from sqlalchemy import select
from sqlalchemy.orm import Session
from statsmodels.stats.proportion import proportion_confint

import analysis
from analysis.nok import FILTER_QUESTIONS as NOK_FILTER_QUESTIONS
from instruments import Instrument
from instruments import ItemType
from survey_app.models import Campaign
from survey_app.models import InstrumentVersion
from survey_app.models import Library
from survey_app.models import Response
from survey_app.services.cells import CellError
from survey_app.services.cells import numeric_column
from survey_app.services.errors import Invalid
from survey_app.services.errors import Issue
from survey_app.services.instruments import instrument_of

__all__ = [
    "AnalysisPlan",
    "GapSpec",
    "IndicesReport",
    "ScaleSpec",
    "ServqualSpec",
    "LibraryStats",
    "RegionalReport",
    "analysis_plan",
    "instrument_indices",
    "library_moments",
    "long_indices",
    "numeric_frame",
    "regional_analysis",
]

#: the 344n culture questions (yes = 1, no = 0) and the skip filters of analysis.nok_scores
NOK_QUESTIONS: tuple[str, ...] = tuple(f"q{k}" for k in range(1, 15))
#: how many top scale points count as "satisfied" for a rating item (top-2 box)
TOP_BOX = 2
#: the battery pseudo-column of the wide format holding the N/A tick
NA_COLUMN = "na"
GAP3_COLUMNS = ("minimum", "desired", "perceived")
SERVQUAL_COLUMNS = ("expectation", "perception")
#: the points a SERVQUAL respondent shares out over the dimensions
SERVQUAL_POINTS = 100.0
#: implied ranges of the item types that declare none
_IMPLIED_RANGES: Mapping[ItemType, tuple[float, float]] = MappingProxyType(
    {ItemType.yes_no: (0.0, 1.0), ItemType.nps: (0.0, 10.0), ItemType.smiley: (1.0, 4.0)}
)
#: keys whose answers are whole numbers in a range narrower than this get dense histograms
_MAX_BINS = 1001


# ---------------------------------------------------------------------------------------------
# the seam: instrument -> plain analysis inputs
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScaleSpec:
    """A scale as :func:`analysis.cronbach_alpha` and ``describe_dimensions`` take it."""

    id: str
    #: analysis keys of the items (``"AS1:perceived"`` for a battery column)
    items: tuple[str, ...]
    #: the reverse-keyed keys among ``items``
    reverse: tuple[str, ...]
    #: declared (min, max) of every item key
    ranges: Mapping[str, tuple[float, float]]


@dataclass(frozen=True, slots=True)
class GapSpec:
    """A LibQUAL-style minimum/desired/perceived battery (:func:`analysis.gap_scores`)."""

    items: tuple[str, ...]
    #: dimension id -> battery item ids (the instrument's scales over the battery)
    dimensions: Mapping[str, tuple[str, ...]]
    #: whether the items offer "not applicable" (the wide format then has ``<item>:na``)
    na_allowed: bool


@dataclass(frozen=True, slots=True)
class ServqualSpec:
    """An expectation/perception battery (:func:`analysis.servqual_scores`)."""

    dimensions: Mapping[str, tuple[str, ...]]
    scale_range: tuple[float, float]
    #: negatively worded items (the scales' reverse-keyed items), recoded before the gap
    reverse: tuple[str, ...]
    #: dimension -> number item holding the respondent's importance points, if the
    #: instrument asks for a 100-point split over exactly these dimensions
    weight_columns: Mapping[str, str] | None


@dataclass(frozen=True, slots=True)
class AnalysisPlan:
    """Everything the analysis needs to know about one instrument version, as plain data."""

    instrument_id: str
    version: int
    #: the numeric answer vector's keys, in order (``Instrument.analysis_keys``)
    keys: tuple[str, ...]
    #: declared (or implied) answer range of each key that has one
    ranges: Mapping[str, tuple[float, float]]
    #: key -> item type (``"likert"``, ``"battery"``, ...)
    kinds: Mapping[str, str]
    #: keys described by mean, sd, median and t interval (ratings, numbers, battery columns)
    means: tuple[str, ...]
    #: rating key -> threshold of the top-2 box ("satisfied")
    ratings: Mapping[str, float]
    yes_no: tuple[str, ...]
    nps: tuple[str, ...]
    smileys: tuple[str, ...]
    scales: tuple[ScaleSpec, ...]
    gap: GapSpec | None
    servqual: ServqualSpec | None
    #: whether the instrument carries the NOK culture questions q1..q14 as yes/no items
    nok: bool
    #: keys whose answers are whole numbers within a declared range (dense histograms)
    integer_keys: frozenset[str]
    #: coded single-choice key -> {choice value: code}: the wide format carries the value,
    #: the vector the code (nominal, so no index uses them)
    codes: Mapping[str, Mapping[str, float]] = field(default_factory=dict)

    @property
    def shares(self) -> Mapping[str, float]:
        """Key -> threshold of every "share satisfied" indicator (ratings, then yes/no)."""
        out = dict(self.ratings)
        out.update(dict.fromkeys(self.yes_no, 1.0))
        return out


def analysis_plan(instrument: Instrument) -> AnalysisPlan:
    """Derive the plain analysis inputs of an instrument from its item types and scales."""
    keys = instrument.analysis_keys
    ranges: dict[str, tuple[float, float]] = {}
    kinds: dict[str, str] = {}
    integer_keys: set[str] = set()
    means: list[str] = []
    ratings: dict[str, float] = {}
    yes_no: list[str] = []
    nps: list[str] = []
    smileys: list[str] = []
    batteries: dict[str, tuple[str, ...]] = {}
    battery_range: dict[str, tuple[float, float]] = {}
    na_allowed: dict[str, bool] = {}
    codes: dict[str, Mapping[str, float]] = {}
    key_set = set(keys)
    for item in instrument.items:
        declared = _IMPLIED_RANGES.get(item.type)
        if item.min is not None and item.max is not None:
            declared = (float(item.min), float(item.max))
        whole = item.type is not ItemType.number or item.integer
        if item.type is ItemType.battery:
            cols = tuple(c.id for c in item.columns)
            batteries[item.id] = cols
            na_allowed[item.id] = item.na_allowed
            for col in cols:
                key = f"{item.id}:{col}"
                kinds[key] = item.type.value
                means.append(key)
                if declared is not None:
                    ranges[key] = declared
                    battery_range[item.id] = declared
                    integer_keys.add(key)
            continue
        if item.id not in key_set:
            continue
        kinds[item.id] = item.type.value
        if declared is not None:
            ranges[item.id] = declared
            if whole and declared[1] - declared[0] < _MAX_BINS:
                integer_keys.add(item.id)
        if item.type is ItemType.likert:
            means.append(item.id)
            if declared is not None:
                ratings[item.id] = declared[1] - TOP_BOX + 1
        elif item.type is ItemType.number:
            means.append(item.id)
        elif item.type is ItemType.yes_no:
            yes_no.append(item.id)
        elif item.type is ItemType.nps:
            nps.append(item.id)
        elif item.type is ItemType.smiley:
            smileys.append(item.id)
        elif item.type is ItemType.single:  # nominal: no index
            codes[item.id] = MappingProxyType(
                {c.value: float(c.code) for c in item.choices if c.code is not None}
            )

    scales = []
    for scale in instrument.scales:
        item_keys = tuple(_scale_key(instrument, i, scale.column) for i in scale.items)
        rev = tuple(_scale_key(instrument, i, scale.column) for i in scale.reverse)
        scales.append(
            ScaleSpec(
                id=scale.id,
                items=item_keys,
                reverse=rev,
                ranges=MappingProxyType({k: ranges[k] for k in item_keys if k in ranges}),
            )
        )

    gap = _gap_spec(instrument, batteries, na_allowed)
    servqual = _servqual_spec(instrument, batteries, battery_range)
    nok = all(k in kinds and kinds[k] == ItemType.yes_no.value for k in NOK_QUESTIONS)
    return AnalysisPlan(
        instrument_id=instrument.id,
        version=instrument.version,
        keys=tuple(keys),
        ranges=MappingProxyType(ranges),
        kinds=MappingProxyType(kinds),
        means=tuple(means),
        ratings=MappingProxyType(ratings),
        yes_no=tuple(yes_no),
        nps=tuple(nps),
        smileys=tuple(smileys),
        scales=tuple(scales),
        gap=gap,
        servqual=servqual,
        nok=nok,
        integer_keys=frozenset(integer_keys),
        codes=MappingProxyType(codes),
    )


def _scale_key(instrument: Instrument, item_id: str, column: str | None) -> str:
    item = instrument.item(item_id)
    if item.type is ItemType.battery:
        return f"{item_id}:{column}"
    return item_id


def _battery_scales(
    instrument: Instrument, members: set[str], column: str
) -> dict[str, tuple[str, ...]]:
    """The instrument's scales made of these battery items and scored on ``column``."""
    return {
        s.id: tuple(s.items)
        for s in instrument.scales
        if s.column == column and s.items and set(s.items) <= members
    }


def _gap_spec(
    instrument: Instrument, batteries: Mapping[str, tuple[str, ...]], na: Mapping[str, bool]
) -> GapSpec | None:
    items = tuple(i for i, cols in batteries.items() if cols == GAP3_COLUMNS)
    if not items:
        return None
    return GapSpec(
        items=items,
        dimensions=MappingProxyType(_battery_scales(instrument, set(items), "perceived")),
        na_allowed=any(na[i] for i in items),
    )


def _servqual_spec(
    instrument: Instrument,
    batteries: Mapping[str, tuple[str, ...]],
    battery_range: Mapping[str, tuple[float, float]],
) -> ServqualSpec | None:
    items = [i for i, cols in batteries.items() if cols == SERVQUAL_COLUMNS]
    if not items:
        return None
    dims = _battery_scales(instrument, set(items), "perception")
    if not dims:
        dims = {"overall": tuple(items)}
    item_ranges = {battery_range[i] for i in items if i in battery_range}
    if len(item_ranges) != 1:
        return None  # servqual_scores takes one declared range for the whole battery
    weights: dict[str, str] | None = None
    for section in instrument.sections:
        if section.sum_to != SERVQUAL_POINTS:
            continue
        ids = {i.id for i in section.items if i.type is ItemType.number}
        wanted = {d: f"w_{d}" for d in dims}
        if set(wanted.values()) <= ids:
            weights = wanted
    reverse = tuple(
        dict.fromkeys(
            r for sc in instrument.scales if sc.column == "perception" for r in sc.reverse
        )
    )
    return ServqualSpec(
        dimensions=MappingProxyType(dims),
        scale_range=item_ranges.pop(),
        reverse=reverse,
        weight_columns=None if weights is None else MappingProxyType(weights),
    )


def numeric_frame(data: pd.DataFrame, plan: AnalysisPlan) -> pd.DataFrame:
    """Return ``data`` with every analysis key (and battery N/A column) as float64.

    Raises
    ------
    Invalid
        With one ``RPT001`` issue per missing key column and one ``RPT002`` per column
        holding a value ``import responses`` would not accept (cells are read by
        :func:`survey_app.services.cells.numeric_column`: a decimal comma, да/нет and yes/no
        for yes/no items are accepted; an empty cell is a missing answer, ``NA`` is an error).
    """
    issues: list[Issue] = []
    out = data.copy()
    na_columns = []
    if plan.gap is not None and plan.gap.na_allowed:
        na_columns = [f"{i}:{NA_COLUMN}" for i in plan.gap.items if f"{i}:{NA_COLUMN}" in data]
    for column in (*plan.keys, *na_columns):
        if column not in data.columns:
            issues.append(Issue("RPT001", column, "column missing from the data"))
            continue
        values = data[column]
        if column in plan.codes:
            codes = dict(plan.codes[column])  # a choice's code -> its number
            text = values.astype("string").str.strip()
            values = text.map(lambda cell, codes=codes: codes.get(cell, cell), na_action="ignore")
        kind = plan.kinds.get(column)
        item_type = ItemType.yes_no if column in na_columns else None
        if kind is not None:
            item_type = ItemType(kind)
        try:
            out[column] = numeric_column(values, item_type)
        except CellError as exc:
            issues.append(Issue("RPT002", column, f"row {exc.row + 1}: {exc}"))
    if issues:
        raise Invalid("The data do not fit the instrument.", issues)
    return out


# ---------------------------------------------------------------------------------------------
# the file path: analysis functions on the rows
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
    tables, notes = _file_tables(frame, plan, by_, checklist, confidence, nok_config)
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


def _file_tables(
    frame: pd.DataFrame,
    plan: AnalysisPlan,
    by: tuple[str, ...],
    checklist: pd.DataFrame | None,
    confidence: float,
    nok_config: analysis.NokConfig | None,
) -> tuple[dict[str, pd.DataFrame], list[str]]:
    tables: dict[str, pd.DataFrame] = {}
    notes: list[str] = []
    by_list = list(by)
    if plan.means:
        tables["items"] = analysis.describe_items(
            frame, items=list(plan.means), by=by_list, confidence=confidence
        )
    shares = []
    if plan.ratings:
        shares.append(
            analysis.share_satisfied(
                frame,
                items=list(plan.ratings),
                threshold=dict(plan.ratings),
                by=by_list,
                confidence=confidence,
            )
        )
    yes_no = _plain_yes_no(plan)
    if yes_no:
        shares.append(
            analysis.share_satisfied(
                frame, items=yes_no, threshold=1.0, by=by_list, confidence=confidence
            )
        )
    if plan.nok:
        satisfied, filters = _split_nok_shares(
            analysis.nok_item_shares(frame, by=by_list, confidence=confidence)
        )
        shares.append(satisfied)
        tables["filter_shares"] = filters
    if shares:
        tables["shares"] = _concat_sorted(shares, by)
    if plan.nps:
        tables["nps"] = analysis.net_promoter_score(
            frame, items=list(plan.nps), by=by_list, confidence=confidence
        )
    if plan.smileys:
        tables["happy"] = analysis.happy_index(
            frame, items=list(plan.smileys), by=by_list, confidence=confidence
        )
    if plan.scales:
        parts = [
            analysis.describe_dimensions(
                frame,
                scales={s.id: list(s.items)},
                reverse=list(s.reverse),
                scale_range=dict(s.ranges) or None,
                by=by_list,
                confidence=confidence,
            )
            for s in plan.scales
        ]
        tables["scales"] = _concat_sorted(parts, by)
        tables["reliability"] = _file_reliability(frame, plan.scales, by, confidence)
    if plan.gap is not None:
        na = NA_COLUMN if any(f"{i}:{NA_COLUMN}" in frame for i in plan.gap.items) else None
        tables["gap"] = analysis.gap_scores(
            frame,
            items=list(plan.gap.items),
            scales={d: list(m) for d, m in plan.gap.dimensions.items()} or None,
            na_column=na,
            by=by_list,
            confidence=confidence,
        )
    if plan.servqual is not None:
        sq = plan.servqual
        tables["servqual"] = analysis.servqual_scores(
            frame,
            dimensions={d: list(m) for d, m in sq.dimensions.items()},
            scale_range=sq.scale_range,
            reverse=list(sq.reverse),
            weight_columns=None if sq.weight_columns is None else dict(sq.weight_columns),
            by=by_list,
            confidence=confidence,
        )
    if plan.nok:
        if checklist is None:
            notes.append("nok: no expert checklist given, so K1-K5 and the total are not scored")
        else:
            tables["nok"] = analysis.nok_scores(
                frame, checklist=checklist, by=list(by), config=nok_config
            )
    return tables, notes


def _plain_yes_no(plan: AnalysisPlan) -> list[str]:
    """The yes/no keys whose share is a plain "share satisfied" (not the NOK questions, whose
    shares follow the method's skip filters: :func:`analysis.nok_item_shares`)."""
    return [k for k in plan.yes_no if not (plan.nok and k in NOK_QUESTIONS)]


def _split_nok_shares(table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split :func:`analysis.nok_item_shares` into the satisfaction shares and the shares of
    the filter questions (used the stands / the website / remote channels, has a disability)."""
    filters = table["measure"] == "yes"
    return (
        table.loc[~filters].drop(columns="measure").reset_index(drop=True),
        table.loc[filters].drop(columns="measure").reset_index(drop=True),
    )


def _concat_sorted(parts: list[pd.DataFrame], by: Sequence[str]) -> pd.DataFrame:
    out = pd.concat(parts, ignore_index=True)
    if by:
        out = out.sort_values(list(by), kind="stable", ignore_index=True)
    return out


#: columns of the reliability table (one row per group and scale). ``status`` is ``ok``,
#: ``warning`` (alpha computed, see ``reason``/``note``), ``unsound`` (alpha computed from a
#: pairwise matrix that is not positive semi-definite or has too few joint responses: not a
#: sound estimate) or ``unavailable`` (no alpha; ``reason`` says why). ``reason`` holds the
#: :class:`analysis.Reason` codes (comma-separated), ``note`` the readable messages.
RELIABILITY_COLUMNS = (
    "scale",
    "k",
    "n",
    "n_complete",
    "alpha",
    "alpha_std",
    "g6",
    "average_r",
    "se",
    "ci_low",
    "ci_high",
    "duhachek_low",
    "duhachek_high",
    "status",
    "reason",
    "note",
)


def _status_columns(notes: Sequence[analysis.Note]) -> dict[str, Any]:
    """``status``, ``reason`` and ``note`` of a computed alpha from its warnings."""
    if not notes:
        return {"status": "ok", "reason": None, "note": None}
    unsound = any(note.unsound for note in notes)
    return {
        "status": "unsound" if unsound else "warning",
        "reason": ",".join(note.code.value for note in notes),
        "note": "; ".join(note.message for note in notes),
    }


def _alpha_row(result: analysis.AlphaResult) -> dict[str, Any]:
    return {
        "k": result.n_items,
        "n": result.n_used,
        "n_complete": result.n_complete,
        "alpha": result.alpha,
        "alpha_std": result.std_alpha,
        "g6": result.g6,
        "average_r": result.average_r,
        "se": result.ase,
        "ci_low": result.ci_low,
        "ci_high": result.ci_high,
        "duhachek_low": result.duhachek_low,
        "duhachek_high": result.duhachek_high,
        **_status_columns(result.notes),
    }


def _failed_alpha_row(
    k: int, n: int, n_complete: int, reason: analysis.Reason, message: str
) -> dict[str, Any]:
    """The statistics of a scale without alpha: NaN, but the counts and the reason kept.

    The row has no ``scale`` (nor group) key: the caller's keys stay as they are.
    """
    row: dict[str, Any] = dict.fromkeys(RELIABILITY_COLUMNS[4:], np.nan)
    row.update(
        {
            "k": int(k),
            "n": int(n),
            "n_complete": int(n_complete),
            "status": "unavailable",
            "reason": analysis.Reason(reason).value,
            "note": message,
        }
    )
    return row


def _file_reliability(
    frame: pd.DataFrame, scales: Sequence[ScaleSpec], by: tuple[str, ...], confidence: float
) -> pd.DataFrame:
    rows = []
    groups = frame.groupby(list(by), sort=True, dropna=False) if by else [((), frame)]
    for key, rows_of_group in groups:
        keys = key if isinstance(key, tuple) else (key,)
        for scale in scales:
            row: dict[str, Any] = dict(zip(by, keys, strict=True))
            row["scale"] = scale.id
            try:
                result = analysis.cronbach_alpha(
                    rows_of_group,
                    items=list(scale.items),
                    reverse=list(scale.reverse),
                    scale=dict(scale.ranges) or None,
                    ci=confidence,
                )
                row.update(_alpha_row(result))
            except ValueError as exc:
                if isinstance(exc, analysis.StatisticUnavailable):
                    code = exc.code
                elif "outside" in str(exc):
                    code = analysis.Reason.OUT_OF_RANGE
                else:
                    code = analysis.Reason.INVALID_DATA
                present = rows_of_group.loc[:, list(scale.items)].notna()
                row.update(
                    _failed_alpha_row(
                        len(scale.items),
                        len(rows_of_group),
                        int(present.all(axis=1).sum()),
                        code,
                        str(exc),
                    )
                )
            rows.append(row)
    return pd.DataFrame(rows, columns=[*by, *RELIABILITY_COLUMNS])


#: (table, value column(s), indicator name or prefix, unit column, test)
_LONG: tuple[tuple[str, tuple[str, ...], str, str | None, str | None], ...] = (
    ("items", ("mean",), "mean", "item", None),
    ("shares", ("share",), "share_satisfied", "item", None),
    ("filter_shares", ("share",), "share_yes", "item", None),
    ("nps", ("nps",), "nps", "item", None),
    ("happy", ("index",), "happy_index", "item", None),
    ("scales", ("mean",), "scale", "dimension", None),
    ("reliability", ("alpha",), "alpha", "scale", "none"),
    ("gap", ("adequacy_gap", "superiority_gap", "zot_width"), "", "unit", None),
    ("servqual", ("gap",), "servqual_gap", "component", None),
    ("nok", ("K1", "K2", "K3", "K4", "K5", "total"), "nok:", None, "none"),
)


def long_indices(tables: Mapping[str, pd.DataFrame], by: Sequence[str]) -> pd.DataFrame:
    """Stack the tables into :func:`analysis.indices_table`'s long format.

    Indicator names: ``mean:<key>``, ``share_satisfied:<key>``, ``share_yes:<key>`` (the NOK
    filter questions: used the stands / the website / remote channels, has a disability),
    ``nps:<key>``,
    ``happy_index:<key>``, ``scale:<scale>``, ``alpha:<scale>``, ``adequacy_gap:<unit>``,
    ``superiority_gap:<unit>``, ``zot_width:<unit>``, ``servqual_gap:<component>``,
    ``nok:K1`` … ``nok:total``.
    """
    parts = []
    for name, values, label, unit, test in _LONG:
        table = tables.get(name)
        if table is None or table.empty:
            continue
        kwargs: dict[str, Any] = {"by": list(by), "test": test}
        if name == "nok":
            kwargs["prefix"] = label
        elif len(values) == 1:
            kwargs["name"] = label
        part = analysis.indices_table(
            table, value=list(values) if len(values) > 1 else values[0], unit=unit, **kwargs
        )
        parts.append(part)
    if not parts:
        columns = [*by, "indicator", "value", "ci_low", "ci_high", "n", "se", "test"]
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)


# ---------------------------------------------------------------------------------------------
# the database path: sufficient statistics per library
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Block:
    """Where a vector-valued per-respondent score comes from (gap units, SERVQUAL)."""

    name: str
    #: centring constant of each coordinate (declared midpoints): keeps sums of squares small
    shift: np.ndarray


class _Layout:
    """Column positions and histogram layout of a plan, computed once per stream."""

    def __init__(self, plan: AnalysisPlan) -> None:
        self.plan = plan
        self.index = {key: k for k, key in enumerate(plan.keys)}
        wanted = dict.fromkeys((*plan.means, *plan.shares, *plan.nps, *plan.smileys))
        self.dense_keys = tuple(k for k in wanted if k in plan.integer_keys)
        self.sparse_keys = tuple(k for k in wanted if k not in plan.integer_keys)
        self.dense_cols = np.array([self.index[k] for k in self.dense_keys], dtype=np.intp)
        self.dense_lo = np.array([plan.ranges[k][0] for k in self.dense_keys])
        self.dense_hi = np.array([plan.ranges[k][1] for k in self.dense_keys])
        bins = (self.dense_hi - self.dense_lo).astype(np.int64) + 1
        self.dense_bins = bins
        self.dense_offset = np.concatenate([[0], np.cumsum(bins)[:-1]]).astype(np.int64)
        self.n_bins = int(bins.sum())
        #: the union of the scale items: one PairwiseMoments per library, subset per scale
        self.rel_items = tuple(dict.fromkeys(i for s in plan.scales for i in s.items))
        self.rel_cols = np.array([self.index[k] for k in self.rel_items], dtype=np.intp)
        self.scale_cols = {
            s.id: (
                np.array([self.index[k] for k in s.items], dtype=np.intp),
                np.array(
                    [sum(s.ranges[k]) if k in s.reverse else np.nan for k in s.items], dtype=float
                ),
            )
            for s in plan.scales
        }
        #: scales of whole-number items sharing one range: their scores are (answered m, sum s)
        #: pairs, counted in a dense histogram; bin base[m] + s holds the score lo + s/m
        self.score_bins: dict[str, tuple[float, np.ndarray, np.ndarray, np.ndarray]] = {}
        for s in plan.scales:
            spans = {s.ranges.get(k) for k in s.items}
            if not set(s.items) <= plan.integer_keys or len(spans) != 1:
                continue
            (lo, hi) = spans.pop()  # type: ignore[misc]
            width, k = int(hi - lo), len(s.items)
            base = np.zeros(k + 2, dtype=np.int64)
            base[2:] = np.cumsum([m * width + 1 for m in range(1, k + 1)])
            values = np.concatenate(
                [(m * lo + np.arange(m * width + 1)) / m for m in range(1, k + 1)]
            )
            distinct, inverse = np.unique(values, return_inverse=True)
            self.score_bins[s.id] = (lo, base, distinct, inverse.ravel())
        self.blocks: dict[str, _Block] = {}
        self.gap_units: list[tuple[str, str, tuple[str, ...]]] = []
        if plan.gap is not None:
            units: list[tuple[str, str, tuple[str, ...]]] = [
                ("item", i, (i,)) for i in plan.gap.items
            ]
            units += [("dimension", d, m) for d, m in plan.gap.dimensions.items()]
            units.append(("overall", "overall", plan.gap.items))
            self.gap_units = units
            for _, unit, members in units:
                lo, hi = plan.ranges[f"{members[0]}:minimum"]
                self.blocks[f"gap:{unit}"] = _Block(f"gap:{unit}", np.full(3, (lo + hi) / 2))
        if plan.servqual is not None:
            lo, hi = plan.servqual.scale_range
            mid = (lo + hi) / 2
            for dim in plan.servqual.dimensions:
                self.blocks[f"servqual:{dim}"] = _Block(f"servqual:{dim}", np.full(2, mid))
            ndim = len(plan.servqual.dimensions)
            self.blocks["servqual:complete"] = _Block("servqual:complete", np.zeros(ndim))
            if plan.servqual.weight_columns is not None:
                self.blocks["servqual:weights"] = _Block(
                    "servqual:weights", np.full(ndim, SERVQUAL_POINTS / ndim)
                )
        self.nok_cols = (
            np.array([self.index[q] for q in NOK_QUESTIONS], dtype=np.intp) if plan.nok else None
        )


@dataclass
class LibraryStats:
    """Sufficient statistics of one library's responses, accumulated chunk by chunk.

    Its size depends on the instrument (k keys, answer ranges, k² scale moments), not on the
    number of responses — except ``nok_rows`` (the yes/no answers, 14 bytes a response),
    which only NOK instruments fill.
    """

    library_id: int
    #: responses
    n: int = 0
    #: answer counts of every integer-valued key, concatenated (see ``_Layout``)
    hist: np.ndarray | None = None
    #: column (non-integer key, or ``scale:<id>`` score) -> list of (values, counts) parts
    values: dict[str, list[tuple[np.ndarray, np.ndarray]]] = field(default_factory=dict)
    #: scale id -> dense histogram of the scale scores (see ``_Layout.score_bins``)
    scores: dict[str, np.ndarray] = field(default_factory=dict)
    #: pairwise moments of the (unreversed) scale items
    moments: analysis.PairwiseMoments | None = None
    #: block name -> [n, sums, cross products] of the centred per-respondent vectors
    blocks: dict[str, list[Any]] = field(default_factory=dict)
    #: NOK yes/no answers, int8 with -1 for missing
    nok_rows: list[np.ndarray] = field(default_factory=list)


def _segments(library_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start offsets of the runs of equal library ids and each row's run number."""
    change = np.empty(len(library_ids), dtype=bool)
    change[0] = True
    np.not_equal(library_ids[1:], library_ids[:-1], out=change[1:])
    starts = np.flatnonzero(change)
    return starts, np.cumsum(change) - 1


def _value_counts(
    seg: np.ndarray, values: np.ndarray, n_seg: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Distinct values and their counts within each segment (NaN skipped)."""
    ok = ~np.isnan(values)
    s, v = seg[ok], values[ok]
    out: list[tuple[np.ndarray, np.ndarray]] = [(np.empty(0), np.empty(0, np.int64))] * n_seg
    if not len(v):
        return out
    order = np.lexsort((v, s))
    s, v = s[order], v[order]
    new = np.empty(len(v), dtype=bool)
    new[0] = True
    new[1:] = (s[1:] != s[:-1]) | (v[1:] != v[:-1])
    first = np.flatnonzero(new)
    counts = np.diff(np.append(first, len(v)))
    seg_of = s[first]
    bounds = np.searchsorted(seg_of, np.arange(n_seg + 1))
    for k in range(n_seg):
        a, b = bounds[k], bounds[k + 1]
        if b > a:
            out[k] = (v[first[a:b]], counts[a:b])
    return out


def _block_sums(
    seg: np.ndarray, vectors: np.ndarray, shift: np.ndarray, n_seg: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per segment: rows with every coordinate present, their centred sums and cross products."""
    ok = ~np.isnan(vectors).any(axis=1)
    y = vectors[ok] - shift
    s = seg[ok]
    d = vectors.shape[1]
    counts = np.bincount(s, minlength=n_seg)
    sums = np.zeros((n_seg, d))
    cross = np.zeros((n_seg, d, d))
    if len(y):
        present = np.flatnonzero(counts)
        starts = np.searchsorted(s, present)
        sums[present] = np.add.reduceat(y, starts, axis=0)
        cross[present] = np.add.reduceat(y[:, :, None] * y[:, None, :], starts, axis=0)
    return counts, sums, cross


def _row_means(block: np.ndarray) -> np.ndarray:
    """Mean of the present values of each row (NaN when none), as pandas ``mean(axis=1)``."""
    present = ~np.isnan(block)
    count = present.sum(axis=1)
    total = np.where(present, block, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, np.nan)


def _chunk_vectors(layout: _Layout, x: np.ndarray) -> dict[str, np.ndarray]:
    """The per-respondent derived vectors of a chunk, NaN where a respondent has none."""
    plan = layout.plan
    out: dict[str, np.ndarray] = {}
    if plan.gap is not None:
        roles = {
            role: np.column_stack([x[:, layout.index[f"{i}:{role}"]] for i in plan.gap.items])
            for role in GAP3_COLUMNS
        }
        valid = ~np.logical_or.reduce([np.isnan(v) for v in roles.values()])
        masked = {role: np.where(valid, v, np.nan) for role, v in roles.items()}
        position = {i: k for k, i in enumerate(plan.gap.items)}
        for level, unit, members in layout.gap_units:
            cols = [position[i] for i in members]
            if level == "item":
                parts = [masked[r][:, cols[0]] for r in GAP3_COLUMNS]
            else:
                parts = [_row_means(masked[r][:, cols]) for r in GAP3_COLUMNS]
            out[f"gap:{unit}"] = np.column_stack(parts)
    if plan.servqual is not None:
        sq = plan.servqual
        lo, hi = sq.scale_range
        gaps = []
        for dim, members in sq.dimensions.items():
            e = np.column_stack([x[:, layout.index[f"{i}:expectation"]] for i in members])
            p = np.column_stack([x[:, layout.index[f"{i}:perception"]] for i in members])
            for k, item in enumerate(members):
                if item in sq.reverse:
                    e[:, k] = lo + hi - e[:, k]
                    p[:, k] = lo + hi - p[:, k]
            both = ~(np.isnan(e) | np.isnan(p))
            e, p = np.where(both, e, np.nan), np.where(both, p, np.nan)
            out[f"servqual:{dim}"] = np.column_stack([_row_means(e), _row_means(p)])
            gaps.append(_row_means(p - e))
        out["servqual:complete"] = np.column_stack(gaps)
        if sq.weight_columns is not None:
            w = np.column_stack([x[:, layout.index[c]] for c in sq.weight_columns.values()])
            with np.errstate(invalid="ignore"):
                usable = (
                    ~np.isnan(w).any(axis=1)
                    & (w >= 0).all(axis=1)
                    & (np.abs(w.sum(axis=1) - SERVQUAL_POINTS) <= 1e-6)
                )
            out["servqual:weights"] = np.where(usable[:, None], w, np.nan)
    return out


def _keyed(layout: _Layout, scale_id: str, x: np.ndarray) -> np.ndarray:
    """The scale's item columns with reverse-keyed items recoded min + max − x."""
    cols, flip = layout.scale_cols[scale_id]
    block = x[:, cols]
    reversed_ = ~np.isnan(flip)
    if reversed_.any():
        block = block.copy()
        block[:, reversed_] = flip[reversed_] - block[:, reversed_]
    return block


def _scale_scores(layout: _Layout, x: np.ndarray) -> dict[str, np.ndarray]:
    """Scale scores (mean of the answered, reverse-keyed items) of the scales without bins."""
    return {
        f"scale:{scale_id}": _row_means(_keyed(layout, scale_id, x))
        for scale_id in layout.scale_cols
        if scale_id not in layout.score_bins
    }


def _score_histograms(
    layout: _Layout, x: np.ndarray, seg: np.ndarray, n_seg: int
) -> dict[str, np.ndarray]:
    """Per segment, the counts of each (answered m, keyed sum) pair of every binned scale."""
    out = {}
    for scale_id, (lo, base, _, inverse) in layout.score_bins.items():
        block = _keyed(layout, scale_id, x) - lo
        present = ~np.isnan(block)
        m = present.sum(axis=1)
        total = np.where(present, block, 0.0).sum(axis=1).astype(np.int64)
        ok = m > 0
        width = len(inverse)
        index = seg[ok] * width + base[m[ok]] + total[ok]
        out[scale_id] = np.bincount(index, minlength=n_seg * width).reshape(n_seg, width)
    return out


def _absorb(
    layout: _Layout,
    library_ids: np.ndarray,
    x: np.ndarray,
    current: LibraryStats | None,
) -> tuple[list[LibraryStats], LibraryStats | None]:
    """Fold a chunk (rows sorted by library) into per-library statistics.

    Returns the libraries whose rows ended inside the chunk, and the last library, which may
    continue in the next chunk.
    """
    starts, seg = _segments(library_ids)
    n_seg = len(starts)
    ends = np.append(starts[1:], len(library_ids))
    # dense answer histograms: one bincount per key over every segment of the chunk
    hist = np.zeros((n_seg, layout.n_bins), dtype=np.int64) if layout.n_bins else None
    if hist is not None:
        for j, key in enumerate(layout.dense_keys):
            values = x[:, layout.dense_cols[j]]
            present = ~np.isnan(values)
            offset = values[present] - layout.dense_lo[j]
            bins = offset.astype(np.int64)
            if len(bins) and (
                (offset < 0).any() or (bins >= layout.dense_bins[j]).any() or (bins != offset).any()
            ):
                raise ValueError(
                    f"stored answers to {key!r} lie outside its declared whole numbers "
                    f"{layout.dense_lo[j]:g}..{layout.dense_hi[j]:g}"
                )
            width = int(layout.dense_bins[j])
            a = int(layout.dense_offset[j])
            counts = np.bincount(seg[present] * width + bins, minlength=n_seg * width)
            hist[:, a : a + width] = counts.reshape(n_seg, width)
    columns = {k: x[:, layout.index[k]] for k in layout.sparse_keys}
    columns.update(_scale_scores(layout, x))
    counted = {name: _value_counts(seg, v, n_seg) for name, v in columns.items()}
    score_hist = _score_histograms(layout, x, seg, n_seg)
    vectors = _chunk_vectors(layout, x)
    blocks = {
        name: _block_sums(seg, v, layout.blocks[name].shift, n_seg) for name, v in vectors.items()
    }

    finished: list[LibraryStats] = []
    for k in range(n_seg):
        library = int(library_ids[starts[k]])
        if current is None or current.library_id != library:
            if current is not None:
                if library < current.library_id:
                    raise ValueError("rows must arrive ordered by library")
                finished.append(current)
            current = LibraryStats(library_id=library)
        stats_ = current
        rows = x[starts[k] : ends[k]]
        stats_.n += len(rows)
        if hist is not None:
            stats_.hist = hist[k].copy() if stats_.hist is None else stats_.hist + hist[k]
        for name, parts in counted.items():
            values, counts = parts[k]
            if len(values):
                stats_.values.setdefault(name, []).append((values, counts))
        for name, counts in score_hist.items():
            acc_scores = stats_.scores.get(name)
            stats_.scores[name] = counts[k].copy() if acc_scores is None else acc_scores + counts[k]
        for name, (n, sums, cross) in blocks.items():
            acc = stats_.blocks.get(name)
            if acc is None:
                stats_.blocks[name] = [int(n[k]), sums[k].copy(), cross[k].copy()]
            else:
                acc[0] += int(n[k])
                acc[1] += sums[k]
                acc[2] += cross[k]
        if len(layout.rel_items):
            if stats_.moments is None:
                stats_.moments = analysis.PairwiseMoments(layout.rel_items)
            stats_.moments.add(rows[:, layout.rel_cols])
        if layout.nok_cols is not None:
            yes_no = rows[:, layout.nok_cols]
            stats_.nok_rows.append(np.where(np.isnan(yes_no), -1, yes_no).astype(np.int8))
    return finished, current


def _source_filter(
    session: Session, source: Campaign | InstrumentVersion
) -> tuple[Any, Instrument]:
    table = Response.__table__
    included = table.c.excluded_at.is_(None)  # quality control left these out of analysis
    if isinstance(source, Campaign):
        condition = (table.c.campaign_id == source.id) & included
        return condition, instrument_of(source.instrument_version)
    if isinstance(source, InstrumentVersion):
        condition = (
            (table.c.instrument_id == source.instrument_id)
            & (table.c.instrument_version == source.version)
            & included
        )
        return condition, instrument_of(source)
    raise TypeError(f"source must be a Campaign or an InstrumentVersion, got {type(source)!r}")


def library_moments(
    session: Session,
    source: Campaign | InstrumentVersion,
    *,
    plan: AnalysisPlan | None = None,
    chunk_rows: int = 50_000,
) -> Iterator[LibraryStats]:
    """Stream the responses of a campaign (or of every campaign of an instrument version) and
    yield each library's sufficient statistics as soon as its rows end.

    Responses excluded by quality control (``excluded_at`` set) are left out. The rows are
    read ``(library_id, vector)`` ordered by library through a server-side cursor
    (``yield_per``), ``chunk_rows`` at a time; nothing but the current chunk and the current
    library's statistics is held. ``vector`` is decoded with the instrument's
    ``analysis_keys`` (little-endian float64, NaN = missing).

    Raises
    ------
    ValueError
        A stored vector whose length does not match the instrument, or an answer outside its
        declared whole-number range.
    """
    if chunk_rows < 1:
        raise ValueError("chunk_rows must be positive")
    condition, instrument = _source_filter(session, source)
    plan = plan if plan is not None else analysis_plan(instrument)
    layout = _Layout(plan)
    width = 8 * len(plan.keys)
    current: LibraryStats | None = None
    for library_ids, blob in _vector_chunks(session, condition, width, chunk_rows, plan):
        x = np.frombuffer(blob, dtype="<f8").reshape(len(library_ids), len(plan.keys))
        finished, current = _absorb(layout, library_ids, x, current)
        yield from finished
    if current is not None:
        yield current


#: responses concatenated into one row by the PostgreSQL query of :func:`_vector_chunks`
PG_BLOCK = 1000


def _vector_chunks(
    session: Session, condition: Any, width: int, chunk_rows: int, plan: AnalysisPlan
) -> Iterator[tuple[np.ndarray, bytes]]:
    """Yield (library id of each response, their vectors concatenated), at most ``chunk_rows``
    responses at a time, ordered by library, through a server-side cursor.

    On PostgreSQL the server concatenates up to ``PG_BLOCK`` vectors of a library per row
    (``string_agg``), which spares the client a Python object per response (about half the
    time and a third of the memory of one row per response); elsewhere one row per response.
    """
    table = Response.__table__

    def wrong_length(library_id: int) -> ValueError:
        return ValueError(
            f"a response of library {library_id} has a vector of another length than "
            f"{plan.instrument_id} v{plan.version}'s {len(plan.keys)} keys"
        )

    dialect = session.get_bind().dialect
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        yield from _pg_vector_chunks(session, condition, width, chunk_rows, wrong_length)
        return
    stmt = (
        select(table.c.library_id, table.c.vector)
        .where(condition)
        .order_by(table.c.library_id)
        .execution_options(yield_per=chunk_rows)
    )
    result = session.connection().execute(stmt)
    try:
        for rows in result.partitions():
            library_ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
            blob = b"".join(r[1] for r in rows)
            if len(blob) != width * len(rows):
                raise wrong_length(next(r[0] for r in rows if len(r[1]) != width))
            yield library_ids, blob
    finally:
        result.close()


def _pg_vector_chunks(
    session: Session,
    condition: Any,
    width: int,
    chunk_rows: int,
    wrong_length: Callable[[int], ValueError],
) -> Iterator[tuple[np.ndarray, bytes]]:
    """PostgreSQL: ``COPY (...) TO STDOUT`` in binary of rows of up to ``PG_BLOCK`` vectors.

    The server concatenates each library's vectors (``string_agg``) in blocks, and binary
    COPY streams them without a round trip per fetch and without the hex encoding of bytea
    in text results: one Python object per block instead of per response.
    """
    table = Response.__table__
    block = max(1, min(chunk_rows, PG_BLOCK))
    part = (func.row_number().over(partition_by=table.c.library_id) - 1) // block
    numbered = (
        select(table.c.library_id, table.c.vector, part.label("part")).where(condition).subquery()
    )
    stmt = (
        select(
            numbered.c.library_id,
            func.string_agg(numbered.c.vector, literal_column("''::bytea")),
            func.count(),
        )
        .group_by(numbered.c.library_id, numbered.c.part)
        .order_by(numbered.c.library_id, numbered.c.part)
    )
    sql = str(
        stmt.compile(dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True})
    )
    driver = session.connection().connection.driver_connection
    if driver is None:
        raise RuntimeError("the session's connection is closed")
    ids: list[np.ndarray] = []
    blobs: list[bytes] = []
    pending = 0
    buffer = bytearray()
    seen_header = False
    with driver.cursor() as cursor, cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT binary)") as copy:
        for data in copy:
            buffer += data
            if not seen_header:
                if len(buffer) < 19:
                    continue
                extension = _INT32.unpack_from(buffer, 15)[0]
                del buffer[: 19 + extension]
                seen_header = True
            offset = 0
            while len(buffer) - offset >= 2:
                (fields,) = _INT16.unpack_from(buffer, offset)
                if fields == -1:  # trailer
                    offset = len(buffer)
                    break
                row = _pg_binary_row(buffer, offset + 2, fields)
                if row is None:
                    break
                offset, (library_id, vectors, count) = row
                if len(vectors) != width * count:
                    raise wrong_length(library_id)
                ids.append(np.full(count, library_id, dtype=np.int64))
                blobs.append(vectors)
                pending += count
                if pending >= chunk_rows:
                    yield np.concatenate(ids), b"".join(blobs)
                    ids, blobs, pending = [], [], 0
            del buffer[:offset]
    if pending:
        yield np.concatenate(ids), b"".join(blobs)


_INT16 = struct.Struct(">h")
_INT32 = struct.Struct(">i")


def _pg_binary_row(buffer: bytearray, offset: int, fields: int) -> tuple[int, Any] | None:
    """Parse (library_id, vectors, count) of a binary COPY tuple; None if it is incomplete."""
    values: list[bytes] = []
    for _ in range(fields):
        if len(buffer) - offset < 4:
            return None
        (size,) = _INT32.unpack_from(buffer, offset)
        offset += 4
        if len(buffer) - offset < size:
            return None
        values.append(bytes(buffer[offset : offset + size]))
        offset += size
    library_id = int.from_bytes(values[0], "big", signed=True)
    count = int.from_bytes(values[2], "big", signed=True)
    return offset, (library_id, values[1], count)


# ---------------------------------------------------------------------------------------------
# finalising libraries: the analysis formulas applied to the sufficient statistics
# ---------------------------------------------------------------------------------------------


def _t_parts(n: np.ndarray, sd: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Standard error sd/√n and the Student half-width t(1 − α/2, n − 1)·se (NaN below n = 2).

    The interval of :func:`analysis.describe_items` and the paired intervals of
    :func:`analysis.gap_scores` / :func:`analysis.servqual_scores`.
    """
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        se = sd / np.sqrt(n)
    tcrit = np.full(n.shape, np.nan)
    ok = n >= 2
    tcrit[ok] = stats.t.ppf(0.5 + confidence / 2.0, n[ok] - 1.0)
    return se, tcrit * se


def _distribution(
    batch: Sequence[LibraryStats], layout: _Layout, column: str
) -> tuple[np.ndarray, np.ndarray]:
    """(values, counts) of one key or score for every library of the batch: counts is L × m."""
    if column in layout.dense_keys:
        j = layout.dense_keys.index(column)
        a = int(layout.dense_offset[j])
        b = a + int(layout.dense_bins[j])
        values = layout.dense_lo[j] + np.arange(b - a, dtype=float)
        counts = np.zeros((len(batch), b - a), dtype=np.int64)
        for i, s in enumerate(batch):
            if s.hist is not None:
                counts[i] = s.hist[a:b]
        return values, counts
    scale_id = column.removeprefix("scale:")
    if column.startswith("scale:") and scale_id in layout.score_bins:
        _, _, distinct, inverse = layout.score_bins[scale_id]
        dense = np.zeros((len(batch), len(inverse)), dtype=np.int64)
        for i, s in enumerate(batch):
            if scale_id in s.scores:
                dense[i] = s.scores[scale_id]
        merged = np.zeros((len(batch), len(distinct)), dtype=np.int64)
        np.add.at(merged.T, inverse, dense.T)
        return distinct, merged
    parts = [s.values.get(column, []) for s in batch]
    flat = [v for p in parts for v, _ in p]
    values = np.unique(np.concatenate(flat)) if flat else np.empty(0)
    counts = np.zeros((len(batch), len(values)), dtype=np.int64)
    for i, p in enumerate(parts):
        for v, c in p:
            np.add.at(counts[i], np.searchsorted(values, v), c)
    return values, counts


def _moments_of(values: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, ...]:
    """n, mean, sd (ddof 1) and median of each row's distribution (pandas conventions)."""
    n = counts.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = counts @ values / n
        dev = values[None, :] - mean[:, None]
        var = (counts * dev**2).sum(axis=1) / (n - 1)
    var[n < 2] = np.nan
    median = np.full(len(n), np.nan)
    if len(values):
        cum = counts.cumsum(axis=1)
        has = n > 0
        low = (cum > ((n - 1) // 2)[:, None]).argmax(axis=1)
        high = (cum > (n // 2)[:, None]).argmax(axis=1)
        median[has] = (values[low[has]] + values[high[has]]) / 2.0
    return n, mean, np.sqrt(var), median


def _describe_rows(
    ids: np.ndarray,
    unit_name: str,
    unit: str,
    order: int,
    values: np.ndarray,
    counts: np.ndarray,
    confidence: float,
) -> pd.DataFrame:
    n, mean, sd, median = _moments_of(values, counts)
    se, half = _t_parts(n, sd, confidence)
    return pd.DataFrame(
        {
            "library_id": ids,
            unit_name: unit,
            "n": n.astype("int64"),
            "mean": mean,
            "sd": sd,
            "median": median,
            "se": se,
            "ci_low": mean - half,
            "ci_high": mean + half,
            "_order": order,
        }
    )


def _proportions(
    count: np.ndarray, n: np.ndarray, confidence: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Share, Wald se and the Wilson interval (``proportion_confint``), NaN where n = 0."""
    count = count.astype(float)
    n = n.astype(float)
    share, se, low, high = (np.full(n.shape, np.nan) for _ in range(4))
    ok = n > 0
    if ok.any():
        share[ok] = count[ok] / n[ok]
        se[ok] = np.sqrt(share[ok] * (1.0 - share[ok]) / n[ok])
        lo, hi = proportion_confint(count[ok], n[ok], alpha=1.0 - confidence, method="wilson")
        low[ok], high[ok] = lo, hi
    return share, se, low, high


def _block(
    batch: Sequence[LibraryStats], layout: _Layout, name: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n, means and covariance matrices (ddof 1) of a derived vector, per library."""
    shift = layout.blocks[name].shift
    d = len(shift)
    n = np.zeros(len(batch))
    sums = np.zeros((len(batch), d))
    cross = np.zeros((len(batch), d, d))
    for i, s in enumerate(batch):
        acc = s.blocks.get(name)
        if acc is not None:
            n[i], sums[i], cross[i] = acc
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = shift + sums / n[:, None]
        cov = (cross - sums[:, :, None] * sums[:, None, :] / n[:, None, None]) / (n - 1.0)[
            :, None, None
        ]
    cov[n < 2] = np.nan
    return n, mean, cov


def _contrast(
    n: np.ndarray, mean: np.ndarray, cov: np.ndarray, w: np.ndarray, confidence: float
) -> tuple[np.ndarray, ...]:
    """Mean, se and t interval of the per-respondent score w·x (w per library or fixed)."""
    w = np.broadcast_to(w, mean.shape)
    value = (mean * w).sum(axis=1)
    with np.errstate(invalid="ignore"):
        var = np.einsum("li,lij,lj->l", w, cov, w)
        sd = np.sqrt(np.clip(var, 0.0, None))
    se, half = _t_parts(n, sd, confidence)
    return value, se, value - half, value + half


def _finalise(
    batch: Sequence[LibraryStats],
    layout: _Layout,
    *,
    confidence: float,
    checklist: pd.DataFrame | None,
    nok_config: analysis.NokConfig | None,
) -> dict[str, pd.DataFrame]:
    """Every table of the plan for a batch of finished libraries (columns as the analysis
    functions name them, ``library_id`` as the group)."""
    plan = layout.plan
    ids = np.array([s.library_id for s in batch], dtype=np.int64)
    tables: dict[str, pd.DataFrame] = {}
    dists = {k: _distribution(batch, layout, k) for k in (*layout.dense_keys, *layout.sparse_keys)}

    if plan.means:
        parts = [
            _describe_rows(ids, "item", k, j, *dists[k], confidence)
            for j, k in enumerate(plan.means)
        ]
        tables["items"] = _by_library(parts)
    plain = set(plan.ratings) | set(_plain_yes_no(plan))
    if plain:
        parts = []
        for j, (key, threshold) in enumerate(plan.shares.items()):
            if key not in plain:
                continue
            values, counts = dists[key]
            n = counts.sum(axis=1)
            hit = counts[:, values >= threshold].sum(axis=1)
            share, se, low, high = _proportions(hit, n, confidence)
            parts.append(
                pd.DataFrame(
                    {
                        "library_id": ids,
                        "item": key,
                        "n": n,
                        "count": hit,
                        "share": share,
                        "se": se,
                        "ci_low": low,
                        "ci_high": high,
                        "threshold": float(threshold),
                        "_order": j,
                    }
                )
            )
        tables["shares"] = _by_library(parts)
    if plan.nok:
        nok_shares = _nok_share_rows(batch, confidence)
        if nok_shares is not None:
            satisfied, filters = _split_nok_shares(nok_shares)
            if "shares" in tables:  # the plain shares first, as the file path orders them
                satisfied = pd.concat([tables["shares"], satisfied], ignore_index=True)
                satisfied = satisfied.sort_values("library_id", kind="stable", ignore_index=True)
            tables["shares"] = satisfied
            tables["filter_shares"] = filters
    if plan.nps:
        tables["nps"] = _by_library(
            [_nps_rows(ids, k, j, *dists[k], confidence) for j, k in enumerate(plan.nps)]
        )
    if plan.smileys:
        tables["happy"] = _by_library(
            [_happy_rows(ids, k, j, *dists[k], confidence) for j, k in enumerate(plan.smileys)]
        )
    if plan.scales:
        parts = [
            _describe_rows(
                ids,
                "dimension",
                s.id,
                j,
                *_distribution(batch, layout, f"scale:{s.id}"),
                confidence,
            )
            for j, s in enumerate(plan.scales)
        ]
        tables["scales"] = _by_library(parts)
        tables["reliability"], tables["reliability_items"] = _reliability(batch, layout, confidence)
    if plan.gap is not None:
        tables["gap"] = _gap_rows(batch, layout, ids, confidence)
    if plan.servqual is not None:
        tables["servqual"] = _servqual_rows(batch, layout, ids, confidence)
    if plan.nok and checklist is not None:
        nok = _nok_rows(batch, checklist, nok_config)
        if nok is not None:
            tables["nok"] = nok
    return tables


def _by_library(parts: list[pd.DataFrame]) -> pd.DataFrame:
    out = pd.concat(parts, ignore_index=True)
    out = out.sort_values(["library_id", "_order"], kind="stable", ignore_index=True)
    return out.drop(columns="_order")


def _nps_rows(
    ids: np.ndarray,
    key: str,
    order: int,
    values: np.ndarray,
    counts: np.ndarray,
    confidence: float,
) -> pd.DataFrame:
    """:func:`analysis.net_promoter_score` from answer counts (promoters 9-10, detractors 0-6)."""
    n = counts.sum(axis=1)
    promoters = counts[:, values >= 9].sum(axis=1)
    detractors = counts[:, values <= 6].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        p_p, p_d = promoters / n, detractors / n
        var = np.clip((p_p + p_d - (p_p - p_d) ** 2) / n, 0.0, None)
    nps = 100.0 * (p_p - p_d)
    se = 100.0 * np.sqrt(var)
    z = stats.norm.ppf(0.5 + confidence / 2.0)
    return pd.DataFrame(
        {
            "library_id": ids,
            "item": key,
            "n": n,
            "promoters": promoters,
            "passives": n - promoters - detractors,
            "detractors": detractors,
            "pct_promoters": 100.0 * p_p,
            "pct_detractors": 100.0 * p_d,
            "nps": nps,
            "se": se,
            "ci_low": np.clip(nps - z * se, -100.0, 100.0),
            "ci_high": np.clip(nps + z * se, -100.0, 100.0),
            "_order": order,
        }
    )


#: points of the faces 1..4 in :func:`analysis.happy_index` (method "weighted")
_FACE_POINTS = np.array([0.0, 100.0 / 3.0, 200.0 / 3.0, 100.0])
_FACES = ("very_unhappy", "unhappy", "happy", "very_happy")


def _happy_rows(
    ids: np.ndarray,
    key: str,
    order: int,
    values: np.ndarray,
    counts: np.ndarray,
    confidence: float,
) -> pd.DataFrame:
    """:func:`analysis.happy_index` ("weighted"): mean face points with a t interval."""
    faces = np.zeros((len(ids), 4), dtype=np.int64)
    for k in range(4):
        faces[:, k] = counts[:, values == k + 1].sum(axis=1)
    n, mean, sd, _ = _moments_of(_FACE_POINTS, faces)
    se, half = _t_parts(n, sd, confidence)
    out = pd.DataFrame({"library_id": ids, "item": key, "n": n})
    for k, name in enumerate(_FACES):
        out[name] = faces[:, k]
    out["index"] = mean
    out["se"] = se
    out["ci_low"] = np.clip(mean - half, 0.0, None)
    out["ci_high"] = np.clip(mean + half, None, 100.0)
    out["_order"] = order
    return out


#: per-item statistics of the alpha results kept in ``reliability_items``
_ITEM_COLUMNS = ("n", "mean", "sd", "raw_r", "r_drop", "alpha_if_deleted")


def _reliability(
    batch: Sequence[LibraryStats], layout: _Layout, confidence: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Alpha of every scale per library from its pairwise moments (pairwise policy), one
    :func:`analysis.cronbach_alpha_batch` call per scale for the whole batch."""
    with_moments = {s.library_id: s.moments for s in batch if s.moments is not None}
    #: (library_id, scale.id) -> the reliability row / the per-item arrays
    by_key: dict[tuple[int, str], dict[str, Any]] = {}
    items_by_key: dict[tuple[int, str], tuple[Any, ...]] = {}
    for scale in layout.plan.scales:
        k = len(scale.items)
        try:
            result = analysis.cronbach_alpha_batch(
                with_moments,
                items=list(scale.items),
                reverse=list(scale.reverse),
                scale=dict(scale.ranges) or None,
                ci=confidence,
            )
        except ValueError as exc:  # the same for every library
            for s in batch:
                if s.moments is not None:
                    by_key[s.library_id, scale.id] = _failed_alpha_row(
                        k, s.n, 0, analysis.Reason.INVALID_DATA, str(exc)
                    )
            continue
        table = result.scales
        notes = table["note"].tolist()
        reasons = table["reason"].tolist()
        warnings = table["notes"].tolist()
        columns = {
            name: table[column].tolist()
            for name, column in (
                ("k", "n_items"),
                ("n", "n_used"),
                ("n_complete", "n_complete"),
                ("alpha", "alpha"),
                ("alpha_std", "std_alpha"),
                ("g6", "g6"),
                ("average_r", "average_r"),
                ("se", "ase"),
                ("ci_low", "ci_low"),
                ("ci_high", "ci_high"),
                ("duhachek_low", "duhachek_low"),
                ("duhachek_high", "duhachek_high"),
            )
        }
        ok_ids = [lib for lib, note in zip(table.index, notes, strict=True) if note is None]
        item_names = np.array(scale.items, dtype=object)
        item_values = [result.items[c].to_numpy().reshape(len(ok_ids), k) for c in _ITEM_COLUMNS]
        for g, lib in enumerate(ok_ids):
            items_by_key[lib, scale.id] = (item_names, *(v[g] for v in item_values))
        position = dict(zip(table.index, range(len(table)), strict=True))
        for s in batch:
            if s.moments is None:
                continue
            i = position[s.library_id]
            if notes[i] is not None:
                by_key[s.library_id, scale.id] = _failed_alpha_row(
                    k, columns["n"][i], columns["n_complete"][i], reasons[i], notes[i]
                )
            else:
                ok_row = {name: values[i] for name, values in columns.items()}
                ok_row.update(_status_columns(warnings[i]))
                by_key[s.library_id, scale.id] = ok_row
    rows: list[dict[str, Any]] = []
    item_rows: list[tuple[Any, ...]] = []
    for s in batch:
        for scale in layout.plan.scales:
            row: dict[str, Any] = {"library_id": s.library_id, "scale": scale.id}
            if s.moments is None:
                row.update(
                    _failed_alpha_row(
                        len(scale.items), s.n, 0, analysis.Reason.NO_RESPONSES, "no responses"
                    )
                )
            else:
                row.update(by_key[s.library_id, scale.id])
                parts = items_by_key.get((s.library_id, scale.id))
                if parts is not None:
                    item_rows.append((s.library_id, scale.id, *parts))
            rows.append(row)
    reliability = pd.DataFrame(rows, columns=["library_id", *RELIABILITY_COLUMNS])
    sizes = [len(r[2]) for r in item_rows]
    items_table = pd.DataFrame(
        {
            "library_id": np.repeat([r[0] for r in item_rows], sizes).astype(np.int64),
            "scale": np.repeat(np.array([r[1] for r in item_rows], dtype=object), sizes),
            "item": np.concatenate([r[2] for r in item_rows]) if item_rows else [],
        }
    )
    for k, column in enumerate(_ITEM_COLUMNS):
        items_table[column] = np.concatenate([r[3 + k] for r in item_rows]) if item_rows else []
    return reliability, items_table


def _gap_rows(
    batch: Sequence[LibraryStats], layout: _Layout, ids: np.ndarray, confidence: float
) -> pd.DataFrame:
    """:func:`analysis.gap_scores` per item, dimension and overall from the (M, D, P) moments."""
    parts = []
    contrasts = {
        "adequacy_gap": np.array([-1.0, 0.0, 1.0]),
        "superiority_gap": np.array([0.0, -1.0, 1.0]),
        "zot_width": np.array([-1.0, 1.0, 0.0]),
    }
    for order, (level, unit, _) in enumerate(layout.gap_units):
        n, mean, cov = _block(batch, layout, f"gap:{unit}")
        part = pd.DataFrame(
            {"library_id": ids, "level": level, "unit": unit, "n": n.astype("int64")}
        )
        for r, role in enumerate(GAP3_COLUMNS):
            part[f"mean_{role}"] = mean[:, r]
            with np.errstate(invalid="ignore"):
                part[f"sd_{role}"] = np.sqrt(cov[:, r, r])
        for name, w in contrasts.items():
            value, se, low, high = _contrast(n, mean, cov, w, confidence)
            part[name] = value
            part[f"{name}_se"] = se
            part[f"{name}_ci_low"] = low
            part[f"{name}_ci_high"] = high
        status = np.where(
            part["adequacy_gap"] < 0,
            "below_min",
            np.where(part["superiority_gap"] > 0, "above_desired", "within_zot"),
        )
        part["status"] = pd.Series(status, dtype=object).where(part["n"] > 0)
        part["_order"] = order
        parts.append(part)
    return _by_library(parts)


def _servqual_rows(
    batch: Sequence[LibraryStats], layout: _Layout, ids: np.ndarray, confidence: float
) -> pd.DataFrame:
    """:func:`analysis.servqual_scores` from the (E, P) moments per dimension and the moments
    of the complete dimension-gap vectors; the weighted score uses each library's mean
    100-point allocation."""
    sq = layout.plan.servqual
    if sq is None:
        raise ValueError("the plan has no SERVQUAL battery")
    dims = list(sq.dimensions)
    weights = np.full((len(batch), len(dims)), np.nan)
    if sq.weight_columns is not None:
        wn, wmean, _ = _block(batch, layout, "servqual:weights")
        weights = np.where(wn[:, None] > 0, wmean, np.nan)
    parts = []
    for order, dim in enumerate(dims):
        n, mean, cov = _block(batch, layout, f"servqual:{dim}")
        value, se, low, high = _contrast(n, mean, cov, np.array([-1.0, 1.0]), confidence)
        parts.append(
            pd.DataFrame(
                {
                    "library_id": ids,
                    "component": dim,
                    "n": n.astype("int64"),
                    "mean_expectation": mean[:, 0],
                    "mean_perception": mean[:, 1],
                    "gap": value,
                    "se": se,
                    "ci_low": low,
                    "ci_high": high,
                    "weight": weights[:, order] if sq.weight_columns is not None else np.nan,
                    "_order": order,
                }
            )
        )
    n, mean, cov = _block(batch, layout, "servqual:complete")
    summaries = [("unweighted", np.full(len(dims), 1.0 / len(dims)))]
    if sq.weight_columns is not None:
        summaries.append(("weighted", weights / SERVQUAL_POINTS))
    for k, (name, w) in enumerate(summaries):
        w_rows = np.broadcast_to(w, mean.shape)
        defined = ~np.isnan(w_rows).any(axis=1)
        n_used = np.where(defined, n, 0)
        value, se, low, high = _contrast(n_used, mean, cov, np.nan_to_num(w_rows), confidence)
        empty = n_used == 0
        value[empty] = se[empty] = low[empty] = high[empty] = np.nan
        parts.append(
            pd.DataFrame(
                {
                    "library_id": ids,
                    "component": name,
                    "n": n_used.astype("int64"),
                    "mean_expectation": np.nan,
                    "mean_perception": np.nan,
                    "gap": value,
                    "se": se,
                    "ci_low": low,
                    "ci_high": high,
                    "weight": np.nan,
                    "_order": len(dims) + k,
                }
            )
        )
    return _by_library(parts)


def _nok_frame(batch: Sequence[LibraryStats], ids: set[int] | None = None) -> pd.DataFrame | None:
    """The kept yes/no answers (q1..q14, missing as NaN) of the batch's libraries in ``ids``
    (default all), with a ``library_id`` column."""
    frames = []
    for s in batch:
        if (ids is not None and s.library_id not in ids) or not s.nok_rows:
            continue
        answers = np.concatenate(s.nok_rows).astype(float)
        answers[answers < 0] = np.nan
        frame = pd.DataFrame(answers, columns=list(NOK_QUESTIONS))
        frame.insert(0, "library_id", s.library_id)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else None


def _nok_share_rows(batch: Sequence[LibraryStats], confidence: float) -> pd.DataFrame | None:
    """:func:`analysis.nok_item_shares` on the kept yes/no answers of the batch."""
    data = _nok_frame(batch)
    if data is None:
        return None
    return analysis.nok_item_shares(data, by=["library_id"], confidence=confidence)


def _nok_rows(
    batch: Sequence[LibraryStats],
    checklist: pd.DataFrame,
    config: analysis.NokConfig | None,
) -> pd.DataFrame | None:
    """:func:`analysis.nok_scores` on the kept yes/no answers of the batch's libraries that
    have a checklist row (keyed by ``library_id``)."""
    data = _nok_frame(batch, set(checklist["library_id"]))
    if data is None:
        return None
    rows = checklist.loc[checklist["library_id"].isin(data["library_id"].unique())]
    return analysis.nok_scores(data, checklist=rows, by=["library_id"], config=config)


# ---------------------------------------------------------------------------------------------
# the regional report
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


#: libraries finalised together (vectorised formulas); bounds the memory of finished stats
FINALISE_BATCH = 32


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
    chunk_rows: int = 50_000,
    progress: Callable[[int, int], None] | None = None,
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

    Raises
    ------
    ValueError
        See :func:`library_moments`; a checklist without a ``library`` column.
    """
    condition, instrument = _source_filter(session, campaign)
    plan = analysis_plan(instrument)
    layout = _Layout(plan)
    notes: list[str] = []
    check = _checklist_by_id(session, checklist) if plan.nok and checklist is not None else None
    if plan.nok and checklist is None:
        notes.append("nok: no expert checklist given, so K1-K5 and the total are not scored")
    collected: dict[str, list[pd.DataFrame]] = {}
    counts: list[tuple[int, int]] = []
    streamed = 0
    batch: list[LibraryStats] = []
    pending: deque[Future[dict[str, pd.DataFrame]]] = deque()

    def collect(future: Future[dict[str, pd.DataFrame]]) -> None:
        for name, table in future.result().items():
            collected.setdefault(name, []).append(table)

    # Finished libraries are finalised on a second thread while this one streams: the
    # stream mostly waits for the database (the GIL is released), the finalising mostly
    # computes. At most two batches are in flight, so memory stays bounded.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="finalise") as pool:
        for stats_ in library_moments(session, campaign, plan=plan, chunk_rows=chunk_rows):
            counts.append((stats_.library_id, stats_.n))
            batch.append(stats_)
            streamed += stats_.n
            if progress is not None:
                progress(len(counts), streamed)
            if len(batch) >= FINALISE_BATCH:
                if len(pending) >= 2:
                    collect(pending.popleft())
                pending.append(
                    pool.submit(
                        _finalise,
                        list(batch),
                        layout,
                        confidence=confidence,
                        checklist=check,
                        nok_config=nok_config,
                    )
                )
                batch.clear()
        if batch:
            pending.append(
                pool.submit(
                    _finalise,
                    list(batch),
                    layout,
                    confidence=confidence,
                    checklist=check,
                    nok_config=nok_config,
                )
            )
        while pending:
            collect(pending.popleft())
    tables = {name: pd.concat(parts, ignore_index=True) for name, parts in collected.items()}
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
    if len(counts) > max_rank_libraries:
        rank = ()
        notes.append(f"ranks: skipped for {len(counts)} libraries (> {max_rank_libraries})")
    shrinkage, shrink_notes = _shrinkage(
        tables, plan, shrink=shrink, rank=rank, n_sim=n_sim, confidence=confidence
    )
    notes.extend(shrink_notes)
    return RegionalReport(
        plan=plan,
        campaign_id=campaign.id if isinstance(campaign, Campaign) else None,
        libraries=libraries,
        tables=MappingProxyType(tables),
        indices=indices,
        verdicts=verdicts,
        shrinkage=shrinkage,
        notes=tuple(notes),
    )


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


def _default_shrink(plan: AnalysisPlan) -> list[str]:
    in_scales = {k for s in plan.scales for k in s.items}
    names = [f"scale:{s.id}" for s in plan.scales]
    names += [f"mean:{k}" for k in plan.means if k not in in_scales and k in plan.ratings]
    filters = set(NOK_FILTER_QUESTIONS) if plan.nok else set()
    names += [
        f"share_satisfied:{k}" for k in plan.shares if k not in in_scales and k not in filters
    ]
    return names


def _shrinkage(
    tables: Mapping[str, pd.DataFrame],
    plan: AnalysisPlan,
    *,
    shrink: Sequence[str] | None,
    rank: Sequence[str] | None,
    n_sim: int,
    confidence: float,
) -> tuple[pd.DataFrame, list[str]]:
    """Empirical-Bayes shrinkage (REML normal-normal for means, beta-binomial ML for shares)
    and rank intervals by posterior simulation, per indicator across libraries."""
    wanted = list(_default_shrink(plan) if shrink is None else shrink)
    sources: dict[str, tuple[str, pd.DataFrame]] = {}
    for name, unit in (("items", "item"), ("scales", "dimension"), ("shares", "item")):
        table = tables.get(name)
        if table is None:
            continue
        prefix = {"items": "mean", "scales": "scale", "shares": "share_satisfied"}[name]
        for key, rows in table.groupby(unit, sort=False):
            sources[f"{prefix}:{key}"] = (name, rows)
    if rank is None:
        scaled = [w for w in wanted if w.startswith("scale:")]
        ranked = set(scaled or wanted)
    else:
        ranked = set(rank)
    notes: list[str] = []
    parts = []
    columns = ["library_id", "indicator", "n", "raw", "posterior_mean", "posterior_sd"]
    columns += ["ci_low", "ci_high", "weight", "method", "rank", "rank_low", "rank_high", "p_top"]
    for indicator in wanted:
        if indicator not in sources:
            notes.append(f"shrinkage: no indicator {indicator!r}")
            continue
        kind, rows = sources[indicator]
        rows = rows.loc[rows["n"] > 0]
        try:
            if kind == "shares":
                frame = rows.loc[:, ["library_id", "n", "count"]].rename(
                    columns={"count": "successes"}
                )
                fit = analysis.shrink_proportions(frame, ci=confidence)
                table = fit.to_frame().rename(columns={"raw_prop": "raw"})
                method = f"beta-binomial {fit.method}"
            else:
                frame = rows.loc[:, ["library_id", "n", "mean"]].copy()
                frame["var"] = rows["sd"].to_numpy() ** 2
                fit_m = analysis.shrink_means(frame, ci=confidence)
                table = fit_m.to_frame().rename(columns={"raw_mean": "raw"})
                method = f"normal {fit_m.method}"
        except ValueError as exc:
            notes.append(f"shrinkage: {indicator}: {exc}")
            continue
        table = table.loc[
            :,
            [
                "library_id",
                "n",
                "raw",
                "posterior_mean",
                "posterior_sd",
                "ci_low",
                "ci_high",
                "weight",
            ],
        ]
        table.insert(1, "indicator", indicator)
        table["method"] = method
        if indicator in ranked and len(table) >= 2:
            ranks = analysis.rank_intervals(
                table, group="library_id", n_sim=n_sim, ci=confidence
            ).loc[:, ["library_id", "rank", "rank_low", "rank_high", "p_top"]]
            table = table.merge(ranks, on="library_id", how="left")
        parts.append(table)
    if not parts:
        return pd.DataFrame(columns=columns), notes
    out = pd.concat(parts, ignore_index=True)
    for column in columns:
        if column not in out.columns:
            out[column] = np.nan
    return out.loc[:, columns], notes
