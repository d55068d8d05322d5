"""Answer distributions, the hour × weekday table and per-response "satisfied" flags, checked
against counts made by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import analysis


def test_answer_distribution__counts_each_allowed_answer() -> None:
    data = pd.DataFrame({"a": [1, 2, 2, 5, np.nan], "b": [3, 3, 3, 3, 3]})
    table = analysis.answer_distribution(data, items=["a", "b"], values=[1, 2, 3, 4, 5])
    a = table.loc[table["item"] == "a"]
    assert a["count"].tolist() == [1, 2, 0, 0, 1]
    assert a["n"].unique().tolist() == [4]
    assert a["share"].tolist() == pytest.approx([0.25, 0.5, 0, 0, 0.25])
    assert table.loc[table["item"] == "b", "count"].tolist() == [0, 0, 5, 0, 0]


def test_answer_distribution__refuses_an_answer_outside_the_values() -> None:
    with pytest.raises(ValueError, match="not one of"):
        analysis.answer_distribution(pd.DataFrame({"a": [6]}), items=["a"], values=[1, 2, 3])


def test_hour_weekday_table__reads_the_hours_in_the_time_zone() -> None:
    # Monday 2 March 2026 04:00 UTC is 11:00 in Novokuznetsk (UTC+7); 20:30 UTC on Sunday
    # 1 March is 03:30 on Monday there
    moments = pd.Series(["2026-03-02T04:00:00Z", "2026-03-02T04:59:00Z", "2026-03-01T20:30:00Z"])
    values = pd.Series([1.0, 0.0, np.nan])
    table = analysis.hour_weekday_table(moments, values=values, tz="Asia/Novokuznetsk")
    assert len(table) == 7 * 24
    cell = table.loc[(table["weekday"] == 0) & (table["hour"] == 11)].iloc[0]
    assert (cell["n"], cell["n_values"], cell["mean"]) == (2, 2, 0.5)
    early = table.loc[(table["weekday"] == 0) & (table["hour"] == 3)].iloc[0]
    assert (early["n"], early["n_values"]) == (1, 0) and np.isnan(early["mean"])
    assert table["n"].sum() == 3


def test_satisfied_flags__mean_is_the_share_satisfied() -> None:
    values = pd.Series([5, 4, 3, np.nan, 1])
    flags = analysis.satisfied_flags(values, threshold=4)
    assert flags.tolist()[:3] == [1.0, 1.0, 0.0] and np.isnan(flags.iloc[3])
    share = analysis.share_satisfied(
        pd.DataFrame({"x": values, "g": 1}), items=["x"], threshold=4, by=["g"]
    )["share"].iloc[0]
    assert flags.mean() == pytest.approx(share)
