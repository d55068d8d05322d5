"""Answer distributions and the hour × weekday table of a set of responses.

What the library page draws: how many respondents gave each answer of a rating item (the
diverging stacked bars), and how responses — and a per-response value such as a scale
score — spread over the hours of the week in a given time zone (the heat map).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.indices import _check_frame
from analysis.indices import _names
from analysis.indices import _numeric

__all__ = ["answer_distribution", "hour_weekday_table", "satisfied_flags"]


def answer_distribution(
    data: pd.DataFrame, *, items: Sequence[str], values: Sequence[float]
) -> pd.DataFrame:
    """Count each allowed answer of each item.

    Parameters
    ----------
    data : pandas.DataFrame
        Wide responses; the item columns numeric (missing = no answer).
    items : sequence of str
        The item columns.
    values : sequence of float
        The answers the items allow, in scale order (e.g. 1 … 5).

    Returns
    -------
    pandas.DataFrame
        One row per item and value: ``item, value, count, n, share`` where ``n`` is the
        number of respondents who answered the item and ``share = count / n`` (NaN when
        nobody answered).

    Raises
    ------
    ValueError
        If an answer is not one of ``values``.
    """
    items_ = _names(items, "items")
    _check_frame(data, items_)
    allowed = [float(v) for v in values]
    if not allowed:
        raise ValueError("values must name at least one answer")
    numbers = _numeric(data, items_)
    rows: list[dict[str, object]] = []
    for item in items_:
        column = numbers[item].dropna()
        stray = ~column.isin(allowed)
        if stray.any():
            raise ValueError(
                f"column {item!r} holds {column[stray].iloc[0]!r}, not one of {allowed}"
            )
        n = int(column.size)
        counts = column.value_counts()
        for value in allowed:
            count = int(counts.get(value, 0))
            rows.append(
                {
                    "item": item,
                    "value": value,
                    "count": count,
                    "n": n,
                    "share": count / n if n else float("nan"),
                }
            )
    return pd.DataFrame(rows, columns=["item", "value", "count", "n", "share"])


def hour_weekday_table(
    moments: pd.Series, *, values: pd.Series | None = None, tz: str = "UTC"
) -> pd.DataFrame:
    """Responses (and the mean of a per-response value) per weekday and hour in ``tz``.

    Parameters
    ----------
    moments : pandas.Series
        When each response was given: time-zone-aware timestamps or ISO 8601 texts with an
        offset (``...Z``); missing moments are left out.
    values : pandas.Series, optional
        A number per response (same index), e.g. its scale score; missing values are left
        out of the mean but the response still counts in ``n``.
    tz : str
        IANA time zone the hours and weekdays are read in (the region's).

    Returns
    -------
    pandas.DataFrame
        All 7 × 24 cells: ``weekday`` (0 = Monday … 6 = Sunday), ``hour`` (0–23), ``n``,
        ``n_values`` and ``mean`` (NaN without values).
    """
    stamps = pd.to_datetime(moments, utc=True, errors="raise")
    local = stamps.dt.tz_convert(tz)
    frame = pd.DataFrame({"weekday": local.dt.weekday, "hour": local.dt.hour})
    frame["value"] = (
        np.nan if values is None else pd.to_numeric(values, errors="raise").astype("float64")
    )
    frame = frame.loc[stamps.notna()]
    grouped = frame.groupby(["weekday", "hour"])
    summary = pd.DataFrame(
        {
            "n": grouped.size(),
            "n_values": grouped["value"].count(),
            "mean": grouped["value"].mean(),
        }
    )
    full = pd.MultiIndex.from_product([range(7), range(24)], names=["weekday", "hour"])
    out = summary.reindex(full)
    out["n"] = out["n"].fillna(0).astype("int64")
    out["n_values"] = out["n_values"].fillna(0).astype("int64")
    return out.reset_index()


def satisfied_flags(values: pd.Series, *, threshold: float) -> pd.Series:
    """Per response: 1.0 when the answer is at least ``threshold`` (the top-box rule of
    :func:`analysis.share_satisfied`), 0.0 below it, NaN when unanswered — so the mean of
    the flags over a group is that group's share satisfied."""
    numbers = pd.to_numeric(values, errors="raise").astype("float64")
    return (numbers >= float(threshold)).astype("float64").where(numbers.notna())
