"""Start-up benchmark of the ``survey-app`` command line (issue 10 §6).

Run:  python benchmarks/cli_startup.py [--repeat 7] [--rows 1000]

Times, in fresh Python processes started from the repository root, each ``--repeat`` times:

1. ``python -c pass`` — the interpreter alone, the baseline of the same run;
2. ``survey-app --help`` — the command group and the list of commands;
3. ``survey-app reliability FILE --items ...`` on a synthetic file of ``--rows`` rows and five
   six-point items (about 3 % missing cells), written to a temporary folder.

The commands are started as ``python -c "from survey_app.cli import main; main()" ARGS``, so
the code of this checkout is measured (the installed ``survey-app`` script may point at
another one). For each it reports the median and the minimum wall time, the median CPU time
(user + system of the child, from ``os.wait4``), and the ratios of the medians to the
baseline: on a shared machine the absolute times move with the load, the ratios much less.
The issue's goals are ``--help`` < 0.5 s and ``reliability`` on 1,000 rows < 1.5 s.

Prints one JSON object as its last line. Nothing here is a test: it only prints figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CLI = "from survey_app.cli import main; main()"
ITEMS = ("i1", "i2", "i3", "i4", "i5")


def write_items(path: Path, rows: int, seed: int = 20261204) -> None:
    """A one-factor six-point scale with about 3 % empty cells."""
    rng = np.random.default_rng(seed)
    factor = rng.normal(size=rows)
    values = np.clip(np.round(3.5 + factor[:, None] + rng.normal(size=(rows, len(ITEMS)))), 1, 6)
    empty = rng.random(values.shape) < 0.03
    lines = ["library," + ",".join(ITEMS)]
    for k in range(rows):
        cells = ["" if empty[k, j] else str(int(values[k, j])) for j in range(len(ITEMS))]
        lines.append("lib-001," + ",".join(cells))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def run_once(args: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one child process; raises if it fails."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, *args], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode != 0:
        raise RuntimeError(f"{args} exited with {proc.returncode}: {stderr}")
    return wall, usage.ru_utime + usage.ru_stime


def measure(args: list[str], repeat: int) -> dict[str, float]:
    run_once(args)  # warm the file cache
    walls, cpus = zip(*(run_once(args) for _ in range(repeat)), strict=True)
    return {
        "wall_median_s": round(statistics.median(walls), 4),
        "wall_min_s": round(min(walls), 4),
        "cpu_median_s": round(statistics.median(cpus), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--rows", type=int, default=1000)
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "items.csv"
        write_items(data, opts.rows)
        cases = {
            "python_pass": ["-c", "pass"],
            "help": ["-c", CLI, "--help"],
            "reliability": ["-c", CLI, "reliability", str(data), "--items", ",".join(ITEMS)],
        }
        results = {name: measure(args, opts.repeat) for name, args in cases.items()}
    base = results["python_pass"]
    for name in ("help", "reliability"):
        results[name]["wall_vs_python_pass"] = round(
            results[name]["wall_median_s"] / base["wall_median_s"], 2
        )
        results[name]["cpu_vs_python_pass"] = round(
            results[name]["cpu_median_s"] / base["cpu_median_s"], 2
        )
    for name, figures in results.items():
        print(f"{name:<12} " + "  ".join(f"{k} {v}" for k, v in figures.items()))
    goals = {
        "help_below_0_5_s": results["help"]["wall_median_s"] < 0.5,
        "reliability_below_1_5_s": results["reliability"]["wall_median_s"] < 1.5,
    }
    summary = {
        "rows": opts.rows,
        "repeat": opts.repeat,
        "load_average": os.getloadavg()[0],
        **results,
        "goals_met": goals,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
