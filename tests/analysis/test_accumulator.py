"""One definition of every statistic (issue 13 §1): the accumulator and the finalisers.

Requirements:

* AC001: a group's sufficient statistics do not depend on how its rows were chunked: fed in
  chunks of 7 rows they equal one pass, part for part, and so do the tables.
* AC002: statistics add up: the cells library × channel × day, merged, equal the library's
  own statistics, and give the same tables.
* AC003: the tables from the statistics (``tables_from_stats``) equal the analysis functions
  on the rows (``tables_from_rows``) for a plan using every kind of statistic: item means,
  top-2-box shares, yes/no shares, NPS, smiley index, scales with a reverse-keyed item and
  their reliability, a gap battery with N/A ticks, SERVQUAL with importance points.
* AC004: each finaliser of ``analysis.estimators`` equals an independent computation
  (scipy, statsmodels' published example, numpy on the expanded answers, or by hand).
* AC005: the groups can be any columns, e.g. library × channel × day, and the tables carry
  them as columns.

Tolerance 1e-9 where two computations sum in different orders; exact where they do not.
"""

from __future__ import annotations

import doctest
import math
from dataclasses import replace
from types import MappingProxyType

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import analysis
import analysis.accumulator
import analysis.estimators
from analysis.accumulator import GroupStats
from analysis.accumulator import accumulate_frame
from analysis.accumulator import cell_groups
from analysis.accumulator import merge_groups
from analysis.estimators import contrast_interval
from analysis.estimators import distribution_moments
from analysis.estimators import gap_status
from analysis.estimators import happy_from_faces
from analysis.estimators import moments_from_sums
from analysis.estimators import nps_from_counts
from analysis.estimators import proportion_interval
from analysis.estimators import t_interval_parts
from analysis.plan import NOK_QUESTIONS
from analysis.plan import AnalysisPlan
from analysis.plan import GapSpec
from analysis.plan import ScaleSpec
from analysis.plan import ServqualSpec
from analysis.plan_tables import CELL_TABLES
from analysis.plan_tables import long_indices
from analysis.plan_tables import plan_for_indicators
from analysis.plan_tables import plan_indicators
from analysis.plan_tables import tables_from_rows
from analysis.plan_tables import tables_from_stats

TOL = 1e-9

LIKERT = ("a1", "a2", "a3", "a4")
GAP_ITEMS = ("g1", "g2")
SQ_ITEMS = ("s1", "s2", "s3")


def _plan() -> AnalysisPlan:
    """A plan with every kind of statistic (what analysis_plan derives from an instrument)."""
    keys: list[str] = [*LIKERT, "r", "ok", "face", "visits"]
    keys += [f"{i}:{c}" for i in GAP_ITEMS for c in ("minimum", "desired", "perceived")]
    keys += [f"{i}:{c}" for i in SQ_ITEMS for c in ("expectation", "perception")]
    keys += ["w_rel", "w_tan"]
    ranges: dict[str, tuple[float, float]] = dict.fromkeys(LIKERT, (1.0, 5.0))
    ranges.update({"r": (0.0, 10.0), "ok": (0.0, 1.0), "face": (1.0, 4.0)})
    ranges.update({k: (1.0, 9.0) for k in keys if k[:2] in ("g1", "g2")})
    ranges.update({k: (1.0, 7.0) for k in keys if k[:2] in ("s1", "s2", "s3")})
    gap_keys = tuple(k for k in keys if k.startswith("g"))
    kinds = {k: "likert" for k in LIKERT}
    kinds.update({"r": "nps", "ok": "yes_no", "face": "smiley", "visits": "number"})
    kinds.update({k: "battery" for k in keys if ":" in k})
    kinds.update({"w_rel": "number", "w_tan": "number"})
    return AnalysisPlan(
        instrument_id="every_kind",
        version=1,
        keys=tuple(keys),
        ranges=MappingProxyType(ranges),
        kinds=MappingProxyType(kinds),
        means=(*LIKERT, "visits", *gap_keys),
        ratings=MappingProxyType(dict.fromkeys(LIKERT, 4.0)),
        yes_no=("ok",),
        nps=("r",),
        smileys=("face",),
        scales=(
            ScaleSpec(
                id="sc",
                items=LIKERT,
                reverse=("a4",),
                ranges=MappingProxyType(dict.fromkeys(LIKERT, (1.0, 5.0))),
            ),
        ),
        gap=GapSpec(
            items=GAP_ITEMS, dimensions=MappingProxyType({"d": GAP_ITEMS}), na_allowed=True
        ),
        servqual=ServqualSpec(
            dimensions=MappingProxyType({"rel": ("s1", "s2"), "tan": ("s3",)}),
            scale_range=(1.0, 7.0),
            reverse=("s2",),
            weight_columns=MappingProxyType({"rel": "w_rel", "tan": "w_tan"}),
        ),
        nok=False,
        integer_keys=frozenset(k for k in keys if k in ranges),
    )


