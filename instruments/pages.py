"""How a section's items are laid out on the visitor's pages (issue 9 §3).

A battery section longer than :data:`BATTERY_PAGE` statements is split into pages of
near-equal groups of about that many statement cards (``service`` of library_gap, 9
statements: 3 + 3 + 3; 8: 3 + 3 + 2; 5: 3 + 2), so that a phone never scrolls through
5,000 px; any other section is one page.  The web form (``survey_app.forms.flow``) shows its
pages by this rule and :mod:`instruments.duration` counts them, so the rule lives here once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from instruments.model import Item
from instruments.model import ItemType

__all__ = ["BATTERY_PAGE", "split_items"]

#: battery statements per page
BATTERY_PAGE = 3


def split_items(items: Sequence[Item]) -> list[tuple[Item, ...]]:
    """The pages of a section's shown items: a battery section longer than
    :data:`BATTERY_PAGE` statements in near-equal groups, anything else one page.

    ``n`` statements make ``ceil(n / BATTERY_PAGE)`` pages; the first ``n mod pages`` of them
    hold one statement more than the others.
    """
    if len(items) <= BATTERY_PAGE or any(item.type is not ItemType.battery for item in items):
        return [tuple(items)]
    count = math.ceil(len(items) / BATTERY_PAGE)
    size, extra = divmod(len(items), count)
    groups: list[tuple[Item, ...]] = []
    start = 0
    for index in range(count):
        end = start + size + (1 if index < extra else 0)
        groups.append(tuple(items[start:end]))
        start = end
    return groups
