"""Internal-consistency reliability: Cronbach's alpha as ``psych::alpha`` computes it.

The functions reproduce R ``psych`` 2.2.9 (``alpha``, ``alpha.ci``, ``smc``) to floating-point
precision, with two deliberate differences, both explicit arguments:

* reverse keying uses each item's *declared* response range (``min + max - x``), never the
  data's global minimum and maximum as psych does;
* under the listwise policy the N in the standard error and intervals is the number of
  complete rows actually used (psych and pingouin keep counting all rows).

:class:`PairwiseMoments` accumulates sufficient statistics chunk by chunk (counts, sums, sums
of squares and cross products per item pair) so that alpha can be computed per library from a
stream of a million responses without keeping the rows; :func:`cronbach_alpha_from_moments`
turns them into the same :class:`~analysis.results.AlphaResult`.
"""

from __future__ import annotations

from collections.abc import Collection
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

# quantiles from scipy.special (F: fdtri, normal: ndtri), the functions scipy.stats's f.ppf and
# norm.ppf call: scipy.stats itself takes about a second to import (issue 10 §6)
from scipy import special

from analysis._checks import ScaleRange
from analysis._checks import check_choice
from analysis._checks import check_level
from analysis._checks import check_observed_range
from analysis._checks import item_ranges
from analysis._checks import keyed_items
from analysis.reasons import Note
from analysis.reasons import Reason
from analysis.reasons import StatisticUnavailable
from analysis.results import AlphaResult
from analysis.results import ConfidenceInterval
from analysis.results import MissingPolicy

__all__ = [
    "MIN_PAIR_RESPONDENTS",
    "MIN_RESPONDENTS",
    "AlphaBatchResult",
    "PairwiseMoments",
    "cov2cor",
    "cronbach_alpha",
    "cronbach_alpha_batch",
    "check_min_n",
    "cronbach_alpha_from_moments",
    "feldt_ci",
    "kr20",
    "smc",
]

_MISSING = ("pairwise", "listwise")

#: Default minimum number of respondents N for any reliability coefficient: below it (n = 2
#: gives se 0 and a zero-width interval, n = 3-4 alphas far below 0 and limits above 1) the
#: coefficient is refused as ``insufficient_data``.
MIN_RESPONDENTS = 5
#: Default minimum of joint responses per item pair under the pairwise policy (item-sampled,
#: LibQUAL Lite batteries): fewer make alpha unsound (``few_joint_responses``).
MIN_PAIR_RESPONDENTS = 10


def check_min_n(n: int, min_n: int, missing: str) -> None:
    """Refuse a reliability coefficient computed from fewer than ``min_n`` respondents.

    Raises
    ------
    TypeError, ValueError
        ``min_n`` not an integer >= 2.
    StatisticUnavailable
        ``insufficient_data`` when ``n < min_n``.
    """
    if isinstance(min_n, bool) or not isinstance(min_n, int | np.integer):
        raise TypeError(f"min_n must be an integer, got {type(min_n).__name__}")
    if min_n < 2:
        raise ValueError(f"min_n must be >= 2, got {min_n!r}")
    if n < min_n:
        raise StatisticUnavailable(
            Reason.INSUFFICIENT_DATA,
            f"insufficient data: n = {n} respondents ({missing} policy), fewer than the "
            f"minimum {min_n}",
            n=int(n),
        )


# ---------------------------------------------------------------------------------------------
# matrix helpers (psych's definitions)
# ---------------------------------------------------------------------------------------------


def _pinv_diag(x: np.ndarray) -> np.ndarray:
    """Diagonal of the Moore–Penrose inverse of each matrix in a (b, p, p) stack.

    psych's ``Pinv`` tolerance: singular values <= sqrt(eps) times the largest are dropped.
    """
    u, d, vt = np.linalg.svd(x)
    keep = d > np.maximum(np.sqrt(np.finfo(float).eps) * d[:, :1], 0.0)
    with np.errstate(divide="ignore"):
        d_inv = np.where(keep, 1.0 / d, 0.0)
    # (V diag(d⁺) Uᵀ)_ii = Σ_j V_ij d⁺_j U_ij
    diag: np.ndarray = np.einsum("bji,bj,bij->bi", vt, d_inv, u)
    return diag


def _smc_stack(r: np.ndarray) -> np.ndarray:
    """psych ``smc`` for each correlation matrix in a (b, p, p) stack."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 1.0 - 1.0 / _pinv_diag(r)
    return np.clip(out, 0.0, 1.0)


def cov2cor(cov: np.ndarray) -> np.ndarray:
    """Scale a covariance matrix to a correlation matrix, R = D^-1/2 C D^-1/2.

    Parameters
    ----------
    cov : numpy.ndarray
        Square covariance matrix with a positive diagonal.

    Returns
    -------
    numpy.ndarray
        The correlation matrix (unit diagonal).

    Notes
    -----
    Same as R ``stats::cov2cor``. Applied to a *pairwise* covariance matrix, the variances in
    the denominator use all available values of each item, so the result differs slightly from
    pairwise-complete Pearson correlations (``psych::alpha`` uses this one).
    """
    c = np.asarray(cov, dtype=float)
    s = 1.0 / np.sqrt(np.diag(c))
    r = c * s[:, None] * s[None, :]
    np.fill_diagonal(r, 1.0)
    return r


def smc(corr: np.ndarray) -> np.ndarray:
    """Squared multiple correlation of each item with all the others, as ``psych::smc``.

    Parameters
    ----------
    corr : numpy.ndarray
        Correlation matrix (k × k).

    Returns
    -------
    numpy.ndarray
        smc_i, clipped to [0, 1].

    Notes
    -----
    smc_i = 1 − 1 / (R⁺)_ii with R⁺ the pseudo-inverse of R (singular values below
    sqrt(machine eps) times the largest are dropped, as ``psych::Pinv``). Values above 1 or
    below 0 — possible for an indefinite pairwise matrix — are set to 1 and 0, as psych does.

    References
    ----------
    Revelle, W. (2022). psych: Procedures for Psychological, Psychometric, and Personality
    Research, version 2.2.9, functions ``smc`` and ``Pinv``. https://CRAN.R-project.org/package=psych
    """
    r = np.asarray(corr, dtype=float)
    if r.ndim != 2 or r.shape[0] != r.shape[1]:
        raise ValueError("corr must be a square matrix")
    out: np.ndarray = _smc_stack(r[None])[0]
    return out


def _alpha_1(c: np.ndarray, r: np.ndarray) -> dict[str, np.ndarray]:
    """psych's ``alpha.1`` for each covariance / correlation pair of a (b, k, k) stack."""
    k = c.shape[-1]
    sum_c = c.sum(axis=(1, 2))
    tr_c = np.trace(c, axis1=1, axis2=2)
    sum_r = r.sum(axis=(1, 2))
    lower = np.tril_indices(k, -1)
    off = r[:, lower[0], lower[1]]
    av_r = (sum_r - k) / (k * (k - 1))
    c2 = c @ c
    with np.errstate(divide="ignore", invalid="ignore"):
        q = (2.0 * k**2 / ((k - 1) ** 2 * sum_c**3)) * (
            sum_c * (np.trace(c2, axis1=1, axis2=2) + tr_c**2) - 2.0 * tr_c * c2.sum(axis=(1, 2))
        )
        return {
            "alpha": (1.0 - tr_c / sum_c) * k / (k - 1),
            "std_alpha": (1.0 - k / sum_r) * k / (k - 1),
            "g6": 1.0 - (k - _smc_stack(r).sum(axis=1)) / sum_r,
            "average_r": av_r,
            "signal_noise": k * av_r / (1.0 - av_r),
            "q": q,
            "var_r": np.var(off, ddof=1, axis=1) if off.shape[1] > 1 else np.full(len(c), np.nan),
            "median_r": np.median(off, axis=1),
        }


