"""Tests for analysis.reliability: Cronbach's alpha, KR-20, Feldt CI, PairwiseMoments.

Covers issue 3 §1 "Reliability": psych::alpha 2.2.9 scale statistics, alpha-if-deleted and
item statistics on the five bfi scales (bfi.keys reversals) and on pingouin's two datasets,
the pairwise and listwise missing-data policies and the N they use, reverse keying by declared
range, KR-20, Feldt's interval, and alpha from accumulated pairwise moments.

References: R psych 2.2.9 via tests/analysis/reference/psych_reliability.R (JSON next to it);
pingouin 0.7.0 as an independent implementation; Feldt et al. (1987) worked example; hand
computations written out below. Tolerance 1e-10 against R unless stated.
"""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest

import analysis._checks
import analysis.omega
import analysis.reliability
import analysis.results
import analysis.splithalf
from analysis.reasons import Reason
from analysis.reasons import StatisticUnavailable
from analysis.reliability import PairwiseMoments
from analysis.reliability import cronbach_alpha
from analysis.reliability import cronbach_alpha_from_moments
from analysis.reliability import feldt_ci
from analysis.reliability import kr20
from tests.analysis.reference import BFI_SCALES
from tests.analysis.reference import bfi
from tests.analysis.reference import pingouin_long_as_wide
from tests.analysis.reference import pingouin_wide_missing
from tests.analysis.reference import psych_reliability

TOL = 1e-10

TOTAL_FIELDS = {  # AlphaResult attribute -> key in the R reference
    "alpha": "raw_alpha",
    "std_alpha": "std_alpha",
    "g6": "g6",
    "average_r": "average_r",
    "signal_noise": "signal_noise",
    "ase": "ase",
    "mean": "mean",
    "sd": "sd",
    "median_r": "median_r",
    "var_r": "var_r",
}
DROP_FIELDS = {
    "alpha_if_deleted": "raw_alpha",
    "std_alpha_if_deleted": "std_alpha",
    "g6_if_deleted": "g6",
    "average_r_if_deleted": "average_r",
    "signal_noise_if_deleted": "signal_noise",
    "ase_if_deleted": "ase",
    "var_r_if_deleted": "var_r",
    "median_r_if_deleted": "median_r",
}
STAT_FIELDS = ("n", "raw_r", "std_r", "r_cor", "r_drop", "mean", "sd")


def _bfi_scale(name: str) -> tuple[list[str], list[str], dict]:
    ref = psych_reliability()["bfi"][name]
    return ref["items"], ref["reverse"], ref


def _assert_matches_psych(res: analysis.results.AlphaResult, ref: dict, tol: float = TOL) -> None:
    for attr, key in TOTAL_FIELDS.items():
        assert getattr(res, attr) == pytest.approx(ref[key], abs=tol), attr
    assert (res.ci_low, res.ci_high) == pytest.approx(ref["feldt"], abs=tol)
    assert (res.duhachek_low, res.duhachek_high) == pytest.approx(ref["duhachek_qnorm"], abs=tol)
    assert res.n_items == ref["k"]
    assert list(res.items.index) == ref["items"]
    for col, key in DROP_FIELDS.items():
        if ref["drop"][key]:  # psych omits "alpha se" when N <= k
            np.testing.assert_allclose(res.items[col], ref["drop"][key], rtol=0, atol=tol)
    for col in STAT_FIELDS:
        np.testing.assert_allclose(res.items[col], ref["stats"][col], rtol=0, atol=tol)


# --- psych on bfi ----------------------------------------------------------------------------


@pytest.mark.parametrize("scale_name", BFI_SCALES)
def test_alpha__bfi_scale_matches_psych_pairwise(scale_name: str) -> None:
    items, reverse, ref = _bfi_scale(scale_name)
    res = cronbach_alpha(bfi(), items=items, reverse=reverse, scale=(1, 6))
    _assert_matches_psych(res, ref["pairwise"])
    assert res.missing == "pairwise"
    assert (res.n_respondents, res.n_complete, res.n_used) == (
        2800,
        ref["pairwise"]["n_complete"],
        2800,
    )
    assert list(res.items["reversed"]) == [i in reverse for i in items]


