"""Gap batteries: LibQUAL-style three columns, importance–performance, SERVQUAL.

Battery answers arrive in the wide response table as one column per item and rating
column, named ``"<item>:<column>"`` (``"AS1:minimum"``, ``"AS1:desired"``,
``"AS1:perceived"``), plus an optional ``"<item>:na"`` column that is truthy when the
respondent marked the item "not applicable". Following the LibQUAL rule, an item counts
for a respondent only when **all** its rating columns are answered and it is not marked
N/A (N/A overrides any ratings); otherwise the whole item is treated as missing for that
respondent.

All gaps are computed per respondent and then averaged, so every mean difference comes
with a *paired* t interval (the one-sample t interval of the per-respondent differences).
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from analysis.estimators import gap_status
from analysis.indices import _check_by
from analysis.indices import _check_confidence
from analysis.indices import _check_frame
from analysis.indices import _check_range
from analysis.indices import _Grouping
from analysis.indices import _names
from analysis.indices import _numeric
from analysis.indices import _range

__all__ = [
    "gap_scores",
    "importance_performance",
    "screen_gap_responses",
    "servqual_scores",
]

#: Defaults of the LibQUAL+ hosted-system screening (instruments.md §1.4/§1.7; K-labelled
#: there: background knowledge, not verified in ARL's own documentation).
LIBQUAL_MAX_NA = 11
LIBQUAL_MAX_INCONSISTENT = 9

GAP3_COLUMNS = ("minimum", "desired", "perceived")
GAP2_COLUMNS = ("importance", "performance")
SERVQUAL_COLUMNS = ("expectation", "perception")


def _na_flags(data: pd.DataFrame, item: str, na_column: str | None) -> pd.Series:
    """Flag the rows where ``item`` is marked N/A (no N/A column: none are)."""
    col = f"{item}:{na_column}" if na_column else None
    if col is None or col not in data.columns:
        return pd.Series(False, index=data.index)
    flags = _numeric(data, [col])[col]
    return flags.fillna(0.0) != 0.0


def _battery(
    data: pd.DataFrame,
    items: Sequence[str],
    columns: Sequence[str],
    na_column: str | None,
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Ratings per column role (items as columns), masked to fully rated, non-N/A items.

    Returns the masked ratings per role and the N/A flags (items as columns), both
    indexed like ``data``.
    """
    needed = [f"{i}:{c}" for i in items for c in columns]
    _check_frame(data, needed)
    raw = {c: _numeric(data, [f"{i}:{c}" for i in items]) for c in columns}
    for c in columns:
        raw[c].columns = list(items)
    na = pd.DataFrame({i: _na_flags(data, i, na_column) for i in items}, index=data.index)
    rated = pd.DataFrame(
        {i: np.logical_and.reduce([raw[c][i].notna() for c in columns]) for i in items},
        index=data.index,
    )
    valid = rated & ~na
    masked = {c: raw[c].where(valid) for c in columns}
    return masked, na


def _dimensions(
    scales: Mapping[str, Sequence[str]] | None, items: Sequence[str]
) -> dict[str, tuple[str, ...]]:
    if scales is None:
        return {}
    if not isinstance(scales, Mapping):
        raise TypeError("scales must be a mapping of dimension -> items")
    dims: dict[str, tuple[str, ...]] = {}
    for dim, members in scales.items():
        if not isinstance(dim, str):
            raise TypeError(f"dimension ids must be strings, got {dim!r}")
        dims[dim] = _names(members, f"scales[{dim!r}]")
        unknown = sorted(set(dims[dim]) - set(items))
        if unknown:
            raise ValueError(f"scales[{dim!r}] names item(s) {unknown} not in items")
    return dims


