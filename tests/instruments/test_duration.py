"""The estimated time to fill in an instrument (issue 9 §3: the poster's minutes come from
the instrument, not one text for all).

Expected values are counted by hand from the item list with the documented rates:
yes/no 5 s, single 8 s, multi 10 s, likert 6 s, NPS 6 s, smiley 3 s, number 10 s, text 45 s,
battery 6 s + 4 s per column, 4 s per page, pages counted as the form shows them (a battery
section of more than three statements split into pages of about three: 9 -> 3 pages,
8 -> 3, 5 -> 3 + 2, 4 -> 2 + 2).  The page and tap counts are those measured in a real
browser by ``benchmarks/phone_survey.py`` (docs/phone-survey.md, "paged").
"""

from __future__ import annotations

import pytest

from instruments import load_text
from instruments.duration import estimated_minutes
from instruments.duration import pages
from instruments.duration import seconds
from instruments.duration import taps
from instruments.loader import load_all

SMALL = """
id: small
version: 1
locales: [ru]
title: {ru: Малая}
sections:
  - id: one
    title: {ru: Первая}
    items:
      - {id: a, type: yes_no, text: {ru: А}}
      - {id: b, type: yes_no, text: {ru: Б}, show_if: {item: a, eq: yes}}
      - {id: c, type: single, text: {ru: В}, choices: [{value: x, label: {ru: X}}]}
  - id: two
    title: {ru: Вторая}
    items:
      - {id: d, type: battery, min: 1, max: 9, text: {ru: Г},
         columns: [{id: lo, label: {ru: Мин}}, {id: hi, label: {ru: Макс}}]}
      - {id: e, type: likert, min: 1, max: 5, required: false, text: {ru: Д}}
      - {id: f, type: text, required: false, text: {ru: Е}}
"""


def test_seconds__required_unconditional_items_then_every_item() -> None:
    instrument = load_text(SMALL)
    # shortest: a 5 + c 8 + d (6 + 2 x 4) + 2 pages x 4 = 35
    # longest: + b 5 + e 6 + f 45 = 91
    assert seconds(instrument) == (35, 91)
    # 35 s -> 1 minute (half up, at least 1); 91 s -> 2 minutes (up)
    assert estimated_minutes(instrument) == (1, 2)


LONG_BATTERY = (
    """
id: long
version: 1
locales: [ru]
title: {ru: Длинная}
sections:
  - id: first
    title: {ru: Первая}
    items:
      - {id: a, type: yes_no, text: {ru: А}}
  - id: grid
    title: {ru: Сетка}
    items:
"""
    + "".join(
        f"""      - {{id: b{n}, type: battery, min: 1, max: 9, text: {{ru: Б{n}}},
         columns: [{{id: lo, label: {{ru: Мин}}}}, {{id: hi, label: {{ru: Макс}}}}]}}
"""
        for n in range(1, 8)
    )
    + """
  - id: more
    title: {ru: Ещё}
    show_if: {item: a, eq: yes}
    items:
      - {id: c, type: text, required: false, text: {ru: В}}
"""
)


def test_seconds__long_battery_pages_and_a_conditional_section_only_at_most() -> None:
    instrument = load_text(LONG_BATTERY)
    # first: 1 page; grid: 7 statements -> 3 + 2 + 2 = 3 pages; more: 1 page, only when shown
    assert pages(instrument) == (4, 5)
    # shortest: a 5 + 7 x (6 + 2 x 4) = 103, + 4 pages x 4 = 119
    # longest: + c 45, + 5 pages x 4 = 103 + 45 + 20 = 168
    assert seconds(instrument) == (119, 168)
    # 119 s -> 2 minutes (half up); 168 s -> 3 minutes (up)
    assert estimated_minutes(instrument) == (2, 3)
    # taps: a 1 + 7 x 2 columns + text 0 + 5 page buttons
    assert taps(instrument) == 20


@pytest.mark.parametrize(
    ("instrument", "expected_pages", "expected_taps", "expected_seconds", "minutes"),
    [
        # rating (smiley) + details (multi, text): 2 pages; taps 1 + 1 + 0 + 2 pages;
        # shortest 3 + 2 x 4 = 11 s; longest 3 + 10 + 45 + 8 = 66 s
        ("kiosk_pulse", (2, 2), 4, (11, 66), (1, 2)),
        # 9 + 8 + 5 statements -> 3 + 3 + 2 pages, + general + comments = 10 pages;
        # taps 22 x 3 + 3 likert + 10; shortest 22 x (6 + 3 x 4) + 3 x 6 + 10 x 4 = 454 s
        # (7.57 min -> 8); longest + comment 45 = 499 s (8.3 min -> 9)
        ("library_gap", (10, 10), 79, (454, 499), (8, 9)),
        # 5 sections, one page each; taps 14 yes/no + q16 + q17 + 5 (q15 text left empty);
        # shortest 10 unconditional yes/no x 5 + 8 + 10 + 5 x 4 = 88 s;
        # longest 14 x 5 + 45 + 8 + 10 + 20 = 153 s (2.55 min -> 3)
        ("nok_culture", (5, 5), 21, (88, 153), (1, 3)),
        # 2 pages; taps 8 likert + NPS + 2; shortest overall 6 + NPS 6 + 8 = 20 s (-> 1);
        # longest 8 x 6 + 6 + 45 + 8 = 107 s (1.8 min -> 2)
        ("satisfaction_short", (2, 2), 11, (20, 107), (1, 2)),
        # 4, 5, 4, 4, 5 statements -> 2 pages each, + weights = 11 pages; taps 22 x 2 + 5
        # number boxes + 11; shortest 22 x (6 + 2 x 4) + 11 x 4 = 352 s (5.9 min -> 6);
        # longest + 5 optional weights x 10 s = 402 s (6.7 min -> 7)
        ("servqual_library", (11, 11), 60, (352, 402), (6, 7)),
    ],
)
def test_duration__of_each_bundled_instrument(
    instrument: str,
    expected_pages: tuple[int, int],
    expected_taps: int,
    expected_seconds: tuple[int, int],
    minutes: tuple[int, int],
) -> None:
    loaded = load_all()[(instrument, 1)]
    assert pages(loaded) == expected_pages
    assert taps(loaded) == expected_taps
    assert seconds(loaded) == expected_seconds
    assert estimated_minutes(loaded) == minutes