@pytest.mark.parametrize("scale_name", BFI_SCALES)
def test_alpha_listwise__bfi_scale_matches_psych_on_complete_rows(scale_name: str) -> None:
    items, reverse, ref = _bfi_scale(scale_name)
    res = cronbach_alpha(bfi(), items=items, reverse=reverse, scale=(1, 6), missing="listwise")
    _assert_matches_psych(res, ref["listwise"])
    assert res.n_used == res.n_complete == ref["listwise"]["n_rows"]
    assert res.n_respondents == 2800


@pytest.mark.parametrize("scale_name", BFI_SCALES)
def test_alpha_listwise__psych_complete_obs_interval_uses_all_rows(scale_name: str) -> None:
    # psych use="complete.obs": same listwise alpha, but Feldt with N = all 2800 rows.
    items, reverse, ref = _bfi_scale(scale_name)
    res = cronbach_alpha(bfi(), items=items, reverse=reverse, scale=(1, 6), missing="listwise")
    psych = ref["complete_obs"]
    assert res.alpha == pytest.approx(psych["raw_alpha"], abs=TOL)
    assert res.std_alpha == pytest.approx(psych["std_alpha"], abs=TOL)
    as_psych = feldt_ci(res.alpha, n=res.n_respondents, k=res.n_items)
    assert (as_psych.low, as_psych.high) == pytest.approx(psych["feldt"], abs=TOL)
    # ours is wider: it counts only the rows that were used
    assert res.ci_high - res.ci_low > as_psych.high - as_psych.low


def test_alpha__bfi_agreeableness_printed_digits() -> None:
    # The rounded numbers printed in analysis.md §2.1 / r_psych_reference.txt (R output).
    res = cronbach_alpha(bfi(), items=[f"A{i}" for i in range(1, 6)], reverse=["A1"], scale=(1, 6))
    assert res.alpha == pytest.approx(0.7030184461, abs=1e-10)
    assert res.std_alpha == pytest.approx(0.7130285787, abs=1e-10)
    assert res.g6 == pytest.approx(0.6827626720, abs=1e-10)
    assert (res.ci_low, res.ci_high) == pytest.approx((0.6852643259, 0.7200633899), abs=1e-10)
    # psych prints alpha -/+ 1.96 ase; we use the exact normal quantile.
    assert res.alpha - 1.96 * res.ase == pytest.approx(0.6854729682, abs=1e-10)
    assert res.alpha + 1.96 * res.ase == pytest.approx(0.7205639239, abs=1e-10)
    assert res.items.loc["A1", "r_drop"] == pytest.approx(0.30841774, abs=5e-9)


# --- pingouin datasets -----------------------------------------------------------------------


def test_alpha__pingouin_wide_missing_matches_psych_pairwise() -> None:
    # 12 rows × 11 binary items; the pairwise R is indefinite, so psych clips smc's to 1.
    ref = psych_reliability()["pingouin_wide_missing"]["pairwise"]
    res = cronbach_alpha(pingouin_wide_missing())
    _assert_matches_psych(res, ref)
    assert res.g6 == 1.0


def test_alpha_listwise__pingouin_wide_missing_matches_psych_on_complete_rows() -> None:
    ref = psych_reliability()["pingouin_wide_missing"]
    res = cronbach_alpha(pingouin_wide_missing(), missing="listwise")
    _assert_matches_psych(res, ref["listwise"])
    assert (res.n_respondents, res.n_complete, res.n_used) == (12, 9, 9)
    assert res.alpha == pytest.approx(ref["complete_obs"]["raw_alpha"], abs=TOL)


