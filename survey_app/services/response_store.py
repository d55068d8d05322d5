"""Where a response goes and how it is stored: the SQL behind :func:`record_response`.

Recording a response needs its campaign's id, channels, Lite share and instrument version,
its library's id and its service point's id.  None of these change while a campaign is open
(a campaign's channels, Lite share and instrument version are fixed when it is created), so
:func:`find_target` keeps them per process, keyed by the codes in the submission.  What *can*
change — the campaign closes, the library is deactivated or leaves it, a code is renamed, a
service point is deleted — is checked again by the insert itself: :func:`store` inserts only
``WHERE EXISTS`` an open campaign with that id, code and creation time, with that library,
active and with that code, and that instrument version content.  The check and the insert are
one statement, so no response is ever stored for a campaign that had closed.  When the check
fails the caller forgets the cached target and looks again (:func:`forget_target`).

On PostgreSQL the response row and its answer rows are one statement too (a data-modifying
``WITH``), so the API can run it in autocommit mode: one round trip per stored response.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any
from typing import cast as cast_type

import psycopg
from sqlalchemy import Connection
from sqlalchemy import Float
from sqlalchemy import Integer
from sqlalchemy import Select
from sqlalchemy import Text
from sqlalchemy import bindparam
from sqlalchemy import cast
from sqlalchemy import exists
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import literal_column
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import true
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql.dml import ReturningInsert
from sqlalchemy.sql.expression import ColumnClause

from instruments.answers import AnswerRow
from survey_app.models import Answer
from survey_app.models import Campaign
from survey_app.models import CampaignStatus
from survey_app.models import InstrumentVersion
from survey_app.models import Library
from survey_app.models import Response
from survey_app.models import ServicePoint
from survey_app.models import campaign_libraries
from survey_app.services.errors import NotFound

#: the columns of ``responses`` that a recorded response fills
RESPONSE_COLUMNS = (
    "client_uuid",
    "campaign_id",
    "library_id",
    "service_point_id",
    "channel",
    "instrument_id",
    "instrument_version",
    "instrument_sha256",
    "started_at",
    "submitted_at",
    "received_at",
    "page_timings",
    "content_sha256",
    "vector",
    "device_id",
    "flags",
    "lite_items",
    "writer_kind",
    "writer_id",
)


@dataclass(frozen=True, slots=True)
class Target:
    """What recording a response needs of its campaign, library and service point."""

    campaign_code: str
    campaign_id: int
    campaign_created_at: datetime
    channels: tuple[str, ...]
    lite_share: float
    instrument_version_id: int
    instrument_sha256: str
    library_code: str
    library_id: int
    service_point_code: str | None
    service_point_id: int | None

    def guard(self) -> dict[str, Any]:
        """The parameters :func:`store` checks again in its insert (:data:`_GUARD_PARAMETERS`)."""
        return {
            "guard_campaign_id": self.campaign_id,
            "guard_campaign_code": self.campaign_code,
            "guard_campaign_created_at": self.campaign_created_at,
            "guard_instrument_sha256": self.instrument_sha256,
            "guard_library_id": self.library_id,
            "guard_library_code": self.library_code,
            "guard_service_point_code": self.service_point_code,
        }


#: the names of :meth:`Target.guard`'s parameters
_GUARD_PARAMETERS = (
    "guard_campaign_id",
    "guard_campaign_code",
    "guard_campaign_created_at",
    "guard_instrument_sha256",
    "guard_library_id",
    "guard_library_code",
    "guard_service_point_code",
)

_Key = tuple[str, str, str | None]
#: targets by (campaign code, library code, service point code); bounded, per process
_targets: dict[_Key, Target] = {}
_TARGETS_LIMIT = 20_000

#: one round trip for a submission's campaign, library, instrument version and service point;
#: Core columns only (the ORM would load the instrument's source with every response)
_TARGET_QUERY = (
    select(
        Campaign.id.label("campaign_id"),
        Campaign.created_at.label("campaign_created_at"),
        Campaign.status,
        Campaign.channels,
        Campaign.lite_share,
        Campaign.instrument_version_id,
        InstrumentVersion.sha256.label("instrument_sha256"),
        Library.id.label("library_id"),
        Library.active,
        ServicePoint.id.label("service_point_id"),
    )
    .join(campaign_libraries, campaign_libraries.c.campaign_id == Campaign.id)
    .join(Library, Library.id == campaign_libraries.c.library_id)
    .join(InstrumentVersion, InstrumentVersion.id == Campaign.instrument_version_id)
    .outerjoin(
        ServicePoint,
        (ServicePoint.library_id == Library.id) & (ServicePoint.code == bindparam("service_point")),
    )
    .where(Campaign.code == bindparam("campaign"), Library.code == bindparam("library"))
)


def find_target(
    connection: Connection,
    campaign: str,
    library: str,
    service_point: str | None,
    *,
    cached: bool = True,
) -> Target:
    """Return where a response to ``campaign`` in ``library`` goes.

    ``service_point_id`` is None when the library has no service point with that code (the
    caller reports it; such a target is not kept).  With ``cached``, a target found before
    in this process is returned without a query; :func:`store` checks it again, and the
    caller looks again before refusing a submission that a kept target judged invalid.

    Raises
    ------
    NotFound
        unknown or closed campaign, a library not in it, or an inactive library.
    """
    key = (campaign, library, service_point)
    if cached and (found := _targets.get(key)) is not None:
        return found
    row = connection.execute(
        _TARGET_QUERY, {"campaign": campaign, "library": library, "service_point": service_point}
    ).first()
    if row is None or row.status != CampaignStatus.open:
        if connection.scalar(select(Campaign.status).filter_by(code=campaign)) != "open":
            raise NotFound("No open survey has this code.")
        raise NotFound("This library does not take part in this survey.")
    if not row.active:
        raise NotFound("This library does not take part in this survey.")
    target = Target(
        campaign_code=campaign,
        campaign_id=row.campaign_id,
        campaign_created_at=row.campaign_created_at,
        channels=tuple(row.channels),
        lite_share=row.lite_share,
        instrument_version_id=row.instrument_version_id,
        instrument_sha256=row.instrument_sha256,
        library_code=library,
        library_id=row.library_id,
        service_point_code=service_point,
        service_point_id=row.service_point_id,
    )
    if service_point is not None and target.service_point_id is None:
        return target  # not kept: the point may be created any moment
    if len(_targets) >= _TARGETS_LIMIT:
        _targets.clear()
    _targets[key] = target
    return target


def forget_target(target: Target) -> None:
    """Drop a cached target that :func:`store`'s check refused."""
    _targets.pop((target.campaign_code, target.library_code, target.service_point_code), None)


