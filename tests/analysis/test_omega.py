"""Tests for analysis.omega: one-factor McDonald omega (minres and ML).

Covers issue 3 §1 "Reliability" (omega): psych::omega(x, nfactors=1) 2.2.9 omega.tot, omega_h,
alpha, G6, loadings and u2 on the five reverse-keyed bfi scales with fm="minres" and fm="ml",
pairwise and listwise correlations; McDonald's model-implied omega (computed in R from psych's
loadings); omega from accumulated moments; declared keys are never flipped.

References: R psych 2.2.9 via tests/analysis/reference/psych_reliability.R. Tolerance 1e-5
for the fitted quantities (psych's own optimiser stops at about 1e-6), 1e-10 for alpha and
G6, which do not depend on the fit.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from analysis.omega import omega_total
from analysis.omega import omega_total_from_moments
from analysis.reliability import PairwiseMoments
from analysis.results import OmegaResult
from tests.analysis.reference import BFI_SCALES
from tests.analysis.reference import bfi
from tests.analysis.reference import psych_reliability

FIT_TOL = 1e-5


def _scale(name: str) -> tuple[list[str], list[str], dict]:
    ref = psych_reliability()["bfi"][name]
    return ref["items"], ref["reverse"], ref


def _assert_matches_psych(res: OmegaResult, ref: dict[str, Any]) -> None:
    assert res.omega_total == pytest.approx(ref["omega_tot"], abs=FIT_TOL)
    assert res.omega_hierarchical == pytest.approx(ref["omega_h"], abs=FIT_TOL)
    assert res.omega_model == pytest.approx(ref["omega_mcdonald"], abs=FIT_TOL)
    assert res.alpha == pytest.approx(ref["alpha"], abs=1e-10)
    assert res.g6 == pytest.approx(ref["g6"], abs=1e-10)
    np.testing.assert_allclose(res.loadings, ref["loadings"], rtol=0, atol=FIT_TOL)
    np.testing.assert_allclose(res.uniquenesses, ref["u2"], rtol=0, atol=FIT_TOL)


@pytest.mark.parametrize("scale_name", BFI_SCALES)
def test_omega_minres__bfi_scale_matches_psych(scale_name: str) -> None:
    items, reverse, ref = _scale(scale_name)
    res = omega_total(bfi(), items=items, reverse=reverse, scale=(1, 6))
    _assert_matches_psych(res, ref["omega_minres"])
    assert (res.method, res.missing, res.n_items, res.n_respondents) == (
        "minres",
        "pairwise",
        5,
        2800,
    )


@pytest.mark.parametrize("scale_name", BFI_SCALES)
def test_omega_ml__bfi_scale_matches_psych(scale_name: str) -> None:
    items, reverse, ref = _scale(scale_name)
    res = omega_total(bfi(), items=items, reverse=reverse, scale=(1, 6), method="ml")
    _assert_matches_psych(res, ref["omega_ml"])


@pytest.mark.parametrize("scale_name", BFI_SCALES)
def test_omega_listwise__bfi_scale_matches_psych_on_complete_rows(scale_name: str) -> None:
    items, reverse, ref = _scale(scale_name)
    res = omega_total(bfi(), items=items, reverse=reverse, scale=(1, 6), missing="listwise")
    _assert_matches_psych(res, ref["omega_minres_listwise"])
    assert res.n_complete == ref["pairwise"]["n_complete"]


def test_omega__agreeableness_printed_digits() -> None:
    # analysis.md §2.1 (R): omega.tot 0.7229431365, omega_h 0.7239095476,
    # loadings 0.374177 0.678674 0.75379 0.480337 0.614755.
    res = omega_total(bfi(), items=[f"A{i}" for i in range(1, 6)], reverse=["A1"], scale=(1, 6))
    assert res.omega_total == pytest.approx(0.7229431365, abs=1e-6)
    assert res.omega_hierarchical == pytest.approx(0.7239095476, abs=1e-6)
    np.testing.assert_allclose(
        res.loadings, [0.374177, 0.678674, 0.75379, 0.480337, 0.614755], rtol=0, atol=2e-6
    )
    # the model-implied omega differs from psych's observed-variance omega_t in the 4th decimal
    assert abs(res.omega_model - res.omega_total) > 1e-4


@pytest.mark.parametrize("scale_name", BFI_SCALES)
def test_omega_minres__least_squares_not_worse_than_psych(scale_name: str) -> None:
    # minres minimises the squared off-diagonal residuals: our fit must be at least as good.
    items, reverse, ref = _scale(scale_name)
    data = bfi()[items].copy()
    for item in reverse:
        data[item] = 7 - data[item]
    r = data.corr().to_numpy()
    off = ~np.eye(len(items), dtype=bool)

    def loss(lam: np.ndarray) -> float:
        return float(((r - np.outer(lam, lam))[off] ** 2).sum())

    ours = omega_total(bfi(), items=items, reverse=reverse, scale=(1, 6)).loadings.to_numpy()
    assert loss(ours) <= loss(np.array(ref["omega_minres"]["loadings"])) + 1e-15


@pytest.mark.parametrize("method", ["minres", "ml"])
@pytest.mark.parametrize("policy", ["pairwise", "listwise"])
def test_omega_from_moments__matches_raw_data_path(method: str, policy: str) -> None:
    items, reverse, _ = _scale("C")
    raw = omega_total(
        bfi(), items=items, reverse=reverse, scale=(1, 6), method=method, missing=policy
    )
    moments = PairwiseMoments(items)
    for rows in np.array_split(np.arange(2800), 4):
        moments.add(bfi().iloc[rows])
    res = omega_total_from_moments(
        moments, reverse=reverse, scale=(1, 6), method=method, missing=policy
    )
    # minres is solved to machine precision (Newton polish); statsmodels' ML stops at its
    # BFGS gradient tolerance (1e-7), so the two routes agree to that order only.
    tol = 1e-9 if method == "minres" else 1e-6
    pd.testing.assert_frame_equal(res.to_frame(), raw.to_frame(), rtol=0, atol=tol)
    pd.testing.assert_frame_equal(res.items, raw.items, rtol=0, atol=tol)


def test_omega__declared_keys_are_not_flipped() -> None:
    # Without declaring A1 reversed, psych's flip=TRUE would reflect it; we keep its negative
    # loading and the lower omega, so a wrong key shows instead of being silently repaired.
    items = [f"A{i}" for i in range(1, 6)]
    unkeyed = omega_total(bfi(), items=items)
    keyed = omega_total(bfi(), items=items, reverse=["A1"], scale=(1, 6))
    assert unkeyed.loadings["A1"] < 0 < keyed.loadings["A1"]
    assert unkeyed.loadings["A1"] == pytest.approx(-keyed.loadings["A1"], abs=1e-6)
    assert unkeyed.omega_total < keyed.omega_total
    assert bool(keyed.items.loc["A1", "reversed"]) is True


def test_omega__to_frame_and_item_table() -> None:
    items, reverse, _ = _scale("E")
    res = omega_total(bfi(), items=items, reverse=reverse, scale=(1, 6))
    frame = res.to_frame()
    assert frame.shape[0] == 1
    assert frame.loc[0, "omega_total"] == res.omega_total
    np.testing.assert_allclose(
        res.items["communality"] + res.items["uniqueness"], 1.0, rtol=0, atol=1e-15
    )


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"method": "pa"}, ValueError, "method"),
        ({"missing": "mean"}, ValueError, "missing"),
        ({"reverse": ["A1"]}, ValueError, "never inferred"),
    ],
)
def test_omega__rejects_bad_arguments(kwargs: dict, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        omega_total(bfi(), items=[f"A{i}" for i in range(1, 6)], **kwargs)
