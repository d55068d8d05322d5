"""Titles of the library page's indicators (issue 9 §5): a battery column by its label."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

import instruments
import survey_app
from survey_app.services.library_report import _indicator_title

ROOT = Path(survey_app.__file__).resolve().parent.parent


def test_battery_column__named_by_its_russian_label_not_its_id() -> None:
    gap = instruments.load_all()["library_gap", 1]
    # library_gap/1.yaml: IC2 "Наличие нужных мне печатных изданий", column perceived
    # labelled "Уровень в этой библиотеке"
    assert _indicator_title(gap, "mean:IC2:perceived", "ru") == (
        "mean",
        "Наличие нужных мне печатных изданий (Уровень в этой библиотеке)",
    )
    assert _indicator_title(gap, "mean:IC2", "ru") == (
        "mean",
        "Наличие нужных мне печатных изданий",
    )


def test_battery_column__named_in_english_for_an_english_reader() -> None:
    gap = instruments.load_all()["library_gap", 1]
    # library_gap/1.yaml: IC2 en "The printed books and magazines I need", perceived
    # labelled "Level in this library"
    assert _indicator_title(gap, "mean:IC2:perceived", "en") == (
        "mean",
        "The printed books and magazines I need (Level in this library)",
    )


def test_alpha_notes__kept_as_reason_codes_and_said_in_russian(app: Any) -> None:
    """The library page printed analysis's English notes ("the pairwise correlation matrix is
    not positive semi-definite …") on a Russian page; it now keeps their reason codes."""
    from flask import render_template_string

    from survey_app.services.library_report import _indices
    from survey_app.services.reporting import IndicesReport
    from survey_app.services.reporting import analysis_plan

    sat = instruments.load_all()["satisfaction_short", 1]
    scale = sat.scales[0].id
    reliability = pd.DataFrame(
        [
            {
                "scale": scale,
                "status": "unsound",
                "reason": "few_joint_responses,not_positive_semidefinite",
                "note": "the pairwise correlation matrix is not positive semi-definite",
            }
        ]
    )
    indices = pd.DataFrame(
        [{"library": "LIB", "indicator": f"alpha:{scale}", "value": 0.5, "n": 40}]
    )
    report = IndicesReport(
        plan=analysis_plan(sat),
        by=("library",),
        groups=pd.DataFrame([{"library": "LIB", "n": 40}]),
        tables={"reliability": reliability},
        indices=indices,
    )
    (row,) = _indices(report, sat, "LIB", "ru")
    assert row["note_codes"] == ["few_joint_responses", "not_positive_semidefinite"]
    with app.test_request_context("/?lang=ru"):
        said = render_template_string(
            '{% from "admin/_reasons.html" import reason %}'
            "{% for code in codes %}{{ reason(code) }};{% endfor %}",
            codes=row["note_codes"],
        )
    assert said == "на вопросы слишком редко отвечали вместе;несогласованные попарные корреляции;"
    with app.test_request_context("/?lang=ru"):
        clipped = render_template_string(
            '{% from "admin/_reasons.html" import reason %}{{ reason("interval_clipped") }}'
        )
    assert clipped == "граница интервала вышла за допустимый предел и обрезана по нему"


def test_screening_flags__said_in_russian(app: Any) -> None:
    """The library page's comments showed "⚑ psychsyn", "⚑ longstr" (column codes)."""
    from flask import render_template_string

    with app.test_request_context("/?lang=ru"):
        said = render_template_string(
            "{% for f in flags %}{{ flag_label(f) }};{% endfor %}",
            flags=["longstr", "psychsyn", "speed"],
        )
    assert said == (
        "один и тот же ответ много раз подряд;несогласованные ответы на схожие вопросы;"
        "страницы пройдены слишком быстро;"
    )
    template = (ROOT / "survey_app/templates/admin/results/library_report.html").read_text()
    assert "⚑ {{ flag_label(flag) }}" in template


def test_library_page__prints_no_analysis_message() -> None:
    """analysis's messages are English ("the correlation matrix has undefined entries …"):
    the Russian page says a refusal or a note by its reason code instead."""
    template = (ROOT / "survey_app/templates/admin/results/library_report.html").read_text()
    assert ".message" not in template
    assert "reason(scale.refused.code)" in template
    assert "reason(scale.omega_refused.code)" in template