def store(
    connection: Connection, target: Target, response: dict[str, Any], rows: Sequence[AnswerRow]
) -> int | None:
    """Insert a response and its answer rows if ``target`` still holds; return the new id.

    Returns None when nothing was inserted: the client UUID is stored already (a retry, or a
    concurrent duplicate from another worker: ``ON CONFLICT DO NOTHING``, no exception, no
    savepoint), or the campaign, library or service point no longer match ``target``.
    """
    params = {**response, **target.guard()}
    dialect = connection.dialect.name
    if dialect == "postgresql":
        return _store_postgresql(connection, params, rows)
    response_id = connection.execute(_guarded_insert(dialect), params).scalar_one_or_none()
    if response_id is not None and rows:
        # a Core executemany, compiled once per process
        connection.execute(
            insert(Answer),
            [
                {
                    "response_id": response_id,
                    "item_id": row.item,
                    "column": row.column,
                    "value_num": row.number,
                    "value_text": row.text,
                }
                for row in rows
            ],
        )
    return response_id


def store_many(
    connection: Connection,
    entries: Sequence[tuple[Target, dict[str, Any], Sequence[AnswerRow]]],
) -> list[int | None]:
    """:func:`store` for several responses; the new ids in order (None: nothing inserted).

    On PostgreSQL the statements are sent in one pipeline (psycopg's ``executemany`` with
    ``returning``): one round trip for all, same statement and same guard as :func:`store`.
    """
    if not entries:
        return []
    if connection.dialect.name != "postgresql":
        return [store(connection, target, response, rows) for target, response, rows in entries]
    params = [
        _postgresql_params({**response, **target.guard()}, rows)
        for target, response, rows in entries
    ]
    driver = cast_type(psycopg.Connection, connection.connection.driver_connection)
    found: list[int | None] = []
    try:
        with driver.cursor() as cursor:
            cursor.executemany(_postgresql_sql(), params, returning=True)
            while True:
                row = cursor.fetchone()
                found.append(None if row is None else int(row[0]))
                if not cursor.nextset():
                    break
    except psycopg.OperationalError:
        connection.invalidate()  # as SQLAlchemy does: a broken connection leaves the pool
        raise
    return found


