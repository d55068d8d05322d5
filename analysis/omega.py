"""McDonald's omega from a one-factor model, as ``psych::omega(x, nfactors=1)`` reports it.

Both definitions of total omega are returned: psych's ``omega.tot`` (denominator: the
*observed* variance of the standardized sum score, 1'R1) as ``omega_total``, and McDonald's
model-implied omega (denominator: (Σλ)² + Σψ) as ``omega_model``. They differ in the third or
fourth decimal on real scales; ``omega_total`` is the one the project reports, because it is
psych's published number and uses the same denominator as standardized alpha.
"""

from __future__ import annotations

from collections.abc import Collection
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy import optimize

from analysis._checks import ScaleRange
from analysis._checks import check_choice
from analysis._checks import keyed_items
from analysis.reliability import PairwiseMoments
from analysis.reliability import _keyed_moments
from analysis.reliability import smc
from analysis.results import MissingPolicy
from analysis.results import OmegaResult

__all__ = ["omega_total", "omega_total_from_moments"]

Method = Literal["minres", "ml"]

#: psych bounds uniquenesses to [0.005, 1] in fa(); the same bound on |λ| for minres.
_MIN_UNIQUENESS = 0.005


def _minres_loadings(r: np.ndarray) -> np.ndarray:
    """One-factor minres (unweighted least squares on the off-diagonal) loadings."""
    k = r.shape[0]
    off = ~np.eye(k, dtype=bool)

    def residual(lam: np.ndarray) -> np.ndarray:
        return np.where(off, r - np.outer(lam, lam), 0.0)

    def objective(lam: np.ndarray) -> tuple[float, np.ndarray]:
        e = residual(lam)
        return 0.5 * float((e**2).sum()), -2.0 * e @ lam

    bound = np.sqrt(1.0 - _MIN_UNIQUENESS)
    start = np.sqrt(np.clip(smc(r), 0.05, bound**2))
    fit = optimize.minimize(
        objective,
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=[(-bound, bound)] * k,
        options={"gtol": 1e-10, "maxiter": 10_000},
    )
    lam = np.asarray(fit.x, dtype=float)
    interior = np.abs(lam) < bound - 1e-9
    if interior.all():
        # Newton polish with the exact Hessian: L-BFGS-B stops around 1e-8.
        for _ in range(50):
            e = residual(lam)
            grad = -2.0 * e @ lam
            sq = lam**2
            hess = -2.0 * e + 2.0 * np.outer(lam, lam)
            np.fill_diagonal(hess, 2.0 * (sq.sum() - sq))
            try:
                step = np.linalg.solve(hess, grad)
            except np.linalg.LinAlgError:
                break
            lam = lam - step
            if np.abs(step).max() < 1e-15:
                break
    grad = -2.0 * residual(lam) @ lam
    free = np.abs(lam) < bound - 1e-9
    if not np.all(np.isfinite(lam)) or np.abs(grad[free]).max(initial=0.0) > 1e-8:
        raise RuntimeError(f"minres one-factor fit did not converge: {fit.message}")
    return lam


def _ml_loadings(r: np.ndarray, n_obs: int) -> np.ndarray:
    """One-factor maximum-likelihood loadings via statsmodels (optional dependency)."""
    try:
        from statsmodels.multivariate.factor import Factor
    except ImportError as exc:  # pragma: no cover - statsmodels is a declared dependency
        raise ImportError('method="ml" needs statsmodels') from exc
    # Deterministic start at the minres solution: statsmodels' default start is random.
    start = _minres_loadings(r)
    fit = Factor(corr=r, n_factor=1, method="ml", nobs=n_obs).fit(
        start=(start[:, None], 1.0 - start**2)
    )
    return np.asarray(fit.loadings[:, 0], dtype=float)


def _omega_from_corr(
    r: np.ndarray,
    *,
    names: list[str],
    reversed_items: Collection[str],
    method: Method,
    missing: MissingPolicy,
    n_respondents: int,
    n_complete: int,
    n_obs: int,
) -> OmegaResult:
    if np.isnan(r).any():
        raise ValueError(
            "the correlation matrix has undefined entries (an item without variance, or an "
            "item pair answered together by fewer than 2 respondents)"
        )
    k = len(names)
    reversed_set = set(reversed_items)
    lam = _minres_loadings(r) if method == "minres" else _ml_loadings(r, n_obs)
    if lam.sum() < 0:
        lam = -lam
    communality = lam**2
    uniq = 1.0 - communality
    v_t = r.sum()
    g2 = lam.sum() ** 2
    items = pd.DataFrame(
        {
            "reversed": [n in reversed_set for n in names],
            "loading": lam,
            "communality": communality,
            "uniqueness": uniq,
        },
        index=pd.Index(names, name="item"),
    )
    return OmegaResult(
        omega_total=float((v_t - uniq.sum()) / v_t),
        omega_model=float(g2 / (g2 + uniq.sum())),
        omega_hierarchical=float(g2 / v_t),
        alpha=float((v_t - np.trace(r)) / v_t * k / (k - 1)),
        g6=float((v_t + smc(r).sum() - np.trace(r)) / v_t),
        method=method,
        missing=missing,
        n_respondents=int(n_respondents),
        n_complete=int(n_complete),
        n_items=k,
        items=items,
    )


