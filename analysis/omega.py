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
from analysis.reasons import Note
from analysis.reasons import Reason
from analysis.reasons import StatisticUnavailable
from analysis.reliability import MIN_RESPONDENTS
from analysis.reliability import PairwiseMoments
from analysis.reliability import _keyed_moments
from analysis.reliability import check_min_n
from analysis.reliability import smc
from analysis.results import MissingPolicy
from analysis.results import OmegaResult

__all__ = ["omega_total", "omega_total_from_moments"]

Method = Literal["minres", "ml"]

#: psych bounds uniquenesses to [0.005, 1] in fa().
_MIN_UNIQUENESS = 0.005
#: bound on |λ| in the first (λ-parametrised) minres fit; beyond √0.995 psych's ψ bound rules
_MAX_LOADING = 10.0


def _bounded_axis(r: np.ndarray, psi: np.ndarray) -> np.ndarray:
    """First principal axis of R − diag(ψ), scaled by √eigenvalue, oriented so Σλ ≥ 0."""
    values, vectors = np.linalg.eigh(r - np.diag(psi))
    lam = vectors[:, -1] * np.sqrt(max(values[-1], 0.0))
    oriented: np.ndarray = -lam if lam.sum() < 0 else lam
    return oriented


def _heywood_loadings(r: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """psych's minres solution when a uniqueness sits at its lower bound 0.005.

    psych's ``fa(fm="minres")`` optimises ψ ∈ [0.005, 1] with L-BFGS-B on the gradient
    diag(λλ' + Ψ − R), λ the first principal axis of R − diag(ψ); the loadings are that axis,
    so a bounded item's λ² may exceed 1 − 0.005 and even 1. The point where that gradient
    vanishes for every free ψ is found by the bounded principal-axis iteration
    ψ ← clip(1 − λ(ψ)², 0.005, 1), polished by root finding on the free ψ.
    """
    psi = np.clip(1.0 - lam**2, _MIN_UNIQUENESS, 1.0)
    for _ in range(10_000):
        new = np.clip(1.0 - _bounded_axis(r, psi) ** 2, _MIN_UNIQUENESS, 1.0)
        step = float(np.abs(new - psi).max())
        psi = new
        if step < 1e-15:
            break
    free = psi > _MIN_UNIQUENESS

    def gradient(psi_free: np.ndarray) -> np.ndarray:
        full = psi.copy()
        full[free] = psi_free
        out: np.ndarray = _bounded_axis(r, full)[free] ** 2 + psi_free - 1.0
        return out

    if free.any() and np.abs(gradient(psi[free])).max() > 1e-12:
        sol = optimize.root(gradient, psi[free], method="hybr", options={"xtol": 1e-15})
        psi[free] = np.clip(sol.x, _MIN_UNIQUENESS, 1.0)
    out = _bounded_axis(r, psi)
    bounded_ok = out[~free] ** 2 + _MIN_UNIQUENESS - 1.0 >= -1e-9
    if (
        not np.all(np.isfinite(out))
        or (free.any() and np.abs(gradient(psi[free])).max() > 1e-9)
        or not bounded_ok.all()
    ):
        raise StatisticUnavailable(
            Reason.FIT_FAILED, "the minres one-factor fit did not converge (Heywood case)"
        )
    return out


def _minres_loadings(r: np.ndarray) -> np.ndarray:
    """One-factor minres loadings as psych ``fa(fm="minres")``, Heywood cases included.

    First the unweighted least-squares fit of the off-diagonal correlations in λ (exact
    Hessian polish); when it needs a uniqueness below psych's bound 0.005 or does not reach a
    stationary point, psych's bounded solution (:func:`_heywood_loadings`).
    """
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
        bounds=[(-_MAX_LOADING, _MAX_LOADING)] * k,
        options={"gtol": 1e-10, "maxiter": 10_000},
    )
    lam = np.asarray(fit.x, dtype=float)
    if not np.all(np.isfinite(lam)):
        raise StatisticUnavailable(Reason.FIT_FAILED, "the minres one-factor fit failed")
    if np.abs(lam).max() > bound:
        # past psych's bound (or running off towards the box, as with one negative
        # correlation among three items: no finite least-squares solution); a Newton step
        # from there can land on the stationary point λ = 0
        return _heywood_loadings(r, lam)
    # Newton polish with the exact Hessian (L-BFGS-B stops around 1e-8), kept only if it
    # does not fit worse: a step can leave for another stationary point
    polished = lam
    for _ in range(50):
        e = residual(polished)
        grad = -2.0 * e @ polished
        sq = polished**2
        hess = -2.0 * e + 2.0 * np.outer(polished, polished)
        np.fill_diagonal(hess, 2.0 * (sq.sum() - sq))
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            break
        polished = polished - step
        if np.abs(step).max() < 1e-15:
            break
    if np.all(np.isfinite(polished)) and objective(polished)[0] <= objective(lam)[0] + 1e-12:
        lam = polished
    if np.abs(lam).max() > bound:
        return _heywood_loadings(r, lam)
    grad = -2.0 * residual(lam) @ lam
    if np.abs(grad).max(initial=0.0) > 1e-8:
        # e.g. three items with one negative correlation: no interior solution; psych's own
        # bounded iteration finds its (Heywood) answer
        return _heywood_loadings(r, lam)
    return lam


