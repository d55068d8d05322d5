"""The tables an analysis plan calls for, computed from rows or from sufficient statistics.

Two entrances, one set of formulas (:mod:`analysis.estimators`, and the reliability
finaliser of :mod:`analysis.reliability`):

* :func:`tables_from_rows` — the analysis functions on wide numeric rows, grouped by any
  columns (the ``survey-app indices`` command, a CSV export);
* :func:`tables_from_stats` — the per-group statistics of an :class:`analysis.Accumulator`
  (a database stream, chunk by chunk, or :func:`analysis.accumulate_frame`).

Both give the same tables, column for column, to rounding (``tests/analysis/
test_accumulator.py`` and the database tests check it). :func:`long_indices` stacks them
into :func:`analysis.indices_table`'s long format, :func:`shrink_indicators` adds the
empirical-Bayes estimates and rank intervals per indicator across groups.
"""

from __future__ import annotations

from collections.abc import Collection
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import replace as dc_replace
from typing import Any

import numpy as np
import pandas as pd

from analysis.accumulator import GroupStats
from analysis.accumulator import Layout
from analysis.estimators import contrast_interval
from analysis.estimators import distribution_moments
from analysis.estimators import gap_status
from analysis.estimators import happy_from_faces
from analysis.estimators import moments_from_sums
from analysis.estimators import nps_from_counts
from analysis.estimators import proportion_interval
from analysis.estimators import t_interval_parts
from analysis.gap import gap_scores
from analysis.gap import servqual_scores
from analysis.indices import describe_dimensions
from analysis.indices import describe_items
from analysis.indices import happy_index
from analysis.indices import net_promoter_score
from analysis.indices import share_satisfied
from analysis.nok import FILTER_QUESTIONS
from analysis.nok import NokConfig
from analysis.nok import nok_item_shares
from analysis.nok import nok_scores
from analysis.plan import GAP3_COLUMNS
from analysis.plan import NA_COLUMN
from analysis.plan import NOK_QUESTIONS
from analysis.plan import SERVQUAL_POINTS
from analysis.plan import AnalysisPlan
from analysis.plan import ScaleSpec
from analysis.reasons import Note
from analysis.reasons import Reason
from analysis.reasons import StatisticUnavailable
from analysis.reliability import cronbach_alpha
from analysis.reliability import cronbach_alpha_batch
from analysis.results import AlphaResult
from analysis.shrinkage import rank_intervals
from analysis.shrinkage import shrink_means
from analysis.shrinkage import shrink_proportions
from analysis.standards import indices_table

__all__ = [
    "CELL_TABLES",
    "RELIABILITY_COLUMNS",
    "default_shrink",
    "indicator_table",
    "long_indices",
    "plan_for_indicators",
    "plan_indicators",
    "shrink_indicators",
    "tables_from_rows",
    "tables_from_stats",
]


# ---------------------------------------------------------------------------------------------
# from rows: the analysis functions
# ---------------------------------------------------------------------------------------------


