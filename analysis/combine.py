"""Combining stored estimates: changes between campaigns and roll-ups along the hierarchy.

A report run stores, per library and indicator, an estimate with its standard error (or
its interval) and its number of responses. Two questions are then answered from those
numbers alone, without the responses:

* how much a library's indicator changed since the previous campaign
  (:func:`estimate_difference`: the difference of two independent estimates);
* what a library system's or the region's indicator is (:func:`stratified_estimate`: the
  respondent-weighted combination of its libraries' estimates, each library a stratum).

And :func:`flagged_share` gives the share of responses that the careless-response
screening flagged, with a Wilson interval. Plain arrays in, plain arrays out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

from analysis.estimators import proportion_interval

__all__ = [
    "INDICATOR_BOUNDS",
    "Combined",
    "estimate_difference",
    "indicator_bounds",
    "flagged_share",
    "se_from_interval",
    "stratified_estimate",
]

ArrayLike = Sequence[float] | np.ndarray

#: the values an indicator family can take, by the family (the part of an indicator's name
#: before the first ``:``): shares are proportions, NPS runs from −100 to 100, the NOK score
#: and the happy index from 0 to 100. Families not listed (scale means, gaps) take the range
#: of their items, which the name does not carry.
INDICATOR_BOUNDS: dict[str, tuple[float, float]] = {
    "share_satisfied": (0.0, 1.0),
    "screening": (0.0, 1.0),
    "nps": (-100.0, 100.0),
    "nok": (0.0, 100.0),
    "happy_index": (0.0, 100.0),
}


def indicator_bounds(indicator: str) -> tuple[float, float] | None:
    """The range an indicator's values can take (:data:`INDICATOR_BOUNDS`), or ``None``.

    ``indicator`` is a stored indicator name such as ``share_satisfied:q14``; breakdown
    prefixes (``channel:<c>:``, ``period:<p>:``, ``change:``) are the caller's to remove.
    """
    return INDICATOR_BOUNDS.get(indicator.partition(":")[0])


@dataclass(frozen=True, slots=True)
class Combined:
    """An estimate with its standard error and two-sided interval (arrays of equal length)."""

    estimate: np.ndarray
    se: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray


def _z(confidence: float) -> float:
    if not 0.0 < confidence < 1.0:
        raise ValueError("confidence must be in (0, 1)")
    return float(ndtri(0.5 + confidence / 2.0))


def _array(values: ArrayLike | float, name: str) -> np.ndarray:
    out = np.atleast_1d(np.asarray(values, dtype=float))
    if out.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    return out


def se_from_interval(
    ci_low: ArrayLike | float, ci_high: ArrayLike | float, *, confidence: float = 0.95
) -> np.ndarray:
    """The standard error implied by a two-sided interval: its width over :math:`2z`.

    Parameters
    ----------
    ci_low, ci_high : array-like
        Interval bounds (NaN where there is none).
    confidence : float, default 0.95
        The interval's confidence level.

    Returns
    -------
    ndarray
        :math:`SE = (U - L) / (2 z_{1-(1-c)/2})`; NaN where a bound is missing or
        :math:`U < L`.

    Notes
    -----
    Exact for a symmetric normal (Wald) interval; for an asymmetric one (Wilson, t with few
    degrees of freedom) it is the usual approximation, as in Altman & Bland (2011).

    References
    ----------
    Altman, D. G., & Bland, J. M. (2011). How to obtain the confidence interval from a P
    value. *BMJ*, 343, d2090; and (2003) Interaction revisited: the difference between two
    estimates. *BMJ*, 326, 219.
    """
    low = _array(ci_low, "ci_low")
    high = _array(ci_high, "ci_high")
    if low.shape != high.shape:
        raise ValueError("ci_low and ci_high must have the same length")
    se: np.ndarray = (high - low) / (2.0 * _z(confidence))
    se[~(se >= 0)] = np.nan
    return se


def estimate_difference(
    new: ArrayLike | float,
    se_new: ArrayLike | float,
    old: ArrayLike | float,
    se_old: ArrayLike | float,
    *,
    confidence: float = 0.95,
) -> Combined:
    """The change ``new − old`` between two independent estimates, with its interval.

    Parameters
    ----------
    new, se_new : array-like
        The later estimate and its standard error (e.g. this campaign).
    old, se_old : array-like
        The earlier estimate and its standard error (the previous campaign).
    confidence : float, default 0.95

    Returns
    -------
    Combined
        :math:`d = \\hat\\theta_2 - \\hat\\theta_1`,
        :math:`SE_d = \\sqrt{SE_1^2 + SE_2^2}`, interval :math:`d \\pm z\\,SE_d`.
        NaN wherever an input is missing.

    Notes
    -----
    The two campaigns survey different visitors, so the estimates are independent and the
    variance of their difference is the sum of their variances (Altman & Bland 2003). A
    normal interval is used for every indicator; for two means with few responses a Welch
    interval (:func:`analysis.mean_change`) is slightly wider.

    References
    ----------
    Altman, D. G., & Bland, J. M. (2003). Interaction revisited: the difference between two
    estimates. *BMJ*, 326(7382), 219. doi:10.1136/bmj.326.7382.219
    """
    a = _array(new, "new")
    b = _array(old, "old")
    sa = _array(se_new, "se_new")
    sb = _array(se_old, "se_old")
    if not (a.shape == b.shape == sa.shape == sb.shape):
        raise ValueError("new, se_new, old and se_old must have the same length")
    d = a - b
    se = np.sqrt(sa**2 + sb**2)
    z = _z(confidence)
    return Combined(estimate=d, se=se, ci_low=d - z * se, ci_high=d + z * se)


def stratified_estimate(
    values: ArrayLike,
    ses: ArrayLike,
    n: ArrayLike,
    *,
    confidence: float = 0.95,
    bounds: tuple[float, float] | None = None,
) -> Combined:
    """A unit's indicator from its parts' estimates: the respondent-weighted combination.

    Parameters
    ----------
    values, ses : array-like
        Each part's (library's) estimate and standard error. Parts with a missing value or
        ``n < 1`` are left out; when a part kept has no standard error (e.g. the NOK score,
        a formula without sampling interval), the combination has none either (NaN).
    n : array-like
        Each part's number of responses (the weights).
    confidence : float, default 0.95
    bounds : (low, high), optional
        The values the indicator can take (:func:`indicator_bounds`): the normal interval
        is cut to them, so a share near 100 % does not get an upper limit above 100 %.

    Returns
    -------
    Combined
        Arrays of length one: :math:`\\hat\\theta = \\sum_h W_h \\hat\\theta_h` with
        :math:`W_h = n_h / \\sum n_h`, :math:`SE = \\sqrt{\\sum_h W_h^2 SE_h^2}`, interval
        :math:`\\hat\\theta \\pm z\\,SE` (cut to ``bounds``). NaN when no part is usable.

    Notes
    -----
    Each library is a stratum (Cochran 1977, §5.2–5.3, eq. 5.1 and 5.6). For a mean the
    point estimate equals the mean over all the unit's responses; the standard error
    treats the libraries as the unit's fixed parts (between-library variation is not
    sampling error here), so it is smaller than that of a random sample of libraries.

    References
    ----------
    Cochran, W. G. (1977). *Sampling Techniques* (3rd ed.), chapter 5. Wiley.
    """
    y = _array(values, "values")
    s = _array(ses, "ses")
    w = _array(n, "n")
    if not (y.shape == s.shape == w.shape):
        raise ValueError("values, ses and n must have the same length")
    ok = np.isfinite(y) & np.isfinite(w) & (w >= 1)
    if not ok.any():
        nan = np.array([np.nan])
        return Combined(nan, nan.copy(), nan.copy(), nan.copy())
    weight = w[ok] / w[ok].sum()
    estimate = float(np.sum(weight * y[ok]))
    parts = s[ok]
    se = float(np.sqrt(np.sum(weight**2 * parts**2))) if np.isfinite(parts).all() else math.nan
    z = _z(confidence)
    low, high = estimate - z * se, estimate + z * se
    if bounds is not None:
        low, high = max(low, bounds[0]), min(high, bounds[1])
    return Combined(
        estimate=np.array([estimate]),
        se=np.array([se]),
        ci_low=np.array([low]),
        ci_high=np.array([high]),
    )


def flagged_share(
    flagged: ArrayLike | float, n: ArrayLike | float, *, confidence: float = 0.95
) -> Combined:
    """The share of responses flagged by the careless-response screening, Wilson interval.

    Parameters
    ----------
    flagged, n : array-like
        Flagged responses and responses screened (``0 <= flagged <= n``).
    confidence : float, default 0.95

    Returns
    -------
    Combined
        :math:`\\hat p = x/n`; Wilson's interval
        :math:`\\frac{\\hat p + z^2/2n \\pm z\\sqrt{\\hat p(1-\\hat p)/n + z^2/4n^2}}{1 + z^2/n}`;
        ``se`` is :math:`\\sqrt{\\hat p(1-\\hat p)/n}`. NaN where ``n`` is 0.

    Raises
    ------
    ValueError
        When a count is negative or ``flagged > n``.

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
    inference. *JASA*, 22(158), 209-212.
    """
    x = _array(flagged, "flagged")
    m = _array(n, "n")
    if x.shape != m.shape:
        raise ValueError("flagged and n must have the same length")
    if (x < 0).any() or (m < 0).any() or (x > m).any():
        raise ValueError("counts must satisfy 0 <= flagged <= n")
    _z(confidence)  # the same check of the level as the other estimates here
    p, se, low, high = proportion_interval(x, m, confidence)
    return Combined(estimate=p, se=se, ci_low=low, ci_high=high)
