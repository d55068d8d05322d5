"""Split-half reliability over all (or many) splits of a scale, after ``psych::splitHalf``.

For every split of the k items into halves A (⌊k/2⌋ items) and B, the Guttman /
Flanagan–Rulon coefficient 4·a'Rb / 1'R1 is computed from the correlation matrix; the best
split gives Guttman's λ4, the worst Revelle's β. Every distinct split is enumerated up to 16
items (6,435 splits at k = 16); above that ``n_sample`` random splits are drawn.
"""

from __future__ import annotations

from collections.abc import Collection
from collections.abc import Sequence
from itertools import combinations

import numpy as np
import pandas as pd

from analysis._checks import ScaleRange
from analysis._checks import check_choice
from analysis._checks import check_positive_int
from analysis._checks import keyed_items
from analysis.reasons import StatisticUnavailable
from analysis.reliability import MIN_RESPONDENTS
from analysis.reliability import _check_cov
from analysis.reliability import check_min_n
from analysis.reliability import cov2cor
from analysis.reliability import smc
from analysis.results import MissingPolicy
from analysis.results import SplitHalfResult

__all__ = ["split_half"]

#: Largest k for which every split is enumerated (the issue's "exact up to 16 items").
MAX_EXACT_ITEMS = 16


def _split_matrix(k: int, n_sample: int, seed: int | None) -> tuple[np.ndarray, bool]:
    """Indicator rows of half A: all distinct splits (exact) or a random sample."""
    m = k // 2
    if k <= MAX_EXACT_ITEMS:
        # For even k, A and its complement are the same split: keep the half containing
        # item 0, which is the first half of the lexicographic list.
        rows = np.array([c for c in combinations(range(k), m) if 2 * m != k or c[0] == 0])
        exact = True
    else:
        rng = np.random.default_rng(seed)
        rows = np.argsort(rng.random((n_sample, k)), axis=1)[:, :m]
        exact = False
    a = np.zeros((rows.shape[0], k))
    np.put_along_axis(a, rows, 1.0, axis=1)
    return a, exact


