"""The library network: regions, library systems, libraries and service points.

Units are created, edited and deactivated; a unit that already has responses is never
deleted (deactivate it instead), so results keep pointing at a real library. The bulk import
reads CSV or XLSX with the columns ``code, name, system, type, address, population_served,
opening_hours``, checks every line first and changes nothing unless every line is valid;
each problem names its line (the header is line 1).

Issue codes: NET001 missing/unknown column, NET002 required value empty, NET003 unknown
library system, NET004 unknown library type, NET005 bad population, NET006 code repeated in
the file, NET007 value too long, NET008 unreadable file, NET010 malformed code, NET011 code
already used, NET012 region unknown.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from typing import TypeVar

from sqlalchemy import Select
from sqlalchemy import exists
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey_app.models import Library
from survey_app.models import LibrarySystem
from survey_app.models import LibraryType
from survey_app.models import Region
from survey_app.models import Response
from survey_app.models import ServicePoint
from survey_app.models import User
from survey_app.models import campaign_libraries
from survey_app.services import audit
from survey_app.services.errors import Conflict
from survey_app.services.errors import Invalid
from survey_app.services.errors import Issue
from survey_app.services.scope import Action
from survey_app.services.scope import require
from survey_app.services.scope import scoped_libraries_query

__all__ = [
    "IMPORT_COLUMNS",
    "MAX_IMPORT_ROWS",
    "ImportReport",
    "activate_library",
    "activate_system",
    "create_library",
    "create_region",
    "create_service_point",
    "create_system",
    "deactivate_library",
    "deactivate_service_point",
    "deactivate_system",
    "delete_library",
    "delete_service_point",
    "delete_system",
    "has_responses",
    "import_libraries",
    "list_systems",
    "read_table",
    "update_library",
    "update_service_point",
    "update_system",
]

#: the columns of a library import, in the documented order
IMPORT_COLUMNS = (
    "code",
    "name",
    "system",
    "type",
    "address",
    "population_served",
    "opening_hours",
)
_REQUIRED_COLUMNS = ("code", "name", "system")
#: header spellings accepted besides the English names (Russian spreadsheets)
_HEADER_ALIASES: Mapping[str, str] = {
    "код": "code",
    "шифр": "code",
    "название": "name",
    "наименование": "name",
    "система": "system",
    "цбс": "system",
    "тип": "type",
    "адрес": "address",
    "население": "population_served",
    "обслуживаемое население": "population_served",
    "population": "population_served",
    "часы работы": "opening_hours",
    "режим работы": "opening_hours",
    "hours": "opening_hours",
}
_TYPE_ALIASES: Mapping[str, LibraryType] = {
    "центральная": LibraryType.central,
    "цб": LibraryType.central,
    "филиал": LibraryType.branch,
    "сельская": LibraryType.rural,
    "детская": LibraryType.children,
    "модельная": LibraryType.model,
}
_LIMITS = {"code": 64, "name": 300, "address": 300, "opening_hours": 200}
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MAX_IMPORT_ROWS = 5000


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import did: codes of libraries created and of libraries updated."""

    created: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()

    @property
    def total(self) -> int:
        """Number of data lines read."""
        return len(self.created) + len(self.updated) + len(self.unchanged)


# --- helpers -------------------------------------------------------------------------------


def _allowed(actor: User | None) -> None:
    if actor is not None:
        require(actor, Action.manage_network)


_Unit = TypeVar("_Unit", LibrarySystem, Library, ServicePoint)
_New = TypeVar("_New", Region, LibrarySystem, Library, ServicePoint)


def _add(session: Session, unit: _New, action: str, actor: User | None, **details: Any) -> _New:
    """Add a new unit, flush (it gets its id) and audit ``action`` with ``details``."""
    session.add(unit)
    session.flush()
    audit.record(session, actor, action, unit, **details)
    return unit


def _set_active(
    session: Session, unit: _Unit, active: bool, action: str, actor: User | None
) -> _Unit:
    """Set ``unit.active`` (audited as ``action``); nothing happens when it already is."""
    if unit.active != active:
        unit.active = active
        session.flush()
        audit.record(session, actor, action, unit)
    return unit