def omega_total(
    data: pd.DataFrame,
    *,
    items: Sequence[str] | None = None,
    reverse: Collection[str] = (),
    scale: ScaleRange = None,
    method: Method = "minres",
    missing: MissingPolicy = "pairwise",
) -> OmegaResult:
    """McDonald's omega for one scale from a one-factor model.

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
    method : {"minres", "ml"}, default "minres"
        ``"minres"``: least squares on the off-diagonal correlations, as psych
        ``fa(fm="minres")`` (scipy L-BFGS-B, ψ bounded below by 0.005 as psych);
        ``"ml"``: maximum likelihood via ``statsmodels.multivariate.factor.Factor``.
    missing : {"pairwise", "listwise"}, default "pairwise"
        Pearson correlations from pairwise-complete rows (R ``cor(x, use="pairwise")``, as
        ``psych::omega``) or from complete rows only. The ML fit uses N = all rows (pairwise)
        or complete rows (listwise); minres does not depend on N.

    Returns
    -------
    OmegaResult
        ``omega_total`` (psych's ω_t, the reported value), ``omega_model`` (McDonald's
        model-implied ω), ``omega_hierarchical``, and loadings / uniquenesses per item.

    Raises
    ------
    TypeError, ValueError
        As :func:`analysis.reliability.cronbach_alpha`; also for an undefined correlation.
    RuntimeError
        If the minres fit does not converge.

    Notes
    -----
    With λ the standardized one-factor loadings (oriented so Σλ > 0), ψ_i = 1 − λ_i² and
    V_t = 1'R1 the sum of the correlation matrix of the keyed items:

    * ``omega_total`` = 1 − Σψ / V_t (psych ``omega.tot``: observed total variance);
    * ``omega_model`` = (Σλ)² / ((Σλ)² + Σψ) (McDonald 1999, model-implied variance);
    * ``omega_hierarchical`` = (Σλ)² / V_t (psych ``omega_h``; for one factor it is not a
      hierarchical coefficient, psych prints it anyway);
    * ``alpha`` = (V_t − tr R)/V_t · k/(k−1), ``g6`` = (V_t + Σ smc − tr R)/V_t.

    Unlike psych (``flip=TRUE``) no item is reflected because of a negative loading: keys are
    declared, never inferred; a negative loading stays in the result for the caller to see.
    Correlations are Pearson on the response codes (psych's default ``poly=FALSE``).

    References
    ----------
    McDonald, R. P. (1999). Test theory: A unified treatment. Mahwah, NJ: Erlbaum.
    Revelle, W., & Zinbarg, R. E. (2009). Coefficients alpha, beta, omega, and the glb.
    Psychometrika, 74, 145–154.
    Revelle, W. (2022). psych: Procedures for Psychological, Psychometric, and Personality
    Research, version 2.2.9, functions ``omega``, ``omegah``, ``schmid``, ``fa``.
    https://CRAN.R-project.org/package=psych

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=500)
    >>> df = pd.DataFrame({f"q{i}": 0.7 * f + rng.normal(size=500) for i in range(4)})
    >>> res = omega_total(df)
    >>> bool(0.6 < res.omega_total < 0.75)
    True
    """
    check_choice("method", method, ("minres", "ml"))
    check_choice("missing", missing, ("pairwise", "listwise"))
    frame, reversed_items = keyed_items(data, items, reverse, scale)
    n_rows = len(frame)
    complete = frame.notna().all(axis=1).to_numpy()
    n_complete = int(complete.sum())
    if missing == "listwise":
        frame = frame.loc[complete]
    r = frame.corr().to_numpy()
    return _omega_from_corr(
        r,
        names=list(frame.columns),
        reversed_items=reversed_items,
        method=method,
        missing=missing,
        n_respondents=n_rows,
        n_complete=n_complete,
        n_obs=n_rows if missing == "pairwise" else n_complete,
    )


def omega_total_from_moments(
    moments: PairwiseMoments,
    *,
    items: Sequence[str] | None = None,
    reverse: Collection[str] = (),
    scale: ScaleRange = None,
    method: Method = "minres",
    missing: MissingPolicy = "pairwise",
) -> OmegaResult:
    """:func:`omega_total` from accumulated :class:`~analysis.reliability.PairwiseMoments`.

    Parameters
    ----------
    moments : PairwiseMoments
        Moments of the unreversed answers.
    items, reverse, scale, method, missing
        As :func:`omega_total`; ``missing="listwise"`` needs moments of exactly the scale's
        items.

    Returns
    -------
    OmegaResult
        Equal to :func:`omega_total` on the same rows (to rounding).

    Notes
    -----
    The pairwise Pearson correlations are recovered from the pair moments
    (:meth:`PairwiseMoments.corr`); reversal flips the sign of the item's correlations. All
    formulas as :func:`omega_total`.

    References
    ----------
    McDonald, R. P. (1999). Test theory: A unified treatment. Mahwah, NJ: Erlbaum.
    """
    check_choice("method", method, ("minres", "ml"))
    check_choice("missing", missing, ("pairwise", "listwise"))
    sub, reversed_items, sign, _ = _keyed_moments(moments, items, reverse, scale)
    r = sub.corr(missing).to_numpy() * sign[:, None] * sign[None, :]
    return _omega_from_corr(
        r,
        names=list(sub.items),
        reversed_items=reversed_items,
        method=method,
        missing=missing,
        n_respondents=sub.n_rows,
        n_complete=sub.n_complete,
        n_obs=sub.n_rows if missing == "pairwise" else sub.n_complete,
    )