def _aggregate(frame: pd.DataFrame, units: Mapping[str, Sequence[str]], need: int) -> pd.DataFrame:
    """Per-respondent mean over each unit's answered items (NaN below ``need`` items)."""
    out = {}
    for unit, members in units.items():
        block = frame.loc[:, list(members)]
        out[unit] = block.mean(axis=1, skipna=True).where(block.notna().sum(axis=1) >= need)
    return pd.DataFrame(out, index=frame.index)


def _paired(
    grouping: _Grouping,
    roles: Mapping[str, pd.DataFrame],
    diffs: Mapping[str, pd.DataFrame],
    confidence: float,
) -> pd.DataFrame:
    """Means and sds per role and mean/se/t interval per difference, per group and unit.

    Every frame has the units as columns and the respondents as rows.
    """
    described = {
        role: grouping.describe(frame, "unit", confidence, median=False)
        for role, frame in roles.items()
    }
    if not described:
        raise ValueError("no rating columns to summarise")
    merged = next(iter(described.values())).loc[:, [*grouping.by, "unit", "n"]].copy()
    for role, s in described.items():
        merged[f"mean_{role}"] = s["mean"].to_numpy()
        merged[f"sd_{role}"] = s["sd"].to_numpy()
    for name, frame in diffs.items():
        s = grouping.describe(frame, "unit", confidence, median=False)
        merged[name] = s["mean"].to_numpy()
        merged[f"{name}_se"] = s["se"].to_numpy()
        merged[f"{name}_ci_low"] = s["ci_low"].to_numpy()
        merged[f"{name}_ci_high"] = s["ci_high"].to_numpy()
    return merged


