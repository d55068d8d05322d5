"""How long an instrument takes to fill in: an estimate from its items, per instrument.

The poster's "it takes N–M minutes" comes from here, so that a one-tap kiosk pulse and a
66-rating gap battery no longer promise the same time.

The estimate counts seconds per answer by item type (:data:`SECONDS`), per battery column and
per page, in the manner of the usual questionnaire-length rules of thumb (a closed question
about 5 s, a rating grid row a few seconds per rating, an open question about half a minute
or more); the figures are ours and deliberately rough.  The shortest time answers the
required items that are always shown; the longest answers every item, optional ones and
free text included.  Both are rounded to whole minutes (the shortest half up, at least 1;
the longest up).
"""

from __future__ import annotations

import math
from types import MappingProxyType

from instruments.model import Instrument
from instruments.model import Item
from instruments.model import ItemType

__all__ = ["SECONDS", "SECONDS_PER_COLUMN", "SECONDS_PER_PAGE", "estimated_minutes", "seconds"]

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


def seconds(instrument: Instrument) -> tuple[int, int]:
    """Return (shortest, longest) seconds to fill in ``instrument``.

    shortest = sum over required, unconditional items of t(item) + 4 s × pages;
    longest = sum over all items of t(item) + 4 s × pages, where t(item) is
    ``SECONDS[type] + SECONDS_PER_COLUMN × columns``.
    """
    pages = SECONDS_PER_PAGE * len(instrument.sections)
    shortest = longest = pages
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
