"""The split of a long battery section into pages of about three statements (issue 9 §3),
defined once in :mod:`instruments.pages` for the web form and the duration estimate."""

from __future__ import annotations

import pytest

from instruments import load_text
from instruments.pages import split_items


def section_items(count: int, kind: str = "battery") -> list:
    spec = (
        "type: battery, min: 1, max: 5, columns: [{id: c, label: {ru: К}}]"
        if kind == "battery"
        else "type: likert, min: 1, max: 5"
    )
    items = "".join(f"      - {{id: i{n}, {spec}, text: {{ru: В{n}}}}}\n" for n in range(count))
    text = (
        "id: t\nversion: 1\nlocales: [ru]\ntitle: {ru: Т}\nsections:\n"
        f"  - id: s\n    title: {{ru: Р}}\n    items:\n{items}"
    )
    return list(load_text(text).sections[0].items)


@pytest.mark.parametrize(
    ("count", "sizes"),
    [(1, [1]), (3, [3]), (4, [2, 2]), (5, [3, 2]), (7, [3, 2, 2]), (8, [3, 3, 2]), (9, [3, 3, 3])],
)
def test_split_items__battery_statements_in_near_equal_groups_of_about_three(
    count: int, sizes: list[int]
) -> None:
    items = section_items(count)
    groups = split_items(items)
    assert [len(group) for group in groups] == sizes
    assert [item for group in groups for item in group] == items  # order kept, none lost


def test_split_items__other_sections_are_one_page() -> None:
    assert [len(group) for group in split_items(section_items(9, "likert"))] == [9]
    assert split_items([]) == [()]
