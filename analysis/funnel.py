"""Funnel-plot control limits for library means and proportions, with over-dispersion.

A funnel plot shows each library's indicator against its number of responses, with
control limits around a target that narrow as n grows (Spiegelhalter 2005). With hundreds
of libraries the true between-library variation makes plain binomial/normal limits flag
most libraries; the over-dispersion allowance (winsorised :math:`\\phi`, additive
:math:`\\tau^2`) is the one used by FunnelPlotR and NHS indicators.

No plotting is done here: the functions return the limits per library (and for a grid of
n via :func:`funnel_curve`) so that any front end can draw them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import special

from analysis._checks import numeric_column
from analysis._checks import require_columns
from analysis._checks import require_frame

__all__ = [
    "FunnelResult",
    "funnel_curve",
    "funnel_means",
    "funnel_proportions",
]

#: z multipliers of the two standard funnel limits (two-sided 95% and 99.8%); ``ndtri`` is
#: the normal quantile ``scipy.stats.norm.ppf`` calls (importing ``scipy.stats`` costs a page
#: that draws a funnel about half a second on its first request)
Z95 = float(special.ndtri(0.975))  # 1.959964
Z998 = float(special.ndtri(0.999))  # 3.090232

Overdispersion = Literal["additive", "multiplicative", "none"]


@dataclass(frozen=True)
class FunnelResult:
    """Result of :func:`funnel_means` / :func:`funnel_proportions`."""

    #: one row per library: group, n, value, z, z_adjusted, lower_95, upper_95,
    #: lower_998, upper_998, outside_95, outside_998
    table: pd.DataFrame
    #: "mean" or "proportion"
    kind: str
    #: centre line on the original scale
    target: float
    #: centre line on the analysis scale (arcsine-square-root for proportions)
    target_transformed: float
    #: within-library SD used for means (NaN for proportions)
    sigma: float
    #: winsorised over-dispersion ratio (mean squared winsorised z-score)
    phi: float
    #: additive between-library variance on the analysis scale (0 unless additive)
    tau2: float
    #: "additive", "multiplicative" or "none"
    overdispersion: str
    #: winsorising fraction at each end
    winsor: float
    n_groups: int

    def to_frame(self) -> pd.DataFrame:
        """Return the per-library table (a copy)."""
        return self.table.copy()


def _dispersion(
    y: np.ndarray, s: np.ndarray, target: float, winsor: float
) -> tuple[np.ndarray, float, float]:
    """Return (z, phi, tau2) following FunnelPlotR's od_adjustment.R."""
    z = (y - target) / s
    if winsor > 0:
        lz = float(np.quantile(z, winsor))  # R quantile type 7 == numpy "linear"
        uz = float(np.quantile(z, 1.0 - winsor))
        zw = np.clip(z, lz, uz)
    else:
        zw = z
    j = z.size
    phi = float(np.mean(zw**2))
    w = 1.0 / s**2
    if j * phi < j - 1:
        tau2 = 0.0
    else:
        tau2 = max(0.0, (j * phi - (j - 1)) / (w.sum() - (w**2).sum() / w.sum()))
    return z, phi, tau2


def _sd_total(s: np.ndarray, phi: float, tau2: float, overdispersion: str) -> np.ndarray:
    if overdispersion == "additive":
        return np.sqrt(s**2 + tau2)
    if overdispersion == "multiplicative":
        return s * math.sqrt(max(phi, 1.0))
    return s


def _check_common(overdispersion: str, winsor: float) -> None:
    if overdispersion not in ("additive", "multiplicative", "none"):
        raise ValueError("overdispersion must be 'additive', 'multiplicative' or 'none'")
    if not 0.0 <= winsor < 0.5:
        raise ValueError("winsor must be in [0, 0.5)")


