"""What a report run and the results pages compute with loads neither ``scipy.stats`` nor
statsmodels.

Importing ``scipy.stats`` takes about half a second and ~25 MB: paid by a worker for every
report run, and by the dashboard's first request (its funnel limits). These modules take
their quantiles from ``scipy.special`` instead (the functions ``scipy.stats`` itself calls);
each check runs in a fresh interpreter and reads ``sys.modules`` there.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: the statistics of a report run (stream, screening, finalising, standards, shrinkage) and
#: of the pages that read it (the dashboard's funnel plot)
LEAN = (
    "analysis.accumulator",
    "analysis.combine",
    "analysis.estimators",
    "analysis.funnel",
    "analysis.plan_tables",
    "analysis.reliability",
    "analysis.results",
    "analysis.screening",
    "analysis.shrinkage",
    "analysis.standards",
)


def heavy_loaded_by(module: str) -> dict[str, bool]:
    code = (
        f"import sys, json, {module}\n"
        "print(json.dumps({n: n in sys.modules for n in ('scipy.stats', 'statsmodels')}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    loaded: dict[str, bool] = json.loads(out.strip().splitlines()[-1])
    return loaded


@pytest.mark.parametrize("module", LEAN)
def test_module__loads_neither_scipy_stats_nor_statsmodels(module: str) -> None:
    assert heavy_loaded_by(module) == {"scipy.stats": False, "statsmodels": False}


def test_check__sees_a_module_that_loads_scipy_stats() -> None:
    """Guard: the probe reports scipy.stats where it is certainly loaded."""
    assert heavy_loaded_by("analysis.trends")["scipy.stats"] is True


def test_funnel_limits__are_the_normal_quantiles_of_scipy_stats() -> None:
    from scipy import stats

    from analysis.funnel import Z95
    from analysis.funnel import Z998

    assert abs(Z95 - stats.norm.ppf(0.975)) <= 1e-15
    assert abs(Z998 - stats.norm.ppf(0.999)) <= 1e-15
    assert (round(Z95, 6), round(Z998, 6)) == (1.959964, 3.090232)  # published tables