def test_alpha__pingouin_long_data_matches_psych() -> None:
    ref = psych_reliability()["pingouin_long"]["pairwise"]
    res = cronbach_alpha(pingouin_long_as_wide())
    _assert_matches_psych(res, ref)
    # pingouin's own docstring: (0.5917188485995826, [0.195, 0.84])
    assert res.alpha == pytest.approx(0.5917188485995826, abs=1e-12)
    assert (round(res.ci_low, 3), round(res.ci_high, 3)) == (0.195, 0.84)


@pytest.mark.parametrize("scale_name", BFI_SCALES)
def test_alpha__agrees_with_pingouin(scale_name: str) -> None:
    pingouin = pytest.importorskip("pingouin")
    items, reverse, _ = _bfi_scale(scale_name)
    keyed = bfi()[items].copy()
    for item in reverse:
        keyed[item] = 7 - keyed[item]
    for policy in ("pairwise", "listwise"):
        ours = cronbach_alpha(bfi(), items=items, reverse=reverse, scale=(1, 6), missing=policy)
        data = keyed if policy == "pairwise" else keyed.dropna()
        theirs, ci = pingouin.cronbach_alpha(data=data, nan_policy=policy)
        assert ours.alpha == pytest.approx(theirs, abs=1e-10)
        assert (round(ours.ci_low, 3), round(ours.ci_high, 3)) == tuple(ci)


# --- Feldt interval --------------------------------------------------------------------------


def test_feldt_ci__textbook_example() -> None:
    # Feldt, Woodruff & Salih (1987): alpha = .79, k = 26, N = 41; limits from psych::alpha.ci.
    ref = psych_reliability()["feldt_example"]
    for level, key in ((0.95, "ci95"), (0.90, "ci90")):
        iv = feldt_ci(ref["alpha"], n=ref["n"], k=ref["k"], ci=level)
        assert (iv.low, iv.high) == pytest.approx(ref[key], abs=1e-12)
        assert (iv.level, iv.method, iv.n) == (level, "feldt", 41)


@pytest.mark.parametrize(
    ("n", "low", "high"),
    [
        (10, 0.545, 0.942),
        (20, 0.638, 0.908),
        (30, 0.673, 0.892),
        (50, 0.706, 0.873),
        (100, 0.736, 0.854),
        (200, 0.756, 0.839),
    ],
)
def test_feldt_ci__minimum_n_table(n: int, low: float, high: float) -> None:
    # analysis.md §6.5: 95% Feldt limits for alpha = .80 with k = 10 items.
    iv = feldt_ci(0.80, n=n, k=10)
    assert (round(iv.low, 3), round(iv.high, 3)) == (low, high)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"n": 1, "k": 5}, ValueError),
        ({"n": 10, "k": 1}, ValueError),
        ({"n": 10.0, "k": 5}, TypeError),
        ({"n": 10, "k": 5, "ci": 1.0}, ValueError),
    ],
)
def test_feldt_ci__rejects_bad_arguments(kwargs: dict, error: type[Exception]) -> None:
    with pytest.raises(error):
        feldt_ci(0.8, **kwargs)


# --- KR-20 -----------------------------------------------------------------------------------


def test_kr20__hand_computation() -> None:
    data = pd.DataFrame(
        {
            "i1": [1, 1, 1, 0, 0, 1],
            "i2": [1, 0, 1, 0, 0, 1],
            "i3": [1, 1, 0, 0, 1, 1],
            "i4": [1, 1, 1, 1, 0, 0],
        }
    )
    # p = (4/6, 3/6, 4/6, 4/6); Σ p q = 3·(2/9) + 1/4 = 11/12 (population variances).
    # Totals (4, 3, 3, 1, 1, 3): mean 2.5, Σ dev² = 2.25 + .25 + .25 + 2.25 + 2.25 + .25 = 7.5,
    # population variance 7.5/6 = 1.25.  KR-20 = 4/3 · (1 − (11/12)/1.25) = 4/3 · 4/15 = 16/45.
    res = kr20(data)
    assert res.alpha == pytest.approx(16 / 45, abs=1e-14)
    assert cronbach_alpha(data).alpha == pytest.approx(16 / 45, abs=1e-14)


