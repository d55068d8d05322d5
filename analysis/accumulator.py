"""Sufficient statistics per group: the accumulator every table of a plan is computed from.

An :class:`Accumulator` reads wide numeric response rows (the plan's keys as columns, in
order: the database's packed vectors, or a DataFrame) *chunk by chunk*, rows ordered by
group, and keeps per group only what the statistics need:

* answer histograms of every whole-number key (n, mean, sd, median, shares, NPS categories
  and smiley faces follow exactly from them), value counts of the other keys;
* histograms of every scale score (mean of the answered, reverse-keyed items);
* one :class:`analysis.PairwiseMoments` over the scale items (α, ω, item statistics);
* count, sums and cross products of the per-respondent (minimum, desired, perceived) and
  (expectation, perception) vectors of gap and SERVQUAL batteries, and of the SERVQUAL
  importance points;
* for NOK plans the yes/no block (the method's skip filters need each respondent's answers).

Its size does not grow with the number of responses (except the NOK block), and two groups'
statistics add up exactly (:meth:`GroupStats.merge`), so a group streamed in many chunks,
or cells (library × channel × day × service point) rolled up into a library, give the same
statistics as one pass. :func:`analysis.tables_from_stats` turns them into results with the
formulas of :mod:`analysis.estimators`, the same the row-based functions use.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Hashable
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from analysis.plan import GAP3_COLUMNS
from analysis.plan import NA_COLUMN
from analysis.plan import NOK_QUESTIONS
from analysis.plan import SERVQUAL_POINTS
from analysis.plan import AnalysisPlan
from analysis.reliability import PairwiseMoments

__all__ = [
    "Accumulator",
    "GroupStats",
    "Layout",
    "accumulate_frame",
    "cell_groups",
    "merge_groups",
    "regroup_cells",
]


@dataclass(frozen=True, slots=True)
class Block:
    """Where a vector-valued per-respondent score comes from (gap units, SERVQUAL)."""

    name: str
    #: centring constant of each coordinate (declared midpoints): keeps sums of squares small
    shift: np.ndarray


#: dtype of the answer and score histograms a group keeps: a bin counts at most the region's
#: responses, far below 2³¹, and a report run keeps thousands of breakdown groups (library ×
#: channel, library × month) to its end, so half the bytes of int64 matter (~20 MB at 1M)
COUNT_DTYPE = np.int32


class Layout:
    """Column positions and histogram layout of a plan, computed once per stream.

    Shared by the accumulator and the finalisers (:func:`analysis.tables_from_stats`), which
    read the histograms it lays out.
    """

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
        #: the binned scales' (answered m, keyed sum − lo·m) of every row as two products
        #: with the rows' presence and zero-filled answers (one matrix product per chunk
        #: instead of a keyed copy per scale): ``m = P @ score_count``, ``sum = Z @
        #: score_sign + P @ score_const`` (reverse-keyed items: max + min − x, i.e. sign −1
        #: and constant max + min; every item: constant −lo). Whole numbers: the sums are exact
        shape = (len(plan.keys), len(self.score_bins))
        self.score_count = np.zeros(shape)
        self.score_sign = np.zeros(shape)
        self.score_const = np.zeros(shape)
        for j, (scale_id, (lo, *_)) in enumerate(self.score_bins.items()):
            cols, flip = self.scale_cols[scale_id]
            reversed_ = ~np.isnan(flip)
            self.score_count[cols, j] = 1.0
            self.score_sign[cols, j] = np.where(reversed_, -1.0, 1.0)
            self.score_const[cols, j] = np.where(reversed_, flip, 0.0) - lo
        #: the keys those scales read (the products need no other column); None: every key
        used = np.flatnonzero(self.score_count.any(axis=1))
        self.score_cols: np.ndarray | None = None
        if len(used) < len(plan.keys):
            self.score_cols = used
            self.score_count = self.score_count[used]
            self.score_sign = self.score_sign[used]
            self.score_const = self.score_const[used]
        self.blocks: dict[str, Block] = {}
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
                self.blocks[f"gap:{unit}"] = Block(f"gap:{unit}", np.full(3, (lo + hi) / 2))
        if plan.servqual is not None:
            lo, hi = plan.servqual.scale_range
            mid = (lo + hi) / 2
            for dim in plan.servqual.dimensions:
                self.blocks[f"servqual:{dim}"] = Block(f"servqual:{dim}", np.full(2, mid))
            ndim = len(plan.servqual.dimensions)
            self.blocks["servqual:complete"] = Block("servqual:complete", np.zeros(ndim))
            if plan.servqual.weight_columns is not None:
                self.blocks["servqual:weights"] = Block(
                    "servqual:weights", np.full(ndim, SERVQUAL_POINTS / ndim)
                )
        self.nok_cols = (
            np.array([self.index[q] for q in NOK_QUESTIONS], dtype=np.intp) if plan.nok else None
        )


@dataclass
class GroupStats:
    """Sufficient statistics of one group's responses, accumulated chunk by chunk.

    Its size depends on the plan (k keys, answer ranges, k² scale moments), not on the
    number of responses — except ``nok_rows`` (the yes/no answers, 14 bytes a response),
    which only NOK plans fill. Two groups' statistics add up (:meth:`merge`): chunks of one
    group, or cells (library × channel × day) rolled up into their library.
    """

    #: the group's integer code in the stream (a library id from the database)
    group: int
    #: the group's key (a tuple of the ``by`` values from a DataFrame); None: ``group``
    label: Any = None
    #: responses
    n: int = 0
    #: answer counts of every integer-valued key, concatenated (see ``Layout``)
    hist: np.ndarray | None = None
    #: column (non-integer key, or ``scale:<id>`` score) -> list of (values, counts) parts
    values: dict[str, list[tuple[np.ndarray, np.ndarray]]] = field(default_factory=dict)
    #: scale id -> dense histogram of the scale scores (see ``Layout.score_bins``)
    scores: dict[str, np.ndarray] = field(default_factory=dict)
    #: pairwise moments of the (unreversed) scale items
    moments: PairwiseMoments | None = None
    #: block name -> [n, sums, cross products] of the centred per-respondent vectors
    blocks: dict[str, list[Any]] = field(default_factory=dict)
    #: NOK yes/no answers, int8 with -1 for missing
    nok_rows: list[np.ndarray] = field(default_factory=list)
    #: cell code -> the additive statistics of the group's responses in that cell (e.g.
    #: channel × day × service point), when the stream gives cells: ``n``, histograms, value
    #: counts, score histograms, vector moments and the NOK rows (no pairwise moments)
    cells: dict[int, GroupStats] = field(default_factory=dict)

    @property
    def key(self) -> Any:
        """The group's key: ``label`` if set, else the integer ``group``."""
        return self.group if self.label is None else self.label

    @property
    def library_id(self) -> int:
        """The group's code (the library id when streamed from the database)."""
        return self.group

    def merge(self, other: GroupStats) -> GroupStats:
        """Return the statistics of the responses of both (keeps ``self``'s group and key).

        Every part is a sum (counts, histograms, centred sums and cross products, pairwise
        moments) or a concatenation (value counts, NOK rows), so merging is exact: the
        statistics of a group fed in any number of chunks equal those of one pass.
        """
        out = GroupStats(group=self.group, label=self.label)
        _add_into(out, self)
        _add_into(out, other)
        return out


