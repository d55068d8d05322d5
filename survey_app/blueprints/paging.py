"""The ``page`` parameter of paged lists, read once for every view."""

from __future__ import annotations

from flask import abort
from flask_babel import gettext as _

#: highest page number accepted (far beyond any list; keeps the SQL offset in range)
MAX_PAGE = 100_000


def page_number(value: str | None) -> int:
    """The page asked for (absent or empty: the first); 400 for anything but 1..MAX_PAGE."""
    if value is None or value == "":
        return 1
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= MAX_PAGE:
        abort(
            400,
            description=_("The page must be a whole number from 1 to %(max)s.", max=MAX_PAGE),
        )
    return int(value)
