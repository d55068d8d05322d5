"""The elementary finalisers: every interval and index formula of the package, defined once.

Each function here turns per-group *sufficient statistics* (counts, sums, moments) into a
result, vectorised over groups. Both paths of the package end here: the row-based functions
(:func:`analysis.describe_items`, :func:`analysis.share_satisfied`,
:func:`analysis.net_promoter_score`, :func:`analysis.happy_index`, :func:`analysis.gap_scores`,
:func:`analysis.servqual_scores`, ...) reduce their rows to these statistics per group, and
:func:`analysis.tables_from_stats` reads the same statistics from an
:class:`analysis.Accumulator` (a DataFrame or a database stream, chunk by chunk). So the
file and the database paths cannot drift apart: they share every formula below.

All inputs are arrays with one entry per group (``n`` the number of answers); a group with
too few answers gets ``NaN``, never an error.

The quantiles come from :mod:`scipy.special` (``stdtrit``, ``ndtri``: what ``scipy.stats``
calls), not from ``scipy.stats`` or statsmodels, which a report worker would otherwise import
for them alone (about 25 MB of its memory).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from scipy import special

__all__ = [
    "HAPPY_POINTS",
    "contrast_interval",
    "distribution_moments",
    "gap_status",
    "happy_from_faces",
    "moments_from_sums",
    "nps_from_counts",
    "proportion_interval",
    "t_interval_parts",
]

ProportionMethod = Literal["wilson", "beta", "jeffreys", "agresti_coull", "normal"]

#: points of the faces 1 (very unhappy) .. 4 (very happy) of the "weighted" happy index
HAPPY_POINTS = np.array([0.0, 100.0 / 3.0, 200.0 / 3.0, 100.0])


def t_interval_parts(
    n: np.ndarray, sd: np.ndarray, confidence: float
) -> tuple[np.ndarray, np.ndarray]:
    """Standard error and Student half-width of the mean, per group.

    Parameters
    ----------
    n : array_like
        Answers per group.
    sd : array_like
        Sample standard deviation (``ddof = 1``) per group.
    confidence : float
        Two-sided level in (0, 1).

    Returns
    -------
    (se, half) : tuple of numpy.ndarray
        ``se = sd/√n`` and ``half = t(1 − α/2, n − 1) · se``; ``NaN`` where ``n < 2``.

    Notes
    -----
    The interval is ``mean ± half`` (Student 1908). :func:`analysis.describe_items`, the
    scale means, the gap and SERVQUAL differences, the weighted happy index and the
    accumulator's tables all take their interval from here.

    Examples
    --------
    >>> se, half = t_interval_parts(np.array([4.0]), np.array([2.0]), 0.95)
    >>> float(se[0]), round(float(half[0]), 6)   # t(0.975, 3) = 3.182446
    (1.0, 3.182446)
    """
    n = np.asarray(n, dtype=float)
    sd = np.asarray(sd, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        se = sd / np.sqrt(n)
    tcrit = np.full(n.shape, np.nan)
    ok = n >= 2
    tcrit[ok] = special.stdtrit(n[ok] - 1.0, 0.5 + confidence / 2.0)  # t quantile
    return se, tcrit * se


def proportion_interval(
    count: np.ndarray, n: np.ndarray, confidence: float, method: ProportionMethod = "wilson"
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Share, Wald standard error and a score interval of ``count`` out of ``n``, per group.

    Returns
    -------
    (share, se, low, high) : tuple of numpy.ndarray
        ``share = count/n``, ``se = √(share (1 − share)/n)`` and the interval of
        ``statsmodels.stats.proportion.proportion_confint(count, n, method=method)``
        (Wilson by default); all ``NaN`` where ``n = 0``.

    Notes
    -----
    Wilson's interval, the one report runs use, is computed here by statsmodels' formula,
    ``(p̂ + z²/2n ± z √(p̂(1 − p̂)/n + z²/4n²)) / (1 + z²/n)`` with ``z = z(1 − α/2)``; the
    other methods are statsmodels' own (imported on use).

    References
    ----------
    Wilson, E. B. (1927), *JASA* 22:209–212; Newcombe, R. G. (1998), *Statistics in
    Medicine* 17:857–872 (81/263 → 0.2553–0.3662).

    Examples
    --------
    >>> share, se, low, high = proportion_interval(np.array([81]), np.array([263]), 0.95)
    >>> round(float(low[0]), 4), round(float(high[0]), 4)
    (0.2553, 0.3662)
    """
    count = np.asarray(count, dtype=float)
    n = np.asarray(n, dtype=float)
    share, se, low, high = (np.full(n.shape, np.nan) for _ in range(4))
    ok = n > 0
    if ok.any():
        share[ok] = count[ok] / n[ok]
        se[ok] = np.sqrt(share[ok] * (1.0 - share[ok]) / n[ok])
        if method == "wilson":
            lo, hi = _wilson(count[ok], n[ok], confidence)
        else:
            from statsmodels.stats.proportion import proportion_confint

            lo, hi = proportion_confint(count[ok], n[ok], alpha=1.0 - confidence, method=method)
        low[ok] = np.asarray(lo, dtype=float)
        high[ok] = np.asarray(hi, dtype=float)
    return share, se, low, high


