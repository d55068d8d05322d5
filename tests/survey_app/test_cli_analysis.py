"""``survey-app reliability`` and ``survey-app indices`` (issue 3 §7), run without a database.

Covers: reliability --json on bfi Agreeableness (pairwise and listwise) against R psych 2.2.9
(``tests/analysis/reference/psych_reliability.json``: psych::alpha, psych::omega minres,
all splits of psych::splitHalf), the readable table and the errors; indices on a small
hand-made nok_culture CSV against the 344n computation written out below, with a checklist and
with a standard (verdicts), the readable output, --by, an uploaded YAML definition, and the
errors; the commands are registered on the app's CLI.

The commands are invoked through click's runner on the command objects themselves, with no
application and no database, because they must work on a laptop with only the files.
Tolerances: 1e-10 against R for alpha and its statistics, 1e-5 for omega (psych's optimiser
stops near 1e-6), hand computations to 1e-9 (NOK values are rounded to 2 dp by 344n).
"""

from __future__ import annotations

import csv
import json
import warnings
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from click.testing import Result
from flask import Flask

from survey_app.cli import register_commands
from survey_app.cli.analysis import indices_command
from survey_app.cli.analysis import reliability_command
from tests.analysis.reference import DATA_DIR
from tests.analysis.reference import psych_reliability
from tests.analysis.reference import psych_small_samples as psych_small

TOL = 1e-10


def run(command: Any, args: list[str]) -> Result:
    result = CliRunner().invoke(command, args, catch_exceptions=False)
    return result


@pytest.fixture
def bfi_csv() -> str:
    return str(DATA_DIR / "bfi.csv")


# ---------------------------------------------------------------------------------------------
# reliability
# ---------------------------------------------------------------------------------------------

AGREEABLENESS = ["--items", "A1,A2,A3,A4,A5", "--reverse", "A1", "--scale", "1-6"]


def test_reliability_json__bfi_agreeableness_matches_r_psych(bfi_csv: str) -> None:
    result = run(reliability_command, [bfi_csv, *AGREEABLENESS, "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    ref = psych_reliability()["bfi"]["A"]
    r = ref["pairwise"]
    assert (out["n"], out["k"], out["n_complete"]) == (r["n_rows"], r["k"], r["n_complete"])
    assert out["alpha"] == pytest.approx(r["raw_alpha"], abs=TOL)
    assert out["alpha_std"] == pytest.approx(r["std_alpha"], abs=TOL)
    assert out["g6"] == pytest.approx(r["g6"], abs=TOL)
    assert out["average_r"] == pytest.approx(r["average_r"], abs=TOL)
    assert out["alpha_se"] == pytest.approx(r["ase"], abs=TOL)
    assert out["alpha_ci_feldt"] == pytest.approx(r["feldt"], abs=TOL)
    assert out["alpha_ci_duhachek"] == pytest.approx(r["duhachek_qnorm"], abs=TOL)
    assert out["omega_total"] == pytest.approx(ref["omega_minres"]["omega_tot"], abs=1e-5)
    split = ref["split"]
    assert out["split_half"]["max"] == pytest.approx(split["all_max"], abs=TOL)
    assert out["split_half"]["min"] == pytest.approx(split["all_min"], abs=TOL)
    assert out["split_half"]["mean"] == pytest.approx(split["all_mean"], abs=TOL)
    assert [row["item"] for row in out["items"]] == r["items"]
    for field, key in (("n", "n"), ("mean", "mean"), ("sd", "sd"), ("r_drop", "r_drop")):
        assert [row[field] for row in out["items"]] == pytest.approx(r["stats"][key], abs=TOL)
    assert [row["alpha_if_deleted"] for row in out["items"]] == pytest.approx(
        r["drop"]["raw_alpha"], abs=TOL
    )


def test_reliability_json__listwise_uses_complete_rows_as_n(bfi_csv: str) -> None:
    result = run(reliability_command, [bfi_csv, *AGREEABLENESS, "--missing", "listwise", "--json"])
    out = json.loads(result.output)
    r = psych_reliability()["bfi"]["A"]["listwise"]  # psych::alpha on na.omit(bfi[A])
    assert out["n"] == out["n_complete"] == r["n_rows"] == 2709
    assert out["alpha"] == pytest.approx(r["raw_alpha"], abs=TOL)
    assert out["alpha_ci_feldt"] == pytest.approx(r["feldt"], abs=TOL)
    assert out["alpha_se"] == pytest.approx(r["ase"], abs=TOL)
    assert [row["mean"] for row in out["items"]] == pytest.approx(r["stats"]["mean"], abs=TOL)


def test_reliability_text__prints_alpha_interval_and_item_table(bfi_csv: str) -> None:
    result = run(reliability_command, [bfi_csv, *AGREEABLENESS])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].endswith("5 items, n = 2800 (pairwise; 2709 complete of 2800)")
    # psych: raw_alpha 0.703, Feldt 0.685-0.720, omega.tot 0.723
    assert "alpha            0.703   95% CI Feldt [0.685, 0.720]" in result.output
    assert "omega total      0.723" in result.output
    assert lines[-5].split()[:2] == ["A1", "2784"]


def test_reliability__semicolon_csv_with_empty_cells(tmp_path: Path) -> None:
    # three items, five respondents; x3 reverse keyed on 1..5 -> 6 - x3
    (tmp_path / "d.csv").write_text(
        "id;x1;x2;x3\n1;1;2;5\n2;2;2;4\n3;3;3;3\n4;4;5;2\n5;5;4;\n", encoding="utf-8"
    )
    result = run(
        reliability_command,
        [
            str(tmp_path / "d.csv"),
            "--items",
            "x1,x2,x3",
            "--reverse",
            "x3",
            "--scale",
            "1-5",
            "--missing",
            "listwise",
            "--min-n",
            "4",
            "--json",
        ],
    )
    out = json.loads(result.output)
    # complete rows 1..4: x1 = 1,2,3,4; x2 = 2,2,3,5; x3' = 1,2,3,4
    # variances 5/3, 2, 5/3 (sum 16/3); totals 4, 6, 9, 13 -> variance 46/3;
    # alpha = 3/2 (1 - 16/46) = 45/46
    assert out["n"] == 4
    assert out["alpha"] == pytest.approx(45 / 46, abs=1e-12)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--items", "A1,A9"], "no column(s) A9"),
        (["--items", "A1,A2", "--reverse", "A1"], "declared response range"),
        (["--items", "A1,A2", "--scale", "one-six"], "expected MIN-MAX"),
        (["--items", "A1,A2,A3", "--reverse", "A1", "--scale", "2-5"], "outside"),
    ],
)
def test_reliability__bad_invocation_exits_with_message(
    bfi_csv: str, args: list[str], message: str
) -> None:
    result = CliRunner().invoke(reliability_command, [bfi_csv, *args])
    assert result.exit_code != 0
    assert message in result.output


