"""The seam between instruments and analysis: an instrument version -> its analysis plan.

:mod:`instruments` and :mod:`analysis` never import each other. :func:`analysis_plan` turns
an :class:`~instruments.Instrument` into the plain :class:`analysis.AnalysisPlan` — item
keys, declared ranges, scales with their reverse-keyed items, gap batteries, SERVQUAL
dimensions and weights, whether the NOK calculation applies — and :func:`numeric_frame`
reads the wide response table's cells (``docs/data-format.md``) as the plan's numbers, as
``import responses`` reads them. Nothing here computes a statistic.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import pandas as pd

from analysis.plan import GAP3_COLUMNS
from analysis.plan import MAX_BINS
from analysis.plan import NA_COLUMN
from analysis.plan import NOK_QUESTIONS
from analysis.plan import SERVQUAL_COLUMNS
from analysis.plan import SERVQUAL_POINTS
from analysis.plan import TOP_BOX
from analysis.plan import AnalysisPlan
from analysis.plan import GapSpec
from analysis.plan import ScaleSpec
from analysis.plan import ServqualSpec
from instruments import Instrument
from instruments import ItemType
from survey_app.services.cells import CellError
from survey_app.services.cells import numeric_column
from survey_app.services.errors import Invalid
from survey_app.services.errors import Issue

__all__ = ["analysis_plan", "numeric_frame"]

#: implied ranges of the item types that declare none
_IMPLIED_RANGES: Mapping[ItemType, tuple[float, float]] = MappingProxyType(
    {ItemType.yes_no: (0.0, 1.0), ItemType.nps: (0.0, 10.0), ItemType.smiley: (1.0, 4.0)}
)


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
            if whole and declared[1] - declared[0] < MAX_BINS:
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