def _rows(n: int = 240, seed: int = 13) -> pd.DataFrame:
    """Seeded wide numeric rows in three libraries, two channels and four days, ~8 % missing."""
    rng = np.random.default_rng(seed)
    plan = _plan()
    data: dict[str, object] = {
        "library": rng.choice(["L1", "L2", "L3"], size=n, p=[0.5, 0.3, 0.2]),
        "channel": rng.choice(["web", "kiosk"], size=n),
        "day": rng.choice(["2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04"], size=n),
    }
    trait = rng.normal(size=n)
    for key in plan.keys:
        lo, hi = plan.ranges.get(key, (0.0, 30.0))
        if key in LIKERT:
            sign = -1.0 if key == "a4" else 1.0  # a4 is worded negatively
            raw = np.clip(np.round(3 + sign * trait + rng.normal(scale=0.8, size=n)), lo, hi)
        else:
            raw = rng.integers(int(lo), int(hi) + 1, size=n).astype(float)
        raw[rng.random(n) < 0.08] = np.nan
        data[key] = raw
    w_rel = rng.integers(0, 101, size=n).astype(float)
    data["w_rel"], data["w_tan"] = w_rel, 100.0 - w_rel
    data["w_tan"][rng.random(n) < 0.1] = 7.0  # type: ignore[index]  # do not sum to 100
    frame = pd.DataFrame(data)
    ticked = rng.random(n) < 0.1
    frame["g1:na"] = np.where(ticked, 1.0, np.nan)
    frame.loc[ticked, ["g1:minimum", "g1:desired", "g1:perceived"]] = np.nan
    return frame


def _assert_tables_equal(
    got: dict[str, pd.DataFrame], expected: dict[str, pd.DataFrame], atol: float = TOL
) -> None:
    assert set(got) == set(expected)
    for name in expected:
        pd.testing.assert_frame_equal(
            got[name].reset_index(drop=True),
            expected[name].reset_index(drop=True),
            check_dtype=False,
            check_column_type=False,
            check_index_type=False,
            atol=atol,
            rtol=0,
            obj=name,
        )


def _assert_stats_equal(a: GroupStats, b: GroupStats) -> None:
    assert (a.key, a.n) == (b.key, b.n)
    assert a.hist is not None and b.hist is not None
    np.testing.assert_array_equal(a.hist, b.hist)
    assert a.scores.keys() == b.scores.keys()
    for name in a.scores:
        np.testing.assert_array_equal(a.scores[name], b.scores[name])
    assert a.blocks.keys() == b.blocks.keys()
    for name in a.blocks:
        assert a.blocks[name][0] == b.blocks[name][0]
        np.testing.assert_allclose(a.blocks[name][1], b.blocks[name][1], atol=TOL)
        np.testing.assert_allclose(a.blocks[name][2], b.blocks[name][2], atol=TOL)
    assert a.moments is not None and b.moments is not None
    assert a.moments.n_rows == b.moments.n_rows
    pd.testing.assert_frame_equal(a.moments.cov(), b.moments.cov(), atol=TOL, rtol=0)
    pd.testing.assert_series_equal(a.moments.mean, b.moments.mean, atol=TOL, rtol=0)


