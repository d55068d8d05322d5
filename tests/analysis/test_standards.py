"""Tests for analysis.standards: versioned regional standards (YAML package data), the
long indices table and the comparison of libraries against a standard (issue 3 §3).

References: Benjamini–Hochberg adjusted p-values against analysis.md §4.4
(p = .01 .02 .03 .04 .05 .2 -> .06 ×5, .20) and statsmodels ``multipletests``;
one-sided t p-values against ``scipy.stats.ttest_1samp(alternative="less")``; the score
test by hand; verdicts from hand-built intervals.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from analysis.indices import describe_items
from analysis.indices import share_satisfied
from analysis.nok import nok_scores
from analysis.standards import NoVersionInForce
from analysis.standards import Standard
from analysis.standards import Target
from analysis.standards import available_standards
from analysis.standards import compare_to_standard
from analysis.standards import indices_table
from analysis.standards import load_bands
from analysis.standards import load_standard


def _standard(**targets: Target) -> Standard:
    return Standard(
        id="test",
        version="1",
        effective_from=dt.date(2025, 1, 1),
        effective_to=None,
        normative=False,
        notice="",
        title={},
        targets=targets,
    )


# ---------------------------------------------------------------------- loading


def test_load_standard__picks_the_version_effective_on_the_date() -> None:
    v2024 = load_standard("kemerovo_example", on=dt.date(2024, 12, 31))
    assert v2024.version == "2024"
    assert v2024.targets["share_satisfied:q14"].target == 0.85
    assert "nok:K3" not in v2024.targets
    v2025 = load_standard("kemerovo_example", on=dt.date(2025, 1, 1))
    assert v2025.version == "2025"
    assert v2025.targets["share_satisfied:q14"].target == 0.90
    assert v2025.targets["share_satisfied:q14"].minimum == 0.80
    assert v2025.effective_to is None
    with pytest.raises(NoVersionInForce, match="no version is effective"):
        load_standard("kemerovo_example", on=dt.date(2023, 12, 31))


def test_load_standard__an_unknown_name_is_not_mistaken_for_no_version_in_force() -> None:
    # a caller may take "no version in force" as "no verdicts"; a typo must not pass for it
    with pytest.raises(ValueError, match="no packaged standard") as raised:
        load_standard("kemerovo_exmaple", on=dt.date(2025, 6, 1))
    assert not isinstance(raised.value, NoVersionInForce)


def test_load_standard__packaged_example_is_marked_illustrative() -> None:
    assert "kemerovo_example" in available_standards()
    assert "nok_bands" not in available_standards()
    std = load_standard("kemerovo_example", on=dt.date(2025, 6, 1))
    assert std.normative is False
    assert "ILLUSTRATIVE EXAMPLE" in std.notice
    assert "not an official norm" in std.notice
    bands = std.targets["nok:total"].bands
    assert [b.id for b in bands] == ["very_poor", "poor", "satisfactory", "good", "excellent"]
    assert bands == load_bands("nok_bands")
    frame = std.to_frame()
    assert list(frame.columns) == ["indicator", "target", "direction", "minimum", "unit", "n_bands"]
    assert len(frame) == len(std.targets)


def test_load_standard__reads_a_file_with_sibling_bands(tmp_path: Path) -> None:
    (tmp_path / "my_bands.yaml").write_text(
        "bands:\n  - {id: low, upto: 50}\n  - {id: high, upto: 100}\n", encoding="utf-8"
    )
    path = tmp_path / "region.yaml"
    path.write_text(
        "id: region\nnormative: true\nversions:\n"
        "  - version: a\n    effective_from: 2020-01-01\n    effective_to: 2020-12-31\n"
        "    indicators: {x: 1}\n"
        "  - version: b\n    effective_from: 2021-01-01\n"
        "    indicators:\n      x: {target: 2, direction: at_most, minimum: 3, bands: my_bands}\n",
        encoding="utf-8",
    )
    std = load_standard(path, on=dt.date(2022, 3, 1))
    assert (std.version, std.normative) == ("b", True)
    x = std.targets["x"]
    assert (x.target, x.direction, x.minimum) == (2.0, "at_most", 3.0)
    assert [b.id for b in x.bands] == ["low", "high"]
    assert load_standard(str(path), on=dt.date(2020, 5, 5)).targets["x"].target == 1.0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("id: r\nversions: []\nnormative: false\n", "non-empty"),
        ("id: r\nversions:\n  - {effective_from: 2020-01-01, indicators: {x: 1}}\n", "normative"),
        (
            "id: r\nnormative: false\nversions:\n"
            "  - {effective_from: 2020-01-01, indicators: {x: 1}}\n"
            "  - {effective_from: 2021-01-01, indicators: {x: 2}}\n",
            "overlap",
        ),
        (
            "id: r\nnormative: false\nversions:\n"
            "  - {effective_from: 2020-01-01, indicators: {x: {target: 1, minimum: 2}}}\n",
            "less demanding",
        ),
        (
            "id: r\nnormative: false\nversions:\n"
            "  - {effective_from: 2020-01-01, indicators: {x: {goal: 1}}}\n",
            "target",
        ),
        # not YAML at all: a one-line ValueError naming the line, not a yaml ParserError
        ("id: r\nversions: [\n", r"bad\.yaml: not valid YAML at line 3: expected the node"),
    ],
)
def test_load_standard__rejects_malformed_files(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_standard(path, on=dt.date(2022, 1, 1))


def test_load_standard__a_file_that_is_not_utf8_text(tmp_path: Path) -> None:
    path = tmp_path / "binary.yaml"
    path.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ValueError, match=r"binary\.yaml: cannot be read \(UnicodeDecodeError\)"):
        load_standard(path)


def test_load_standard__unknown_name_and_bad_date() -> None:
    with pytest.raises(ValueError, match="no packaged standard"):
        load_standard("atlantis")
    with pytest.raises(TypeError):
        load_standard("kemerovo_example", on="2025-01-01")  # type: ignore[arg-type]


# ---------------------------------------------------------------------- indices_table


def test_indices_table__from_share_satisfied_and_nok_outputs() -> None:
    df = pd.DataFrame({"library": ["A"] * 4 + ["B"] * 2, "q14": [1, 1, 0, 1, 1, 1]})
    shares = share_satisfied(df, items="q14", threshold=1)
    long = indices_table(shares, value="share", name="share_satisfied", unit="item")
    assert list(long.columns) == [
        "library",
        "indicator",
        "value",
        "ci_low",
        "ci_high",
        "n",
        "se",
        "test",
    ]
    assert long["indicator"].tolist() == ["share_satisfied:q14"] * 2
    assert long["value"].tolist() == pytest.approx([0.75, 1.0])
    assert long["ci_low"].tolist() == shares["ci_low"].tolist()
    assert long["test"].tolist() == ["score", "score"]
    nok = pd.DataFrame({"library": ["A"], "n": [50], "K1": [90.0], "total": [81.2]})
    nlong = indices_table(nok, value=["K1", "total"], prefix="nok:")
    assert nlong["indicator"].tolist() == ["nok:K1", "nok:total"]
    assert nlong["ci_low"].isna().all()
    assert nlong["test"].tolist() == ["none", "none"]
    with pytest.raises(ValueError, match="single value"):
        indices_table(nok, value=["K1", "total"], name="x")


def test_indices_table__gap_columns_bring_their_own_intervals() -> None:
    gap = pd.DataFrame(
        {
            "library": ["A"],
            "unit": ["overall"],
            "n": [40],
            "adequacy_gap": [0.5],
            "adequacy_gap_se": [0.2],
            "adequacy_gap_ci_low": [0.1],
            "adequacy_gap_ci_high": [0.9],
            "superiority_gap": [-0.4],
            "superiority_gap_se": [0.1],
            "superiority_gap_ci_low": [-0.6],
            "superiority_gap_ci_high": [-0.2],
        }
    )
    long = indices_table(gap, value=["adequacy_gap", "superiority_gap"], unit="unit")
    assert long["indicator"].tolist() == ["adequacy_gap:overall", "superiority_gap:overall"]
    assert long["ci_low"].tolist() == [0.1, -0.6]
    assert long["se"].tolist() == [0.2, 0.1]
    assert long["test"].tolist() == ["t", "t"]


# ---------------------------------------------------------------------- compare


def test_compare_to_standard__verdicts() -> None:
    std = _standard(x=Target("x", 0.9, minimum=0.8))
    indices = pd.DataFrame(
        {
            "library": ["meets", "below", "straddles", "small", "edge"],
            "indicator": ["x"] * 5,
            "value": [0.95, 0.70, 0.88, 0.99, 0.92],
            "ci_low": [0.91, 0.60, 0.79, 0.90, 0.90],
            "ci_high": [0.98, 0.85, 0.95, 1.0, 0.95],
            "n": [200, 100, 60, 12, 300],
        }
    )
    res = compare_to_standard(indices, std).set_index("library")
    assert res["verdict"].to_dict() == {
        "meets": "meets",
        "below": "below",
        "straddles": "indeterminate",
        "small": "insufficient data",
        "edge": "meets",
    }
    # against the minimum 0.8: 0.60-0.85 and 0.79-0.95 both straddle it
    assert res["minimum_verdict"].to_dict() == {
        "meets": "meets",
        "below": "indeterminate",
        "straddles": "indeterminate",
        "small": "insufficient data",
        "edge": "meets",
    }
    assert res.loc["small", "target"] == 0.9
    assert math.isnan(res.loc["small", "p_value"])  # no inference below min_n
    assert (res["standard"] == "test").all()
    # min_n is configurable
    lenient = compare_to_standard(indices, std, min_n=10).set_index("library")
    assert lenient.loc["small", "verdict"] == "meets"


def test_compare_to_standard__at_most_direction_mirrors_the_rule() -> None:
    std = _standard(d=Target("d", 0.10, direction="at_most"))
    indices = pd.DataFrame(
        {
            "library": ["ok", "bad", "unsure"],
            "indicator": "d",
            "value": [0.05, 0.2, 0.1],
            "ci_low": [0.02, 0.15, 0.05],
            "ci_high": [0.09, 0.25, 0.16],
            "n": [100] * 3,
            "se": [0.02, 0.025, 0.03],
            "test": "z",
        }
    )
    res = compare_to_standard(indices, std).set_index("library")
    assert res["verdict"].to_dict() == {"ok": "meets", "bad": "below", "unsure": "indeterminate"}
    # H1: θ > 0.10; z = (0.2 - 0.1)/0.025 = 4 -> p = 1 - Φ(4)
    assert res.loc["bad", "p_value"] == pytest.approx(stats.norm.sf(4.0))


def test_compare_to_standard__bh_matches_analysis_reference_numbers() -> None:
    # z test with se = 1 and target 0: p = Φ(value), so value = Φ⁻¹(p) reproduces p exactly
    p = np.array([0.01, 0.02, 0.03, 0.04, 0.05, 0.2])
    indices = pd.DataFrame(
        {
            "library": [f"L{k}" for k in range(6)],
            "indicator": "g",
            "value": stats.norm.ppf(p),
            "n": 100,
            "se": 1.0,
            "test": "z",
        }
    )
    std = _standard(g=Target("g", 0.0))
    res = compare_to_standard(indices, std)
    assert res["p_value"].to_numpy() == pytest.approx(p)
    # analysis.md §4.4: BH 0.06 x5, 0.20
    assert res["p_adjusted"].to_numpy() == pytest.approx([0.06] * 5 + [0.2])
    assert res["p_adjusted"].to_numpy() == pytest.approx(multipletests(p, method="fdr_bh")[1])
    assert not res["flag_below"].any()
    flagged = compare_to_standard(indices, std, alpha=0.1)
    assert flagged["flag_below"].tolist() == [True] * 5 + [False]


def test_compare_to_standard__bh_steps_up_from_the_largest_passing_p_value() -> None:
    # thresholds α·i/m = .0125 .025 .0375 .05: only .035 passes its own, so the step-up
    # rejects the three smallest; p̃ = min over j ≥ i of 4 p₍ⱼ₎/j = 4 · .035/3 for those
    p = [0.02, 0.03, 0.035, 0.5]
    indices = pd.DataFrame(
        {
            "library": list("ABCD"),
            "indicator": "g",
            "value": stats.norm.ppf(p),
            "n": 100,
            "se": 1.0,
            "test": "z",
        }
    )
    res = compare_to_standard(indices, _standard(g=Target("g", 0.0)), alpha=0.05)
    assert res["p_adjusted"].tolist() == pytest.approx([0.14 / 3] * 3 + [0.5])
    assert res["flag_below"].tolist() == [True, True, True, False]


@pytest.mark.parametrize("m", [1, 2, 7, 60])
def test_compare_to_standard__bh_flags_and_adjustment_as_statsmodels(m: int) -> None:
    # p-values with ties and some below alpha·i/m only after a larger one (step-up)
    rng = np.random.default_rng(m)
    p = rng.beta(0.3, 1.5, m)
    p[rng.random(m) < 0.2] = p[0]
    indices = pd.DataFrame(
        {
            "library": [f"L{i}" for i in range(m)],
            "indicator": "g",
            "value": stats.norm.ppf(p),
            "n": 100,
            "se": 1.0,
            "test": "z",
        }
    )
    res = compare_to_standard(indices, _standard(g=Target("g", 0.0)), alpha=0.1)
    reject, adjusted, _, _ = multipletests(res["p_value"].to_numpy(), alpha=0.1, method="fdr_bh")
    np.testing.assert_allclose(res["p_adjusted"], adjusted, rtol=1e-12)
    np.testing.assert_array_equal(res["flag_below"], reject)


def test_compare_to_standard__bh_families_are_per_indicator_and_period() -> None:
    p = [0.01, 0.04, 0.03, 0.2]
    indices = pd.DataFrame(
        {
            "library": ["A", "B", "A", "B"],
            "period": ["2024", "2024", "2025", "2025"],
            "indicator": "g",
            "value": stats.norm.ppf(p),
            "n": 100,
            "se": 1.0,
            "test": "z",
        }
    )
    res = compare_to_standard(indices, _standard(g=Target("g", 0.0)))
    assert list(res.columns[:3]) == ["library", "period", "indicator"]
    # 2024: [0.01, 0.04] -> [0.02, 0.04]; 2025: [0.03, 0.2] -> [0.06, 0.2]
    assert res["p_adjusted"].tolist() == pytest.approx([0.02, 0.04, 0.06, 0.2])


def test_compare_to_standard__t_p_value_matches_scipy_one_sample_test() -> None:
    rng = np.random.default_rng(7)
    values = {"A": rng.normal(3.6, 0.9, 40).round(), "B": rng.normal(4.2, 0.8, 35).round()}
    df = pd.DataFrame(
        {"library": np.repeat(["A", "B"], [40, 35]), "q1": np.concatenate(list(values.values()))}
    )
    long = indices_table(describe_items(df, items="q1"), value="mean", unit="item")
    res = compare_to_standard(long, _standard(**{"mean:q1": Target("mean:q1", 4.0)}))
    got = res.set_index("library")["p_value"]
    for lib, x in values.items():
        expected = stats.ttest_1samp(x, popmean=4.0, alternative="less").pvalue
        assert got[lib] == pytest.approx(expected, rel=1e-10)


def test_compare_to_standard__score_test_for_shares_by_hand() -> None:
    df = pd.DataFrame({"library": ["A"] * 100, "q14": [1] * 80 + [0] * 20})
    long = indices_table(
        share_satisfied(df, items="q14", threshold=1),
        value="share",
        name="share_satisfied",
        unit="item",
    )
    std = load_standard("kemerovo_example", on=dt.date(2025, 3, 1))
    row = compare_to_standard(long, std).iloc[0]
    # z = (0.80 - 0.90)/sqrt(0.9*0.1/100) = -0.1/0.03 = -3.333...; p = Φ(z)
    assert row["p_value"] == pytest.approx(stats.norm.cdf(-10 / 3))
    # Wilson 80/100 = (0.7112, 0.8666): entirely below 0.90 -> below; straddles 0.80
    assert row["verdict"] == "below"
    assert row["minimum_verdict"] == "indeterminate"
    assert row["version"] == "2025"


def test_compare_to_standard__nok_scores_use_the_point_value_and_bands() -> None:
    cols = {f"q{k}": [1] * 40 for k in range(1, 15)}
    cols["library"] = ["A"] * 40
    data = pd.DataFrame(cols)
    data.loc[:9, "q14"] = 0  # 30/40 satisfied overall
    checklist = pd.DataFrame(
        {
            "library": ["A"],
            "stand_info_present": [5],
            "stand_info_required": [10],
            "site_info_present": [10],
            "site_info_required": [10],
            "remote_channels": [2],
            "comfort_conditions": [3],
            "premises_accessibility": [1],
            "service_accessibility": [2],
        }
    )
    nok = nok_scores(data, checklist=checklist)
    long = indices_table(nok, value=["K3", "total"], prefix="nok:")
    std = load_standard("kemerovo_example", on=dt.date(2025, 3, 1))
    res = compare_to_standard(long, std).set_index("indicator")
    # K1 = 0.3*75 + 0.3*60 + 0.4*100 = 80.5; K2 = 0.5*60 + 0.5*100 = 80
    # K3 = 0.3*20 + 0.4*40 + 0.3*100 = 52; K4 = 100; K5 = 30 + 20 + 0.5*75 = 87.5
    # total = (80.5 + 80 + 52 + 100 + 87.5)/5 = 80
    assert res.loc["nok:total", "value"] == pytest.approx(80.0)
    assert res.loc["nok:total", "verdict"] == "meets"  # no interval: 80 >= 80
    assert res.loc["nok:total", "band"] == "good"  # (60, 80]
    assert res.loc["nok:K3", "verdict"] == "below"  # 52 < 60
    assert res["p_value"].isna().all()


def test_compare_to_standard__rejects_bad_input() -> None:
    std = _standard(x=Target("x", 1.0))
    good = pd.DataFrame({"library": ["A"], "indicator": ["x"], "value": [1.0], "n": [40]})
    with pytest.raises(ValueError, match="n"):
        compare_to_standard(good.drop(columns="n"), std)
    with pytest.raises(ValueError, match="unknown test"):
        compare_to_standard(good.assign(test="wald"), std)
    with pytest.raises(TypeError):
        compare_to_standard(good, {"x": 1.0})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="alpha"):
        compare_to_standard(good, std, alpha=0)
