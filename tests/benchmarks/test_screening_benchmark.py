"""Smoke test of benchmarks/screening.py at a small size: it loads a screening from git
(here the checkout's own ``HEAD``, which every clone has: the frame path of
``screen_responses`` against ``screen_matrix``), times both, and prints one JSON object as
its last line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_screening_benchmark__runs_small_and_ends_with_one_json_object():
    output = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "screening.py"), "--rows", "3000"]
        + ["--repeat", "1", "--old-ref", "HEAD"],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    ).stdout
    result = json.loads(output.strip().splitlines()[-1])

    assert result["benchmark"] == "screening"
    assert result["rows"] == 3000
    assert result["flagged"] > 0
    assert result["flags_equal"] is True
    assert result["old"]["median_s"] > 0 and result["new"]["median_s"] > 0
