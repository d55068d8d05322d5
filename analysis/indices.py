"""Scores and satisfaction indices per library, per any grouping, per period.

Every public function takes a *wide* response table (one row per response, one column
per item; battery columns are named ``"<item>:<column>"``) plus the names of grouping
columns in ``by`` (e.g. ``("library",)``, ``("region", "period")`` or ``()`` for
everything pooled) and returns a tidy DataFrame with one row per group and unit.

Conventions shared by all functions here:

* ``NaN``/``None``/``pd.NA`` is "not answered" and is skipped, never counted as zero.
* Intervals are two-sided with level ``confidence`` (default 0.95).
* Means carry a Student *t* interval ``mean ± t(1 - α/2, n - 1) · sd / √n`` (sd with
  ``ddof=1``); with ``n < 2`` the sd, se and interval are ``NaN``.
* Proportions carry a Wilson score interval by default (statsmodels
  ``proportion_confint``), which does not collapse at 0/n or n/n.
* Output rows are sorted by the ``by`` columns, then by unit in the order given.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from analysis._checks import require_frame
from analysis.estimators import HAPPY_POINTS
from analysis.estimators import happy_from_faces
from analysis.estimators import nps_from_counts
from analysis.estimators import proportion_interval
from analysis.estimators import t_interval_parts

__all__ = [
    "acsi_index",
    "describe_dimensions",
    "describe_items",
    "dimension_scores",
    "happy_index",
    "net_promoter_score",
    "share_satisfied",
    "user_satisfaction",
]

#: Unit columns the functions create; a ``by`` column may not use these names.
_RESERVED = frozenset({"item", "dimension", "unit", "level", "component", "n"})

ScaleRange = tuple[float, float]
Ranges = ScaleRange | Mapping[str, ScaleRange] | None

ProportionMethod = Literal["wilson", "beta", "jeffreys", "agresti_coull", "normal"]


# --------------------------------------------------------------------------------------
# private helpers (shared with gap.py and nok.py)


def _names(value: object, what: str, *, allow_empty: bool = False) -> tuple[str, ...]:
    """Normalise a column name or a sequence of column names to a tuple."""
    if isinstance(value, str):
        names: tuple[object, ...] = (value,)
    elif isinstance(value, Iterable) and not isinstance(value, Mapping):
        names = tuple(value)
    else:
        raise TypeError(
            f"{what} must be a column name or a sequence of column names, "
            f"got {type(value).__name__}"
        )
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"{what} must contain strings, got {name!r}")
    if not names and not allow_empty:
        raise ValueError(f"{what} must name at least one column")
    if len(set(names)) != len(names):
        raise ValueError(f"{what} contains duplicates: {list(names)}")
    return tuple(str(name) for name in names)


def _check_frame(data: object, columns: Iterable[str], *, what: str = "data") -> None:
    """Raise unless ``data`` is a DataFrame holding every column in ``columns``."""
    frame = require_frame(data, what)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} has no column(s) {missing}")


def _check_by(by: object, *others: Iterable[str]) -> tuple[str, ...]:
    """Validate the grouping columns: reserved names and overlap with analysed columns."""
    by_ = _names(by, "by", allow_empty=True)
    bad = sorted(set(by_) & _RESERVED)
    if bad:
        raise ValueError(f"by may not use the reserved column name(s) {bad}")
    for group in others:
        overlap = sorted(set(by_) & set(group))
        if overlap:
            raise ValueError(f"column(s) {overlap} are both grouping and analysed columns")
    return by_


def _check_confidence(confidence: object) -> float:
    if isinstance(confidence, bool) or not isinstance(confidence, int | float):
        raise TypeError(f"confidence must be a number, got {type(confidence).__name__}")
    if not 0.0 < float(confidence) < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence}")
    return float(confidence)


def _numeric(data: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Return ``data[columns]`` as float64 (missing -> NaN); reject non-numeric columns."""
    out = np.empty((len(data), len(columns)), dtype="float64")
    for k, col in enumerate(columns):
        s = data[col]
        if not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)):
            try:
                s = pd.to_numeric(s, errors="raise")
            except (TypeError, ValueError) as exc:
                raise ValueError(f"column {col!r} holds non-numeric values") from exc
        out[:, k] = s.astype("float64").to_numpy()
    # one float block: later group-bys need not consolidate column by column
    return pd.DataFrame(out, index=data.index, columns=list(columns))