def _code_name_issues(
    session: Session,
    code: str,
    name: str,
    same_code: Select[Any],
    *,
    current: object | None = None,
    taken: str = "This code is already used.",
) -> list[Issue]:
    """Check a unit's code and name, then (when both are well formed) that no other unit
    found by ``same_code`` has the code (NET011, message ``taken``)."""
    issues = _code_issues(code, "code") + _text_issues(name, "name", "name", required=True)
    if not issues:
        other = session.scalar(same_code)
        if other is not None and other is not current:
            issues.append(Issue("NET011", "code", taken))
    return issues


def _rename(
    session: Session,
    unit: LibrarySystem | ServicePoint,
    code: str,
    name: str,
    action: str,
    actor: User | None,
) -> None:
    """Give ``unit`` a checked code and name; flush and audit ``action`` when either changed."""
    changes = _changes(unit, {"code": code, "name": name})
    if changes:
        unit.code, unit.name = code, name
        session.flush()
        audit.record(session, actor, action, unit, changes=changes)


def _edited(value: str | None, current: str) -> str:
    """The new value of an edited text field: ``current`` when not given, blanks trimmed."""
    return (value if value is not None else current).strip()


def _code_issues(code: str, path: str) -> list[Issue]:
    if not code:
        return [Issue("NET002", path, "A code is required.")]
    if not _CODE.match(code):
        return [
            Issue(
                "NET010",
                path,
                "A code uses Latin letters, digits, '.', '_' or '-' (at most 64 characters).",
            )
        ]
    return []


def _text_issues(value: str | None, name: str, path: str, *, required: bool) -> list[Issue]:
    if not value:
        return [Issue("NET002", path, "A value is required.")] if required else []
    if name in _LIMITS and len(value) > _LIMITS[name]:
        return [Issue("NET007", path, "The value is too long.")]
    return []


def _library_type(value: Any) -> LibraryType | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return LibraryType.branch
    text = str(value).strip().lower()
    try:
        return LibraryType(text)
    except ValueError:
        return _TYPE_ALIASES.get(text)


def _population(value: Any) -> tuple[int | None, bool]:
    """Parse a population; return (value, ok)."""
    if value is None:
        return None, True
    if isinstance(value, bool):
        return None, False
    if isinstance(value, int):
        return (value, True) if value >= 0 else (None, False)
    if isinstance(value, float):
        if value.is_integer() and value >= 0:
            return int(value), True
        return None, False
    text = str(value).strip().replace("\u00a0", "").replace(" ", "")
    if not text:
        return None, True
    if text.endswith(".0"):
        text = text[:-2]
    if text.isdigit() and len(text) <= 12:
        return int(text), True
    return None, False