# ---------------------------------------------------------------------------------------------
# AC001-AC003, AC005: the accumulator
# ---------------------------------------------------------------------------------------------


def test_accumulator__chunks_of_seven_rows_equal_one_pass() -> None:  # AC001
    plan, rows = _plan(), _rows()
    whole = accumulate_frame(rows, plan, by=["library"])
    chunked = accumulate_frame(rows, plan, by=["library"], chunk_rows=7)
    assert [s.key for s in whole] == [("L1",), ("L2",), ("L3",)]
    for a, b in zip(whole, chunked, strict=True):
        _assert_stats_equal(a, b)
    _assert_tables_equal(
        tables_from_stats(chunked, plan, by=["library"]),
        tables_from_stats(whole, plan, by=["library"]),
    )


def test_accumulator__cells_merged_equal_the_library() -> None:  # AC002
    plan, rows = _plan(), _rows()
    libraries = accumulate_frame(rows, plan, by=["library"])
    cells = accumulate_frame(rows, plan, by=["library", "channel", "day"], chunk_rows=11)
    assert len(cells) > len(libraries)
    rolled = [
        merge_groups([c for c in cells if c.key[0] == lib.key[0]], group=lib.group, label=lib.key)
        for lib in libraries
    ]
    for lib, merged in zip(libraries, rolled, strict=True):
        _assert_stats_equal(lib, merged)
    _assert_tables_equal(
        tables_from_stats(rolled, plan, by=["library"]),
        tables_from_stats(libraries, plan, by=["library"]),
    )


@pytest.mark.parametrize("by", [("library",), ("library", "channel"), ()])
def test_tables_from_stats__equal_the_analysis_functions_on_the_rows(by: tuple[str, ...]) -> None:
    # AC003: every table the plan calls for, both paths, same columns and rows
    plan, rows = _plan(), _rows()
    expected, notes = tables_from_rows(rows, plan, by)
    assert notes == []
    assert set(expected) == {
        "items", "shares", "nps", "happy", "scales", "reliability", "gap", "servqual"
    }  # fmt: skip
    got = tables_from_stats(accumulate_frame(rows, plan, by=by, chunk_rows=50), plan, by=by)
    items = got.pop("reliability_items")
    got["reliability"] = got["reliability"].drop(columns="note")
    expected["reliability"] = expected["reliability"].drop(columns="note")
    _assert_tables_equal(got, expected)
    # the per-item reliability statistics equal cronbach_alpha's item table
    first = rows
    if by:
        key = items.iloc[0][list(by)]
        first = rows.loc[(rows[list(by)] == key.to_numpy()).all(axis=1)]
    alpha = analysis.cronbach_alpha(first, items=list(LIKERT), reverse=["a4"], scale=(1, 5))
    mine = items.iloc[: len(LIKERT)].set_index("item")
    for column in ("n", "mean", "sd", "r_drop", "alpha_if_deleted"):
        np.testing.assert_allclose(
            mine[column].to_numpy(float), alpha.items[column].to_numpy(float), atol=TOL
        )


def test_tables_from_stats__library_channel_day_groups_are_columns() -> None:  # AC005
    plan, rows = _plan(), _rows()
    by = ["library", "channel", "day"]
    tables = tables_from_stats(accumulate_frame(rows, plan, by=by), plan, by=by)
    means = tables["items"].loc[tables["items"]["item"] == "a1"]
    expected = rows.groupby(by)["a1"].agg(["count", "mean"]).reset_index()
    assert list(means.columns[:4]) == [*by, "item"]
    np.testing.assert_array_equal(means["n"].to_numpy(), expected["count"].to_numpy())
    np.testing.assert_allclose(means["mean"], expected["mean"], atol=TOL)
    assert means[by].to_numpy().tolist() == expected[by].to_numpy().tolist()


def test_accumulator__rows_out_of_group_order_are_refused() -> None:
    acc = analysis.accumulator.Accumulator(_plan())
    x = np.full((2, len(_plan().keys)), np.nan)
    acc.add(np.array([3, 3]), x)
    with pytest.raises(ValueError, match="ordered by group"):
        acc.add(np.array([2, 2]), x)
    with pytest.raises(ValueError, match="columns"):
        acc.add(np.array([5]), x)


