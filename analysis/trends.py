"""Trends between two periods and comparisons of response channels.

* :func:`mean_change` -- change in a library's mean between two periods, Welch t-test and
  interval from sufficient statistics (n, mean, var per period);
* :func:`proportion_change` -- change in a share, Newcombe hybrid-score (Wilson) interval
  and the pooled two-proportion z-test;
* :func:`compare_channels` -- means per channel (qr, kiosk, web, paper) with intervals, an
  omnibus test (Welch ANOVA or Kruskal-Wallis) and pairwise differences.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

from analysis._checks import check_ci
from analysis._checks import numeric_column
from analysis._checks import require_columns
from analysis._checks import require_frame
from analysis.estimators import proportion_interval as _proportion
from analysis.estimators import t_interval_parts as _t_parts

__all__ = [
    "ChannelComparison",
    "compare_channels",
    "mean_change",
    "proportion_change",
]


def _welch(
    n1: np.ndarray,
    m1: np.ndarray,
    v1: np.ndarray,
    n2: np.ndarray,
    m2: np.ndarray,
    v2: np.ndarray,
    ci: float,
) -> dict[str, np.ndarray]:
    """Welch t for m2 - m1 from sufficient statistics (vectorised; NaN where n < 2)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        a1 = v1 / n1
        a2 = v2 / n2
        se = np.sqrt(a1 + a2)
        df = (a1 + a2) ** 2 / (a1**2 / (n1 - 1) + a2**2 / (n2 - 1))
        diff = m2 - m1
        t = diff / se
        p = 2.0 * stats.t.sf(np.abs(t), df)
        q = stats.t.ppf(0.5 + ci / 2.0, df)
    bad = (n1 < 2) | (n2 < 2) | ~(se > 0)
    out = {
        "diff": diff,
        "se": se,
        "df": df,
        "t": t,
        "p_value": p,
        "ci_low": diff - q * se,
        "ci_high": diff + q * se,
    }
    for key in ("se", "df", "t", "p_value", "ci_low", "ci_high"):
        out[key] = np.where(bad, np.nan, out[key])
    out["diff"] = np.where((n1 < 1) | (n2 < 1), np.nan, diff)
    return out


def _pivot_periods(
    data: pd.DataFrame,
    group: str | None,
    period: str,
    before: object,
    after: object,
    value_cols: Sequence[str],
) -> pd.DataFrame:
    require_frame(data)
    need = [period, *value_cols] + ([group] if group is not None else [])
    require_columns(data, need)
    if before == after:
        raise ValueError("before and after must be different periods")
    sub = data[data[period].isin([before, after])]
    keys = [group, period] if group is not None else [period]
    if sub.duplicated(keys).any():
        raise ValueError("more than one row per group and period")
    if group is None:
        b = sub[sub[period] == before]
        a = sub[sub[period] == after]
        if b.empty or a.empty:
            raise ValueError("both periods must be present")
        row = {f"{c}_before": b[c].iloc[0] for c in value_cols}
        row.update({f"{c}_after": a[c].iloc[0] for c in value_cols})
        return pd.DataFrame([row])
    groups = pd.Index(pd.unique(data[group]), name=group)
    b = sub[sub[period] == before].set_index(group)[list(value_cols)].reindex(groups)
    a = sub[sub[period] == after].set_index(group)[list(value_cols)].reindex(groups)
    b.columns = [f"{c}_before" for c in value_cols]
    a.columns = [f"{c}_after" for c in value_cols]
    return pd.concat([b, a], axis=1).reset_index()


