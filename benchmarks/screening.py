"""Screening benchmark: the careless-response screening of one batch, old code against new.

Run:  python benchmarks/screening.py [--rows 50000] [--repeat 5] [--old-ref f964a2a]

One batch as a report run screens it (``survey_app.services.careless``: ``--rows`` responses
of the 30-item instrument of ``benchmarks/analysis.py``, 3 % careless — half of them
straight-lining, half answering at random — who also spend 3 s on each six-item page):

* **old** — ``analysis/screening.py`` as it is at ``--old-ref`` (default ``f964a2a``, the
  last commit whose screening went through pandas frames; the modules it imports, e.g.
  ``PairwiseMoments``, are this checkout's), read with
  ``git show`` and loaded as a module for this run only, called the way the report run
  called it there: the matrix made a DataFrame, the page seconds a long timings frame, then
  ``screen_responses``;
* **new** — this checkout's ``analysis.screen_matrix`` on the matrix and the page seconds;
* **new_frame** — this checkout's ``analysis.screen_responses`` on the same frames as old.

For each: the best and median wall time of ``--repeat`` calls and the peak of the memory
the call allocates (``tracemalloc``, one more call). Then checks that old and new flag the
same responses and give the same statistics (largest absolute difference of each).
The last line is one JSON object. Nothing here is a test.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
import types
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.analysis import ITEMS  # noqa: E402
from benchmarks.analysis import answers_block  # noqa: E402

#: the last commit whose screening went through pandas frames (the baseline of 2026-12-05)
OLD_REF = "f964a2a"
PAGES = 5
PAGE_ITEMS = 6.0
CARELESS = 0.03


def old_module(ref: str) -> types.ModuleType:
    """``analysis/screening.py`` at ``ref``, loaded as a module of its own (not committed)."""
    source = subprocess.run(
        ["git", "show", f"{ref}:analysis/screening.py"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    module = types.ModuleType("screening_at_" + ref.replace("/", "_"))
    module.__file__ = f"{ref}:analysis/screening.py"
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(source, module.__file__, "exec"), module.__dict__)  # the old code, for timing
    return module


def batch(rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Answers (rows × 30, NaN = missing) and page seconds (rows × 5) of one batch."""
    rng = np.random.default_rng(seed)
    x = answers_block(rng, rng.normal(0.0, 0.25, rows))
    careless = rng.random(rows) < CARELESS
    straight = careless & (rng.random(rows) < 0.5)
    x[straight] = rng.integers(1, 6, (int(straight.sum()), 1)).astype(float)
    noisy = careless & ~straight
    x[noisy] = rng.integers(1, 6, (int(noisy.sum()), x.shape[1])).astype(float)
    seconds = np.where(careless[:, None], 3.0, rng.uniform(20, 90, (rows, PAGES)).round(1))
    seconds[rng.random(seconds.shape) < 0.02] = np.nan  # a page without a time now and then
    return np.ascontiguousarray(x), seconds


def frames(x: np.ndarray, seconds: np.ndarray) -> tuple[Any, Any]:
    """The frames the report run built on main: the items and the long page timings."""
    import pandas as pd

    data = pd.DataFrame(x, columns=ITEMS)
    timed, page = np.nonzero(~np.isnan(seconds))
    timings = pd.DataFrame(
        {
            "response_id": timed,
            "page": np.array([f"page_s{p + 1}" for p in range(PAGES)], dtype=object)[page],
            "seconds": seconds[timed, page],
            "n_items": np.full(timed.size, PAGE_ITEMS),
        }
    )
    return data, timings


def measure(function: Callable[[], Any], repeat: int) -> tuple[Any, dict[str, float]]:
    times = []
    result = None
    for _ in range(repeat):
        began = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - began)
    tracemalloc.start()
    function()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return result, {
        "best_s": round(min(times), 4),
        "median_s": round(statistics.median(times), 4),
        "peak_alloc_mb": round(peak / 1e6, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000, help="Responses in the batch.")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20261205)
    parser.add_argument(
        "--old-ref",
        default=OLD_REF,
        help="Git revision of the old code (default: the last before the numpy screening).",
    )
    args = parser.parse_args()
    if args.rows < 10 or args.repeat < 1:
        parser.error("--rows must be at least 10 and --repeat at least 1")

    import analysis

    try:
        old = old_module(args.old_ref)
    except subprocess.CalledProcessError as error:
        parser.error(
            f"cannot read analysis/screening.py at {args.old_ref!r}: {error.stderr.strip()}"
        )
    x, seconds = batch(args.rows, args.seed)
    items = list(ITEMS)

    def run_old() -> Any:
        data, timings = frames(x, seconds)  # part of the old path's cost, as in the run
        return old.screen_responses(data, items=items, timings=timings)

    def run_new() -> Any:
        return analysis.screen_matrix(x, page_seconds=seconds, page_items=[PAGE_ITEMS] * PAGES)

    def run_new_frame() -> Any:
        data, timings = frames(x, seconds)
        return analysis.screen_responses(data, items=items, timings=timings)

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        old_out, old_fig = measure(run_old, args.repeat)
        new_out, new_fig = measure(run_new, args.repeat)
        frame_out, frame_fig = measure(run_new_frame, args.repeat)

    differences: dict[str, float] = {}
    identical = True
    for column in old_out.columns:
        a = old_out[column].to_numpy(dtype=float)
        for b in (np.asarray(new_out[column], dtype=float), frame_out[column].to_numpy(float)):
            identical = identical and bool(np.array_equal(a, b, equal_nan=True))
            both = ~np.isnan(a) & ~np.isnan(b)
            gap = float(np.max(np.abs(a[both] - b[both]), initial=0.0))
            differences[column] = max(differences.get(column, 0.0), gap)
    flags_equal = bool(
        np.array_equal(old_out["flagged"].to_numpy(bool), new_out["flagged"])
        and np.array_equal(old_out["flagged"].to_numpy(bool), frame_out["flagged"].to_numpy())
    )
    load = os.getloadavg()
    result = {
        "benchmark": "screening",
        "rows": args.rows,
        "items": len(items),
        "repeat": args.repeat,
        "old_ref": args.old_ref,
        "load_average": [round(v, 2) for v in load],
        "old": old_fig,
        "new": new_fig,
        "new_frame": frame_fig,
        "speedup_best": round(old_fig["best_s"] / new_fig["best_s"], 2),
        "speedup_median": round(old_fig["median_s"] / new_fig["median_s"], 2),
        "frame_speedup_median": round(old_fig["median_s"] / frame_fig["median_s"], 2),
        "flagged": int(old_out["flagged"].sum()),
        "flags_equal": flags_equal,
        "statistics_identical": identical,
        "max_abs_difference": differences,
    }
    print(
        f"old {old_fig['median_s']} s, new {new_fig['median_s']} s "
        f"({result['speedup_median']}×), flags equal: {flags_equal}",
        file=sys.stderr,
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
