"""Instrument versions in the database and the parsed, cached definitions."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from sqlalchemy import Connection
from sqlalchemy import select
from sqlalchemy.orm import Session

import instruments
from instruments import Instrument
from survey_app.models import InstrumentVersion
from survey_app.models.base import utcnow


def text_of(text: Mapping[str, str] | None, locale: str) -> str:
    """Return an instrument text in ``locale``, falling back to Russian (every instrument text
    has it), else to any language it has."""
    if not text:
        return ""
    return text.get(locale) or text.get("ru") or next(iter(text.values()), "")


@lru_cache(maxsize=256)
def _parse(source: str, sha256: str) -> Instrument:
    # keyed by the content hash too, so an edited row can never hit a stale entry
    return instruments.load(source.encode("utf-8"))


def instrument_of(version: InstrumentVersion) -> Instrument:
    """Return the parsed instrument of a stored version (parsed once per process)."""
    return _parse(version.source, version.sha256)


#: parsed instruments by (version row id, content hash): the hot submission path knows both
#: from its one lookup query and must not fetch the source (kilobytes) for every response
_by_version_id: dict[tuple[int, str], Instrument] = {}
_BY_VERSION_ID_LIMIT = 1024


def instrument_of_version_id(db: Session | Connection, version_id: int, sha256: str) -> Instrument:
    """Return the parsed instrument of a stored version, reading its source only once.

    Keyed by the content hash too, so an edited draft never hits a stale entry.
    """
    key = (version_id, sha256)
    found = _by_version_id.get(key)
    if found is None:
        source = db.scalar(select(InstrumentVersion.source).filter_by(id=version_id))
        if source is None:
            raise LookupError(f"instrument version {version_id} is not stored")
        found = _parse(source, sha256)
        if len(_by_version_id) >= _BY_VERSION_ID_LIMIT:
            _by_version_id.clear()
        _by_version_id[key] = found
    return found


@lru_cache(maxsize=1)
def _bundled() -> tuple[tuple[str, Instrument], ...]:
    """The bundled definitions' sources and parsed forms (package data is fixed at run time)."""
    found = []
    for path in instruments.bundled_paths():
        source = path.read_text(encoding="utf-8")
        found.append((source, instruments.load(source.encode("utf-8"), filename=path.name)))
    return tuple(found)


def register_bundled_instruments(session: Session) -> list[InstrumentVersion]:
    """Store every bundled definition that is not stored yet, published; return all of them."""
    stored: list[InstrumentVersion] = []
    for source, parsed in _bundled():
        row = session.scalar(
            select(InstrumentVersion).filter_by(instrument_id=parsed.id, version=parsed.version)
        )
        if row is None:
            row = InstrumentVersion(
                instrument_id=parsed.id,
                version=parsed.version,
                sha256=parsed.sha256,
                source=source,
                title=parsed.title["ru"],
                published_at=utcnow(),
            )
            session.add(row)
        stored.append(row)
    session.flush()
    return stored