def _clean(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def has_responses(session: Session, library: Library) -> bool:
    """Say whether any response was recorded for the library."""
    return bool(session.scalar(select(exists().where(Response.library_id == library.id))))


def _find_library(session: Session, code: str) -> Library | None:
    return session.scalar(select(Library).where(func.lower(Library.code) == code.lower()))


def _find_system(session: Session, ref: str) -> LibrarySystem | None:
    text = ref.strip()
    system = session.scalar(
        select(LibrarySystem).where(func.lower(LibrarySystem.code) == text.lower())
    )
    if system is not None:
        return system
    # names are Cyrillic, and SQLite's lower() only folds ASCII: compare in Python
    wanted = " ".join(text.casefold().split())
    found = [
        candidate
        for candidate in session.scalars(select(LibrarySystem))
        if " ".join(candidate.name.casefold().split()) == wanted
    ]
    return found[0] if len(found) == 1 else None


# --- regions and systems -------------------------------------------------------------------


def create_region(session: Session, *, code: str, name: str, actor: User | None = None) -> Region:
    """Create a region.

    Raises
    ------
    Forbidden
        When ``actor`` may not manage the network.
    Invalid
        When the code or name is missing or malformed, or the code is taken.
    """
    _allowed(actor)
    code, name = (code or "").strip(), (name or "").strip()
    same_code = select(Region).where(func.lower(Region.code) == code.lower())
    issues = _code_name_issues(session, code, name, same_code)
    if issues:
        raise Invalid("The region cannot be created.", issues)
    return _add(session, Region(code=code, name=name), "region.create", actor, name=name)


def list_systems(session: Session, *, include_inactive: bool = True) -> Sequence[LibrarySystem]:
    """Return every library system, by name."""
    stmt = select(LibrarySystem).order_by(LibrarySystem.name, LibrarySystem.id)
    if not include_inactive:
        stmt = stmt.where(LibrarySystem.active.is_(True))
    return session.scalars(stmt).all()


def list_libraries(session: Session) -> Sequence[Library]:
    """Return every library, by name (inactive ones included)."""
    return session.scalars(select(Library).order_by(Library.name, Library.id)).all()


def _system_issues(
    session: Session, code: str, name: str, *, current: LibrarySystem | None = None
) -> list[Issue]:
    same_code = select(LibrarySystem).where(func.lower(LibrarySystem.code) == code.lower())
    return _code_name_issues(session, code, name, same_code, current=current)


def create_system(
    session: Session,
    *,
    code: str,
    name: str,
    region: Region | None = None,
    actor: User | None = None,
) -> LibrarySystem:
    """Create a library system in ``region`` (the only region when None).

    Raises
    ------
    Forbidden
        When ``actor`` may not manage the network.
    Invalid
        When a field is wrong (NET002, NET007, NET010, NET011) or no single region exists
        to put it in (NET012).
    """
    _allowed(actor)
    code, name = (code or "").strip(), (name or "").strip()
    issues = _system_issues(session, code, name)
    if region is None:
        regions = session.scalars(select(Region).limit(2)).all()
        if len(regions) == 1:
            region = regions[0]
        else:
            issues.append(Issue("NET012", "region", "Choose the region of the library system."))
    if issues or region is None:
        raise Invalid("The library system cannot be created.", issues)
    system = LibrarySystem(region=region, code=code, name=name, active=True)
    return _add(session, system, "system.create", actor, name=name)


def update_system(
    session: Session,
    system: LibrarySystem,
    *,
    code: str | None = None,
    name: str | None = None,
    actor: User | None = None,
) -> LibrarySystem:
    """Rename a library system or change its code.

    Raises
    ------
    Forbidden
        When ``actor`` may not manage the network.
    Invalid
        When a field is wrong or the code is taken.
    """
    _allowed(actor)
    new_code, new_name = _edited(code, system.code), _edited(name, system.name)
    issues = _system_issues(session, new_code, new_name, current=system)
    if issues:
        raise Invalid("The library system was not changed.", issues)
    _rename(session, system, new_code, new_name, "system.update", actor)
    return system


def deactivate_system(
    session: Session, system: LibrarySystem, *, actor: User | None = None
) -> LibrarySystem:
    """Deactivate a library system (its libraries keep their own status).

    Raises
    ------
    Forbidden
        When ``actor`` may not manage the network.
    """
    _allowed(actor)
    return _set_active(session, system, False, "system.deactivate", actor)


def activate_system(
    session: Session, system: LibrarySystem, *, actor: User | None = None
) -> LibrarySystem:
    """Reactivate a library system.

    Raises
    ------
    Forbidden
        When ``actor`` may not manage the network.
    """
    _allowed(actor)
    return _set_active(session, system, True, "system.activate", actor)


def delete_system(session: Session, system: LibrarySystem, *, actor: User | None = None) -> None:
    """Delete an empty library system.

    Raises
    ------
    Forbidden
        When ``actor`` may not manage the network.
    Conflict
        When it still has libraries or accounts scoped to it (deactivate it instead).
    """
    _allowed(actor)
    if session.scalar(select(exists().where(Library.system_id == system.id))):
        raise Conflict("The library system has libraries; deactivate it instead.")
    if session.scalar(select(exists().where(User.system_id == system.id))):
        raise Conflict("Accounts are scoped to this library system; deactivate it instead.")
    audit.record(session, actor, "system.delete", system)
    session.delete(system)
    session.flush()


# --- libraries -----------------------------------------------------------------------------


#: the columns of a library a form or an import line sets (``system`` is a relationship)
_LIBRARY_COLUMNS = ("code", "name", "type", "address", "population_served", "opening_hours")


@dataclass(slots=True)
class _LibraryFields:
    code: str
    name: str
    type: LibraryType
    address: str | None
    population_served: int | None
    opening_hours: str | None
    system: LibrarySystem | None = None

    def values(self) -> dict[str, Any]:
        """The library's own columns (all but ``system``) as set by these fields."""
        return {key: getattr(self, key) for key in _LIBRARY_COLUMNS}


def _library_issues(raw: Mapping[str, Any], prefix: str = "") -> tuple[list[Issue], _LibraryFields]:
    """Check the syntax of one library's fields; ``prefix`` turns paths into ``line N: col``."""
    issues: list[Issue] = []
    code = _clean(raw.get("code")) or ""
    name = _clean(raw.get("name")) or ""
    address = _clean(raw.get("address"))
    hours = _clean(raw.get("opening_hours"))
    issues += _code_issues(code, prefix + "code")
    issues += _text_issues(name, "name", prefix + "name", required=True)
    issues += _text_issues(address, "address", prefix + "address", required=False)
    issues += _text_issues(hours, "opening_hours", prefix + "opening_hours", required=False)
    kind = _library_type(raw.get("type"))
    if kind is None:
        issues.append(
            Issue(
                "NET004",
                prefix + "type",
                "Unknown library type; use central, branch, rural, children or model.",
            )
        )
    population, ok = _population(raw.get("population_served"))
    if not ok:
        issues.append(
            Issue("NET005", prefix + "population_served", "Write a whole number, 0 or more.")
        )
    return issues, _LibraryFields(
        code=code,
        name=name,
        type=kind or LibraryType.branch,
        address=address,
        population_served=population,
        opening_hours=hours,
    )


def _library_code_taken(
    session: Session, issues: list[Issue], code: str, *, current: Library | None = None
) -> list[Issue]:
    """NET011 when ``code`` (unless already reported malformed) is another library's."""
    if any(issue.path == "code" for issue in issues):
        return []
    other = _find_library(session, code)
    if other is None or other is current:
        return []
    return [Issue("NET011", "code", "This code is already used.")]


def _changes(obj: object, new: Mapping[str, Any]) -> dict[str, list[Any]]:
    changed = {}
    for key, value in new.items():
        old = getattr(obj, key)
        old_plain = old.value if isinstance(old, LibraryType) else old
        new_plain = value.value if isinstance(value, LibraryType) else value
        if old_plain != new_plain:
            changed[key] = [old_plain, new_plain]
    return changed


def create_library(
    session: Session,
    *,
    system: LibrarySystem,
    code: str,
    name: str,
    type: LibraryType | str = LibraryType.branch,
    address: str | None = None,
    population_served: int | str | None = None,
    opening_hours: str | None = None,
    actor: User | None = None,
) -> Library:
    """Create a library in ``system``.

    Raises
    ------
    Forbidden
        When ``actor`` may not manage the network.
    Invalid
        With every problem (NET002, NET004, NET005, NET007, NET010, NET011).
    """
    _allowed(actor)
    issues, fields = _library_issues(
        {
            "code": code,
            "name": name,
            "type": type,
            "address": address,
            "population_served": population_served,
            "opening_hours": opening_hours,
        }
    )
    issues += _library_code_taken(session, issues, fields.code)
    if issues:
        raise Invalid("The library cannot be created.", issues)
    library = Library(system=system, **fields.values(), active=True)
    return _add(session, library, "library.create", actor, system=system.code)


def update_library(
    session: Session,
    library: Library,
    *,
    actor: User | None = None,
    system: LibrarySystem | None = None,
    **changes: Any,
) -> Library:
    """Change a library's fields (code, name, type, address, population_served,
    opening_hours) and/or move it to another ``system``.

    The code appears in printed QR posters, so it cannot change once responses exist.

    Raises
    ------
    Forbidden
        When ``actor`` may not manage the network.
    Invalid
        With every problem in the new values (as :func:`create_library`).
    Conflict
        When the code would change on a library that has responses.
    """
    _allowed(actor)
    unknown = set(changes) - set(_LIBRARY_COLUMNS)
    if unknown:
        raise TypeError(f"unknown library fields: {sorted(unknown)}")
    merged = {key: getattr(library, key) for key in _LIBRARY_COLUMNS} | changes
    issues, fields = _library_issues(merged)
    issues += _library_code_taken(session, issues, fields.code, current=library)
    if issues:
        raise Invalid("The library was not changed.", issues)
    _apply_library(session, library, fields, system, actor)
    return library


def _apply_library(
    session: Session,
    library: Library,
    fields: _LibraryFields,
    system: LibrarySystem | None,
    actor: User | None,
    *,
    action: str = "library.update",
    **details: Any,
) -> bool:
    new = fields.values()
    diff = _changes(library, new)
    if system is not None and system.id != library.system_id:
        diff["system"] = [library.system.code, system.code]
    if "code" in diff and has_responses(session, library):
        raise Conflict("The library has responses, so its code (printed on posters) cannot change.")
    if not diff:
        return False
    for key, value in new.items():
        setattr(library, key, value)
    if system is not None:
        library.system = system
    session.flush()
    audit.record(session, actor, action, library, changes=diff, **details)
    return True


def deactivate_library(session: Session, library: Library, *, actor: User | None = None) -> Library:
    """Deactivate a library: it keeps its results but takes no new campaigns.

    Raises
    ------
    Forbidden
        When ``actor`` may not manage the network.
    """
    _allowed(actor)
    return _set_active(session, library, False, "library.deactivate", actor)


def activate_library(session: Session, library: Library, *, actor: User | None = None) -> Library:
    """Reactivate a library.

    Raises
    ------
    Forbidden
        When ``actor`` may not manage the network.
    """
    _allowed(actor)
    return _set_active(session, library, True, "library.activate", actor)


def delete_library(session: Session, library: Library, *, actor: User | None = None) -> None:
    """Delete a library created by mistake.

    Raises
    ------
    Forbidden
        When ``actor`` may not manage the network.
    Conflict
        When it has responses, belongs to a campaign or has accounts (deactivate it instead).
    """
    _allowed(actor)
    if has_responses(session, library):
        raise Conflict("The library has responses; deactivate it instead.")
    if session.scalar(select(exists().where(campaign_libraries.c.library_id == library.id))):
        raise Conflict("The library takes part in a campaign; deactivate it instead.")
    if session.scalar(select(exists().where(User.library_id == library.id))):
        raise Conflict("Accounts are scoped to this library; deactivate it instead.")
    audit.record(session, actor, "library.delete", library)
    for point in list(library.service_points):
        session.delete(point)
    session.delete(library)
    session.flush()


# --- service points ------------------------------------------------------------------------


def _point_issues(
    session: Session, library: Library, code: str, name: str, current: ServicePoint | None = None
) -> list[Issue]:
    same_code = select(ServicePoint).where(
        ServicePoint.library_id == library.id, func.lower(ServicePoint.code) == code.lower()
    )
    return _code_name_issues(
        session,
        code,
        name,
        same_code,
        current=current,
        taken="This code is already used in the library.",
    )


def create_service_point(
    session: Session, library: Library, *, code: str, name: str, actor: User | None = None
) -> ServicePoint:
    """Add a service point (desk, department) to a library.

    Raises
    ------
    Forbidden
        When ``actor`` may not manage the network.
    Invalid
        When a field is wrong or the code is taken in this library.
    """
    _allowed(actor)
    code, name = (code or "").strip(), (name or "").strip()
    issues = _point_issues(session, library, code, name)
    if issues:
        raise Invalid("The service point cannot be created.", issues)
    point = ServicePoint(library=library, code=code, name=name[:200], active=True)
    return _add(session, point, "service_point.create", actor, name=name)


def update_service_point(
    session: Session,
    point: ServicePoint,
    *,
    code: str | None = None,
    name: str | None = None,
    actor: User | None = None,
) -> ServicePoint:
    """Rename a service point or change its code (not once it has responses).

    Raises
    ------
    Forbidden
        When ``actor`` may not manage the network.
    Invalid
        When a field is wrong or the code is taken in this library.
    Conflict
        When the code would change on a service point that has responses.
    """
    _allowed(actor)
    new_code, new_name = _edited(code, point.code), _edited(name, point.name)
    issues = _point_issues(session, point.library, new_code, new_name, point)
    if issues:
        raise Invalid("The service point was not changed.", issues)
    if new_code != point.code and _point_has_responses(session, point):
        raise Conflict("The service point has responses, so its code cannot change.")
    _rename(session, point, new_code, new_name, "service_point.update", actor)
    return point


def _point_has_responses(session: Session, point: ServicePoint) -> bool:
    return bool(session.scalar(select(exists().where(Response.service_point_id == point.id))))


def deactivate_service_point(
    session: Session, point: ServicePoint, *, actor: User | None = None
) -> ServicePoint:
    """Deactivate a service point.

    Raises
    ------
    Forbidden
        When ``actor`` may not manage the network.
    """
    _allowed(actor)
    return _set_active(session, point, False, "service_point.deactivate", actor)


def delete_service_point(
    session: Session, point: ServicePoint, *, actor: User | None = None
) -> None:
    """Delete a service point created by mistake.

    Raises
    ------
    Forbidden
        When ``actor`` may not manage the network.
    Conflict
        When it has responses (deactivate it instead).
    """
    _allowed(actor)
    if _point_has_responses(session, point):
        raise Conflict("The service point has responses; deactivate it instead.")
    audit.record(session, actor, "service_point.delete", point)
    session.delete(point)
    session.flush()


# --- bulk import ---------------------------------------------------------------------------


def read_table(data: bytes, filename: str) -> Iterator[tuple[int, list[Any]]]:
    """Yield ``(line number, cells)`` from a CSV or XLSX file (line 1 is the header).

    Raises
    ------
    Invalid
        NET008 when the file cannot be read as the format its name says.
    """
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        yield from _read_xlsx(data)
    elif name.endswith((".csv", ".txt")):
        yield from _read_csv(data)
    else:
        raise Invalid(
            "Unsupported file.", [Issue("NET008", "file", "Upload a .csv or .xlsx file.")]
        )


def _read_csv(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1251")
        except UnicodeDecodeError as error:
            raise Invalid(
                "Unreadable file.",
                [Issue("NET008", "file", "Save the CSV as UTF-8 (or Windows-1251).")],
            ) from error
    first = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for row in reader:
            yield reader.line_num, row
    except csv.Error as error:
        raise Invalid(
            "Unreadable file.",
            [Issue("NET008", f"line {reader.line_num}", "This line cannot be read as CSV.")],
        ) from error


def _read_xlsx(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook  # imported here: only imports need it

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a broken file
        raise Invalid(
            "Unreadable file.", [Issue("NET008", "file", "This is not a readable .xlsx file.")]
        ) from error
    try:
        sheet = book.worksheets[0]
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, list(row)
    finally:
        book.close()


def _header(cells: Sequence[Any]) -> tuple[dict[int, str], list[Issue]]:
    columns: dict[int, str] = {}
    issues: list[Issue] = []
    for index, cell in enumerate(cells):
        text = " ".join(str(cell or "").strip().lower().replace("_", " ").split())
        if not text:
            continue
        key = text.replace(" ", "_") if text.replace(" ", "_") in IMPORT_COLUMNS else None
        key = key or _HEADER_ALIASES.get(text)
        if key is None:
            issues.append(Issue("NET001", f"line 1: {str(cell).strip()}", "Unknown column."))
        elif key in columns.values():
            issues.append(Issue("NET001", f"line 1: {key}", "This column appears twice."))
        else:
            columns[index] = key
    for required in _REQUIRED_COLUMNS:
        if required not in columns.values():
            issues.append(
                Issue("NET001", f"line 1: {required}", "This required column is missing.")
            )
    return columns, issues


def import_libraries(
    session: Session, data: bytes, *, filename: str, actor: User | None = None
) -> ImportReport:
    """Create or update libraries from a CSV/XLSX table; all lines or none.

    A line whose code exists updates that library; a new code creates one. ``system`` is a
    library system's code or exact name.

    Raises
    ------
    Forbidden
        When ``actor`` may not manage the network.
    Invalid
        With every problem of every line, each path reading ``line N: column``.
    Conflict
        When a line would change the code of a library that has responses (cannot happen
        through codes, kept for safety) -- nothing is changed then either.
    """
    _allowed(actor)
    rows = read_table(data, filename)
    try:
        _, header_cells = next(rows)
    except StopIteration:
        raise Invalid("Empty file.", [Issue("NET008", "file", "The file is empty.")]) from None
    columns, issues = _header(header_cells)
    if issues:
        raise Invalid("The file's columns are wrong.", issues)

    parsed: list[tuple[int, _LibraryFields]] = []
    seen: dict[str, int] = {}
    systems: dict[str, LibrarySystem | None] = {}
    for line, cells in rows:
        raw = {key: cells[index] if index < len(cells) else None for index, key in columns.items()}
        if all(_clean(value) is None for value in raw.values()):
            continue
        if len(parsed) >= MAX_IMPORT_ROWS:
            issues.append(
                Issue("NET008", f"line {line}", "Too many libraries in one file (at most 5000).")
            )
            break
        prefix = f"line {line}: "
        row_issues, fields = _library_issues(raw, prefix)
        system_ref = _clean(raw.get("system"))
        if system_ref is None:
            row_issues.append(Issue("NET002", prefix + "system", "A value is required."))
        else:
            if system_ref.lower() not in systems:
                systems[system_ref.lower()] = _find_system(session, system_ref)
            fields.system = systems[system_ref.lower()]
            if fields.system is None:
                row_issues.append(
                    Issue("NET003", prefix + "system", "No library system has this code or name.")
                )
        if fields.code and not any(i.path == prefix + "code" for i in row_issues):
            first = seen.setdefault(fields.code.lower(), line)
            if first != line:
                row_issues.append(
                    Issue(
                        "NET006", prefix + "code", f"The code is repeated (first on line {first})."
                    )
                )
        issues += row_issues
        parsed.append((line, fields))
    if not parsed and not issues:
        issues.append(Issue("NET008", "file", "The file has no library lines."))
    if issues:
        raise Invalid("Nothing was imported: the file has errors.", issues)

    created: list[str] = []
    updated: list[str] = []
    unchanged: list[str] = []
    with session.begin_nested():
        for line, fields in parsed:
            existing = _find_library(session, fields.code)
            if existing is None:
                library = Library(system=fields.system, **fields.values(), active=True)
                session.add(library)
                created.append(fields.code)
            else:
                fields.code = existing.code  # same library, whatever the case in the file
                changed = _apply_library(session, existing, fields, fields.system, actor, line=line)
                (updated if changed else unchanged).append(fields.code)
        session.flush()
    audit.record(
        session,
        actor,
        "import.libraries",
        filename[:200],
        created=len(created),
        updated=len(updated),
        unchanged=len(unchanged),
    )
    return ImportReport(tuple(created), tuple(updated), tuple(unchanged))


@dataclass(frozen=True)
class LibraryPage:
    """One page of a searched list of libraries, with the systems to narrow it by."""

    libraries: tuple[Library, ...]
    systems: tuple[LibrarySystem, ...]
    found: int
    page: int
    pages: int


def _fold(text: str) -> str:
    """Case- and ё-insensitive form of a text (SQLite's lower() knows ASCII only)."""
    return text.casefold().replace("ё", "е")


def find_libraries(
    session: Session,
    user: object,
    *,
    query: str = "",
    system_code: str = "",
    page: int = 1,
    per_page: int = 50,
) -> LibraryPage:
    """Return a page of the libraries in the user's scope whose name, code or address holds
    ``query`` (any case), in the system ``system_code`` when given.

    A page past the last is an empty page (the view answers 404).
    """
    every = session.scalars(scoped_libraries_query(session, user)).all()
    systems = {library.system.id: library.system for library in every}
    rows = list(every)
    if system_code:
        rows = [library for library in rows if library.system.code == system_code]
    wanted = _fold(query.strip())
    if wanted:
        rows = [
            library
            for library in rows
            if any(
                wanted in _fold(text or "")
                for text in (library.name, library.code, library.address)
            )
        ]
    pages = max(1, -(-len(rows) // per_page))
    shown = rows[(page - 1) * per_page : page * per_page]
    ordered = sorted(systems.values(), key=lambda system: (system.name, system.id))
    return LibraryPage(tuple(shown), tuple(ordered), len(rows), page, pages)
