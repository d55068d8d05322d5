"""Shared input validation for :mod:`analysis` (raises TypeError / ValueError, never asserts).

Also holds the declared-range reverse keying used by the reliability functions, because it
is mostly validation: the range of every reversed item must be declared by the caller (from
the questionnaire definition), and observed values outside a declared range are an error.
"""

from __future__ import annotations

from collections.abc import Collection
from collections.abc import Hashable
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any
from typing import TypeAlias

import numpy as np
import pandas as pd

__all__ = [
    "ScaleRange",
    "check_choice",
    "check_ci",
    "check_level",
    "check_observed_range",
    "check_positive_int",
    "item_frame",
    "item_ranges",
    "keyed_items",
    "numeric_column",
    "require_columns",
    "require_frame",
]

#: A declared response range: one (min, max) for every item, or a mapping item -> (min, max).
ScaleRange: TypeAlias = "tuple[float, float] | Mapping[str, tuple[float, float]] | None"


def check_choice(name: str, value: object, allowed: Iterable[object]) -> None:
    """Raise ValueError unless ``value`` is one of ``allowed``."""
    allowed = tuple(allowed)
    if value not in allowed:
        raise ValueError(f"{name} must be one of {allowed!r}, got {value!r}")


def check_level(name: str, value: object) -> float:
    """Return ``value`` as a float strictly between 0 and 1 (a confidence level)."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating):
        raise TypeError(f"{name} must be a number between 0 and 1, got {type(value).__name__}")
    level = float(value)
    if not 0.0 < level < 1.0:
        raise ValueError(f"{name} must be strictly between 0 and 1, got {level!r}")
    return level


def check_ci(ci: float) -> None:
    """Raise ValueError unless ``ci`` lies strictly between 0 and 1.

    The check of funnel, shrinkage and trends. Unlike :func:`check_level` it does not check
    the type first: anything that compares with floats passes if it is in range, ``True``
    and ``False`` fail with ValueError, and a non-comparable value fails with the TypeError
    of the comparison.
    """
    if not 0.0 < ci < 1.0:
        raise ValueError("ci must be in (0, 1)")


def check_positive_int(name: str, value: object) -> int:
    """Return ``value`` if it is an integer >= 1."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value!r}")
    return int(value)


def require_frame(data: object, name: str = "data") -> pd.DataFrame:
    """Return ``data`` if it is a DataFrame; raise TypeError otherwise."""
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame, got {type(data).__name__}")
    return data


def require_columns(data: pd.DataFrame, columns: Sequence[str], name: str = "data") -> None:
    """Raise ValueError naming the ``columns`` that ``data`` does not have."""
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise ValueError(f"{name} is missing column(s): {missing}")


def numeric_column(values: pd.Series, name: str) -> np.ndarray:
    """Return ``values`` as a float64 array (missing -> NaN).

    Strings that parse as numbers are converted (``pandas.to_numeric``); anything else
    raises TypeError naming the column ``name``.
    """
    try:
        series = pd.to_numeric(values, errors="raise")
    except (ValueError, TypeError) as exc:
        raise TypeError(f"column {name!r} must be numeric") from exc
    return np.asarray(series.to_numpy(dtype=float, na_value=np.nan), dtype=float)


def _names(name: str, values: Collection[Hashable] | str) -> list[str]:
    if isinstance(values, str):
        raise TypeError(f"{name} must be a collection of column names, not a single string")
    out = [str(v) for v in values]
    if len(set(out)) != len(out):
        raise ValueError(f"{name} contains duplicates: {out!r}")
    return out


def item_frame(
    data: pd.DataFrame, items: Sequence[str] | None, *, min_items: int = 2
) -> pd.DataFrame:
    """Select the item columns of ``data`` as a float64 frame (missing cells as NaN).

    Raises
    ------
    TypeError
        If ``data`` is not a DataFrame or an item column is not numeric.
    ValueError
        If an item is absent, duplicated, fewer than ``min_items`` items are given, there are
        no rows, or a value is infinite.
    """
    require_frame(data)
    if items is None:
        names = [str(c) for c in data.columns]
        if len(set(names)) != len(names):
            raise ValueError("data has duplicate column names; pass items explicitly")
        frame = data.copy()
        frame.columns = names
    else:
        names = _names("items", items)
        absent = [c for c in names if c not in data.columns]
        if absent:
            raise ValueError(f"items not found in data: {absent!r}")
        frame = data.loc[:, names]
    if len(names) < min_items:
        raise ValueError(f"need at least {min_items} items, got {len(names)}")
    if len(frame) == 0:
        raise ValueError("data has no rows")
    not_numeric = [
        c
        for c in names
        if not (pd.api.types.is_numeric_dtype(frame[c]) or frame[c].isna().all())
        or pd.api.types.is_complex_dtype(frame[c])
    ]
    if not_numeric:
        raise TypeError(f"item columns must be numeric: {not_numeric!r}")
    out = pd.DataFrame(
        {c: frame[c].to_numpy(dtype="float64", na_value=np.nan) for c in names},
        index=frame.index,
    )
    if np.isinf(out.to_numpy()).any():
        raise ValueError("item values must be finite (use NaN for a missing answer)")
    return out


