"""Tests for analysis.splithalf: λ4, β, mean split-half, λ2, λ6 over all or sampled splits.

Covers issue 3 §1 "Reliability" (split-half): psych::splitHalf 2.2.9 on the five reverse-keyed
bfi scales (k = 5, odd), on 10 and 16 bfi items (even k, every split enumerated by psych too)
and on pingouin's 10-item data; the true mean over all splits versus psych's odd-k shortcut;
random splits above 16 items.

References: R psych 2.2.9 and an independent R enumeration of all splits with combn(), both
in tests/analysis/reference/psych_reliability.R; Cronbach (1951): for even k the mean of all
Flanagan–Rulon split-halves equals alpha. Tolerance 1e-10.
"""

from __future__ import annotations

from math import comb
from typing import Any

import numpy as np
import pandas as pd
import pytest

from analysis.reliability import cronbach_alpha
from analysis.results import SplitHalfResult
from analysis.splithalf import split_half
from tests.analysis.reference import BFI_SCALES
from tests.analysis.reference import bfi
from tests.analysis.reference import pingouin_long_as_wide
from tests.analysis.reference import psych_reliability

TOL = 1e-10


def _assert_matrix_statistics(res: SplitHalfResult, ref: dict[str, Any]) -> None:
    assert res.lambda2 == pytest.approx(ref["lambda2"], abs=TOL)
    assert res.lambda6 == pytest.approx(ref["lambda6"], abs=TOL)
    assert res.alpha == pytest.approx(ref["alpha"], abs=TOL)
    assert res.average_r == pytest.approx(ref["av_r"], abs=TOL)
    assert res.median_r == pytest.approx(ref["med_r"], abs=TOL)


def _assert_all_splits(res: SplitHalfResult, ref: dict[str, Any]) -> None:
    assert res.exact is True
    assert res.n_splits == ref["all_count"]
    assert res.lambda4 == pytest.approx(ref["all_max"], abs=TOL)
    assert res.beta == pytest.approx(ref["all_min"], abs=TOL)
    assert res.mean_split == pytest.approx(ref["all_mean"], abs=TOL)
    for ours, key in ((res.best_split, "all_best"), (res.worst_split, "all_worst")):
        assert {frozenset(ours[0]), frozenset(ours[1])} == {
            frozenset(ref[key]["a"]),
            frozenset(ref[key]["b"]),
        }


@pytest.mark.parametrize("scale_name", BFI_SCALES)
def test_split_half__bfi_scale_matches_all_splits_in_r(scale_name: str) -> None:
    ref = psych_reliability()["bfi"][scale_name]
    res = split_half(bfi(), items=ref["items"], reverse=ref["reverse"], scale=(1, 6))
    _assert_matrix_statistics(res, ref["split"])
    _assert_all_splits(res, ref["split"])
    assert res.n_splits == 10  # C(5, 2): a 2-item half and a 3-item half


@pytest.mark.parametrize("scale_name", BFI_SCALES)
def test_split_half__psych_odd_k_shortcut_is_first_half_of_splits(scale_name: str) -> None:
    # psych::splitHalf stops after C(5, 2)/2 = 5 lexicographic splits for k = 5: its meanr,
    # maxrb and minrb are those of the first 5 of our 10 (in the same order).
    ref = psych_reliability()["bfi"][scale_name]["split"]
    res = split_half(
        bfi(),
        items=psych_reliability()["bfi"][scale_name]["items"],
        reverse=psych_reliability()["bfi"][scale_name]["reverse"],
        scale=(1, 6),
    )
    first = res.splits[: int(ref["psych_count"])]
    assert first.mean() == pytest.approx(ref["meanr"], abs=TOL)
    assert first.max() == pytest.approx(ref["maxrb"], abs=TOL)
    assert first.min() == pytest.approx(ref["minrb"], abs=TOL)


def test_split_half__agreeableness_numbers_from_analysis_md() -> None:
    # analysis.md §1.3: psych meanr 0.6714819366, mean over all 10 splits 0.6845074355;
    # λ4 0.7552732749, β 0.6155566667, λ2 0.7206133463 (psych's max/min are in its first half).
    res = split_half(bfi(), items=[f"A{i}" for i in range(1, 6)], reverse=["A1"], scale=(1, 6))
    assert res.mean_split == pytest.approx(0.6845074355, abs=1e-10)
    assert res.splits[:5].mean() == pytest.approx(0.6714819366, abs=1e-10)
    assert res.lambda4 == pytest.approx(0.7552732749, abs=1e-10)
    assert res.beta == pytest.approx(0.6155566667, abs=1e-10)
    assert res.lambda2 == pytest.approx(0.7206133463, abs=1e-10)