@pytest.mark.parametrize(("key", "value"), [("a1", 2.5), ("a1", 6.0), ("face", 0.0), ("r", 11.0)])
def test_accumulator__answer_outside_its_whole_numbers_is_an_error(key: str, value: float) -> None:
    rows = _rows(20)
    rows.loc[3, key] = value
    with pytest.raises(ValueError, match=f"'{key}' lie outside"):
        accumulate_frame(rows, _plan(), by=["library"])


def test_accumulator__the_first_key_out_of_range_is_named() -> None:
    rows = _rows(20)
    rows["library"] = "L1"
    rows.loc[1, "face"] = 5.0  # an earlier row, a later key
    rows.loc[3, "a2"] = 0.0
    with pytest.raises(ValueError, match="'a2' lie outside its declared whole numbers 1..5"):
        accumulate_frame(rows, _plan(), by=["library"])


# ---------------------------------------------------------------------------------------------
# AC004: the finalisers against independent computations
# ---------------------------------------------------------------------------------------------


def test_t_interval_parts__equals_scipy_t_interval() -> None:
    x = np.array([3.0, 5, 4, 6, 2, 5])
    se, half = t_interval_parts(np.array([6.0]), np.array([x.std(ddof=1)]), 0.9)
    low, high = stats.t.interval(0.9, 5, loc=x.mean(), scale=stats.sem(x))
    assert se[0] == pytest.approx(stats.sem(x), rel=1e-12)
    assert (x.mean() - half[0], x.mean() + half[0]) == pytest.approx((low, high), rel=1e-12)
    _, one = t_interval_parts(np.array([1.0]), np.array([np.nan]), 0.95)
    assert np.isnan(one[0])


def test_proportion_interval__wilson_equals_newcombe_and_the_formula() -> None:
    share, se, low, high = proportion_interval(np.array([81, 0]), np.array([263, 0]), 0.95)
    # Newcombe (1998), Statistics in Medicine 17:857, example: 81/263 -> 0.2553 to 0.3662
    assert (round(low[0], 4), round(high[0], 4)) == (0.2553, 0.3662)
    z, n, p = stats.norm.ppf(0.975), 263, 81 / 263
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    assert (low[0], high[0]) == pytest.approx((centre - half, centre + half), rel=1e-12)
    assert se[0] == pytest.approx(math.sqrt(p * (1 - p) / n))
    assert np.isnan([share[1], se[1], low[1], high[1]]).all()


def test_distribution_moments__equal_pandas_on_the_expanded_answers() -> None:
    values = np.array([1.0, 2, 3, 4, 5])
    counts = np.array([[3, 0, 4, 1, 2], [0, 0, 1, 0, 0], [0, 2, 0, 0, 2]])
    n, mean, sd, median = distribution_moments(values, counts)
    for g in range(3):
        answers = pd.Series(np.repeat(values, counts[g]))
        assert n[g] == len(answers)
        assert mean[g] == pytest.approx(answers.mean(), rel=1e-12)
        assert median[g] == answers.median()
        if len(answers) > 1:
            assert sd[g] == pytest.approx(answers.std(), rel=1e-12)
        else:
            assert np.isnan(sd[g])


def test_nps_from_counts__equals_the_hand_computation() -> None:
    # 10 answers: 5 promoters, 3 passives, 2 detractors
    out = nps_from_counts(np.array([10]), np.array([5]), np.array([2]), 0.95)
    var = (0.5 + 0.2 - 0.3**2) / 10
    assert out["nps"][0] == pytest.approx(30.0)
    assert out["se"][0] == pytest.approx(100 * math.sqrt(var))
    half = stats.norm.ppf(0.975) * 100 * math.sqrt(var)
    assert (out["ci_low"][0], out["ci_high"][0]) == pytest.approx((30 - half, 30 + half))
    every = nps_from_counts(np.array([4]), np.array([4]), np.array([0]), 0.95)
    assert (every["nps"][0], every["ci_low"][0], every["ci_high"][0]) == (100.0, 100.0, 100.0)


