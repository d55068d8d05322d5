"""Tests for analysis.shrinkage: empirical-Bayes means and proportions, rank intervals.

Covers issue 3 §4 (fair ranking). References:
* statsmodels ``MixedLM`` (REML and ML) on simulated data: grand mean, tau², sigma², BLUPs
  and ``random_effects_cov``; the ML log-likelihood ``llf``;
* Henderson's mixed-model equations, solved with numpy, for the prediction-error variance
  that includes the uncertainty of the grand mean;
* the balanced one-way ANOVA identity (REML = ANOVA estimator), written out by hand;
* ``scipy.stats.betabinom`` maximised by Nelder-Mead for the beta-binomial fit;
* the normal distribution function for two-group rank probabilities.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import integrate
from scipy import optimize
from scipy import stats

from analysis.shrinkage import group_summary
from analysis.shrinkage import rank_intervals
from analysis.shrinkage import shrink_means
from analysis.shrinkage import shrink_means_from_rows
from analysis.shrinkage import shrink_proportions


def _simulate(seed: int = 42, n_groups: int = 80) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 60, n_groups)
    theta = 4.0 + rng.normal(0.0, 0.25, n_groups)
    g = np.repeat(np.arange(n_groups), sizes)
    y = theta[g] + rng.normal(0.0, 0.9, sizes.sum())
    return pd.DataFrame({"library_id": [f"L{i:03d}" for i in g], "value": y})


@pytest.fixture(scope="module")
def sim() -> pd.DataFrame:
    return _simulate()


@pytest.fixture(scope="module")
def mixedlm_reml(sim):
    return smf.mixedlm("value ~ 1", sim, groups=sim["library_id"]).fit(reml=True)


def _blups(fit) -> tuple[pd.Series, pd.Series]:
    blup = pd.Series({k: float(v.iloc[0]) for k, v in fit.random_effects.items()})
    pev = pd.Series({k: float(np.asarray(v).ravel()[0]) for k, v in fit.random_effects_cov.items()})
    return blup, pev


# ----------------------------------------------------------------- means


def test_shrink_means__reml_matches_statsmodels_mixedlm(sim, mixedlm_reml):
    fit = mixedlm_reml
    res = shrink_means_from_rows(sim, mu_uncertainty=False)
    assert res.tau2 == pytest.approx(float(fit.cov_re.iloc[0, 0]), rel=1e-3)
    assert res.sigma2 == pytest.approx(float(fit.scale), rel=1e-5)
    assert res.mu == pytest.approx(float(fit.fe_params.iloc[0]), abs=1e-6)
    assert res.mu_se == pytest.approx(float(fit.bse.iloc[0]), rel=1e-3)
    blup, pev = _blups(fit)
    tab = res.to_frame().set_index("library_id")
    np.testing.assert_allclose(tab["posterior_mean"] - res.mu, blup[tab.index], atol=1e-5)
    np.testing.assert_allclose(tab["posterior_sd"] ** 2, pev[tab.index], atol=1e-6)


def test_shrink_means__ml_matches_statsmodels_mixedlm(sim):
    fit = smf.mixedlm("value ~ 1", sim, groups=sim["library_id"]).fit(reml=False)
    res = shrink_means_from_rows(sim, method="ml", mu_uncertainty=False)
    assert res.tau2 == pytest.approx(float(fit.cov_re.iloc[0, 0]), rel=1e-3)
    assert res.sigma2 == pytest.approx(float(fit.scale), rel=1e-5)
    # our optimum is at least as good as statsmodels' (same likelihood, tighter tolerance):
    # -2 loglik from sufficient statistics, written out
    s = group_summary(sim)
    n, ybar = s["n"].to_numpy(float), s["mean"].to_numpy()
    w_ss = float(((n - 1) * s["var"].fillna(0.0)).sum())
    big_n = n.sum()

    def loglik(tau2: float, sigma2: float, mu: float) -> float:
        v = sigma2 + n * tau2
        return -0.5 * float(
            np.sum((n - 1) * np.log(sigma2) + np.log(v) + n * (ybar - mu) ** 2 / v)
            + w_ss / sigma2
            + big_n * np.log(2 * np.pi)
        )

    mu_sm = float(fit.fe_params.iloc[0])
    assert loglik(float(fit.cov_re.iloc[0, 0]), float(fit.scale), mu_sm) == pytest.approx(
        float(fit.llf), abs=1e-8
    )
    assert loglik(res.tau2, res.sigma2, res.mu) >= float(fit.llf) - 1e-9


def test_shrink_means__aggregates_give_same_result_as_rows(sim):
    from_rows = shrink_means_from_rows(sim).to_frame()
    summary = sim.groupby("library_id")["value"].agg(n="count", mean="mean", var="var")
    from_stats = shrink_means(summary.reset_index()).to_frame()
    pd.testing.assert_frame_equal(from_rows, from_stats, check_exact=False, rtol=1e-12)


def test_shrink_means__posterior_sd_matches_henderson_equations():
    stats_frame = pd.DataFrame(
        {
            "library_id": list("abcde"),
            "n": [3, 10, 25, 60, 150],
            "mean": [4.6, 4.0, 4.3, 3.9, 4.1],
            "var": [1.1, 0.7, 0.9, 0.8, 0.85],
        }
    )
    res = shrink_means(stats_frame, mu_uncertainty=True)
    tau2, sigma2 = res.tau2, res.sigma2
    assert tau2 > 0
    n = stats_frame["n"].to_numpy(float)
    # mixed-model equations for y = 1 mu + Z u + e (Henderson 1975), sufficient-stat form
    c = np.zeros((6, 6))
    c[0, 0] = n.sum() / sigma2
    c[0, 1:] = c[1:, 0] = n / sigma2
    c[1:, 1:] = np.diag(n / sigma2 + 1.0 / tau2)
    rhs = np.concatenate([[np.sum(n * stats_frame["mean"])], n * stats_frame["mean"]]) / sigma2
    sol = np.linalg.solve(c, rhs)
    c_inv = np.linalg.inv(c)
    for j in range(5):
        e = np.zeros(6)
        e[0] = e[j + 1] = 1.0
        pev = e @ c_inv @ e  # Var(mu_hat + u_hat_j - theta_j)
        assert res.table["posterior_mean"].iloc[j] == pytest.approx(sol[0] + sol[j + 1], abs=1e-12)
        assert res.table["posterior_sd"].iloc[j] == pytest.approx(math.sqrt(pev), abs=1e-12)
    z = stats.norm.ppf(0.975)
    np.testing.assert_allclose(
        res.table["ci_high"], res.table["posterior_mean"] + z * res.table["posterior_sd"]
    )


def test_shrink_means__balanced_reml_equals_anova_by_hand():
    # 4 libraries x 3 responses
    y = {"a": [4.0, 5.0, 6.0], "b": [2.0, 3.0, 4.0], "c": [6.0, 6.0, 9.0], "d": [1.0, 2.0, 6.0]}
    rows = pd.DataFrame(
        [(k, v) for k, vals in y.items() for v in vals], columns=["library_id", "value"]
    )
    # means 5, 3, 7, 3; grand 4.5; SSB = 3*(0.25+2.25+6.25+2.25) = 33, MSB = 11
    # SSW = 2 + 2 + 6 + 14 = 24, MSW = 24/8 = 3; tau2 = (11 - 3)/3 = 8/3
    for method in ("reml", "anova"):
        res = shrink_means_from_rows(rows, method=method)
        assert res.sigma2 == pytest.approx(3.0, abs=1e-8)
        assert res.tau2 == pytest.approx(8.0 / 3.0, abs=1e-8)
        assert res.mu == pytest.approx(4.5, abs=1e-10)
    w = (8 / 3) / (8 / 3 + 3 / 3)
    tab = shrink_means_from_rows(rows, method="anova").to_frame()
    np.testing.assert_allclose(tab["weight"], w)
    np.testing.assert_allclose(tab["posterior_mean"], 4.5 + w * (np.array([5, 3, 7, 3]) - 4.5))


def test_shrink_means__no_between_variance_pools_completely():
    rows = pd.DataFrame({"library_id": np.repeat(list("abcd"), 3), "value": [1.0, 2.0, 3.0] * 4})
    res = shrink_means_from_rows(rows)
    assert res.tau2 == 0.0
    tab = res.to_frame()
    assert (tab["weight"] == 0).all()
    np.testing.assert_allclose(tab["posterior_mean"], 2.0)


def test_shrink_means__small_libraries_shrink_more(sim):
    tab = shrink_means_from_rows(sim).to_frame().sort_values("n")
    assert tab["weight"].is_monotonic_increasing
    assert tab["weight"].iloc[0] < 0.3 < tab["weight"].iloc[-1]


def test_shrink_means__rejects_bad_input():
    ok = pd.DataFrame(
        {"library_id": ["a", "b"], "n": [3, 4], "mean": [1.0, 2.0], "var": [1.0, 1.0]}
    )
    with pytest.raises(ValueError, match="two groups"):
        shrink_means(ok.iloc[:1])
    with pytest.raises(ValueError, match="n must be"):
        shrink_means(ok.assign(n=[0, 4]))
    with pytest.raises(ValueError, match="not identifiable"):
        shrink_means(ok.assign(n=[1, 1], var=[np.nan, np.nan]))
    with pytest.raises(ValueError, match="method"):
        shrink_means(ok, method="bayes")
    with pytest.raises(TypeError):
        shrink_means(ok.to_numpy())


# ----------------------------------------------------------------- proportions


PROPS = pd.DataFrame(
    {
        "library_id": [f"L{i}" for i in range(8)],
        "successes": [3, 18, 40, 9, 70, 12, 1, 55],
        "n": [5, 30, 50, 20, 100, 15, 4, 60],
    }
)


def test_shrink_proportions__ml_matches_scipy_betabinom_fit():
    res = shrink_proportions(PROPS, method="ml")
    x, n = PROPS["successes"].to_numpy(), PROPS["n"].to_numpy()

    def negll(p: np.ndarray) -> float:
        return -float(stats.betabinom.logpmf(x, n, math.exp(p[0]), math.exp(p[1])).sum())

    ref = optimize.minimize(
        negll,
        np.log([2.0, 1.0]),
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20000},
    )
    a_ref, b_ref = np.exp(ref.x)
    assert res.alpha == pytest.approx(a_ref, rel=1e-3)
    assert res.beta == pytest.approx(b_ref, rel=1e-3)
    assert negll(np.log([res.alpha, res.beta])) <= ref.fun + 1e-8


def test_shrink_proportions__moments_by_hand():
    res = shrink_proportions(PROPS, method="moments")
    x, n = PROPS["successes"].to_numpy(float), PROPS["n"].to_numpy(float)
    big_n, j = n.sum(), 8  # N = 284
    pbar = x.sum() / big_n  # 208 / 284
    s = np.sum(n * (x / n - pbar) ** 2)
    rho = (s / (pbar * (1 - pbar)) - (j - 1)) / (big_n - j + 1 - np.sum(n**2) / big_n)
    size = 1 / rho - 1
    assert res.rho == pytest.approx(rho, rel=1e-12)
    assert res.alpha == pytest.approx(pbar * size, rel=1e-12)
    assert res.beta == pytest.approx((1 - pbar) * size, rel=1e-12)


def test_shrink_proportions__posterior_is_beta_with_updated_parameters():
    res = shrink_proportions(PROPS, method="moments", ci=0.90)
    a, b = res.alpha, res.beta
    row = res.to_frame().iloc[6]  # 1 of 4
    assert row["post_alpha"] == pytest.approx(a + 1)
    assert row["post_beta"] == pytest.approx(b + 3)
    assert row["posterior_mean"] == pytest.approx((a + 1) / (a + b + 4))
    assert row["weight"] == pytest.approx(4 / (a + b + 4))
    assert row["ci_low"] == pytest.approx(stats.beta.ppf(0.05, a + 1, b + 3))
    assert row["ci_high"] == pytest.approx(stats.beta.ppf(0.95, a + 1, b + 3))
    assert row["posterior_sd"] == pytest.approx(stats.beta.std(a + 1, b + 3))


def test_shrink_proportions__identical_shares_pool_completely():
    same = pd.DataFrame({"library_id": list("abc"), "successes": [5, 10, 20], "n": [10, 20, 40]})
    for method in ("moments", "ml"):
        res = shrink_proportions(same, method=method)
        assert math.isinf(res.alpha) and res.rho == 0.0
        tab = res.to_frame()
        np.testing.assert_allclose(tab["posterior_mean"], 0.5)
        np.testing.assert_allclose(tab["posterior_sd"], 0.0)


def test_shrink_proportions__recovers_simulated_prior():
    rng = np.random.default_rng(7)
    n = rng.integers(20, 200, 500)
    x = rng.binomial(n, rng.beta(8.0, 2.0, 500))
    res = shrink_proportions(pd.DataFrame({"library_id": range(500), "successes": x, "n": n}))
    assert res.prior_mean == pytest.approx(0.8, abs=0.01)
    assert res.alpha + res.beta == pytest.approx(10.0, rel=0.25)


def test_shrink_proportions__rejects_counts_above_n():
    with pytest.raises(ValueError, match="between 0 and n"):
        shrink_proportions(PROPS.assign(successes=PROPS["n"] + 1))


# ----------------------------------------------------------------- ranks


def test_rank_intervals__two_groups_match_normal_probability():
    data = pd.DataFrame(
        {"library_id": ["a", "b"], "posterior_mean": [4.1, 4.0], "posterior_sd": [0.1, 0.15]}
    )
    got = rank_intervals(data, n_sim=20000, seed=3).set_index("library_id")
    p_a_first = stats.norm.cdf(0.1 / math.sqrt(0.1**2 + 0.15**2))  # 0.7104
    mc_se = math.sqrt(p_a_first * (1 - p_a_first) / 20000)
    assert got.loc["a", "p_top"] == pytest.approx(p_a_first, abs=4 * mc_se)
    assert got.loc["a", "rank_mean"] == pytest.approx(2 - p_a_first, abs=4 * mc_se)
    assert got.loc["a", "rank"] == 1 and got.loc["b", "rank"] == 2
    assert (got["rank_low"] == 1).all() and (got["rank_high"] == 2).all()


def test_rank_intervals__separated_groups_have_exact_ranks_and_seed_is_reproducible():
    data = pd.DataFrame(
        {
            "library_id": list("abcd"),
            "posterior_mean": [1.0, 4.0, 2.0, 3.0],
            "posterior_sd": [0.01, 0.01, 0.01, 0.0],
        }
    )
    got = rank_intervals(data)
    assert got["library_id"].tolist() == ["b", "d", "c", "a"]
    assert got["rank_low"].tolist() == [1, 2, 3, 4]
    assert got["rank_high"].tolist() == [1, 2, 3, 4]
    low = rank_intervals(data, higher_is_better=False)
    assert low["library_id"].tolist() == ["a", "c", "d", "b"]
    sim = _simulate(1, 30)
    table = shrink_means_from_rows(sim).to_frame()
    pd.testing.assert_frame_equal(rank_intervals(table, seed=5), rank_intervals(table, seed=5))


def test_rank_intervals__beta_posteriors_match_numerical_integration():
    tab = pd.DataFrame(
        {
            "library_id": ["a", "b"],
            "posterior_mean": [12 / 20, 10 / 20],
            "post_alpha": [12.0, 10.0],
            "post_beta": [8.0, 10.0],
        }
    )
    got = rank_intervals(tab, distribution="beta", n_sim=20000, seed=2).set_index("library_id")
    # P(A > B) = integral of f_A(t) F_B(t) dt for independent Beta(12, 8), Beta(10, 10)
    p_a, _ = integrate.quad(lambda t: stats.beta.pdf(t, 12, 8) * stats.beta.cdf(t, 10, 10), 0, 1)
    mc_se = math.sqrt(p_a * (1 - p_a) / 20000)
    assert got.loc["a", "p_top"] == pytest.approx(p_a, abs=4 * mc_se)


def test_rank_intervals__holds_pooled_beta_posteriors_fixed():
    same = pd.DataFrame({"library_id": list("abc"), "successes": [5, 10, 20], "n": [10, 20, 40]})
    tab = shrink_proportions(same).to_frame()
    got = rank_intervals(tab, distribution="beta")
    # all three are the same point 0.5: every draw is a three-way tie at rank 2
    assert got["rank_mean"].tolist() == [2.0, 2.0, 2.0]
    assert got["rank"].tolist() == [1, 1, 1]