def gap_scores(
    data: pd.DataFrame,
    *,
    items: str | Sequence[str],
    by: str | Sequence[str] = ("library",),
    scales: Mapping[str, Sequence[str]] | None = None,
    columns: Sequence[str] = GAP3_COLUMNS,
    na_column: str | None = "na",
    min_answered: int = 1,
    overall: bool = True,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """LibQUAL-style three-column gap scores per item, dimension and overall.

    Parameters
    ----------
    data : pandas.DataFrame
        Wide responses with ``"<item>:<column>"`` rating columns and optional
        ``"<item>:<na_column>"`` N/A flags.
    items : str or sequence of str
        Battery item ids (without the column suffix).
    by : str or sequence of str, default ("library",)
        Grouping columns.
    scales : mapping of str to sequence of str, optional
        Dimension id -> item ids, for dimension rows (e.g. ``{"AS": [...], ...}``).
    columns : sequence of three str, default ("minimum", "desired", "perceived")
        The data's column suffixes for the roles minimum, desired and perceived, in that
        order.
    na_column : str or None, default "na"
        Suffix of the N/A flag column; ``None`` when the battery has no N/A option.
    min_answered : int, default 1
        A respondent's dimension/overall score needs this many valid items.
    overall : bool, default True
        Add an ``"overall"`` row over all items.
    confidence : float, default 0.95
        Level of the two-sided intervals.

    Returns
    -------
    pandas.DataFrame
        One row per group and unit with columns ``*by, level`` (``"item"``,
        ``"dimension"`` or ``"overall"``), ``unit, n, mean_minimum, sd_minimum,
        mean_desired, sd_desired, mean_perceived, sd_perceived`` and, for each of
        ``adequacy_gap``, ``superiority_gap`` and ``zot_width``, the mean and its
        ``_se``, ``_ci_low``, ``_ci_high``; finally ``status``.

    Raises
    ------
    TypeError, ValueError
        On malformed arguments or missing/non-numeric columns.

    Notes
    -----
    Per respondent *i* and unit: adequacy ``Pᵢ − Mᵢ``, superiority ``Pᵢ − Dᵢ``,
    zone-of-tolerance width ``Dᵢ − Mᵢ`` (for a dimension, ``M``, ``D``, ``P`` are the
    respondent's means over the dimension's valid items). Each is averaged over the
    ``n`` respondents with the unit, with the paired t interval
    ``d̄ ± t(1 − α/2, n − 1) s_d/√n``. Because the same respondents enter every column,
    ``adequacy_gap = mean_perceived − mean_minimum`` exactly.

    ``status`` compares mean perceived with the means of minimum and desired:
    ``"below_min"`` when ``mean_perceived < mean_minimum`` (adequacy gap < 0),
    ``"above_desired"`` when ``mean_perceived > mean_desired`` (superiority gap > 0),
    else ``"within_zot"``; missing when ``n = 0``.

    References
    ----------
    Cook, C., Heath, F., Thompson, B. (2003), "'Zones of tolerance' in perceptions of
    library service quality: a LibQUAL+ study", *portal* 3(1):113–123; University of
    Notre Dame, "Interpreting the LibQUAL tables" (adequacy and superiority gaps).
    """
    items_ = _names(items, "items")
    cols = _names(columns, "columns")
    if len(cols) != 3:
        raise ValueError("columns must name exactly three roles: minimum, desired, perceived")
    dims = _dimensions(scales, items_)
    by_ = _check_by(by, items_)
    _check_frame(data, by_)
    conf = _check_confidence(confidence)
    if isinstance(min_answered, bool) or not isinstance(min_answered, int) or min_answered < 1:
        raise ValueError("min_answered must be a positive int")
    masked, _ = _battery(data, items_, cols, na_column)
    grouping = _Grouping(data, by_)
    levels: list[tuple[str, dict[str, tuple[str, ...]]]] = [("item", {i: (i,) for i in items_})]
    if dims:
        levels.append(("dimension", dims))
    if overall:
        levels.append(("overall", {"overall": items_}))
    parts = []
    for level, units in levels:
        if level == "item":
            m, d, p = (masked[c] for c in cols)
        else:
            m, d, p = (_aggregate(masked[c], units, min_answered) for c in cols)
        table = _paired(
            grouping,
            {"minimum": m, "desired": d, "perceived": p},
            {"adequacy_gap": p - m, "superiority_gap": p - d, "zot_width": d - m},
            conf,
        )
        table.insert(len(by_), "level", level)
        parts.append(table)
    out = pd.concat(parts, ignore_index=True)
    status = gap_status(out["adequacy_gap"].to_numpy(), out["superiority_gap"].to_numpy())
    out["status"] = pd.Series(status, index=out.index, dtype=object).where(out["n"] > 0)
    if by_:
        out = out.sort_values(list(by_), kind="stable", ignore_index=True)
    return out


def importance_performance(
    data: pd.DataFrame,
    *,
    items: str | Sequence[str],
    by: str | Sequence[str] = ("library",),
    columns: Sequence[str] = GAP2_COLUMNS,
    na_column: str | None = "na",
    crosshair: Literal["grand_mean", "median"] | tuple[float, float] = "grand_mean",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Importance–performance analysis of a two-column battery (ARL's 2020+ variant).

    Parameters
    ----------
    data : pandas.DataFrame
        Wide responses with ``"<item>:importance"`` and ``"<item>:performance"`` columns.
    items : str or sequence of str
        Battery item ids.
    by : str or sequence of str, default ("library",)
        Grouping columns.
    columns : sequence of two str, default ("importance", "performance")
        The data's column suffixes for the roles importance and performance.
    na_column : str or None, default "na"
        Suffix of the N/A flag column.
    crosshair : {"grand_mean", "median"} or (importance, performance), default "grand_mean"
        Where the quadrant lines sit: the mean (or median) of the item means within the
        group, or fixed values such as the scale midpoint ``(5, 5)``.
    confidence : float, default 0.95
        Level of the two-sided interval of the gap.

    Returns
    -------
    pandas.DataFrame
        ``*by, item, n, mean_importance, sd_importance, mean_performance,
        sd_performance, gap, gap_se, gap_ci_low, gap_ci_high, importance_cut,
        performance_cut, quadrant``.

    Raises
    ------
    TypeError, ValueError
        On malformed arguments or missing/non-numeric columns.

    Notes
    -----
    ``gap = mean(Pᵢ − Iᵢ)`` (performance minus importance; negative means the item
    performs below its importance) with the paired t interval. Quadrants (Martilla &
    James), with ties counted as high:

    * high importance, low performance: ``"concentrate_here"``;
    * high importance, high performance: ``"keep_up_good_work"``;
    * low importance, low performance: ``"low_priority"``;
    * low importance, high performance: ``"possible_overkill"``.

    References
    ----------
    Martilla, J. A., James, J. C. (1977), "Importance-performance analysis", *Journal
    of Marketing* 41(1):77–79.
    """
    items_ = _names(items, "items")
    cols = _names(columns, "columns")
    if len(cols) != 2:
        raise ValueError("columns must name exactly two roles: importance, performance")
    by_ = _check_by(by, items_)
    _check_frame(data, by_)
    conf = _check_confidence(confidence)
    fixed: tuple[float, float] | None = None
    if isinstance(crosshair, str):
        if crosshair not in ("grand_mean", "median"):
            raise ValueError(f"unknown crosshair {crosshair!r}")
    elif (
        isinstance(crosshair, tuple)
        and len(crosshair) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in crosshair)
    ):
        fixed = (float(crosshair[0]), float(crosshair[1]))
    else:
        raise TypeError(
            "crosshair must be 'grand_mean', 'median' or an (importance, "
            "performance) pair of numbers"
        )
    masked, _ = _battery(data, items_, cols, na_column)
    imp, perf = (masked[c] for c in cols)
    grouping = _Grouping(data, by_)
    out = _paired(grouping, {"importance": imp, "performance": perf}, {"gap": perf - imp}, conf)
    out = out.rename(columns={"unit": "item"})
    if fixed is not None:
        out["importance_cut"] = fixed[0]
        out["performance_cut"] = fixed[1]
    else:
        agg: Literal["mean", "median"] = "mean" if crosshair == "grand_mean" else "median"
        if by_:
            grouped = out.groupby(list(by_), sort=False, dropna=False)
            out["importance_cut"] = grouped["mean_importance"].transform(agg)
            out["performance_cut"] = grouped["mean_performance"].transform(agg)
        else:
            out["importance_cut"] = out["mean_importance"].agg(agg)
            out["performance_cut"] = out["mean_performance"].agg(agg)
    high_i = out["mean_importance"] >= out["importance_cut"]
    high_p = out["mean_performance"] >= out["performance_cut"]
    quadrant = np.select(
        [high_i & ~high_p, high_i & high_p, ~high_i & ~high_p],
        ["concentrate_here", "keep_up_good_work", "low_priority"],
        default="possible_overkill",
    )
    known = out["mean_importance"].notna() & out["mean_performance"].notna()
    out["quadrant"] = pd.Series(quadrant, index=out.index, dtype=object).where(known)
    return out


def servqual_scores(
    data: pd.DataFrame,
    *,
    dimensions: Mapping[str, Sequence[str]],
    by: str | Sequence[str] = ("library",),
    columns: Sequence[str] = SERVQUAL_COLUMNS,
    reverse: Sequence[str] = (),
    scale_range: tuple[float, float] = (1, 7),
    weights: Mapping[str, float] | None = None,
    weight_columns: Mapping[str, str] | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """SERVQUAL gap scores per dimension, unweighted and weighted (100-point split).

    Parameters
    ----------
    data : pandas.DataFrame
        Wide responses with ``"<item>:expectation"`` and ``"<item>:perception"``
        columns (and, for ``weight_columns``, one points column per dimension).
    dimensions : mapping of str to sequence of str
        Dimension id -> item ids (1988: T 1–4, REL 5–9, RESP 10–13, A 14–17, E 18–22).
    by : str or sequence of str, default ("library",)
        Grouping columns.
    columns : sequence of two str, default ("expectation", "perception")
        The data's column suffixes for the roles E and P.
    reverse : sequence of str, default ()
        Negatively worded items (1988: 10–13 and 18–22), recoded
        ``min + max − x`` in both batteries before the gap is taken.
    scale_range : (min, max), default (1, 7)
        Declared rating range; values outside raise ``ValueError``.
    weights : mapping of dimension to points, optional
        Fixed importance points summing to 100.
    weight_columns : mapping of dimension to column, optional
        Per-respondent point allocations; the group's weight for a dimension is the
        mean points over respondents whose allocation sums to 100. Give at most one of
        ``weights`` and ``weight_columns``; with neither, no weighted row is produced.
    confidence : float, default 0.95
        Level of the two-sided intervals.

    Returns
    -------
    pandas.DataFrame
        One row per group and ``component`` (each dimension, then ``"unweighted"`` and
        ``"weighted"``) with columns ``*by, component, n, mean_expectation,
        mean_perception, gap, se, ci_low, ci_high, weight``; ``weight`` is the points
        (0–100) of a dimension, ``NaN`` on summary rows.

    Raises
    ------
    TypeError, ValueError
        On malformed arguments, missing/non-numeric columns, out-of-range ratings or
        fixed weights that do not sum to 100.

    Notes
    -----
    Item gap ``Gᵢⱼ = Pᵢⱼ − Eᵢⱼ`` (after reverse keying); respondent *i*'s dimension gap
    ``Gᵢ_d`` is the mean over the dimension's items that have both ratings. Per group:

    * dimension gap ``Ḡ_d`` = mean of ``Gᵢ_d`` with a paired t interval;
    * unweighted score = mean over respondents of ``(1/5) Σ_d Gᵢ_d`` (respondents with
      every dimension), which equals the mean of the dimension means when no
      dimension is missing;
    * weighted score = mean over respondents of ``Σ_d (w_d/100) Gᵢ_d`` with ``w_d`` the
      fixed points or the group's mean allocation, i.e. ``Σ_d (w_d/100) Ḡ_d``. Its
      interval treats ``w`` as fixed.

    References
    ----------
    Parasuraman, A., Zeithaml, V. A., Berry, L. L. (1988), "SERVQUAL: a multiple-item
    scale for measuring consumer perceptions of service quality", *Journal of
    Retailing* 64(1):12–40; Zeithaml, V. A., Parasuraman, A., Berry, L. L. (1990),
    *Delivering Quality Service*, Free Press, Appendix A (scoring steps, 100-point
    importance weights).
    """
    if not isinstance(dimensions, Mapping) or not dimensions:
        raise TypeError("dimensions must be a non-empty mapping of dimension -> items")
    all_items = tuple(dict.fromkeys(i for m in dimensions.values() for i in _names(m, "items")))
    dims = _dimensions(dimensions, all_items)
    cols = _names(columns, "columns")
    if len(cols) != 2:
        raise ValueError("columns must name exactly two roles: expectation, perception")
    reverse_ = _names(reverse, "reverse", allow_empty=True)
    unknown = sorted(set(reverse_) - set(all_items))
    if unknown:
        raise ValueError(f"reverse names item(s) {unknown} in no dimension")
    lo, hi = _range(scale_range, "scale_range")
    if weights is not None and weight_columns is not None:
        raise ValueError("give at most one of weights and weight_columns")
    wcols: dict[str, str] = {}
    fixed: dict[str, float] | None = None
    if weights is not None:
        if set(weights) != set(dims):
            raise ValueError("weights must give points for exactly the dimensions")
        fixed = {d: float(weights[d]) for d in dims}
        if any(v < 0 for v in fixed.values()) or abs(sum(fixed.values()) - 100.0) > 1e-6:
            raise ValueError("weights must be non-negative points summing to 100")
    if weight_columns is not None:
        if set(weight_columns) != set(dims):
            raise ValueError("weight_columns must name a column for exactly the dimensions")
        wcols = dict(weight_columns)
    by_ = _check_by(by, all_items, wcols.values())
    _check_frame(data, [*by_, *wcols.values()])
    conf = _check_confidence(confidence)
    masked, _ = _battery(data, all_items, cols, None)
    expect, percept = (masked[c] for c in cols)
    _check_range(expect, dict.fromkeys(all_items, (lo, hi)))
    _check_range(percept, dict.fromkeys(all_items, (lo, hi)))
    for item in reverse_:
        expect[item] = lo + hi - expect[item]
        percept[item] = lo + hi - percept[item]
    e_dim = _aggregate(expect, dims, 1)
    p_dim = _aggregate(percept, dims, 1)
    g_dim = _aggregate(percept - expect, dims, 1)
    grouping = _Grouping(data, by_)
    keys = data.loc[:, list(by_)]
    kcols = [*by_, "unit"]
    table = _paired(grouping, {"expectation": e_dim, "perception": p_dim}, {"gap": g_dim}, conf)
    wanted = [*kcols, "n", "mean_expectation", "mean_perception", "gap"]
    wanted += ["gap_se", "gap_ci_low", "gap_ci_high"]
    table = table.loc[:, wanted].rename(
        columns={"gap_se": "se", "gap_ci_low": "ci_low", "gap_ci_high": "ci_high"}
    )

    # group weights: points per dimension, per group (fixed, or the mean allocation)
    resp_w: pd.DataFrame | None = None
    table["weight"] = np.nan
    if fixed is not None:
        resp_w = pd.DataFrame({d: fixed[d] for d in dims}, index=data.index, dtype="float64")
        table["weight"] = table["unit"].map(fixed)
    elif wcols:
        alloc = _numeric(data, list(wcols.values()))
        alloc.columns = list(wcols)
        ok = alloc.notna().all(axis=1) & (alloc >= 0).all(axis=1)
        ok &= (alloc.sum(axis=1) - 100.0).abs() <= 1e-6
        usable = alloc.where(ok)
        if by_:
            grouped = pd.concat([keys, usable], axis=1).groupby(list(by_), dropna=False)
            resp_w = grouped[list(dims)].transform("mean")
            group_w = grouped[list(dims)].mean().reset_index()
            group_w = group_w.melt(id_vars=list(by_), var_name="unit", value_name="weight")
            table = table.drop(columns="weight").merge(group_w, on=kcols, how="left")
        else:
            means = usable.mean()
            resp_w = pd.DataFrame({d: means[d] for d in dims}, index=data.index)
            table["weight"] = table["unit"].map(means.to_dict())

    complete = g_dim.notna().all(axis=1)
    summary = {"unweighted": g_dim.mean(axis=1).where(complete)}
    if resp_w is not None:
        summary["weighted"] = (g_dim * resp_w / 100.0).sum(axis=1, min_count=1).where(complete)
    srows = grouping.describe(pd.DataFrame(summary, index=data.index), "unit", conf, median=False)
    srows = srows.loc[:, [*kcols, "n", "mean", "se", "ci_low", "ci_high"]].rename(
        columns={"mean": "gap"}
    )
    out = pd.concat([table, srows], ignore_index=True)
    out = out.rename(columns={"unit": "component"})
    order = {name: k for k, name in enumerate([*dims, "unweighted", "weighted"])}
    out["_order"] = out["component"].map(order)
    out = out.sort_values([*by_, "_order"], kind="stable", ignore_index=True).drop(columns="_order")
    columns_out = [*by_, "component", "n", "mean_expectation", "mean_perception", "gap"]
    return out.loc[:, [*columns_out, "se", "ci_low", "ci_high", "weight"]]


def screen_gap_responses(
    data: pd.DataFrame,
    *,
    items: str | Sequence[str],
    columns: Sequence[str] = GAP3_COLUMNS,
    na_column: str | None = "na",
    require_all_core: bool = True,
    max_na: int | None = LIBQUAL_MAX_NA,
    max_inconsistent: int | None = LIBQUAL_MAX_INCONSISTENT,
) -> pd.DataFrame:
    """Flag (never drop) gap-battery responses that LibQUAL's screening would exclude.

    Parameters
    ----------
    data : pandas.DataFrame
        Wide responses with ``"<item>:<column>"`` and optional ``"<item>:na"`` columns.
    items : str or sequence of str
        The core items the rules apply to.
    columns : sequence of str, default ("minimum", "desired", "perceived")
        Rating-column suffixes; with three columns the first two are minimum and
        desired for the inconsistency rule, with two columns that rule never fires.
    na_column : str or None, default "na"
        Suffix of the N/A flag column.
    require_all_core : bool, default True
        Flag a response with any core item neither fully rated nor marked N/A.
    max_na : int or None, default 11
        Flag a response with more than this many N/A items; ``None`` disables.
    max_inconsistent : int or None, default 9
        Flag a response with more than this many items rated minimum > desired;
        ``None`` disables.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``data``: ``n_rated, n_na, n_incomplete, n_inconsistent,
        flag_incomplete, flag_too_many_na, flag_inconsistent, flagged``.
        Join it back with ``data.join(flags)``.

    Raises
    ------
    TypeError, ValueError
        On malformed arguments or missing/non-numeric columns.

    Notes
    -----
    Per response: an item is *rated* when every column is answered and it is not
    marked N/A, *N/A* when marked (N/A overrides ratings), *incomplete* otherwise (some
    or no columns answered, not N/A); it is *inconsistent* when rated with
    ``minimum > desired``. The defaults are the full-form limits reported for the
    hosted LibQUAL+ system: all core items complete, at most 11 N/A, at most 9
    inconsistencies. Those numbers are background knowledge (label K in
    instruments.md §1.4), not verified in ARL documentation; LibQUAL Lite used
    proportionally smaller limits, so pass smaller ``max_na``/``max_inconsistent`` for
    a Lite form (and set ``require_all_core=False``, since Lite respondents see only
    some items).

    References
    ----------
    ARL, LibQUAL+ survey results notebooks, section on data screening (as summarised,
    unverified, in the project's instruments.md §1.4 and §1.7).
    """
    items_ = _names(items, "items")
    cols = _names(columns, "columns")
    if len(cols) not in (2, 3):
        raise ValueError("columns must name two or three rating columns")
    if not isinstance(data, pd.DataFrame):
        raise TypeError("data must be a pandas DataFrame")
    for name, limit in (("max_na", max_na), ("max_inconsistent", max_inconsistent)):
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, int) or limit < 0
        ):
            raise ValueError(f"{name} must be a non-negative int or None")
    masked, na = _battery(data, items_, cols, na_column)
    rated = masked[cols[0]].notna()
    n_rated = rated.sum(axis=1).astype("int64")
    n_na = na.sum(axis=1).astype("int64")
    n_incomplete = (len(items_) - n_rated - n_na).astype("int64")
    if len(cols) == 3:
        inconsistent = (masked[cols[0]] > masked[cols[1]]) & rated
        n_inconsistent = inconsistent.sum(axis=1).astype("int64")
    else:
        n_inconsistent = pd.Series(0, index=data.index, dtype="int64")
    out = pd.DataFrame(
        {
            "n_rated": n_rated,
            "n_na": n_na,
            "n_incomplete": n_incomplete,
            "n_inconsistent": n_inconsistent,
        },
        index=data.index,
    )
    out["flag_incomplete"] = (n_incomplete > 0) if require_all_core else False
    out["flag_too_many_na"] = (n_na > max_na) if max_na is not None else False
    out["flag_inconsistent"] = (
        (n_inconsistent > max_inconsistent) if max_inconsistent is not None else False
    )
    out["flagged"] = out[["flag_incomplete", "flag_too_many_na", "flag_inconsistent"]].any(axis=1)
    return out
