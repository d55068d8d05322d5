"""Tests of ``analysis.cronbach_alpha_batch``: alpha of one scale in many groups at once.

The reference is the independently tested per-group path: every statistic must equal
``cronbach_alpha_from_moments`` on each group's moments (to 1e-12), on the bfi scales split
into groups (psych's data, with missing cells), on complete random data, and for groups that
cannot give an alpha (NaN row with the per-group function's error message).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import analysis
from analysis.reasons import Reason
from analysis.reliability import AlphaBatchResult
from analysis.reliability import PairwiseMoments
from analysis.reliability import cronbach_alpha_batch
from analysis.reliability import cronbach_alpha_from_moments
from tests.analysis.reference import BFI_SCALES
from tests.analysis.reference import bfi
from tests.analysis.reference import psych_reliability

SCALE_FIELDS = (
    "alpha",
    "std_alpha",
    "g6",
    "average_r",
    "median_r",
    "var_r",
    "signal_noise",
    "ase",
    "ci_low",
    "ci_high",
    "duhachek_low",
    "duhachek_high",
    "ci_level",
    "n_respondents",
    "n_complete",
    "n_used",
    "n_items",
    "mean",
    "sd",
)


def _bfi_groups(columns: list[str], n_groups: int = 7) -> dict[int, PairwiseMoments]:
    data = bfi()
    labels = np.arange(len(data)) % n_groups
    return {
        int(g): PairwiseMoments.from_frame(data.loc[labels == g], columns) for g in range(n_groups)
    }


def _assert_matches_per_group(batch: AlphaBatchResult, groups: dict, **kwargs: object) -> None:
    for key, moments in groups.items():
        ref = cronbach_alpha_from_moments(moments, **kwargs)  # type: ignore[arg-type]
        row = batch.scales.loc[key]
        assert row["note"] is None
        assert row["missing"] == ref.missing
        for field in SCALE_FIELDS:
            expected = getattr(ref, field)
            if np.isnan(expected):
                assert np.isnan(row[field]), field
            else:
                assert row[field] == pytest.approx(expected, rel=0, abs=1e-12), field
        items = batch.items.loc[key]
        pd.testing.assert_frame_equal(items, ref.items, rtol=0, atol=1e-12, check_names=False)


@pytest.mark.parametrize("scale_name", BFI_SCALES)
@pytest.mark.parametrize("policy", ["pairwise", "listwise"])
def test_alpha_batch__equals_per_group__bfi_scales_in_groups(scale_name: str, policy: str) -> None:
    ref = psych_reliability()["bfi"][scale_name]
    items, reverse = ref["items"], ref["reverse"]
    groups = _bfi_groups(items)
    batch = cronbach_alpha_batch(groups, reverse=reverse, scale=(1, 6), missing=policy, ci=0.9)
    assert list(batch.scales.index) == list(groups)
    assert len(batch.items) == len(groups) * len(items)
    _assert_matches_per_group(batch, groups, reverse=reverse, scale=(1, 6), missing=policy, ci=0.9)


def test_alpha_batch__equals_per_group__subset_of_inventory_with_missing_cells() -> None:
    ref = psych_reliability()["bfi"]["O"]
    groups = _bfi_groups(list(bfi().columns[:25]), n_groups=5)
    kwargs = {"items": ref["items"], "reverse": ref["reverse"], "scale": (1, 6)}
    batch = cronbach_alpha_batch(groups, **kwargs)
    assert batch.scales["mean"].isna().all()  # cells are missing: no person statistics
    _assert_matches_per_group(batch, groups, **kwargs)


def test_alpha_batch__equals_per_group__complete_random_data() -> None:
    rng = np.random.default_rng(7)
    groups: dict[str, PairwiseMoments] = {}
    for g in range(12):
        n = int(rng.integers(5, 200))
        latent = rng.normal(size=(n, 1))
        x = np.clip(np.rint(3 + latent + rng.normal(size=(n, 6))), 1, 5)
        x[:, 5] = 6 - x[:, 5]
        groups[f"lib{g}"] = PairwiseMoments.from_frame(
            pd.DataFrame(x, columns=[f"q{i}" for i in range(6)])
        )
    kwargs = {"reverse": ["q5"], "scale": (1, 5)}
    batch = cronbach_alpha_batch(groups, **kwargs)
    assert batch.scales["mean"].notna().all()  # complete data: person statistics exist
    _assert_matches_per_group(batch, groups, **kwargs)


def test_alpha_batch__degenerate_groups_give_nan_rows_with_the_reason() -> None:
    cols = ["a", "b", "c"]
    good = PairwiseMoments.from_frame(
        pd.DataFrame({"a": [1, 2, 3, 4, 5.0], "b": [2, 2, 3, 5, 4.0], "c": [1, 3, 3, 4, 5.0]})
    )
    flat = PairwiseMoments.from_frame(
        pd.DataFrame({"a": [1, 2, 3.0], "b": [2, 2, 2.0], "c": [1, 3, 2.0]})
    )
    sparse = PairwiseMoments.from_frame(
        pd.DataFrame({"a": [1, 2, np.nan], "b": [np.nan, 2, 4.0], "c": [1, 3, 2.0]})
    )
    single = PairwiseMoments.from_frame(pd.DataFrame({"a": [1.0], "b": [2.0], "c": [3.0]}))
    empty = PairwiseMoments(cols)
    outside = PairwiseMoments.from_frame(
        pd.DataFrame({"a": [1, 9, 3.0], "b": [2, 1, 2.0], "c": [1, 3, 2.0]})
    )
    groups = {
        "good": good,
        "flat": flat,
        "sparse": sparse,
        "single": single,
        "empty": empty,
        "outside": outside,
    }
    # min_n=2: the degenerate cases below the default minimum of 5 respondents
    batch = cronbach_alpha_batch(groups, scale=(1, 5), min_n=2)
    scales = batch.scales
    assert scales.loc["good", "note"] is None
    assert scales.loc["good", "reason"] is None
    for key in ("flat", "sparse", "single", "empty", "outside"):
        with pytest.raises(ValueError) as info:
            cronbach_alpha_from_moments(groups[key], scale=(1, 5), min_n=2)
        assert scales.loc[key, "note"] == str(info.value)
        assert np.isnan(scales.loc[key, ["alpha", "ase", "ci_low", "g6"]].astype(float)).all()
    assert "zero variance" in scales.loc["flat", "note"]
    assert "fewer than 2 respondents" in scales.loc["sparse", "note"]
    assert scales.loc["single", "n_respondents"] == 1
    assert scales["reason"].to_dict() == {
        "good": None,
        "flat": Reason.ZERO_VARIANCE,
        "sparse": Reason.UNDEFINED_PAIR,
        "single": Reason.INSUFFICIENT_DATA,
        "empty": Reason.NO_RESPONSES,
        "outside": Reason.OUT_OF_RANGE,
    }
    # the counts of a failed group are kept
    assert scales.loc["flat", ["n_respondents", "n_complete", "n_used"]].tolist() == [3, 3, 3]
    assert list(batch.items.index.get_level_values("group").unique()) == ["good"]
    _assert_matches_per_group(batch, {"good": good}, scale=(1, 5))


def test_alpha_batch__default_minimum_refuses_fewer_than_five_respondents() -> None:
    # issue 10 §3: n = 2 gave alpha 0.99 with se 0, n = 3-4 alphas below -1 or limits above 1
    data = pd.DataFrame({"a": [1, 2, 3, 4, 5.0], "b": [2, 2, 3, 5, 4.0], "c": [1, 3, 3, 4, 5.0]})
    groups = {n: PairwiseMoments.from_frame(data.iloc[:n]) for n in (2, 3, 4, 5)}
    scales = cronbach_alpha_batch(groups).scales
    assert scales["reason"].tolist() == [Reason.INSUFFICIENT_DATA] * 3 + [None]
    assert scales["n_used"].tolist() == [2, 3, 4, 5]
    assert scales.loc[3, "note"] == (
        "insufficient data: n = 3 respondents (pairwise policy), fewer than the minimum 5"
    )
    assert np.isnan(scales.loc[[2, 3, 4], "alpha"].astype(float)).all()


def test_alpha_batch__hand_computed_two_groups() -> None:
    # Group x: C = [[1, .5], [.5, 1]] (rows (0,0),(2,1),(1,2)) -> alpha = 2 (1 - 2/3) = 2/3.
    # Group y: b = a: C = [[1, 1], [1, 1]] -> alpha = 2 (1 - 2/4) = 1.
    x = PairwiseMoments.from_frame(pd.DataFrame({"a": [0, 2, 1.0], "b": [0, 1, 2.0]}))
    y = PairwiseMoments.from_frame(pd.DataFrame({"a": [0, 1, 2.0], "b": [0, 1, 2.0]}))
    batch = cronbach_alpha_batch({"x": x, "y": y}, min_n=3)
    assert batch.scales["alpha"].tolist() == pytest.approx([2 / 3, 1.0], abs=1e-15)
    assert batch.scales["average_r"].tolist() == pytest.approx([0.5, 1.0], abs=1e-15)
    assert batch.items.loc[("x", "a"), "sd"] == pytest.approx(1.0, abs=1e-15)


def test_alpha_batch__group_independent_errors_raise() -> None:
    m = PairwiseMoments.from_frame(pd.DataFrame({"a": [1, 2, 3.0], "b": [2, 1, 3.0]}))
    with pytest.raises(ValueError, match="unknown items"):
        cronbach_alpha_batch({1: m}, items=["a", "z"])
    with pytest.raises(ValueError, match="at least 2 items"):
        cronbach_alpha_batch({1: m}, items=["a"])
    with pytest.raises(ValueError, match="declared response range"):
        cronbach_alpha_batch({1: m}, reverse=["a"])
    with pytest.raises(TypeError, match="PairwiseMoments"):
        cronbach_alpha_batch({1: "m"})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="missing"):
        cronbach_alpha_batch({1: m}, missing="everything")  # type: ignore[arg-type]


def test_alpha_batch__no_groups_gives_empty_tables() -> None:
    batch = cronbach_alpha_batch({}, items=["a", "b"])
    assert batch.scales.empty and batch.items.empty
    assert "alpha" in batch.scales.columns and "r_drop" in batch.items.columns


def test_alpha_batch__exported_from_package() -> None:
    assert analysis.cronbach_alpha_batch is cronbach_alpha_batch
    assert analysis.AlphaBatchResult is AlphaBatchResult