def test_kr20__equals_alpha_on_binary_data_with_missing() -> None:
    data = pingouin_wide_missing()
    for policy in ("pairwise", "listwise"):
        assert kr20(data, missing=policy).alpha == cronbach_alpha(data, missing=policy).alpha


def test_kr20__reverses_as_one_minus_x() -> None:
    data = pingouin_wide_missing()
    flipped = data.copy()
    flipped["Q4"] = 1 - flipped["Q4"]
    res = kr20(data, reverse=["Q4"])
    assert res.alpha == pytest.approx(cronbach_alpha(flipped).alpha, abs=1e-14)


def test_kr20__rejects_non_binary_items() -> None:
    with pytest.raises(ValueError, match="0/1"):
        kr20(pd.DataFrame({"a": [0, 1, 2], "b": [1, 0, 1]}))


# --- reverse keying and validation -----------------------------------------------------------


def test_reverse__uses_declared_range_not_observed_range() -> None:
    # Item b is declared 1..7 but only 2..5 was observed: b' = 8 - b, never 7 - b (= 2 + 5 - b).
    data = pd.DataFrame({"a": [1, 2, 3, 4, 5, 3], "b": [5, 4, 4, 2, 2, 3], "c": [1, 3, 2, 5, 5, 4]})
    res = cronbach_alpha(data, reverse=["b"], scale={"a": (1, 5), "b": (1, 7), "c": (1, 5)})
    expected = cronbach_alpha(data.assign(b=8 - data["b"]))
    assert res.alpha == pytest.approx(expected.alpha, abs=1e-14)
    assert res.items.loc["b", "mean"] == pytest.approx(8 - data["b"].mean(), abs=1e-14)
    assert res.mean == pytest.approx(expected.mean, abs=1e-14)
    # a shift of the reversal changes the person mean but not the covariances
    wrong = cronbach_alpha(data.assign(b=7 - data["b"]))
    assert res.mean != pytest.approx(wrong.mean)
    assert res.alpha == pytest.approx(wrong.alpha, abs=1e-14)


def test_reverse__requires_declared_scale() -> None:
    data = bfi()[["A1", "A2", "A3"]]
    with pytest.raises(ValueError, match="never inferred"):
        cronbach_alpha(data, reverse=["A1"])
    with pytest.raises(ValueError, match="no declared range"):
        cronbach_alpha(data, reverse=["A1"], scale={"A2": (1, 6)})


def test_reverse__rejects_values_outside_declared_range() -> None:
    with pytest.raises(ValueError, match="outside the declared"):
        cronbach_alpha(bfi()[["A1", "A2", "A3"]], reverse=["A1"], scale=(1, 5))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"items": ["A1", "ZZ"]}, ValueError, "not found"),
        ({"items": ["A1"]}, ValueError, "at least 2"),
        ({"items": "A1"}, TypeError, "single string"),
        ({"items": ["A1", "A2"], "reverse": ["A3"], "scale": (1, 6)}, ValueError, "not in the"),
        ({"items": ["A1", "A2"], "missing": "mean"}, ValueError, "missing"),
        ({"items": ["A1", "A2"], "ci": 95}, ValueError, "between 0 and 1"),
        ({"items": ["A1", "A2"], "reverse": ["A1"], "scale": (6, 1)}, ValueError, "min < max"),
    ],
)
def test_alpha__rejects_bad_arguments(kwargs: dict, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        cronbach_alpha(bfi(), **kwargs)


def test_alpha__rejects_non_frame_and_non_numeric_input() -> None:
    with pytest.raises(TypeError, match="DataFrame"):
        cronbach_alpha(np.ones((5, 3)))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="numeric"):
        cronbach_alpha(pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]}))


