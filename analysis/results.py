"""Frozen result types of the reliability functions.

Other modules of :mod:`analysis` keep their own result classes in their own modules; this
module holds the ones returned by :mod:`analysis.reliability`, :mod:`analysis.omega` and
:mod:`analysis.splithalf`.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from dataclasses import fields
from typing import Any
from typing import Literal

import numpy as np
import pandas as pd

from analysis.reasons import Note

__all__ = [
    "AlphaResult",
    "ConfidenceInterval",
    "OmegaResult",
    "SplitHalfResult",
]

MissingPolicy = Literal["pairwise", "listwise"]


def _scalar_frame(obj: Any, exclude: tuple[str, ...]) -> pd.DataFrame:
    """One-row DataFrame of the scalar fields of a result dataclass."""
    row = {
        f.name: getattr(obj, f.name)
        for f in fields(obj)
        if f.name not in exclude and f.name != "notes"
    }
    return pd.DataFrame([row])


@dataclass(frozen=True, slots=True)
class ConfidenceInterval:
    """A two-sided confidence interval.

    Attributes
    ----------
    low, high : float
        Lower and upper limit.
    level : float
        Coverage, e.g. 0.95.
    method : str
        ``"feldt"`` or ``"duhachek"``.
    n : int
        The number of respondents N the interval was computed with.
    """

    low: float
    high: float
    level: float
    method: str
    n: int

    def to_frame(self) -> pd.DataFrame:
        """Return the interval as a one-row DataFrame."""
        return _scalar_frame(self, ())


@dataclass(frozen=True, slots=True)
class AlphaResult:
    """Cronbach's alpha and the rest of ``psych::alpha``'s output for one scale.

    Attributes
    ----------
    alpha : float
        Raw alpha, k/(k-1) (1 - tr C / 1'C1).
    std_alpha : float
        Standardized alpha from the correlation matrix R = cov2cor(C).
    g6 : float
        Guttman's lambda 6 (from squared multiple correlations).
    average_r, median_r, var_r : float
        Mean, median and variance (ddof 1) of the off-diagonal correlations.
    signal_noise : float
        Signal-to-noise ratio k r̄ / (1 - r̄).
    ase : float
        Asymptotic standard error of alpha (Duhachek & Iacobucci 2004), sqrt(Q / n_used).
    ci_low, ci_high : float
        Feldt confidence interval for alpha at level ``ci_level``, with N = ``n_used``.
    duhachek_low, duhachek_high : float
        alpha -/+ z_{(1+ci_level)/2} ase.
    ci_level : float
        Coverage of both intervals.
    n_respondents : int
        Number of rows of the data, including rows with missing cells.
    n_complete : int
        Number of rows with every item answered.
    n_used : int
        The N used in ``ase`` and both intervals: ``n_respondents`` under the pairwise policy
        (as psych), ``n_complete`` under the listwise policy.
    n_items : int
        Number of items k.
    missing : {"pairwise", "listwise"}
        The missing-data policy the result was computed with.
    mean, sd : float
        Mean and SD (ddof 1) of the person scores (the mean of each respondent's answered,
        reverse-keyed items). NaN when computed from moments with missing cells.
    items : pandas.DataFrame
        One row per item (index = item name) with columns ``reversed``, ``n``, ``mean``,
        ``sd``, ``raw_r``, ``std_r``, ``r_cor``, ``r_drop``, ``alpha_if_deleted``,
        ``std_alpha_if_deleted``, ``g6_if_deleted``, ``average_r_if_deleted``,
        ``signal_noise_if_deleted``, ``ase_if_deleted``, ``var_r_if_deleted``,
        ``median_r_if_deleted``; see :func:`analysis.reliability.cronbach_alpha`.
    notes : tuple of Note
        Warnings with reason codes: ``interval_clipped``, ``se_undefined``, ``negative_item``,
        ``not_positive_semidefinite`` and ``few_joint_responses`` (the last two make the
        result unsound: :attr:`sound` is False).
    """

    alpha: float
    std_alpha: float
    g6: float
    average_r: float
    median_r: float
    var_r: float
    signal_noise: float
    ase: float
    ci_low: float
    ci_high: float
    duhachek_low: float
    duhachek_high: float
    ci_level: float
    n_respondents: int
    n_complete: int
    n_used: int
    n_items: int
    missing: MissingPolicy
    mean: float
    sd: float
    items: pd.DataFrame = field(repr=False, compare=False)
    notes: tuple[Note, ...] = field(default=(), compare=False)

    @property
    def sound(self) -> bool:
        """False when a note says alpha must not be read as a sound estimate."""
        return not any(note.unsound for note in self.notes)

    @property
    def feldt(self) -> ConfidenceInterval:
        """The Feldt interval as a :class:`ConfidenceInterval`."""
        return ConfidenceInterval(self.ci_low, self.ci_high, self.ci_level, "feldt", self.n_used)

    @property
    def duhachek(self) -> ConfidenceInterval:
        """The Duhachek & Iacobucci interval as a :class:`ConfidenceInterval`."""
        return ConfidenceInterval(
            self.duhachek_low, self.duhachek_high, self.ci_level, "duhachek", self.n_used
        )

    def to_frame(self) -> pd.DataFrame:
        """Return the scale statistics as a one-row DataFrame (item table excluded)."""
        return _scalar_frame(self, ("items",))


@dataclass(frozen=True, slots=True)
class OmegaResult:
    """One-factor McDonald omega, with psych's and the model-implied definitions.

    Attributes
    ----------
    omega_total : float
        psych's omega_t = 1 - Σψ / 1'R1 (observed total variance).
    omega_model : float
        McDonald's model-implied omega (Σλ)² / ((Σλ)² + Σψ).
    omega_hierarchical : float
        psych's omega_h for one factor, (Σλ)² / 1'R1.
    alpha : float
        Standardized alpha of the same correlation matrix.
    g6 : float
        Guttman's lambda 6 of the same correlation matrix.
    method : {"minres", "ml"}
        Factor extraction method.
    missing : {"pairwise", "listwise"}
        Missing-data policy for the correlation matrix.
    n_respondents, n_complete, n_items : int
        Rows of the data, rows with every item answered, items.
    items : pandas.DataFrame
        Columns ``reversed``, ``loading``, ``communality`` (λ²), ``uniqueness`` (ψ = 1 - λ²).
    notes : tuple of Note
        Warnings (``heywood``, ``ultra_heywood``) with readable messages.
    """

    omega_total: float
    omega_model: float
    omega_hierarchical: float
    alpha: float
    g6: float
    method: Literal["minres", "ml"]
    missing: MissingPolicy
    n_respondents: int
    n_complete: int
    n_items: int
    items: pd.DataFrame = field(repr=False, compare=False)
    notes: tuple[Note, ...] = field(default=(), compare=False)

    @property
    def loadings(self) -> pd.Series:
        """Standardized one-factor loadings (oriented so that their sum is positive)."""
        return self.items["loading"]

    @property
    def uniquenesses(self) -> pd.Series:
        """Uniquenesses ψ = 1 - λ²."""
        return self.items["uniqueness"]

    def to_frame(self) -> pd.DataFrame:
        """Return the scale statistics as a one-row DataFrame (item table excluded)."""
        return _scalar_frame(self, ("items",))


@dataclass(frozen=True, slots=True)
class SplitHalfResult:
    """Split-half reliabilities (Guttman / Flanagan–Rulon) over many splits of a scale.

    Attributes
    ----------
    lambda4 : float
        Guttman's lambda 4: the largest split-half coefficient found.
    beta : float
        Revelle's beta: the smallest split-half coefficient found.
    mean_split : float
        Mean split-half coefficient over all distinct splits (exact) or over the sample.
    lambda2, lambda6 : float
        Guttman's lambda 2 and lambda 6.
    alpha : float
        Standardized alpha.
    average_r, median_r : float
        Mean and median off-diagonal correlation.
    exact : bool
        True when every distinct split was enumerated (k <= 16).
    n_splits : int
        Number of splits evaluated.
    best_split, worst_split : tuple[tuple[str, ...], tuple[str, ...]]
        The two halves of the split giving ``lambda4`` and ``beta``.
    n_respondents, n_complete, n_items : int
        Rows of the data, rows with every item answered, items.
    missing : {"pairwise", "listwise"}
        Missing-data policy for the covariance matrix.
    splits : numpy.ndarray
        The coefficient of every evaluated split, in enumeration order.
    notes : tuple of Note
        Warnings (none are raised today; the field keeps the reliability results alike).
    """

    lambda4: float
    beta: float
    mean_split: float
    lambda2: float
    lambda6: float
    alpha: float
    average_r: float
    median_r: float
    exact: bool
    n_splits: int
    best_split: tuple[tuple[str, ...], tuple[str, ...]]
    worst_split: tuple[tuple[str, ...], tuple[str, ...]]
    n_respondents: int
    n_complete: int
    n_items: int
    missing: MissingPolicy
    splits: np.ndarray = field(repr=False, compare=False)
    notes: tuple[Note, ...] = field(default=(), compare=False)

    def to_frame(self) -> pd.DataFrame:
        """Return the scalar statistics as a one-row DataFrame (splits excluded)."""
        return _scalar_frame(self, ("splits", "best_split", "worst_split"))
