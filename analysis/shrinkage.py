"""Fair comparison of libraries of very different sizes: empirical-Bayes shrinkage and ranks.

A library with 4 responses can top a raw ranking by chance; shrinking each library's mean
towards the regional mean by an amount that depends on its sample size gives estimates that
are better on average (Morris 1983) and rank uncertainty that can be shown honestly.

* :func:`group_summary` -- sufficient statistics (n, mean, var) per library from raw rows;
* :func:`shrink_means` -- normal-normal empirical Bayes from sufficient statistics only
  (works on aggregates computed in the database), REML / ML / ANOVA estimates;
* :func:`shrink_means_from_rows` -- the same from raw response rows;
* :func:`shrink_proportions` -- beta-binomial empirical Bayes for shares;
* :func:`rank_intervals` -- ranks with intervals by posterior simulation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import optimize
from scipy import special

from analysis._checks import check_ci
from analysis._checks import numeric_column
from analysis._checks import require_columns
from analysis._checks import require_frame

__all__ = [
    "MeanShrinkage",
    "ProportionShrinkage",
    "group_summary",
    "rank_intervals",
    "shrink_means",
    "shrink_means_from_rows",
    "shrink_proportions",
]


# --------------------------------------------------------------------------- summaries


def group_summary(
    data: pd.DataFrame, *, group: str = "library_id", value: str = "value"
) -> pd.DataFrame:
    """Sufficient statistics per group: count, mean and sample variance.

    Parameters
    ----------
    data : DataFrame
        One row per response (e.g. a person's scale score).
    group, value : str
        Column names. Rows with a missing value are ignored.

    Returns
    -------
    DataFrame
        Columns ``group``, ``n``, ``mean``, ``var`` (divisor n - 1; NaN when n = 1),
        sorted by group. This is what a database ``GROUP BY`` with ``COUNT``, ``AVG`` and
        ``VAR_SAMP`` returns, and all that :func:`shrink_means` needs.
    """
    require_frame(data)
    require_columns(data, [group, value])
    frame = pd.DataFrame({group: data[group].to_numpy(), "v": numeric_column(data[value], value)})
    frame = frame.dropna(subset=["v"])
    g = frame.groupby(group, sort=True)["v"]
    out = pd.DataFrame({"n": g.count(), "mean": g.mean(), "var": g.var(ddof=1)})
    return out.reset_index()


# --------------------------------------------------------------------------- means


@dataclass(frozen=True)
class MeanShrinkage:
    """Result of :func:`shrink_means` (normal-normal empirical Bayes)."""

    #: one row per group: group, n, raw_mean, posterior_mean, posterior_sd, ci_low,
    #: ci_high, weight (the weight on the group's own mean, 1 - shrinkage factor)
    table: pd.DataFrame
    #: estimated grand mean (GLS with the estimated variances)
    mu: float
    #: its standard error
    mu_se: float
    #: between-group variance of the true means
    tau2: float
    #: within-group (response-level) variance
    sigma2: float
    #: estimation method: "reml", "ml" or "anova"
    method: str
    n_groups: int
    n_obs: int
    ci: float

    def to_frame(self) -> pd.DataFrame:
        """Return the per-group table (a copy)."""
        return self.table.copy()


def _neg2ll(gamma: float, n: np.ndarray, ybar: np.ndarray, w_ss: float, reml: bool) -> float:
    """-2 log-likelihood profiled over mu and sigma2, as a function of gamma = tau2/sigma2."""
    big_n = n.sum()
    wt = n / (1.0 + n * gamma)
    mu = float(np.sum(wt * ybar) / np.sum(wt))
    q = w_ss + float(np.sum(wt * (ybar - mu) ** 2))
    if q <= 0:
        return -np.inf
    logdet = float(np.sum(np.log1p(n * gamma)))
    big = float(big_n)
    if reml:
        return (big - 1) * math.log(q / (big - 1)) + logdet + math.log(float(np.sum(wt)))
    return big * math.log(q / big) + logdet


def _dneg2ll(gamma: float, n: np.ndarray, ybar: np.ndarray, w_ss: float, reml: bool) -> float:
    """Derivative of :func:`_neg2ll` with respect to gamma (envelope theorem for mu)."""
    wt = n / (1.0 + n * gamma)
    sw = float(np.sum(wt))
    mu = float(np.sum(wt * ybar) / sw)
    r2 = (ybar - mu) ** 2
    q = w_ss + float(np.sum(wt * r2))
    dq = -float(np.sum(wt**2 * r2))
    big_n = float(n.sum())
    if reml:
        return (big_n - 1) * dq / q + sw - float(np.sum(wt**2)) / sw
    return big_n * dq / q + sw


def _fit_gamma(n: np.ndarray, ybar: np.ndarray, w_ss: float, reml: bool) -> float:
    """Maximise the profiled (restricted) likelihood over gamma = tau2/sigma2 >= 0.

    Stationary points are bracketed on a log grid and solved to machine precision with
    Brent's root finder on the analytic derivative; the boundary gamma = 0 is a candidate
    when the derivative there is non-negative. The candidate with the best criterion wins.
    """

    def f(g: float) -> float:
        return _neg2ll(g, n, ybar, w_ss, reml)

    def df(g: float) -> float:
        return _dneg2ll(g, n, ybar, w_ss, reml)

    grid = np.concatenate([[0.0], np.logspace(-10, 8, 181)])
    d = np.array([df(g) for g in grid])
    candidates: list[float] = []
    if d[0] >= 0:
        candidates.append(0.0)
    for i in range(grid.size - 1):
        if d[i] < 0 <= d[i + 1]:
            candidates.append(
                float(optimize.brentq(df, grid[i], grid[i + 1], xtol=1e-300, rtol=1e-15))
            )
    if d[-1] < 0:
        candidates.append(float(grid[-1]))
    return min(candidates, key=f)


def shrink_means(
    stats_frame: pd.DataFrame,
    *,
    group: str = "library_id",
    n: str = "n",
    mean: str = "mean",
    var: str = "var",
    method: Literal["reml", "ml", "anova"] = "reml",
    ci: float = 0.95,
    mu_uncertainty: bool = True,
) -> MeanShrinkage:
    """Empirical-Bayes (normal-normal) shrinkage of group means from sufficient statistics.

    Parameters
    ----------
    stats_frame : DataFrame
        One row per group with its response count, mean and sample variance (divisor
        n - 1; may be NaN where n = 1), e.g. from :func:`group_summary` or a SQL query.
    group, n, mean, var : str
        Column names.
    method : {"reml", "ml", "anova"}, default "reml"
        How to estimate :math:`\\tau^2` and :math:`\\sigma^2`: restricted or full maximum
        likelihood of the one-way random-effects model (identical to
        ``statsmodels`` ``MixedLM`` with ``reml=True/False``), or the ANOVA method of
        moments (Searle's unbalanced formula, truncated at 0).
    ci : float, default 0.95
        Coverage of the posterior intervals.
    mu_uncertainty : bool, default True
        Add the uncertainty of the estimated grand mean to the posterior variance.
        ``False`` reproduces ``MixedLM.random_effects_cov``.

    Returns
    -------
    MeanShrinkage
        Frozen result; ``.to_frame()`` gives one row per group with columns ``group``,
        ``n``, ``raw_mean``, ``posterior_mean``, ``posterior_sd``, ``ci_low``, ``ci_high``,
        ``weight``.

    Raises
    ------
    ValueError
        Fewer than two groups, a count below 1, or no within-group replication
        (every n = 1) so that :math:`\\sigma^2` cannot be separated from :math:`\\tau^2`.

    Notes
    -----
    Model: :math:`y_{ij} = \\theta_j + e_{ij}`, :math:`e_{ij} \\sim N(0, \\sigma^2)`,
    :math:`\\theta_j \\sim N(\\mu, \\tau^2)`. The likelihood depends on the data only through
    :math:`n_j`, :math:`\\bar y_j` and :math:`W = \\sum_j (n_j - 1)s_j^2`. With
    :math:`\\gamma = \\tau^2/\\sigma^2`, :math:`\\tilde w_j = n_j / (1 + n_j\\gamma)`,
    :math:`\\hat\\mu = \\sum \\tilde w_j \\bar y_j / \\sum \\tilde w_j` and
    :math:`Q = W + \\sum \\tilde w_j(\\bar y_j - \\hat\\mu)^2`, the profiled criteria are

    .. math::
        -2\\ell_R = (N-1)\\log\\frac{Q}{N-1} + \\sum_j \\log(1 + n_j\\gamma)
        + \\log\\sum_j \\tilde w_j, \\qquad \\hat\\sigma^2 = Q/(N-1)

    (ML: :math:`N\\log(Q/N) + \\sum\\log(1+n_j\\gamma)`, :math:`\\hat\\sigma^2 = Q/N`),
    minimised over :math:`\\gamma \\ge 0` (root of the analytic derivative, bracketed
    on a grid, solved by Brent's method). ANOVA:
    :math:`\\hat\\sigma^2 = W/(N-J)`,
    :math:`\\hat\\tau^2 = \\max(0, (MS_B - \\hat\\sigma^2)/n_0)`,
    :math:`n_0 = (N - \\sum n_j^2/N)/(J-1)`.

    Posterior (Morris 1983): weight :math:`w_j = \\tau^2/(\\tau^2 + \\sigma^2/n_j)`,
    :math:`\\hat\\theta_j = \\hat\\mu + w_j(\\bar y_j - \\hat\\mu)`, variance
    :math:`\\tau^2(1 - w_j) + (1 - w_j)^2\\,\\mathrm{Var}(\\hat\\mu)` with
    :math:`\\mathrm{Var}(\\hat\\mu) = 1/\\sum_j (\\tau^2 + \\sigma^2/n_j)^{-1}` (the second
    term only with ``mu_uncertainty``); interval :math:`\\hat\\theta_j \\pm z\\,sd_j`.
    The uncertainty of :math:`\\hat\\tau^2` itself is not propagated, so intervals of
    small groups are slightly too narrow when there are few groups.

    References
    ----------
    Morris, C. N. (1983). Parametric empirical Bayes inference: theory and applications.
    *Journal of the American Statistical Association*, 78(381), 47-55.

    Searle, S. R., Casella, G., & McCulloch, C. E. (1992). *Variance Components*. Wiley
    (ch. 3: ANOVA estimation, unbalanced one-way; ch. 6: ML and REML).

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"library_id": ["a", "b", "c"], "n": [4, 40, 400],
    ...                   "mean": [4.8, 4.1, 3.9], "var": [0.8, 0.8, 0.8]})
    >>> res = shrink_means(s, method="anova")
    >>> res.to_frame()["weight"].round(3).tolist()
    [0.155, 0.647, 0.948]
    """
    require_frame(stats_frame, "stats_frame")
    require_columns(stats_frame, [group, n, mean, var], "stats_frame")
    if method not in ("reml", "ml", "anova"):
        raise ValueError("method must be 'reml', 'ml' or 'anova'")
    check_ci(ci)
    z = float(special.ndtri(0.5 + ci / 2.0))
    nn = numeric_column(stats_frame[n], n)
    yb = numeric_column(stats_frame[mean], mean)
    vv = numeric_column(stats_frame[var], var)
    if len(nn) < 2:
        raise ValueError("at least two groups are needed to estimate the between-group variance")
    if np.isnan(nn).any() or (nn < 1).any() or (nn != np.round(nn)).any():
        raise ValueError("n must be a whole number >= 1 in every group")
    if np.isnan(yb).any():
        raise ValueError("mean is missing for some group")
    if (np.isnan(vv) & (nn > 1)).any():
        raise ValueError("var is missing for a group with n > 1")
    if (vv[nn > 1] < 0).any():
        raise ValueError("var must be non-negative")
    if stats_frame[group].duplicated().any():
        raise ValueError("stats_frame has duplicated groups")
    big_n = float(nn.sum())
    n_groups = len(nn)
    w_ss = float(np.sum(np.where(nn > 1, (nn - 1) * np.nan_to_num(vv), 0.0)))
    if big_n - n_groups < 1:
        raise ValueError("no group has more than one response: sigma2 is not identifiable")

    if method == "anova":
        sigma2 = w_ss / (big_n - n_groups)
        grand = float(np.sum(nn * yb) / big_n)
        msb = float(np.sum(nn * (yb - grand) ** 2)) / (n_groups - 1)
        n0 = (big_n - float(np.sum(nn**2)) / big_n) / (n_groups - 1)
        tau2 = max(0.0, (msb - sigma2) / n0)
    else:
        reml = method == "reml"
        gamma = _fit_gamma(nn, yb, w_ss, reml)
        wt = nn / (1.0 + nn * gamma)
        mu0 = float(np.sum(wt * yb) / np.sum(wt))
        q = w_ss + float(np.sum(wt * (yb - mu0) ** 2))
        sigma2 = q / (big_n - 1 if reml else big_n)
        tau2 = gamma * sigma2
    if sigma2 <= 0:
        raise ValueError("the within-group variance is zero: shrinkage is undefined")

    prec = 1.0 / (tau2 + sigma2 / nn)
    mu = float(np.sum(prec * yb) / np.sum(prec))
    var_mu = float(1.0 / np.sum(prec))
    weight = tau2 / (tau2 + sigma2 / nn)
    post_mean = mu + weight * (yb - mu)
    post_var = tau2 * (1.0 - weight)
    if mu_uncertainty:
        post_var = post_var + (1.0 - weight) ** 2 * var_mu
    post_sd = np.sqrt(post_var)
    table = pd.DataFrame(
        {
            group: stats_frame[group].to_numpy(),
            "n": nn.astype(int),
            "raw_mean": yb,
            "posterior_mean": post_mean,
            "posterior_sd": post_sd,
            "ci_low": post_mean - z * post_sd,
            "ci_high": post_mean + z * post_sd,
            "weight": weight,
        }
    )
    return MeanShrinkage(
        table=table,
        mu=mu,
        mu_se=math.sqrt(var_mu),
        tau2=float(tau2),
        sigma2=float(sigma2),
        method=method,
        n_groups=n_groups,
        n_obs=int(big_n),
        ci=ci,
    )


def shrink_means_from_rows(
    data: pd.DataFrame,
    *,
    group: str = "library_id",
    value: str = "value",
    method: Literal["reml", "ml", "anova"] = "reml",
    ci: float = 0.95,
    mu_uncertainty: bool = True,
) -> MeanShrinkage:
    """Empirical-Bayes shrinkage of group means from raw rows (one row per response).

    Parameters
    ----------
    data : DataFrame
        Raw rows with a group column and a numeric value (missing values are ignored).
    group, value : str
        Column names.
    method, ci, mu_uncertainty
        As in :func:`shrink_means`.

    Returns
    -------
    MeanShrinkage
        See :func:`shrink_means`.

    Notes
    -----
    ``shrink_means(group_summary(data, group=group, value=value), group=group, ...)``;
    see :func:`shrink_means` for the model and formulas.

    References
    ----------
    Morris, C. N. (1983). Parametric empirical Bayes inference: theory and applications.
    *JASA*, 78(381), 47-55.
    """
    summary = group_summary(data, group=group, value=value)
    return shrink_means(summary, group=group, method=method, ci=ci, mu_uncertainty=mu_uncertainty)


# --------------------------------------------------------------------------- proportions


@dataclass(frozen=True)
class ProportionShrinkage:
    """Result of :func:`shrink_proportions` (beta-binomial empirical Bayes)."""

    #: one row per group: group, successes, n, raw_prop, posterior_mean, posterior_sd,
    #: ci_low, ci_high, weight, post_alpha, post_beta
    table: pd.DataFrame
    #: prior Beta(alpha, beta); both infinite when no between-group variation is detected
    alpha: float
    beta: float
    #: prior mean alpha / (alpha + beta)
    prior_mean: float
    #: intra-class correlation 1 / (alpha + beta + 1); 0 = complete pooling
    rho: float
    #: "ml" or "moments"
    method: str
    n_groups: int
    ci: float

    def to_frame(self) -> pd.DataFrame:
        """Return the per-group table (a copy)."""
        return self.table.copy()


_M_MAX = 1e8  # prior "sample size" alpha + beta treated as infinite above this


def _betabinom_negll(params: np.ndarray, x: np.ndarray, n: np.ndarray) -> float:
    m = 1.0 / (1.0 + math.exp(-params[0]))
    size = math.exp(params[1])
    a, b = m * size, (1.0 - m) * size
    ll = special.betaln(x + a, n - x + b) - special.betaln(a, b)
    return -float(np.sum(ll))


def shrink_proportions(
    stats_frame: pd.DataFrame,
    *,
    group: str = "library_id",
    successes: str = "successes",
    n: str = "n",
    method: Literal["ml", "moments"] = "ml",
    ci: float = 0.95,
) -> ProportionShrinkage:
    """Beta-binomial empirical-Bayes shrinkage of proportions (e.g. share satisfied).

    Parameters
    ----------
    stats_frame : DataFrame
        One row per group with the number of successes and of trials.
    group, successes, n : str
        Column names.
    method : {"ml", "moments"}, default "ml"
        Fit the Beta prior by maximising the beta-binomial marginal likelihood (started
        from the moment estimate) or by the weighted method of moments.
    ci : float, default 0.95
        Coverage of the equal-tailed posterior intervals (Beta quantiles).

    Returns
    -------
    ProportionShrinkage
        Frozen result; ``.to_frame()`` gives one row per group with ``raw_prop``,
        ``posterior_mean``, ``posterior_sd``, ``ci_low``, ``ci_high``, ``weight`` (weight on
        the group's own proportion) and the posterior parameters ``post_alpha``,
        ``post_beta``.

    Raises
    ------
    ValueError
        Fewer than two groups, a count outside ``0 <= successes <= n``, or ``n < 1``.

    Notes
    -----
    Model: :math:`x_j \\sim \\mathrm{Bin}(n_j, p_j)`, :math:`p_j \\sim \\mathrm{Beta}(\\alpha,
    \\beta)`; write :math:`M = \\alpha + \\beta`, :math:`m = \\alpha/M`,
    :math:`\\rho = 1/(M + 1)`.

    *Moments* (weights :math:`n_j`): :math:`\\bar p = \\sum x_j / N`,
    :math:`S = \\sum n_j(\\hat p_j - \\bar p)^2`, and since
    :math:`E[S] = p(1-p)\\,[(J - 1) + \\rho(N - J + 1 - \\sum n_j^2/N)]`,
    :math:`\\hat\\rho = (S/(\\bar p(1-\\bar p)) - (J-1)) / (N - J + 1 - \\sum n_j^2/N)`,
    :math:`\\hat m = \\bar p`.
    *ML*: maximise :math:`\\sum_j [\\ln B(x_j + \\alpha, n_j - x_j + \\beta) - \\ln B(\\alpha,
    \\beta)]` over (logit m, log M).

    If :math:`\\hat\\rho \\le 0` (ML: the binomial limit :math:`M \\to \\infty` fits at
    least as well as the optimum, or M exceeds 1e8) there is no
    detectable between-group variation: :math:`M = \\infty`, every posterior is the point
    :math:`\\hat m` (complete pooling; sd 0).

    Posterior: :math:`\\mathrm{Beta}(\\alpha + x_j, \\beta + n_j - x_j)`, mean
    :math:`(\\alpha + x_j)/(M + n_j) = \\hat m + w_j(\\hat p_j - \\hat m)` with
    :math:`w_j = n_j/(M + n_j)`.

    References
    ----------
    Kleinman, J. C. (1973). Proportions with extraneous variance: single and independent
    samples. *JASA*, 68(341), 46-54.

    Morris, C. N. (1983). Parametric empirical Bayes inference: theory and applications.
    *JASA*, 78(381), 47-55.
    """
    require_frame(stats_frame, "stats_frame")
    require_columns(stats_frame, [group, successes, n], "stats_frame")
    if method not in ("ml", "moments"):
        raise ValueError("method must be 'ml' or 'moments'")
    if not 0.0 < ci < 1.0:
        raise ValueError("ci must be in (0, 1)")
    x = numeric_column(stats_frame[successes], successes)
    nn = numeric_column(stats_frame[n], n)
    if len(nn) < 2:
        raise ValueError("at least two groups are needed")
    if np.isnan(x).any() or np.isnan(nn).any() or (nn < 1).any():
        raise ValueError("successes and n must be present, with n >= 1")
    if (x < 0).any() or (x > nn).any():
        raise ValueError("successes must lie between 0 and n")
    if stats_frame[group].duplicated().any():
        raise ValueError("stats_frame has duplicated groups")
    j = len(nn)
    big_n = float(nn.sum())
    pbar = float(x.sum() / big_n)

    size = math.inf
    m = pbar
    if 0.0 < pbar < 1.0:
        s = float(np.sum(nn * (x / nn - pbar) ** 2))
        denom = big_n - j + 1 - float(np.sum(nn**2)) / big_n
        rho = (s / (pbar * (1 - pbar)) - (j - 1)) / denom if denom > 0 else 0.0
        if rho > 0:
            rho = min(rho, 1.0 - 1e-9)
            size = 1.0 / rho - 1.0
        if method == "ml":
            start_size = min(size, 1e4) if math.isfinite(size) else 1e4
            start = np.array([math.log(pbar / (1 - pbar)), math.log(start_size)])
            res = optimize.minimize(
                _betabinom_negll,
                start,
                args=(x, nn),
                method="L-BFGS-B",
                bounds=[(-30.0, 30.0), (math.log(1e-6), math.log(_M_MAX))],
                options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 2000},
            )
            m = 1.0 / (1.0 + math.exp(-float(res.x[0])))
            size = math.exp(float(res.x[1]))
            # the binomial limit (M -> infinity) of the same likelihood, at the pooled p
            binom_negll = -float(np.sum(x * math.log(pbar) + (nn - x) * math.log(1 - pbar)))
            if size >= _M_MAX * (1 - 1e-6) or binom_negll <= float(res.fun) + 1e-9:
                size = math.inf
                m = pbar
    # pbar of 0 or 1: all groups at the boundary, no variation to estimate

    if math.isinf(size):
        a_post = np.full(j, math.inf)
        b_post = np.full(j, math.inf)
        post_mean = np.full(j, m)
        post_sd = np.zeros(j)
        lo = post_mean.copy()
        hi = post_mean.copy()
        weight = np.zeros(j)
        alpha = beta = math.inf
        rho_out = 0.0
    else:
        alpha, beta = m * size, (1 - m) * size
        a_post = alpha + x
        b_post = beta + nn - x
        tot = a_post + b_post
        post_mean = a_post / tot
        post_sd = np.sqrt(a_post * b_post / (tot**2 * (tot + 1.0)))
        # Beta quantiles (what scipy.stats.beta.ppf computes)
        lo = np.asarray(special.betaincinv(a_post, b_post, (1 - ci) / 2), dtype=float)
        hi = np.asarray(special.betaincinv(a_post, b_post, 1 - (1 - ci) / 2), dtype=float)
        weight = nn / (size + nn)
        rho_out = 1.0 / (size + 1.0)
    table = pd.DataFrame(
        {
            group: stats_frame[group].to_numpy(),
            "successes": x,
            "n": nn.astype(int),
            "raw_prop": x / nn,
            "posterior_mean": post_mean,
            "posterior_sd": post_sd,
            "ci_low": lo,
            "ci_high": hi,
            "weight": weight,
            "post_alpha": a_post,
            "post_beta": b_post,
        }
    )
    return ProportionShrinkage(
        table=table,
        alpha=float(alpha),
        beta=float(beta),
        prior_mean=float(m),
        rho=float(rho_out),
        method=method,
        n_groups=j,
        ci=ci,
    )


# --------------------------------------------------------------------------- ranks


def _row_ranks(x: np.ndarray) -> np.ndarray:
    """Ranks (1 = smallest) within each row; ties get the average rank."""
    order = np.argsort(x, axis=1, kind="stable")
    ranks = np.empty(x.shape)
    np.put_along_axis(ranks, order, np.arange(1.0, x.shape[1] + 1.0)[None, :], axis=1)
    tied = (np.diff(np.take_along_axis(x, order, axis=1), axis=1) == 0).any(axis=1)
    if tied.any():
        ranks[tied] = pd.DataFrame(x[tied]).rank(axis=1, method="average").to_numpy()
    return ranks


def rank_intervals(
    data: pd.DataFrame,
    *,
    group: str = "library_id",
    mean: str = "posterior_mean",
    sd: str = "posterior_sd",
    distribution: Literal["normal", "beta"] = "normal",
    alpha: str = "post_alpha",
    beta: str = "post_beta",
    higher_is_better: bool = True,
    n_sim: int = 2000,
    seed: int = 0,
    ci: float = 0.95,
) -> pd.DataFrame:
    """Ranks with uncertainty intervals by simulation from the posterior distributions.

    Parameters
    ----------
    data : DataFrame
        One row per group, e.g. ``shrink_means(...).to_frame()``.
    group, mean, sd : str
        Column names of the group id and of the posterior mean and SD (normal draws).
    distribution : {"normal", "beta"}, default "normal"
        Draw :math:`N(\\text{mean}, \\text{sd}^2)`, or :math:`\\mathrm{Beta}(a, b)` from
        the columns ``alpha``/``beta`` (output of :func:`shrink_proportions`). Groups with
        zero SD (or infinite Beta parameters) are held at their mean.
    alpha, beta : str
        Beta parameter columns for ``distribution="beta"``.
    higher_is_better : bool, default True
        Rank 1 goes to the highest value (else the lowest).
    n_sim : int, default 2000
        Number of posterior draws.
    seed : int, default 0
        Seed of ``numpy.random.default_rng``: results are reproducible.
    ci : float, default 0.95
        Coverage of the rank interval.

    Returns
    -------
    DataFrame
        Columns ``group``, ``mean`` (posterior mean), ``rank`` (rank of the posterior mean,
        ties share the best rank), ``rank_mean``, ``rank_median``, ``rank_low``,
        ``rank_high``, ``p_top`` (share of draws ranked first), sorted by ``rank``.

    Notes
    -----
    For draws :math:`s = 1..S`, :math:`\\theta^{(s)}_j` from each group's posterior, the
    rank :math:`r^{(s)}_j` of :math:`\\theta^{(s)}_j` among the J groups (ties averaged)
    is computed; the interval is the :math:`(1 \\mp ci)/2` empirical quantiles
    (inverted CDF) of :math:`r^{(1..S)}_j`. Groups are treated as independent a
    posteriori (the correlation through :math:`\\hat\\mu` is ignored). Report ranks only
    with these intervals.

    References
    ----------
    Goldstein, H., & Spiegelhalter, D. J. (1996). League tables and their limitations:
    statistical issues in comparisons of institutional performance. *JRSS A*, 159(3),
    385-443.
    """
    require_frame(data)
    if distribution not in ("normal", "beta"):
        raise ValueError("distribution must be 'normal' or 'beta'")
    cols = [group, mean] + ([sd] if distribution == "normal" else [alpha, beta])
    require_columns(data, cols)
    if n_sim < 10:
        raise ValueError("n_sim must be at least 10")
    if not 0.0 < ci < 1.0:
        raise ValueError("ci must be in (0, 1)")
    mu = numeric_column(data[mean], mean)
    if np.isnan(mu).any():
        raise ValueError("mean is missing for some group")
    rng = np.random.default_rng(seed)
    j = len(mu)
    if distribution == "normal":
        s = numeric_column(data[sd], sd)
        if np.isnan(s).any() or (s < 0).any():
            raise ValueError("sd must be present and non-negative")
        draws = mu + rng.standard_normal((n_sim, j)) * s
    else:
        a = numeric_column(data[alpha], alpha)
        b = numeric_column(data[beta], beta)
        fixed = ~(np.isfinite(a) & np.isfinite(b))
        if (a[~fixed] <= 0).any() or (b[~fixed] <= 0).any():
            raise ValueError("beta parameters must be positive")
        draws = np.empty((n_sim, j))
        draws[:, fixed] = mu[fixed]
        if (~fixed).any():
            draws[:, ~fixed] = rng.beta(a[~fixed], b[~fixed], size=(n_sim, int((~fixed).sum())))
    sign = -1.0 if higher_is_better else 1.0
    ranks = _row_ranks(sign * draws)
    tail = (1.0 - ci) / 2.0
    # the three quantiles of every group's ranks from one partial sort
    median, low, high = np.quantile(ranks, [0.5, tail, 1.0 - tail], axis=0, method="inverted_cdf")
    out = pd.DataFrame(
        {
            group: data[group].to_numpy(),
            "mean": mu,
            "rank": pd.Series(sign * mu).rank(method="min").to_numpy().astype(int),
            "rank_mean": ranks.mean(axis=0),
            "rank_median": median,
            "rank_low": low,
            "rank_high": high,
            "p_top": (ranks == 1.0).mean(axis=0),
        }
    )
    return out.sort_values(["rank", group], kind="stable").reset_index(drop=True)
