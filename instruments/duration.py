"""How long an instrument takes to fill in: an estimate from its items, per instrument.

The poster's "it takes N–M minutes" comes from here, so that a one-tap kiosk pulse and a
66-rating gap battery no longer promise the same time.

The estimate counts what the visitor does: seconds per answer by item type (:data:`SECONDS`),
per battery column (one tap each) and per page the visitor turns, pages counted as the form
shows them (a long battery section split into pages of about three statements by
:func:`instruments.pages.split_items`), in the manner of the usual questionnaire-length
rules of thumb (a closed question about 5 s, a rating grid row a few seconds per rating, an
open question about half a minute or more); the figures are ours and deliberately rough.
The shortest time answers the required items that are always shown, on the pages always
shown; the longest answers every item, optional ones and free text included, on every page.
Lite forms (a sample of a battery's statements) take less than the shortest.  Both are
rounded to whole minutes (the shortest half up, at least 1; the longest up).
"""

from __future__ import annotations

import math
from types import MappingProxyType

from instruments.model import Instrument
from instruments.model import Item
from instruments.model import ItemType
from instruments.pages import split_items

__all__ = [
    "SECONDS",
    "SECONDS_PER_COLUMN",
    "SECONDS_PER_PAGE",
    "estimated_minutes",
    "pages",
    "seconds",
    "taps",
]

#: seconds to read an item and give its answer (a battery: reading its statement)
SECONDS = MappingProxyType(
    {
        ItemType.yes_no: 5,
        ItemType.single: 8,
        ItemType.multi: 10,
        ItemType.likert: 6,
        ItemType.nps: 6,
        ItemType.smiley: 3,
        ItemType.number: 10,
        ItemType.text: 45,
        ItemType.battery: 6,
    }
)
#: seconds per rating column of a battery statement (minimum, desired, perceived ...)
SECONDS_PER_COLUMN = 4
#: seconds per page: reading its title and moving on
SECONDS_PER_PAGE = 4


def _item_seconds(item: Item) -> int:
    return SECONDS[item.type] + SECONDS_PER_COLUMN * len(item.columns)


def _always(instrument: Instrument) -> list[list[Item]]:
    """Each section's items shown whatever the answers (none for a conditional section)."""
    return [
        [item for item in section.items if item.show_if is None] if section.show_if is None else []
        for section in instrument.sections
    ]


def pages(instrument: Instrument) -> tuple[int, int]:
    """Return (fewest, most) pages the visitor turns: the pages of the items always shown,
    and of every item, each section split by :func:`instruments.pages.split_items`."""
    fewest = sum(len(split_items(items)) for items in _always(instrument) if items)
    most = sum(len(split_items(section.items)) for section in instrument.sections)
    return fewest, most


def taps(instrument: Instrument) -> int:
    """Return the taps of a visitor who answers every item and leaves free text empty.

    One per rating or choice (a battery statement: one per column), one per number box
    (typing not counted), none for free text, one per page button (:func:`pages`, most).
    """
    answers = sum(
        len(item.columns) if item.type is ItemType.battery else int(item.type is not ItemType.text)
        for section in instrument.sections
        for item in section.items
    )
    return answers + pages(instrument)[1]


def seconds(instrument: Instrument) -> tuple[int, int]:
    """Return (shortest, longest) seconds to fill in ``instrument``.

    shortest = sum over required, unconditional items of t(item) + 4 s × fewest pages;
    longest = sum over all items of t(item) + 4 s × most pages (see :func:`pages`), where
    t(item) is ``SECONDS[type] + SECONDS_PER_COLUMN × columns``.
    """
    fewest, most = pages(instrument)
    shortest = SECONDS_PER_PAGE * fewest
    longest = SECONDS_PER_PAGE * most
    for section in instrument.sections:
        for item in section.items:
            t = _item_seconds(item)
            longest += t
            if item.required and item.show_if is None and section.show_if is None:
                shortest += t
    return shortest, longest


def estimated_minutes(instrument: Instrument) -> tuple[int, int]:
    """Return (shortest, longest) whole minutes to fill in ``instrument`` (see :func:`seconds`)."""
    shortest, longest = seconds(instrument)
    low = max(1, math.floor(shortest / 60 + 0.5))
    return low, max(low, math.ceil(longest / 60))