def _add_into(out: GroupStats, part: GroupStats) -> None:
    """Add ``part``'s statistics to ``out`` in place (the one definition of the merge).

    ``out`` owns its arrays (``part``'s are copied when ``out`` has none yet, then added to),
    so ``part`` is never changed; cells and pairwise moments are merged into new objects.
    """
    out.n += part.n
    if part.hist is not None:
        if out.hist is None:
            out.hist = part.hist.copy()
        else:
            out.hist += part.hist
    for name, counted in part.values.items():
        out.values.setdefault(name, []).extend(counted)
    for name, counts in part.scores.items():
        mine = out.scores.get(name)
        if mine is None:
            out.scores[name] = counts.copy()
        else:
            mine += counts
    for name, (n, sums, cross) in part.blocks.items():
        acc = out.blocks.get(name)
        if acc is None:
            out.blocks[name] = [n, sums.copy(), cross.copy()]
        else:
            acc[0] += n
            acc[1] += sums
            acc[2] += cross
    out.nok_rows.extend(part.nok_rows)
    for code, cell in part.cells.items():
        mine_cell = out.cells.get(code)
        out.cells[code] = cell if mine_cell is None else mine_cell.merge(cell)
    if part.moments is not None:
        out.moments = part.moments if out.moments is None else out.moments.merge(part.moments)


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