def funnel_means(
    stats_frame: pd.DataFrame,
    *,
    group: str = "library_id",
    n: str = "n",
    mean: str = "mean",
    var: str | None = "var",
    sigma: float | None = None,
    target: float | None = None,
    overdispersion: Overdispersion = "additive",
    winsor: float = 0.10,
) -> FunnelResult:
    """Funnel-plot limits for library means (e.g. a satisfaction index).

    Parameters
    ----------
    stats_frame : DataFrame
        One row per library with response count, mean and (unless ``sigma`` is given)
        sample variance.
    group, n, mean, var : str
        Column names; ``var`` may be None when ``sigma`` is given.
    sigma : float, optional
        Response-level SD. Default: pooled within-library SD
        :math:`\\sqrt{\\sum (n_j-1)s_j^2 / (N - J)}`.
    target : float, optional
        Centre line, e.g. the regional standard. Default: the pooled mean
        :math:`\\sum n_j\\bar y_j / N`.
    overdispersion : {"additive", "multiplicative", "none"}, default "additive"
        Allowance for real between-library variation (see Notes).
    winsor : float, default 0.10
        Fraction winsorised at each end of the z-scores before estimating :math:`\\phi`.

    Returns
    -------
    FunnelResult
        ``.to_frame()``: one row per library with ``value``, ``z`` (unadjusted),
        ``z_adjusted``, the 95% and 99.8% limits and ``outside_95`` / ``outside_998``.

    Raises
    ------
    ValueError
        Fewer than two libraries, n < 1, or no way to obtain sigma.

    Notes
    -----
    :math:`Y_j = \\bar y_j`, :math:`s_j = \\sigma/\\sqrt{n_j}`,
    :math:`z_j = (Y_j - \\theta_0)/s_j`. Winsorise :math:`z` at its 10th and 90th
    percentiles (R type-7 quantiles), :math:`\\phi = J^{-1}\\sum z_{w,j}^2`. Additive
    random effects: :math:`\\tau^2 = \\max\\{0, (J\\phi - (J-1)) / (\\sum w_j - \\sum
    w_j^2/\\sum w_j)\\}`, :math:`w_j = 1/s_j^2` (0 when :math:`J\\phi < J - 1`); limits
    :math:`\\theta_0 \\pm z_p\\sqrt{s_j^2 + \\tau^2}` with :math:`z_p` = 1.959964 (95%) and
    3.090232 (99.8%). Multiplicative: :math:`\\theta_0 \\pm z_p\\sqrt{\\max(\\phi,1)}\\,s_j`.
    With ``winsor=0`` and the default target, :math:`J\\phi` is Cochran's Q and
    :math:`\\tau^2` is the DerSimonian-Laird estimate. A library is outside when its value
    is strictly beyond a limit.

    References
    ----------
    Spiegelhalter, D. J. (2005). Funnel plots for comparing institutional performance.
    *Statistics in Medicine*, 24(8), 1185-1202. doi:10.1002/sim.1970

    Spiegelhalter, D. J. (2005). Handling over-dispersion of performance indicators.
    *Quality and Safety in Health Care*, 14(5), 347-351.

    Wiley, C. (2020). FunnelPlotR: Funnel plots for comparing institutional performance.
    R package, ``R/od_adjustment.R``, ``R/calculate_limits.R``.
    """
    require_frame(stats_frame, "stats_frame")
    _check_common(overdispersion, winsor)
    cols = [group, n, mean] + ([var] if var is not None and sigma is None else [])
    require_columns(stats_frame, cols, "stats_frame")
    nn = numeric_column(stats_frame[n], n)
    y = numeric_column(stats_frame[mean], mean)
    if len(nn) < 2:
        raise ValueError("at least two libraries are needed")
    if np.isnan(nn).any() or (nn < 1).any() or np.isnan(y).any():
        raise ValueError("n (>= 1) and mean must be present for every library")
    if sigma is None:
        if var is None:
            raise ValueError("give either a var column or sigma")
        vv = numeric_column(stats_frame[var], var)
        if (np.isnan(vv) & (nn > 1)).any() or (vv[nn > 1] < 0).any():
            raise ValueError("var must be present and non-negative where n > 1")
        dfw = float(np.sum(nn - 1))
        if dfw < 1:
            raise ValueError("no library has more than one response: give sigma")
        sig = math.sqrt(float(np.sum(np.where(nn > 1, (nn - 1) * np.nan_to_num(vv), 0.0))) / dfw)
    else:
        sig = float(sigma)
    if not sig > 0:
        raise ValueError("sigma must be positive")
    theta0 = float(np.sum(nn * y) / nn.sum()) if target is None else float(target)
    s = sig / np.sqrt(nn)
    z, phi, tau2 = _dispersion(y, s, theta0, winsor)
    tau2_used = tau2 if overdispersion == "additive" else 0.0
    sd = _sd_total(s, phi, tau2_used, overdispersion)
    table = pd.DataFrame(
        {
            group: stats_frame[group].to_numpy(),
            "n": nn.astype(int),
            "value": y,
            "z": z,
            "z_adjusted": (y - theta0) / sd,
            "lower_95": theta0 - Z95 * sd,
            "upper_95": theta0 + Z95 * sd,
            "lower_998": theta0 - Z998 * sd,
            "upper_998": theta0 + Z998 * sd,
        }
    )
    _add_flags(table)
    return FunnelResult(
        table=table,
        kind="mean",
        target=theta0,
        target_transformed=theta0,
        sigma=sig,
        phi=phi,
        tau2=tau2_used,
        overdispersion=overdispersion,
        winsor=winsor,
        n_groups=len(nn),
    )


