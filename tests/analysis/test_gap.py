"""Tests for analysis.gap: LibQUAL-style three-column gap scores, importance–performance,
SERVQUAL scores and the LibQUAL screening flags (issue 3 §2, gap batteries).

References: paired intervals against scipy.stats.ttest_rel(...).confidence_interval();
means, gaps, quadrants, SERVQUAL scores and screening counts computed by hand in the
tests (instruments.md §1.4, §1.7, §2).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.gap import gap_scores
from analysis.gap import importance_performance
from analysis.gap import screen_gap_responses
from analysis.gap import servqual_scores


def _battery(items: dict[str, list[tuple[float, float, float] | None]], **extra) -> pd.DataFrame:
    """Wide frame from {item: [(min, des, per) or None (N/A), ...]}."""
    cols: dict[str, list] = dict(extra)
    for item, rows in items.items():
        cols[f"{item}:minimum"] = [np.nan if r is None else r[0] for r in rows]
        cols[f"{item}:desired"] = [np.nan if r is None else r[1] for r in rows]
        cols[f"{item}:perceived"] = [np.nan if r is None else r[2] for r in rows]
        cols[f"{item}:na"] = [1 if r is None else 0 for r in rows]
    return pd.DataFrame(cols)


def test_gap_scores__paired_intervals_match_scipy_ttest_rel() -> None:
    mins = [5, 6, 4, 7, 5, 6, 3, 5]
    dess = [8, 8, 7, 9, 7, 8, 6, 8]
    pers = [6, 7, 7, 6, 5, 8, 4, 7]
    df = _battery({"AS1": list(zip(mins, dess, pers, strict=True))}, library=["A"] * 8)
    row = gap_scores(df, items="AS1", overall=False).iloc[0]
    assert row["level"] == "item"
    assert row["n"] == 8
    assert row["mean_minimum"] == pytest.approx(np.mean(mins))
    assert row["sd_desired"] == pytest.approx(np.std(dess, ddof=1))
    adequacy = stats.ttest_rel(pers, mins).confidence_interval(0.95)
    superiority = stats.ttest_rel(pers, dess).confidence_interval(0.95)
    zot = stats.ttest_rel(dess, mins).confidence_interval(0.95)
    assert row["adequacy_gap"] == pytest.approx(np.mean(pers) - np.mean(mins))
    assert (row["adequacy_gap_ci_low"], row["adequacy_gap_ci_high"]) == pytest.approx(
        (adequacy.low, adequacy.high)
    )
    assert (row["superiority_gap_ci_low"], row["superiority_gap_ci_high"]) == pytest.approx(
        (superiority.low, superiority.high)
    )
    assert (row["zot_width_ci_low"], row["zot_width_ci_high"]) == pytest.approx((zot.low, zot.high))
    assert row["status"] == "within_zot"  # 5.125 <= 6.25 <= 7.625


def test_gap_scores__na_overrides_ratings_and_partial_items_are_missing() -> None:
    df = _battery(
        {"AS1": [(5, 8, 6), (4, 7, 7), (3, 6, 2), (6, 9, 9)]},
        library=["A"] * 4,
    )
    df.loc[1, "AS1:na"] = 1  # N/A overrides the ratings given
    df.loc[2, "AS1:desired"] = np.nan  # incomplete item: not used
    row = gap_scores(df, items=["AS1"], overall=False).iloc[0]
    assert row["n"] == 2
    assert row["mean_perceived"] == pytest.approx(7.5)  # rows 0 and 3
    assert row["adequacy_gap"] == pytest.approx(2.0)  # (1 + 3)/2


def test_gap_scores__dimension_and_overall_rows_by_hand() -> None:
    df = _battery(
        {
            "AS1": [(5, 8, 6), (4, 6, 3), None],
            "AS2": [(7, 9, 9), (4, 8, 5), (6, 7, 8)],
            "LP1": [(2, 5, 6), (3, 6, 7), (5, 8, 9)],
        },
        library=["A"] * 3,
    )
    res = gap_scores(df, items=["AS1", "AS2", "LP1"], scales={"AS": ["AS1", "AS2"], "LP": ["LP1"]})
    assert list(res["level"]) == ["item"] * 3 + ["dimension"] * 2 + ["overall"]
    got = res.set_index("unit")
    # AS per respondent (mean of valid items): min 6, 4, 6; des 8.5, 7, 7; per 7.5, 4, 8
    assert got.loc["AS", "n"] == 3
    assert got.loc["AS", "mean_minimum"] == pytest.approx(16 / 3)
    assert got.loc["AS", "mean_perceived"] == pytest.approx(19.5 / 3)
    ci = stats.ttest_rel([7.5, 4, 8], [6, 4, 6]).confidence_interval()
    assert (got.loc["AS", "adequacy_gap_ci_low"], got.loc["AS", "adequacy_gap_ci_high"]) == (
        pytest.approx((ci.low, ci.high))
    )
    # overall per respondent: min (5+7+2)/3, (4+4+3)/3, (6+5)/2; per (6+9+6)/3, 5, 8.5
    assert got.loc["overall", "mean_minimum"] == pytest.approx((14 / 3 + 11 / 3 + 5.5) / 3)
    assert got.loc["overall", "mean_perceived"] == pytest.approx((7 + 5 + 8.5) / 3)
    # LP: perceived 7.33 > desired 6.33 -> above_desired
    assert got.loc["LP", "status"] == "above_desired"


def test_gap_scores__status_below_minimum_and_groups() -> None:
    df = _battery(
        {"IC1": [(6, 8, 4), (7, 9, 5), (5, 6, 7), (5, 8, 6)]},
        library=["A", "A", "B", "B"],
    )
    res = gap_scores(df, items="IC1", overall=False).set_index("library")
    assert res.loc["A", "status"] == "below_min"  # per 4.5 < min 6.5
    assert res.loc["B", "status"] == "within_zot"  # min 5 <= per 6.5 <= des 7


def test_gap_scores__rejects_missing_battery_columns() -> None:
    df = pd.DataFrame({"library": ["A"], "AS1:minimum": [1], "AS1:perceived": [2]})
    with pytest.raises(ValueError, match="AS1:desired"):
        gap_scores(df, items="AS1")
    with pytest.raises(ValueError, match="not in items"):
        gap_scores(df, items="AS1", scales={"AS": ["AS9"]})


def test_importance_performance__quadrants_and_gap_interval() -> None:
    imp = {"X": [9, 8, 7, 9], "Y": [3, 4, 3, 4], "Z": [8, 9, 8, 9], "W": [4, 3, 5, 4]}
    perf = {"X": [5, 6, 7, 5], "Y": [8, 8, 9, 7], "Z": [8, 9, 9, 8], "W": [3, 2, 4, 3]}
    cols = {"library": ["A"] * 4}
    for item in imp:
        cols[f"{item}:importance"] = imp[item]
        cols[f"{item}:performance"] = perf[item]
    res = importance_performance(pd.DataFrame(cols), items=["X", "Y", "Z", "W"]).set_index("item")
    # item means: importance X 8.25, Y 3.5, Z 8.5, W 4 -> grand mean 6.0625
    #             performance X 5.75, Y 8, Z 8.5, W 3 -> grand mean 6.3125
    assert res["importance_cut"].iloc[0] == pytest.approx(6.0625)
    assert res["performance_cut"].iloc[0] == pytest.approx(6.3125)
    assert res.loc["X", "quadrant"] == "concentrate_here"
    assert res.loc["Y", "quadrant"] == "possible_overkill"
    assert res.loc["Z", "quadrant"] == "keep_up_good_work"
    assert res.loc["W", "quadrant"] == "low_priority"
    ci = stats.ttest_rel(perf["X"], imp["X"]).confidence_interval()
    assert res.loc["X", "gap"] == pytest.approx(-2.5)
    assert (res.loc["X", "gap_ci_low"], res.loc["X", "gap_ci_high"]) == pytest.approx(
        (ci.low, ci.high)
    )
    fixed = importance_performance(pd.DataFrame(cols), items=["X"], crosshair=(5, 5))
    assert fixed.loc[0, "quadrant"] == "keep_up_good_work"  # 8.25 >= 5, 5.75 >= 5


def test_servqual_scores__reverse_keying_unweighted_and_weighted_by_hand() -> None:
    # Two dimensions on 1..7; item 3 is negatively worded (x' = 8 - x in both batteries).
    df = pd.DataFrame(
        {
            "library": ["A"] * 3,
            "1:expectation": [7, 6, 7],
            "1:perception": [5, 5, 6],
            "2:expectation": [6, 6, 5],
            "2:perception": [6, 7, 5],
            "3:expectation": [2, 1, 3],
            "3:perception": [3, 3, 2],
            "w_t": [60, 50, 70],
            "w_r": [40, 50, 30],
        }
    )
    dims = {"T": ["1"], "R": ["2", "3"]}
    res = servqual_scores(
        df, dimensions=dims, reverse=["3"], weight_columns={"T": "w_t", "R": "w_r"}
    ).set_index("component")
    # item gaps: 1: -2, -1, -1; 2: 0, 1, 0; 3 (reversed E 6,7,5; P 5,5,6): -1, -2, +1
    # T per respondent: -2, -1, -1 -> mean -4/3
    # R per respondent: (0-1)/2 = -0.5, (1-2)/2 = -0.5, (0+1)/2 = 0.5 -> mean -1/6
    assert res.loc["T", "gap"] == pytest.approx(-4 / 3)
    assert res.loc["R", "gap"] == pytest.approx(-1 / 6)
    assert res.loc["R", "mean_expectation"] == pytest.approx((6 + 6.5 + 5) / 3)
    # unweighted per respondent: (-2-0.5)/2, (-1-0.5)/2, (-1+0.5)/2 -> mean -0.75
    unweighted = [-1.25, -0.75, -0.25]
    assert res.loc["unweighted", "gap"] == pytest.approx(np.mean(unweighted))
    ci = stats.ttest_1samp(unweighted, 0).confidence_interval()
    assert (res.loc["unweighted", "ci_low"], res.loc["unweighted", "ci_high"]) == (
        pytest.approx((ci.low, ci.high))
    )
    # weights: mean allocation T 60, R 40 -> 0.6 * -4/3 + 0.4 * -1/6
    assert res.loc["T", "weight"] == pytest.approx(60.0)
    assert res.loc["weighted", "gap"] == pytest.approx(0.6 * (-4 / 3) + 0.4 * (-1 / 6))
    fixed = servqual_scores(df, dimensions=dims, reverse=["3"], weights={"T": 50, "R": 50})
    assert fixed.set_index("component").loc["weighted", "gap"] == pytest.approx(-0.75)


def test_servqual_scores__rejects_bad_weights_and_ranges() -> None:
    df = pd.DataFrame({"library": ["A"], "1:expectation": [7], "1:perception": [8]})
    with pytest.raises(ValueError, match="outside"):
        servqual_scores(df, dimensions={"T": ["1"]})
    df.loc[0, "1:perception"] = 6
    with pytest.raises(ValueError, match="summing to 100"):
        servqual_scores(df, dimensions={"T": ["1"]}, weights={"T": 90})
    with pytest.raises(ValueError, match="at most one"):
        servqual_scores(df, dimensions={"T": ["1"]}, weights={"T": 100}, weight_columns={"T": "x"})


def _core(n_na: int, n_inconsistent: int, n_incomplete: int = 0, k: int = 22) -> dict:
    """One response over k core items: N/A first, then incomplete, then min > des."""
    row: dict[str, float] = {}
    for j in range(k):
        item = f"I{j}"
        if j < n_na:
            row.update(
                {
                    f"{item}:minimum": 5,
                    f"{item}:desired": 7,
                    f"{item}:perceived": 6,
                    f"{item}:na": 1,
                }
            )
        elif j < n_na + n_incomplete:
            row.update(
                {
                    f"{item}:minimum": 5,
                    f"{item}:desired": np.nan,
                    f"{item}:perceived": 6,
                    f"{item}:na": 0,
                }
            )
        elif j < n_na + n_incomplete + n_inconsistent:
            row.update(
                {
                    f"{item}:minimum": 8,
                    f"{item}:desired": 6,
                    f"{item}:perceived": 6,
                    f"{item}:na": 0,
                }
            )
        else:
            row.update(
                {
                    f"{item}:minimum": 5,
                    f"{item}:desired": 8,
                    f"{item}:perceived": 6,
                    f"{item}:na": 0,
                }
            )
    return row


def test_screen_gap_responses__libqual_default_limits() -> None:
    df = pd.DataFrame(
        [
            _core(11, 9),  # at both limits: kept
            _core(12, 0),  # more than 11 N/A
            _core(0, 10),  # more than 9 inconsistencies
            _core(0, 0, n_incomplete=1),  # a core item neither rated nor N/A
            _core(0, 0),
        ],
        index=[10, 11, 12, 13, 14],
    )
    items = [f"I{j}" for j in range(22)]
    flags = screen_gap_responses(df, items=items)
    assert list(flags.index) == [10, 11, 12, 13, 14]
    assert flags["n_na"].tolist() == [11, 12, 0, 0, 0]
    assert flags["n_inconsistent"].tolist() == [9, 0, 10, 0, 0]
    assert flags["n_incomplete"].tolist() == [0, 0, 0, 1, 0]
    assert flags["n_rated"].tolist() == [11, 10, 22, 21, 22]
    assert flags["flag_too_many_na"].tolist() == [False, True, False, False, False]
    assert flags["flag_inconsistent"].tolist() == [False, False, True, False, False]
    assert flags["flag_incomplete"].tolist() == [False, False, False, True, False]
    assert flags["flagged"].tolist() == [False, True, True, True, False]
    # the limits are configurable (e.g. smaller for a Lite form), and rules can be switched off
    lite = screen_gap_responses(
        df, items=items, max_na=5, max_inconsistent=None, require_all_core=False
    )
    assert lite["flagged"].tolist() == [True, True, False, False, False]


def test_screen_gap_responses__rejects_bad_limits() -> None:
    df = pd.DataFrame([_core(0, 0, k=2)])
    with pytest.raises(ValueError, match="max_na"):
        screen_gap_responses(df, items=["I0", "I1"], max_na=-1)
