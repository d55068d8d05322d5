"""The estimated time to fill in an instrument (issue 9 §3: the poster's minutes come from
the instrument, not one text for all).

Expected values are counted by hand from the item list with the documented rates:
yes/no 5 s, single 8 s, likert 6 s, text 45 s, battery 6 s + 4 s per column, 4 s per page.
"""

from __future__ import annotations

import pytest

from instruments import load_text
from instruments.duration import estimated_minutes
from instruments.duration import seconds
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


@pytest.mark.parametrize(
    ("instrument", "minutes"),
    [
        # 22 statements x (6 + 3 x 4) + 3 likert x 6 + 5 pages x 4 = 434 s; + comment 45 s
        ("library_gap", (7, 8)),
        # 22 x (6 + 2 x 4) + 6 pages x 4 = 332 s; + 5 optional points x 10 s = 382 s
        ("servqual_library", (6, 7)),
        # the smiley 3 s + 2 pages x 4 = 11 s; + multi 10 s + text 45 s = 66 s
        ("kiosk_pulse", (1, 2)),
    ],
)
def test_estimated_minutes__of_bundled_instruments_differ(
    instrument: str, minutes: tuple[int, int]
) -> None:
    assert estimated_minutes(load_all()[(instrument, 1)]) == minutes