def _chunk_vectors(layout: Layout, x: np.ndarray) -> dict[str, np.ndarray]:
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


def _keyed(layout: Layout, scale_id: str, x: np.ndarray) -> np.ndarray:
    """The scale's item columns with reverse-keyed items recoded min + max − x."""
    cols, flip = layout.scale_cols[scale_id]
    block = x[:, cols]
    reversed_ = ~np.isnan(flip)
    if reversed_.any():
        block = block.copy()
        block[:, reversed_] = flip[reversed_] - block[:, reversed_]
    return block


def _scale_scores(layout: Layout, x: np.ndarray) -> dict[str, np.ndarray]:
    """Scale scores (mean of the answered, reverse-keyed items) of the scales without bins."""
    return {
        f"scale:{scale_id}": _row_means(_keyed(layout, scale_id, x))
        for scale_id in layout.scale_cols
        if scale_id not in layout.score_bins
    }


def _score_histograms(
    layout: Layout, x: np.ndarray, seg: np.ndarray, n_seg: int
) -> dict[str, np.ndarray]:
    """Per segment, the counts of each (answered m, keyed sum) pair of every binned scale."""
    if not layout.score_bins:
        return {}
    if layout.score_cols is not None:
        x = x[:, layout.score_cols]
    present = ~np.isnan(x)
    answered = present.astype(float)
    m_all = (answered @ layout.score_count).astype(np.int64)
    sums = np.where(present, x, 0.0) @ layout.score_sign + answered @ layout.score_const
    total_all = sums.astype(np.int64)
    out = {}
    for j, (scale_id, (_, base, _, inverse)) in enumerate(layout.score_bins.items()):
        m, total = m_all[:, j], total_all[:, j]
        ok = m > 0
        width = len(inverse)
        index = seg[ok] * width + base[m[ok]] + total[ok]
        counts = np.bincount(index, minlength=n_seg * width).astype(COUNT_DTYPE, copy=False)
        out[scale_id] = counts.reshape(n_seg, width)
    return out


@dataclass
class _Parts:
    """The additive statistics of every segment of a chunk (arrays indexed by segment)."""

    hist: np.ndarray | None
    counted: dict[str, list[tuple[np.ndarray, np.ndarray]]]
    score_hist: dict[str, np.ndarray]
    blocks: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]


def _parts(layout: Layout, x: np.ndarray, seg: np.ndarray, n_seg: int) -> _Parts:
    """Histograms, value counts, score histograms and vector moments of each segment."""
    # dense answer histograms: one bincount per key over every segment of the chunk
    hist = np.zeros((n_seg, layout.n_bins), dtype=COUNT_DTYPE) if layout.n_bins else None
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
    vectors = _chunk_vectors(layout, x)
    return _Parts(
        hist=hist,
        counted={name: _value_counts(seg, v, n_seg) for name, v in columns.items()},
        score_hist=_score_histograms(layout, x, seg, n_seg),
        blocks={
            name: _block_sums(seg, v, layout.blocks[name].shift, n_seg)
            for name, v in vectors.items()
        },
    )


def _fold(stats_: GroupStats, parts: _Parts, k: int, rows: int) -> None:
    """Add segment ``k`` of ``parts`` (``rows`` responses) to ``stats_``."""
    stats_.n += rows
    if parts.hist is not None:
        stats_.hist = parts.hist[k].copy() if stats_.hist is None else stats_.hist + parts.hist[k]
    for name, counted in parts.counted.items():
        values, counts = counted[k]
        if len(values):
            stats_.values.setdefault(name, []).append((values, counts))
    for name, counts in parts.score_hist.items():
        acc_scores = stats_.scores.get(name)
        stats_.scores[name] = counts[k].copy() if acc_scores is None else acc_scores + counts[k]
    for name, (n, sums, cross) in parts.blocks.items():
        acc = stats_.blocks.get(name)
        if acc is None:
            stats_.blocks[name] = [int(n[k]), sums[k].copy(), cross[k].copy()]
        else:
            acc[0] += int(n[k])
            acc[1] += sums[k]
            acc[2] += cross[k]


