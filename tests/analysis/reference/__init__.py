"""Reference numbers for the analysis tests and the shared test data they refer to.

``psych_reliability.json`` is written by ``psych_reliability.R`` and
``psych_small_samples.json`` by ``psych_small_samples.R`` (R 4.2.2, psych 2.2.9); run
``Rscript tests/analysis/reference/<name>.R`` from the repository root to regenerate them.
The data files live in ``tests/data`` (sources and licences in its README).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

REFERENCE_DIR = Path(__file__).resolve().parent
#: the public datasets and R outputs the tests compare with (GPL: test data only)
DATA_DIR = Path(__file__).resolve().parents[2] / "data"

#: bfi.keys of psych: the reverse-keyed items of each Big Five scale (1..6 response scale).
BFI_SCALES = ("A", "C", "E", "N", "O")


@cache
def psych_reliability() -> dict[str, Any]:
    """The R psych reference numbers (parsed JSON)."""
    with (REFERENCE_DIR / "psych_reliability.json").open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


@cache
def psych_small_samples() -> dict[str, Any]:
    """R psych's small-sample references (``psych_small_samples.R``; data inside the JSON)."""
    with (REFERENCE_DIR / "psych_small_samples.json").open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


@cache
def psych_fa() -> dict[str, Any]:
    """R psych's factor-analysis references (``psych_fa.R``)."""
    with (REFERENCE_DIR / "psych_fa.json").open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def _data_file(name: str) -> Path:
    """The path of a file in ``tests/data`` (a missing file fails the test, never skips it)."""
    return DATA_DIR / name


@cache
def bfi() -> pd.DataFrame:
    """psych's bfi (2800 respondents, 25 items A1..O5 plus gender, education, age)."""
    return pd.read_csv(_data_file("bfi.csv"), index_col=0)


@cache
def pingouin_wide_missing() -> pd.DataFrame:
    """pingouin's cronbach_wide_missing (12 × 11 binary items; the file has a UTF-8 BOM)."""
    return pd.read_csv(_data_file("pingouin_cronbach_wide_missing.csv"), encoding="utf-8-sig")


@cache
def pingouin_long_as_wide() -> pd.DataFrame:
    """pingouin's cronbach_alpha long data (15 subjects × Q1..Q10) pivoted to wide."""
    long = pd.read_csv(_data_file("pingouin_cronbach_alpha_long.csv"))
    wide = long.pivot(index="Subj", columns="Items", values="Scores")
    return wide[[f"Q{i}" for i in range(1, 11)]]