def mean_change(
    stats_frame: pd.DataFrame,
    *,
    before: object,
    after: object,
    group: str | None = "library_id",
    period: str = "period",
    n: str = "n",
    mean: str = "mean",
    var: str = "var",
    ci: float = 0.95,
) -> pd.DataFrame:
    """Change of a mean between two periods per library (Welch t from sufficient statistics).

    Parameters
    ----------
    stats_frame : DataFrame
        Long table: one row per (library, period) with count, mean and sample variance
        (divisor n - 1), e.g. from a SQL ``GROUP BY library_id, period``.
    before, after : object
        Labels of the two periods in ``period``; the change is ``after - before``.
    group : str or None, default "library_id"
        Library column; None when the frame holds one unit (one row per period).
    period, n, mean, var : str
        Column names.
    ci : float, default 0.95
        Confidence level of the interval for the change.

    Returns
    -------
    DataFrame
        One row per library: ``n_before``, ``mean_before``, ``var_before``, ``n_after``,
        ``mean_after``, ``var_after``, ``diff``, ``se``, ``df``, ``t``, ``p_value``,
        ``ci_low``, ``ci_high``. A library missing a period, or with fewer than two
        responses in one, gets NaN for the test (it is kept, not dropped).

    Notes
    -----
    :math:`d = \\bar y_2 - \\bar y_1`, :math:`SE = \\sqrt{s_1^2/n_1 + s_2^2/n_2}`,
    Welch-Satterthwaite :math:`\\nu = SE^4 / [(s_1^2/n_1)^2/(n_1-1) + (s_2^2/n_2)^2/(n_2-1)]`,
    :math:`t = d/SE`, :math:`p = 2\\,P(T_\\nu > |t|)`, interval
    :math:`d \\pm t_{\\nu, 1-(1-ci)/2}\\,SE`. Identical to
    ``scipy.stats.ttest_ind(equal_var=False)`` on the raw rows. The two periods are treated
    as independent samples of visitors.

    References
    ----------
    Welch, B. L. (1947). The generalization of "Student's" problem when several different
    population variances are involved. *Biometrika*, 34(1-2), 28-35.
    """
    check_ci(ci)
    wide = _pivot_periods(stats_frame, group, period, before, after, [n, mean, var])
    n1 = numeric_column(wide[f"{n}_before"], n)
    n2 = numeric_column(wide[f"{n}_after"], n)
    m1 = numeric_column(wide[f"{mean}_before"], mean)
    m2 = numeric_column(wide[f"{mean}_after"], mean)
    v1 = numeric_column(wide[f"{var}_before"], var)
    v2 = numeric_column(wide[f"{var}_after"], var)
    n1 = np.nan_to_num(n1, nan=0.0)
    n2 = np.nan_to_num(n2, nan=0.0)
    if (n1 < 0).any() or (n2 < 0).any():
        raise ValueError("n must be non-negative")
    if (v1[n1 > 1] < 0).any() or (v2[n2 > 1] < 0).any():
        raise ValueError("var must be non-negative")
    res = _welch(n1, m1, v1, n2, m2, v2, ci)
    out = pd.DataFrame(
        {
            "n_before": n1.astype(int),
            "mean_before": m1,
            "var_before": v1,
            "n_after": n2.astype(int),
            "mean_after": m2,
            "var_after": v2,
            **res,
        }
    )
    if group is not None:
        out.insert(0, group, wide[group].to_numpy())
    return out