def _wilson(count: np.ndarray, n: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson's score interval of ``count`` out of ``n > 0`` (Wilson 1927; the formula of
    statsmodels' ``proportion_confint(method="wilson")``)."""
    z = special.ndtri(0.5 + confidence / 2.0)
    z2 = z * z
    share = count / n
    denominator = 1.0 + z2 / n
    centre = (share + z2 / (2.0 * n)) / denominator
    half = z * np.sqrt(share * (1.0 - share) / n + z2 / (4.0 * n * n)) / denominator
    return centre - half, centre + half


def distribution_moments(
    values: np.ndarray, counts: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """n, mean, sd (``ddof = 1``) and median of each group's answer histogram.

    Parameters
    ----------
    values : numpy.ndarray
        The m distinct values, ascending.
    counts : numpy.ndarray
        G × m counts (one row per group).

    Returns
    -------
    (n, mean, sd, median) : tuple of numpy.ndarray
        As pandas computes them on the raw answers (the median of an even count is the mean
        of the two middle values); ``NaN`` sd below two answers, ``NaN`` everything at none.

    Examples
    --------
    >>> n, mean, sd, median = distribution_moments(np.array([1.0, 2, 3]), np.array([[1, 0, 2]]))
    >>> int(n[0]), round(float(mean[0]), 4), round(float(sd[0]), 4), float(median[0])
    (3, 2.3333, 1.1547, 3.0)
    """
    values = np.asarray(values, dtype=float)
    counts = np.asarray(counts)
    n = counts.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = counts @ values / n
        dev = values[None, :] - mean[:, None]
        var = (counts * dev**2).sum(axis=1) / (n - 1)
    var = np.where(n < 2, np.nan, var)
    median = np.full(len(n), np.nan)
    if len(values):
        cum = counts.cumsum(axis=1)
        has = n > 0
        low = (cum > ((n - 1) // 2)[:, None]).argmax(axis=1)
        high = (cum > (n // 2)[:, None]).argmax(axis=1)
        median[has] = (values[low[has]] + values[high[has]]) / 2.0
    return n, mean, np.sqrt(var), median


def nps_from_counts(
    n: np.ndarray, promoters: np.ndarray, detractors: np.ndarray, confidence: float
) -> dict[str, np.ndarray]:
    """Net Promoter Score with its Wald interval from the category counts, per group.

    Returns
    -------
    dict of numpy.ndarray
        ``pct_promoters, pct_detractors, nps, se, ci_low, ci_high`` on the −100..100 scale.

    Notes
    -----
    ``NPS = 100 (p_P − p_D)``; the counts are multinomial, so
    ``Var(p̂_P − p̂_D) = [p_P + p_D − (p_P − p_D)²]/n`` and the interval is
    ``NPS ± z(1 − α/2) · 100 √Var``, clipped to [−100, 100] (Rocks 2016).

    Examples
    --------
    >>> out = nps_from_counts(np.array([10]), np.array([5]), np.array([2]), 0.95)
    >>> float(out["nps"][0]), round(float(out["se"][0]), 4)   # √((.5 + .2 − .09)/10) = .24698
    (30.0, 24.6982)
    """
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p_p = np.asarray(promoters, dtype=float) / n
        p_d = np.asarray(detractors, dtype=float) / n
        var = (p_p + p_d - (p_p - p_d) ** 2) / n
    var = np.clip(var, 0.0, None)
    se = 100.0 * np.sqrt(var)
    nps = 100.0 * (p_p - p_d)
    z = special.ndtri(0.5 + confidence / 2.0)
    return {
        "pct_promoters": 100.0 * p_p,
        "pct_detractors": 100.0 * p_d,
        "nps": nps,
        "se": se,
        "ci_low": np.clip(nps - z * se, -100.0, 100.0),
        "ci_high": np.clip(nps + z * se, -100.0, 100.0),
    }


def happy_from_faces(
    faces: np.ndarray, confidence: float, points: np.ndarray = HAPPY_POINTS
) -> dict[str, np.ndarray]:
    """The "weighted" happy index (mean face points) with a t interval, per group.

    Parameters
    ----------
    faces : numpy.ndarray
        G × 4 counts of the faces 1 (very unhappy) .. 4 (very happy).
    points : numpy.ndarray, default :data:`HAPPY_POINTS`
        Points of each face.

    Returns
    -------
    dict of numpy.ndarray
        ``n, index, se, ci_low, ci_high``; the interval is the Student interval of the
        per-answer points (:func:`t_interval_parts`) clipped to [0, 100].

    Examples
    --------
    >>> out = happy_from_faces(np.array([[0, 0, 1, 1]]), 0.95)
    >>> round(float(out["index"][0]), 4)
    83.3333
    """
    n, mean, sd, _ = distribution_moments(np.asarray(points, dtype=float), faces)
    se, half = t_interval_parts(n, sd, confidence)
    return {
        "n": n,
        "index": mean,
        "se": se,
        "ci_low": np.clip(mean - half, 0.0, None),
        "ci_high": np.clip(mean + half, None, 100.0),
    }


def moments_from_sums(
    n: np.ndarray, sums: np.ndarray, cross: np.ndarray, shift: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Means and covariance matrices (``ddof = 1``) of d-vectors from their centred sums.

    Parameters
    ----------
    n : numpy.ndarray
        G counts of complete vectors.
    sums, cross : numpy.ndarray
        G × d sums and G × d × d cross products of ``y = x − shift``.
    shift : numpy.ndarray
        The d centring constants (any values; they keep the sums small).

    Returns
    -------
    (mean, cov) : tuple of numpy.ndarray
        ``mean = shift + Σy/n`` and ``cov = (Σyyᵀ − Σy Σyᵀ/n)/(n − 1)`` (NaN below n = 2).
    """
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = shift + sums / n[:, None]
        cov = (cross - sums[:, :, None] * sums[:, None, :] / n[:, None, None]) / (n - 1.0)[
            :, None, None
        ]
    cov[n < 2] = np.nan
    return mean, cov


def contrast_interval(
    n: np.ndarray, mean: np.ndarray, cov: np.ndarray, w: np.ndarray, confidence: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Mean, se and t interval of the per-respondent score ``w · x``, per group.

    The paired differences of :func:`analysis.gap_scores` (``w = (−1, 0, 1)`` for the
    adequacy gap of (minimum, desired, perceived)) and :func:`analysis.servqual_scores`:
    ``value = w · mean``, ``sd = √(wᵀ Σ w)`` and the interval of :func:`t_interval_parts`.
    ``w`` is one vector for all groups or one per group.

    Examples
    --------
    >>> x = np.array([[1.0, 3.0], [2.0, 5.0], [4.0, 4.0]])
    >>> v, se, lo, hi = contrast_interval(
    ...     np.array([3]), x.mean(0)[None], np.cov(x.T)[None], np.array([-1.0, 1.0]), 0.95
    ... )
    >>> round(float(v[0]), 6), round(float(se[0]), 6)   # differences 2, 3, 0: sd 1.527525
    (1.666667, 0.881917)
    """
    w = np.broadcast_to(w, mean.shape)
    value = (mean * w).sum(axis=1)
    with np.errstate(invalid="ignore"):
        var = np.einsum("li,lij,lj->l", w, cov, w)
        sd = np.sqrt(np.clip(var, 0.0, None))
    se, half = t_interval_parts(n, sd, confidence)
    return value, se, value - half, value + half


def gap_status(adequacy: np.ndarray, superiority: np.ndarray) -> np.ndarray:
    """LibQUAL zone of tolerance: ``below_min``, ``above_desired`` or ``within_zot``.

    ``below_min`` when the adequacy gap (perceived − minimum) is negative, else
    ``above_desired`` when the superiority gap (perceived − desired) is positive, else
    ``within_zot`` (callers blank the groups without answers).

    Examples
    --------
    >>> gap_status(np.array([-0.1, 0.2, 0.3]), np.array([-1.0, 0.1, -0.2]))
    array(['below_min', 'above_desired', 'within_zot'], dtype=object)
    """
    adequacy = np.asarray(adequacy, dtype=float)
    superiority = np.asarray(superiority, dtype=float)
    return np.where(
        adequacy < 0, "below_min", np.where(superiority > 0, "above_desired", "within_zot")
    ).astype(object)