def test_alpha__rejects_zero_variance_item() -> None:
    data = pd.DataFrame({"a": [1, 2, 3, 4], "b": [2, 2, 2, 2], "c": [1, 3, 2, 4]})
    with pytest.raises(StatisticUnavailable, match="zero variance") as info:
        cronbach_alpha(data, min_n=4)
    assert info.value.code == Reason.ZERO_VARIANCE


def test_alpha__rejects_pair_never_answered_together() -> None:
    data = pd.DataFrame(
        {"a": [1, 2, np.nan, np.nan], "b": [np.nan, np.nan, 3, 1], "c": [1, 3, 2, 4]}
    )
    with pytest.raises(StatisticUnavailable, match="both items") as info:
        cronbach_alpha(data, min_n=4)
    assert info.value.code == Reason.UNDEFINED_PAIR


def test_alpha__accepts_nullable_integer_columns() -> None:
    items, reverse, ref = _bfi_scale("A")
    data = bfi()[items].astype("Int64")
    res = cronbach_alpha(data, reverse=reverse, scale=(1, 6))
    assert res.alpha == pytest.approx(ref["pairwise"]["raw_alpha"], abs=TOL)


def test_alpha__two_items_leave_if_deleted_undefined() -> None:
    data = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 1, 4, 3, 5]})
    res = cronbach_alpha(data)
    # var = 2.5 each, cov = 2.0: alpha = 2 · (1 − 5/9) = 8/9
    assert res.alpha == pytest.approx(8 / 9, abs=1e-14)
    assert res.items["alpha_if_deleted"].isna().all()


def test_alpha_result__to_frame_has_one_row_of_scale_statistics() -> None:
    items, reverse, _ = _bfi_scale("C")
    res = cronbach_alpha(bfi(), items=items, reverse=reverse, scale=(1, 6))
    frame = res.to_frame()
    assert frame.shape[0] == 1
    assert "items" not in frame.columns
    assert frame.loc[0, "alpha"] == res.alpha
    assert frame.loc[0, "n_used"] == 2800
    assert res.feldt.low == res.ci_low
    assert res.duhachek.high == res.duhachek_high


# --- pairwise moments ------------------------------------------------------------------------


def _moments_in_chunks(data: pd.DataFrame, items: list[str], n_chunks: int = 7) -> PairwiseMoments:
    moments = PairwiseMoments(items)
    for rows in np.array_split(np.arange(len(data)), n_chunks):
        moments.add(data.iloc[rows])
    return moments


