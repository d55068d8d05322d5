"""Exploratory factor analysis: does an instrument's intended structure hold in the data?

A thin wrapper around statsmodels' :class:`~statsmodels.multivariate.factor.Factor` with plain
inputs (a DataFrame of answers, or a correlation matrix and its n), a tidy frozen result, and a
refusal with a reason when the data cannot carry the model (too few respondents, a pair of
items never answered together, an item without variance, a singular correlation matrix, a fit
that does not converge).

Extraction and rotation are the ones where statsmodels and R give the same numbers
(``tests/analysis/reference/psych_fa.R``): maximum likelihood (``method="ml"``, R
``factanal`` and ``psych::fa(fm="ml")``) with oblimin (γ = 0, *quartimin*; R
``GPArotation::oblimin``, psych's ``rotate="oblimin"``) or varimax without Kaiser
normalisation (``GPArotation::Varimax``). The iterated principal-axis fit (``method="pa"``)
converges to psych's ``fm="minres"`` solution.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from typing import Literal

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from analysis._checks import check_choice
from analysis.reasons import Note
from analysis.reasons import Reason
from analysis.reasons import StatisticUnavailable

__all__ = [
    "MIN_EFA_RESPONDENTS",
    "MIN_EFA_RESPONDENTS_PER_ITEM",
    "FactorResult",
    "factor_analysis",
    "factor_analysis_from_corr",
]

Method = Literal["ml", "pa"]
Rotation = Literal["oblimin", "varimax", "none"]

#: fewest respondents for which a factor analysis is computed at all
MIN_EFA_RESPONDENTS = 100
#: and at least this many respondents per item
MIN_EFA_RESPONDENTS_PER_ITEM = 5
#: psych's lower bound on uniquenesses; a fit below it is a Heywood case
HEYWOOD_UNIQUENESS = 0.005
#: a loading at least this large (in absolute value) counts as "the item loads on the factor"
SALIENT_LOADING = 0.3
#: the ML optimiser: L-BFGS-B with tight tolerances (statsmodels' default BFGS took seconds on
#: 25 items and stopped on "precision loss" near Heywood solutions)
_ML_OPTIONS = {"ftol": 1e-14, "gtol": 1e-10, "maxiter": 2_000}
#: eigenvalues of the correlation matrix below this (relative to k) make it singular
_SINGULAR = 1e-8


@dataclass(frozen=True, slots=True)
class FactorResult:
    """A rotated factor solution.

    Attributes
    ----------
    loadings : DataFrame
        Items × factors (``F1``, ``F2``, ...): the rotated pattern loadings. Factors are ordered
        by the variance they account for, each signed so that its loadings sum to ≥ 0 (as
        psych orders and signs them).
    phi : DataFrame
        Factor correlations (identity for an orthogonal rotation).
    communality, uniqueness : Series
        h²_i = diag(Λ Φ Λ')_i (rotation-invariant) and u²_i = 1 − h²_i, per item.
    ss_loadings, proportion_var : Series
        Variance accounted for per factor: diag(Φ Λ'Λ) (psych's "SS loadings"; the column sums
        of squared loadings for an orthogonal rotation) and that divided by the number of items.
    total_var : float
        Share of the items' total variance the factors account for: Σh² / k.
    eigenvalues : tuple of float
        Eigenvalues of the correlation matrix, largest first (how many dimensions the data
        suggest: one dominant eigenvalue means one general factor).
    n_obs : int
        Respondents the correlations come from.
    n_factors : int
    method : str
        ``"ml"`` (maximum likelihood) or ``"pa"`` (iterated principal axis).
    rotation : str
        ``"oblimin"``, ``"varimax"`` or ``"none"``.
    notes : tuple of Note
        Warnings (a Heywood case).
    """

    loadings: pd.DataFrame
    phi: pd.DataFrame
    communality: pd.Series
    uniqueness: pd.Series
    ss_loadings: pd.Series
    proportion_var: pd.Series
    total_var: float
    eigenvalues: tuple[float, ...]
    n_obs: int
    n_factors: int
    method: str
    rotation: str
    notes: tuple[Note, ...] = field(default=())

    @property
    def items(self) -> list[str]:
        """Item names, in input order."""
        return [str(i) for i in self.loadings.index]

    def to_frame(self) -> pd.DataFrame:
        """Tidy long table: one row per item × factor with ``item``, ``factor``, ``loading``."""
        values = self.loadings.to_numpy()
        items, factors = self.items, [str(f) for f in self.loadings.columns]
        return pd.DataFrame(
            {
                "item": np.repeat(items, len(factors)),
                "factor": np.tile(factors, len(items)),
                "loading": values.reshape(-1),
            }
        )

    def primary_factor(self) -> pd.Series:
        """Item -> the factor with its largest absolute loading."""
        return self.loadings.abs().idxmax(axis=1)

    def structure(self, intended: Mapping[str, str]) -> tuple[pd.DataFrame, dict[str, str]]:
        """Compare the solution with an intended assignment of items to scales.

        Each intended scale is matched to one factor so that the sum, over scales, of the
        absolute loadings of the scale's items on its factor is largest (an assignment problem,
        Kuhn–Munkres, :func:`scipy.optimize.linear_sum_assignment`). An item *agrees* when its
        largest absolute loading is on its scale's factor; other loadings of at least
        ``SALIENT_LOADING`` in absolute value are listed as cross-loadings.

        Parameters
        ----------
        intended : mapping
            Item -> scale id, for the items of the solution (others are ignored).

        Returns
        -------
        table : DataFrame
            One row per item: ``item``, ``scale``, ``scale_factor`` (the factor matched to the
            scale, or None when there are more scales than factors), ``primary_factor``,
            ``loading`` (on the primary factor), ``agrees``, ``cross_loadings`` (factors).
        factor_of_scale : dict
            Scale -> matched factor.
        """
        items = [i for i in self.items if i in intended]
        scales = list(dict.fromkeys(intended[i] for i in items))
        factors = [str(f) for f in self.loadings.columns]
        weight = np.zeros((len(scales), len(factors)))
        for s, scale in enumerate(scales):
            members = [i for i in items if intended[i] == scale]
            weight[s] = self.loadings.loc[members].abs().sum(axis=0).to_numpy()
        rows, cols = linear_sum_assignment(-weight)
        factor_of_scale = {scales[r]: factors[c] for r, c in zip(rows, cols, strict=True)}
        primary = self.primary_factor()
        values = self.loadings.to_numpy()
        row_of = {item: i for i, item in enumerate(self.items)}
        records = []
        for item in items:
            scale = intended[item]
            top = str(primary[item])
            own = factor_of_scale.get(scale)
            row = values[row_of[item]]
            cross = [
                f
                for j, f in enumerate(factors)
                if f != top and abs(float(row[j])) >= SALIENT_LOADING
            ]
            records.append(
                {
                    "item": item,
                    "scale": scale,
                    "scale_factor": own,
                    "primary_factor": top,
                    "loading": float(row[factors.index(top)]),
                    "agrees": own == top,
                    "cross_loadings": tuple(cross),
                }
            )
        return pd.DataFrame.from_records(records), factor_of_scale


def factor_analysis(
    data: pd.DataFrame,
    n_factors: int,
    *,
    items: Sequence[str] | None = None,
    method: Method = "ml",
    rotation: Rotation = "oblimin",
    min_n: int = MIN_EFA_RESPONDENTS,
) -> FactorResult:
    """Exploratory factor analysis of item answers.

    The items' Pearson correlations are taken pairwise-complete (R ``cor(x, use="pairwise")``,
    as ``psych::fa`` does on raw data) and passed to :func:`factor_analysis_from_corr` with
    n = the number of rows (psych's ``n.obs``).

    Parameters
    ----------
    data : DataFrame
        One row per respondent, one numeric column per item; NaN = not answered. Reverse-keyed
        items should be recoded first, so that their loadings are positive.
    n_factors : int
        Number of factors to extract (e.g. the number of intended scales).
    items : sequence of str, optional
        Columns to use (default: all).
    method, rotation, min_n
        As :func:`factor_analysis_from_corr`.

    Returns
    -------
    FactorResult

    Raises
    ------
    StatisticUnavailable
        As :func:`factor_analysis_from_corr`; also an item without variance.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=(400, 2))
    >>> x = np.repeat(f, 3, axis=1) * 0.8 + rng.normal(size=(400, 6)) * 0.6
    >>> res = factor_analysis(pd.DataFrame(x, columns=list("abcdef")), 2)
    >>> sorted(res.primary_factor().groupby(res.primary_factor()).size().tolist())
    [3, 3]
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a DataFrame, got {type(data).__name__}")
    frame = data if items is None else data.loc[:, list(items)]
    frame = frame.apply(pd.to_numeric, errors="raise").astype(float)
    sd = frame.std()
    flat = [str(c) for c in frame.columns if not np.isfinite(sd[c]) or sd[c] == 0]
    if flat:
        raise StatisticUnavailable(
            Reason.ZERO_VARIANCE,
            f"items without variance cannot enter a factor analysis: {', '.join(flat)}",
            n=len(frame),
        )
    return factor_analysis_from_corr(
        frame.corr(), len(frame), n_factors, method=method, rotation=rotation, min_n=min_n
    )