def _write_case(path: Path, data: list[list[float | None]]) -> str:
    names = [f"q{i + 1}" for i in range(len(data[0]))]
    lines = [",".join(names)]
    lines += [",".join("" if v is None else f"{v:g}" for v in row) for row in data]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def test_reliability__heywood_case_reports_omega_with_the_warning(tmp_path: Path) -> None:
    # issue 10 §1: the minres fit behind omega hits a loading past 1; psych returns omega_tot
    # with "An ultra-Heywood case was detected" and so do we, alpha included
    ref = psych_small()["heywood_5x3"]
    path = _write_case(tmp_path / "h.csv", ref["data"])
    result = run(reliability_command, [path, "--items", "q1,q2,q3", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["omega_total"] == pytest.approx(ref["converged"]["omega_tot"], abs=1e-12)
    assert out["omega_total"] == pytest.approx(ref["omega_tot"], abs=6e-4)  # psych's print
    assert out["alpha_std"] == pytest.approx(ref["alpha"], abs=1e-12)
    assert out["status"] == "warning"
    assert out["unavailable"] == {}
    # alpha 0.973 (5 rows): its Duhachek limit passed 1 and was clipped
    assert [(w["statistic"], w["code"]) for w in out["warnings"]] == [
        ("alpha", "interval_clipped"),
        ("omega_total", "ultra_heywood"),
    ]
    assert out["alpha_ci_duhachek"][1] == 1.0
    text = run(reliability_command, [path, "--items", "q1,q2,q3"]).output
    assert "omega total      0.765" in text
    assert "warning [ultra_heywood] omega_total: An ultra-Heywood case was detected" in text


def test_reliability__three_respondents_are_insufficient_data_with_the_n(tmp_path: Path) -> None:
    # issue 10 §3: psych gives alpha -4.875 on these 3 rows; below the minimum of 5 we refuse
    ref = psych_small()["small_n"]["n3"]
    assert ref["raw_alpha"] == pytest.approx(-4.875)
    path = _write_case(tmp_path / "s.csv", ref["data"])
    result = run(reliability_command, [path, "--items", "q1,q2,q3", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert (out["status"], out["alpha"], out["omega_total"], out["split_half"]) == (
        "unavailable",
        None,
        None,
        None,
    )
    assert out["n"] == 3
    for name in ("alpha", "omega_total", "split_half"):
        assert out["unavailable"][name]["code"] == "insufficient_data"
        assert out["unavailable"][name]["n"] == 3
    text = run(reliability_command, [path, "--items", "q1,q2,q3"]).output
    assert (
        "alpha            —   [insufficient_data] insufficient data: n = 3 respondents "
        "(pairwise policy), fewer than the minimum 5"
    ) in text
    # the minimum is configurable: with 3 allowed, psych's number
    lowered = json.loads(
        run(reliability_command, [path, "--items", "q1,q2,q3", "--min-n", "3", "--json"]).output
    )
    assert lowered["alpha"] == pytest.approx(ref["raw_alpha"], abs=1e-10)


def test_reliability__omega_unavailable_keeps_alpha_and_says_why(tmp_path: Path) -> None:
    # Item-sampled rows: q1 is constant (1) on the 3 rows it shares with q2, so their Pearson
    # correlation is 0/0 and omega cannot be computed; the pairwise covariance is 0 and alpha
    # is computed — but each pair has only 3 joint answers, so it is flagged unsound.
    # Hand: var q1 (1,1,1,2,3,4) = 8/5 = 1.6, q2 (1,2,3,1,2,3) = 0.8, q3 (1,2,3,2,3,4) = 1.1;
    # cov q1q2 = 0, cov q2q3 = var(1,2,3) = 1, cov q1q3 = 1 (rows 6-8: 2,3,4 with 2,3,4);
    # alpha = 3/2 (1 - 3.5 / (3.5 + 2 (0 + 1 + 1))) = 3/2 (1 - 3.5/7.5) = 0.8
    rows: list[list[float | None]] = [
        [1, 1, None],
        [1, 2, None],
        [1, 3, None],
        [None, 1, 1],
        [None, 2, 2],
        [None, 3, 3],
        [2, None, 2],
        [3, None, 3],
        [4, None, 4],
    ]
    path = _write_case(tmp_path / "lite.csv", rows)
    out = json.loads(run(reliability_command, [path, "--items", "q1,q2,q3", "--json"]).output)
    assert out["alpha"] == pytest.approx(0.8, abs=1e-12)
    assert out["omega_total"] is None
    assert out["unavailable"]["omega_total"]["code"] == "undefined_pair"
    assert out["status"] == "unsound"
    assert "few_joint_responses" in [w["code"] for w in out["warnings"]]
    text = run(reliability_command, [path, "--items", "q1,q2,q3"]).output
    assert "UNSOUND: see the warnings" in text
    assert "omega total      —   [undefined_pair]" in text


# ---------------------------------------------------------------------------------------------
# indices on a hand-made nok_culture export
# ---------------------------------------------------------------------------------------------

#: two libraries; q15 free text, q16 the coded sex choice as its value (as exported)
NOK_CSV = """\
response_id,campaign,library,service_point,channel,q1,q2,q3,q4,q5,q6,q7,q8,q9,q10,q11,q12,q13,q14,q15,q16,q17
,c1,lib-a,,qr,1,1,1,0,1,0,,1,1,0,,1,1,1,,female,34
,c1,lib-a,,qr,1,0,0,,1,1,1,1,0,1,1,1,0,1,"Хорошо, спасибо",male,50
,c1,lib-a,,kiosk,0,,1,1,0,0,,1,1,0,,0,1,0,,,
,c1,lib-a,,kiosk,1,1,1,1,1,0,,0,1,1,0,1,1,1,,female,
,c1,lib-b,,paper,1,1,0,,1,0,,1,1,0,,1,1,1,,,
,c1,lib-b,,paper,0,,0,,0,0,,1,0,0,,0,0,0,,,
"""

CHECKLIST_CSV = """\
library,stand_info_present,stand_info_required,site_info_present,site_info_required,remote_channels,comfort_conditions,premises_accessibility,service_accessibility
lib-a,8,10,15,20,4,5,3,2
lib-b,10,10,20,20,2,3,5,5
"""

# 344n by hand (analysis.nok defaults: denominators = respondents who passed the filter and
# answered; indicators, criteria and total each rounded to 2 dp).
# lib-a, 4 responses:
#   q2 (filter q1 yes: rows 1, 2, 4) yes 1, 0, 1 -> 2/3;  q4 (q3 yes: rows 1, 3, 4) 0, 1, 1 -> 2/3
#   P_otkr_ud = 0.5 (2/3 + 2/3) 100 = 66.67;  q5 3/4 -> 75;  q7 (q6 yes: row 2) 1/1 -> 100
#   q8 3/4 -> 75, q9 3/4 -> 75, q11 (q10 yes: rows 2, 4) 1, 0 -> 50
#   q12 3/4 -> 75, q13 3/4 -> 75, q14 3/4 -> 75
#   checklist: P_inf = 0.5 (8/10 + 15/20) 100 = 77.5; P_dist = min(30*4, 100) = 100;
#   P_komf_usl = min(20*5, 100) = 100; P_org_dost = 20*3 = 60; P_usl_dost = 20*2 = 40
#   K1 = 0.3*77.5 + 0.3*100 + 0.4*66.67 = 79.918 -> 79.92
#   K2 = 0.5*100 + 0.5*75 = 87.5;  K3 = 0.3*60 + 0.4*40 + 0.3*100 = 64
#   K4 = 0.4*75 + 0.4*75 + 0.2*50 = 70;  K5 = 0.3*75 + 0.2*75 + 0.5*75 = 75
#   total = (79.92 + 87.5 + 64 + 70 + 75)/5 = 75.284 -> 75.28
# lib-b, 2 responses: nobody used the site (q3 no), nobody is disabled (q6 no), nobody used
#   remote channels (q10 no), so P_otkr_ud, P_dost_ud and P_vezhl_dist_ud are undefined and with
#   them K1, K3, K4 and the total; K2 = 0.5 min(20*3, 100) + 0.5 (1/2) 100 = 55;
#   K5 = 0.3*50 + 0.2*50 + 0.5*50 = 50
EXPECTED_NOK = {
    "lib-a": {"n": 4, "K1": 79.92, "K2": 87.5, "K3": 64.0, "K4": 70.0, "K5": 75.0, "total": 75.28},
    "lib-b": {"n": 2, "K1": None, "K2": 55.0, "K3": None, "K4": None, "K5": 50.0, "total": None},
}


@pytest.fixture
def nok_files(tmp_path: Path) -> tuple[str, str]:
    data = tmp_path / "nok.csv"
    data.write_text(NOK_CSV, encoding="utf-8")
    checklist = tmp_path / "checklist.csv"
    checklist.write_text(CHECKLIST_CSV, encoding="utf-8")
    return str(data), str(checklist)


def test_indices_json__nok_per_library_equals_hand_computation(
    nok_files: tuple[str, str],
) -> None:
    data, checklist = nok_files
    result = run(
        indices_command, [data, "--instrument", "nok_culture", "--checklist", checklist, "--json"]
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert (out["instrument"], out["version"], out["by"]) == ("nok_culture", 1, "library")
    assert set(out["groups"]) == {"lib-a", "lib-b"}
    for library, expected in EXPECTED_NOK.items():
        group = out["groups"][library]
        for key, value in expected.items():
            if value is None:
                assert group[key] is None, (library, key)
            else:
                assert group[key] == pytest.approx(value, abs=1e-9), (library, key)
    a = out["groups"]["lib-a"]["indices"]
    assert a["nok:total"]["value"] == pytest.approx(75.28, abs=1e-9)
    # the yes-share of q14 with its Wilson interval: 3 of 4, z = 1.959964, 1 + z²/n = 1.960365,
    # centre (p + z²/2n)/(1 + z²/n) = 0.627527,
    # half-width z √(p(1-p)/n + z²/4n²)/(1 + z²/n) = 0.326885 -> 0.300642 .. 0.954413
    assert a["share_satisfied:q14"]["value"] == 0.75
    assert a["share_satisfied:q14"]["ci_low"] == pytest.approx(0.300642, abs=1e-6)
    assert a["share_satisfied:q14"]["ci_high"] == pytest.approx(0.954413, abs=1e-6)
    # q17 (age) answered 34 and 50: mean 42
    assert a["mean:q17"]["value"] == 42.0
    assert a["mean:q17"]["n"] == 2


def test_indices_json__without_checklist_notes_that_nok_is_not_scored(
    nok_files: tuple[str, str],
) -> None:
    data, _ = nok_files
    out = json.loads(run(indices_command, [data, "--instrument", "nok_culture", "--json"]).output)
    assert "K1" not in out["groups"]["lib-a"]
    assert out["notes"] == ["nok: no expert checklist given, so K1-K5 and the total are not scored"]
    # q2 answered 1, 0, 1 by lib-a
    assert out["groups"]["lib-a"]["indices"]["share_satisfied:q2"]["value"] == pytest.approx(2 / 3)


def test_indices_json__nok_item_shares_follow_the_skip_filters(tmp_path: Path) -> None:
    # lib-a's third respondent said "no" to q1 (stands) yet answered q2 "yes"
    lines = NOK_CSV.splitlines()
    lines[3] = lines[3].replace(",kiosk,0,,1,", ",kiosk,0,1,1,")
    data = tmp_path / "violator.csv"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = json.loads(
        run(indices_command, [data.as_posix(), "--instrument", "nok_culture", "--json"]).output
    )
    a = out["groups"]["lib-a"]["indices"]
    # q2 among the stand users (rows 1, 2, 4): 1, 0, 1 -> 2/3 (with the violator: 3/4)
    assert a["share_satisfied:q2"]["value"] == pytest.approx(2 / 3)
    assert a["share_satisfied:q2"]["n"] == 3
    # filter questions are usage shares: 3 of lib-a's 4 used the stands, 1 of 4 is disabled
    assert "share_satisfied:q1" not in a and "share_satisfied:q6" not in a
    assert a["share_yes:q1"]["value"] == 0.75
    assert a["share_yes:q6"]["value"] == 0.25


STANDARD_YAML = """\
id: test_standard
normative: false
notice: test
versions:
  - version: "t1"
    effective_from: 2020-01-01
    effective_to: null
    indicators:
      "nok:total": {target: 70, unit: points}
      "nok:K2": {target: 60, unit: points}
      "share_satisfied:q8": {target: 0.3, unit: proportion}
      "share_satisfied:q14": {target: 0.5, unit: proportion}
"""


def test_indices_json__standard_gives_verdicts(nok_files: tuple[str, str], tmp_path: Path) -> None:
    data, checklist = nok_files
    standard = tmp_path / "standard.yaml"
    standard.write_text(STANDARD_YAML, encoding="utf-8")
    args = [
        data,
        "--instrument",
        "nok_culture@1",
        "--checklist",
        checklist,
        "--standard",
        str(standard),
        "--min-n",
        "2",
        "--json",
    ]
    out = json.loads(run(indices_command, args).output)
    assert out["standard"]["id"] == "test_standard"
    a = out["groups"]["lib-a"]["verdicts"]
    b = out["groups"]["lib-b"]["verdicts"]
    # NOK scores carry no interval: the point value decides (75.28 >= 70; 87.5 >= 60; 55 < 60)
    assert a["nok:total"]["verdict"] == "meets"
    assert a["nok:K2"]["verdict"] == "meets"
    assert b["nok:K2"]["verdict"] == "below"
    # lib-b's total is undefined
    assert b["nok:total"]["verdict"] == "insufficient data"
    # q8 in lib-b: 2 of 2, Wilson low = 1/(1 + z²/2) = 0.3424 >= 0.3
    assert b["share_satisfied:q8"]["verdict"] == "meets"
    # q14 in lib-a: 3/4, Wilson 0.301 .. 0.954 straddles 0.5
    assert a["share_satisfied:q14"]["verdict"] == "indeterminate"
    assert set(a) == {"nok:total", "nok:K2", "share_satisfied:q8", "share_satisfied:q14"}


def test_indices_json__min_n_turns_small_libraries_into_insufficient_data(
    nok_files: tuple[str, str], tmp_path: Path
) -> None:
    data, checklist = nok_files
    standard = tmp_path / "standard.yaml"
    standard.write_text(STANDARD_YAML, encoding="utf-8")
    args = [
        data,
        "--instrument",
        "nok_culture",
        "--checklist",
        checklist,
        "--standard",
        str(standard),
        "--json",
    ]  # default --min-n 30
    out = json.loads(run(indices_command, args).output)
    verdicts = [v["verdict"] for g in out["groups"].values() for v in g["verdicts"].values()]
    assert set(verdicts) == {"insufficient data"}


def test_indices_text__lists_indicators_with_verdicts(
    nok_files: tuple[str, str], tmp_path: Path
) -> None:
    data, checklist = nok_files
    standard = tmp_path / "standard.yaml"
    standard.write_text(STANDARD_YAML, encoding="utf-8")
    result = run(
        indices_command,
        [
            data,
            "--instrument",
            "nok_culture",
            "--checklist",
            checklist,
            "--standard",
            str(standard),
            "--min-n",
            "2",
        ],
    )
    assert result.exit_code == 0
    assert "standard test_standard t1 (NOT normative)" in result.output
    assert "library lib-a: n = 4" in result.output
    line = next(x for x in result.output.splitlines() if x.strip().startswith("nok:total"))
    assert line.split()[1] == "75.280"
    assert line.endswith("meets (target 70.0)")


def test_indices_json__by_channel_groups_by_that_column(nok_files: tuple[str, str]) -> None:
    data, _ = nok_files
    out = json.loads(
        run(
            indices_command, [data, "--instrument", "nok_culture", "--by", "channel", "--json"]
        ).output
    )
    assert out["by"] == "channel"
    assert {k: g["n"] for k, g in out["groups"].items()} == {"kiosk": 2, "paper": 2, "qr": 2}
    # q14 yes: qr rows 1, 1; kiosk rows 0, 1; paper 1, 0
    assert out["groups"]["kiosk"]["indices"]["share_satisfied:q14"]["value"] == 0.5


def test_indices_json__by_service_point_puts_empty_cells_in_one_group(
    nok_files: tuple[str, str],
) -> None:
    data, _ = nok_files
    args = [data, "--instrument", "nok_culture", "--by", "service_point", "--json"]
    out = json.loads(run(indices_command, args).output)
    # no row names a service point: all six responses form the group ""
    assert {k: g["n"] for k, g in out["groups"].items()} == {"": 6}
    # q14 yes in rows 1, 2, 4, 5 of 6
    assert out["groups"][""]["indices"]["share_satisfied:q14"]["value"] == pytest.approx(4 / 6)


RATING_YAML = """\
id: mini_rating
version: 3
locales: [ru]
title: {ru: Мини}
sections:
  - id: s
    title: {ru: Раздел}
    items:
      - {id: a, type: likert, min: 1, max: 5, text: {ru: А}}
      - {id: b, type: likert, min: 1, max: 5, text: {ru: Б}}
      - {id: c, type: likert, min: 1, max: 5, text: {ru: В}}
      - {id: r, type: nps, text: {ru: Порекомендуете?}}
scales:
  - {id: sc, title: {ru: Шкала}, items: [a, b, c], reverse: [c]}
"""


def test_indices_json__yaml_definition_gives_ratings_scale_alpha_and_nps(tmp_path: Path) -> None:
    (tmp_path / "mini.yaml").write_text(RATING_YAML, encoding="utf-8")
    (tmp_path / "d.csv").write_text(
        "library,a,b,c,r\nx,1,2,5,10\nx,2,2,4,9\nx,3,3,3,7\nx,4,5,2,3\nx,5,4,,0\n",
        encoding="utf-8",
    )
    result = run(
        indices_command,
        [str(tmp_path / "d.csv"), "--instrument", str(tmp_path / "mini.yaml"), "--json"],
    )
    out = json.loads(result.output)
    ind = out["groups"]["x"]["indices"]
    assert (out["instrument"], out["version"]) == ("mini_rating", 3)
    # a = 1..5: mean 3; top-2 box (4 or 5) 2 of 5
    assert ind["mean:a"]["value"] == 3.0
    assert ind["share_satisfied:a"]["value"] == pytest.approx(0.4)
    # NPS: promoters 10, 9 (2), detractors 3, 0 (2) of 5 -> 0
    assert ind["nps:r"]["value"] == pytest.approx(0.0)
    # scale score: mean of a, b, 6 - c per respondent: 4/3, 2, 3, 13/3, 4.5 (c missing)
    assert ind["scale:sc"]["value"] == pytest.approx((4 / 3 + 2 + 3 + 13 / 3 + 4.5) / 5)
    # alpha over the same rows (pairwise): see test_reliability__semicolon_csv_with_empty_cells
    # for the complete rows; here all 5 rows enter the pairwise covariances
    assert ind["alpha:sc"]["n"] == 5
    assert 0.0 < ind["alpha:sc"]["value"] < 1.0


def test_indices_json__failed_alpha_keeps_its_name_n_and_reason(tmp_path: Path) -> None:
    # issue 10 §2: a group whose alpha cannot be computed is listed as alpha:<scale> with its
    # n, a reason code and a message (it used to become "alpha:nan" and vanish)
    (tmp_path / "mini.yaml").write_text(RATING_YAML, encoding="utf-8")
    (tmp_path / "d.csv").write_text(
        "library,a,b,c,r\nx,1,2,5,10\nx,2,2,4,9\nx,3,3,3,7\nx,4,5,2,3\nx,5,4,,0\n"
        "y,1,2,5,10\ny,2,2,4,9\ny,3,3,3,7\n",
        encoding="utf-8",
    )
    args = [str(tmp_path / "d.csv"), "--instrument", str(tmp_path / "mini.yaml")]
    out = json.loads(run(indices_command, [*args, "--json"]).output)
    small = out["groups"]["y"]["indices"]["alpha:sc"]
    assert small["value"] is None
    assert small["n"] == 3
    assert (small["status"], small["reason"]) == ("unavailable", "insufficient_data")
    assert "n = 3 respondents" in small["note"]
    # x: 5 rows, c unanswered once, so c's pairs rest on 4 joint answers (< min(10, 5))
    x = out["groups"]["x"]["indices"]["alpha:sc"]
    assert x["status"] == "unsound"
    assert x["reason"].split(",")[0] == "few_joint_responses"
    assert x["value"] is not None
    text = run(indices_command, args).output
    assert "unavailable [insufficient_data] insufficient data: n = 3 respondents" in text


@pytest.mark.parametrize(
    ("csv_text", "args", "message"),
    [
        ("library,q1\nlib,1\n", ["--instrument", "nok_culture"], "q2 RPT001"),
        (
            NOK_CSV.replace(",1,1,1,0,1,0,", ",1,1,да?,0,1,0,", 1),
            ["--instrument", "nok_culture"],
            "q3 RPT002",
        ),
        (NOK_CSV, ["--instrument", "no_such"], "no instrument 'no_such'"),
        (NOK_CSV, ["--instrument", "nok_culture@7"], "no instrument 'nok_culture@7'"),
        (
            NOK_CSV,
            ["--instrument", "nok_culture", "--standard", "nowhere.yaml"],
            "no standard file",
        ),
    ],
)
def test_indices__bad_input_exits_with_message(
    tmp_path: Path, csv_text: str, args: list[str], message: str
) -> None:
    (tmp_path / "d.csv").write_text(csv_text, encoding="utf-8")
    result = CliRunner().invoke(indices_command, [str(tmp_path / "d.csv"), *args])
    assert result.exit_code == 1
    assert message in result.output


def test_commands__registered_on_the_survey_app_cli() -> None:
    app = Flask("registration")
    register_commands(app)
    assert app.cli.commands["reliability"] is reliability_command
    assert app.cli.commands["indices"] is indices_command


# ---------------------------------------------------------------------------------------------
# input the regional offices have (issue 10 §5): what `import responses` accepts
# ---------------------------------------------------------------------------------------------


def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_reliability__decimal_commas_in_a_semicolon_file(tmp_path: Path) -> None:
    # a = -1, -0.5, 0, 0.5, 1, 1.5; b = -3, 0, -1, 1, 2, 2; c = -3, -1, 1, 0, 3, 2
    # item variances 7/8, 113/30, 14/3 (sum 1117/120); totals -7, -1.5, 0, 1.5, 6, 5.5 ->
    # variance 931/40; alpha = 3/2 (1 - (1117/120)/(931/40)) = 3/2 (1 - 1117/2793)
    text = "a;b;c\n-1;-3;-3\n-0,5;0;-1\n0;-1;1\n0,5;1;0\n1;2;3\n1,5;2;2\n"
    path = _write(tmp_path, "comma.csv", text)
    result = run(reliability_command, [path, "--items", "a,b,c", "--json"])
    assert result.exit_code == 0, result.output
    expected = 1.5 * (1 - 1117 / 2793)
    assert json.loads(result.output)["alpha"] == pytest.approx(expected, abs=1e-12)


def test_reliability__yes_no_spellings_of_the_import(tmp_path: Path) -> None:
    # a = 1, 1, 0, 0; b = 1, 1, 1, 0; c = 1, 0, 0, 0: variances 1/3, 1/4, 1/4 (sum 5/6);
    # totals 3, 2, 1, 0 -> variance 5/3; KR-20 = alpha = 3/2 (1 - (5/6)/(5/3)) = 0.75
    text = "a,b,c\nда,yes,1\nДа,да,нет\nнет,true,no\nНЕТ,0,false\n"
    result = run(
        reliability_command,
        [_write(tmp_path, "yn.csv", text), "--items", "a,b,c", "--min-n", "4", "--json"],
    )  # four respondents: below the default minimum, allowed here to check the spellings
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["alpha"] == pytest.approx(0.75, abs=1e-12)


@pytest.mark.parametrize("scale", [["--scale", "-3..3"], ["--scale=-3-3"], ["--scale", "-3:3"]])
def test_reliability__negative_scale_range(tmp_path: Path, scale: list[str]) -> None:
    # b reversed on -3..3 is -b: a = -2..3, b' = -3, 0, -1, 1, 2, 2, c = -3, -1, 1, 0, 3, 2
    # variances 7/2, 113/30, 14/3 (sum 179/15); totals -8, -2, -1, 2, 7, 7 -> variance 164/5
    # alpha = 3/2 (1 - (179/15)/(164/5)) = 3/2 (1 - 179/492) = 0.954268292682...
    text = "a,b,c\n-2,3,-3\n-1,0,-1\n0,1,1\n1,-1,0\n2,-2,3\n3,-2,2\n"
    args = [_write(tmp_path, "neg.csv", text), "--items", "a,b,c", "--reverse", "b", *scale]
    result = run(reliability_command, [*args, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["alpha"] == pytest.approx(1.5 * (1 - 179 / 492), abs=1e-12)


def test_reliability__na_is_missing_other_text_is_an_error(tmp_path: Path) -> None:
    # docs/data-format.md: an empty cell and R's NA mean no answer; any other text is an error
    text = "a,b,c\n-1,-3,-3\n-0.5,0,-1\n0,-1,1\n0.5,1,0\n1,2,3\n1.5,2,2\n{}\n"
    empty = run(
        reliability_command,
        [_write(tmp_path, "e.csv", text.format("2,,3")), "--items", "a,b,c", "--json"],
    )
    na = run(
        reliability_command,
        [_write(tmp_path, "na.csv", text.format("2,NA,3")), "--items", "a,b,c", "--json"],
    )
    assert na.exit_code == 0, na.output
    assert json.loads(na.output) == json.loads(empty.output)
    assert json.loads(na.output)["n_respondents"] == 7
    result = run(
        reliability_command,
        [_write(tmp_path, "nd.csv", text.format("2,н/д,3")), "--items", "a,b,c"],
    )
    assert result.exit_code == 1
    assert "column b, data row 7: 'н/д' is not a number or yes/no" in result.output
    assert "leave the cell empty for no answer" in result.output


def test_reliability__column_named_twice_names_both_columns(tmp_path: Path) -> None:
    path = _write(tmp_path, "dup.csv", "a,b,c,b\n1,2,3,4\n2,3,4,5\n")
    result = run(reliability_command, [path, "--items", "a,b,c"])
    assert result.exit_code == 1
    assert "column 'b' is named twice (columns 2 and 4)" in result.output


def test_reliability__one_row_gets_a_message_and_no_numpy_warning(tmp_path: Path) -> None:
    path = _write(tmp_path, "one.csv", "a,b,c\n1,2,3\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = run(reliability_command, [path, "--items", "a,b,c"])
    assert result.exit_code == 1
    assert "1 response row(s); reliability needs at least 2 respondents" in result.output
    assert [str(w.message) for w in caught] == []


def test_indices__yes_no_spelled_in_russian_give_the_same_nok(
    nok_files: tuple[str, str], tmp_path: Path
) -> None:
    data, checklist = nok_files
    lines = Path(data).read_text(encoding="utf-8").splitlines()
    spelled = [lines[0]]
    for line in lines[1:]:
        cells = next(csv.reader([line]))
        for k in range(5, 19):  # q1..q14
            cells[k] = {"1": "да", "0": "Нет"}.get(cells[k], cells[k])
        spelled.append(",".join(f'"{c}"' if "," in c else c for c in cells))
    path = _write(tmp_path, "da.csv", "\n".join(spelled) + "\n")
    result = run(
        indices_command, [path, "--instrument", "nok_culture", "--checklist", checklist, "--json"]
    )
    assert result.exit_code == 0, result.output
    a = json.loads(result.output)["groups"]["lib-a"]
    for key, value in EXPECTED_NOK["lib-a"].items():
        assert a[key] == pytest.approx(value, abs=1e-9), key


def test_indices__messages_carry_plain_numbers(tmp_path: Path) -> None:
    header = (
        "library,lending,reading_room,reference,events,online,staff,premises,overall,nps,comment"
    )
    path = _write(tmp_path, "nps.csv", f"{header}\na,5,4,3,2,1,4,4,5,9,\na,4,4,5,2,1,4,4,5,11,\n")
    result = run(indices_command, [path, "--instrument", "satisfaction_short"])
    assert result.exit_code == 1
    assert "outside its declared range [0.0, 10.0], e.g. 11" in result.output
    assert "np." not in result.output