def feldt_ci(alpha: float, *, n: int, k: int, ci: float = 0.95) -> ConfidenceInterval:
    """Feldt's confidence interval for coefficient alpha.

    Parameters
    ----------
    alpha : float
        Sample alpha.
    n : int
        Number of respondents N (>= 2).
    k : int
        Number of items (>= 2).
    ci : float, default 0.95
        Coverage.

    Returns
    -------
    ConfidenceInterval
        ``method="feldt"``.

    Notes
    -----
    With p = 1 − ci and F⁻¹(q; d1, d2) the F quantile,

    .. math:: [1 - (1-α) F^{-1}(1 - p/2; N-1, (N-1)(k-1)),\\;
              1 - (1-α) F^{-1}(p/2; N-1, (N-1)(k-1))]

    (``psych::alpha.ci``; pingouin rounds the same limits to 3 decimals).

    References
    ----------
    Feldt, L. S., Woodruff, D. J., & Salih, F. A. (1987). Statistical inference for coefficient
    alpha. Applied Psychological Measurement, 11(1), 93–103.

    Examples
    --------
    The worked example of Feldt et al. (1987), alpha = .79 with 26 items and 41 examinees:

    >>> iv = feldt_ci(0.79, n=41, k=26, ci=0.90)
    >>> round(iv.low, 4), round(iv.high, 4)
    (0.7047, 0.8616)
    """
    level = check_level("ci", ci)
    for name, value in (("n", n), ("k", k)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
        if value < 2:
            raise ValueError(f"{name} must be >= 2, got {value!r}")
    p = 1.0 - level
    df1 = n - 1
    df2 = (n - 1) * (k - 1)
    low = 1.0 - (1.0 - alpha) * special.fdtri(df1, df2, 1.0 - p / 2.0)
    high = 1.0 - (1.0 - alpha) * special.fdtri(df1, df2, p / 2.0)
    return ConfidenceInterval(float(low), float(high), level, "feldt", int(n))


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation over the rows where both values are present."""
    ok = ~(np.isnan(a) | np.isnan(b))
    if ok.sum() < 2:
        return np.nan
    x = a[ok] - a[ok].mean()
    y = b[ok] - b[ok].mean()
    with np.errstate(divide="ignore", invalid="ignore"):
        return float((x @ y) / np.sqrt((x @ x) * (y @ y)))


def _check_cov(c: np.ndarray, names: Sequence[str]) -> None:
    bad_pairs = [
        (names[i], names[j]) for i, j in zip(*np.nonzero(np.isnan(c)), strict=True) if i <= j
    ]
    if bad_pairs:
        raise StatisticUnavailable(
            Reason.UNDEFINED_PAIR,
            "fewer than 2 respondents answered both items of these pairs, so their "
            f"covariance is undefined: {', '.join(f'{a}/{b}' for a, b in bad_pairs[:10])}",
        )
    flat = [names[i] for i in range(len(names)) if not c[i, i] > 0.0]
    if flat:
        raise StatisticUnavailable(
            Reason.ZERO_VARIANCE,
            f"items with zero variance: {', '.join(flat)}; alpha needs variation in every item "
            "(drop the item or pool more respondents)",
        )


def _quality_notes(
    r: np.ndarray,
    pair_n: np.ndarray | None,
    n_used: np.ndarray,
    names: Sequence[str],
    reversed_items: Collection[str],
    min_pair_n: int,
    clipped: np.ndarray,
    no_se: np.ndarray,
) -> list[tuple[Note, ...]]:
    """Warnings for each correlation matrix of a (g, k, k) stack (see :func:`cronbach_alpha`).

    ``pair_n`` is the (g, k, k) stack of joint response counts (None: no missing cells).
    """
    g, k = r.shape[0], r.shape[1]
    out: list[tuple[Note, ...]] = [() for _ in range(g)]
    if g == 0:
        return out
    values, vectors = np.linalg.eigh(r)
    first = vectors[:, :, -1]
    first = np.where(first.sum(axis=1, keepdims=True) < 0, -first, first)
    scale = np.abs(values).max(axis=1)
    indefinite = values[:, 0] < -1e-10 * scale
    rev = set(reversed_items)
    upper = np.triu_indices(k, 1)
    for j in range(g):
        notes: list[Note] = []
        if pair_n is not None:
            threshold = min(min_pair_n, int(n_used[j]))
            counts = pair_n[j][upper]
            few = counts < threshold
            if few.any():
                pairs = ", ".join(
                    f"{names[int(a)]}/{names[int(b)]} ({int(m)})"
                    for a, b, m, f in zip(upper[0], upper[1], counts, few, strict=True)
                    if f
                )
                notes.append(
                    Note(
                        Reason.FEW_JOINT_RESPONSES,
                        f"item pairs answered together by fewer than {threshold} respondents: "
                        f"{pairs}; alpha is not a sound estimate",
                        "alpha",
                    )
                )
        if indefinite[j]:
            notes.append(
                Note(
                    Reason.NOT_POSITIVE_SEMIDEFINITE,
                    "the pairwise correlation matrix is not positive semi-definite (smallest "
                    f"eigenvalue {values[j, 0]:.3g}); alpha is not a sound estimate",
                    "alpha",
                )
            )
        negative = [names[i] for i in range(k) if first[j, i] < 0]
        if negative:
            plain = [n for n in negative if n not in rev]
            keyed = [n for n in negative if n in rev]
            parts = []
            if plain:
                parts.append(
                    f"Some items ({', '.join(plain)}) were negatively correlated with the "
                    "total scale and probably should be reversed; the declared keys were kept"
                )
            if keyed:
                parts.append(
                    f"Some reversed items ({', '.join(keyed)}) were negatively correlated with "
                    "the total scale after reversal: check their keys"
                )
            notes.append(Note(Reason.NEGATIVE_ITEM, "; ".join(parts), "alpha"))
        if no_se[j]:
            notes.append(
                Note(
                    Reason.SE_UNDEFINED,
                    "the standard error of alpha is undefined (its variance estimate is "
                    "negative, as an indefinite pairwise matrix can give): no se and no "
                    "Duhachek interval",
                    "alpha",
                )
            )
        if clipped[j]:
            notes.append(
                Note(
                    Reason.INTERVAL_CLIPPED,
                    "the upper Duhachek limit passed 1 and was clipped to 1",
                    "alpha",
                )
            )
        out[j] = tuple(notes)
    return out


def _alpha_result(
    c: np.ndarray,
    *,
    names: list[str],
    reversed_items: Collection[str],
    item_n: np.ndarray,
    item_mean: np.ndarray,
    person_mean: float,
    person_sd: float,
    raw_r: np.ndarray,
    n_respondents: int,
    n_complete: int,
    n_used: int,
    missing: MissingPolicy,
    ci: float,
    pair_n: np.ndarray | None,
    min_n: int,
    min_pair_n: int,
) -> AlphaResult:
    """Assemble an AlphaResult from the keyed covariance matrix and the descriptive parts."""
    check_min_n(n_used, min_n, missing)
    try:
        _check_cov(c, names)
    except StatisticUnavailable as exc:
        exc.n = int(n_used)
        raise
    reversed_set = set(reversed_items)
    k = len(names)
    r = cov2cor(c)
    total = {key: float(value[0]) for key, value in _alpha_1(c[None], r[None]).items()}
    with np.errstate(invalid="ignore"):
        ase = float(np.sqrt(total["q"] / n_used))
    z = special.ndtri(0.5 + ci / 2.0)
    feldt = feldt_ci(total["alpha"], n=n_used, k=k, ci=ci)

    drop_cols = ("alpha", "std_alpha", "g6", "average_r", "signal_noise", "q", "var_r", "median_r")
    if k > 2:
        # row i: the indices of every item but i
        rest = np.array([[j for j in range(k) if j != i] for i in range(k)])
        sub = (rest[:, :, None], rest[:, None, :])
        drop = _alpha_1(c[sub], r[sub])
    else:
        drop = {col: np.full(k, np.nan) for col in drop_cols}

    sum_r = r.sum()
    rc = r.copy()
    np.fill_diagonal(rc, smc(r))
    sum_c = c.sum()
    col_c = c.sum(axis=0)
    diag_c = np.diag(c)
    with np.errstate(divide="ignore", invalid="ignore"):
        r_drop = (col_c - diag_c) / np.sqrt(diag_c * (sum_c - 2.0 * col_c + diag_c))
        items = pd.DataFrame(
            {
                "reversed": [n in reversed_set for n in names],
                "n": item_n.astype(int),
                "mean": item_mean,
                "sd": np.sqrt(diag_c),
                "raw_r": raw_r,
                "std_r": r.sum(axis=0) / np.sqrt(sum_r),
                "r_cor": rc.sum(axis=0) / np.sqrt(rc.sum()),
                "r_drop": r_drop,
                "alpha_if_deleted": drop["alpha"],
                "std_alpha_if_deleted": drop["std_alpha"],
                "g6_if_deleted": drop["g6"],
                "average_r_if_deleted": drop["average_r"],
                "signal_noise_if_deleted": drop["signal_noise"],
                "ase_if_deleted": np.sqrt(drop["q"] / n_used),
                "var_r_if_deleted": drop["var_r"],
                "median_r_if_deleted": drop["median_r"],
            },
            index=pd.Index(names, name="item"),
        )
    duhachek_high = float(total["alpha"] + z * ase)
    notes = _quality_notes(
        r[None],
        None if pair_n is None or (pair_n >= n_used).all() else pair_n[None],
        np.array([n_used]),
        names,
        reversed_set,
        min_pair_n,
        np.array([duhachek_high > 1.0]),
        np.array([not np.isfinite(ase)]),
    )[0]
    return AlphaResult(
        alpha=float(total["alpha"]),
        std_alpha=float(total["std_alpha"]),
        g6=float(total["g6"]),
        average_r=float(total["average_r"]),
        median_r=float(total["median_r"]),
        var_r=float(total["var_r"]),
        signal_noise=float(total["signal_noise"]),
        ase=ase,
        ci_low=feldt.low,
        ci_high=feldt.high,
        duhachek_low=float(total["alpha"] - z * ase),
        duhachek_high=min(duhachek_high, 1.0),
        ci_level=ci,
        n_respondents=int(n_respondents),
        n_complete=int(n_complete),
        n_used=int(n_used),
        n_items=k,
        missing=missing,
        mean=float(person_mean),
        sd=float(person_sd),
        items=items,
        notes=notes,
    )


# ---------------------------------------------------------------------------------------------
# raw data
# ---------------------------------------------------------------------------------------------


def cronbach_alpha(
    data: pd.DataFrame,
    *,
    items: Sequence[str] | None = None,
    reverse: Collection[str] = (),
    scale: ScaleRange = None,
    missing: MissingPolicy = "pairwise",
    ci: float = 0.95,
    min_n: int = MIN_RESPONDENTS,
    min_pair_n: int = MIN_PAIR_RESPONDENTS,
) -> AlphaResult:
    """Cronbach's alpha with psych's full set of scale and item statistics.

    Parameters
    ----------
    data : pandas.DataFrame
        Respondents × items, numeric, NaN for a missing answer (wide format).
    items : sequence of str, optional
        The item columns (default: all columns).
    reverse : collection of str, default ()
        Reverse-keyed items; each becomes ``min + max - x`` with its declared range.
    scale : (min, max) or mapping item -> (min, max), optional
        Declared response range — one pair for every item, or per item. Required when
        ``reverse`` is not empty; never inferred from the data. Observed values outside a
        declared range raise ValueError.
    missing : {"pairwise", "listwise"}, default "pairwise"
        ``"pairwise"``: covariances from all rows where both items were answered (psych's
        default ``use="pairwise"``, pingouin's ``nan_policy="pairwise"``); N = all rows.
        ``"listwise"``: rows with any missing item are dropped first and everything is computed
        on the complete rows; N = the number of complete rows.
    ci : float, default 0.95
        Coverage of the Feldt and Duhachek intervals.
    min_n : int, default 5
        Fewer respondents in N than this refuse alpha (``insufficient_data``): with n = 2 the
        standard error is 0, with n = 3-4 alpha and its limits mean nothing.
    min_pair_n : int, default 10
        Pairwise policy with missing cells: an item pair answered together by fewer than
        ``min(min_pair_n, N)`` respondents makes alpha unsound (``few_joint_responses``).

    Returns
    -------
    AlphaResult
        Scale statistics; ``.items`` has one row per item; ``.notes`` the warnings.

    Raises
    ------
    TypeError
        Non-DataFrame input or a non-numeric item column.
    ValueError
        Unknown items, fewer than 2 items, a reversed item without a declared range, values
        outside a declared range.
    StatisticUnavailable
        (a ValueError with a reason code and n) fewer than ``min_n`` respondents in N
        (``insufficient_data``), an item with zero variance (``zero_variance``), an item pair
        answered together by fewer than 2 respondents (``undefined_pair``).

    Notes
    -----
    C is the k × k covariance matrix of the keyed items (pairwise-complete by default),
    R = cov2cor(C), 1'C1 = ΣC the variance of the sum score, smc_i the squared multiple
    correlation from R (see :func:`smc`). As ``psych::alpha`` (2.2.9):

    * alpha = k/(k−1) · (1 − tr C / ΣC); std_alpha = k/(k−1) · (1 − k / ΣR);
    * g6 (Guttman λ6) = 1 − (k − Σ smc) / ΣR;
    * average_r = (ΣR − k) / (k(k−1)); signal_noise = k·r̄ / (1 − r̄);
      median_r and var_r (ddof 1) over the off-diagonal correlations;
    * ase (Duhachek & Iacobucci 2004) = sqrt(Q / N) with
      Q = 2k² / ((k−1)² (ΣC)³) · [ΣC (tr C² + (tr C)²) − 2 tr C · 1'C²1];
    * Feldt interval: see :func:`feldt_ci`; Duhachek interval: alpha ∓ z·ase with
      z = Φ⁻¹((1 + ci)/2) (psych prints 1.96);
    * person score = mean of the respondent's answered keyed items (so a missing answer is
      implicitly the respondent's own mean); ``mean``/``sd`` describe these scores;
    * items: ``n`` answered count; ``mean``/``sd`` of the keyed item over its answered values;
      ``raw_r`` = cor(person score, item) over rows where both exist; ``std_r`` = Σ_j R_ij / √ΣR;
      ``r_cor`` the same with diag(R) replaced by smc; ``r_drop`` =
      (Σ_j C_ij − C_ii) / √(C_ii · ΣC₍₋ᵢ₎); ``*_if_deleted`` the scale statistics of C and R
      with item i removed (NaN when k = 2).

    **Warnings** (``notes``, each a :class:`~analysis.reasons.Note` with a reason code):
    ``interval_clipped`` when the Duhachek upper limit alpha + z·ase passes 1 (it is set to 1;
    the Feldt upper limit never passes 1); ``se_undefined`` when the variance estimate Q is
    negative (an indefinite pairwise matrix; ase and the Duhachek limits are NaN, as psych's
    NaN); ``negative_item`` when a keyed item loads
    negatively on the first principal component of R — psych 2.2.9 ``alpha`` warns "Some items
    were negatively correlated with the total scale and probably should be reversed" and,
    with ``check.keys=TRUE``, reverses them; here the declared keys are kept and the warning
    names the items. Under the pairwise policy with missing cells (item-sampled batteries
    such as LibQUAL Lite): ``not_positive_semidefinite`` when R has a negative eigenvalue
    (below −1e-10 of the largest), ``few_joint_responses`` when a pair has fewer than
    ``min(min_pair_n, N)`` joint responses; both make the result unsound
    (``result.sound is False``): alpha is still returned, but outputs flag it.

    **N in the intervals.** Pairwise: N = all rows of ``data`` (including rows with missing
    cells), exactly as psych and pingouin. Listwise: N = complete rows — psych's
    ``use="complete.obs"`` and pingouin's ``nan_policy="listwise"`` still use all rows, which
    makes their intervals too narrow; ``feldt_ci(result.alpha, n=result.n_respondents, k=...)``
    reproduces their number if needed.

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    Psychometrika, 16, 297–334.
    Guttman, L. (1945). A basis for analyzing test-retest reliability. Psychometrika, 10,
    255–282.
    Feldt, L. S., Woodruff, D. J., & Salih, F. A. (1987). Statistical inference for coefficient
    alpha. Applied Psychological Measurement, 11, 93–103.
    Duhachek, A., & Iacobucci, D. (2004). Alpha's standard error (ASE): an accurate and precise
    confidence interval estimate. Journal of Applied Psychology, 89, 792–808.
    Revelle, W. (2022). psych: Procedures for Psychological, Psychometric, and Personality
    Research, version 2.2.9, function ``alpha``. https://CRAN.R-project.org/package=psych

    Examples
    --------
    >>> df = pd.DataFrame({"q1": [1, 2, 3, 4, 5], "q2": [2, 2, 3, 5, 4], "q3": [5, 4, 3, 2, 2]})
    >>> res = cronbach_alpha(df, reverse=["q3"], scale=(1, 5))

    q3 becomes 6 − q3 = [1, 2, 3, 4, 4]; item variances 2.5, 1.7, 1.7; the sum score
    [4, 6, 9, 13, 13] has variance 16.5, so alpha = 3/2 · (1 − 5.9/16.5):

    >>> round(res.alpha, 4)
    0.9636
    """
    check_choice("missing", missing, _MISSING)
    level = check_level("ci", ci)
    frame, reversed_items = keyed_items(data, items, reverse, scale)
    n_rows = len(frame)
    complete = frame.notna().all(axis=1).to_numpy()
    n_complete = int(complete.sum())
    if missing == "listwise":
        frame = frame.loc[complete]
        n_used = n_complete
    else:
        n_used = n_rows
    names = list(frame.columns)
    x = frame.to_numpy()
    c = frame.cov().to_numpy() if len(frame) else np.full((len(names),) * 2, np.nan)

    answered = ~np.isnan(x)
    counts = answered.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        score = np.where(counts > 0, np.nansum(x, axis=1) / counts, np.nan)
        item_mean = np.nansum(x, axis=0) / answered.sum(axis=0)
    scored = score[~np.isnan(score)]
    person_mean = scored.mean() if scored.size else np.nan
    person_sd = scored.std(ddof=1) if scored.size > 1 else np.nan
    raw_r = np.array([_pearson(score, x[:, i]) for i in range(len(names))])
    pair_n = answered.T.astype(float) @ answered.astype(float) if missing == "pairwise" else None
    return _alpha_result(
        c,
        names=names,
        reversed_items=reversed_items,
        item_n=answered.sum(axis=0),
        item_mean=item_mean,
        person_mean=person_mean,
        person_sd=person_sd,
        raw_r=raw_r,
        n_respondents=n_rows,
        n_complete=n_complete,
        n_used=n_used,
        missing=missing,
        ci=level,
        pair_n=pair_n,
        min_n=min_n,
        min_pair_n=min_pair_n,
    )


def kr20(
    data: pd.DataFrame,
    *,
    items: Sequence[str] | None = None,
    reverse: Collection[str] = (),
    missing: MissingPolicy = "pairwise",
    ci: float = 0.95,
    min_n: int = MIN_RESPONDENTS,
    min_pair_n: int = MIN_PAIR_RESPONDENTS,
) -> AlphaResult:
    """Kuder–Richardson formula 20 for dichotomous (0/1) items.

    Parameters
    ----------
    data : pandas.DataFrame
        Respondents × items coded 0/1, NaN for missing.
    items, missing, ci, min_n, min_pair_n
        As :func:`cronbach_alpha`.
    reverse : collection of str, default ()
        Items to reverse as 1 − x (the range (0, 1) is implied).

    Returns
    -------
    AlphaResult
        The same result as :func:`cronbach_alpha` on the same items.

    Raises
    ------
    ValueError
        If a value other than 0, 1 or NaN occurs, or for any reason :func:`cronbach_alpha`
        raises.

    Notes
    -----
    KR-20 = k/(k−1) · (1 − Σ p_i q_i / σ²_X), with p_i the proportion of 1s, q_i = 1 − p_i and
    σ²_X the variance of the sum score. For 0/1 items the item variance is p_i q_i, so with the
    same divisor in numerator and denominator KR-20 *is* coefficient alpha; this function
    checks the coding and returns :func:`cronbach_alpha`.

    References
    ----------
    Kuder, G. F., & Richardson, M. W. (1937). The theory of the estimation of test
    reliability. Psychometrika, 2, 151–160.
    """
    frame, _ = keyed_items(data, items, (), None)
    values = frame.to_numpy()
    present = values[~np.isnan(values)]
    if not np.isin(present, (0.0, 1.0)).all():
        raise ValueError("KR-20 needs items coded 0/1 (NaN for missing)")
    return cronbach_alpha(
        frame,
        reverse=reverse,
        scale=(0.0, 1.0),
        missing=missing,
        ci=ci,
        min_n=min_n,
        min_pair_n=min_pair_n,
    )


# ---------------------------------------------------------------------------------------------
# sufficient statistics
# ---------------------------------------------------------------------------------------------


#: relative size (to Σ y²) below which a pairwise sum of squares Q - S²/N is rounding noise
_ZERO_SS = 1e-12


class PairwiseMoments:
    """Streaming accumulator of pairwise-complete moments of k items.

    For every item pair (i, j) it keeps, over the rows where both are present, the count
    N_ij, the sum of x_i, the sum of x_i² and the cross products Σ x_i x_j; and the count, sums
    and cross products of the rows where *all* items are present (for the listwise policy).
    Values are accumulated around a fixed shift (default: the first chunk's item means), which
    keeps the arithmetic accurate for large N; the results do not depend on it.

    Parameters
    ----------
    items : sequence of str
        Item names, in column order.
    shift : array_like, optional
        Per-item centring constant (default: set from the first chunk).

    Attributes
    ----------
    items : tuple of str
        Item names.
    n_rows : int
        Rows added so far (including rows with missing cells).

    Notes
    -----
    With y = x − c (c the shift), S_ij = Σ y_i, Q_ij = Σ y_i², P_ij = Σ y_i y_j over the rows
    where both i and j are present, the pairwise covariance is

    .. math:: C_{ij} = (P_{ij} - S_{ij} S_{ji} / N_{ij}) / (N_{ij} - 1),

    identical to ``pandas.DataFrame.cov()`` and R ``cov(x, use="pairwise")``; the pairwise
    Pearson correlation (R ``cor(x, use="pairwise")``) is
    (P_ij − S_ij S_ji/N_ij) / √((Q_ij − S_ij²/N_ij)(Q_ji − S_ji²/N_ij)).

    Examples
    --------
    >>> df = pd.DataFrame({"a": [1.0, 2, 3, np.nan], "b": [2.0, 1, 4, 3]})
    >>> m = PairwiseMoments(["a", "b"]).add(df.iloc[:2]).add(df.iloc[2:])
    >>> bool(np.allclose(m.cov(), df.cov()))
    True
    """

    def __init__(self, items: Sequence[str], *, shift: Any = None) -> None:
        if isinstance(items, str):
            raise TypeError("items must be a sequence of column names, not a single string")
        names = tuple(str(i) for i in items)
        if len(set(names)) != len(names):
            raise ValueError(f"items contains duplicates: {names!r}")
        if not names:
            raise ValueError("need at least one item")
        k = len(names)
        self.items = names
        self.n_rows = 0
        #: distinct missingness patterns (True = present) and the number of rows with each
        self._patterns = np.zeros((0, k), dtype=bool)
        self._pattern_rows = np.zeros(0, dtype=np.int64)
        #: whether _sc/_pc hold the complete-row moments of exactly these items
        self._listwise_ok = True
        self._shift: np.ndarray | None = None
        if shift is not None:
            self._shift = self._vector("shift", shift)
        self._n = np.zeros((k, k))
        self._s = np.zeros((k, k))
        self._q = np.zeros((k, k))
        self._p = np.zeros((k, k))
        self._sc = np.zeros(k)
        self._pc = np.zeros((k, k))
        self._min = np.full(k, np.nan)
        self._max = np.full(k, np.nan)

    def _vector(self, name: str, value: Any) -> np.ndarray:
        v = np.asarray(value, dtype=float).reshape(-1)
        if v.shape != (len(self.items),) or not np.isfinite(v).all():
            raise ValueError(f"{name} must be {len(self.items)} finite numbers")
        return v

    @classmethod
    def from_frame(cls, data: pd.DataFrame, items: Sequence[str] | None = None) -> PairwiseMoments:
        """Accumulate the moments of ``data[items]`` (default: all columns) in one chunk."""
        if not isinstance(data, pd.DataFrame):
            raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
        names = [str(c) for c in data.columns] if items is None else list(items)
        return cls(names).add(data if items is None else data.loc[:, names])

    def _chunk_array(self, chunk: object) -> np.ndarray:
        if isinstance(chunk, pd.DataFrame):
            cols = [str(c) for c in chunk.columns]
            absent = [i for i in self.items if i not in cols]
            if absent:
                raise ValueError(f"chunk lacks item columns {absent!r}")
            sub = chunk.copy()
            sub.columns = cols
            sub = sub.loc[:, list(self.items)]
            not_numeric = [
                c
                for c in self.items
                if not (pd.api.types.is_numeric_dtype(sub[c]) or sub[c].isna().all())
            ]
            if not_numeric:
                raise TypeError(f"item columns must be numeric: {not_numeric!r}")
            x: np.ndarray = sub.to_numpy(dtype="float64", na_value=np.nan)
        elif isinstance(chunk, np.ndarray):
            if chunk.ndim != 2 or chunk.shape[1] != len(self.items):
                raise ValueError(f"chunk must be a 2-D array with {len(self.items)} columns")
            if not np.issubdtype(chunk.dtype, np.number):
                raise TypeError("chunk must be numeric")
            # no copy of a float64 chunk: it is only read (y below is a new array)
            x = np.asarray(chunk, dtype="float64")
        else:
            raise TypeError(f"chunk must be a DataFrame or ndarray, got {type(chunk).__name__}")
        if np.isinf(x).any():
            raise ValueError("item values must be finite (use NaN for a missing answer)")
        return x

    def add(self, chunk: pd.DataFrame | np.ndarray) -> PairwiseMoments:
        """Add a chunk of rows (NaN = missing) and return ``self``.

        Parameters
        ----------
        chunk : pandas.DataFrame or numpy.ndarray
            A frame containing the item columns (selected by name), or an n × k array in
            item order.
        """
        x = self._chunk_array(chunk)
        if x.shape[0] == 0:
            return self
        present = ~np.isnan(x)
        if self._shift is None:
            counts = present.sum(axis=0)
            with np.errstate(invalid="ignore", divide="ignore"):
                means = np.nansum(x, axis=0) / counts
            self._shift = np.where(counts > 0, means, 0.0)
        # Rows with every item present add the same count to every pair and their plain
        # column sums to S and Q, so only the other rows need the mask products; the cross
        # products are split by the same rows (P = P over complete rows + the rest).
        complete = present.all(axis=1)
        y = x - self._shift
        n_complete = int(np.count_nonzero(complete))
        if n_complete == len(x):
            yc, yi = y, y[:0]
        else:
            yc, yi = y[complete], y[~complete]
            del y
        pc = yc.T @ yc
        sc = yc.sum(axis=0)
        self._pc += pc
        self._sc += sc
        self._n += n_complete
        self._s += sc[:, None]
        self._q += np.einsum("ij,ij->j", yc, yc)[:, None]
        self._p += pc
        del yc
        if len(yi):
            absent = ~present[~complete]
            yi[absent] = 0.0
            m = (~absent).astype(float)
            self._n += m.T @ m
            self._p += yi.T @ yi
            sq = np.concatenate([yi, yi * yi], axis=1).T @ m
            self._s += sq[: len(self.items)]
            self._q += sq[len(self.items) :]
            del m, sq, absent
        del yi
        patterns = present[~complete]
        rows = np.ones(len(patterns), dtype=np.int64)
        if n_complete:
            patterns = np.concatenate([np.ones((1, present.shape[1]), dtype=bool), patterns])
            rows = np.concatenate([[n_complete], rows])
        self._add_patterns(patterns, rows)
        with np.errstate(invalid="ignore"):
            self._min = np.fmin(self._min, np.fmin.reduce(x, axis=0))
            self._max = np.fmax(self._max, np.fmax.reduce(x, axis=0))
        self.n_rows += x.shape[0]
        return self

    def _add_patterns(self, present: np.ndarray, rows: np.ndarray) -> None:
        """Fold rows (or patterns weighted by ``rows``) into the pattern table."""
        patterns = np.concatenate([self._patterns, present])
        weights = np.concatenate([self._pattern_rows, rows])
        packed = np.packbits(patterns, axis=1)
        width = packed.shape[1]
        keys: np.ndarray
        if width <= 8:  # up to 64 items: one integer key per pattern, a fast 1-D unique
            padded = np.zeros((packed.shape[0], 8), dtype=np.uint8)
            padded[:, :width] = packed
            keys = padded.view(np.uint64).ravel()
        else:
            keys = np.ascontiguousarray(packed).view(np.dtype((np.void, width))).ravel()
        _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        self._patterns = patterns[first]
        self._pattern_rows = np.bincount(inverse.ravel(), weights=weights).astype(np.int64)

    def _moments_at(self, shift: np.ndarray) -> tuple[np.ndarray, ...]:
        """(N, S, Q, P, sc, Pc) re-expressed around another shift."""
        if self._shift is None:
            return self._n, self._s, self._q, self._p, self._sc, self._pc
        d = self._shift - shift
        n, s = self._n, self._s
        s2 = s + d[:, None] * n
        q2 = self._q + 2.0 * d[:, None] * s + (d**2)[:, None] * n
        p2 = self._p + s * d[None, :] + s.T * d[:, None] + n * np.outer(d, d)
        nc = self.n_complete
        sc2 = self._sc + d * nc
        pc2 = self._pc + np.outer(self._sc, d) + np.outer(d, self._sc) + nc * np.outer(d, d)
        return n, s2, q2, p2, sc2, pc2

    def merge(self, other: PairwiseMoments) -> PairwiseMoments:
        """Return a new accumulator holding the rows of ``self`` and ``other``.

        Both must have the same items in the same order; their shifts may differ.
        """
        if not isinstance(other, PairwiseMoments):
            raise TypeError("can only merge another PairwiseMoments")
        if other.items != self.items:
            raise ValueError("cannot merge moments of different items")
        base = self._shift if self._shift is not None else other._shift
        out = PairwiseMoments(self.items, shift=base)
        for part in (self, other):
            if part.n_rows == 0:
                continue
            n, s, q, p, sc, pc = part._moments_at(out._shift)  # type: ignore[arg-type]
            out._n += n
            out._s += s
            out._q += q
            out._p += p
            out._sc += sc
            out._pc += pc
            out.n_rows += part.n_rows
            out._add_patterns(part._patterns, part._pattern_rows)
            out._listwise_ok = out._listwise_ok and part._listwise_ok
            out._min = np.fmin(out._min, part._min)
            out._max = np.fmax(out._max, part._max)
        return out

    def subset(self, items: Sequence[str]) -> PairwiseMoments:
        """Return the moments of a subset of the items (pairwise moments only).

        The counts of complete rows carry over exactly (the accumulator counts rows per
        missingness pattern), but the complete-row sums and cross products do not unless
        ``items`` is the full set, so a proper subset only supports the pairwise policy.
        """
        if isinstance(items, str):
            raise TypeError("items must be a sequence of names, not a single string")
        names = [str(i) for i in items]
        absent = [i for i in names if i not in self.items]
        if absent:
            raise ValueError(f"unknown items {absent!r}")
        idx = np.array([self.items.index(i) for i in names])
        ix = np.ix_(idx, idx)
        out = PairwiseMoments(names)
        out._shift = None if self._shift is None else self._shift[idx].copy()
        out._n, out._s, out._q, out._p = (
            a[ix].copy() for a in (self._n, self._s, self._q, self._p)
        )
        out._min, out._max = self._min[idx].copy(), self._max[idx].copy()
        out.n_rows = self.n_rows
        out._add_patterns(self._patterns[:, idx], self._pattern_rows)
        if sorted(names) == sorted(self.items) and self._listwise_ok:
            out._sc = self._sc[idx].copy()
            out._pc = self._pc[ix].copy()
        else:
            out._listwise_ok = False
        return out

    @property
    def n_complete(self) -> int:
        """Rows with every item present."""
        return int(self._pattern_rows[self._patterns.all(axis=1)].sum())

    @property
    def pair_counts(self) -> pd.DataFrame:
        """N_ij: rows where both items are present."""
        return pd.DataFrame(self._n.astype(int), index=self.items, columns=self.items)

    @property
    def n_items_nonmissing(self) -> pd.Series:
        """Number of rows in which each item is present."""
        return pd.Series(np.diag(self._n).astype(int), index=self.items)

    @property
    def mean(self) -> pd.Series:
        """Mean of each item over its present values."""
        shift = self._shift if self._shift is not None else np.zeros(len(self.items))
        with np.errstate(invalid="ignore", divide="ignore"):
            return pd.Series(shift + np.diag(self._s) / np.diag(self._n), index=self.items)

    @property
    def minimum(self) -> pd.Series:
        """Smallest observed value of each item (NaN if never observed)."""
        return pd.Series(self._min, index=self.items)

    @property
    def maximum(self) -> pd.Series:
        """Largest observed value of each item (NaN if never observed)."""
        return pd.Series(self._max, index=self.items)

    def _require_listwise(self) -> None:
        if not self._listwise_ok:
            raise ValueError(
                "listwise statistics need the complete-row moments of exactly these items: "
                "accumulate a PairwiseMoments for the scale's own items"
            )

    def complete_mean(self) -> pd.Series:
        """Item means over the complete rows (listwise)."""
        self._require_listwise()
        shift = self._shift if self._shift is not None else np.zeros(len(self.items))
        with np.errstate(invalid="ignore", divide="ignore"):
            return pd.Series(shift + self._sc / self.n_complete, index=self.items)

    def cov(self, missing: MissingPolicy = "pairwise") -> pd.DataFrame:
        """Covariance matrix (ddof 1): pairwise-complete, or over complete rows (listwise).

        Entries with fewer than 2 contributing rows are NaN.
        """
        check_choice("missing", missing, _MISSING)
        with np.errstate(invalid="ignore", divide="ignore"):
            if missing == "pairwise":
                n = self._n
                c = (self._p - self._s * self._s.T / n) / (n - 1.0)
                c[n < 2] = np.nan
            else:
                self._require_listwise()
                nc = self.n_complete
                c = (self._pc - np.outer(self._sc, self._sc) / nc) / (nc - 1.0)
                if nc < 2:
                    c[:] = np.nan
        return pd.DataFrame(c, index=self.items, columns=self.items)

    def corr(self, missing: MissingPolicy = "pairwise") -> pd.DataFrame:
        """Pearson correlations: pairwise-complete (R ``cor(use="pairwise")``) or listwise."""
        check_choice("missing", missing, _MISSING)
        if missing == "listwise":
            return pd.DataFrame(
                cov2cor(self.cov("listwise").to_numpy()), index=self.items, columns=self.items
            )
        n = self._n
        with np.errstate(invalid="ignore", divide="ignore"):
            cross = self._p - self._s * self._s.T / n
            ss = self._q - self._s**2 / n
            # an item constant over the rows the pair shares has a sum of squares of exactly
            # 0, which Q - S²/N only approximates (rounding noise, even of the wrong sign, and
            # a correlation of ±inf): below that noise level it is 0 and r is undefined (NaN,
            # as pandas and R give)
            ss[ss <= _ZERO_SS * self._q] = 0.0
            r = cross / np.sqrt(ss * ss.T)
            r[(n < 2) | (ss == 0.0) | (ss.T == 0.0)] = np.nan
        np.fill_diagonal(r, np.where(np.diag(n) >= 2, 1.0, np.nan))
        return pd.DataFrame(r, index=self.items, columns=self.items)


def _keyed_moments(
    moments: PairwiseMoments,
    items: Sequence[str] | None,
    reverse: Collection[str],
    scale: ScaleRange,
) -> tuple[PairwiseMoments, list[str], np.ndarray, dict[str, tuple[float, float]]]:
    """Select items, validate declared ranges against observed ones; return keys as ±1."""
    if not isinstance(moments, PairwiseMoments):
        raise TypeError(f"moments must be a PairwiseMoments, got {type(moments).__name__}")
    if isinstance(items, str):
        raise TypeError("items must be a sequence of names, not a single string")
    sub = moments if items is None else moments.subset(list(items))
    names = list(sub.items)
    if len(names) < 2:
        raise ValueError(f"need at least 2 items, got {len(names)}")
    if sub.n_rows == 0:
        raise ValueError("no rows have been added to the moments")
    ranges = item_ranges(names, reverse, scale)
    check_observed_range(
        {str(k): float(v) for k, v in sub.minimum.items()},
        {str(k): float(v) for k, v in sub.maximum.items()},
        ranges,
    )
    rev = set(str(r) for r in reverse)
    sign = np.array([-1.0 if n in rev else 1.0 for n in names])
    return sub, [n for n in names if n in rev], sign, ranges


def cronbach_alpha_from_moments(
    moments: PairwiseMoments,
    *,
    items: Sequence[str] | None = None,
    reverse: Collection[str] = (),
    scale: ScaleRange = None,
    missing: MissingPolicy = "pairwise",
    ci: float = 0.95,
    min_n: int = MIN_RESPONDENTS,
    min_pair_n: int = MIN_PAIR_RESPONDENTS,
) -> AlphaResult:
    """Cronbach's alpha from accumulated :class:`PairwiseMoments` instead of raw rows.

    Parameters
    ----------
    moments : PairwiseMoments
        Moments of the *unreversed* answers.
    items : sequence of str, optional
        Subset of ``moments.items`` forming the scale (default: all).
    reverse, scale, missing, ci, min_n, min_pair_n
        As :func:`cronbach_alpha`. ``missing="listwise"`` needs moments accumulated for exactly
        the scale's items (rows complete on other items cannot be told apart).

    Returns
    -------
    AlphaResult
        Equal to ``cronbach_alpha`` on the same rows (to rounding) for every statistic that
        depends on the covariance matrix, the counts and the item means. The statistics of the
        person scores — ``mean``, ``sd`` and the items' ``raw_r`` — are derived exactly when no
        cell of the scale is missing (always under the listwise policy); with missing cells
        under the pairwise policy they need the rows and are NaN.

    Notes
    -----
    Reverse keying x' = min + max − x is applied to the moments: the keyed covariance matrix is
    D C D with D = diag(±1), and a reversed item's mean is min + max − mean. With complete
    data the person score is the mean of the k items, so its mean is the mean of the item means,
    its SD is √(1'C1)/k and raw_r_i = (C1)_i / √(C_ii · 1'C1). All formulas are those of
    :func:`cronbach_alpha`.

    References
    ----------
    Revelle, W. (2022). psych: Procedures for Psychological, Psychometric, and Personality
    Research, version 2.2.9, function ``alpha``. https://CRAN.R-project.org/package=psych
    """
    check_choice("missing", missing, _MISSING)
    level = check_level("ci", ci)
    sub, reversed_items, sign, ranges = _keyed_moments(moments, items, reverse, scale)
    names = list(sub.items)
    k = len(names)
    if missing == "listwise":
        sub._require_listwise()
        c = sub.cov("listwise").to_numpy()
        mean = sub.complete_mean().to_numpy()
        item_n = np.full(k, sub.n_complete)
        n_used = sub.n_complete
        no_missing = True
    else:
        c = sub.cov("pairwise").to_numpy()
        mean = sub.mean.to_numpy()
        item_n = np.diag(sub._n)
        n_used = sub.n_rows
        no_missing = bool((sub._n == sub.n_rows).all())
    pair_n = sub._n if missing == "pairwise" else None
    c = c * sign[:, None] * sign[None, :]
    adjust = np.array([sum(ranges[n]) if n in reversed_items else 0.0 for n in names])
    mean = np.where(sign < 0, adjust - mean, mean)
    if no_missing:
        with np.errstate(invalid="ignore", divide="ignore"):
            person_mean = float(mean.mean())
            person_sd = float(np.sqrt(c.sum()) / k)
            raw_r = c.sum(axis=0) / np.sqrt(np.diag(c) * c.sum())
    else:
        person_mean = person_sd = np.nan
        raw_r = np.full(k, np.nan)
    return _alpha_result(
        c,
        names=names,
        reversed_items=reversed_items,
        item_n=item_n,
        item_mean=mean,
        person_mean=person_mean,
        person_sd=person_sd,
        raw_r=raw_r,
        n_respondents=sub.n_rows,
        n_complete=sub.n_complete,
        n_used=n_used,
        missing=missing,
        ci=level,
        pair_n=pair_n,
        min_n=min_n,
        min_pair_n=min_pair_n,
    )


# ---------------------------------------------------------------------------------------------
# many groups at once
# ---------------------------------------------------------------------------------------------

#: scale statistics of :class:`AlphaBatchResult.scales`, named as the :class:`AlphaResult` fields
_BATCH_SCALE_COLUMNS = (
    "alpha",
    "std_alpha",
    "g6",
    "average_r",
    "median_r",
    "var_r",
    "signal_noise",
    "ase",
    "ci_low",
    "ci_high",
    "duhachek_low",
    "duhachek_high",
    "ci_level",
    "n_respondents",
    "n_complete",
    "n_used",
    "n_items",
    "missing",
    "mean",
    "sd",
    "note",
    "reason",
    "notes",
)


@dataclass(frozen=True, slots=True)
class AlphaBatchResult:
    """Cronbach's alpha of one scale in many groups (see :func:`cronbach_alpha_batch`).

    Attributes
    ----------
    scales : pandas.DataFrame
        One row per group (index ``group``, in the order of the mapping) with the scale
        statistics of :class:`~analysis.results.AlphaResult` as columns (``alpha``,
        ``std_alpha``, ``g6``, ``average_r``, ``median_r``, ``var_r``, ``signal_noise``,
        ``ase``, ``ci_low``, ``ci_high``, ``duhachek_low``, ``duhachek_high``, ``ci_level``,
        ``n_respondents``, ``n_complete``, ``n_used``, ``n_items``, ``missing``, ``mean``,
        ``sd``), ``note``: None, or why the group has no alpha (then every statistic but
        the counts is NaN; the text is the ValueError :func:`cronbach_alpha_from_moments`
        raises for that group), ``reason``: its :class:`~analysis.reasons.Reason` code (None
        when alpha was computed), and ``notes``: the warnings of a computed alpha (a tuple of
        :class:`~analysis.reasons.Note`, as ``AlphaResult.notes``).
    items : pandas.DataFrame
        One row per (group, item) of the groups that have an alpha (MultiIndex ``group``,
        ``item``) with the columns of ``AlphaResult.items``.
    """

    scales: pd.DataFrame
    items: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """Return the scale statistics (one row per group)."""
        return self.scales.copy()


def _group_moments(
    moments: PairwiseMoments,
    idx: np.ndarray,
    missing: MissingPolicy,
    full: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int, int]:
    """(C, mean, item n, pair-count matrix, n_rows, n_complete) of one group's scale items.

    The same arithmetic as :meth:`PairwiseMoments.subset`, ``cov``, ``mean`` and
    ``complete_mean``, without building the subset accumulator and its frames.
    """
    ix = np.ix_(idx, idx)
    n = moments._n[ix]
    shift = moments._shift[idx] if moments._shift is not None else np.zeros(len(idx))
    n_complete = int(moments._pattern_rows[moments._patterns[:, idx].all(axis=1)].sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        if missing == "pairwise":
            s = moments._s[ix]
            c = (moments._p[ix] - s * s.T / n) / (n - 1.0)
            c[n < 2] = np.nan
            mean = shift + np.diag(s) / np.diag(n)
            item_n = np.diag(n)
        else:
            if not (full and moments._listwise_ok):
                moments.subset([moments.items[i] for i in idx])._require_listwise()
            sc = moments._sc[idx]
            c = (moments._pc[ix] - np.outer(sc, sc) / n_complete) / (n_complete - 1.0)
            if n_complete < 2:
                c[:] = np.nan
            mean = shift + sc / n_complete
            item_n = np.full(len(idx), n_complete)
    return c, mean, item_n, n, int(moments.n_rows), n_complete


def _objects(values: Sequence[Any]) -> np.ndarray:
    """A 1-D object array of these values as they are (tuples stay elements)."""
    out = np.empty(len(values), dtype=object)
    for i, value in enumerate(values):
        out[i] = value
    return out


def cronbach_alpha_batch(
    moments: Mapping[Any, PairwiseMoments],
    *,
    items: Sequence[str] | None = None,
    reverse: Collection[str] = (),
    scale: ScaleRange = None,
    missing: MissingPolicy = "pairwise",
    ci: float = 0.95,
    min_n: int = MIN_RESPONDENTS,
    min_pair_n: int = MIN_PAIR_RESPONDENTS,
) -> AlphaBatchResult:
    """Cronbach's alpha of the same scale in many groups, from each group's moments at once.

    Parameters
    ----------
    moments : mapping of hashable group key -> PairwiseMoments
        Moments of the *unreversed* answers of each group (e.g. library); every accumulator
        must contain ``items``.
    items : sequence of str, optional
        The scale's items (default: the items of the first group's moments).
    reverse, scale, missing, ci, min_n, min_pair_n
        As :func:`cronbach_alpha_from_moments`.

    Returns
    -------
    AlphaBatchResult
        ``.scales`` (one row per group) and ``.items`` (one row per group and item) hold the
        same numbers as :func:`cronbach_alpha_from_moments` called on each group.

    Raises
    ------
    TypeError
        A value that is not a PairwiseMoments; a bad ``scale`` range.
    ValueError
        Errors that do not depend on a group's data: unknown items (in any group), fewer than
        2 items, a reversed item without a declared range, an unknown policy or level.

    Notes
    -----
    A group whose data cannot give an alpha — no rows, observed values outside a declared
    range, an item with zero variance, an item pair answered together by fewer than 2
    respondents, fewer than ``min_n`` respondents in N, or listwise moments that are not the
    scale's own — does **not** raise: its ``.scales`` row has NaN statistics (the counts are
    kept), the per-group function's error message in ``note`` and its code in ``reason``, and
    it has no rows in ``.items``. A computed group's warnings (the ``notes`` of
    :func:`cronbach_alpha`) are in ``notes``.

    The formulas are those of :func:`cronbach_alpha_from_moments` and
    :func:`cronbach_alpha` (psych 2.2.9 ``alpha``), applied to the stack of the G groups'
    keyed k × k covariance matrices D C D at once with the module's own stacked helpers
    (``_alpha_1``, ``_smc_stack``): alpha = k/(k−1)(1 − tr C/ΣC), std_alpha, λ6 from
    smc_i = 1 − 1/(R⁺)_ii, r̄, ase = √(Q/N), the Feldt interval
    1 − (1−α) F⁻¹(1 ∓ p/2; N−1, (N−1)(k−1)) (one vectorised F quantile call for all groups),
    alpha ∓ z·ase, and per item r.drop and the statistics of the k stacked (k−1) × (k−1)
    matrices without the item.

    References
    ----------
    Revelle, W. (2022). psych: Procedures for Psychological, Psychometric, and Personality
    Research, version 2.2.9, function ``alpha``. https://CRAN.R-project.org/package=psych

    Feldt, L. S., Woodruff, D. J., & Salih, F. A. (1987). Statistical inference for coefficient
    alpha. Applied Psychological Measurement, 11(1), 93–103.

    Duhachek, A., & Iacobucci, D. (2004). Alpha's standard error (ASE): an accurate and precise
    confidence interval estimate. Journal of Applied Psychology, 89(5), 792–808.
    """
    check_choice("missing", missing, _MISSING)
    level = check_level("ci", ci)
    if not isinstance(moments, Mapping):
        raise TypeError(
            f"moments must be a mapping of PairwiseMoments, got {type(moments).__name__}"
        )
    keys = list(moments)
    groups = [moments[key] for key in keys]
    for value in groups:
        if not isinstance(value, PairwiseMoments):
            raise TypeError(f"moments values must be PairwiseMoments, got {type(value).__name__}")
    if isinstance(items, str):
        raise TypeError("items must be a sequence of names, not a single string")
    if items is None:
        if not groups:
            raise ValueError("items must be given when there are no groups")
        names = list(groups[0].items)
    else:
        names = [str(i) for i in items]
    if len(names) < 2:
        raise ValueError(f"need at least 2 items, got {len(names)}")
    ranges = item_ranges(names, reverse, scale)
    rev = set(str(r) for r in reverse)
    sign = np.array([-1.0 if n in rev else 1.0 for n in names])
    adjust = np.array([sum(ranges[n]) if n in rev else 0.0 for n in names])
    k = len(names)
    g_count = len(groups)

    c = np.full((g_count, k, k), np.nan)
    mean = np.full((g_count, k), np.nan)
    item_n = np.zeros((g_count, k), dtype=np.int64)
    n_rows = np.zeros(g_count, dtype=np.int64)
    n_complete = np.zeros(g_count, dtype=np.int64)
    no_missing = np.zeros(g_count, dtype=bool)
    notes: list[str | None] = [None] * g_count
    reasons: list[Reason | None] = [None] * g_count
    pair_counts = np.zeros((g_count, k, k))
    index_cache: dict[tuple[str, ...], np.ndarray] = {}
    for g, mom in enumerate(groups):
        idx = index_cache.get(mom.items)
        if idx is None:
            absent = [i for i in names if i not in mom.items]
            if absent:
                raise ValueError(f"unknown items {absent!r}")
            idx = index_cache[mom.items] = np.array([mom.items.index(i) for i in names])
        if mom.n_rows == 0:
            notes[g] = "no rows have been added to the moments"
            reasons[g] = Reason.NO_RESPONSES
            continue
        # the counts of a group are kept whatever happens to its alpha
        n_rows[g] = mom.n_rows
        n_complete[g] = int(mom._pattern_rows[mom._patterns[:, idx].all(axis=1)].sum())
        try:
            check_observed_range(
                dict(zip(names, mom._min[idx], strict=True)),
                dict(zip(names, mom._max[idx], strict=True)),
                ranges,
            )
        except ValueError as exc:
            notes[g] = str(exc)
            reasons[g] = Reason.OUT_OF_RANGE
            continue
        try:
            full = sorted(names) == sorted(mom.items)
            cg, mg, ng, pair_n, n_rows[g], n_complete[g] = _group_moments(mom, idx, missing, full)
        except ValueError as exc:
            notes[g] = str(exc)
            reasons[g] = Reason.INVALID_DATA
            continue
        c[g], mean[g], item_n[g] = cg, mg, ng
        pair_counts[g] = pair_n
        no_missing[g] = missing == "listwise" or bool((pair_n == mom.n_rows).all())
    n_used = n_complete if missing == "listwise" else n_rows

    c = c * sign[:, None] * sign[None, :]
    mean = np.where(sign < 0, adjust - mean, mean)
    diag_c = np.diagonal(c, axis1=1, axis2=2)
    for g in range(g_count):
        if notes[g] is not None:
            continue
        try:
            check_min_n(int(n_used[g]), min_n, missing)
            if np.isnan(c[g]).any() or not (diag_c[g] > 0.0).all():
                _check_cov(c[g], names)
        except StatisticUnavailable as exc:
            notes[g] = str(exc)
            reasons[g] = exc.code
    ok = np.array([note is None for note in notes], dtype=bool)
    good = np.flatnonzero(ok)
    cv, mv, nv = c[good], mean[good], n_used[good]
    gv = len(good)

    # R = cov2cor(C) for each matrix of the stack
    with np.errstate(invalid="ignore", divide="ignore"):
        inv_sd = 1.0 / np.sqrt(np.diagonal(cv, axis1=1, axis2=2))
    r = cv * inv_sd[:, :, None] * inv_sd[:, None, :]
    r[:, np.arange(k), np.arange(k)] = 1.0
    total = _alpha_1(cv, r) if gv else {}

    # the columns are filled as arrays and the frame made once (a frame per scale and batch
    # of libraries: column-by-column assignment was most of a report run's finalising)
    stats = {col: np.full(g_count, np.nan) for col in (*_BATCH_SCALE_COLUMNS[:12], "mean", "sd")}
    group_notes_by_position: list[tuple[Note, ...]] = [()] * g_count
    if gv:
        with np.errstate(invalid="ignore"):
            ase = np.sqrt(total["q"] / nv)
        z = special.ndtri(0.5 + level / 2.0)
        p = 1.0 - level
        df1 = nv - 1
        df2 = (nv - 1) * (k - 1)
        quantiles = special.fdtri(
            df1[None, :], df2[None, :], np.array([1.0 - p / 2.0, p / 2.0])[:, None]
        )
        alpha = total["alpha"]
        with np.errstate(invalid="ignore", divide="ignore"):
            person_sum = c[good].sum(axis=(1, 2))
            person_mean = np.where(no_missing[good], mv.mean(axis=1), np.nan)
            person_sd = np.where(no_missing[good], np.sqrt(person_sum) / k, np.nan)
        values = {
            "alpha": alpha,
            "std_alpha": total["std_alpha"],
            "g6": total["g6"],
            "average_r": total["average_r"],
            "median_r": total["median_r"],
            "var_r": total["var_r"],
            "signal_noise": total["signal_noise"],
            "ase": ase,
            "ci_low": 1.0 - (1.0 - alpha) * quantiles[0],
            "ci_high": 1.0 - (1.0 - alpha) * quantiles[1],
            "duhachek_low": alpha - z * ase,
            "duhachek_high": np.minimum(alpha + z * ase, 1.0),
            "mean": person_mean,
            "sd": person_sd,
        }
        for col, value in values.items():
            stats[col][good] = value
        missing_cells = (pair_counts[good] < nv[:, None, None]).any(axis=(1, 2))
        group_notes = _quality_notes(
            r,
            pair_counts[good] if missing == "pairwise" and missing_cells.any() else None,
            nv,
            names,
            {n for n, sg in zip(names, sign, strict=True) if sg < 0},
            min_pair_n,
            alpha + z * ase > 1.0,
            ~np.isfinite(ase),
        )
        for position, group_note in zip(good.tolist(), group_notes, strict=True):
            group_notes_by_position[position] = group_note
    columns_: dict[str, Any] = {col: stats[col] for col in _BATCH_SCALE_COLUMNS[:12]}
    columns_["ci_level"] = np.full(g_count, level)
    columns_["n_respondents"] = n_rows
    columns_["n_complete"] = n_complete
    columns_["n_used"] = n_used
    columns_["n_items"] = np.full(g_count, k, dtype=np.int64)
    index = pd.Index(keys, name="group", tupleize_cols=False)
    columns_["missing"] = pd.Series([missing] * g_count, index=index)
    columns_["mean"] = stats["mean"]
    columns_["sd"] = stats["sd"]
    columns_["note"] = pd.Series(_objects(notes), index=index, dtype=object)
    columns_["reason"] = pd.Series(_objects(reasons), index=index, dtype=object)
    columns_["notes"] = pd.Series(_objects(group_notes_by_position), index=index, dtype=object)
    scales = pd.DataFrame(columns_, index=index)

    # items: the k "if deleted" matrices of every group as one (gv·k, k-1, k-1) stack
    drop_cols = ("alpha", "std_alpha", "g6", "average_r", "signal_noise", "q", "var_r", "median_r")
    if k > 2 and gv:
        rest = np.array([[j for j in range(k) if j != i] for i in range(k)])
        sub = (slice(None), rest[:, :, None], rest[:, None, :])
        drop = {
            key: value.reshape(gv, k)
            for key, value in _alpha_1(
                cv[sub].reshape(gv * k, k - 1, k - 1), r[sub].reshape(gv * k, k - 1, k - 1)
            ).items()
        }
    else:
        drop = {col: np.full((gv, k), np.nan) for col in drop_cols}
    sum_r = r.sum(axis=(1, 2))
    rc = r.copy()
    if gv:
        rc[:, np.arange(k), np.arange(k)] = _smc_stack(r)
    sum_c = cv.sum(axis=(1, 2))
    col_c = cv.sum(axis=1)
    dv = np.diagonal(cv, axis1=1, axis2=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        r_drop = (col_c - dv) / np.sqrt(dv * (sum_c[:, None] - 2.0 * col_c + dv))
        raw_r = np.where(no_missing[good][:, None], col_c / np.sqrt(dv * sum_c[:, None]), np.nan)
        columns = {
            "reversed": np.tile(sign < 0, gv),
            "n": item_n[good].astype(int).ravel(),
            "mean": mv.ravel(),
            "sd": np.sqrt(dv).ravel(),
            "raw_r": raw_r.ravel(),
            "std_r": (r.sum(axis=1) / np.sqrt(sum_r)[:, None]).ravel(),
            "r_cor": (rc.sum(axis=1) / np.sqrt(rc.sum(axis=(1, 2)))[:, None]).ravel(),
            "r_drop": r_drop.ravel(),
            "alpha_if_deleted": drop["alpha"].ravel(),
            "std_alpha_if_deleted": drop["std_alpha"].ravel(),
            "g6_if_deleted": drop["g6"].ravel(),
            "average_r_if_deleted": drop["average_r"].ravel(),
            "signal_noise_if_deleted": drop["signal_noise"].ravel(),
            "ase_if_deleted": np.sqrt(drop["q"] / nv[:, None]).ravel(),
            "var_r_if_deleted": drop["var_r"].ravel(),
            "median_r_if_deleted": drop["median_r"].ravel(),
        }
    group_keys = [keys[g] for g in good]
    index = pd.MultiIndex.from_arrays(
        [
            pd.Index(np.repeat(np.array(group_keys + [None], dtype=object)[:-1], k), dtype=object),
            np.tile(np.array(names, dtype=object), gv),
        ],
        names=["group", "item"],
    )
    return AlphaBatchResult(scales=scales, items=pd.DataFrame(columns, index=index))