def _add_flags(table: pd.DataFrame) -> None:
    v = table["value"]
    table["outside_95"] = (v < table["lower_95"]) | (v > table["upper_95"])
    table["outside_998"] = (v < table["lower_998"]) | (v > table["upper_998"])


def _arcsine_limits(theta0_t: float, sd: np.ndarray, zp: float) -> tuple[np.ndarray, np.ndarray]:
    lo = np.clip(theta0_t - zp * sd, 0.0, math.pi / 2)
    hi = np.clip(theta0_t + zp * sd, 0.0, math.pi / 2)
    return np.sin(lo) ** 2, np.sin(hi) ** 2


def funnel_proportions(
    stats_frame: pd.DataFrame,
    *,
    group: str = "library_id",
    successes: str = "successes",
    n: str = "n",
    target: float | None = None,
    overdispersion: Overdispersion = "additive",
    winsor: float = 0.10,
) -> FunnelResult:
    """Funnel-plot limits for library proportions (e.g. share of satisfied visitors).

    Parameters
    ----------
    stats_frame : DataFrame
        One row per library with successes and trials.
    group, successes, n : str
        Column names.
    target : float, optional
        Centre line in (0, 1), e.g. the regional standard. Default: the pooled
        proportion :math:`\\sum x_j / \\sum n_j`.
    overdispersion : {"additive", "multiplicative", "none"}, default "additive"
        Allowance for real between-library variation.
    winsor : float, default 0.10
        Fraction winsorised at each end of the z-scores before estimating :math:`\\phi`.

    Returns
    -------
    FunnelResult
        ``.to_frame()``: one row per library with ``value`` (the proportion), ``z``,
        ``z_adjusted``, the 95% and 99.8% limits (proportion scale) and the flags.

    Raises
    ------
    ValueError
        Fewer than two libraries, counts out of range, or a target outside (0, 1).

    Notes
    -----
    FunnelPlotR's ``data_type = "PR"``: variance-stabilising transform
    :math:`Y_j = \\arcsin\\sqrt{\\hat p_j}`, :math:`s_j = 1/(2\\sqrt{n_j})`,
    :math:`\\theta_0 = \\arcsin\\sqrt{p_0}`; :math:`z`, winsorised :math:`\\phi` and
    :math:`\\tau^2` as in :func:`funnel_means`; limits
    :math:`\\sin^2(\\theta_0 \\pm z_p\\sqrt{s_j^2 + \\tau^2})`. Unlike FunnelPlotR, the
    transformed limits are clipped to :math:`[0, \\pi/2]` so that they stay monotone in
    :math:`z_p` (0 and 1 are the natural bounds of a proportion).

    References
    ----------
    Spiegelhalter, D. J. (2005). Funnel plots for comparing institutional performance.
    *Statistics in Medicine*, 24(8), 1185-1202. doi:10.1002/sim.1970

    Spiegelhalter, D. J. (2005). Handling over-dispersion of performance indicators.
    *Quality and Safety in Health Care*, 14(5), 347-351.

    Wiley, C. (2020). FunnelPlotR. R package, ``R/od_adjustment.R``,
    ``R/calculate_limits.R``.
    """
    require_frame(stats_frame, "stats_frame")
    _check_common(overdispersion, winsor)
    require_columns(stats_frame, [group, successes, n], "stats_frame")
    x = numeric_column(stats_frame[successes], successes)
    nn = numeric_column(stats_frame[n], n)
    if len(nn) < 2:
        raise ValueError("at least two libraries are needed")
    if np.isnan(x).any() or np.isnan(nn).any() or (nn < 1).any():
        raise ValueError("successes and n (>= 1) must be present for every library")
    if (x < 0).any() or (x > nn).any():
        raise ValueError("successes must lie between 0 and n")
    p0 = float(x.sum() / nn.sum()) if target is None else float(target)
    if not 0.0 < p0 < 1.0:
        raise ValueError("the target proportion must be strictly between 0 and 1")
    p = x / nn
    y = np.arcsin(np.sqrt(p))
    s = 1.0 / (2.0 * np.sqrt(nn))
    theta0_t = math.asin(math.sqrt(p0))
    z, phi, tau2 = _dispersion(y, s, theta0_t, winsor)
    tau2_used = tau2 if overdispersion == "additive" else 0.0
    sd = _sd_total(s, phi, tau2_used, overdispersion)
    lo95, hi95 = _arcsine_limits(theta0_t, sd, Z95)
    lo998, hi998 = _arcsine_limits(theta0_t, sd, Z998)
    table = pd.DataFrame(
        {
            group: stats_frame[group].to_numpy(),
            "n": nn.astype(int),
            "value": p,
            "z": z,
            "z_adjusted": (y - theta0_t) / sd,
            "lower_95": lo95,
            "upper_95": hi95,
            "lower_998": lo998,
            "upper_998": hi998,
        }
    )
    _add_flags(table)
    return FunnelResult(
        table=table,
        kind="proportion",
        target=p0,
        target_transformed=theta0_t,
        sigma=float("nan"),
        phi=phi,
        tau2=tau2_used,
        overdispersion=overdispersion,
        winsor=winsor,
        n_groups=len(nn),
    )