def test_pairwise_moments__cov_and_corr_equal_pandas_pairwise() -> None:
    items = [c for c in bfi().columns[:25]]
    data = bfi()[items]
    moments = _moments_in_chunks(data, items)
    np.testing.assert_allclose(moments.cov(), data.cov(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(moments.corr(), data.corr(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(moments.mean, data.mean(), rtol=0, atol=1e-12)
    assert (moments.n_items_nonmissing == data.notna().sum()).all()
    assert moments.n_rows == 2800
    assert moments.n_complete == 2436  # analysis.md §2.1
    complete = data.dropna()
    np.testing.assert_allclose(moments.cov("listwise"), complete.cov(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(moments.corr("listwise"), complete.corr(), rtol=0, atol=1e-12)
    pair = moments.pair_counts
    assert pair.loc["A1", "A2"] == int((data["A1"].notna() & data["A2"].notna()).sum())


def test_pairwise_moments__chunks_of_only_complete_or_only_incomplete_rows_equal_pandas() -> None:
    """Complete rows take a shortcut (counts and sums without the mask products): chunks
    made only of them, only of rows with a gap, and of both give pandas' moments."""
    items = [c for c in bfi().columns[:10]]
    data = bfi()[items]
    gappy = data.isna().any(axis=1)
    moments = PairwiseMoments(items)
    for part in (data[~gappy].iloc[:900], data[gappy], data[~gappy].iloc[900:]):
        moments.add(part)
    np.testing.assert_allclose(moments.cov(), data.cov(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(moments.corr(), data.corr(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(moments.cov("listwise"), data.dropna().cov(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(moments.minimum, data.min(), rtol=0, atol=0)
    np.testing.assert_allclose(moments.maximum, data.max(), rtol=0, atol=0)
    present = data.notna().to_numpy(dtype=int)
    assert (moments.pair_counts.to_numpy() == present.T @ present).all()
    assert (moments.n_rows, moments.n_complete) == (len(data), int((~gappy).sum()))


def test_pairwise_moments__item_constant_on_a_pairs_rows_has_no_correlation() -> None:
    """``a`` is 3 on every row where ``b`` is answered (but not elsewhere): the pair's r is
    undefined (pandas and R: NaN/NA), not ±inf from the rounding of Q - S²/N."""
    data = pd.DataFrame(
        {
            "a": [3.0] * 9 + [4.0, 5.0, 1.0],
            "b": [1.0, 5.0, 5.0, 2.0, 2.0, 5.0, 3.0] + [np.nan] * 5,
            "c": [2.0, 5.0, 2.0, 3.0, 4.0, 3.0, 1.0, 1.0, 5.0, 4.0, 5.0, 3.0],
        }
    )
    got = PairwiseMoments(["a", "b", "c"]).add(data).corr()
    assert np.isnan(got.loc["a", "b"]) and np.isnan(got.loc["b", "a"])
    # the other pairs are untouched: pandas' own pairwise values
    np.testing.assert_allclose(got.loc["a", "c"], data["a"].corr(data["c"]), rtol=0, atol=1e-12)
    np.testing.assert_allclose(got.loc["b", "c"], data["b"].corr(data["c"]), rtol=0, atol=1e-12)


def test_pairwise_moments__merge_with_different_shifts_equals_one_pass() -> None:
    items = [f"E{i}" for i in range(1, 6)]
    data = bfi()[items]
    first = PairwiseMoments(items, shift=[0, 0, 0, 0, 0]).add(data.iloc[:1000])
    second = PairwiseMoments(items, shift=[6, 1, 3, 2, 5]).add(data.iloc[1000:])
    merged = first.merge(second)
    np.testing.assert_allclose(merged.cov(), data.cov(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(merged.corr(), data.corr(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(merged.cov("listwise"), data.dropna().cov(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(merged.mean, data.mean(), rtol=0, atol=1e-12)
    assert (merged.n_rows, merged.n_complete) == (2800, len(data.dropna()))


@pytest.mark.parametrize("k", [3, 70])  # up to 64 items the patterns are integer keys
def test_pairwise_moments__counts_complete_rows_of_any_subset(k: int) -> None:
    rng = np.random.default_rng(k)
    x = rng.integers(1, 6, size=(400, k)).astype(float)
    x[rng.random(x.shape) < 0.2 / k] = np.nan
    data = pd.DataFrame(x, columns=[f"q{i}" for i in range(k)])
    moments = PairwiseMoments(list(data.columns))
    for rows in np.array_split(np.arange(400), 3):
        moments.add(data.iloc[rows])
    assert moments.n_complete == len(data.dropna())
    some = list(data.columns[1:k:2])
    assert moments.subset(some).n_complete == len(data[some].dropna())
    merged = moments.merge(PairwiseMoments.from_frame(data.iloc[:50]))
    assert merged.n_complete == len(data.dropna()) + len(data.iloc[:50].dropna())


def test_pairwise_moments__accepts_arrays_and_rejects_bad_chunks() -> None:
    data = bfi()[["A1", "A2", "A3"]]
    moments = PairwiseMoments(["A1", "A2", "A3"]).add(data.to_numpy())
    np.testing.assert_allclose(moments.cov(), data.cov(), rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="lacks"):
        moments.add(bfi()[["A1", "A2"]])
    with pytest.raises(ValueError, match="3 columns"):
        moments.add(np.ones((2, 2)))
    with pytest.raises(ValueError, match="finite"):
        moments.add(np.array([[1.0, np.inf, 2.0]]))
    with pytest.raises(ValueError, match="different items"):
        moments.merge(PairwiseMoments(["A1", "A2"]))


@pytest.mark.parametrize("scale_name", BFI_SCALES)
@pytest.mark.parametrize("policy", ["pairwise", "listwise"])
def test_alpha_from_moments__matches_raw_data_path(scale_name: str, policy: str) -> None:
    items, reverse, _ = _bfi_scale(scale_name)
    raw = cronbach_alpha(bfi(), items=items, reverse=reverse, scale=(1, 6), missing=policy)
    moments = _moments_in_chunks(bfi(), items)
    res = cronbach_alpha_from_moments(moments, reverse=reverse, scale=(1, 6), missing=policy)
    person = {"mean", "sd"}
    ours, theirs = res.to_frame().iloc[0], raw.to_frame().iloc[0]
    for col in ours.index:
        if policy == "pairwise" and col in person:
            assert np.isnan(ours[col])  # the person scores need the rows when cells are missing
        elif isinstance(theirs[col], str):
            assert ours[col] == theirs[col]
        else:
            assert ours[col] == pytest.approx(theirs[col], abs=1e-10), col
    cols = [c for c in raw.items.columns if not (policy == "pairwise" and c == "raw_r")]
    pd.testing.assert_frame_equal(res.items[cols], raw.items[cols], rtol=0, atol=1e-10)
    if policy == "pairwise":
        assert res.items["raw_r"].isna().all()


def test_alpha_from_moments__subset_of_inventory_matches_raw_data_path() -> None:
    items25 = list(bfi().columns[:25])
    moments = _moments_in_chunks(bfi(), items25, n_chunks=3)
    items, reverse, ref = _bfi_scale("O")
    res = cronbach_alpha_from_moments(moments, items=items, reverse=reverse, scale=(1, 6))
    assert res.alpha == pytest.approx(ref["pairwise"]["raw_alpha"], abs=TOL)
    assert res.ci_low == pytest.approx(ref["pairwise"]["feldt"][0], abs=TOL)
    np.testing.assert_allclose(res.items["r_drop"], ref["pairwise"]["stats"]["r_drop"], atol=TOL)
    assert res.n_complete == ref["pairwise"]["n_complete"]
    with pytest.raises(ValueError, match="scale's own items"):
        cronbach_alpha_from_moments(
            moments, items=items, reverse=reverse, scale=(1, 6), missing="listwise"
        )


def test_alpha_from_moments__complete_data_gives_person_statistics() -> None:
    items, reverse, _ = _bfi_scale("N")
    complete = bfi()[items].dropna()
    raw = cronbach_alpha(complete, reverse=reverse, scale=(1, 6))
    res = cronbach_alpha_from_moments(PairwiseMoments.from_frame(complete), scale=(1, 6))
    assert res.mean == pytest.approx(raw.mean, abs=1e-12)
    assert res.sd == pytest.approx(raw.sd, abs=1e-12)
    np.testing.assert_allclose(res.items["raw_r"], raw.items["raw_r"], rtol=0, atol=1e-12)


def test_alpha_from_moments__validates_declared_range_against_observed() -> None:
    moments = PairwiseMoments.from_frame(bfi(), ["A1", "A2", "A3"])
    with pytest.raises(ValueError, match="outside the declared"):
        cronbach_alpha_from_moments(moments, reverse=["A1"], scale=(1, 5))
    with pytest.raises(TypeError, match="PairwiseMoments"):
        cronbach_alpha_from_moments(bfi())  # type: ignore[arg-type]


# --- docstring examples ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "module",
    [analysis.reliability, analysis.omega, analysis.splithalf, analysis.results, analysis._checks],
)
def test_docstring_examples__run(module: object) -> None:
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)  # type: ignore[arg-type]
    assert result.failed == 0