def _postgresql_params(params: dict[str, Any], rows: Sequence[AnswerRow]) -> dict[str, Any]:
    """The parameters of the one-statement insert as psycopg takes them."""
    params["channel"] = str(params["channel"])
    for name in ("page_timings", "flags", "lite_items"):
        if params[name] is not None:
            params[name] = json.dumps(params[name])
    # the answer rows arrive as one JSON array of [item, column, number, text]
    params["answers"] = json.dumps(
        [[row.item, row.column, row.number, row.text] for row in rows],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return params


def _store_postgresql(
    connection: Connection, params: dict[str, Any], rows: Sequence[AnswerRow]
) -> int | None:
    """Run the one-statement insert on the driver connection under ``connection``.

    The SQL is compiled from :func:`_postgresql_insert_with_answers` once per process; it is
    sent straight to psycopg (same connection, same transaction) because SQLAlchemy's
    per-execution work costs more CPU than the statement itself on this hot path. The
    parameters are plain Python values psycopg adapts itself (the JSON ones serialised here).
    """
    params = _postgresql_params(params, rows)
    driver = cast_type(psycopg.Connection, connection.connection.driver_connection)
    try:
        row = driver.execute(_postgresql_sql(), params).fetchone()
    except psycopg.OperationalError:
        connection.invalidate()  # as SQLAlchemy does: a broken connection leaves the pool
        raise
    return None if row is None else int(row[0])


@lru_cache(maxsize=1)
def _postgresql_sql() -> str:
    """The SQL of :func:`_postgresql_insert_with_answers` for psycopg, with its parameter names.

    Raises at first use if the statement's parameters are not exactly those that
    :func:`store` supplies (a renamed column must not silently send NULL).
    """
    compiled = _postgresql_insert_with_answers().compile(dialect=postgresql.psycopg.dialect())
    expected = set(RESPONSE_COLUMNS) | set(_GUARD_PARAMETERS) | {"answers"}
    if set(compiled.params) != expected:
        raise RuntimeError(f"insert parameters {sorted(compiled.params)} != {sorted(expected)}")
    return str(compiled)


#: a literal, not a parameter: the compiled SQL is sent to psycopg as it is
_OPEN: ColumnClause[str] = literal_column(f"'{CampaignStatus.open.value}'")


def _still_open() -> Any:
    """``EXISTS`` the target's open campaign with that library (and service point)."""
    point_id = bindparam("service_point_id", type_=Integer)
    point = exists().where(
        ServicePoint.id == point_id,
        ServicePoint.library_id == Library.id,
        ServicePoint.code == bindparam("guard_service_point_code"),
    )
    created_at = bindparam("guard_campaign_created_at", type_=Campaign.created_at.type)
    return (
        select(Campaign.id)
        .join(campaign_libraries, campaign_libraries.c.campaign_id == Campaign.id)
        .join(Library, Library.id == campaign_libraries.c.library_id)
        .join(InstrumentVersion, InstrumentVersion.id == Campaign.instrument_version_id)
        .where(
            Campaign.id == bindparam("guard_campaign_id"),
            Campaign.code == bindparam("guard_campaign_code"),
            Campaign.created_at == created_at,
            Campaign.status == _OPEN,
            InstrumentVersion.sha256 == bindparam("guard_instrument_sha256"),
            Library.id == bindparam("guard_library_id"),
            Library.code == bindparam("guard_library_code"),
            Library.active.is_(True),
            or_(point_id.is_(None), point),
        )
        .exists()
    )


def _guarded_values() -> Select[Any]:
    """``SELECT :client_uuid, ... WHERE EXISTS (...)``: the row to insert, if still open."""
    responses = Response.__table__
    return select(
        *(bindparam(name, type_=responses.c[name].type) for name in RESPONSE_COLUMNS)
    ).where(_still_open())


@lru_cache(maxsize=4)
def _guarded_insert(dialect: str) -> ReturningInsert[int]:
    """INSERT a response unless its UUID is stored or its target closed (built once)."""
    build = postgresql_insert if dialect == "postgresql" else sqlite_insert
    return (
        build(Response)
        .from_select(list(RESPONSE_COLUMNS), _guarded_values())
        .on_conflict_do_nothing(index_elements=[Response.client_uuid])
        .returning(Response.id)
    )


@lru_cache(maxsize=1)
def _postgresql_insert_with_answers() -> Select[int]:
    """The guarded response insert and its answers in one statement (PostgreSQL; built once).

    ``WITH stored AS (INSERT INTO responses ... SELECT ... WHERE EXISTS (...) ON CONFLICT
    (client_uuid) DO NOTHING RETURNING id), stored_answers AS (INSERT INTO answers ... SELECT
    stored.id, given.value->>0, ... FROM stored JOIN json_array_elements(:answers) AS given
    ON true) SELECT id FROM stored`` — when nothing is inserted, ``stored`` is empty and so
    are the answers.
    """
    stored = _guarded_insert("postgresql").cte("stored")
    # each answer row is a JSON array [item, column, number, text]
    given = (
        func.json_array_elements(bindparam("answers", type_=Text).cast(postgresql.JSON))
        .table_valued("value")
        .render_derived(name="given")
    )
    element = given.c.value
    stored_answers = (
        insert(Answer)
        .from_select(
            ["response_id", "item_id", "column", "value_num", "value_text"],
            select(
                stored.c.id,
                element.op("->>")(literal_column("0")),
                element.op("->>")(literal_column("1")),
                cast(element.op("->>")(literal_column("2")), Float),
                element.op("->>")(literal_column("3")),
            ).select_from(stored.join(given, true())),
        )
        .cte("stored_answers")
    )
    return select(stored.c.id).add_cte(stored_answers)