def _heywood_notes(lam: np.ndarray, names: Sequence[str]) -> tuple[Note, ...]:
    """psych's warning for communalities above 1, and ours for loadings at the bound."""
    communality = lam**2
    ultra = [n for n, h in zip(names, communality, strict=True) if h > 1.0]
    if ultra:
        detail = ", ".join(
            f"{n} (loading {v:.4f})"
            for n, v, h in zip(names, lam, communality, strict=True)
            if h > 1.0
        )
        return (
            Note(
                Reason.ULTRA_HEYWOOD,
                "An ultra-Heywood case was detected (communality above 1, negative "
                f"uniqueness): {detail}. Examine the results carefully.",
                "omega_total",
            ),
        )
    at_bound = [n for n, h in zip(names, communality, strict=True) if h >= 1 - _MIN_UNIQUENESS]
    if at_bound:
        return (
            Note(
                Reason.HEYWOOD,
                f"A Heywood case was detected: the uniqueness of {', '.join(at_bound)} is at "
                "its bound 0.005. Examine the results carefully.",
                "omega_total",
            ),
        )
    return ()


def _ml_loadings(r: np.ndarray, n_obs: int) -> np.ndarray:
    """One-factor maximum-likelihood loadings via statsmodels (optional dependency)."""
    try:
        from statsmodels.multivariate.factor import Factor
    except ImportError as exc:  # pragma: no cover - statsmodels is a declared dependency
        raise ImportError('method="ml" needs statsmodels') from exc
    # Deterministic start at the minres solution: statsmodels' default start is random.
    start = np.clip(_minres_loadings(r), -0.99, 0.99)
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
    min_n: int,
) -> OmegaResult:
    check_min_n(n_obs, min_n, missing)
    if np.isnan(r).any():
        raise StatisticUnavailable(
            Reason.UNDEFINED_PAIR,
            "the correlation matrix has undefined entries (an item without variance, or an "
            "item pair answered together by fewer than 2 respondents)",
            n=n_obs,
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
        notes=_heywood_notes(lam, names),
    )


def omega_total(
    data: pd.DataFrame,
    *,
    items: Sequence[str] | None = None,
    reverse: Collection[str] = (),
    scale: ScaleRange = None,
    method: Method = "minres",
    missing: MissingPolicy = "pairwise",
    min_n: int = MIN_RESPONDENTS,
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
    min_n : int, default 5
        Fewer respondents N than this (all rows pairwise, complete rows listwise) refuse the
        statistic with reason ``insufficient_data`` (:data:`analysis.MIN_RESPONDENTS`).

    Returns
    -------
    OmegaResult
        ``omega_total`` (psych's ω_t, the reported value), ``omega_model`` (McDonald's
        model-implied ω), ``omega_hierarchical``, and loadings / uniquenesses per item.

    Raises
    ------
    TypeError, ValueError
        As :func:`analysis.reliability.cronbach_alpha`.
    StatisticUnavailable
        (a ValueError) with its reason code: fewer than ``min_n`` respondents
        (``insufficient_data``), an undefined correlation (``undefined_pair``), a fit that
        does not converge (``fit_failed``).

    Notes
    -----
    With λ the standardized one-factor loadings (oriented so Σλ > 0), ψ_i = 1 − λ_i² and
    V_t = 1'R1 the sum of the correlation matrix of the keyed items:

    * ``omega_total`` = 1 − Σψ / V_t (psych ``omega.tot``: observed total variance);
    * ``omega_model`` = (Σλ)² / ((Σλ)² + Σψ) (McDonald 1999, model-implied variance);
    * ``omega_hierarchical`` = (Σλ)² / V_t (psych ``omega_h``; for one factor it is not a
      hierarchical coefficient, psych prints it anyway);
    * ``alpha`` = (V_t − tr R)/V_t · k/(k−1), ``g6`` = (V_t + Σ smc − tr R)/V_t.

    **Heywood cases.** psych's minres bounds every uniqueness below by 0.005 but takes the
    loadings from the first principal axis of R − diag(ψ), so a bounded item's loading can
    pass 1 (communality above 1, "ultra-Heywood"). The result is then psych's solution — the
    free ψ_i = 1 − λ_i² with the others at 0.005 — and carries a ``heywood`` or
    ``ultra_heywood`` note in ``notes``; ω is still 1 − Σψ/V_t with ψ_i = 1 − λ_i² (negative
    for an ultra-Heywood item), as psych. psych's own optimiser (L-BFGS-B on that gradient,
    which is not the gradient of its objective) stops short of this point in such cases, so
    its printed ω_t can differ from it in the fourth decimal.

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
        min_n=min_n,
    )


def omega_total_from_moments(
    moments: PairwiseMoments,
    *,
    items: Sequence[str] | None = None,
    reverse: Collection[str] = (),
    scale: ScaleRange = None,
    method: Method = "minres",
    missing: MissingPolicy = "pairwise",
    min_n: int = MIN_RESPONDENTS,
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
        min_n=min_n,
    )
