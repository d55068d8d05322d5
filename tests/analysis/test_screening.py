"""Tests for analysis.screening: careless-responding indices and the flag policy.

Covers issue 3 §5. References:
* ``bfi_careless_indices_R.csv`` -- R careless 1.2.2 on psych 2.2.9 ``bfi`` (longstr, avgstr,
  irv, mahad_d2, psychsyn50, evenodd), compared to 1e-6;
* flag counts from analysis.md §3.3 (chi-square cut-offs computed in R);
* hand computations written out in the tests for page speed, bursts and the policy.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.screening import _ROW_BLOCK
from analysis.screening import ScreeningPolicy
from analysis.screening import device_bursts
from analysis.screening import evenodd
from analysis.screening import irv
from analysis.screening import items_wide
from analysis.screening import longstring
from analysis.screening import mahalanobis
from analysis.screening import page_speed
from analysis.screening import psychsyn
from analysis.screening import psychsyn_critval
from analysis.screening import screen_matrix
from analysis.screening import screen_responses
from analysis.screening import with_and_without

REPO_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = REPO_ROOT / "tests" / "data"  # public datasets and R outputs (see its README)
BFI_ITEMS = [f"{s}{i}" for s in "ACENO" for i in range(1, 6)]
BFI_SCALES = {s: [f"{s}{i}" for i in range(1, 6)] for s in "ACENO"}
BFI_REVERSED = ["A1", "C4", "C5", "E1", "E2", "O2", "O5"]
TOL = 1e-6


@pytest.fixture(scope="module")
def bfi() -> pd.DataFrame:
    return pd.read_csv(DATA_DIR / "bfi.csv", index_col=0)


@pytest.fixture(scope="module")
def ref() -> pd.DataFrame:
    return pd.read_csv(DATA_DIR / "bfi_careless_indices_R.csv")


# ----------------------------------------------------------------- R careless 1.2.2 on bfi


def test_longstring__matches_r_careless_on_bfi(bfi, ref):
    got = longstring(bfi, items=BFI_ITEMS)
    np.testing.assert_allclose(got["longstr"], ref["longstr"], rtol=0, atol=TOL)
    np.testing.assert_allclose(got["avgstr"], ref["avgstr"], rtol=0, atol=TOL)
    assert got.index.equals(bfi.index)


def test_irv__matches_r_careless_on_bfi(bfi, ref):
    got = irv(bfi, items=BFI_ITEMS)["irv"]
    np.testing.assert_allclose(got, ref["irv"], rtol=0, atol=TOL)
    assert got.mean() == pytest.approx(1.590540883, abs=1e-9)


def test_mahalanobis__matches_r_careless_on_bfi(bfi, ref):
    got = mahalanobis(bfi, items=BFI_ITEMS)
    np.testing.assert_allclose(got["mahad_d2"], ref["mahad_d2"], rtol=0, atol=TOL)
    # analysis.md §3.3: chi2(.99, 25) = 44.3141 flags 225, chi2(.999, 25) flags 91
    assert int(got["mahad_flag"].sum()) == 225
    strict = mahalanobis(bfi, items=BFI_ITEMS, confidence=0.999)
    assert int(strict["mahad_flag"].sum()) == 91


def test_psychsyn__matches_r_careless_on_bfi_where_no_resampling(bfi, ref):
    got = psychsyn(bfi, items=BFI_ITEMS, critval=0.50)
    r_val = ref["psychsyn50"].to_numpy()
    ours = got["psychsyn"].to_numpy()
    both = ~np.isnan(r_val) & ~np.isnan(ours)
    np.testing.assert_allclose(ours[both], r_val[both], rtol=0, atol=TOL)
    # every R NA is NA here too
    assert np.isnan(ours[np.isnan(r_val)]).all()
    # R's resample_na=TRUE filled the others at random; they are exactly the responses
    # with > 2 complete pairs but a constant first or second member (zero variance).
    resampled = np.isnan(ours) & ~np.isnan(r_val)
    assert resampled.sum() == 63
    x = bfi[BFI_ITEMS]
    first = x[["N2", "N3", "N3", "N4", "A5"]].to_numpy()
    second = x[["N1", "N1", "N2", "N3", "A3"]].to_numpy()
    # only pairs with both members answered enter the within-person correlation
    both_answered = ~np.isnan(first) & ~np.isnan(second)
    sub_first = np.where(both_answered, first, np.nan)[resampled]
    sub_second = np.where(both_answered, second, np.nan)[resampled]
    constant = (np.nanmax(sub_first, 1) == np.nanmin(sub_first, 1)) | (
        np.nanmax(sub_second, 1) == np.nanmin(sub_second, 1)
    )
    assert constant.all()
    assert (got["psychsyn_pairs"].to_numpy()[resampled] > 2).all()


def test_psychsyn_critval__lists_bfi_pairs_in_r_order(bfi):
    got = psychsyn_critval(bfi, items=BFI_ITEMS).head(5)
    # analysis.md §3.4 (R careless): N2-N1 .7070, N3-N1 .5564, N3-N2 .5491, N4-N3 .5195,
    # A5-A3 .5041
    assert list(zip(got["item1"], got["item2"], strict=True)) == [
        ("N2", "N1"),
        ("N3", "N1"),
        ("N3", "N2"),
        ("N4", "N3"),
        ("A5", "A3"),
    ]
    np.testing.assert_allclose(got["r"], [0.7070, 0.5564, 0.5491, 0.5195, 0.5041], atol=5e-5)


def test_screen_matrix__matches_r_careless_on_bfi(bfi, ref):
    # the numpy entry of a report run, on the bare matrix (row-major, as the stream has it)
    x = np.ascontiguousarray(bfi[BFI_ITEMS].to_numpy(dtype=float))
    got = screen_matrix(x, policy=ScreeningPolicy(psychsyn_critval=0.50))
    for name in ("longstr", "avgstr", "irv", "mahad_d2"):
        np.testing.assert_allclose(got[name], ref[name], rtol=0, atol=TOL, err_msg=name)
    r_val = ref["psychsyn50"].to_numpy()
    both = ~np.isnan(r_val) & ~np.isnan(got["psychsyn"])
    np.testing.assert_allclose(got["psychsyn"][both], r_val[both], rtol=0, atol=TOL)
    assert both.sum() == (~np.isnan(r_val)).sum() - 63  # the 63 R resampled at random
    # analysis.md §3.3: chi2(.99, 25) flags 225; longstring >= 13 on the R values
    assert int(got["mahad_flag"].sum()) == 225
    assert int(got["longstr_flag"].sum()) == int((ref["longstr"] >= 13).sum())
    flags = [got[c] for c in got if c.endswith("_flag")]
    np.testing.assert_array_equal(got["n_flags"], np.sum(flags, axis=0))
    np.testing.assert_array_equal(got["flagged"], got["n_flags"] >= 2)


def test_screen_matrix__rows_read_in_blocks_keep_every_response_index(bfi, ref):
    # four copies of bfi: 11,200 rows, more than one block of rows (_ROW_BLOCK), a block
    # boundary falling inside a copy
    x = np.tile(bfi[BFI_ITEMS].to_numpy(dtype=float), (4, 1))
    assert len(x) > _ROW_BLOCK and len(x) % _ROW_BLOCK and _ROW_BLOCK % len(bfi)
    policy = ScreeningPolicy(psychsyn_critval=0.50)
    got = screen_matrix(x, policy=policy)
    # a response's own indices do not depend on the others: R's values, four times
    for name in ("longstr", "avgstr", "irv"):
        np.testing.assert_allclose(got[name], np.tile(ref[name], 4), rtol=0, atol=TOL)
    # the pairwise correlations of four copies are those of one: the same synonym pairs
    r_val = np.tile(ref["psychsyn50"].to_numpy(), 4)
    both = ~np.isnan(r_val) & ~np.isnan(got["psychsyn"])
    np.testing.assert_allclose(got["psychsyn"][both], r_val[both], rtol=0, atol=TOL)
    # D² from pandas' pairwise covariance and item means of the 11,200 rows
    frame = pd.DataFrame(x)
    centred = (frame - frame.mean()).fillna(0.0).to_numpy()
    expected = np.einsum("ij,ij->i", centred @ np.linalg.inv(frame.cov().to_numpy()), centred)
    np.testing.assert_allclose(got["mahad_d2"], expected, rtol=1e-9)
    # and the same digits from a column-major copy (a frame's layout)
    other = screen_matrix(np.asfortranarray(x), policy=policy)
    for name, values in got.items():
        np.testing.assert_array_equal(other[name], values, err_msg=name)


def test_evenodd__matches_r_careless_on_reverse_keyed_bfi(bfi, ref):
    got = evenodd(bfi, scales=BFI_SCALES, reverse_keyed=BFI_REVERSED, item_range=(1, 6))
    np.testing.assert_allclose(got["evenodd"], ref["evenodd"], rtol=0, atol=TOL)
    assert int(got["evenodd"].isna().sum()) == 6


# ----------------------------------------------------------------- small hand computations


def test_longstring__missing_cell_breaks_runs():
    data = pd.DataFrame([[3, 3, np.nan, 3, 3, 3], [1, 1, 1, 1, 1, 1]], columns=list("abcdef"))
    got = longstring(data)
    # row 0 runs: (3,3) (NA) (3,3,3) -> longest 3, 6 items / 3 runs = 2
    assert got["longstr"].tolist() == [3.0, 6.0]
    assert got["avgstr"].tolist() == [2.0, 6.0]


def test_irv__uses_n_minus_1_divisor():
    data = pd.DataFrame({"a": [1.0], "b": [2.0], "c": [np.nan], "d": [6.0]})
    # values 1, 2, 6: mean 3, SS = 4 + 1 + 9 = 14, sd = sqrt(14 / 2)
    assert irv(data)["irv"].iloc[0] == pytest.approx(np.sqrt(7.0), abs=1e-12)


def test_evenodd__hand_computed_spearman_brown_sign():
    # two scales of 4 items; even means (items 2, 4) and odd means (items 1, 3)
    data = pd.DataFrame(
        {
            "a1": [1.0, 5.0],
            "a2": [2.0, 1.0],
            "a3": [1.0, 5.0],
            "a4": [2.0, 1.0],
            "b1": [4.0, 1.0],
            "b2": [5.0, 5.0],
            "b3": [4.0, 3.0],
            "b4": [5.0, 5.0],
            "c1": [3.0, 2.0],
            "c2": [3.0, 2.0],
            "c3": [3.0, 2.0],
            "c4": [3.0, 2.0],
        }
    )
    scales = {
        "a": ["a1", "a2", "a3", "a4"],
        "b": ["b1", "b2", "b3", "b4"],
        "c": ["c1", "c2", "c3", "c4"],
    }
    got = evenodd(data, scales=scales)["evenodd"]
    # row 0: even (2, 5, 3), odd (1, 4, 3): r = 0.9933992, SB = 2r/(1+r)
    e, o = np.array([2, 5, 3.0]), np.array([1, 4, 3.0])
    r = np.corrcoef(e, o)[0, 1]
    assert got.iloc[0] == pytest.approx(-(2 * r / (1 + r)), abs=1e-12)
    # row 1: even (1, 5, 2), odd (5, 2, 2): r < -1/3 so SB < -1 -> floored to -1 -> +1
    assert got.iloc[1] == pytest.approx(1.0, abs=1e-12)


def test_evenodd__needs_two_scales():
    with pytest.raises(ValueError, match="two scales"):
        evenodd(pd.DataFrame({"a": [1], "b": [2]}), scales={"s": ["a", "b"]})


def test_page_speed__two_seconds_per_item_rule():
    timings = pd.DataFrame(
        {
            "response_id": ["r1", "r1", "r2", "r2"],
            "page": [1, 2, 1, 2],
            "seconds": [10.0, 30.0, 40.0, 60.0],
            "n_items": [10, 10, 10, 10],
        }
    )
    got = page_speed(timings)
    # r1 page 1: 1.0 s/item (fast), page 2: 3.0 s/item; r2 pages 4 and 6 s/item
    assert got.loc["r1", "n_fast_pages"] == 1
    assert got.loc["r2", "n_fast_pages"] == 0
    assert got.loc["r1", "seconds_per_item"] == pytest.approx(40 / 20)
    assert got.loc["r1", "share_fast_pages"] == pytest.approx(0.5)


def test_page_speed__totals_per_response_and_rows_without_a_response_left_out():
    import math

    rng = np.random.default_rng(8)
    n = 400
    timings = pd.DataFrame(
        {
            "response_id": rng.integers(0, 60, n).astype(float),
            "page": np.arange(n),
            "seconds": rng.uniform(0, 50, n).round(3),
            "n_items": rng.integers(1, 9, n).astype(float) / 4,
        }
    )
    timings.loc[:9, "seconds"] = np.nan
    timings.loc[10:12, "response_id"] = np.nan  # no response: in no group
    got = page_speed(timings)
    kept = timings.loc[timings["response_id"].notna()]
    assert got.index.tolist() == sorted(kept["response_id"].unique())
    for response_id, rows in kept.groupby("response_id"):
        seconds = rows["seconds"].dropna().tolist()
        total = math.fsum(seconds) if seconds else np.nan  # correctly rounded sums
        fast = int((rows["seconds"] / rows["n_items"] < 2.0).sum())
        row = got.loc[response_id]
        assert row["n_pages"] == len(rows) and row["n_fast_pages"] == fast
        assert row["n_items"] == math.fsum(rows["n_items"])
        np.testing.assert_allclose(row["total_seconds"], total, rtol=1e-15)
        np.testing.assert_allclose(
            row["seconds_per_item"], total / math.fsum(rows["n_items"]), rtol=1e-15
        )


def test_screen_matrix__page_seconds_hand_computation():
    x = np.array([[1.0, 2, 3, 4], [2, 2, 3, 1], [4, 3, 2, 1]])
    # pages of 2 and 3 items; response 0: 1 s/item and 4 s/item -> one fast page;
    # response 1: only page 2 timed, 6 s/item; response 2: no time at all
    seconds = np.array([[2.0, 12.0], [np.nan, 18.0], [np.nan, np.nan]])
    got = screen_matrix(
        x,
        page_seconds=seconds,
        page_items=[2, 3],
        policy=ScreeningPolicy(
            longstring_min=3, mahad_confidence=None, psychsyn_max=None, min_flags=1
        ),
    )
    np.testing.assert_array_equal(got["n_fast_pages"], [1.0, 0.0, np.nan])
    np.testing.assert_allclose(got["seconds_per_item"], [14 / 5, 6.0, np.nan])
    assert got["speed_flag"].tolist() == [True, False, False]
    assert got["longstr"].tolist() == [1.0, 2.0, 1.0]  # runs below 3: no longstring flag
    assert got["flagged"].tolist() == [True, False, False]
    assert "mahad_flag" not in got and "psychsyn_flag" not in got


def test_screen_matrix__rejects_what_it_cannot_screen():
    with pytest.raises(ValueError, match="two items"):
        screen_matrix(np.ones((3, 1)))
    with pytest.raises(ValueError, match="together"):
        screen_matrix(np.ones((3, 2)), page_seconds=np.ones((3, 1)))
    with pytest.raises(ValueError, match="non-negative"):
        screen_matrix(np.ones((3, 2)), page_seconds=-np.ones((3, 1)), page_items=[1])


def test_page_speed__rejects_negative_times():
    timings = pd.DataFrame({"response_id": [1], "page": [1], "seconds": [-1.0], "n_items": [3]})
    with pytest.raises(ValueError, match="non-negative"):
        page_speed(timings)


def test_device_bursts__sliding_window_count():
    t0 = pd.Timestamp("2025-03-01 10:00:00")
    offsets = [0, 10, 20, 30, 40, 500, 1000, 1010]
    subs = pd.DataFrame(
        {
            "response_id": [f"r{i}" for i in range(8)] + ["w1"],
            "device_id": ["k1"] * 5 + ["k1", "k2", "k2"] + [None],
            "answered_at": [t0 + pd.Timedelta(seconds=s) for s in offsets]
            + [t0 + pd.Timedelta(seconds=15)],
        }
    )
    got = device_bursts(subs, window_seconds=120, min_count=5)
    # five k1 submissions within 40 s form a burst; the one 500 s later stands alone;
    # k2 has two within 10 s; the web response (no device) is never in a burst
    assert got["burst_size"].iloc[:8].tolist() == [5, 5, 5, 5, 5, 1, 2, 2]
    assert got["in_burst"].tolist() == [True] * 5 + [False] * 4
    assert np.isnan(got.loc["w1", "burst_size"])


def test_screen_responses__requires_two_indices_by_default():
    rng = np.random.default_rng(1)
    items = [f"q{i}" for i in range(8)]
    data = pd.DataFrame(
        rng.integers(1, 6, size=(40, 8)).astype(float),
        columns=items,
        index=[f"r{i}" for i in range(40)],
    )
    data.loc["r0"] = 3.0  # straight-liner (longstring 8 >= 4)
    data.loc["r1"] = 4.0  # straight-liner, and fast
    timings = pd.DataFrame(
        {"response_id": data.index, "page": 1, "seconds": [60.0] * 40, "n_items": 8}
    )
    timings.loc[timings["response_id"] == "r1", "seconds"] = 8.0  # 1 s per item
    timings.loc[timings["response_id"] == "r2", "seconds"] = 8.0  # fast only
    policy = ScreeningPolicy(mahad_confidence=None, psychsyn_max=None)
    got = screen_responses(data, timings=timings, policy=policy)
    assert got.loc["r0", "longstr_flag"] and not got.loc["r0", "speed_flag"]
    assert got.loc["r1", "n_flags"] == 2
    assert got.loc[["r0", "r1", "r2"], "flagged"].tolist() == [False, True, False]
    assert int(got["flagged"].sum()) == 1
    # flag, never drop
    assert len(got) == len(data)
    one = screen_responses(
        data,
        timings=timings,
        policy=ScreeningPolicy(mahad_confidence=None, psychsyn_max=None, min_flags=1),
    )
    assert one.loc[["r0", "r1", "r2"], "flagged"].tolist() == [True, True, True]


def test_screen_responses__bfi_flags_are_consistent_with_indices(bfi, ref):
    got = screen_responses(
        bfi, items=BFI_ITEMS, scales=BFI_SCALES, reverse_keyed=BFI_REVERSED, item_range=(1, 6)
    )
    assert int(got["mahad_flag"].sum()) == 225
    # evenodd > -.30 on the R values (NA never flags)
    assert int(got["evenodd_flag"].sum()) == int((ref["evenodd"] > -0.30).sum())
    # longstring >= 13 (half of 25, rounded up) on the R values
    assert int(got["longstr_flag"].sum()) == int((ref["longstr"] >= 13).sum())
    flag_cols = [c for c in got.columns if c.endswith("_flag")]
    assert (got["n_flags"] == got[flag_cols].sum(axis=1)).all()
    assert (got["flagged"] == (got["n_flags"] >= 2)).all()


def test_with_and_without__recomputes_excluding_flagged():
    data = pd.DataFrame({"value": [1.0, 2.0, 3.0, 10.0]}, index=["a", "b", "c", "d"])
    flags = pd.DataFrame({"flagged": [False, False, False, True]}, index=data.index)

    def mean_frame(d: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({"mean": [d["value"].mean()], "n": [len(d)]})

    got = with_and_without(mean_frame, data, flags)
    assert got["sample"].tolist() == ["all", "unflagged"]
    assert got["mean"].tolist() == [4.0, 2.0]
    assert got["n_excluded"].tolist() == [0, 1]


def test_with_and_without__long_data_matched_by_response_column():
    long = pd.DataFrame({"response_id": ["a", "a", "b", "b"], "value": [1.0, 3.0, 5.0, 7.0]})
    flags = pd.Series([False, True], index=["a", "b"])
    got = with_and_without(lambda d: d["value"].mean(), long, flags, response="response_id")
    assert got["value"].tolist() == [4.0, 2.0]
    assert got["n_excluded"].tolist() == [0, 2]


def test_items_wide__pivots_long_answers_in_given_order():
    long = pd.DataFrame(
        {"response_id": [1, 1, 2], "question_id": ["q2", "q1", "q1"], "value": [5, 4, 3]}
    )
    got = items_wide(long, items=["q1", "q2"])
    assert list(got.columns) == ["q1", "q2"]
    assert got.loc[1].tolist() == [4.0, 5.0]
    assert np.isnan(got.loc[2, "q2"])


def test_device_bursts__matches_brute_force_definition():
    rng = np.random.default_rng(4)
    secs = rng.uniform(0, 1200, 90)
    subs = pd.DataFrame(
        {"response_id": range(90), "device_id": rng.integers(0, 3, 90), "answered_at": secs}
    )
    got = device_bursts(subs, window_seconds=60, min_count=4)
    for dev, part in subs.groupby("device_id"):
        t = part["answered_at"].to_numpy()
        for rid, tk in zip(part["response_id"], t, strict=True):
            # largest count over windows [ta, ta + 60] of this device that contain tk
            best = max(int(((t >= ta) & (t <= ta + 60)).sum()) for ta in t if ta <= tk <= ta + 60)
            assert got.loc[rid, "burst_size"] == best, (dev, rid)


def test_screen_responses__singular_covariance_reports_missing_distance():
    # 3 responses, 5 items: the covariance matrix cannot be inverted
    data = pd.DataFrame(
        [[1, 2, 3, 4, 5], [2, 2, 2, 2, 2], [5, 4, 3, 2, 1]], columns=list("abcde"), dtype=float
    )
    with pytest.raises(ValueError, match="singular"):
        mahalanobis(data)
    got = screen_responses(data)
    assert got["mahad_d2"].isna().all()
    assert not got["mahad_flag"].any()
    assert got["longstr"].tolist() == [1.0, 5.0, 1.0]
