"""Tests for analysis.factor: exploratory factor analysis (issue 13 §5).

The loadings, factor correlations, communalities and variance accounted for are compared with
R psych 2.2.9 ``fa()`` on bfi (``tests/analysis/reference/psych_fa.R``): maximum likelihood
with oblimin and with Varimax (GPArotation, no Kaiser normalisation), and statsmodels' principal
axis against psych's minres; the ML uniquenesses also against ``stats::factanal``. Factor order
and sign are arbitrary in a factor model, so columns are matched to R's by their largest
absolute correlation and compared up to sign. Tolerance 5e-5: both sides stop their
optimisers near 1e-6 (observed differences stay below 1e-5).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from analysis.factor import FactorResult
from analysis.factor import factor_analysis
from analysis.factor import factor_analysis_from_corr
from analysis.reasons import Reason
from analysis.reasons import StatisticUnavailable
from tests.analysis.reference import DATA_DIR
from tests.analysis.reference import bfi
from tests.analysis.reference import psych_fa

TOL = 5e-5


def matched(result: FactorResult, ref: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, list]:
    """Our loadings with columns reordered and re-signed to R's; R's loadings; the matching."""
    r_loadings = np.array(ref["loadings"]["values"])
    ours = result.loadings.to_numpy()
    columns, signs = [], []
    for j in range(r_loadings.shape[1]):
        fit = [abs(np.corrcoef(r_loadings[:, j], ours[:, i])[0, 1]) for i in range(ours.shape[1])]
        i = int(np.argmax(fit))
        columns.append(i)
        signs.append(np.sign(r_loadings[:, j] @ ours[:, i]))
    assert sorted(columns) == list(range(r_loadings.shape[1]))
    return ours[:, columns] * np.array(signs), r_loadings, list(zip(columns, signs, strict=True))


CASES = [
    ("bfi15_ml_oblimin", 15, 3, "ml", "oblimin"),
    ("bfi15_ml_varimax", 15, 3, "ml", "varimax"),
    ("bfi15_minres_oblimin", 15, 3, "pa", "oblimin"),
    ("bfi25_ml_oblimin", 25, 5, "ml", "oblimin"),
]


@pytest.mark.parametrize(("case", "k", "m", "method", "rotation"), CASES)
def test_factor_analysis__equals_psych_fa(case, k, m, method, rotation):
    ref = psych_fa()[case]
    data = bfi().iloc[:, :k]
    result = factor_analysis(data, m, method=method, rotation=rotation)

    assert result.items == ref["items"]
    assert result.n_obs == ref["n_obs"] == 2800
    ours, theirs, matching = matched(result, ref)
    np.testing.assert_allclose(ours, theirs, atol=TOL)
    np.testing.assert_allclose(result.communality, ref["communality"], atol=TOL)
    np.testing.assert_allclose(result.uniqueness, ref["uniqueness"], atol=TOL)
    order = [c for c, _ in matching]
    np.testing.assert_allclose(result.ss_loadings.to_numpy()[order], ref["ss_loadings"], atol=TOL)
    np.testing.assert_allclose(
        result.proportion_var.to_numpy()[order], ref["proportion_var"], atol=TOL
    )
    signs = np.array([s for _, s in matching])
    phi = result.phi.to_numpy()[np.ix_(order, order)] * np.outer(signs, signs)
    np.testing.assert_allclose(phi, np.array(ref["phi"]["values"]), atol=TOL)


def test_factor_analysis__orders_factors_by_variance_as_psych_does():
    ref = psych_fa()["bfi15_ml_oblimin"]
    result = factor_analysis(bfi().iloc[:, :15], 3)
    _, _, matching = matched(result, ref)
    assert [c for c, _ in matching] == [0, 1, 2]
    assert list(result.ss_loadings.index) == ["F1", "F2", "F3"]
    assert result.ss_loadings.is_monotonic_decreasing


def test_ml_uniquenesses__equal_factanal():
    ref = psych_fa()["bfi15_factanal"]
    result = factor_analysis(bfi().iloc[:, :15], 3, rotation="none")
    np.testing.assert_allclose(result.uniqueness, ref["uniqueness"], atol=TOL)


def test_from_corr__same_as_from_rows():
    data = bfi().iloc[:, :15]
    rows = factor_analysis(data, 3)
    matrix = factor_analysis_from_corr(data.corr(), len(data), 3)
    pd.testing.assert_frame_equal(rows.loadings, matrix.loadings)


def test_eigenvalues__of_the_correlation_matrix_largest_first():
    data = bfi().iloc[:, :15]
    result = factor_analysis(data, 3)
    expected = np.linalg.eigvalsh(data.corr().to_numpy())[::-1]
    np.testing.assert_allclose(result.eigenvalues, expected, rtol=1e-12)
    assert sum(result.eigenvalues) == pytest.approx(15)


def test_heywood_case__solution_kept_with_a_note_as_psych():
    """One general factor and little else (the demo's synthetic library_gap answers): four ML
    factors push one uniqueness to its bound; psych 2.2.9 fa(fm = "ml") holds it at 0.005 and
    warns, we keep the solution with a heywood note naming the same item. The variance
    accounted for agrees to 0.02 (psych's bound vs. statsmodels' unbounded fit)."""
    ref = psych_fa()["demo_gap_heywood"]
    corr = pd.read_csv(DATA_DIR / "demo_gap_corr.csv", index_col=0)
    result = factor_analysis_from_corr(corr, 1200, 4)
    bounded = [item for item, u in zip(ref["items"], ref["uniqueness"], strict=True) if u <= 0.005]
    assert [n.code for n in result.notes] == [Reason.HEYWOOD]
    assert all(item in result.notes[0].message for item in bounded) and len(bounded) == 1
    np.testing.assert_allclose(result.ss_loadings, ref["ss_loadings"], atol=0.02)
    # one dominant eigenvalue: the data suggest a single dimension
    assert result.eigenvalues[0] > 16 and result.eigenvalues[1] < 1


def test_to_frame__is_tidy():
    result = factor_analysis(bfi().iloc[:, :15], 3)
    frame = result.to_frame()
    assert list(frame.columns) == ["item", "factor", "loading"]
    assert len(frame) == 15 * 3


def test_structure__bfi_items_load_on_their_intended_scales():
    """bfi A, C and E: every item's largest loading is on its scale's factor (psych's own
    three-factor solution shows the same pattern)."""
    data = bfi().iloc[:, :15].copy()
    for item in ("A1", "C4", "C5", "E1", "E2"):
        data[item] = 7 - data[item]
    result = factor_analysis(data, 3)
    intended = {item: item[0] for item in data.columns}
    table, factor_of_scale = result.structure(intended)
    assert sorted(factor_of_scale.values()) == ["F1", "F2", "F3"]
    assert table["agrees"].all(), table[~table["agrees"]]
    # after reverse keying every primary loading is positive
    assert (table["loading"] > 0).all()


def test_structure__flags_an_item_that_belongs_elsewhere():
    """Declare E3 (an extraversion item) part of scale A: it does not load on A's factor."""
    data = bfi().iloc[:, :15].copy()
    for item in ("A1", "C4", "C5", "E1", "E2"):
        data[item] = 7 - data[item]
    intended = {item: item[0] for item in data.columns}
    intended["E4"] = "A"
    table, factor_of_scale = factor_analysis(data, 3).structure(intended)
    e4 = table.set_index("item").loc["E4"]
    assert not e4["agrees"]
    assert e4["primary_factor"] == factor_of_scale["E"]


def test_refused__too_few_respondents():
    data = bfi().iloc[:60, :15]
    with pytest.raises(StatisticUnavailable) as info:
        factor_analysis(data, 3)
    assert info.value.code is Reason.INSUFFICIENT_DATA
    assert info.value.n == 60
    # 5 per item: 15 items need 100 (the floor), 25 items need 125
    with pytest.raises(StatisticUnavailable, match="at least 125"):
        factor_analysis(bfi().iloc[:120, :25], 5)


def test_refused__singular_matrix():
    data = bfi().iloc[:, :6].copy()
    data["sum"] = data["A1"] + data["A2"]
    with pytest.raises(StatisticUnavailable) as info:
        factor_analysis(data.dropna(), 2)
    assert info.value.code is Reason.SINGULAR_MATRIX


def test_refused__item_without_variance_and_undefined_pair():
    data = bfi().iloc[:, :6].copy()
    data["A1"] = 3.0
    with pytest.raises(StatisticUnavailable) as info:
        factor_analysis(data, 2)
    assert info.value.code is Reason.ZERO_VARIANCE
    corr = bfi().iloc[:, :6].corr()
    corr.loc["A1", "A2"] = corr.loc["A2", "A1"] = np.nan
    with pytest.raises(StatisticUnavailable) as info:
        factor_analysis_from_corr(corr, 500, 2)
    assert info.value.code is Reason.UNDEFINED_PAIR


def test_refused__too_many_factors_for_the_items():
    # 4 items and 2 factors: ((4 - 2)² - 6) / 2 = -1 degrees of freedom
    with pytest.raises(StatisticUnavailable) as info:
        factor_analysis(bfi().iloc[:, :4], 2)
    assert info.value.code is Reason.INVALID_DATA


def test_refused__negative_eigenvalue():
    corr = pd.DataFrame(
        [[1, 0.9, 0.9], [0.9, 1, -0.9], [0.9, -0.9, 1]], index=list("abc"), columns=list("abc")
    )
    with pytest.raises(StatisticUnavailable) as info:
        factor_analysis_from_corr(corr, 500, 1)
    assert info.value.code is Reason.NOT_POSITIVE_SEMIDEFINITE


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [({"method": "minres"}, ValueError), ({"rotation": "promax"}, ValueError)],
)
def test_bad_arguments__raise(kwargs, error):
    with pytest.raises(error):
        factor_analysis(bfi().iloc[:, :6], 2, **kwargs)