@pytest.mark.parametrize("name", ["AC", "ACE_N1"])
def test_split_half__even_k_matches_psych_enumeration(name: str) -> None:
    ref = psych_reliability()["bfi_multi"][name]
    res = split_half(bfi(), items=ref["items"], reverse=ref["reverse"], scale=(1, 6))
    split = ref["split"]
    _assert_matrix_statistics(res, split)
    _assert_all_splits(res, split)
    # for even k psych enumerates every split once, so its numbers are the exact ones
    assert (
        res.n_splits == split["psych_count"] == comb(len(ref["items"]), len(ref["items"]) // 2) // 2
    )
    assert res.lambda4 == pytest.approx(split["maxrb"], abs=TOL)
    assert res.beta == pytest.approx(split["minrb"], abs=TOL)
    assert res.mean_split == pytest.approx(split["meanr"], abs=TOL)


def test_split_half__pingouin_data_matches_psych() -> None:
    ref = psych_reliability()["pingouin_long"]["split"]
    res = split_half(pingouin_long_as_wide())
    _assert_matrix_statistics(res, ref)
    _assert_all_splits(res, ref)
    assert res.mean_split == pytest.approx(ref["meanr"], abs=TOL)


def test_split_half__mean_of_all_splits_is_standardized_alpha_for_even_k() -> None:
    # Cronbach (1951): averaging 4 a'Rb / 1'R1 over all equal splits gives k/(k-1)(1 - k/1'R1).
    data = pingouin_long_as_wide()
    res = split_half(data)
    assert res.mean_split == pytest.approx(cronbach_alpha(data).std_alpha, abs=1e-12)


def test_split_half__samples_splits_above_16_items() -> None:
    ref = psych_reliability()
    items = ref["bfi_multi"]["ACE_N1"]["items"] + ["N2", "N3"]  # 18 items, even
    reverse = ref["bfi_multi"]["ACE_N1"]["reverse"]
    res = split_half(bfi(), items=items, reverse=reverse, scale=(1, 6), n_sample=4000, seed=7)
    assert res.exact is False
    assert res.n_splits == 4000
    assert len(res.best_split[0]) == len(res.best_split[1]) == 9
    again = split_half(bfi(), items=items, reverse=reverse, scale=(1, 6), n_sample=4000, seed=7)
    np.testing.assert_array_equal(res.splits, again.splits)
    other = split_half(bfi(), items=items, reverse=reverse, scale=(1, 6), n_sample=4000, seed=8)
    assert not np.array_equal(res.splits, other.splits)
    # The sample mean estimates the all-split mean, which equals standardized alpha (even k);
    # the split SD here is about 0.07, so 4000 draws give a standard error of about 0.0011.
    std_alpha = cronbach_alpha(bfi(), items=items, reverse=reverse, scale=(1, 6)).std_alpha
    assert res.mean_split == pytest.approx(std_alpha, abs=0.004)
    assert res.beta <= res.mean_split <= res.lambda4


def test_split_half__listwise_uses_complete_rows() -> None:
    ref = psych_reliability()["bfi"]["C"]
    data = bfi()[ref["items"]]
    listwise = split_half(data, reverse=ref["reverse"], scale=(1, 6), missing="listwise")
    on_complete = split_half(data.dropna(), reverse=ref["reverse"], scale=(1, 6))
    np.testing.assert_allclose(listwise.splits, on_complete.splits, rtol=0, atol=1e-15)
    assert (listwise.n_respondents, listwise.n_complete) == (2800, len(data.dropna()))


def test_split_half__to_frame_has_scalar_statistics() -> None:
    res = split_half(pingouin_long_as_wide())
    frame = res.to_frame()
    assert frame.shape[0] == 1
    assert {"splits", "best_split"}.isdisjoint(frame.columns)
    assert frame.loc[0, "lambda4"] == res.lambda4


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_sample": 0}, ValueError, "n_sample"),
        ({"n_sample": 1.5}, TypeError, "n_sample"),
        ({"seed": "x"}, TypeError, "seed"),
        ({"missing": "mean"}, ValueError, "missing"),
        ({"reverse": ["Q1"]}, ValueError, "never inferred"),
    ],
)
def test_split_half__rejects_bad_arguments(
    kwargs: dict, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        split_half(pingouin_long_as_wide(), **kwargs)


def test_split_half__rejects_zero_variance_item() -> None:
    data = pd.DataFrame(
        {"a": [1, 2, 3, 4], "b": [2, 2, 2, 2], "c": [1, 3, 2, 4], "d": [2, 3, 1, 4]}
    )
    with pytest.raises(ValueError, match="zero variance"):
        split_half(data, min_n=4)
