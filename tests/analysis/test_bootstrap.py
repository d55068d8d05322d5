"""Bootstrap intervals (analysis.bootstrap) against an independent computation: the same
draws (``default_rng(seed).integers(0, n, (B, n))``, as documented) fed one by one to the
published point estimators (:func:`analysis.nok_scores` without rounding,
:func:`analysis.omega_total`) and the percentile taken with ``numpy.percentile``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import analysis

CHECKLIST = pd.DataFrame(
    [
        {
            "library": "L",
            "stand_info_present": 8,
            "stand_info_required": 10,
            "site_info_present": 15,
            "site_info_required": 20,
            "remote_channels": 4,
            "comfort_conditions": 5,
            "premises_accessibility": 3,
            "service_accessibility": 2,
        }
    ]
)


def nok_answers(n: int, seed: int = 3) -> pd.DataFrame:
    """Yes/no answers to q1..q14 with the skip filters respected (q2|q1, q4|q3, q7|q6,
    q11|q10) and some unanswered questions."""
    rng = np.random.default_rng(seed)
    data = pd.DataFrame({f"q{k}": rng.binomial(1, 0.8, n).astype(float) for k in range(1, 15)})
    data["q6"] = rng.binomial(1, 0.4, n).astype(float)
    for question, filt in {"q2": "q1", "q4": "q3", "q7": "q6", "q11": "q10"}.items():
        data.loc[data[filt] == 0, question] = np.nan
    data.loc[rng.random(n) < 0.1, "q13"] = np.nan
    data.insert(0, "library", "L")
    return data


def test_nok_interval__equals_a_loop_over_nok_scores_on_the_same_draws() -> None:
    data = nok_answers(60)
    boot = analysis.nok_bootstrap(data, checklist=CHECKLIST, n_boot=300, seed=11)

    draws = np.random.default_rng(11).integers(0, 60, size=(300, 60))
    exact = analysis.NokConfig(rounding=None)
    replicates = pd.DataFrame(
        [
            analysis.nok_scores(
                data.iloc[rows].reset_index(drop=True), checklist=CHECKLIST, config=exact
            ).iloc[0]
            for rows in draws
        ]
    )
    for statistic in ("K1", "K2", "K3", "K4", "K5", "total"):
        values = replicates[statistic].to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        low, high = np.percentile(values, [2.5, 97.5])
        row = boot.loc[boot["statistic"] == statistic].iloc[0]
        assert row["low"] == pytest.approx(low, abs=1e-9), statistic
        assert row["high"] == pytest.approx(high, abs=1e-9), statistic
        assert row["n_valid"] == len(values)
        assert row["n"] == 60 and row["n_boot"] == 300


def test_nok_interval__of_identical_respondents__is_not_given() -> None:
    """25 copies of one respondent: every resample is that respondent 25 times, so every
    replicate equals the point. A zero-width interval would claim certainty that 25
    visitors do not give: the interval is withheld with the reason ``zero_variance``
    (``insufficient_data`` where the point itself is undefined: no replicate is)."""
    data = pd.concat([nok_answers(1, seed=5)] * 25, ignore_index=True)
    point = analysis.nok_scores(data, checklist=CHECKLIST, config=analysis.NokConfig(rounding=None))
    boot = analysis.nok_bootstrap(data, checklist=CHECKLIST, n_boot=50)
    for row in boot.to_dict("records"):
        assert np.isnan(row["low"]) and np.isnan(row["high"]), row
        value = point[row["statistic"]].iloc[0]
        if np.isnan(value):
            assert (row["n_valid"], row["reason"]) == (0, "insufficient_data")
        else:
            assert (row["n_valid"], row["reason"]) == (50, "zero_variance")


def test_nok_interval__given_with_no_reason_when_respondents_differ() -> None:
    boot = analysis.nok_bootstrap(nok_answers(60), checklist=CHECKLIST, n_boot=100)
    assert boot["reason"].isna().all()
    assert (boot["low"] < boot["high"]).all()


def test_nok_interval__by_hand_for_k2() -> None:
    """K2 = 0.5·P_komf_usl + 0.5·P_komf_ud with P_komf_usl = min(20·5, 100) = 100 fixed: the
    replicates are 50 + 50·(share of "yes" to q5), so the interval is 50 + 0.5 × the
    percentile interval of the resampled q5 shares."""
    data = nok_answers(40, seed=8)
    boot = analysis.nok_bootstrap(data, checklist=CHECKLIST, n_boot=400, seed=2)
    draws = np.random.default_rng(2).integers(0, 40, size=(400, 40))
    q5 = data["q5"].to_numpy()
    shares = 100 * q5[draws].mean(axis=1)
    low, high = np.percentile(50 + 0.5 * shares, [2.5, 97.5])
    row = boot.loc[boot["statistic"] == "K2"].iloc[0]
    assert (row["low"], row["high"]) == pytest.approx((low, high), abs=1e-9)


def test_omega_interval__equals_a_loop_over_omega_total() -> None:
    rng = np.random.default_rng(4)
    level = rng.normal(0, 1, 80)
    data = pd.DataFrame(
        {c: np.clip(np.round(3 + level + rng.normal(0, 0.8, 80)), 1, 5) for c in "abcd"}
    )
    got = analysis.omega_bootstrap(data, items=list("abcd"), n_boot=40, seed=9)
    draws = np.random.default_rng(9).integers(0, 80, size=(40, 80))
    values = [
        analysis.omega_total(data.iloc[rows].reset_index(drop=True), items=list("abcd")).omega_total
        for rows in draws
    ]
    low, high = np.percentile(values, [2.5, 97.5])
    assert (got.low, got.high) == pytest.approx((low, high), abs=1e-9)
    assert got.n_valid == 40 and got.seed == 9


def test_omega_interval__refused_like_omega_with_too_few_respondents() -> None:
    data = pd.DataFrame({"a": [1.0, 2, 3], "b": [2.0, 3, 3], "c": [1.0, 3, 2]})
    with pytest.raises(analysis.StatisticUnavailable):
        analysis.omega_bootstrap(data, items=["a", "b", "c"], n_boot=20)


def test_percentile_interval__undefined_when_too_many_replicates_are() -> None:
    values = np.r_[np.arange(80.0), np.full(20, np.nan)]
    low, high, valid = analysis.percentile_interval(values)
    assert np.isnan(low) and np.isnan(high) and valid == 80
    low, high, valid = analysis.percentile_interval(np.arange(101.0), 0.9)
    assert (low, high, valid) == (pytest.approx(5.0), pytest.approx(95.0), 101)


def test_percentile_interval__undefined_when_the_replicates_do_not_vary() -> None:
    low, high, valid = analysis.percentile_interval(np.full(200, 93.25))
    assert np.isnan(low) and np.isnan(high) and valid == 200
    low, high, valid = analysis.percentile_interval(np.r_[93.25, np.full(199, 93.25 + 1e-13)])
    assert np.isnan(low) and np.isnan(high)  # equal up to rounding
    low, high, valid = analysis.percentile_interval(np.r_[93.0, np.full(199, 93.25)])
    assert (low, high) == (pytest.approx(93.25), pytest.approx(93.25))  # one differs: given


def test_bad_settings__are_refused() -> None:
    with pytest.raises(ValueError, match="n_boot"):
        analysis.nok_bootstrap(nok_answers(10), checklist=CHECKLIST, n_boot=5)
    with pytest.raises(ValueError, match="confidence"):
        analysis.nok_bootstrap(nok_answers(10), checklist=CHECKLIST, confidence=1.5)
    with pytest.raises(ValueError, match="checklist"):
        analysis.nok_bootstrap(nok_answers(10).assign(library="M"), checklist=CHECKLIST, n_boot=10)