def _absorb(
    layout: Layout,
    library_ids: np.ndarray,
    x: np.ndarray,
    current: GroupStats | None,
    cells: np.ndarray | None = None,
    cell_layout: Layout | None = None,
) -> tuple[list[GroupStats], GroupStats | None]:
    """Fold a chunk (rows sorted by group code) into per-group statistics.

    Returns the groups whose rows ended inside the chunk, and the last group, which may
    continue in the next chunk. With ``cells`` (a code per row), each group also keeps the
    additive statistics of its cells (:attr:`GroupStats.cells`), laid out by
    ``cell_layout`` (default ``layout``).
    """
    cell_layout = layout if cell_layout is None else cell_layout
    starts, seg = _segments(library_ids)
    n_seg = len(starts)
    ends = np.append(starts[1:], len(library_ids))
    parts = _parts(layout, x, seg, n_seg)
    cell_parts = None
    if cells is not None:
        # segments of (group, cell): rows sorted by cell within each group
        order = np.lexsort((cells, library_ids))
        pairs = np.stack([library_ids[order], cells[order]])
        change = np.empty(len(order), dtype=bool)
        change[0] = True
        change[1:] = (pairs[:, 1:] != pairs[:, :-1]).any(axis=0)
        cell_starts = np.flatnonzero(change)
        cell_seg = np.cumsum(change) - 1
        cell_parts = _parts(cell_layout, x[order], cell_seg, len(cell_starts))
        cell_ends = np.append(cell_starts[1:], len(order))
        cell_group = pairs[0, cell_starts]
        cell_code = pairs[1, cell_starts]

    finished: list[GroupStats] = []
    for k in range(n_seg):
        library = int(library_ids[starts[k]])
        if current is None or current.group != library:
            if current is not None:
                if library < current.group:
                    raise ValueError("rows must arrive ordered by group (library)")
                finished.append(current)
            current = GroupStats(group=library)
        stats_ = current
        rows = x[starts[k] : ends[k]]
        _fold(stats_, parts, k, len(rows))
        if len(layout.rel_items):
            if stats_.moments is None:
                stats_.moments = PairwiseMoments(layout.rel_items)
            stats_.moments.add(rows[:, layout.rel_cols])
        if layout.nok_cols is not None:
            yes_no = rows[:, layout.nok_cols]
            stats_.nok_rows.append(np.where(np.isnan(yes_no), -1, yes_no).astype(np.int8))
        if cell_parts is not None:
            # the cells of this library: a run of cell_group (sorted by library)
            first = int(np.searchsorted(cell_group, library, "left"))
            for c in range(first, int(np.searchsorted(cell_group, library, "right"))):
                code = int(cell_code[c])
                cell = stats_.cells.get(code)
                if cell is None:
                    cell = stats_.cells[code] = GroupStats(group=code)
                a, b = int(cell_starts[c]), int(cell_ends[c])
                _fold(cell, cell_parts, int(c), b - a)
                if cell_layout.nok_cols is not None:
                    yes_no = x[order[a:b]][:, cell_layout.nok_cols]
                    cell.nok_rows.append(np.where(np.isnan(yes_no), -1, yes_no).astype(np.int8))
    return finished, current


