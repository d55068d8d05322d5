"""Combining stored estimates (analysis.combine): the change between two campaigns, the
roll-up of libraries into a system, the careless share's Wilson interval. Reference values
are computed by hand here or by statsmodels (an independent implementation)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from statsmodels.stats.proportion import proportion_confint

import analysis

Z95 = 1.959963984540054


def test_difference__of_two_independent_estimates_by_hand():
    # d = 0.8 - 0.7 = 0.1; SE = sqrt(0.03² + 0.04²) = 0.05; 0.1 ± 1.959964 · 0.05
    change = analysis.estimate_difference([0.8], [0.03], [0.7], [0.04])

    assert change.estimate[0] == pytest.approx(0.1, abs=1e-15)
    assert change.se[0] == pytest.approx(0.05, abs=1e-15)
    assert change.ci_low[0] == pytest.approx(0.1 - Z95 * 0.05, abs=1e-12)
    assert change.ci_high[0] == pytest.approx(0.1 + Z95 * 0.05, abs=1e-12)


def test_difference__is_missing_where_an_input_is():
    change = analysis.estimate_difference([1.0, 2.0], [0.1, math.nan], [0.5, 1.0], [0.1, 0.1])

    assert np.isfinite(change.ci_low[0]) and np.isnan(change.ci_low[1])


def test_se_from_interval__recovers_the_se_of_a_normal_interval():
    assert analysis.se_from_interval(1.0 - Z95 * 0.2, 1.0 + Z95 * 0.2)[0] == pytest.approx(0.2)
    assert np.isnan(analysis.se_from_interval(2.0, 1.0)[0])


def test_stratified__mean_equals_the_pooled_mean_and_cochrans_variance():
    rng = np.random.default_rng(5)
    strata = [rng.normal(mu, 1.0, size) for mu, size in ((3.0, 40), (3.6, 25), (4.1, 12))]
    means = [s.mean() for s in strata]
    ses = [s.std(ddof=1) / math.sqrt(len(s)) for s in strata]
    sizes = [len(s) for s in strata]

    combined = analysis.stratified_estimate(means, ses, sizes)

    everything = np.concatenate(strata)
    weights = np.array(sizes) / everything.size
    # Cochran (1977) eq. 5.6: V = sum W_h² s_h² / n_h
    variance = sum(w**2 * s.var(ddof=1) / s.size for w, s in zip(weights, strata, strict=True))
    assert combined.estimate[0] == pytest.approx(everything.mean(), rel=1e-12)
    assert combined.se[0] == pytest.approx(math.sqrt(variance), rel=1e-12)
    assert combined.ci_high[0] - combined.estimate[0] == pytest.approx(Z95 * combined.se[0])


def test_stratified__a_part_without_se_gives_no_interval_and_empty_parts_are_left_out():
    no_se = analysis.stratified_estimate([80.0, 60.0], [math.nan, 2.0], [30, 10])
    assert no_se.estimate[0] == pytest.approx(75.0) and math.isnan(no_se.se[0])
    skipped = analysis.stratified_estimate([0.9, math.nan, 0.5], [0.1, 0.1, 0.1], [10, 10, 0])
    assert skipped.estimate[0] == pytest.approx(0.9)
    nothing = analysis.stratified_estimate([math.nan], [0.1], [10])
    assert math.isnan(nothing.estimate[0])


def test_stratified__a_share_interval_stops_at_100_percent():
    # two libraries of 10: 0.98 (SE 0.08) and 0.90 (SE 0.09); W = 1/2 each
    # estimate 0.94, SE = sqrt(0.25·0.0064 + 0.25·0.0081) = 0.0602080; 0.94 + 1.96·SE = 1.058
    combined = analysis.stratified_estimate(
        [0.98, 0.90],
        [0.08, 0.09],
        [10, 10],
        bounds=analysis.indicator_bounds("share_satisfied:q14"),
    )

    se = math.sqrt(0.25 * 0.0064 + 0.25 * 0.0081)
    assert combined.estimate[0] == pytest.approx(0.94)
    assert combined.se[0] == pytest.approx(se)
    assert combined.ci_low[0] == pytest.approx(0.94 - Z95 * se)
    assert combined.ci_high[0] == 1.0


def test_indicator_bounds__known_families_only():
    assert analysis.indicator_bounds("nps:q1") == (-100.0, 100.0)
    assert analysis.indicator_bounds("nok:total") == (0.0, 100.0)
    assert analysis.indicator_bounds("scale:reading_room") is None


@pytest.mark.parametrize(("flagged", "n"), [(0, 12), (3, 10), (7, 250), (40, 40)])
def test_flagged_share__wilson_interval_as_statsmodels(flagged, n):
    share = analysis.flagged_share([flagged], [n])
    low, high = proportion_confint(flagged, n, alpha=0.05, method="wilson")

    assert share.estimate[0] == pytest.approx(flagged / n)
    assert share.ci_low[0] == pytest.approx(low, abs=1e-12)
    assert share.ci_high[0] == pytest.approx(high, abs=1e-12)


def test_flagged_share__refuses_impossible_counts():
    with pytest.raises(ValueError, match="flagged <= n"):
        analysis.flagged_share([5], [4])
    assert np.isnan(analysis.flagged_share([0], [0]).estimate[0])