def proportion_change(
    stats_frame: pd.DataFrame,
    *,
    before: object,
    after: object,
    group: str | None = "library_id",
    period: str = "period",
    successes: str = "successes",
    n: str = "n",
    ci: float = 0.95,
) -> pd.DataFrame:
    """Change of a proportion between two periods, with Newcombe's hybrid-score interval.

    Parameters
    ----------
    stats_frame : DataFrame
        Long table: one row per (library, period) with successes and trials.
    before, after : object
        Labels of the two periods; the change is ``p_after - p_before``.
    group : str or None, default "library_id"
        Library column; None when the frame holds one unit.
    period, successes, n : str
        Column names.
    ci : float, default 0.95
        Confidence level.

    Returns
    -------
    DataFrame
        One row per library: ``successes_before``, ``n_before``, ``p_before``,
        ``successes_after``, ``n_after``, ``p_after``, ``diff``, ``ci_low``, ``ci_high``
        (Newcombe), ``z`` and ``p_value`` (pooled two-proportion z-test). NaN where a
        period has no trials.

    Notes
    -----
    Newcombe (1998) method 10 (no continuity correction): with Wilson score limits
    :math:`(l_i, u_i)` for each proportion, :math:`d = \\hat p_2 - \\hat p_1`,

    .. math::
        L = d - \\sqrt{(\\hat p_2 - l_2)^2 + (u_1 - \\hat p_1)^2}, \\qquad
        U = d + \\sqrt{(u_2 - \\hat p_2)^2 + (\\hat p_1 - l_1)^2}.

    Wilson: :math:`(\\hat p + z^2/2n \\pm z\\sqrt{\\hat p(1-\\hat p)/n + z^2/4n^2})
    / (1 + z^2/n)` (statsmodels ``proportion_confint(method="wilson")``, as in
    :mod:`analysis.indices`). Test: :math:`\\bar p = (x_1+x_2)/(n_1+n_2)`,
    :math:`z = d / \\sqrt{\\bar p(1-\\bar p)(1/n_1 + 1/n_2)}` (z = 0, p = 1 when
    :math:`\\bar p \\in \\{0, 1\\}`).

    References
    ----------
    Newcombe, R. G. (1998). Interval estimation for the difference between independent
    proportions: comparison of eleven methods. *Statistics in Medicine*, 17(8), 873-890.

    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
    inference. *JASA*, 22(158), 209-212.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"period": ["2024", "2025"], "successes": [48, 56], "n": [80, 70]})
    >>> r = proportion_change(d, before="2024", after="2025", group=None)
    >>> r[["diff", "ci_low", "ci_high"]].round(4).iloc[0].tolist()
    [0.2, 0.0524, 0.3339]
    """
    check_ci(ci)
    wide = _pivot_periods(stats_frame, group, period, before, after, [successes, n])
    x1 = np.nan_to_num(numeric_column(wide[f"{successes}_before"], successes), nan=0.0)
    n1 = np.nan_to_num(numeric_column(wide[f"{n}_before"], n), nan=0.0)
    x2 = np.nan_to_num(numeric_column(wide[f"{successes}_after"], successes), nan=0.0)
    n2 = np.nan_to_num(numeric_column(wide[f"{n}_after"], n), nan=0.0)
    if (x1 < 0).any() or (x2 < 0).any() or (x1 > n1).any() or (x2 > n2).any():
        raise ValueError("successes must lie between 0 and n")
    # share and Wilson limits (statsmodels proportion_confint); NaN where a period has n = 0
    p1, _, l1, u1 = _proportion(x1, n1, ci, "wilson")
    p2, _, l2, u2 = _proportion(x2, n2, ci, "wilson")
    with np.errstate(invalid="ignore", divide="ignore"):
        d = p2 - p1
        lo = d - np.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2)
        hi = d + np.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)
        pbar = (x1 + x2) / (n1 + n2)
        se0 = np.sqrt(pbar * (1 - pbar) * (1 / n1 + 1 / n2))
        zs = np.where(se0 > 0, d / se0, 0.0)
        pv = 2.0 * stats.norm.sf(np.abs(zs))
    bad = (n1 < 1) | (n2 < 1)
    out = pd.DataFrame(
        {
            "successes_before": x1.astype(int),
            "n_before": n1.astype(int),
            "p_before": p1,
            "successes_after": x2.astype(int),
            "n_after": n2.astype(int),
            "p_after": p2,
            "diff": np.where(bad, np.nan, d),
            "ci_low": np.where(bad, np.nan, lo),
            "ci_high": np.where(bad, np.nan, hi),
            "z": np.where(bad, np.nan, zs),
            "p_value": np.where(bad, np.nan, pv),
        }
    )
    if group is not None:
        out.insert(0, group, wide[group].to_numpy())
    return out


