"""The audit log: who did what and when.

Services call :func:`record` for every change worth answering for later (publishing an
instrument, opening or closing a campaign, user and scope changes, imports, exclusions of
responses). Actions are dotted names, ``<object>.<verb>``; filtering by ``"campaign"`` finds
every ``campaign.*`` event. Nothing personal about visitors is ever recorded, and no address.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Select
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey_app.models import AuditEvent
from survey_app.models import Campaign
from survey_app.models import InstrumentVersion
from survey_app.models import Library
from survey_app.models import LibrarySystem
from survey_app.models import Region
from survey_app.models import ServicePoint
from survey_app.models import User
from survey_app.models.base import utcnow

__all__ = [
    "KNOWN_ACTIONS",
    "describe_target",
    "events",
    "events_query",
    "place_names",
    "record",
]

#: actions recorded by the services of this project (others may add more; any dotted name works)
KNOWN_ACTIONS: tuple[str, ...] = (
    "user.create",
    "user.deactivate",
    "user.activate",
    "user.scope",
    "user.password_change",
    "user.password_reset",
    "region.create",
    "system.create",
    "system.update",
    "system.deactivate",
    "system.activate",
    "system.delete",
    "library.create",
    "library.update",
    "library.deactivate",
    "library.activate",
    "library.delete",
    "service_point.create",
    "service_point.update",
    "service_point.deactivate",
    "service_point.delete",
    "import.libraries",
    "import.responses",
    "instrument.upload",
    "instrument.publish",
    "campaign.create",
    "campaign.open",
    "campaign.close",
    "response.exclude",
    "response.restore",
    "results.export",
    "token.issue",
    "token.revoke",
    "demo.seed",
)

_MAX_TARGET = 200


def describe_target(target: object) -> str:
    """Return the short text stored as an event's target (``"library:LIB-1"`` etc.)."""
    if target is None:
        return ""
    if isinstance(target, str):
        return target[:_MAX_TARGET]
    if isinstance(target, User):
        return f"user:{target.email}"[:_MAX_TARGET]
    if isinstance(target, Library | LibrarySystem | Region | Campaign):
        kind = {
            Library: "library",
            LibrarySystem: "system",
            Region: "region",
            Campaign: "campaign",
        }[type(target)]
        return f"{kind}:{target.code}"[:_MAX_TARGET]
    if isinstance(target, ServicePoint):
        library = target.library.code if target.library is not None else target.library_id
        return f"service_point:{library}/{target.code}"[:_MAX_TARGET]
    if isinstance(target, InstrumentVersion):
        return f"instrument:{target.instrument_id}@{target.version}"[:_MAX_TARGET]
    return str(target)[:_MAX_TARGET]


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_jsonable(item) for item in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    return describe_target(value)


def record(
    session: Session, actor: User | None, action: str, target: object = None, **details: Any
) -> AuditEvent:
    """Add one audit event (``actor`` None = the command line or the system) and flush it.

    Raises
    ------
    ValueError
        When ``action`` is empty or longer than the column allows.
    """
    if not action or len(action) > 64:
        raise ValueError("an audit action is a non-empty dotted name of at most 64 characters")
    actor_obj = actor if isinstance(actor, User) else None
    event = AuditEvent(
        at=utcnow(),
        actor=actor_obj,
        action=action,
        target=describe_target(target),
        details=_jsonable(details) if details else None,
    )
    session.add(event)
    session.flush()
    return event


def events_query(
    *,
    action: str | None = None,
    actor: User | int | str | None = None,
    since: datetime | date | None = None,
    until: datetime | date | None = None,
    target: str | None = None,
) -> Select[Any]:
    """Return the filtered query behind :func:`events`, newest first (for paging)."""
    stmt = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if action:
        name = action.strip().lower()
        if name.endswith(".*") or name.endswith("."):
            name = name.rstrip("*").rstrip(".")
        stmt = stmt.where(or_(AuditEvent.action == name, AuditEvent.action.like(f"{name}.%")))
    if actor is not None:
        if isinstance(actor, User):
            stmt = stmt.where(AuditEvent.actor_id == actor.id)
        elif isinstance(actor, int):
            stmt = stmt.where(AuditEvent.actor_id == actor)
        elif actor.strip():
            stmt = stmt.join(AuditEvent.actor).where(User.email == actor.strip().lower())
    if since is not None:
        stmt = stmt.where(AuditEvent.at >= _start(since))
    if until is not None:
        stmt = stmt.where(AuditEvent.at < _end(until))
    if target:
        stmt = stmt.where(AuditEvent.target == target)
    return stmt


def events(
    session: Session,
    *,
    action: str | None = None,
    actor: User | int | str | None = None,
    since: datetime | date | None = None,
    until: datetime | date | None = None,
    target: str | None = None,
    limit: int | None = 500,
    offset: int = 0,
) -> Sequence[AuditEvent]:
    """Return audit events, newest first.

    ``action`` matches exactly or as a prefix (``"user"`` finds ``user.create``...);
    ``actor`` is a user, an id or an e-mail; ``since`` is inclusive and ``until`` exclusive for
    datetimes; a ``date`` as ``until`` includes that whole day (UTC).
    """
    stmt = events_query(action=action, actor=actor, since=since, until=until, target=target)
    if offset:
        stmt = stmt.offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    return session.scalars(stmt).all()


def _start(moment: datetime | date) -> datetime:
    if isinstance(moment, datetime):
        return _aware(moment)
    return datetime(moment.year, moment.month, moment.day, tzinfo=UTC)


def _end(moment: datetime | date) -> datetime:
    if isinstance(moment, datetime):
        return _aware(moment)
    return datetime(moment.year, moment.month, moment.day, tzinfo=UTC) + timedelta(days=1)


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime given; use an aware UTC datetime")
    return moment


def _refs(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _refs(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _refs(item)


def place_names(
    session: Session, values: Iterable[Any] = (), *, events: Iterable[AuditEvent] = ()
) -> dict[str, tuple[str, str | None]]:
    """The names of the libraries and library systems referred to as ``"library:CODE"`` or
    ``"system:CODE"`` (scopes, audit targets and details), for pages that show them.

    ``values`` are such references (or any text, lists and mappings holding them); the
    targets and details of ``events`` are searched too. Returns reference -> (name, the
    library's system's name, or None for a system); codes no longer known are left out.
    """
    refs: set[str] = set(_refs(list(values)))
    for event in events:
        refs.add(event.target or "")
        refs.update(_refs(event.details or {}))
        library = (event.details or {}).get("library")
        if isinstance(library, str) and ":" not in library:
            refs.add(f"library:{library}")  # a library named by its bare code
    wanted: dict[str, set[str]] = {"library": set(), "system": set()}
    for ref in refs:
        kind, sep, code = ref.partition(":")
        if sep and kind in wanted and code:
            wanted[kind].add(code)
    names: dict[str, tuple[str, str | None]] = {}
    if wanted["library"]:
        libraries = session.execute(
            select(Library.code, Library.name, LibrarySystem.name)
            .join(LibrarySystem, Library.system_id == LibrarySystem.id)
            .where(Library.code.in_(sorted(wanted["library"])))
        )
        names.update({f"library:{code}": (name, system) for code, name, system in libraries})
    if wanted["system"]:
        systems = session.execute(
            select(LibrarySystem.code, LibrarySystem.name).where(
                LibrarySystem.code.in_(sorted(wanted["system"]))
            )
        )
        names.update({f"system:{code}": (name, None) for code, name in systems})
    return names