def factor_analysis_from_corr(
    corr: pd.DataFrame,
    n_obs: int,
    n_factors: int,
    *,
    method: Method = "ml",
    rotation: Rotation = "oblimin",
    min_n: int = MIN_EFA_RESPONDENTS,
) -> FactorResult:
    """Exploratory factor analysis of a correlation matrix (statsmodels ``Factor``).

    Model: R ≈ Λ Φ Λ' + Ψ, Λ the k × m pattern loadings, Φ the factor correlations, Ψ the
    diagonal of uniquenesses. Extraction:

    * ``"ml"`` — maximum likelihood, minimising
      F = log|Σ| + tr(R Σ⁻¹) − log|R| − k over Σ = ΛΛ' + Ψ (Lawley & Maxwell 1971; R
      ``factanal``, ``psych::fa(fm="ml")``), started from a few EM steps with a fixed seed and
      optimised by L-BFGS-B;
    * ``"pa"`` — iterated principal axis from squared multiple correlations (converges to
      psych's ``fm="minres"``).

    Rotation (statsmodels ``factor_rotation``, gradient projection, Jennrich 2002):
    ``"oblimin"`` with γ = 0 (quartimin; GPArotation ``oblimin``), ``"varimax"`` without
    Kaiser normalisation (GPArotation ``Varimax``), or ``"none"``. For an oblique rotation with
    rotation matrix T, Λ = A (T')⁻¹ and Φ = T'T. Factors are then ordered by diag(Φ Λ'Λ),
    largest first, and each is signed so that its loadings sum to ≥ 0 (psych's convention).

    Parameters
    ----------
    corr : DataFrame
        k × k correlation matrix with item names as index and columns.
    n_obs : int
        Number of respondents behind it.
    n_factors : int
        Factors to extract, 1 ≤ m < k, with non-negative degrees of freedom
        ((k − m)² − (k + m)) / 2 ≥ 0.
    method : {"ml", "pa"}
    rotation : {"oblimin", "varimax", "none"}
    min_n : int
        Refuse below max(min_n, 5 k) respondents (default 100). Rules of thumb vary; with
        communalities around .5 and three or more items per factor, MacCallum, Widaman, Zhang &
        Hong (1999, Psychological Methods 4:84) find n of 100–200 adequate.

    Returns
    -------
    FactorResult

    Raises
    ------
    StatisticUnavailable
        ``insufficient_data`` (too few respondents), ``undefined_pair`` (a missing
        correlation), ``zero_variance`` (a diagonal that is not 1), ``invalid_data`` (too many
        factors for the items), ``not_positive_semidefinite`` (a negative eigenvalue, possible
        with pairwise correlations), ``singular_matrix`` (an eigenvalue of zero: an item is a
        linear combination of others), ``fit_failed`` (no convergence).
    ValueError
        Bad arguments (not square, unknown method).

    Notes
    -----
    A Heywood case (a uniqueness below 0.005, psych's bound) is reported as a note, not
    refused: the loadings are then unreliable and the table must say so.

    References
    ----------
    Lawley, D. N., & Maxwell, A. E. (1971). *Factor analysis as a statistical method* (2nd
    ed.). Butterworths. — Jennrich, R. I. (2002). A simple general method for oblique rotation.
    *Psychometrika* 67(1), 7–19. — R ``psych::fa`` (Revelle), ``GPArotation`` (Bernaards &
    Jennrich 2005).
    """
    check_choice("method", method, ("ml", "pa"))
    check_choice("rotation", rotation, ("oblimin", "varimax", "none"))
    if not isinstance(corr, pd.DataFrame):
        raise TypeError(f"corr must be a DataFrame, got {type(corr).__name__}")
    r = corr.to_numpy(dtype=float)
    names = [str(c) for c in corr.columns]
    k = len(names)
    if r.shape != (k, k) or [str(i) for i in corr.index] != names:
        raise ValueError("corr must be square with the same items as index and columns")
    if isinstance(n_factors, bool) or not isinstance(n_factors, int | np.integer):
        raise TypeError("n_factors must be an integer")
    m = int(n_factors)
    if m < 1:
        raise ValueError("n_factors must be at least 1")
    needed = max(int(min_n), MIN_EFA_RESPONDENTS_PER_ITEM * k)
    if n_obs < needed:
        raise StatisticUnavailable(
            Reason.INSUFFICIENT_DATA,
            f"a factor analysis of {k} items needs at least {needed} respondents, "
            f"there are {n_obs}",
            n=n_obs,
        )
    if m >= k or (k - m) ** 2 - (k + m) < 0:
        raise StatisticUnavailable(
            Reason.INVALID_DATA,
            f"{m} factors cannot be identified from {k} items "
            f"(degrees of freedom ((k - m)² - (k + m)) / 2 < 0)",
            n=n_obs,
        )
    if not np.isfinite(r).all():
        bad = [names[i] for i in range(k) if not np.isfinite(r[i]).all()]
        raise StatisticUnavailable(
            Reason.UNDEFINED_PAIR,
            f"correlations undefined for items {', '.join(bad)} "
            "(never answered together, or without variance)",
            n=n_obs,
        )
    if not np.allclose(np.diag(r), 1.0):
        raise StatisticUnavailable(
            Reason.ZERO_VARIANCE, "the diagonal of the correlation matrix is not 1", n=n_obs
        )
    r = (r + r.T) / 2.0
    eigenvalues = np.linalg.eigvalsh(r)
    smallest = float(eigenvalues[0])
    if smallest < -_SINGULAR * k:
        raise StatisticUnavailable(
            Reason.NOT_POSITIVE_SEMIDEFINITE,
            f"the pairwise correlation matrix has a negative eigenvalue ({smallest:.3g})",
            n=n_obs,
        )
    if smallest < _SINGULAR * k:
        raise StatisticUnavailable(
            Reason.SINGULAR_MATRIX,
            "the correlation matrix is singular: an item is a linear combination of others",
            n=n_obs,
        )
    loadings, phi, uniq = _fit(r, m, n_obs, method, rotation)
    labels = [f"F{j + 1}" for j in range(m)]
    order = np.argsort(-np.diag(phi @ loadings.T @ loadings), kind="stable")
    loadings, phi = loadings[:, order], phi[np.ix_(order, order)]
    sign = np.where(loadings.sum(axis=0) < 0, -1.0, 1.0)
    loadings, phi = loadings * sign, phi * np.outer(sign, sign)
    communality = np.einsum("ij,jk,ik->i", loadings, phi, loadings)
    ss = np.diag(phi @ loadings.T @ loadings)
    notes: list[Note] = []
    low = [names[i] for i in range(k) if uniq[i] < HEYWOOD_UNIQUENESS]
    if low:
        notes.append(
            Note(
                Reason.HEYWOOD,
                f"uniqueness below {HEYWOOD_UNIQUENESS} for {', '.join(low)}: "
                "the loadings of this solution are not trustworthy",
                "factor_analysis",
            )
        )
    return FactorResult(
        loadings=pd.DataFrame(loadings, index=names, columns=labels),
        phi=pd.DataFrame(phi, index=labels, columns=labels),
        communality=pd.Series(communality, index=names, name="communality"),
        uniqueness=pd.Series(1.0 - communality, index=names, name="uniqueness"),
        ss_loadings=pd.Series(ss, index=labels, name="ss_loadings"),
        proportion_var=pd.Series(ss / k, index=labels, name="proportion_var"),
        total_var=float(communality.sum() / k),
        eigenvalues=tuple(float(v) for v in eigenvalues[::-1]),
        n_obs=int(n_obs),
        n_factors=m,
        method=method,
        rotation=rotation,
        notes=tuple(notes),
    )


