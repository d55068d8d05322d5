"""Tests for analysis.indices: item and dimension means, top-box shares, NPS, ISO 11620
user satisfaction, the ACSI-style index and the HappyOrNot-style index (issue 3 §2).

References: t intervals recomputed by hand with scipy.stats.t quantiles; Wilson (and
Clopper–Pearson) intervals against the statsmodels table of analysis.md §4.1, including
Newcombe's published 81/263 -> 0.2553–0.3662; NPS, ACSI and Happy-Index values computed
by hand in the tests.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.indices import acsi_index
from analysis.indices import describe_dimensions
from analysis.indices import describe_items
from analysis.indices import dimension_scores
from analysis.indices import happy_index
from analysis.indices import net_promoter_score
from analysis.indices import share_satisfied
from analysis.indices import user_satisfaction


def _t_ci(x: list[float], confidence: float = 0.95) -> tuple[float, float]:
    """Hand computation: mean ± t(1-α/2, n-1)·s/√n."""
    a = np.asarray(x, dtype=float)
    n = a.size
    half = stats.t.ppf(1 - (1 - confidence) / 2, n - 1) * a.std(ddof=1) / math.sqrt(n)
    return a.mean() - half, a.mean() + half


# ---------------------------------------------------------------------- describe_items


def test_describe_items__t_interval_matches_hand_computation() -> None:
    a = [3, 5, 4, 6, 2, 5]
    b = [1, 2, 2]
    df = pd.DataFrame({"library": ["A"] * 6 + ["B"] * 3, "q1": a + b})
    res = describe_items(df, items=["q1"])
    row = res.set_index("library").loc["A"]
    lo, hi = _t_ci(a)
    assert row["n"] == 6
    assert row["mean"] == pytest.approx(25 / 6)
    assert row["sd"] == pytest.approx(np.std(a, ddof=1))
    assert row["median"] == pytest.approx(4.5)
    assert row["ci_low"] == pytest.approx(lo, rel=1e-12)
    assert row["ci_high"] == pytest.approx(hi, rel=1e-12)
    # 90 % interval of B: mean 5/3, s = 0.57735, t(0.95, 2) = 2.919986
    res90 = describe_items(df, items="q1", confidence=0.90).set_index("library")
    assert res90.loc["B", "ci_low"] == pytest.approx(
        5 / 3 - 2.919986 * 0.5773503 / math.sqrt(3), rel=1e-6
    )


def test_describe_items__skips_missing_and_groups_by_several_columns() -> None:
    df = pd.DataFrame(
        {
            "library": ["A", "A", "A", "A", "B"],
            "period": ["2024", "2024", "2025", "2025", "2025"],
            "q1": [4, None, 2, 3, 5],
            "q2": [1, 2, 3, None, None],
        }
    )
    res = describe_items(df, items=["q1", "q2"], by=["library", "period"])
    assert list(res.columns) == [
        "library",
        "period",
        "item",
        "n",
        "mean",
        "sd",
        "median",
        "se",
        "ci_low",
        "ci_high",
    ]
    got = res.set_index(["library", "period", "item"])
    assert got.loc[("A", "2024", "q1"), "n"] == 1
    assert np.isnan(got.loc[("A", "2024", "q1"), "ci_low"])  # n < 2: no interval
    assert got.loc[("A", "2025", "q1"), "mean"] == pytest.approx(2.5)
    assert got.loc[("B", "2025", "q2"), "n"] == 0
    assert np.isnan(got.loc[("B", "2025", "q2"), "mean"])
    # items keep the order given, groups are sorted
    assert list(res["item"][:2]) == ["q1", "q2"]


def test_describe_items__empty_by_pools_everything() -> None:
    df = pd.DataFrame({"library": ["A", "B", "B"], "q1": [1.0, 2.0, 6.0]})
    res = describe_items(df, items="q1", by=())
    assert list(res.columns)[0] == "item"
    assert res.loc[0, "n"] == 3
    assert res.loc[0, "mean"] == pytest.approx(3.0)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"items": ["nope"]}, ValueError),
        ({"items": ["q1"], "by": ["nope"]}, ValueError),
        ({"items": ["q1"], "confidence": 1.5}, ValueError),
        ({"items": ["q1"], "by": ["q1"]}, ValueError),
        ({"items": ["q1"], "by": ["item"]}, ValueError),
        ({"items": 5}, TypeError),
        ({"items": ["txt"]}, ValueError),
    ],
)
def test_describe_items__rejects_bad_input(kwargs: dict, error: type[Exception]) -> None:
    df = pd.DataFrame({"library": ["A"], "q1": [1], "item": [0], "txt": ["abc"]})
    with pytest.raises(error):
        describe_items(df, **kwargs)


def test_describe_items__rejects_non_frame() -> None:
    with pytest.raises(TypeError):
        describe_items({"q1": [1, 2]}, items="q1")  # type: ignore[arg-type]


# ---------------------------------------------------------------------- dimensions


def test_dimension_scores__reverse_keys_with_declared_range_not_data_range() -> None:
    # q2 is reverse keyed on a declared 1..5 scale; the data only span 2..4, so a
    # data-driven recode (2+4-x) would differ from the declared one (1+5-x).
    df = pd.DataFrame(
        {"library": ["A", "A", "A"], "q1": [5, 4, None], "q2": [2, 4, 3], "q3": [3, None, None]}
    )
    scores = dimension_scores(
        df, scales={"D": ["q1", "q2", "q3"]}, reverse=["q2"], scale_range=(1, 5)
    )
    # row 0: (5 + (6-2) + 3)/3 = 4; row 1: (4 + (6-4))/2 = 3; row 2: (6-3)/1 = 3
    assert scores["D"].tolist() == pytest.approx([4.0, 3.0, 3.0])
    assert list(scores.columns) == ["library", "D"]
    strict = dimension_scores(
        df, scales={"D": ["q1", "q2", "q3"]}, reverse=["q2"], scale_range=(1, 5), min_answered=2
    )
    assert strict["D"].iloc[:2].tolist() == pytest.approx([4.0, 3.0])
    assert np.isnan(strict["D"].iloc[2])


def test_dimension_scores__rejects_reverse_item_without_range_and_out_of_range() -> None:
    df = pd.DataFrame({"library": ["A"], "q1": [7], "q2": [3]})
    with pytest.raises(ValueError, match="range"):
        dimension_scores(df, scales={"D": ["q1", "q2"]}, reverse=["q2"])
    with pytest.raises(ValueError, match="outside"):
        dimension_scores(df, scales={"D": ["q1", "q2"]}, scale_range=(1, 5))
    with pytest.raises(ValueError, match="no dimension"):
        dimension_scores(df, scales={"D": ["q1"]}, reverse=["q2"], scale_range=(1, 7))


def test_describe_dimensions__summarises_respondent_scores() -> None:
    df = pd.DataFrame(
        {
            "library": ["A"] * 4,
            "a1": [1, 2, 3, 4],
            "a2": [3, 4, 5, None],
            "b1": [5, 5, 4, 4],
        }
    )
    res = describe_dimensions(df, scales={"A": ["a1", "a2"], "B": ["b1"]})
    got = res.set_index("dimension")
    a_scores = [2.0, 3.0, 4.0, 4.0]  # (1+3)/2, (2+4)/2, (3+5)/2, 4
    lo, hi = _t_ci(a_scores)
    assert got.loc["A", "n"] == 4
    assert got.loc["A", "mean"] == pytest.approx(3.25)
    assert got.loc["A", "ci_low"] == pytest.approx(lo)
    assert got.loc["A", "ci_high"] == pytest.approx(hi)
    assert got.loc["B", "mean"] == pytest.approx(4.5)


# ---------------------------------------------------------------------- shares


# analysis.md §4.1 reference table (statsmodels 0.15.0)
WILSON = {
    (8, 10): (0.490162, 0.943318),
    (81, 263): (0.255289, 0.366210),
    (0, 10): (0.0, 0.277533),
    (10, 10): (0.722467, 1.0),
    (15, 148): (0.062386, 0.160487),
}


def _yes_no_frame(cases: dict[tuple[int, int], object]) -> pd.DataFrame:
    rows = []
    for k, (count, n) in enumerate(cases):
        rows += [{"library": f"L{k}", "q14": 1}] * count
        rows += [{"library": f"L{k}", "q14": 0}] * (n - count)
    return pd.DataFrame(rows)


def test_share_satisfied__wilson_matches_analysis_reference_table() -> None:
    df = _yes_no_frame(WILSON)
    res = share_satisfied(df, items="q14", threshold=1).set_index("library")
    for k, ((count, n), (lo, hi)) in enumerate(WILSON.items()):
        row = res.loc[f"L{k}"]
        assert (row["count"], row["n"]) == (count, n)
        assert row["share"] == pytest.approx(count / n)
        assert row["ci_low"] == pytest.approx(lo, abs=5e-7)
        assert row["ci_high"] == pytest.approx(hi, abs=5e-7)
    # Newcombe (1998), published example: 81/263 -> 0.2553 to 0.3662
    assert round(res.loc["L1", "ci_low"], 4) == 0.2553
    assert round(res.loc["L1", "ci_high"], 4) == 0.3662


def test_share_satisfied__clopper_pearson_on_request() -> None:
    df = _yes_no_frame({(81, 263): None})
    res = share_satisfied(df, items="q14", threshold=1, method="beta")
    assert res.loc[0, "ci_low"] == pytest.approx(0.252737, abs=5e-7)
    assert res.loc[0, "ci_high"] == pytest.approx(0.367622, abs=5e-7)


def test_share_satisfied__top_two_box_from_scale_max() -> None:
    df = pd.DataFrame({"library": ["A"] * 6, "q1": [5, 4, 3, 2, 1, None], "q2": [7, 6, 5, 7, 1, 2]})
    res = share_satisfied(df, items=["q1", "q2"], scale_max={"q1": 5, "q2": 7})
    got = res.set_index("item")
    assert got.loc["q1", "threshold"] == 4.0
    assert (got.loc["q1", "count"], got.loc["q1", "n"]) == (2, 5)
    assert got.loc["q2", "threshold"] == 6.0
    assert (got.loc["q2", "count"], got.loc["q2", "n"]) == (3, 6)
    assert got.loc["q2", "se"] == pytest.approx(math.sqrt(0.5 * 0.5 / 6))
    top3 = share_satisfied(df, items="q2", scale_max=7, top_box=3)
    assert top3.loc[0, "count"] == 4


def test_share_satisfied__needs_threshold_or_scale_max() -> None:
    df = pd.DataFrame({"library": ["A"], "q1": [1]})
    with pytest.raises(ValueError, match="threshold or scale_max"):
        share_satisfied(df, items="q1")
    with pytest.raises(ValueError, match="no value"):
        share_satisfied(df, items="q1", threshold={"other": 1})


# ---------------------------------------------------------------------- NPS


def test_net_promoter_score__matches_hand_computation() -> None:
    answers = [10, 9, 9, 10, 9, 8, 7, 7, 3, 0, None]
    df = pd.DataFrame({"library": ["A"] * 11, "r": answers})
    row = net_promoter_score(df, items="r").iloc[0]
    # n = 10: 5 promoters, 3 passives, 2 detractors
    assert (row["n"], row["promoters"], row["passives"], row["detractors"]) == (10, 5, 3, 2)
    assert row["nps"] == pytest.approx(30.0)
    # Var = (pP + pD - (pP - pD)^2)/n = (0.5 + 0.2 - 0.09)/10 = 0.061
    se = 100 * math.sqrt(0.061)
    assert row["se"] == pytest.approx(se)
    z = 1.959963984540054
    assert row["ci_low"] == pytest.approx(30 - z * se)
    assert row["ci_high"] == pytest.approx(30 + z * se)
    assert row["pct_promoters"] == pytest.approx(50.0)


def test_net_promoter_score__interval_is_clipped_and_range_checked() -> None:
    df = pd.DataFrame({"library": ["A"] * 4, "r": [10, 10, 10, 0]})
    row = net_promoter_score(df, items="r").iloc[0]
    # 75 - 25 = 50; var = (0.75 + 0.25 - 0.25)/4 = 0.1875 -> se = 43.30; upper clipped
    assert row["nps"] == pytest.approx(50.0)
    assert row["se"] == pytest.approx(100 * math.sqrt(0.1875))
    assert row["ci_high"] == 100.0
    with pytest.raises(ValueError, match="outside"):
        net_promoter_score(pd.DataFrame({"library": ["A"], "r": [11]}), items="r")
    with pytest.raises(ValueError, match="below"):
        net_promoter_score(df, items="r", promoter_min=6, detractor_max=6)


# ---------------------------------------------------------------------- ISO 11620


def test_user_satisfaction__is_the_mean_on_one_to_five() -> None:
    ratings = [5, 4, 4, 3, 5, 2]
    df = pd.DataFrame({"library": ["A"] * 6, "overall": ratings})
    row = user_satisfaction(df, items="overall").iloc[0]
    lo, hi = _t_ci(ratings)
    assert row["mean"] == pytest.approx(23 / 6)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((lo, hi))
    with pytest.raises(ValueError, match="outside"):
        user_satisfaction(pd.DataFrame({"library": ["A"], "overall": [0]}), items="overall")


# ---------------------------------------------------------------------- ACSI


def test_acsi_index__equals_acsi_formula_on_item_means() -> None:
    df = pd.DataFrame(
        {
            "library": ["A"] * 4,
            "sat": [10, 8, 7, 9],
            "expect": [9, 7, 6, 10],
            "ideal": [8, 6, 5, 7],
        }
    )
    row = acsi_index(df, items=["sat", "expect", "ideal"]).iloc[0]
    # ACSI with equal weights: sum_i (1/3) (mean_i - 1)/9 * 100
    means = [8.5, 8.0, 6.5]
    expected = sum((m - 1) / 9 * 100 / 3 for m in means)
    assert row["index"] == pytest.approx(expected)  # (7.5 + 7 + 5.5)/27 * 100 = 74.07
    # per respondent: (sum of answers - 3)/27 * 100, sums 27, 21, 18, 26
    per_resp = [(27 - 3) / 27 * 100, (21 - 3) / 27 * 100, (18 - 3) / 27 * 100, (26 - 3) / 27 * 100]
    lo, hi = _t_ci(per_resp)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((lo, hi))
    weighted = acsi_index(df, items=["sat", "expect", "ideal"], weights=[2, 1, 1]).iloc[0]
    assert weighted["index"] == pytest.approx((2 * (8.5 - 1) + (8.0 - 1) + (6.5 - 1)) / 4 / 9 * 100)


def test_acsi_index__rescales_mixed_ranges_and_respects_min_answered() -> None:
    df = pd.DataFrame({"library": ["A", "A"], "a": [1, 5], "b": [10, None]})
    res = acsi_index(df, items=["a", "b"], scale_range={"a": (1, 5), "b": (0, 10)}, min_answered=1)
    # row 0: (0 + 100)/2 = 50; row 1: a only -> 100
    assert res.loc[0, "n"] == 2
    assert res.loc[0, "index"] == pytest.approx(75.0)
    complete = acsi_index(df, items=["a", "b"], scale_range={"a": (1, 5), "b": (0, 10)})
    assert complete.loc[0, "n"] == 1
    assert complete.loc[0, "index"] == pytest.approx(50.0)


# ---------------------------------------------------------------------- Happy index


def test_happy_index__weighted_points_by_hand() -> None:
    faces = [4, 4, 3, 2, 1, 4, None]
    df = pd.DataFrame({"library": ["A"] * 7, "smile": faces})
    row = happy_index(df, items="smile").iloc[0]
    assert (row["very_unhappy"], row["unhappy"], row["happy"], row["very_happy"]) == (1, 1, 1, 3)
    points = [100, 100, 200 / 3, 100 / 3, 0, 100]
    assert row["n"] == 6
    assert row["index"] == pytest.approx(sum(points) / 6)  # 66.67
    lo, hi = _t_ci(points)
    assert row["ci_low"] == pytest.approx(max(lo, 0.0))
    assert row["ci_high"] == pytest.approx(min(hi, 100.0))


def test_happy_index__happy_share_uses_wilson() -> None:
    df = pd.DataFrame({"library": ["A"] * 10, "smile": [4] * 5 + [3] * 3 + [1, 2]})
    row = happy_index(df, items="smile", method="happy_share").iloc[0]
    assert row["index"] == pytest.approx(80.0)
    assert row["ci_low"] == pytest.approx(100 * 0.490162, abs=5e-5)
    assert row["ci_high"] == pytest.approx(100 * 0.943318, abs=5e-5)
    custom = happy_index(df, items="smile", weights={1: 0, 2: 0, 3: 50, 4: 100}).iloc[0]
    assert custom["index"] == pytest.approx((5 * 100 + 3 * 50) / 10)
    with pytest.raises(ValueError, match="1, 2, 3 or 4"):
        happy_index(pd.DataFrame({"library": ["A"], "smile": [5]}), items="smile")
