"""Smoke test of benchmarks/reports.py at a small size: it loads, computes a run, serves the
pages and prints one JSON object as its last line (on the test database's kind)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_reports_benchmark__runs_small_and_ends_with_one_json_object():
    database = os.environ.get("SURVEY_TEST_DATABASE_URL") or "sqlite://"
    output = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "reports.py"),
            "--database",
            database,
            "--responses",
            "600",
            "--libraries",
            "12",
            "--requests",
            "2",
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    ).stdout
    result = json.loads(output.strip().splitlines()[-1])

    assert result["benchmark"] == "reports"
    assert result["data"]["responses"] == 600
    assert result["report_run"]["status"] == "done"
    assert result["report_run"]["responses"] == result["analysis_alone"]["responses"] == 600
    assert result["report_run"]["libraries"] == 12
    # the app's worker process imports more than the run's own modules
    assert result["report_run"]["worker_imports_mb"] > result["report_run"]["peak_mb_after_imports"]
    assert {"dashboard", "funnel_svg", "library_page"} <= set(result["pages"])
    assert result["pages"]["dashboard"]["warm_median_ms"] > 0
    # the screening's own CPU time, and the same run without it: no careless-share rows
    # (one per library and roll-up), no screening time
    assert result["report_run"]["screening_cpu_seconds"] > 0
    unscreened = result["report_run"]["without_screening"]
    assert unscreened["screening_cpu_seconds"] == 0
    assert 0 < unscreened["result_rows"] < result["report_run"]["result_rows"]
    # the machine's speed beside the figures: seconds of the same fixed loop, twice
    loops = result["machine"]["python_loop_seconds"]
    assert set(loops) == {"before_runs", "after_pages"}
    assert all(0 < seconds < 60 for seconds in loops.values())
    # the run timed against the issue-time analysis, from the repository's history
    baseline = result["baseline_analysis"]
    assert baseline["commit"] == "3ba239d"
    if history_has("3ba239d"):
        assert baseline["seconds"] > 0 and baseline["peak_mb"] > 0
        expected = round(result["report_run"]["seconds"] / baseline["seconds"], 2)
        assert result["report_run"]["vs_baseline"] == expected
        assert result["goals"]["run_no_slower_than_baseline"] == (expected <= 1.0)
    else:  # a shallow clone: the benchmark says so and goes on
        assert "3ba239d" in baseline["error"]
        assert result["goals"]["run_no_slower_than_baseline"] is None


def history_has(commit: str) -> bool:
    found = subprocess.run(
        ["git", "-C", str(ROOT), "cat-file", "-e", f"{commit}^{{commit}}"],
        capture_output=True,
        check=False,
    )
    return found.returncode == 0
