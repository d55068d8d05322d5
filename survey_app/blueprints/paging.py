"""Paged lists, read once for every view: the ``page`` parameter, and the lists of libraries
that grow with the region (one line per library system, a system's libraries or a search,
``LIBRARIES_PER_PAGE`` at a time; issue 9 §6).
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from typing import Generic
from typing import TypeVar

from flask import abort
from flask import request
from flask_babel import gettext as _

#: highest page number accepted (far beyond any list; keeps the SQL offset in range)
MAX_PAGE = 100_000
#: libraries per page of a library list (a region has about 600)
LIBRARIES_PER_PAGE = 50

Row = TypeVar("Row")


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


def fold(text: str) -> str:
    """``text`` for a search that ignores case and ё/е."""
    return text.casefold().replace("ё", "е")


def by_system(libraries: Iterable[Any]) -> list[tuple[Any, list[Any]]]:
    """Group libraries (sorted by system) as ``[(system, [library, ...]), ...]``."""
    groups: dict[int, tuple[Any, list[Any]]] = {}
    for library in libraries:
        groups.setdefault(library.system.id, (library.system, []))[1].append(library)
    return list(groups.values())


@dataclass(frozen=True)
class SystemGroup(Generic[Row]):
    """One library system's rows in a library list."""

    system: Any
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class LibraryListing(Generic[Row]):
    """What a library list shows: one line per system (``grouped``) or a page of rows.

    ``groups`` holds every system with all its rows (for the per-system lines and totals);
    ``rows`` the page shown when not grouped: the chosen system's rows or the search's.
    """

    groups: tuple[SystemGroup[Row], ...]
    chosen: Any | None
    query: str
    grouped: bool
    rows: tuple[Row, ...]
    found: int
    page: int
    pages: int
    total: int

    @property
    def with_system(self) -> bool:
        """Whether each library is shown with its system (rows from several systems)."""
        return self.chosen is None and len(self.groups) > 1

    def args(self, **changes: Any) -> dict[str, Any]:
        """The list's query parameters (system, search, page) for a link, with ``changes``."""
        args: dict[str, Any] = {
            "system": self.chosen.code if self.chosen is not None else None,
            "q": self.query or None,
            "page": self.page if self.page > 1 else None,
        }
        args.update(changes)
        return args


def library_listing(
    rows: Sequence[Row],
    library_of: Callable[[Row], Any],
    *,
    args: Mapping[str, str] | None = None,
    per_page: int = LIBRARIES_PER_PAGE,
) -> LibraryListing[Row]:
    """Fold ``rows`` (sorted by library system; ``library_of`` gives each row's library) into
    what a library list shows, as the request's ``?system=``, ``?q=`` and ``?page=`` ask.

    With more than one system and neither a system nor a search, the list is one line per
    system; otherwise the rows of the chosen system or those whose library's name, code or
    address holds the search (any case, ё = е), ``per_page`` at a time. An unknown system or
    a page past the last is 404.
    """
    values = request.args if args is None else args
    query = (values.get("q") or "").strip()[:100]
    system_code = (values.get("system") or "").strip()[:64]
    page = page_number(values.get("page"))
    groups = tuple(
        SystemGroup(system, tuple(row for row in rows if library_of(row).system.id == system.id))
        for system, _libraries in by_system(library_of(row) for row in rows)
    )
    chosen = next((g.system for g in groups if g.system.code == system_code), None)
    if system_code and chosen is None:
        abort(404, description=_("This library system is not in the list."))
    shown: Sequence[Row] = rows
    if chosen is not None:
        shown = [row for row in shown if library_of(row).system.id == chosen.id]
    wanted = fold(query)
    if wanted:
        shown = [
            row
            for row in shown
            if any(
                wanted in fold(text or "")
                for text in (library_of(row).name, library_of(row).code, library_of(row).address)
            )
        ]
    grouped = len(groups) > 1 and chosen is None and not query
    pages = 1 if grouped else max(1, -(-len(shown) // per_page))
    if page > pages:
        abort(404, description=_("There is no such page."))
    return LibraryListing(
        groups=groups,
        chosen=chosen,
        query=query,
        grouped=grouped,
        rows=() if grouped else tuple(shown[(page - 1) * per_page : page * per_page]),
        found=len(shown),
        page=page,
        pages=pages,
        total=len(rows),
    )