def _check_range(values: pd.DataFrame, ranges: Mapping[str, ScaleRange]) -> None:
    """Raise if any answered value lies outside its declared range."""
    for col, (lo, hi) in ranges.items():
        if col not in values.columns:
            continue
        v = values[col]
        bad = v.notna() & ((v < lo) | (v > hi))
        if bad.any():
            raise ValueError(
                f"column {col!r} has {int(bad.sum())} value(s) outside its declared range "
                f"[{lo}, {hi}], e.g. {float(v[bad].iloc[0]):g}"
            )


def _range(value: object, what: str) -> ScaleRange:
    if (
        not isinstance(value, Sequence)
        or isinstance(value, str)
        or len(value) != 2
        or not all(isinstance(x, int | float) and not isinstance(x, bool) for x in value)
    ):
        raise TypeError(f"{what} must be a (min, max) pair of numbers, got {value!r}")
    lo, hi = float(value[0]), float(value[1])
    if not lo < hi:
        raise ValueError(f"{what} must have min < max, got {value!r}")
    return lo, hi


def _ranges(
    scale_range: Ranges, items: Sequence[str], *, required: Iterable[str] = ()
) -> dict[str, ScaleRange]:
    """Resolve ``scale_range`` (one pair for all items or a per-item mapping)."""
    out: dict[str, ScaleRange] = {}
    if scale_range is None:
        pass
    elif isinstance(scale_range, Mapping):
        unknown = sorted(set(scale_range) - set(items))
        if unknown:
            raise ValueError(f"scale_range names unknown item(s) {unknown}")
        for item, pair in scale_range.items():
            out[item] = _range(pair, f"scale_range[{item!r}]")
    else:
        pair = _range(scale_range, "scale_range")
        out = dict.fromkeys(items, pair)
    missing = [i for i in required if i not in out]
    if missing:
        raise ValueError(f"no declared scale range for item(s) {missing}")
    return out


class _Grouping:
    """Rows of ``data`` mapped once to integer group codes ``0..G-1`` (sorted by key).

    Aggregating a wide frame by these codes avoids melting it to long format, which
    would repeat the (string) grouping keys once per item.
    """

    __slots__ = ("by", "codes", "keys")

    def __init__(self, data: pd.DataFrame, by: Sequence[str]) -> None:
        self.by = list(by)
        if self.by:
            grouped = data.groupby(self.by, sort=True, dropna=False)
            self.codes = grouped.ngroup().to_numpy()
            self.keys = grouped.size().reset_index().loc[:, self.by]
        else:
            self.codes = np.zeros(len(data), dtype="int64")
            self.keys = pd.DataFrame(index=pd.RangeIndex(1 if len(data) else 0))

    def _frame(self, units: Sequence[str], unit: str | None) -> pd.DataFrame:
        """Repeat the key rows once per unit (group-major) and add the unit column."""
        n_units = len(units)
        out = self.keys.iloc[np.repeat(np.arange(len(self.keys)), n_units)].reset_index(drop=True)
        if unit is not None:
            out[unit] = np.tile(np.asarray(units, dtype=object), len(self.keys))
        return out

    def describe(
        self,
        values: pd.DataFrame,
        unit: str | None,
        confidence: float,
        *,
        median: bool = True,
    ) -> pd.DataFrame:
        """n, mean, sd, (median,) se and the t interval per group and column of ``values``.

        With ``unit=None`` ``values`` must have one column and no unit column is added.
        """
        grouped = values.groupby(self.codes, sort=True)
        out = self._frame(list(values.columns), unit)
        n = grouped.count().to_numpy().ravel()
        sd = grouped.std().to_numpy().ravel()
        out["n"] = n.astype("int64")
        out["mean"] = grouped.mean().to_numpy().ravel()
        out["sd"] = sd
        if median:
            out["median"] = grouped.median().to_numpy().ravel()
        se, half = _t_parts(n, sd, confidence)
        out["se"] = se
        out["ci_low"] = out["mean"] - half
        out["ci_high"] = out["mean"] + half
        return out

    def tally(self, frames: Mapping[str, pd.DataFrame], unit: str) -> pd.DataFrame:
        """Per group and unit: ``n`` (answered, from the first frame) and each frame's sum."""
        first = next(iter(frames.values()))
        out = self._frame(list(first.columns), unit)
        out["n"] = first.groupby(self.codes, sort=True).count().to_numpy().ravel()
        out["n"] = out["n"].astype("int64")
        for name, frame in frames.items():
            sums = frame.groupby(self.codes, sort=True).sum().to_numpy().ravel()
            out[name] = sums.astype("int64")
        return out