def test_happy_from_faces__equals_the_t_interval_of_the_face_points() -> None:
    faces = np.array([[1, 2, 3, 4]])
    points = np.repeat([0.0, 100 / 3, 200 / 3, 100.0], faces[0])
    out = happy_from_faces(faces, 0.95)
    low, high = stats.t.interval(0.95, len(points) - 1, loc=points.mean(), scale=stats.sem(points))
    assert out["index"][0] == pytest.approx(points.mean(), rel=1e-12)
    assert (out["ci_low"][0], out["ci_high"][0]) == pytest.approx((low, high), rel=1e-12)


def test_moments_and_contrast__equal_numpy_cov_and_scipy_paired_t() -> None:
    rng = np.random.default_rng(5)
    x = rng.integers(1, 10, size=(40, 3)).astype(float)
    shift = np.array([5.0, 5.0, 5.0])
    y = x - shift
    mean, cov = moments_from_sums(
        np.array([40]), y.sum(0)[None], (y[:, :, None] * y[:, None, :]).sum(0)[None], shift
    )
    np.testing.assert_allclose(mean[0], x.mean(0), rtol=1e-12)
    np.testing.assert_allclose(cov[0], np.cov(x.T), rtol=1e-12)
    # adequacy gap = perceived - minimum: the paired t interval of the differences
    value, se, low, high = contrast_interval(
        np.array([40]), mean, cov, np.array([-1.0, 0.0, 1.0]), 0.95
    )
    d = x[:, 2] - x[:, 0]
    assert value[0] == pytest.approx(d.mean(), rel=1e-12)
    assert se[0] == pytest.approx(stats.sem(d), rel=1e-12)
    test = stats.ttest_rel(x[:, 2], x[:, 0])
    ci = test.confidence_interval(0.95)
    assert (low[0], high[0]) == pytest.approx((ci.low, ci.high), rel=1e-12)


def test_gap_status__zones_of_tolerance() -> None:
    status = gap_status(np.array([-0.5, 0.0, 1.0, 0.5]), np.array([-2.0, -1.0, 0.5, 0.0]))
    assert status.tolist() == ["below_min", "within_zot", "above_desired", "within_zot"]


@pytest.mark.parametrize("module", [analysis.estimators, analysis.accumulator])
def test_docstring_examples__run(module: object) -> None:
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)  # type: ignore[arg-type]
    assert result.failed == 0


def test_cells__inside_each_library_equal_the_library_channel_day_groups() -> None:  # AC005
    plan, rows = _plan(), _rows()
    cells = ["channel", "day"]
    libraries = accumulate_frame(rows, plan, by=["library"], cells=cells, chunk_rows=13)
    by = ["library", *cells]
    got = tables_from_stats(cell_groups(libraries), plan, by=by, only=CELL_TABLES)
    expected, _ = tables_from_rows(rows, plan, by)
    assert set(got) == CELL_TABLES
    _assert_tables_equal(got, {name: expected[name] for name in CELL_TABLES})
    # a library's cells add up to the library (no pairwise moments are kept per cell)
    for library in libraries:
        whole = merge_groups(library.cells.values(), group=library.group)
        assert whole.n == library.n
        assert whole.hist is not None and library.hist is not None
        np.testing.assert_array_equal(whole.hist, library.hist)
        assert all(c.moments is None and not c.nok_rows for c in library.cells.values())


# ---------------------------------------------------------------------------------------------
# the plan's indicators, and cells that keep only what some of them need
# ---------------------------------------------------------------------------------------------


def test_plan_indicators__are_the_indicators_of_the_results_in_their_order() -> None:
    plan, rows = _plan(), _rows()
    tables, _ = tables_from_rows(rows, plan, ["library"])
    results = long_indices(tables, ["library"])
    assert plan_indicators(plan) == tuple(dict.fromkeys(results["indicator"]))
    assert plan_indicators(plan)[:2] == ("mean:a1", "mean:a2")
    assert {"scale:sc", "alpha:sc", "nps:r", "happy_index:face"} <= set(plan_indicators(plan))


