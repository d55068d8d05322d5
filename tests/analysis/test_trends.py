"""Tests for analysis.trends: period changes and channel comparisons.

Covers issue 3 §6. References:
* ``scipy.stats.ttest_ind(equal_var=False)`` on the raw rows (Welch t, df, p, interval);
* Newcombe (1998), method 10 worked example 56/70 vs 48/80: difference 0.2, 95% CI
  0.0524 to 0.3339, plus ``statsmodels`` ``confint_proportions_2indep(method="newcomb")``;
* ``statsmodels`` ``proportions_ztest`` (pooled two-proportion z-test);
* ``statsmodels`` ``anova_oneway(use_var="unequal", welch_correction=True)`` (Welch ANOVA),
  ``scipy.stats.kruskal`` and a Kruskal-Wallis H computed by hand;
* ``statsmodels`` ``multipletests`` (Holm) for the pairwise adjustment.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.oneway import anova_oneway
from statsmodels.stats.proportion import confint_proportions_2indep
from statsmodels.stats.proportion import proportions_ztest

from analysis.trends import compare_channels
from analysis.trends import mean_change
from analysis.trends import proportion_change


def _summ(values: np.ndarray) -> dict[str, float]:
    return {"n": len(values), "mean": values.mean(), "var": values.var(ddof=1)}


def test_mean_change__matches_scipy_welch_on_raw_rows():
    rng = np.random.default_rng(0)
    raw = {
        ("L1", "2024"): rng.normal(4.0, 1.0, 30),
        ("L1", "2025"): rng.normal(4.4, 0.6, 45),
        ("L2", "2024"): rng.normal(3.5, 0.8, 12),
        ("L2", "2025"): rng.normal(3.4, 1.3, 9),
    }
    stats_frame = pd.DataFrame(
        [{"library_id": lib, "period": per, **_summ(v)} for (lib, per), v in raw.items()]
    )
    got = mean_change(stats_frame, before="2024", after="2025", ci=0.90).set_index("library_id")
    for lib in ("L1", "L2"):
        ref = stats.ttest_ind(raw[(lib, "2025")], raw[(lib, "2024")], equal_var=False)
        ci = ref.confidence_interval(confidence_level=0.90)
        row = got.loc[lib]
        assert row["diff"] == pytest.approx(raw[(lib, "2025")].mean() - raw[(lib, "2024")].mean())
        assert row["t"] == pytest.approx(ref.statistic, rel=1e-12)
        assert row["df"] == pytest.approx(ref.df, rel=1e-12)
        assert row["p_value"] == pytest.approx(ref.pvalue, rel=1e-10)
        assert row["ci_low"] == pytest.approx(ci.low, rel=1e-10)
        assert row["ci_high"] == pytest.approx(ci.high, rel=1e-10)


def test_mean_change__keeps_library_missing_a_period_with_nan():
    stats_frame = pd.DataFrame(
        {
            "library_id": ["a", "a", "b", "c", "c"],
            "period": ["p1", "p2", "p2", "p1", "p2"],
            "n": [10, 12, 8, 1, 5],
            "mean": [4.0, 4.5, 3.0, 5.0, 4.0],
            "var": [1.0, 1.0, 0.5, np.nan, 0.4],
        }
    )
    got = mean_change(stats_frame, before="p1", after="p2").set_index("library_id")
    assert list(got.index) == ["a", "b", "c"]
    assert got.loc["b", "n_before"] == 0 and np.isnan(got.loc["b", "diff"])
    # one response before: a difference but no test
    assert got.loc["c", "diff"] == pytest.approx(-1.0)
    assert np.isnan(got.loc["c", "p_value"])
    # a: se = sqrt(1/10 + 1/12), df = se^4 / ((1/10)^2/9 + (1/12)^2/11)
    se = np.sqrt(1 / 10 + 1 / 12)
    assert got.loc["a", "se"] == pytest.approx(se)
    assert got.loc["a", "df"] == pytest.approx(se**4 / ((1 / 10) ** 2 / 9 + (1 / 12) ** 2 / 11))


def test_proportion_change__newcombe_1998_published_example():
    d = pd.DataFrame({"period": ["before", "after"], "successes": [48, 56], "n": [80, 70]})
    got = proportion_change(d, before="before", after="after", group=None).iloc[0]
    # Newcombe (1998), Table II example (a), method 10: 0.2000 (0.0524, 0.3339)
    assert got["diff"] == pytest.approx(0.2, abs=1e-12)
    assert got["ci_low"] == pytest.approx(0.0524, abs=5e-5)
    assert got["ci_high"] == pytest.approx(0.3339, abs=5e-5)


@pytest.mark.parametrize(
    ("x_after", "n_after", "x_before", "n_before"),
    [(56, 70, 48, 80), (9, 10, 3, 10), (6, 7, 2, 7), (5, 56, 0, 29), (10, 10, 0, 20)],
)
def test_proportion_change__matches_statsmodels_newcombe_and_ztest(
    x_after, n_after, x_before, n_before
):
    d = pd.DataFrame(
        {
            "library_id": ["L", "L"],
            "period": [1, 2],
            "successes": [x_before, x_after],
            "n": [n_before, n_after],
        }
    )
    got = proportion_change(d, before=1, after=2).iloc[0]
    low, high = confint_proportions_2indep(
        x_after, n_after, x_before, n_before, method="newcomb", compare="diff"
    )
    assert got["ci_low"] == pytest.approx(low, abs=1e-12)
    assert got["ci_high"] == pytest.approx(high, abs=1e-12)
    z, p = proportions_ztest([x_after, x_before], [n_after, n_before])
    assert got["z"] == pytest.approx(z, rel=1e-12)
    assert got["p_value"] == pytest.approx(p, rel=1e-10)


def test_proportion_change__no_variation_gives_z_zero():
    d = pd.DataFrame({"period": ["a", "b"], "successes": [0, 0], "n": [10, 20]})
    got = proportion_change(d, before="a", after="b", group=None).iloc[0]
    assert got["z"] == 0.0 and got["p_value"] == 1.0
    # Wilson upper limits z^2/(n + z^2): 0.277533 (before, n=10), 0.161125 (after, n=20);
    # after - before: L = 0 - 0.277533, U = 0 + 0.161125
    assert got["ci_low"] == pytest.approx(-0.277533, abs=1e-6)
    assert got["ci_high"] == pytest.approx(0.161125, abs=1e-6)


@pytest.fixture(scope="module")
def channels() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    sizes = {"qr": 20, "kiosk": 35, "web": 15, "paper": 25}
    shift = {"qr": 0.0, "kiosk": 0.6, "web": 0.2, "paper": -0.2}
    sd = {"qr": 1.0, "kiosk": 0.6, "web": 1.4, "paper": 0.9}
    return pd.DataFrame(
        [
            {"channel": c, "value": 4 + shift[c] + sd[c] * rng.standard_normal()}
            for c, k in sizes.items()
            for _ in range(k)
        ]
    )


def test_compare_channels__welch_anova_matches_statsmodels(channels):
    got = compare_channels(channels)
    ref = anova_oneway(
        channels["value"], channels["channel"], use_var="unequal", welch_correction=True
    )
    assert got.statistic == pytest.approx(float(ref.statistic), rel=1e-10)
    assert got.df1 == pytest.approx(3.0)
    assert got.df2 == pytest.approx(float(ref.df[1]), rel=1e-10)
    assert got.p_value == pytest.approx(float(ref.pvalue), rel=1e-8)


def test_compare_channels__summary_and_pairwise_match_scipy(channels):
    got = compare_channels(channels, channels=["qr", "kiosk", "web", "paper"])
    summary = got.to_frame().set_index("channel")
    assert list(summary.index) == ["qr", "kiosk", "web", "paper"]
    groups = {c: g["value"].to_numpy() for c, g in channels.groupby("channel")}
    for c, v in groups.items():
        low, high = stats.t.interval(0.95, len(v) - 1, loc=v.mean(), scale=stats.sem(v))
        assert summary.loc[c, "ci_low"] == pytest.approx(low, rel=1e-12)
        assert summary.loc[c, "ci_high"] == pytest.approx(high, rel=1e-12)
    pw = got.pairwise
    assert len(pw) == 6
    raw_p = []
    for _, row in pw.iterrows():
        ref = stats.ttest_ind(groups[row["channel_b"]], groups[row["channel_a"]], equal_var=False)
        assert row["p_value"] == pytest.approx(ref.pvalue, rel=1e-10)
        ci = ref.confidence_interval()
        assert row["ci_low"] == pytest.approx(ci.low, rel=1e-10)
        raw_p.append(ref.pvalue)
    holm = multipletests(raw_p, method="holm")[1]
    np.testing.assert_allclose(pw["p_adjusted"], holm, rtol=1e-10)


def test_compare_channels__kruskal_wallis_by_hand():
    data = pd.DataFrame(
        {"channel": ["qr"] * 3 + ["kiosk"] * 3 + ["web"] * 3, "value": [1, 2, 3, 4, 5, 6, 7, 8, 9]}
    )
    got = compare_channels(data, test="kruskal")
    # rank sums 6, 15, 24: H = 12/(9*10) * (36 + 225 + 576)/3 - 3*10 = 37.2 - 30 = 7.2
    assert got.statistic == pytest.approx(7.2, abs=1e-12)
    assert got.df1 == 2.0
    assert got.p_value == pytest.approx(np.exp(-7.2 / 2), rel=1e-10)  # chi2(2) sf
    pw = got.pairwise.set_index(["channel_a", "channel_b"])
    ref = stats.mannwhitneyu([7, 8, 9], [4, 5, 6], alternative="two-sided")
    assert pw.loc[("kiosk", "web"), "p_value"] == pytest.approx(ref.pvalue)


def test_compare_channels__rejects_single_response_channel():
    data = pd.DataFrame({"channel": ["qr", "qr", "web"], "value": [1.0, 2.0, 3.0]})
    with pytest.raises(ValueError, match="fewer than two"):
        compare_channels(data)