#: the one definition of the t interval and of the proportion interval (analysis.estimators)
_t_parts = t_interval_parts
_proportion = proportion_interval


def _hits(mask: pd.DataFrame, values: pd.DataFrame) -> pd.DataFrame:
    """1.0 where ``mask`` holds, 0.0 where not, NaN where ``values`` is unanswered."""
    return mask.astype("float64").where(values.notna())


def _per_item(value: object, items: Sequence[str], what: str) -> dict[str, float]:
    """Resolve one number or a per-item mapping to a number for every item."""
    if isinstance(value, Mapping):
        missing = [i for i in items if i not in value]
        if missing:
            raise ValueError(f"{what} has no value for item(s) {missing}")
        raw = {i: value[i] for i in items}
    else:
        raw = dict.fromkeys(items, value)
    out: dict[str, float] = {}
    for item, v in raw.items():
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise TypeError(f"{what} must be a number or a mapping of numbers, got {v!r}")
        out[item] = float(v)
    return out


# --------------------------------------------------------------------------------------
# means per item and per dimension


def describe_items(
    data: pd.DataFrame,
    *,
    items: str | Sequence[str],
    by: str | Sequence[str] = ("library",),
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Describe numeric items per group: n, mean, sd, median and a t interval.

    Parameters
    ----------
    data : pandas.DataFrame
        Wide responses: one row per response, one numeric column per item.
    items : str or sequence of str
        Item columns to describe (battery columns as ``"AS1:perceived"``).
    by : str or sequence of str, default ("library",)
        Grouping columns; ``()`` pools all rows.
    confidence : float, default 0.95
        Level of the two-sided interval.

    Returns
    -------
    pandas.DataFrame
        One row per group and item with columns ``*by, item, n, mean, sd, median, se,
        ci_low, ci_high``. ``n`` counts answered (non-missing) values.

    Raises
    ------
    TypeError
        If ``data`` is not a DataFrame or an argument has the wrong type.
    ValueError
        If a column is missing or non-numeric, or ``confidence`` is not in (0, 1).

    Notes
    -----
    ``mean ± t(1 − α/2, n − 1) · s/√n`` with ``s`` the sample SD (``ddof = 1``), the
    one-sample Student interval. Groups with ``n < 2`` get ``NaN`` sd and interval.

    References
    ----------
    Student (1908), "The probable error of a mean", *Biometrika* 6(1):1–25.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"library": ["a", "a", "a"], "q1": [3, 4, 5]})
    >>> describe_items(df, items=["q1"])[["library", "item", "n", "mean", "sd"]]
      library item  n  mean   sd
    0       a   q1  3   4.0  1.0
    """
    items_ = _names(items, "items")
    by_ = _check_by(by, items_)
    _check_frame(data, by_ + items_)
    conf = _check_confidence(confidence)
    values = _numeric(data, items_)
    return _Grouping(data, by_).describe(values, "item", conf)


def user_satisfaction(
    data: pd.DataFrame,
    *,
    items: str | Sequence[str],
    by: str | Sequence[str] = ("library",),
    confidence: float = 0.95,
) -> pd.DataFrame:
    """ISO 11620 "User satisfaction": the mean rating on a 1–5 scale, with a t interval.

    Parameters
    ----------
    data : pandas.DataFrame
        Wide responses; the ``items`` hold ratings 1 (very unsatisfactory) to
        5 (very satisfactory).
    items : str or sequence of str
        One item per service rated, or the single "library as a whole" item.
    by : str or sequence of str, default ("library",)
        Grouping columns.
    confidence : float, default 0.95
        Level of the two-sided interval.

    Returns
    -------
    pandas.DataFrame
        As :func:`describe_items`: ``*by, item, n, mean, sd, median, se, ci_low,
        ci_high``.

    Raises
    ------
    ValueError
        If an answered value lies outside 1..5 (the indicator is defined on that scale
        only), or as :func:`describe_items`.

    Notes
    -----
    The indicator is the arithmetic mean of the ratings users give on the five-point
    scale, per service and overall; the interval is the Student t interval of
    :func:`describe_items`. Clause numbering of the indicator (group B.2.4) is not
    verified against the purchased standard.

    References
    ----------
    ISO 11620:2014, *Information and documentation — Library performance indicators*,
    Annex B, indicator "User satisfaction".
    """
    items_ = _names(items, "items")
    _check_frame(data, items_)
    _check_range(_numeric(data, items_), dict.fromkeys(items_, (1.0, 5.0)))
    return describe_items(data, items=items_, by=by, confidence=confidence)


def dimension_scores(
    data: pd.DataFrame,
    *,
    scales: Mapping[str, Sequence[str]],
    by: str | Sequence[str] = ("library",),
    reverse: Sequence[str] = (),
    scale_range: Ranges = None,
    min_answered: int = 1,
) -> pd.DataFrame:
    """Score each respondent on each dimension: the mean of the answered items.

    Parameters
    ----------
    data : pandas.DataFrame
        Wide responses.
    scales : mapping of str to sequence of str
        Dimension id -> its item columns (an item may belong to several dimensions).
    by : str or sequence of str, default ("library",)
        Grouping columns copied to the output.
    reverse : sequence of str, default ()
        Reverse-keyed items, recoded ``min + max − x`` with their *declared* range.
    scale_range : (min, max) or mapping of item to (min, max), optional
        Declared rating range; required for every reverse-keyed item. Answered values
        outside a declared range raise ``ValueError``.
    min_answered : int, default 1
        A dimension score needs at least this many answered items, else it is ``NaN``.

    Returns
    -------
    pandas.DataFrame
        Same index as ``data``; columns ``*by`` then one float column per dimension.

    Raises
    ------
    TypeError, ValueError
        On malformed arguments, missing/non-numeric columns, a reverse-keyed item
        without a declared range, or out-of-range values.

    Notes
    -----
    ``score = (1/m) Σ x'ᵢ`` over the ``m ≥ min_answered`` answered items of the
    dimension, ``x' = min + max − x`` for reverse-keyed items and ``x' = x`` otherwise.
    The range is taken from the questionnaire definition, never from the data (the data
    may not contain the scale end points).

    References
    ----------
    Revelle, W., *psych: Procedures for Psychological, Psychometric, and Personality
    Research*, ``scoreItems`` (mean of answered items, ``impute = "none"``).
    """
    if not isinstance(scales, Mapping) or not scales:
        raise TypeError("scales must be a non-empty mapping of dimension -> item columns")
    dims: dict[str, tuple[str, ...]] = {}
    for dim, members in scales.items():
        if not isinstance(dim, str):
            raise TypeError(f"dimension ids must be strings, got {dim!r}")
        dims[dim] = _names(members, f"scales[{dim!r}]")
    all_items = tuple(dict.fromkeys(i for members in dims.values() for i in members))
    reverse_ = _names(reverse, "reverse", allow_empty=True)
    unknown = sorted(set(reverse_) - set(all_items))
    if unknown:
        raise ValueError(f"reverse names item(s) {unknown} that are in no dimension")
    by_ = _check_by(by, all_items, dims)
    _check_frame(data, by_ + all_items)
    if isinstance(min_answered, bool) or not isinstance(min_answered, int):
        raise TypeError("min_answered must be an int")
    if min_answered < 1:
        raise ValueError("min_answered must be at least 1")
    ranges = _ranges(scale_range, all_items, required=reverse_)
    values = _numeric(data, all_items)
    _check_range(values, ranges)
    for item in reverse_:
        lo, hi = ranges[item]
        values[item] = lo + hi - values[item]
    out = data.loc[:, list(by_)].copy()
    for dim, members in dims.items():
        block = values.loc[:, list(members)]
        answered = block.notna().sum(axis=1)
        score = block.mean(axis=1, skipna=True)
        out[dim] = score.where(answered >= min_answered)
    return out


def describe_dimensions(
    data: pd.DataFrame,
    *,
    scales: Mapping[str, Sequence[str]],
    by: str | Sequence[str] = ("library",),
    reverse: Sequence[str] = (),
    scale_range: Ranges = None,
    min_answered: int = 1,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Describe dimension scores per group: n, mean, sd, median and a t interval.

    Parameters
    ----------
    data, scales, by, reverse, scale_range, min_answered
        As :func:`dimension_scores`.
    confidence : float, default 0.95
        Level of the two-sided interval.

    Returns
    -------
    pandas.DataFrame
        One row per group and dimension: ``*by, dimension, n, mean, sd, median, se,
        ci_low, ci_high``; ``n`` counts respondents with a dimension score.

    Notes
    -----
    Respondent scores come from :func:`dimension_scores`; the interval is the Student t
    interval of :func:`describe_items` applied to those scores.

    References
    ----------
    Student (1908), *Biometrika* 6(1):1–25.
    """
    conf = _check_confidence(confidence)
    scores = dimension_scores(
        data,
        scales=scales,
        by=by,
        reverse=reverse,
        scale_range=scale_range,
        min_answered=min_answered,
    )
    by_ = _names(by, "by", allow_empty=True)
    return _Grouping(scores, by_).describe(scores.loc[:, list(scales)], "dimension", conf)