@dataclass(frozen=True)
class ChannelComparison:
    """Result of :func:`compare_channels`."""

    #: one row per channel: channel, n, mean, sd, se, ci_low, ci_high, median
    summary: pd.DataFrame
    #: omnibus test: "welch" (Welch ANOVA) or "kruskal" (Kruskal-Wallis H)
    test: str
    #: F (Welch) or H (Kruskal-Wallis)
    statistic: float
    #: numerator df (Welch) / chi-square df (Kruskal-Wallis)
    df1: float
    #: denominator df (Welch); NaN for Kruskal-Wallis
    df2: float
    p_value: float
    #: one row per pair of channels: channel_a, channel_b, diff (b - a), se, df, ci_low,
    #: ci_high, p_value, p_adjusted
    pairwise: pd.DataFrame
    #: multiple-comparison method of ``p_adjusted`` (statsmodels ``multipletests`` name)
    p_adjust: str
    ci: float

    def to_frame(self) -> pd.DataFrame:
        """Return the per-channel summary (a copy)."""
        return self.summary.copy()


def _welch_anova(n: np.ndarray, m: np.ndarray, v: np.ndarray) -> tuple[float, float, float]:
    k = n.size
    w = n / v
    sw = w.sum()
    grand = float(np.sum(w * m) / sw)
    a = float(np.sum(w * (m - grand) ** 2)) / (k - 1)
    lam = float(np.sum((1 - w / sw) ** 2 / (n - 1)))
    b = 1 + 2 * (k - 2) / (k**2 - 1) * lam
    f = a / b
    df2 = (k**2 - 1) / (3 * lam)
    return f, float(k - 1), df2