def tables_from_rows(
    frame: pd.DataFrame,
    plan: AnalysisPlan,
    by: Sequence[str],
    checklist: pd.DataFrame | None = None,
    confidence: float = 0.95,
    nok_config: NokConfig | None = None,
) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """Every table of ``plan`` per group of ``by``, from wide numeric rows.

    The analysis functions (:func:`analysis.describe_items`, :func:`analysis.share_satisfied`,
    :func:`analysis.cronbach_alpha`, :func:`analysis.gap_scores`, ...) on the rows; they end
    in the formulas of :mod:`analysis.estimators`, as :func:`tables_from_stats` does.

    Returns
    -------
    (tables, notes)
        ``tables``: name -> the analysis function's own table (``items``, ``shares``,
        ``filter_shares``, ``nps``, ``happy``, ``scales``, ``reliability``, ``gap``,
        ``servqual``, ``nok``), only those that apply; ``notes``: what was not computed
        and why.
    """
    by = tuple(by)
    tables: dict[str, pd.DataFrame] = {}
    notes: list[str] = []
    by_list = list(by)
    if plan.means:
        tables["items"] = describe_items(
            frame, items=list(plan.means), by=by_list, confidence=confidence
        )
    shares = []
    if plan.ratings:
        shares.append(
            share_satisfied(
                frame,
                items=list(plan.ratings),
                threshold=dict(plan.ratings),
                by=by_list,
                confidence=confidence,
            )
        )
    yes_no = plan.plain_yes_no
    if yes_no:
        shares.append(
            share_satisfied(frame, items=yes_no, threshold=1.0, by=by_list, confidence=confidence)
        )
    if plan.nok:
        satisfied, filters = _split_nok_shares(
            nok_item_shares(frame, by=by_list, confidence=confidence)
        )
        shares.append(satisfied)
        tables["filter_shares"] = filters
    if shares:
        tables["shares"] = _concat_sorted(shares, by)
    if plan.nps:
        tables["nps"] = net_promoter_score(
            frame, items=list(plan.nps), by=by_list, confidence=confidence
        )
    if plan.smileys:
        tables["happy"] = happy_index(
            frame, items=list(plan.smileys), by=by_list, confidence=confidence
        )
    if plan.scales:
        parts = [
            describe_dimensions(
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
        tables["gap"] = gap_scores(
            frame,
            items=list(plan.gap.items),
            scales={d: list(m) for d, m in plan.gap.dimensions.items()} or None,
            na_column=na,
            by=by_list,
            confidence=confidence,
        )
    if plan.servqual is not None:
        sq = plan.servqual
        tables["servqual"] = servqual_scores(
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
            tables["nok"] = nok_scores(frame, checklist=checklist, by=list(by), config=nok_config)
    return tables, notes


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


def _status_columns(notes: Sequence[Note]) -> dict[str, Any]:
    """``status``, ``reason`` and ``note`` of a computed alpha from its warnings."""
    if not notes:
        return {"status": "ok", "reason": None, "note": None}
    unsound = any(note.unsound for note in notes)
    return {
        "status": "unsound" if unsound else "warning",
        "reason": ",".join(note.code.value for note in notes),
        "note": "; ".join(note.message for note in notes),
    }


def _alpha_row(result: AlphaResult) -> dict[str, Any]:
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
    k: int, n: int, n_complete: int, reason: Reason, message: str
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
            "reason": Reason(reason).value,
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
                result = cronbach_alpha(
                    rows_of_group,
                    items=list(scale.items),
                    reverse=list(scale.reverse),
                    scale=dict(scale.ranges) or None,
                    ci=confidence,
                )
                row.update(_alpha_row(result))
            except ValueError as exc:
                if isinstance(exc, StatisticUnavailable):
                    code = exc.code
                elif "outside" in str(exc):
                    code = Reason.OUT_OF_RANGE
                else:
                    code = Reason.INVALID_DATA
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


def indicator_table(indicator: str) -> str | None:
    """The table of :func:`tables_from_rows` / :func:`tables_from_stats` an indicator of
    :func:`long_indices` comes from (None for an unknown name).

    Examples
    --------
    >>> indicator_table("share_satisfied:q14"), indicator_table("adequacy_gap:overall")
    ('shares', 'gap')
    >>> indicator_table("nok:total"), indicator_table("screening:flagged")
    ('nok', None)
    """
    family = indicator.partition(":")[0]
    for name, values, label, _, _ in _LONG:
        if family == label.rstrip(":") or (label == "" and family in values):
            return name
    return None


def plan_indicators(plan: AnalysisPlan, *, nok_scored: bool = False) -> tuple[str, ...]:
    """The indicators :func:`long_indices` gives for a plan's tables, in its order.

    Read from the tables of one group without responses (the finalisers give every row of a
    plan whatever its n), so the names are those of the results and cannot drift from them.
    NOK's checklist scores (``nok:K1`` … ``nok:total``) need the expert checklist: listed
    with ``nok_scored``. Known before any response is read: e.g. a report run chooses its
    main indicator, the one it breaks down by channel and period, before its scan.
    """
    nok_rows = [np.full((1, len(NOK_QUESTIONS)), -1, dtype=np.int8)] if plan.nok else []
    empty = GroupStats(group=0, nok_rows=nok_rows)
    names = list(
        dict.fromkeys(long_indices(tables_from_stats([empty], plan), ("library_id",))["indicator"])
    )
    if plan.nok and nok_scored:
        _, values, prefix, _, _ = next(entry for entry in _LONG if entry[0] == "nok")
        names += [f"{prefix}{value}" for value in values]
    return tuple(str(name) for name in names)


def plan_for_indicators(plan: AnalysisPlan, indicators: Collection[str]) -> AnalysisPlan:
    """The plan restricted to what ``indicators`` need (same keys, so the same rows).

    Accumulating and finalising with it gives those indicators with the same values as the
    whole plan and skips the rest: e.g. a library's cells (channel × month) kept only for
    the one indicator a page breaks down. ``mean:<key>``, ``share_satisfied:<key>``,
    ``nps:<key>``, ``happy_index:<key>``, ``scale:<id>`` / ``alpha:<id>`` keep their key or
    scale; any gap, SERVQUAL or NOK indicator keeps that whole battery (its tables are
    computed together).
    """
    wanted = set(indicators)
    families = {name.partition(":")[0] for name in wanted}
    nok_shares = any(
        name.startswith("share_yes:")
        or (name.startswith("share_satisfied:") and name.partition(":")[2] in NOK_QUESTIONS)
        for name in wanted
    )
    return dc_replace(
        plan,
        means=tuple(k for k in plan.means if f"mean:{k}" in wanted),
        ratings={k: t for k, t in plan.ratings.items() if f"share_satisfied:{k}" in wanted},
        yes_no=tuple(k for k in plan.yes_no if f"share_satisfied:{k}" in wanted),
        nps=tuple(k for k in plan.nps if f"nps:{k}" in wanted),
        smileys=tuple(k for k in plan.smileys if f"happy_index:{k}" in wanted),
        scales=tuple(
            s for s in plan.scales if f"scale:{s.id}" in wanted or f"alpha:{s.id}" in wanted
        ),
        gap=plan.gap if families & {"adequacy_gap", "superiority_gap", "zot_width"} else None,
        servqual=plan.servqual if "servqual_gap" in families else None,
        nok=plan.nok and ("nok" in families or nok_shares),
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
        part = indices_table(
            table, value=list(values) if len(values) > 1 else values[0], unit=unit, **kwargs
        )
        parts.append(part)
    if not parts:
        columns = [*by, "indicator", "value", "ci_low", "ci_high", "n", "se", "test"]
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)


# ---------------------------------------------------------------------------------------------
# from sufficient statistics: the same formulas on the accumulator's histograms and moments
# ---------------------------------------------------------------------------------------------

#: the tables a cell's additive statistics give (no reliability, no NOK scores)
CELL_TABLES = frozenset({"items", "shares", "nps", "happy", "scales", "gap", "servqual"})


def tables_from_stats(
    stats: Sequence[GroupStats],
    plan: AnalysisPlan,
    *,
    by: Sequence[str] = ("library_id",),
    confidence: float = 0.95,
    checklist: pd.DataFrame | None = None,
    nok_config: NokConfig | None = None,
    layout: Layout | None = None,
    only: Collection[str] | None = None,
) -> dict[str, pd.DataFrame]:
    """Every table of ``plan`` for a batch of groups, from their sufficient statistics.

    Parameters
    ----------
    stats : sequence of GroupStats
        Finished groups (of :class:`analysis.Accumulator` or :func:`analysis.accumulate_frame`).
    plan : AnalysisPlan
        The plan the statistics were accumulated for.
    by : sequence of str, default ("library_id",)
        Names of the group columns: with one name and unlabelled groups, the group code
        (the library id); otherwise one column per element of each group's ``label``.
    confidence : float, default 0.95
        Level of the two-sided intervals.
    checklist : pandas.DataFrame, optional
        NOK expert checklist (:func:`analysis.nok_scores`) with the ``by`` columns.
    nok_config : NokConfig, optional
        NOK weights and point rules.
    layout : Layout, optional
        The plan's layout, if already built (the accumulator's).
    only : collection of str, optional
        Compute only these tables (e.g. :data:`CELL_TABLES` for the cells of
        :attr:`GroupStats.cells`, which keep no pairwise moments and no NOK answers).

    Returns
    -------
    dict of str to pandas.DataFrame
        The tables of :func:`tables_from_rows` (same columns, rows in group order) plus
        ``reliability_items`` (per group, scale and item: n, mean, sd, raw_r, r_drop,
        alpha_if_deleted).
    """
    layout = Layout(plan) if layout is None else layout
    by_ = tuple(by)
    labelled = any(s.label is not None for s in stats)
    batch = list(stats)
    if labelled:  # number the groups by position: cells of many libraries share codes
        batch = [dc_replace(s, group=i) for i, s in enumerate(batch)]
    check = checklist
    if checklist is not None and labelled:
        codes = {_label(s): s.group for s in batch}
        keys = [tuple(row) for row in checklist.loc[:, list(by_)].itertuples(index=False)]
        check = checklist.loc[[k in codes for k in keys]].drop(columns=list(by_))
        check.insert(0, "library_id", [codes[k] for k in keys if k in codes])
    elif checklist is not None and by_ != ("library_id",):
        check = checklist.rename(columns={by_[0]: "library_id"})
    tables = _finalise_batch(
        batch, layout, confidence=confidence, checklist=check, nok_config=nok_config, only=only
    )
    if not labelled and by_ == ("library_id",):
        return tables
    labels = {s.group: _label(s) for s in batch}
    for name, table in tables.items():
        codes_ = table.pop("library_id").to_numpy()
        for j, column in enumerate(by_):
            table.insert(j, column, [labels[int(c)][j] for c in codes_])
        tables[name] = table
    return tables


def _label(stats: GroupStats) -> tuple[Any, ...]:
    key = stats.key
    return key if isinstance(key, tuple) else (key,)


def _distribution(
    batch: Sequence[GroupStats], layout: Layout, column: str
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


def _describe_rows(
    ids: np.ndarray,
    unit_name: str,
    unit: str,
    order: int,
    values: np.ndarray,
    counts: np.ndarray,
    confidence: float,
) -> dict[str, Any]:
    n, mean, sd, median = distribution_moments(values, counts)
    se, half = t_interval_parts(n, sd, confidence)
    return {
        "library_id": ids,
        unit_name: np.full(len(ids), unit, dtype=object),
        "n": n.astype("int64"),
        "mean": mean,
        "sd": sd,
        "median": median,
        "se": se,
        "ci_low": mean - half,
        "ci_high": mean + half,
        "_order": order,
    }


def _block(
    batch: Sequence[GroupStats], layout: Layout, name: str
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
    mean, cov = moments_from_sums(n, sums, cross, shift)
    return n, mean, cov


def _finalise_batch(
    batch: Sequence[GroupStats],
    layout: Layout,
    *,
    confidence: float,
    checklist: pd.DataFrame | None,
    nok_config: NokConfig | None,
    only: Collection[str] | None = None,
) -> dict[str, pd.DataFrame]:
    """Every table of the plan (or those in ``only``) for a batch of finished libraries
    (columns as the analysis functions name them, ``library_id`` as the group)."""
    plan = layout.plan

    def wanted(name: str) -> bool:
        return only is None or name in only

    ids = np.array([s.library_id for s in batch], dtype=np.int64)
    tables: dict[str, pd.DataFrame] = {}
    dists = {k: _distribution(batch, layout, k) for k in (*layout.dense_keys, *layout.sparse_keys)}

    if plan.means and wanted("items"):
        parts = [
            _describe_rows(ids, "item", k, j, *dists[k], confidence)
            for j, k in enumerate(plan.means)
        ]
        tables["items"] = _by_library(parts)
    plain = set(plan.ratings) | set(plan.plain_yes_no)
    if plain and wanted("shares"):
        parts = []
        for j, (key, threshold) in enumerate(plan.shares.items()):
            if key not in plain:
                continue
            values, counts = dists[key]
            n = counts.sum(axis=1)
            hit = counts[:, values >= threshold].sum(axis=1)
            share, se, low, high = proportion_interval(hit, n, confidence)
            parts.append(
                {
                    "library_id": ids,
                    "item": np.full(len(ids), key, dtype=object),
                    "n": n,
                    "count": hit,
                    "share": share,
                    "se": se,
                    "ci_low": low,
                    "ci_high": high,
                    "threshold": np.full(len(ids), float(threshold)),
                    "_order": j,
                }
            )
        tables["shares"] = _by_library(parts)
    if plan.nok and wanted("shares"):
        nok_shares = _nok_share_rows(batch, confidence)
        if nok_shares is not None:
            satisfied, filters = _split_nok_shares(nok_shares)
            if "shares" in tables:  # the plain shares first, as the file path orders them
                satisfied = pd.concat([tables["shares"], satisfied], ignore_index=True)
                satisfied = satisfied.sort_values("library_id", kind="stable", ignore_index=True)
            tables["shares"] = satisfied
            tables["filter_shares"] = filters
    if plan.nps and wanted("nps"):
        tables["nps"] = _by_library(
            [_nps_rows(ids, k, j, *dists[k], confidence) for j, k in enumerate(plan.nps)]
        )
    if plan.smileys and wanted("happy"):
        tables["happy"] = _by_library(
            [_happy_rows(ids, k, j, *dists[k], confidence) for j, k in enumerate(plan.smileys)]
        )
    if plan.scales and wanted("scales"):
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
    if plan.scales and wanted("reliability"):
        tables["reliability"], tables["reliability_items"] = _reliability(batch, layout, confidence)
    if plan.gap is not None and wanted("gap"):
        tables["gap"] = _gap_rows(batch, layout, ids, confidence)
    if plan.servqual is not None and wanted("servqual"):
        tables["servqual"] = _servqual_rows(batch, layout, ids, confidence)
    if plan.nok and checklist is not None and wanted("nok"):
        nok = _nok_rows(batch, checklist, nok_config)
        if nok is not None:
            tables["nok"] = nok
    return tables


def _by_library(parts: Sequence[pd.DataFrame | Mapping[str, Any]]) -> pd.DataFrame:
    """The parts (one per key or scale, each a row per library of the batch, ``_order`` their
    place) as one table ordered by library, then by ``_order``: the columns are stacked
    library by library, one frame made (not a frame per part, concatenated and sorted)."""
    if not parts:
        return pd.DataFrame()
    # a frame part's columns keep their dtype (e.g. an object column with missing values)
    dtypes = dict(parts[0].dtypes) if isinstance(parts[0], pd.DataFrame) else {}
    columns = [
        {str(c): part[c].to_numpy() for c in part.columns}
        if isinstance(part, pd.DataFrame)
        else dict(part)
        for part in parts
    ]
    ids = np.asarray(columns[0]["library_id"])
    # the parts in their order, the libraries by id (ties in batch order): as a stable sort
    parts_order = np.argsort([int(np.ravel(c["_order"])[0]) for c in columns], kind="stable")
    columns = [columns[j] for j in parts_order]
    rows = np.argsort(ids, kind="stable")
    out: dict[str, Any] = {}
    for name in columns[0]:
        if name == "_order":
            continue
        stacked = np.column_stack([np.broadcast_to(c[name], ids.shape) for c in columns])
        values = stacked[rows].ravel()
        out[name] = pd.Series(values, dtype=dtypes[name]) if name in dtypes else values
    return pd.DataFrame(out)


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
    scored = nps_from_counts(n, promoters, detractors, confidence)
    out = pd.DataFrame(
        {
            "library_id": ids,
            "item": key,
            "n": n,
            "promoters": promoters,
            "passives": n - promoters - detractors,
            "detractors": detractors,
        }
    )
    for column, values_ in scored.items():
        out[column] = values_
    out["_order"] = order
    return out


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
    weighted = happy_from_faces(faces, confidence)
    out = pd.DataFrame({"library_id": ids, "item": key, "n": weighted["n"]})
    for k, name in enumerate(_FACES):
        out[name] = faces[:, k]
    for column in ("index", "se", "ci_low", "ci_high"):
        out[column] = weighted[column]
    out["_order"] = order
    return out


#: per-item statistics of the alpha results kept in ``reliability_items``
_ITEM_COLUMNS = ("n", "mean", "sd", "raw_r", "r_drop", "alpha_if_deleted")


def _reliability(
    batch: Sequence[GroupStats], layout: Layout, confidence: float
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
            result = cronbach_alpha_batch(
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
                        k, s.n, 0, Reason.INVALID_DATA, str(exc)
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
                    _failed_alpha_row(len(scale.items), s.n, 0, Reason.NO_RESPONSES, "no responses")
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
    batch: Sequence[GroupStats], layout: Layout, ids: np.ndarray, confidence: float
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
            value, se, low, high = contrast_interval(n, mean, cov, w, confidence)
            part[name] = value
            part[f"{name}_se"] = se
            part[f"{name}_ci_low"] = low
            part[f"{name}_ci_high"] = high
        status = gap_status(part["adequacy_gap"].to_numpy(), part["superiority_gap"].to_numpy())
        part["status"] = pd.Series(status, dtype=object).where(part["n"] > 0)
        part["_order"] = order
        parts.append(part)
    return _by_library(parts)


def _servqual_rows(
    batch: Sequence[GroupStats], layout: Layout, ids: np.ndarray, confidence: float
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
        value, se, low, high = contrast_interval(n, mean, cov, np.array([-1.0, 1.0]), confidence)
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
        value, se, low, high = contrast_interval(
            n_used, mean, cov, np.nan_to_num(w_rows), confidence
        )
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


def _nok_frame(batch: Sequence[GroupStats], ids: set[int] | None = None) -> pd.DataFrame | None:
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


def _nok_share_rows(batch: Sequence[GroupStats], confidence: float) -> pd.DataFrame | None:
    """:func:`analysis.nok_item_shares` on the kept yes/no answers of the batch."""
    data = _nok_frame(batch)
    if data is None:
        return None
    return nok_item_shares(data, by=["library_id"], confidence=confidence)


def _nok_rows(
    batch: Sequence[GroupStats],
    checklist: pd.DataFrame,
    config: NokConfig | None,
) -> pd.DataFrame | None:
    """:func:`analysis.nok_scores` on the kept yes/no answers of the batch's libraries that
    have a checklist row (keyed by ``library_id``)."""
    data = _nok_frame(batch, set(checklist["library_id"]))
    if data is None:
        return None
    rows = checklist.loc[checklist["library_id"].isin(data["library_id"].unique())]
    return nok_scores(data, checklist=rows, by=["library_id"], config=config)


# ---------------------------------------------------------------------------------------------
# empirical-Bayes shrinkage and ranks across groups
# ---------------------------------------------------------------------------------------------


def default_shrink(plan: AnalysisPlan) -> list[str]:
    """The indicators shrunk by default: every ``scale:*``, and the ``mean:``/
    ``share_satisfied:`` indicators of the items outside any scale."""
    in_scales = {k for s in plan.scales for k in s.items}
    names = [f"scale:{s.id}" for s in plan.scales]
    names += [f"mean:{k}" for k in plan.means if k not in in_scales and k in plan.ratings]
    filters = set(FILTER_QUESTIONS) if plan.nok else set()
    names += [
        f"share_satisfied:{k}" for k in plan.shares if k not in in_scales and k not in filters
    ]
    return names


def shrink_indicators(
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
    wanted = list(default_shrink(plan) if shrink is None else shrink)
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
                fit = shrink_proportions(frame, ci=confidence)
                table = fit.to_frame().rename(columns={"raw_prop": "raw"})
                method = f"beta-binomial {fit.method}"
            else:
                frame = rows.loc[:, ["library_id", "n", "mean"]].copy()
                frame["var"] = rows["sd"].to_numpy() ** 2
                fit_m = shrink_means(frame, ci=confidence)
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
            ranks = rank_intervals(table, group="library_id", n_sim=n_sim, ci=confidence).loc[
                :, ["library_id", "rank", "rank_low", "rank_high", "p_top"]
            ]
            table = table.merge(ranks, on="library_id", how="left")
        parts.append(table)
    if not parts:
        return pd.DataFrame(columns=columns), notes
    out = pd.concat(parts, ignore_index=True)
    for column in columns:
        if column not in out.columns:
            out[column] = np.nan
    return out.loc[:, columns], notes