# --------------------------------------------------------------------------------------
# shares, NPS, composite indices


def share_satisfied(
    data: pd.DataFrame,
    *,
    items: str | Sequence[str],
    by: str | Sequence[str] = ("library",),
    threshold: float | Mapping[str, float] | None = None,
    scale_max: float | Mapping[str, float] | None = None,
    top_box: int = 2,
    confidence: float = 0.95,
    method: ProportionMethod = "wilson",
) -> pd.DataFrame:
    """Share of respondents satisfied ("top-k box") per item, with a Wilson interval.

    Parameters
    ----------
    data : pandas.DataFrame
        Wide responses.
    items : str or sequence of str
        Rating items (for yes/no items stored 1/0 use ``threshold=1``).
    by : str or sequence of str, default ("library",)
        Grouping columns.
    threshold : float or mapping of item to float, optional
        A response counts as satisfied when ``value >= threshold``. When omitted it is
        ``scale_max − top_box + 1`` (top-2-box on 1–5 is ``value >= 4``).
    scale_max : float or mapping of item to float, optional
        Highest scale point; needed when ``threshold`` is omitted.
    top_box : int, default 2
        How many top scale points count as satisfied when ``threshold`` is omitted.
    confidence : float, default 0.95
        Level of the two-sided interval.
    method : {"wilson", "beta", "jeffreys", "agresti_coull", "normal"}, default "wilson"
        Interval method of ``statsmodels.stats.proportion.proportion_confint``
        ("beta" is Clopper–Pearson, "normal" is Wald).

    Returns
    -------
    pandas.DataFrame
        ``*by, item, n, count, share, se, ci_low, ci_high, threshold``; ``share`` is a
        proportion in [0, 1], ``se = √(p(1 − p)/n)``.

    Raises
    ------
    TypeError, ValueError
        On malformed arguments or missing/non-numeric columns, or when neither
        ``threshold`` nor ``scale_max`` is given.

    Notes
    -----
    ``p̂ = x/n`` with ``x`` the satisfied and ``n`` the answered responses. Wilson:
    ``(p̂ + z²/2n ± z√(p̂(1 − p̂)/n + z²/4n²)) / (1 + z²/n)``.

    References
    ----------
    Wilson, E. B. (1927), *JASA* 22:209–212; Newcombe, R. G. (1998), "Two-sided
    confidence intervals for the single proportion", *Statistics in Medicine*
    17:857–872 (worked example 81/263 → 0.2553–0.3662).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"library": ["a"] * 4, "q1": [5, 4, 2, None]})
    >>> r = share_satisfied(df, items="q1", scale_max=5)
    >>> r[["item", "n", "count", "share", "threshold"]]
      item  n  count     share  threshold
    0   q1  3      2  0.666667        4.0
    """
    items_ = _names(items, "items")
    by_ = _check_by(by, items_)
    _check_frame(data, by_ + items_)
    conf = _check_confidence(confidence)
    if method not in ("wilson", "beta", "jeffreys", "agresti_coull", "normal"):
        raise ValueError(f"unknown interval method {method!r}")
    if threshold is not None:
        thresholds = _per_item(threshold, items_, "threshold")
    elif scale_max is not None:
        if isinstance(top_box, bool) or not isinstance(top_box, int) or top_box < 1:
            raise ValueError("top_box must be a positive int")
        maxima = _per_item(scale_max, items_, "scale_max")
        thresholds = {i: m - top_box + 1 for i, m in maxima.items()}
    else:
        raise ValueError("give either threshold or scale_max")
    values = _numeric(data, items_)
    satisfied = values.ge(pd.Series(thresholds), axis=1)
    out = _Grouping(data, by_).tally({"count": _hits(satisfied, values)}, "item")
    share, se, low, high = _proportion(out["count"].to_numpy(), out["n"].to_numpy(), conf, method)
    out["share"] = share
    out["se"] = se
    out["ci_low"] = low
    out["ci_high"] = high
    out["threshold"] = out["item"].map(thresholds).astype("float64")
    return out