def compare_channels(
    data: pd.DataFrame,
    *,
    channel: str = "channel",
    value: str = "value",
    channels: Sequence[str] | None = None,
    test: Literal["welch", "kruskal"] = "welch",
    p_adjust: str = "holm",
    ci: float = 0.95,
) -> ChannelComparison:
    """Compare a score across response channels (qr, kiosk, web, paper).

    Parameters
    ----------
    data : DataFrame
        Raw rows (one per response) with the channel and a numeric score.
    channel, value : str
        Column names. Rows with a missing score are ignored.
    channels : sequence of str, optional
        Channels to compare and their order (default: sorted distinct values).
    test : {"welch", "kruskal"}, default "welch"
        Omnibus test: Welch's heteroscedastic ANOVA, or the Kruskal-Wallis rank test
        (``scipy.stats.kruskal``, tie-corrected).
    p_adjust : str, default "holm"
        ``statsmodels.stats.multitest.multipletests`` method for the pairwise p-values.
    ci : float, default 0.95
        Confidence level of the per-channel and pairwise intervals.

    Returns
    -------
    ChannelComparison
        Per-channel summary (``.to_frame()``), omnibus test and pairwise table.

    Raises
    ------
    ValueError
        Fewer than two channels, or a channel with fewer than two responses (or zero
        variance for the Welch test).

    Notes
    -----
    Per channel: :math:`\\bar y \\pm t_{n-1}\\,s/\\sqrt n`.
    Welch ANOVA (Welch 1951): :math:`w_i = n_i/s_i^2`,
    :math:`\\tilde y = \\sum w_i\\bar y_i/\\sum w_i`,
    :math:`A = \\sum w_i(\\bar y_i - \\tilde y)^2/(k-1)`,
    :math:`\\Lambda = \\sum (1 - w_i/\\sum w)^2/(n_i - 1)`,
    :math:`F = A / [1 + 2(k-2)\\Lambda/(k^2-1)]` on :math:`(k-1, (k^2-1)/(3\\Lambda))` df.
    Kruskal-Wallis: :math:`H = [12/(N(N+1))\\sum R_i^2/n_i - 3(N+1)] / C` with the tie
    correction C, on k - 1 df.
    Pairwise: difference of means (b - a) with the Welch interval (see
    :func:`mean_change`); p-values from Welch t-tests (``test="welch"``) or two-sided
    Mann-Whitney U tests (``test="kruskal"``), adjusted by ``p_adjust``.
    Channels differ in who answers (self-selection), so differences are descriptive, not
    causal mode effects.

    References
    ----------
    Welch, B. L. (1951). On the comparison of several mean values: an alternative
    approach. *Biometrika*, 38(3/4), 330-336.

    Kruskal, W. H., & Wallis, W. A. (1952). Use of ranks in one-criterion variance
    analysis. *JASA*, 47(260), 583-621.

    Holm, S. (1979). A simple sequentially rejective multiple test procedure.
    *Scandinavian Journal of Statistics*, 6(2), 65-70.
    """
    require_frame(data)
    require_columns(data, [channel, value])
    check_ci(ci)
    if test not in ("welch", "kruskal"):
        raise ValueError("test must be 'welch' or 'kruskal'")
    frame = pd.DataFrame({"c": data[channel].to_numpy(), "v": numeric_column(data[value], value)})
    frame = frame.dropna()
    labels = sorted(pd.unique(frame["c"]).tolist()) if channels is None else list(channels)
    if len(labels) < 2:
        raise ValueError("at least two channels are needed")
    groups = [frame.loc[frame["c"] == lab, "v"].to_numpy() for lab in labels]
    for lab, g in zip(labels, groups, strict=True):
        if g.size < 2:
            raise ValueError(f"channel {lab!r} has fewer than two responses")
    n = np.array([g.size for g in groups], dtype=float)
    m = np.array([g.mean() for g in groups])
    v = np.array([g.var(ddof=1) for g in groups])
    sd = np.sqrt(v)
    se, half = _t_parts(n, sd, ci)
    summary = pd.DataFrame(
        {
            "channel": labels,
            "n": n.astype(int),
            "mean": m,
            "sd": sd,
            "se": se,
            "ci_low": m - half,
            "ci_high": m + half,
            "median": [float(np.median(g)) for g in groups],
        }
    )
    if test == "welch":
        if (v <= 0).any():
            raise ValueError("a channel has zero variance: Welch's ANOVA is undefined")
        f, df1, df2 = _welch_anova(n, m, v)
        pval = float(stats.f.sf(f, df1, df2))
        statistic = f
    else:
        h = stats.kruskal(*groups)
        statistic, df1, df2, pval = (
            float(h.statistic),
            float(len(labels) - 1),
            math.nan,
            float(h.pvalue),
        )
    rows = []
    for i, j in itertools.combinations(range(len(labels)), 2):
        w = _welch(
            n[i : i + 1], m[i : i + 1], v[i : i + 1], n[j : j + 1], m[j : j + 1], v[j : j + 1], ci
        )
        if test == "welch":
            p = float(w["p_value"][0])
        else:
            p = float(stats.mannwhitneyu(groups[j], groups[i], alternative="two-sided").pvalue)
        rows.append(
            {
                "channel_a": labels[i],
                "channel_b": labels[j],
                "diff": float(w["diff"][0]),
                "se": float(w["se"][0]),
                "df": float(w["df"][0]),
                "ci_low": float(w["ci_low"][0]),
                "ci_high": float(w["ci_high"][0]),
                "p_value": p,
            }
        )
    pairwise = pd.DataFrame(rows)
    pvals = pairwise["p_value"].to_numpy()
    finite = np.isfinite(pvals)
    adj = np.full(pvals.size, np.nan)
    if finite.any():
        adj[finite] = multipletests(pvals[finite], method=p_adjust)[1]
    pairwise["p_adjusted"] = adj
    return ChannelComparison(
        summary=summary,
        test=test,
        statistic=float(statistic),
        df1=float(df1),
        df2=float(df2),
        p_value=pval,
        pairwise=pairwise,
        p_adjust=p_adjust,
        ci=ci,
    )