class Accumulator:
    """Fold chunks of rows, ordered by group, into per-group sufficient statistics.

    Parameters
    ----------
    plan : AnalysisPlan
        Which keys the rows hold (columns in ``plan.keys`` order) and what is computed.
    cell_plan : AnalysisPlan, optional
        What the cells of a group (see :meth:`add`) keep, when less than ``plan``: the same
        keys, fewer analyses (:func:`analysis.plan_for_indicators`). Their statistics are
        laid out by ``Layout(cell_plan)`` and finalised with that plan.

    Examples
    --------
    Feed chunks with :meth:`add` (each returns the groups whose rows ended), then
    :meth:`finish`::

        acc = Accumulator(plan)
        for group_codes, x in chunks:          # x: rows × len(plan.keys), NaN = missing
            for stats in acc.add(group_codes, x):
                ...
        last = acc.finish()
    """

    def __init__(self, plan: AnalysisPlan, cell_plan: AnalysisPlan | None = None) -> None:
        self.layout = Layout(plan)
        if cell_plan is not None and cell_plan.keys != plan.keys:
            raise ValueError("cell_plan must have the plan's keys")
        self.cell_layout = self.layout if cell_plan is None else Layout(cell_plan)
        self._current: GroupStats | None = None

    def add(
        self, groups: np.ndarray, x: np.ndarray, cells: np.ndarray | None = None
    ) -> list[GroupStats]:
        """Fold one chunk; return the groups finished by it.

        ``cells`` (optional, an integer code per row, in any order within a group) also
        accumulates each group's cells, e.g. a library's channel × day × service point.

        Raises
        ------
        ValueError
            If the chunk's shape does not match the plan, the rows are not ordered by group
            (across chunks too), or an answer lies outside its declared whole numbers.
        """
        groups = np.asarray(groups, dtype=np.int64)
        x = np.asarray(x, dtype=float)
        if x.ndim != 2 or x.shape != (len(groups), len(self.layout.plan.keys)):
            raise ValueError(
                f"a chunk must have {len(self.layout.plan.keys)} columns and one group code "
                f"per row, got {x.shape} for {len(groups)} codes"
            )
        if not len(groups):
            return []
        if (np.diff(groups) < 0).any():
            raise ValueError("rows must arrive ordered by group (library)")
        if cells is not None:
            cells = np.asarray(cells, dtype=np.int64)
            if cells.shape != groups.shape:
                raise ValueError("cells must give one code per row")
        finished, self._current = _absorb(
            self.layout, groups, x, self._current, cells, self.cell_layout
        )
        return finished

    def finish(self) -> list[GroupStats]:
        """Return the last group (if any) and reset for a new stream."""
        last, self._current = self._current, None
        return [] if last is None else [last]


def cell_groups(stats: Iterable[GroupStats]) -> list[GroupStats]:
    """Each group's cells as groups of their own, labelled (group key…, cell key…).

    Cells come in code order (:func:`accumulate_frame`: sorted by their key). The cells of
    many groups can then be finalised together
    (:func:`analysis.tables_from_stats` with ``only=CELL_TABLES``), e.g. per library ×
    channel × day for trends, channel comparisons and heat maps.

    Examples
    --------
    >>> g = GroupStats(group=7, cells={0: GroupStats(group=0, label=("web",), n=2)})
    >>> [(c.label, c.n) for c in cell_groups([g])]
    [((7, 'web'), 2)]
    """
    out = []
    for group in stats:
        key = group.key if isinstance(group.key, tuple) else (group.key,)
        for code in sorted(group.cells):
            cell = group.cells[code]
            label = cell.key if isinstance(cell.key, tuple) else (cell.key,)
            out.append(replace(cell, label=(*key, *label)))
    return out


def regroup_cells(
    stats: Iterable[GroupStats], key: Callable[[tuple[Any, ...]], Hashable]
) -> list[GroupStats]:
    """Each group's cells merged by ``key`` of their label, as groups labelled (group key…, k).

    E.g. a library's channel × day × service point cells merged per channel
    (``key=lambda label: label[0]``) or per calendar month of the day: the statistics of the
    library's responses in that channel or month, exactly as if they had been streamed as a
    group of their own (every part of :class:`GroupStats` adds up, see :meth:`GroupStats.merge`),
    to be finalised with :func:`analysis.tables_from_stats` (``only=CELL_TABLES``). Cells
    whose key is None are left out. Groups come in input order, their new groups sorted by key.

    Examples
    --------
    >>> cells = {0: GroupStats(group=0, label=("web", "2026-03-01"), n=2),
    ...          1: GroupStats(group=1, label=("qr", "2026-03-02"), n=1),
    ...          2: GroupStats(group=2, label=("web", "2026-04-01"), n=3)}
    >>> [(g.label, g.n) for g in regroup_cells([GroupStats(group=7, cells=cells)], lambda c: c[0])]
    [((7, 'qr'), 1), ((7, 'web'), 5)]
    """
    out = []
    for group in stats:
        prefix = group.key if isinstance(group.key, tuple) else (group.key,)
        parts: dict[Any, list[GroupStats]] = {}
        for code in sorted(group.cells):
            cell = group.cells[code]
            label = cell.key if isinstance(cell.key, tuple) else (cell.key,)
            value = key(label)
            if value is not None:
                parts.setdefault(value, []).append(cell)
        for value in sorted(parts, key=str):
            merged = merge_groups(parts[value], group=group.group, label=(*prefix, value))
            merged.cells = {}
            out.append(merged)
    return out