def _fit(
    r: np.ndarray, m: int, n_obs: int, method: str, rotation: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unrotated fit and rotation with statsmodels; (Λ, Φ, ψ) or a refusal."""
    from statsmodels.multivariate.factor import Factor
    from statsmodels.multivariate.factor_rotation import rotate_factors
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    model = Factor(corr=r, n_factor=m, method=method, nobs=n_obs)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fitted = (
                model.fit(rng=0, opt_method="L-BFGS-B", opt=_ML_OPTIONS)
                if method == "ml"
                else model.fit(maxiter=1000)
            )
        except (np.linalg.LinAlgError, FloatingPointError, ValueError) as error:
            raise StatisticUnavailable(
                Reason.FIT_FAILED, f"the factor model could not be fitted ({error})", n=n_obs
            ) from None
    unrotated = np.asarray(fitted.loadings_no_rot, dtype=float).reshape(len(r), m)
    uniq = np.asarray(fitted.uniqueness, dtype=float)
    if not (np.isfinite(unrotated).all() and np.isfinite(uniq).all()):
        raise StatisticUnavailable(
            Reason.FIT_FAILED, "the factor model gave non-finite loadings", n=n_obs
        )
    stalled = any(issubclass(w.category, ConvergenceWarning) for w in caught)
    # an optimiser stalled at the Heywood boundary (a uniqueness at zero) is psych's bounded
    # solution, reported with the Heywood note; stalled anywhere else, the fit failed
    if stalled and uniq.min() >= HEYWOOD_UNIQUENESS:
        raise StatisticUnavailable(Reason.FIT_FAILED, "the factor model did not converge", n=n_obs)
    if rotation == "none" or m == 1:
        return unrotated, np.eye(m), uniq
    if rotation == "varimax":
        loadings, _ = rotate_factors(unrotated, "varimax")
        return np.asarray(loadings), np.eye(m), uniq
    loadings, t = rotate_factors(unrotated, "quartimin")
    t = np.asarray(t)
    return np.asarray(loadings), t.T @ t, uniq