def funnel_curve(result: FunnelResult, n: Sequence[float] | np.ndarray) -> pd.DataFrame:
    """Evaluate the control limits of a fitted funnel on a grid of sample sizes (for plotting).

    Parameters
    ----------
    result : FunnelResult
        Output of :func:`funnel_means` or :func:`funnel_proportions`.
    n : array-like
        Sample sizes (> 0) at which to evaluate the limits.

    Returns
    -------
    DataFrame
        Columns ``n``, ``lower_95``, ``upper_95``, ``lower_998``, ``upper_998``.

    Notes
    -----
    Same formulas as the fitting function, with the fitted target, sigma,
    :math:`\\phi` and :math:`\\tau^2`.

    References
    ----------
    Spiegelhalter, D. J. (2005). Funnel plots for comparing institutional performance.
    *Statistics in Medicine*, 24(8), 1185-1202.
    """
    if not isinstance(result, FunnelResult):
        raise TypeError("result must be a FunnelResult")
    nn = np.asarray(n, dtype=float)
    if nn.ndim != 1 or (nn <= 0).any() or np.isnan(nn).any():
        raise ValueError("n must be a 1-d array of positive sizes")
    if result.kind == "mean":
        s = result.sigma / np.sqrt(nn)
        sd = _sd_total(s, result.phi, result.tau2, result.overdispersion)
        t = result.target
        return pd.DataFrame(
            {
                "n": nn,
                "lower_95": t - Z95 * sd,
                "upper_95": t + Z95 * sd,
                "lower_998": t - Z998 * sd,
                "upper_998": t + Z998 * sd,
            }
        )
    s = 1.0 / (2.0 * np.sqrt(nn))
    sd = _sd_total(s, result.phi, result.tau2, result.overdispersion)
    lo95, hi95 = _arcsine_limits(result.target_transformed, sd, Z95)
    lo998, hi998 = _arcsine_limits(result.target_transformed, sd, Z998)
    return pd.DataFrame(
        {"n": nn, "lower_95": lo95, "upper_95": hi95, "lower_998": lo998, "upper_998": hi998}
    )
