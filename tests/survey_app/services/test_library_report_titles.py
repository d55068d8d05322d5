"""Titles of the library page's indicators (issue 9 §5): a battery column by its label."""

from __future__ import annotations

import instruments
from survey_app.services.library_report import _indicator_title


def test_battery_column__named_by_its_russian_label_not_its_id() -> None:
    gap = instruments.load_all()["library_gap", 1]
    # library_gap/1.yaml: IC2 "Наличие нужных мне печатных изданий", column perceived
    # labelled "Уровень в этой библиотеке"
    assert _indicator_title(gap, "mean:IC2:perceived") == (
        "mean",
        "Наличие нужных мне печатных изданий (Уровень в этой библиотеке)",
    )
    assert _indicator_title(gap, "mean:IC2") == ("mean", "Наличие нужных мне печатных изданий")
