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
  and accumulates per-library *sufficient statistics* (pairwise moments of each scale, answer
  histograms per key, value counts of the scale scores, moment blocks of the gap and SERVQUAL
  scores); :func:`regional_analysis` turns them into the same tables with the formulas the
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

from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

import analysis
from instruments import Instrument
from instruments import ItemType
from survey_app.services.errors import Invalid
from survey_app.services.errors import Issue

__all__ = [
    "AnalysisPlan",
    "GapSpec",
    "IndicesReport",
    "ScaleSpec",
    "ServqualSpec",
    "analysis_plan",
    "instrument_indices",
    "numeric_frame",
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
    return ServqualSpec(
        dimensions=MappingProxyType(dims),
        scale_range=item_ranges.pop(),
        weight_columns=None if weights is None else MappingProxyType(weights),
    )


def numeric_frame(data: pd.DataFrame, plan: AnalysisPlan) -> pd.DataFrame:
    """Return ``data`` with every analysis key (and battery N/A column) as float64.

    Raises
    ------
    Invalid
        With one ``RPT001`` issue per missing key column and one ``RPT002`` per column
        holding something other than numbers (an empty cell is a missing answer).
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
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            out[column] = values.astype("float64")
            continue
        text = values.astype("string").str.strip().replace("", pd.NA)
        if column in plan.codes:
            text = text.replace(dict(plan.codes[column]))
        converted = pd.to_numeric(text, errors="coerce")
        bad = text.notna() & converted.isna()
        if bad.any():
            example = text[bad].iloc[0]
            issues.append(Issue("RPT002", column, f"not a number: {example!r}"))
            continue
        out[column] = converted.astype("float64")
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
    conf = {"by": list(by), "confidence": confidence}
    if plan.means:
        tables["items"] = analysis.describe_items(frame, items=list(plan.means), **conf)
    shares = []
    if plan.ratings:
        shares.append(
            analysis.share_satisfied(
                frame, items=list(plan.ratings), threshold=dict(plan.ratings), **conf
            )
        )
    if plan.yes_no:
        shares.append(
            analysis.share_satisfied(frame, items=list(plan.yes_no), threshold=1.0, **conf)
        )
    if shares:
        tables["shares"] = _concat_sorted(shares, by)
    if plan.nps:
        tables["nps"] = analysis.net_promoter_score(frame, items=list(plan.nps), **conf)
    if plan.smileys:
        tables["happy"] = analysis.happy_index(frame, items=list(plan.smileys), **conf)
    if plan.scales:
        parts = [
            analysis.describe_dimensions(
                frame,
                scales={s.id: list(s.items)},
                reverse=list(s.reverse),
                scale_range=dict(s.ranges) or None,
                **conf,
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
            **conf,
        )
    if plan.servqual is not None:
        sq = plan.servqual
        tables["servqual"] = analysis.servqual_scores(
            frame,
            dimensions={d: list(m) for d, m in sq.dimensions.items()},
            scale_range=sq.scale_range,
            weight_columns=None if sq.weight_columns is None else dict(sq.weight_columns),
            **conf,
        )
    if plan.nok:
        if checklist is None:
            notes.append("nok: no expert checklist given, so K1-K5 and the total are not scored")
        else:
            tables["nok"] = analysis.nok_scores(
                frame, checklist=checklist, by=list(by), config=nok_config
            )
    return tables, notes


def _concat_sorted(parts: list[pd.DataFrame], by: Sequence[str]) -> pd.DataFrame:
    out = pd.concat(parts, ignore_index=True)
    if by:
        out = out.sort_values(list(by), kind="stable", ignore_index=True)
    return out


#: columns of the reliability table (one row per group and scale)
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
    "note",
)


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
        "note": None,
    }


def _failed_alpha_row(k: int, n: int, reason: str) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(RELIABILITY_COLUMNS, np.nan)
    row.update({"k": k, "n": n, "n_complete": 0, "note": reason})
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
                row.update(_failed_alpha_row(len(scale.items), len(rows_of_group), str(exc)))
            rows.append(row)
    return pd.DataFrame(rows, columns=[*by, *RELIABILITY_COLUMNS])


#: (table, value column(s), indicator name or prefix, unit column, test)
_LONG: tuple[tuple[str, tuple[str, ...], str, str | None, str | None], ...] = (
    ("items", ("mean",), "mean", "item", None),
    ("shares", ("share",), "share_satisfied", "item", None),
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

    Indicator names: ``mean:<key>``, ``share_satisfied:<key>``, ``nps:<key>``,
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