def net_promoter_score(
    data: pd.DataFrame,
    *,
    items: str | Sequence[str],
    by: str | Sequence[str] = ("library",),
    promoter_min: float = 9,
    detractor_max: float = 6,
    scale_range: ScaleRange = (0, 10),
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Net Promoter Score (% promoters − % detractors) per item with a Wald interval.

    Parameters
    ----------
    data : pandas.DataFrame
        Wide responses; the ``items`` hold 0–10 "how likely to recommend" answers.
    items : str or sequence of str
        NPS item columns.
    by : str or sequence of str, default ("library",)
        Grouping columns.
    promoter_min : float, default 9
        Answers ``>= promoter_min`` are promoters.
    detractor_max : float, default 6
        Answers ``<= detractor_max`` are detractors; the rest are passives (they stay in
        the denominator).
    scale_range : (min, max), default (0, 10)
        Declared answer range; answered values outside it raise ``ValueError``.
    confidence : float, default 0.95
        Level of the two-sided interval.

    Returns
    -------
    pandas.DataFrame
        ``*by, item, n, promoters, passives, detractors, pct_promoters, pct_detractors,
        nps, se, ci_low, ci_high``; percentages and NPS on the −100..100 scale.

    Raises
    ------
    TypeError, ValueError
        On malformed arguments, missing/non-numeric columns, out-of-range answers or
        ``detractor_max >= promoter_min``.

    Notes
    -----
    With ``p_P`` and ``p_D`` the promoter and detractor shares of the ``n`` answers,
    ``NPS = 100 (p_P − p_D)``. The counts (promoters, passives, detractors) are
    multinomial, so ``Var(p̂_P) = p_P(1 − p_P)/n``, ``Var(p̂_D) = p_D(1 − p_D)/n`` and
    ``Cov(p̂_P, p̂_D) = −p_P p_D / n``, whence

    ``Var(p̂_P − p̂_D) = [p_P + p_D − (p_P − p_D)²] / n``,

    ``se = 100 √(that)``, and the interval is ``NPS ± z(1 − α/2) · se`` (plug-in
    estimates, normal approximation), clipped to [−100, 100]. It degenerates to a point
    when every answer is in one category; use it with care below n ≈ 30.

    References
    ----------
    Reichheld, F. (2003), "The one number you need to grow", *Harvard Business Review*
    81(12):46–54 (definition). Agresti, A. (2013), *Categorical Data Analysis*, 3rd ed.,
    §1.2.2 (multinomial covariance ``−π_j π_k / n``). Rocks, B. (2016), "Interval
    estimation for the 'Net Promoter Score'", *The American Statistician* 70(4):365–372
    (this Wald interval and better-covering alternatives).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"library": ["a"] * 10, "r": [10, 9, 9, 10, 9, 8, 7, 7, 3, 0]})
    >>> net_promoter_score(df, items="r")[["promoters", "passives", "detractors", "nps"]]
       promoters  passives  detractors   nps
    0          5         3           2  30.0
    """
    items_ = _names(items, "items")
    by_ = _check_by(by, items_)
    _check_frame(data, by_ + items_)
    conf = _check_confidence(confidence)
    lo, hi = _range(scale_range, "scale_range")
    for name, v in (("promoter_min", promoter_min), ("detractor_max", detractor_max)):
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise TypeError(f"{name} must be a number")
    if not detractor_max < promoter_min:
        raise ValueError("detractor_max must be below promoter_min")
    values = _numeric(data, items_)
    _check_range(values, dict.fromkeys(items_, (lo, hi)))
    out = _Grouping(data, by_).tally(
        {
            "promoters": _hits(values >= promoter_min, values),
            "detractors": _hits(values <= detractor_max, values),
        },
        "item",
    )
    out["passives"] = out["n"] - out["promoters"] - out["detractors"]
    scored = nps_from_counts(
        out["n"].to_numpy(), out["promoters"].to_numpy(), out["detractors"].to_numpy(), conf
    )
    for column, values_ in scored.items():
        out[column] = values_
    return out.loc[
        :,
        [
            *by_,
            "item",
            "n",
            "promoters",
            "passives",
            "detractors",
            "pct_promoters",
            "pct_detractors",
            "nps",
            "se",
            "ci_low",
            "ci_high",
        ],
    ]


def acsi_index(
    data: pd.DataFrame,
    *,
    items: str | Sequence[str],
    by: str | Sequence[str] = ("library",),
    scale_range: ScaleRange | Mapping[str, ScaleRange] = (1, 10),
    weights: Sequence[float] | Mapping[str, float] | None = None,
    min_answered: int | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """ACSI-style 0–100 satisfaction index per group, with a t interval.

    Parameters
    ----------
    data : pandas.DataFrame
        Wide responses.
    items : str or sequence of str
        The index items (ACSI: overall satisfaction, confirmation of expectations,
        closeness to the ideal).
    by : str or sequence of str, default ("library",)
        Grouping columns.
    scale_range : (min, max) or mapping of item to (min, max), default (1, 10)
        Declared range of each item; values outside raise ``ValueError``.
    weights : sequence or mapping of non-negative float, optional
        Item weights (normalised to sum to 1); equal weights when omitted.
    min_answered : int, optional
        Respondents need this many answered items; default all of them.
    confidence : float, default 0.95
        Level of the two-sided interval.

    Returns
    -------
    pandas.DataFrame
        ``*by, n, index, sd, median, se, ci_low, ci_high``; ``n`` counts respondents
        with an index value.

    Raises
    ------
    TypeError, ValueError
        On malformed arguments, missing/non-numeric columns or out-of-range values.

    Notes
    -----
    Each answer is rescaled ``r = (x − min)/(max − min) · 100``; each respondent's
    index is ``Σ wᵢ rᵢ / Σ wᵢ`` over their answered items; the group index is the mean
    of the respondent indices with a Student t interval, clipped to [0, 100]. For
    complete answers this equals the ACSI formula applied to item means,
    ``Σ Wᵢ (X̄ᵢ − 1)/9 · 100`` on 1–10 items with normalised weights ``Wᵢ``. The real
    ACSI weights are proprietary PLS estimates; equal weights are the usual substitute.

    References
    ----------
    Fornell, C., Johnson, M. D., Anderson, E. W., Cha, J., Bryant, B. E. (1996), "The
    American Customer Satisfaction Index: nature, purpose, and findings", *Journal of
    Marketing* 60(4):7–18; ACSI Methodology Report (2005).
    """
    items_ = _names(items, "items")
    by_ = _check_by(by, items_)
    _check_frame(data, by_ + items_)
    conf = _check_confidence(confidence)
    ranges = _ranges(scale_range, items_, required=items_)
    if weights is None:
        w = dict.fromkeys(items_, 1.0)
    elif isinstance(weights, Mapping):
        w = _per_item(weights, items_, "weights")
    else:
        wl = list(weights)
        if len(wl) != len(items_):
            raise ValueError("weights must have one value per item")
        w = _per_item(dict(zip(items_, wl, strict=True)), items_, "weights")
    if any(v < 0 for v in w.values()) or sum(w.values()) <= 0:
        raise ValueError("weights must be non-negative with a positive sum")
    need = len(items_) if min_answered is None else min_answered
    if isinstance(need, bool) or not isinstance(need, int) or not 1 <= need <= len(items_):
        raise ValueError("min_answered must be an int between 1 and the number of items")
    values = _numeric(data, items_)
    _check_range(values, ranges)
    rescaled = pd.DataFrame(
        {i: (values[i] - ranges[i][0]) / (ranges[i][1] - ranges[i][0]) * 100.0 for i in items_},
        index=data.index,
    )
    wvec = pd.Series(w)
    answered_w = rescaled.notna().mul(wvec, axis=1).sum(axis=1)
    weighted = rescaled.mul(wvec, axis=1).sum(axis=1, skipna=True)
    n_answered = rescaled.notna().sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        index = (weighted / answered_w).where((n_answered >= need) & (answered_w > 0))
    out = _Grouping(data, by_).describe(index.to_frame("index"), None, conf)
    out["ci_low"] = out["ci_low"].clip(lower=0.0)
    out["ci_high"] = out["ci_high"].clip(upper=100.0)
    return out.rename(columns={"mean": "index"})


#: Default Happy-Index points for faces 1 (very unhappy) .. 4 (very happy).
HAPPY_WEIGHTS: Mapping[int, float] = {k + 1: float(p) for k, p in enumerate(HAPPY_POINTS)}

_FACES = {1: "very_unhappy", 2: "unhappy", 3: "happy", 4: "very_happy"}


def happy_index(
    data: pd.DataFrame,
    *,
    items: str | Sequence[str],
    by: str | Sequence[str] = ("library",),
    method: Literal["weighted", "happy_share"] = "weighted",
    weights: Mapping[int, float] | None = None,
    happy_faces: Sequence[int] = (3, 4),
    confidence: float = 0.95,
) -> pd.DataFrame:
    """HappyOrNot-style 0–100 index for a four-face (smiley) item.

    Parameters
    ----------
    data : pandas.DataFrame
        Wide responses; faces stored 1 (very unhappy), 2, 3, 4 (very happy).
    items : str or sequence of str
        Smiley item columns.
    by : str or sequence of str, default ("library",)
        Grouping columns.
    method : {"weighted", "happy_share"}, default "weighted"
        ``"weighted"``: mean of face points (``weights``); ``"happy_share"``: percentage
        of answers in ``happy_faces``.
    weights : mapping of face (1..4) to points, optional
        Points per face for ``"weighted"``; default :data:`HAPPY_WEIGHTS`
        (0, 33.3, 66.7, 100).
    happy_faces : sequence of int, default (3, 4)
        Faces counted as happy by ``"happy_share"``.
    confidence : float, default 0.95
        Level of the two-sided interval.

    Returns
    -------
    pandas.DataFrame
        ``*by, item, n, very_unhappy, unhappy, happy, very_happy, index, se, ci_low,
        ci_high`` (face columns are counts).

    Raises
    ------
    TypeError, ValueError
        On malformed arguments, missing/non-numeric columns, faces outside 1..4 or
        weights outside 0..100.

    Notes
    -----
    HappyOrNot publishes its Happy Index as a 0–100 arithmetic mean of the button
    presses with "colour weights" but not the weights themselves, so this is *our*
    definition, not theirs. ``"weighted"``: ``index = Σₖ wₖ nₖ / n`` with equally
    spaced default points ``wₖ = 100 (k − 1)/3`` (very happy 100, happy 66.7, unhappy
    33.3, very unhappy 0), i.e. the linear rescaling of the 1–4 mean; its interval is
    the Student t interval of the per-answer points, clipped to [0, 100].
    ``"happy_share"``:
    ``index = 100 · n_happy / n`` with a Wilson interval (×100).

    References
    ----------
    HappyOrNot, "Happy Index explained" (happy-or-not.com blog, 2024) for the 0–100
    presentation; Wilson (1927), *JASA* 22:209–212.
    """
    items_ = _names(items, "items")
    by_ = _check_by(by, items_)
    _check_frame(data, by_ + items_)
    conf = _check_confidence(confidence)
    if method not in ("weighted", "happy_share"):
        raise ValueError(f"unknown method {method!r}")
    points = dict(HAPPY_WEIGHTS if weights is None else weights)
    if set(points) != set(_FACES):
        raise ValueError("weights must give points for exactly the faces 1, 2, 3, 4")
    if any(not 0.0 <= float(p) <= 100.0 for p in points.values()):
        raise ValueError("face points must lie in 0..100")
    happy = tuple(happy_faces)
    if not happy or not set(happy) <= set(_FACES):
        raise ValueError("happy_faces must be a non-empty subset of 1..4")
    values = _numeric(data, items_)
    bad = values.notna() & ~values.isin(list(_FACES))
    if bad.any().any():
        raise ValueError("smiley answers must be 1, 2, 3 or 4")
    grouping = _Grouping(data, by_)
    faces = {name: _hits(values == face, values) for face, name in _FACES.items()}
    out = grouping.tally(faces, "item")
    if method == "weighted":
        faces_counts = out.loc[:, list(_FACES.values())].to_numpy()
        face_points = np.array([float(points[face]) for face in _FACES])
        weighted = happy_from_faces(faces_counts, conf, face_points)
        for column in ("index", "se", "ci_low", "ci_high"):
            out[column] = weighted[column]
    else:
        hits = grouping.tally({"hits": _hits(values.isin(list(happy)), values)}, "item")
        share, se, low, high = _proportion(
            hits["hits"].to_numpy(), out["n"].to_numpy(), conf, "wilson"
        )
        out["index"] = 100.0 * share
        out["se"] = 100.0 * se
        out["ci_low"] = 100.0 * low
        out["ci_high"] = 100.0 * high
    return out.loc[:, [*by_, "item", "n", *_FACES.values(), "index", "se", "ci_low", "ci_high"]]
