"""Tests for analysis.funnel: funnel-plot limits with over-dispersion (Spiegelhalter 2005).

Covers issue 3 §4 (funnel plots). References:
* a 10-library example computed by hand in the test (type-7 quantiles, winsorised phi,
  additive tau², limits), following FunnelPlotR's ``od_adjustment.R``;
* ``statsmodels.stats.meta_analysis.combine_effects``: without winsorising, J*phi is
  Cochran's Q and tau² is the DerSimonian-Laird estimate;
* arcsine-scale proportion limits computed by hand with ``math``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.meta_analysis import combine_effects

from analysis.funnel import funnel_curve
from analysis.funnel import funnel_means
from analysis.funnel import funnel_proportions

Z95 = 1.959963984540054
Z998 = 3.090232306167813

N10 = np.array([4, 9, 16, 25, 36, 49, 64, 81, 100, 121])
Z10 = np.array([-3.0, -1.5, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 4.0])


@pytest.fixture
def ten() -> pd.DataFrame:
    # sigma = 1, target 0: s_j = 1/sqrt(n_j) = 1/2, 1/3, ..., 1/11 and mean_j = z_j * s_j
    return pd.DataFrame(
        {"library_id": [f"L{i}" for i in range(10)], "n": N10, "mean": Z10 / np.sqrt(N10)}
    )


def test_funnel_means__hand_computed_winsorised_phi_and_tau2(ten):
    res = funnel_means(ten, var=None, sigma=1.0, target=0.0)
    # R type-7 quantiles of the sorted z: 10%: -3 + 0.9*(-1.5 - -3) = -1.65;
    # 90%: 2.5 + 0.1*(4 - 2.5) = 2.65. Winsorised z^2 sum:
    # 1.65^2 + 1.5^2 + .5^2 + 0 + .5^2 + 1 + 1.5^2 + 4 + 2.5^2 + 2.65^2 = 25.995
    assert res.phi == pytest.approx(25.995 / 10, abs=1e-12)
    # w = n: sum 505, sum of squares 39973; tau2 = (J phi - (J - 1)) / (505 - 39973/505)
    tau2 = (25.995 - 9) / (505 - 39973 / 505)
    assert res.tau2 == pytest.approx(tau2, abs=1e-12)
    tab = res.to_frame()
    sd_first = math.sqrt(1 / 4 + tau2)
    assert tab["upper_95"].iloc[0] == pytest.approx(Z95 * sd_first, abs=1e-12)
    assert tab["lower_998"].iloc[0] == pytest.approx(-Z998 * sd_first, abs=1e-12)
    np.testing.assert_allclose(tab["z"], Z10, atol=1e-12)
    np.testing.assert_allclose(tab["z_adjusted"], tab["value"] / np.sqrt(1 / N10 + tau2))
    # mean -1.5 at n = 4: |-1.5| > 1.96*0.5384 = 1.055 but < 3.09*0.5384 = 1.664
    assert tab["outside_95"].tolist() == [True] + [False] * 9
    assert not tab["outside_998"].any()


def test_funnel_means__no_winsorising_gives_dersimonian_laird():
    rng = np.random.default_rng(3)
    n = rng.integers(5, 200, 50)
    theta = 4 + rng.normal(0, 0.2, 50)
    stats_frame = pd.DataFrame(
        {
            "library_id": range(50),
            "n": n,
            "mean": [rng.normal(theta[j], 0.9, n[j]).mean() for j in range(50)],
            "var": [rng.normal(0, 0.9, n[j]).var(ddof=1) for j in range(50)],
        }
    )
    res = funnel_means(stats_frame, winsor=0.0)
    ref = combine_effects(stats_frame["mean"].to_numpy(), res.sigma**2 / n, method_re="dl")
    assert res.tau2 == pytest.approx(float(ref.tau2), rel=1e-10)
    assert res.phi * 50 == pytest.approx(float(ref.q), rel=1e-10)
    # default target is the pooled (n-weighted) mean = fixed-effect mean
    assert res.target == pytest.approx(float(ref.mean_effect_fe), rel=1e-12)
    # pooled within-library SD
    pooled = math.sqrt(((n - 1) * stats_frame["var"]).sum() / (n.sum() - 50))
    assert res.sigma == pytest.approx(pooled, rel=1e-12)


def test_funnel_means__multiplicative_and_none(ten):
    mult = funnel_means(ten, var=None, sigma=1.0, target=0.0, overdispersion="multiplicative")
    tab = mult.to_frame()
    np.testing.assert_allclose(tab["upper_95"], Z95 * math.sqrt(2.5995) / np.sqrt(N10))
    assert mult.tau2 == 0.0
    plain = funnel_means(ten, var=None, sigma=1.0, target=0.0, overdispersion="none").to_frame()
    np.testing.assert_allclose(plain["upper_998"], Z998 / np.sqrt(N10))
    # unadjusted: |z| > 1.96 for z = -3, 2, 2.5, 4; > 3.09 only for 4
    assert plain["outside_95"].sum() == 4
    assert plain["outside_998"].tolist() == [False] * 9 + [True]


def test_funnel_proportions__arcsine_limits_by_hand():
    data = pd.DataFrame({"library_id": ["a", "b"], "successes": [70, 19], "n": [100, 20]})
    res = funnel_proportions(data, target=0.8, overdispersion="none")
    t = math.asin(math.sqrt(0.8))
    tab = res.to_frame().set_index("library_id")
    assert tab.loc["a", "lower_95"] == pytest.approx(math.sin(t - Z95 / 20) ** 2, abs=1e-12)
    assert tab.loc["a", "upper_95"] == pytest.approx(math.sin(t + Z95 / 20) ** 2, abs=1e-12)
    # asin(sqrt .8) = 1.107149, - 1.959964/20 = 1.009151, sin = 0.846380, squared 0.716359
    assert tab.loc["a", "lower_95"] == pytest.approx(0.716359, abs=1e-6)
    assert tab.loc["a", "z"] == pytest.approx((math.asin(math.sqrt(0.7)) - t) * 20, abs=1e-12)
    # 0.70 < 0.7168: outside the 95% limits, inside 99.8%
    assert tab.loc["a", "outside_95"] and not tab.loc["a", "outside_998"]


def test_funnel_proportions__limits_are_clipped_at_one():
    data = pd.DataFrame(
        {"library_id": ["a", "b", "c"], "successes": [5, 90, 180], "n": [5, 100, 200]}
    )
    res = funnel_proportions(data, target=0.95, overdispersion="none").to_frame()
    # asin(sqrt(.95)) + 3.09/(2 sqrt 5) = 2.036 > pi/2: the upper limit is 1, not sin^2(2.036)
    assert res["upper_998"].iloc[0] == 1.0
    assert res["lower_998"].iloc[0] == pytest.approx(
        math.sin(math.asin(math.sqrt(0.95)) - Z998 / (2 * math.sqrt(5))) ** 2, abs=1e-12
    )


def test_funnel_proportions__default_target_is_pooled_share():
    data = pd.DataFrame(
        {"library_id": list("abcd"), "successes": [8, 30, 45, 120], "n": [10, 50, 60, 150]}
    )
    res = funnel_proportions(data)
    assert res.target == pytest.approx(203 / 270)
    assert res.target_transformed == pytest.approx(math.asin(math.sqrt(203 / 270)))


def test_funnel_curve__reproduces_library_limits(ten):
    for od in ("additive", "multiplicative", "none"):
        res = funnel_means(ten, var=None, sigma=1.0, target=0.0, overdispersion=od)
        curve = funnel_curve(res, N10)
        tab = res.to_frame()
        for col in ("lower_95", "upper_95", "lower_998", "upper_998"):
            np.testing.assert_allclose(curve[col], tab[col], atol=1e-14)
    data = pd.DataFrame({"library_id": list("abc"), "successes": [3, 40, 70], "n": [5, 50, 100]})
    pres = funnel_proportions(data)
    np.testing.assert_allclose(
        funnel_curve(pres, [5, 50, 100])["upper_95"], pres.to_frame()["upper_95"], atol=1e-14
    )


def test_funnel__rejects_bad_input(ten):
    with pytest.raises(ValueError, match="overdispersion"):
        funnel_means(ten, var=None, sigma=1.0, overdispersion="both")
    with pytest.raises(ValueError, match="sigma"):
        funnel_means(ten, var=None)
    with pytest.raises(ValueError, match="target"):
        funnel_proportions(
            pd.DataFrame({"library_id": [1, 2], "successes": [1, 2], "n": [3, 4]}), target=1.0
        )