def item_ranges(
    items: Sequence[str], reverse: Collection[str], scale: ScaleRange
) -> dict[str, tuple[float, float]]:
    """Resolve the declared (min, max) of each item; every reversed item must have one.

    Returns
    -------
    dict
        item -> (min, max) for the items with a declared range.
    """
    rev = _names("reverse", reverse)
    unknown = [r for r in rev if r not in items]
    if unknown:
        raise ValueError(f"reverse names items that are not in the scale: {unknown!r}")
    ranges: dict[str, tuple[float, float]] = {}
    if scale is None:
        if rev:
            raise ValueError(
                "reverse keying needs the declared response range: pass scale=(min, max) "
                "or a mapping item -> (min, max); it is never inferred from the data"
            )
        return ranges
    if isinstance(scale, Mapping):
        extra = [k for k in scale if k not in items]
        if extra:
            raise ValueError(f"scale names items that are not in the scale: {extra!r}")
        raw: dict[str, Any] = dict(scale)
        missing_range = [r for r in rev if r not in raw]
        if missing_range:
            raise ValueError(f"no declared range in scale for reversed items {missing_range!r}")
    else:
        raw = {item: scale for item in items}
    for item, bounds in raw.items():
        ranges[item] = _bounds(item, bounds)
    return ranges


def _bounds(item: str, bounds: Any) -> tuple[float, float]:
    try:
        lo, hi = bounds
        lo_f, hi_f = float(lo), float(hi)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"scale range of {item!r} must be a (min, max) pair, got {bounds!r}"
        ) from exc
    if not (np.isfinite(lo_f) and np.isfinite(hi_f)) or lo_f >= hi_f:
        raise ValueError(f"scale range of {item!r} must be finite with min < max: {bounds!r}")
    return lo_f, hi_f


def check_observed_range(
    observed_min: Mapping[str, float],
    observed_max: Mapping[str, float],
    ranges: Mapping[str, tuple[float, float]],
) -> None:
    """Raise ValueError if an observed value lies outside its item's declared range."""
    bad = []
    for item, (lo, hi) in ranges.items():
        omin, omax = observed_min[item], observed_max[item]
        if (np.isfinite(omin) and omin < lo) or (np.isfinite(omax) and omax > hi):
            bad.append(f"{item} observed [{omin:g}, {omax:g}] outside declared [{lo:g}, {hi:g}]")
    if bad:
        raise ValueError("values outside the declared scale range: " + "; ".join(bad))


def keyed_items(
    data: pd.DataFrame,
    items: Sequence[str] | None,
    reverse: Collection[str],
    scale: ScaleRange,
) -> tuple[pd.DataFrame, list[str]]:
    """Select, validate and reverse-key the item columns.

    A reversed item becomes ``min + max - x`` with the item's declared (min, max).

    Returns
    -------
    frame : pandas.DataFrame
        Float item frame, reversed items already reflected.
    reversed_items : list of str
        The reversed items, in item order.
    """
    frame = item_frame(data, items)
    names = list(frame.columns)
    rev = set(_names("reverse", reverse))
    ranges = item_ranges(names, rev, scale)
    values = frame.to_numpy()
    with np.errstate(all="ignore"):
        omin = dict(zip(names, np.fmin.reduce(values, axis=0), strict=True))
        omax = dict(zip(names, np.fmax.reduce(values, axis=0), strict=True))
    check_observed_range(omin, omax, ranges)
    reversed_items = [c for c in names if c in rev]
    for c in reversed_items:
        lo, hi = ranges[c]
        frame[c] = lo + hi - frame[c]
    return frame, reversed_items