def split_half(
    data: pd.DataFrame,
    *,
    items: Sequence[str] | None = None,
    reverse: Collection[str] = (),
    scale: ScaleRange = None,
    missing: MissingPolicy = "pairwise",
    n_sample: int = 10_000,
    seed: int | None = 0,
    min_n: int = MIN_RESPONDENTS,
) -> SplitHalfResult:
    """Guttman's λ4 (best split), β (worst split), the mean split-half, λ2 and λ6.

    Parameters
    ----------
    data : pandas.DataFrame
        Respondents × items, numeric, NaN for missing.
    items : sequence of str, optional
        The item columns (default: all columns).
    reverse : collection of str, default ()
        Reverse-keyed items (``min + max - x`` with the declared range).
    scale : (min, max) or mapping item -> (min, max), optional
        Declared response ranges; required when ``reverse`` is not empty.
    missing : {"pairwise", "listwise"}, default "pairwise"
        Covariances from pairwise-complete rows (psych) or from complete rows only.
    n_sample : int, default 10000
        Number of random splits when k > 16.
    seed : int or None, default 0
        Seed of the random splits (k > 16), for reproducible results.
    min_n : int, default 5
        Fewer respondents N than this (all rows pairwise, complete rows listwise) refuse the
        statistic with reason ``insufficient_data``.

    Returns
    -------
    SplitHalfResult
        ``exact`` tells whether every split was enumerated; ``splits`` holds every coefficient
        in enumeration order (lexicographic order of half A).

    Raises
    ------
    TypeError, ValueError
        As :func:`analysis.reliability.cronbach_alpha`; also for a bad ``n_sample``.
    StatisticUnavailable
        (a ValueError) with its reason code, as :func:`analysis.reliability.cronbach_alpha`.

    Notes
    -----
    R = cov2cor(C) of the keyed items (C pairwise by default, as psych), V = 1'R1. For a split
    with indicator vectors a and b = 1 − a the split-half coefficient is
    r_AB = 4 a'Rb / V (Flanagan–Rulon / Guttman; equal to Spearman–Brown only for parallel
    halves). λ4 = max r_AB, β = min r_AB, ``mean_split`` = mean r_AB,
    λ2 = (V − tr R + √(k/(k−1) · Σ_{i≠j} R_ij²)) / V, λ6 = (V − tr R + Σ smc) / V,
    alpha = k/(k−1) · (V − tr R)/V.

    Splits put ⌊k/2⌋ items in A. For even k the two halves are interchangeable, so there are
    C(k, k/2)/2 distinct splits; for odd k there are C(k, ⌊k/2⌋). ``mean_split`` is the true
    mean over all of them. ``psych::splitHalf`` 2.2.9 stops after C(k, ⌊k/2⌋)/2 splits also
    for odd k, i.e. it averages only the first half of the lexicographic list (for a 5-item
    scale 5 of the 10 splits), so its ``meanr`` differs for odd k;
    ``result.splits[:comb(k, k // 2) // 2].mean()`` reproduces it. Its λ4 and β agree whenever
    the best and worst split fall in that first half. psych also reverses items with negative
    first-component loadings (``check.keys=TRUE``); here keys are declared, never inferred.

    References
    ----------
    Guttman, L. (1945). A basis for analyzing test-retest reliability. Psychometrika, 10,
    255–282.
    Revelle, W. (1979). Hierarchical cluster analysis and the internal structure of tests.
    Multivariate Behavioral Research, 14, 57–74.
    Revelle, W. (2022). psych: Procedures for Psychological, Psychometric, and Personality
    Research, version 2.2.9, function ``splitHalf``. https://CRAN.R-project.org/package=psych

    Examples
    --------
    >>> rng = np.random.default_rng(2)
    >>> f = rng.normal(size=300)
    >>> df = pd.DataFrame({f"q{i}": f + rng.normal(size=300) for i in range(6)})
    >>> res = split_half(df)
    >>> res.n_splits, res.exact
    (10, True)
    """
    check_choice("missing", missing, ("pairwise", "listwise"))
    n_sample = check_positive_int("n_sample", n_sample)
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer)):
        raise TypeError(f"seed must be an integer or None, got {type(seed).__name__}")
    frame, _ = keyed_items(data, items, reverse, scale)
    n_rows = len(frame)
    complete = frame.notna().all(axis=1).to_numpy()
    if missing == "listwise":
        frame = frame.loc[complete]
    check_min_n(len(frame), min_n, missing)
    names = list(frame.columns)
    k = len(names)
    c = frame.cov().to_numpy()
    try:
        _check_cov(c, names)
    except StatisticUnavailable as exc:
        exc.n = len(frame)
        raise
    r = cov2cor(c)

    v = r.sum()
    tr = np.trace(r)
    off = r[~np.eye(k, dtype=bool)]
    lower = r[np.tril_indices(k, -1)]

    a, exact = _split_matrix(k, n_sample, seed)
    ar = a @ r
    ab = ar.sum(axis=1) - (ar * a).sum(axis=1)
    values = 4.0 * ab / v

    def halves(row: np.ndarray) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return (
            tuple(n for n, f in zip(names, row, strict=True) if f),
            tuple(n for n, f in zip(names, row, strict=True) if not f),
        )

    best = int(np.argmax(values))
    worst = int(np.argmin(values))
    return SplitHalfResult(
        lambda4=float(values[best]),
        beta=float(values[worst]),
        mean_split=float(values.mean()),
        lambda2=float((v - tr + np.sqrt((off**2).sum() * k / (k - 1))) / v),
        lambda6=float((v - tr + smc(r).sum()) / v),
        alpha=float((v - tr) / v * k / (k - 1)),
        average_r=float(lower.mean()),
        median_r=float(np.median(lower)),
        exact=exact,
        n_splits=int(values.size),
        best_split=halves(a[best]),
        worst_split=halves(a[worst]),
        n_respondents=n_rows,
        n_complete=int(complete.sum()),
        n_items=k,
        missing=missing,
        splits=values,
    )
