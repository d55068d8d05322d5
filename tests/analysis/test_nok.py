"""Tests for analysis.nok: the 344n culture NOK calculation (indicators, K1–K5, total)
from q1..q14 answers and the expert checklist, and its configuration (issue 3 §2, NOK).

Reference: a hand computation of two small libraries, written out below, following the
formulas of instruments.md §3.2–3.3 (344n; open-source culture implementation [S22]).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis.nok import NokConfig
from analysis.nok import PointRule
from analysis.nok import nok_item_shares
from analysis.nok import nok_scores

nan = np.nan

# Library A, 5 respondents (columns are respondents 1..5)
A = {
    "q1": [1, 1, 1, 0, 0],
    "q2": [1, 1, 0, nan, nan],  # stand: 2 yes of 3 users
    "q3": [1, 1, 0, 0, 1],
    "q4": [1, 0, nan, nan, 1],  # site: 2 yes of 3 users
    "q5": [1, 1, 1, 1, 0],  # comfort 4/5
    "q6": [0, 0, 0, 1, 1],
    "q7": [nan, nan, nan, 1, 0],  # disabled: 1 yes of 2
    "q8": [1, 1, 1, 1, 1],  # 5/5
    "q9": [1, 1, 1, 1, 0],  # 4/5
    "q10": [1, 0, 0, 0, 1],
    "q11": [1, nan, nan, nan, 1],  # remote: 2/2
    "q12": [1, 1, 1, 0, 1],  # 4/5
    "q13": [1, 1, 0, 1, 1],  # 4/5
    "q14": [1, 1, 1, 1, nan],  # 4/4 answered (4/5 of all)
}
# Library B, 4 respondents: nobody used the stands, nobody disabled, no remote users
B = {
    "q1": [0, 0, 0, 0],
    "q2": [nan] * 4,
    "q3": [1, 1, 1, 1],
    "q4": [1, 1, 1, 0],  # site 3/4
    "q5": [1, 0, 1, 0],  # 2/4
    "q6": [0, 0, 0, 0],
    "q7": [nan] * 4,
    "q8": [1, 1, 1, 1],
    "q9": [1, 1, 1, 1],
    "q10": [0, 0, 0, 0],
    "q11": [nan] * 4,
    "q12": [1, 1, 1, 1],
    "q13": [1, 1, 1, 0],
    "q14": [1, 1, 0, 1],
}
CHECKLIST = pd.DataFrame(
    {
        "library": ["A", "B", "C-no-responses"],
        "stand_info_present": [8, 10, 1],
        "stand_info_required": [10, 10, 1],
        "site_info_present": [15, 20, 1],
        "site_info_required": [20, 20, 1],
        "remote_channels": [3, 5, 0],
        "comfort_conditions": [4, 5, 0],
        "premises_accessibility": [2, 5, 0],
        "service_accessibility": [6, 0, 0],
    }
)


def _answers() -> pd.DataFrame:
    a = pd.DataFrame(A).assign(library="A")
    b = pd.DataFrame(B).assign(library="B")
    return pd.concat([a, b], ignore_index=True)


def test_nok_scores__library_a_matches_hand_computation() -> None:
    res = nok_scores(_answers(), checklist=CHECKLIST).set_index("library")
    assert list(res.index) == ["A", "B"]  # checklist rows without responses are ignored
    a = res.loc["A"]
    assert a["n"] == 5
    assert (a["n_q2"], a["n_q4"], a["n_q7"], a["n_q11"], a["n_q14"]) == (3, 3, 2, 2, 4)
    # 1.1 P_inf = 0.5 (8/10 + 15/20) * 100 = 77.5
    assert a["P_inf"] == 77.5
    # 1.2 P_dist = min(30 * 3, 100) = 90
    assert a["P_dist"] == 90.0
    # 1.3 P_otkr_ud = 0.5 (2/3 + 2/3) * 100 = 66.666... -> 66.67
    assert a["P_otkr_ud"] == 66.67
    # 2.1 min(20 * 4, 100) = 80; 2.3 4/5 = 80
    assert (a["P_komf_usl"], a["P_komf_ud"]) == (80.0, 80.0)
    # 3.1 min(20 * 2, 100) = 40; 3.2 min(20 * 6, 100) = 100 (capped); 3.3 1/2 = 50
    assert (a["P_org_dost"], a["P_usl_dost"], a["P_dost_ud"]) == (40.0, 100.0, 50.0)
    # 4.1 5/5, 4.2 4/5, 4.3 2/2
    assert (a["P_perv_kont_ud"], a["P_okaz_usl_ud"], a["P_vezhl_dist_ud"]) == (100, 80, 100)
    # 5.1 4/5, 5.2 4/5, 5.3 4/4 (denominator = respondents who answered q14)
    assert (a["P_rekom"], a["P_org_usl_ud"], a["P_ud"]) == (80.0, 80.0, 100.0)
    # K1 = 0.3*77.5 + 0.3*90 + 0.4*66.67 = 23.25 + 27 + 26.668 = 76.918 -> 76.92
    assert a["K1"] == 76.92
    # K2 = 0.5*80 + 0.5*80 = 80
    assert a["K2"] == 80.0
    # K3 = 0.3*40 + 0.4*100 + 0.3*50 = 12 + 40 + 15 = 67
    assert a["K3"] == pytest.approx(67.0)
    # K4 = 0.4*100 + 0.4*80 + 0.2*100 = 40 + 32 + 20 = 92
    assert a["K4"] == pytest.approx(92.0)
    # K5 = 0.3*80 + 0.2*80 + 0.5*100 = 24 + 16 + 50 = 90
    assert a["K5"] == pytest.approx(90.0)
    # total = (76.92 + 80 + 67 + 92 + 90)/5 = 405.92/5 = 81.184 -> 81.18
    assert a["total"] == 81.18


def test_nok_scores__empty_denominators_are_undefined_by_default() -> None:
    b = nok_scores(_answers(), checklist=CHECKLIST).set_index("library").loc["B"]
    assert (b["n_q2"], b["n_q7"], b["n_q11"]) == (0, 0, 0)
    assert math.isnan(b["P_otkr_ud"]) and math.isnan(b["P_dost_ud"])
    assert math.isnan(b["K1"]) and math.isnan(b["K3"]) and math.isnan(b["K4"])
    # criteria without empty shares are still computed:
    # K2 = 0.5*min(20*5, 100) + 0.5*(2/4*100) = 50 + 25 = 75
    # K5 = 0.3*100 + 0.2*75 + 0.5*75 = 30 + 15 + 37.5 = 82.5
    assert (b["K2"], b["K5"]) == (75.0, 82.5)
    assert math.isnan(b["total"])


def test_nok_scores__reweight_uses_defined_parts_only() -> None:
    cfg = NokConfig(empty_share="reweight")
    b = nok_scores(_answers(), checklist=CHECKLIST, config=cfg).set_index("library").loc["B"]
    # 1.3 from the site half only: 3/4 -> 75
    assert b["P_otkr_ud"] == 75.0
    # K1 = 0.3*100 + 0.3*min(30*5, 100) + 0.4*75 = 30 + 30 + 30 = 90
    assert b["K1"] == 90.0
    # K3 = (0.3*100 + 0.4*0)/(0.3 + 0.4) = 30/0.7 = 42.857 -> 42.86
    assert b["K3"] == 42.86
    # K4 = (0.4*100 + 0.4*100)/0.8 = 100
    assert b["K4"] == 100.0
    # total = (90 + 75 + 42.86 + 100 + 82.5)/5 = 390.36/5 = 78.072 -> 78.07
    assert b["total"] == 78.07


def test_nok_scores__eligible_denominator_counts_unanswered_as_not_satisfied() -> None:
    cfg = NokConfig(denominator="eligible")
    a = nok_scores(_answers(), checklist=CHECKLIST, config=cfg).set_index("library").loc["A"]
    # q14: 4 yes of all 5 respondents = 80; q2: filter q1 has 3 yes -> still 2/3
    assert a["n_q14"] == 5
    assert a["P_ud"] == 80.0
    assert a["P_otkr_ud"] == 66.67
    # K5 = 24 + 16 + 0.5*80 = 80; total = (76.92 + 80 + 67 + 92 + 80)/5 = 79.184 -> 79.18
    assert a["K5"] == pytest.approx(80.0)
    assert a["total"] == 79.18


def test_nok_scores__answers_outside_the_skip_filter_are_ignored_and_counted() -> None:
    data = _answers()
    data.loc[3, "q2"] = 0  # respondent 4 of A said "no" to q1 but answered q2
    res = nok_scores(data, checklist=CHECKLIST).set_index("library")
    assert res.loc["A", "n_filter_violations"] == 1
    assert res.loc["A", "n_q2"] == 3
    assert res.loc["A", "P_otkr_ud"] == 66.67


def test_nok_scores__configurable_weights_caps_and_rounding() -> None:
    draft = NokConfig(
        criterion_weights={"K1": 0.2, "K2": 0.2, "K3": 0.15, "K4": 0.15, "K5": 0.3},
        point_rules={
            "P_dist": PointRule(30),
            "P_komf_usl": PointRule(20),
            "P_org_dost": PointRule(20, math.inf),
            "P_usl_dost": PointRule(20, math.inf),
        },
        rounding=None,
    )
    a = nok_scores(_answers(), checklist=CHECKLIST, config=draft).set_index("library").loc["A"]
    # uncapped 3.2: 20 * 6 = 120; K3 = 12 + 0.4*120 + 15 = 75
    assert a["P_usl_dost"] == 120.0
    assert a["K3"] == pytest.approx(75.0)
    # unrounded K1 = 23.25 + 27 + 0.4 * 200/3
    k1 = 23.25 + 27 + 0.4 * 200 / 3
    assert a["K1"] == pytest.approx(k1)
    assert a["total"] == pytest.approx(0.2 * k1 + 0.2 * 80 + 0.15 * 75 + 0.15 * 92 + 0.3 * 90)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"criterion_weights": {"K1": 0.5, "K2": 0.5, "K3": 0, "K4": 0, "K5": 0.1}},
        {"indicator_weights": {"K1": {"P_inf": 1.0}}},
        {"rounding": -1},
        {"denominator": "all"},
        {"empty_share": "zero"},
    ],
)
def test_nok_config__rejects_invalid_settings(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        NokConfig(**kwargs)


def test_nok_scores__rejects_bad_answers_and_checklists() -> None:
    data = _answers()
    bad = data.copy()
    bad.loc[0, "q5"] = 2
    with pytest.raises(ValueError, match="q5"):
        nok_scores(bad, checklist=CHECKLIST)
    with pytest.raises(ValueError, match="no checklist row"):
        nok_scores(data, checklist=CHECKLIST.iloc[[0]])
    over = CHECKLIST.copy()
    over.loc[0, "stand_info_present"] = 11
    with pytest.raises(ValueError, match="exceeds"):
        nok_scores(data, checklist=over)
    with pytest.raises(ValueError, match="more than one row"):
        nok_scores(data, checklist=pd.concat([CHECKLIST, CHECKLIST.iloc[[0]]]))
    with pytest.raises(ValueError, match="q14"):
        nok_scores(data.drop(columns="q14"), checklist=CHECKLIST)
    with pytest.raises(TypeError):
        nok_scores(data, checklist=CHECKLIST, config="strict")  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------
# rounding as the operators' spreadsheets do it (issue 10 §4): half up on exact decimals


def _library_of_32(yes: dict[str, int]) -> pd.DataFrame:
    """32 respondents answering yes to every question, except ``yes[q]`` of them for q."""
    columns = {}
    for k in range(1, 15):
        q = f"q{k}"
        count = yes.get(q, 32)
        columns[q] = [1] * count + [0] * (32 - count)
    return pd.DataFrame(columns).assign(library="H")


#: stand 1 of 16 required items, site 0 of 10: P_inf = 0.5 (1/16 + 0) 100 = 3.125
HALF_CHECKLIST = pd.DataFrame(
    {
        "library": ["H"],
        "stand_info_present": [1],
        "stand_info_required": [16],
        "site_info_present": [0],
        "site_info_required": [10],
        "remote_channels": [4],  # min(120, 100) = 100
        "comfort_conditions": [3],  # 60
        "premises_accessibility": [5],  # 100
        "service_accessibility": [5],  # 100
    }
)


def test_nok_scores__indicators_on_the_half_round_up() -> None:
    # q5: 9 of 32 = 28.125 %, q8: 29 of 32 = 90.625 % (both exact in binary, so a
    # half-to-even or binary round gives 28.12 and 90.62; the spreadsheets give .13/.63)
    data = _library_of_32({"q5": 9, "q8": 29})
    h = nok_scores(data, checklist=HALF_CHECKLIST).set_index("library").loc["H"]
    assert h["P_inf"] == 3.13
    assert h["P_komf_ud"] == 28.13
    assert h["P_perv_kont_ud"] == 90.63


def test_nok_scores__criteria_and_total_from_rounded_parts_round_half_up() -> None:
    data = _library_of_32({"q5": 9, "q8": 29})
    h = nok_scores(data, checklist=HALF_CHECKLIST).set_index("library").loc["H"]
    # K1 = 0.3*3.13 + 0.3*100 + 0.4*100 = 0.939 + 70 = 70.939 -> 70.94
    assert h["K1"] == 70.94
    # K2 = 0.5*60 + 0.5*28.13 = 30 + 14.065 = 44.065 -> 44.07 (binary floats: 44.06)
    assert h["K2"] == 44.07
    # K4 = 0.4*90.63 + 0.4*100 + 0.2*100 = 36.252 + 60 = 96.252 -> 96.25
    assert h["K4"] == 96.25
    assert (h["K3"], h["K5"]) == (100.0, 100.0)
    # total = (70.94 + 44.07 + 100 + 96.25 + 100)/5 = 411.26/5 = 82.252 -> 82.25
    assert h["total"] == 82.25


def test_nok_scores__total_on_the_half_rounds_up() -> None:
    # With equal weights a total of 2-dp criteria is h/500 and never ends in 5 at the
    # third place; weights 0.5/0.5 on K1/K2 put it there:
    # 0.5*70.94 + 0.5*44.07 = 35.47 + 22.035 = 57.505 -> 57.51 (binary: 57.504999... -> 57.5)
    cfg = NokConfig(criterion_weights={"K1": 0.5, "K2": 0.5, "K3": 0, "K4": 0, "K5": 0})
    data = _library_of_32({"q5": 9, "q8": 29})
    h = nok_scores(data, checklist=HALF_CHECKLIST, config=cfg).set_index("library").loc["H"]
    assert h["total"] == 57.51


# --------------------------------------------------------------------------------------
# per-question shares as the method counts them (issue 10 §4)


def test_nok_item_shares__filtered_question_counts_only_those_it_applies_to() -> None:
    data = _answers()
    data.loc[3, "q2"] = 1  # respondent 4 of A said "no" to q1 (stands) yet answered q2 "yes"
    shares = nok_item_shares(data).set_index(["library", "item"])
    # q2 among A's stand users (q1 yes: respondents 1-3): yes, yes, no -> 2/3, as in 1.3;
    # counting the violator would give 3/4
    assert shares.loc[("A", "q2"), "n"] == 3
    assert shares.loc[("A", "q2"), "count"] == 2
    assert shares.loc[("A", "q2"), "share"] == pytest.approx(2 / 3, abs=1e-12)
    # q7 among A's disabled respondents (q6 yes: 4, 5): yes, no -> 1/2
    assert shares.loc[("A", "q7"), ["n", "count"]].tolist() == [2, 1]
    # q11 among A's remote users (q10 yes: 1, 5): 2/2; B has none -> n = 0, share undefined
    assert shares.loc[("A", "q11"), ["n", "count"]].tolist() == [2, 2]
    assert shares.loc[("B", "q11"), "n"] == 0
    assert math.isnan(shares.loc[("B", "q11"), "share"])
    # q14 answered by 4 of A's 5: 4/4
    assert shares.loc[("A", "q14"), ["n", "count"]].tolist() == [4, 4]


def test_nok_item_shares__filter_questions_are_usage_shares_not_satisfaction() -> None:
    shares = nok_item_shares(_answers()).set_index(["library", "item"])
    measures = shares.xs("A", level="library")["measure"]
    assert measures[["q1", "q3", "q6", "q10"]].tolist() == ["yes"] * 4
    assert set(measures.drop(["q1", "q3", "q6", "q10"])) == {"satisfied"}
    # A: 3 of 5 used the stands, 3 of 5 the website, 2 of 5 are disabled, 2 of 5 remote users
    assert shares.loc[("A", "q1"), "share"] == 0.6
    assert shares.loc[("A", "q6"), "share"] == 0.4