def merge_groups(stats: Iterable[GroupStats], *, group: int, label: Any = None) -> GroupStats:
    """Merge many groups' statistics into one (e.g. a library's channel × day cells).

    Examples
    --------
    >>> merge_groups([], group=7).n
    0
    """
    out = GroupStats(group=group, label=label)
    for part in stats:
        _add_into(out, part)  # in place: no intermediate group per part
    return out


def accumulate_frame(
    data: pd.DataFrame,
    plan: AnalysisPlan,
    *,
    by: Sequence[str] = (),
    cells: Sequence[str] = (),
    chunk_rows: int | None = None,
    cell_plan: AnalysisPlan | None = None,
) -> list[GroupStats]:
    """Accumulate a wide numeric response table per group of ``by``.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per response with every key of ``plan`` as a float column (as
        ``survey_app.services.analysis_plan.numeric_frame`` returns it); a battery's
        ``<item>:na`` column, if present, blanks that item's ratings where ticked.
    plan : AnalysisPlan
        The analysis plan.
    by : sequence of str, default ()
        Grouping columns (e.g. ``("library", "channel", "day")``); ``()`` pools all rows.
    cells : sequence of str, default ()
        Columns of the cells kept inside each group (e.g. ``("channel", "day")``): each
        group's :attr:`GroupStats.cells`, labelled with the key tuple of these columns.
    chunk_rows : int, optional
        Feed the rows this many at a time (the result does not depend on it).
    cell_plan : AnalysisPlan, optional
        What the cells keep, when less than ``plan`` (see :class:`Accumulator`).

    Returns
    -------
    list of GroupStats
        One per group, in sorted key order; ``label`` is the key tuple (``()`` pooled).

    Raises
    ------
    ValueError
        If a key or grouping column is missing, or an answer lies outside its declared
        whole numbers.
    """
    by_ = list(by)
    cells_ = list(cells)
    missing = [c for c in (*by_, *cells_, *plan.keys) if c not in data.columns]
    if missing:
        raise ValueError(f"data has no column(s) {missing}")
    if chunk_rows is not None and chunk_rows < 1:
        raise ValueError("chunk_rows must be positive")
    x = data.loc[:, list(plan.keys)].to_numpy(dtype=float, na_value=np.nan).copy()
    if plan.gap is not None:
        index = {k: j for j, k in enumerate(plan.keys)}
        for item in plan.gap.items:
            flag = f"{item}:{NA_COLUMN}"
            if flag not in data.columns:
                continue
            ticked = data[flag].to_numpy(dtype=float, na_value=np.nan)
            ticked = np.nan_to_num(ticked) != 0
            for role in GAP3_COLUMNS:
                x[ticked, index[f"{item}:{role}"]] = np.nan
    if by_:
        grouped = data.groupby(by_, sort=True, dropna=False)
        codes = grouped.ngroup().to_numpy().astype(np.int64)
        keys = grouped.size().index.tolist()
        labels = [k if isinstance(k, tuple) else (k,) for k in keys]
    else:
        codes = np.zeros(len(data), dtype=np.int64)
        labels = [()]
    cell_codes: np.ndarray | None = None
    cell_labels: list[tuple[Any, ...]] = []
    if cells_:
        by_cell = data.groupby(cells_, sort=True, dropna=False)
        cell_codes = by_cell.ngroup().to_numpy().astype(np.int64)
        keys_ = by_cell.size().index.tolist()
        cell_labels = [k if isinstance(k, tuple) else (k,) for k in keys_]
    order = np.argsort(codes, kind="stable")
    codes, x = codes[order], x[order]
    if cell_codes is not None:
        cell_codes = cell_codes[order]
    acc = Accumulator(plan, cell_plan)
    out: list[GroupStats] = []
    step = max(len(codes) if chunk_rows is None else chunk_rows, 1)
    for start in range(0, len(codes), step):
        part = None if cell_codes is None else cell_codes[start : start + step]
        out.extend(acc.add(codes[start : start + step], x[start : start + step], part))
    out.extend(acc.finish())
    for stats_ in out:
        stats_.label = labels[stats_.group]
        for code, cell in stats_.cells.items():
            cell.label = cell_labels[code]
    return out