def test_plan_indicators__nok_scores_listed_when_the_checklist_scores_them() -> None:
    plan = _plan()
    nok = replace(
        plan,
        keys=(*plan.keys, *NOK_QUESTIONS),
        ranges=MappingProxyType({**plan.ranges, **dict.fromkeys(NOK_QUESTIONS, (0.0, 1.0))}),
        kinds=MappingProxyType({**plan.kinds, **dict.fromkeys(NOK_QUESTIONS, "yes_no")}),
        yes_no=(*plan.yes_no, *NOK_QUESTIONS),
        integer_keys=plan.integer_keys | set(NOK_QUESTIONS),
        nok=True,
    )
    # the method's item shares (its skip filters) are listed without responses too
    assert {"share_satisfied:q2", "share_yes:q1"} <= set(plan_indicators(nok))
    assert not any(i.startswith("nok:") for i in plan_indicators(nok))
    scored = plan_indicators(nok, nok_scored=True)
    assert scored[-6:] == ("nok:K1", "nok:K2", "nok:K3", "nok:K4", "nok:K5", "nok:total")


@pytest.mark.parametrize(
    "indicator",
    [
        "mean:a2",
        "share_satisfied:a3",
        "share_satisfied:ok",
        "nps:r",
        "happy_index:face",
        "scale:sc",
        "adequacy_gap:d",
        "servqual_gap:rel",
        "mean:g1:perceived",
    ],
)
def test_plan_for_indicators__cells_kept_for_one_indicator_give_its_values(indicator: str) -> None:
    """Cells (library × channel × day) that keep only what one indicator needs give that
    indicator's values as the analysis functions do on each cell's rows, and nothing else."""
    plan, rows = _plan(), _rows()
    by = ["library", "channel", "day"]
    restricted = plan_for_indicators(plan, [indicator])
    libraries = accumulate_frame(
        rows, plan, by=["library"], cells=["channel", "day"], chunk_rows=13, cell_plan=restricted
    )
    got = long_indices(
        tables_from_stats(cell_groups(libraries), restricted, by=by, only=CELL_TABLES), by
    )
    expected_tables, _ = tables_from_rows(rows, plan, by)
    expected = long_indices(expected_tables, by)
    expected = expected.loc[expected["indicator"] == indicator].reset_index(drop=True)
    assert len(expected) > 20  # every cell of the three libraries
    mine = got.loc[got["indicator"] == indicator].reset_index(drop=True)
    pd.testing.assert_frame_equal(
        mine, expected, check_dtype=False, check_column_type=False, atol=TOL, rtol=0
    )
    family = indicator.partition(":")[0]
    related = {"adequacy_gap", "superiority_gap", "zot_width"} if family == "adequacy_gap" else {}
    assert set(got["indicator"].str.partition(":")[0]) <= {family, *related}
    assert len(set(got["indicator"])) < len(set(expected_tables_indicators(expected_tables, by)))


def expected_tables_indicators(tables: dict[str, pd.DataFrame], by: list[str]) -> list[str]:
    return list(
        long_indices({k: v for k, v in tables.items() if k in CELL_TABLES}, by)["indicator"]
    )


def test_plan_for_indicators__keeps_the_keys_and_drops_the_rest() -> None:
    plan = _plan()
    scale_only = plan_for_indicators(plan, ["scale:sc"])
    assert scale_only.keys == plan.keys and scale_only.ranges == plan.ranges
    assert [s.id for s in scale_only.scales] == ["sc"]
    assert scale_only.means == () and dict(scale_only.ratings) == {} and scale_only.nps == ()
    assert scale_only.gap is None and scale_only.servqual is None and not scale_only.nok
    nothing = plan_for_indicators(plan, [])
    assert analysis.accumulator.Layout(nothing).n_bins == 0
    with pytest.raises(ValueError, match="keys"):
        analysis.accumulator.Accumulator(plan, replace(plan, keys=plan.keys[:-1]))
