"""The database stream: a campaign's stored response vectors -> per-library statistics.

:func:`library_moments` reads the included responses of a campaign (or of every campaign of
an instrument version) ordered by library, chunk by chunk, and feeds them to an
:class:`analysis.Accumulator`; it yields each library's :class:`analysis.GroupStats` as soon
as its rows end. Memory is bounded by one chunk and one library's statistics, never by the
number of rows. The statistics themselves are defined in :mod:`analysis`; this module only
knows where the rows are and how to read them fast (binary COPY on PostgreSQL).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import struct
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Sequence
from typing import Any

import numpy as np
from psycopg import pq
from sqlalchemy import Date
from sqlalchemy import Float
from sqlalchemy import case
from sqlalchemy import cast
from sqlalchemy import func
from sqlalchemy import literal_column
from sqlalchemy import select
from sqlalchemy.orm import Session

from analysis.accumulator import Accumulator
from analysis.accumulator import GroupStats
from analysis.plan import AnalysisPlan
from instruments import Instrument
from survey_app.config import time_zone
from survey_app.models import Campaign
from survey_app.models import Channel
from survey_app.models import InstrumentVersion
from survey_app.models import Response
from survey_app.services.analysis_plan import analysis_plan
from survey_app.services.instruments import instrument_of

__all__ = ["CELL_COLUMNS", "PG_BLOCK", "library_moments", "screening_chunks", "source_filter"]


def source_filter(session: Session, source: Campaign | InstrumentVersion) -> tuple[Any, Instrument]:
    """The WHERE condition of a source's included responses, and its instrument."""
    table = Response.__table__
    included = table.c.excluded_at.is_(None)  # quality control left these out of analysis
    if isinstance(source, Campaign):
        condition = (table.c.campaign_id == source.id) & included
        return condition, instrument_of(source.instrument_version)
    if isinstance(source, InstrumentVersion):
        condition = (
            (table.c.instrument_id == source.instrument_id)
            & (table.c.instrument_version == source.version)
            & included
        )
        return condition, instrument_of(source)
    raise TypeError(f"source must be a Campaign or an InstrumentVersion, got {type(source)!r}")


#: the cell of a response: (channel, day, service point id or None)
CELL_COLUMNS = ("channel", "day", "service_point_id")
#: the channels a PostgreSQL stream codes by position (see :func:`_chunks`)
CHANNELS = tuple(channel.value for channel in Channel)


def library_moments(
    session: Session,
    source: Campaign | InstrumentVersion,
    *,
    plan: AnalysisPlan | None = None,
    chunk_rows: int = 50_000,
    cells: bool = False,
    cell_key: Callable[[tuple[Any, ...]], tuple[Any, ...]] | None = None,
    cell_plan: AnalysisPlan | None = None,
    pages: Sequence[str] = (),
    on_rows: Callable[[np.ndarray, np.ndarray, np.ndarray], None] | None = None,
    zone: str = "UTC",
) -> Iterator[GroupStats]:
    """Stream the responses of a campaign (or of every campaign of an instrument version) and
    yield each library's sufficient statistics as soon as its rows end.

    Responses excluded by quality control (``excluded_at`` set) are left out. The rows are
    read ``(library_id, vector)`` ordered by library, ``chunk_rows`` at a time (on
    PostgreSQL by binary COPY of blocks of a library's responses, elsewhere through a
    server-side cursor); nothing but the current chunk and the current library's statistics
    is held. ``vector`` is decoded with the instrument's ``analysis_keys`` (little-endian
    float64, NaN = missing).

    With ``cells=True`` each library's :attr:`~analysis.GroupStats.cells` also hold the
    statistics of its responses per channel × day × service point (labelled as
    :data:`CELL_COLUMNS`; the day is the date in the time zone ``zone`` (an IANA name, e.g.
    the region's ``Asia/Novokuznetsk``) when the respondent submitted, else when it was
    received), in the same pass: the source of trends, channel comparisons and heat maps.
    ``cell_key`` maps that label to a coarser one (e.g. channel × month) so that a library
    keeps a few cells instead of one per day; it is called once per distinct label.
    ``cell_plan`` (the plan restricted to fewer analyses, same keys) is what the cells keep
    (:class:`analysis.Accumulator`).

    ``on_rows`` (e.g. the careless-response screening) is called with every chunk of the same
    scan before it is accumulated: ``(library id of each response, vectors, page seconds)``
    as :func:`screening_chunks` yields them, the seconds of each page of ``pages``.

    Raises
    ------
    ValueError
        A stored vector whose length does not match the instrument, an answer outside its
        declared whole-number range, or a ``zone`` that is not a known time zone.
    """
    if chunk_rows < 1:
        raise ValueError("chunk_rows must be positive")
    condition, instrument = source_filter(session, source)
    plan = plan if plan is not None else analysis_plan(instrument)
    accumulator = Accumulator(plan, cell_plan if cells else None)
    labels: dict[tuple[Any, ...], int] = {}
    cells_ = _CellCodes(labels, cell_key, zone) if cells else None
    for library_ids, x, secs, codes in _chunks(
        session, condition, plan, chunk_rows, pages=pages if on_rows else (), cells=cells_
    ):
        if on_rows is not None:
            on_rows(library_ids, x, secs)
        finished = accumulator.add(library_ids, x, codes)
        yield from _labelled(finished, labels) if cells else finished
    finished = accumulator.finish()
    yield from _labelled(finished, labels) if cells else finished


def screening_chunks(
    session: Session,
    source: Campaign | InstrumentVersion,
    *,
    pages: Sequence[str],
    plan: AnalysisPlan | None = None,
    chunk_rows: int = 50_000,
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Stream what the careless-response screening reads, ordered by library.

    Yields ``(library id of each response, vectors, page seconds)`` at most about
    ``chunk_rows`` responses at a time (a library may continue in the next chunk):
    ``vectors`` is the ``(n, len(plan.keys))`` float matrix of the stored vectors, ``page
    seconds`` the ``(n, len(pages))`` seconds each response spent on each page of ``pages``
    according to its ``page_timings`` (NaN when it sent none for that page). The database
    extracts the seconds from the JSON; on PostgreSQL both come by binary COPY in blocks of
    a library's responses, as :func:`library_moments` reads vectors (it can hand the same
    chunks to a screening from its own scan: ``on_rows``).

    Raises
    ------
    ValueError
        A stored vector whose length does not match the instrument.
    """
    if chunk_rows < 1:
        raise ValueError("chunk_rows must be positive")
    condition, instrument = source_filter(session, source)
    plan = plan if plan is not None else analysis_plan(instrument)
    for library_ids, x, secs, _ in _chunks(session, condition, plan, chunk_rows, pages=pages):
        yield library_ids, x, secs


def _labelled(
    finished: list[GroupStats], labels: dict[tuple[Any, ...], int]
) -> Iterator[GroupStats]:
    by_code = {code: label for label, code in labels.items()}
    for stats in finished:
        for code, cell in stats.cells.items():
            cell.label = by_code[code]
        yield stats


def _wrong_length(plan: AnalysisPlan, library_id: int) -> ValueError:
    return ValueError(
        f"a response of library {library_id} has a vector of another length than "
        f"{plan.instrument_id} v{plan.version}'s {len(plan.keys)} keys"
    )


class _CellCodes:
    """The code of each row's cell: ``labels`` maps the cell label (channel, ISO day, service
    point id) — or ``cell_key`` of it — to its code, filled as cells appear. Days are dates
    in the time zone ``zone`` (an IANA name; ValueError for an unknown one)."""

    def __init__(
        self,
        labels: dict[tuple[Any, ...], int],
        cell_key: Callable[[tuple[Any, ...]], tuple[Any, ...]] | None,
        zone: str = "UTC",
    ) -> None:
        self.labels = labels
        self.cell_key = cell_key
        self._local = time_zone(zone)
        self.zone = zone
        #: the local ISO day of each stored UTC moment's minute seen (SQLite's text)
        self._days: dict[str, str] = {}
        self.seen: dict[tuple[Any, ...], int] = {}
        #: (channel, day number, service point or -1) -> code, as the stream gives them
        self.by_numbers: dict[tuple[str | None, int, int], int] = {}

    def code(self, cell: tuple[Any, ...]) -> int:
        code = self.seen.get(cell)
        if code is None:
            label = cell if self.cell_key is None else self.cell_key(cell)
            code = self.labels.get(label)
            if code is None:
                code = self.labels[label] = len(self.labels)
            self.seen[cell] = code
        return code

    def day(self, moment: Any) -> str | None:
        """The ISO day in :attr:`zone` of a stored UTC moment given as SQLite's text
        (``YYYY-MM-DD HH:MM``, naive UTC; at least the date)."""
        if not moment:
            return None
        text = str(moment)
        day = self._days.get(text)
        if day is None:
            utc = dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)
            day = self._days[text] = utc.astimezone(self._local).date().isoformat()
        return day

    def codes(self, channels: Sequence[str], parts: np.ndarray) -> np.ndarray:
        """Codes of rows given as ``(channel index, day number, service point or -1)``
        (``parts``, one row each; channel index -1: none of ``channels``, labelled None; day
        number = days since 1970-01-01, ``_NO_DAY`` for none)."""
        if not len(parts):
            return np.empty(0, dtype=np.int64)
        # one integer per row from each column's offset from its smallest value when they
        # span a few thousand (channels, days, service points), else from its rank among the
        # chunk's values (np.unique over rows, axis=0, sorts the rows as bytes: ten times
        # slower); the product of the spans stays far below 2**63
        combined = np.zeros(len(parts), dtype=np.int64)
        for j in range(parts.shape[1]):
            column = parts[:, j]
            low = int(column.min())
            span = int(column.max()) - low + 1
            if span <= _DIRECT_SPAN:
                combined = combined * span + (column - low)
            else:
                values, rank = np.unique(column, return_inverse=True)
                combined = combined * len(values) + rank.reshape(-1)
        first, inverse = np.unique(combined, return_index=True, return_inverse=True)[1:]
        distinct = parts[first]
        table = np.fromiter(
            (
                self._numbers_code(channels[c] if c >= 0 else None, d, p)
                for c, d, p in distinct.tolist()
            ),
            dtype=np.int64,
            count=len(distinct),
        )
        return table[np.asarray(inverse).reshape(-1)]

    def _numbers_code(self, channel: str | None, day: int, point: int) -> int:
        """The code of a cell given as (channel, day number, service point or -1)."""
        key = (channel, day, point)
        code = self.by_numbers.get(key)
        if code is None:
            iso = None if day == _NO_DAY else (_EPOCH + dt.timedelta(days=day)).isoformat()
            code = self.by_numbers[key] = self.code((channel, iso, None if point < 0 else point))
        return code


#: a column of cell parts whose values span at most this many is coded by offset
_DIRECT_SPAN = 4096
_EPOCH = dt.date(1970, 1, 1)
#: the day number of a response without a date (none in practice: received_at is required)
_NO_DAY = -(2**31)


def _moment(table: Any) -> Any:
    """When a response was given: submitted by the respondent, else received."""
    return func.coalesce(table.c.submitted_at, table.c.received_at)


def _chunks(
    session: Session,
    condition: Any,
    plan: AnalysisPlan,
    chunk_rows: int,
    *,
    pages: Sequence[str] = (),
    cells: _CellCodes | None = None,
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]]:
    """The one reader of the stream: ``(library id of each response, vectors (n × keys),
    seconds of each page of ``pages`` (n × pages, NaN = none), cell code of each row or
    None)``, at most about ``chunk_rows`` responses at a time, ordered by library.

    On PostgreSQL (psycopg) the server concatenates per response the vector, the page
    seconds and, with ``cells``, the local day number, service point and channel (its position
    in :data:`CHANNELS`) as one fixed-width binary record, and those of up to ``PG_BLOCK``
    responses of a library into one row (``string_agg``) sent by binary COPY: one Python
    object per block, not per
    response; the few distinct cells of a chunk are labelled with numpy. Elsewhere (SQLite in
    the tests) a ``yield_per`` cursor of one row per response.
    """
    table = Response.__table__
    keys = len(plan.keys)
    seconds = [table.c.page_timings[page].as_float() for page in pages]

    def wrong_length(library_id: int) -> ValueError:
        return _wrong_length(plan, library_id)

    dialect = session.get_bind().dialect
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        record: Any = table.c.vector
        nan = cast(literal_column("'NaN'"), Float)
        # the seconds of each page by ``->>`` on the stored jsonb (NULL when the key is
        # missing, a JSON null, or the timings are not an object)
        for value in seconds:
            record = record.op("||")(func.float8send(func.coalesce(value, nan)))
        width = 8 * (keys + len(pages))
        if cells is not None:
            # the local date: timezone(zone, timestamptz) is the wall-clock time there
            day = cast(func.timezone(cells.zone, _moment(table)), Date) - literal_column(
                "DATE '1970-01-01'"
            )
            record = record.op("||")(func.int4send(func.coalesce(day, _NO_DAY)))
            record = record.op("||")(func.int4send(func.coalesce(table.c.service_point_id, -1)))
            # the channel as its position in CHANNELS (-1 for another text): in the record, so
            # the server orders the rows by library only (its index's order, no sort)
            channel = case(
                {name: j for j, name in enumerate(CHANNELS)}, value=table.c.channel, else_=-1
            )
            record = record.op("||")(func.int4send(channel))
            width += 12
        for library_ids, blob in _pg_chunks(
            session, condition, record, width, chunk_rows, wrong_length
        ):
            raw = np.frombuffer(blob, dtype=np.uint8).reshape(len(library_ids), width)
            x = raw[:, : 8 * keys].copy().view("<f8")
            secs = raw[:, 8 * keys : 8 * (keys + len(pages))].copy().view(">f8").astype(float)
            codes = None
            if cells is not None:
                tail = raw[:, 8 * (keys + len(pages)) :].copy().view(">i4").astype(np.int64)
                codes = cells.codes(CHANNELS, tail[:, [2, 0, 1]])
            yield library_ids, x, secs, codes
        return
    extra: list[Any] = []
    if cells is not None:
        extra = [table.c.channel, _utc_minute_text(_moment(table)), table.c.service_point_id]
    stmt = (
        select(table.c.library_id, table.c.vector, *seconds, *extra)
        .where(condition)
        .order_by(table.c.library_id)
        .execution_options(yield_per=chunk_rows)
    )
    result = session.connection().execute(stmt)
    try:
        for rows in result.partitions():
            library_ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
            blob = b"".join(r[1] for r in rows)
            if len(blob) != 8 * keys * len(rows):
                raise wrong_length(next(r[0] for r in rows if len(r[1]) != 8 * keys))
            x = np.frombuffer(blob, dtype="<f8").reshape(len(rows), keys)
            secs = np.array(
                [[np.nan if v is None else float(v) for v in r[2 : 2 + len(pages)]] for r in rows],
                dtype=float,
            ).reshape(len(rows), len(pages))
            codes = None
            if cells is not None:
                at = 2 + len(pages)
                codes = np.fromiter(
                    (cells.code((str(r[at]), cells.day(r[at + 1]), r[at + 2])) for r in rows),
                    dtype=np.int64,
                    count=len(rows),
                )
            yield library_ids, x, secs, codes
    finally:
        result.close()


def _utc_minute_text(moment: Any) -> Any:
    """SQLite: a stored moment to the minute as text (UTCDateTime is kept as naive UTC text
    ``YYYY-MM-DD HH:MM:SS[.ffffff]``); :meth:`_CellCodes.day` makes it a local day. Every
    time zone's offset is whole minutes."""
    return func.substr(moment, 1, 16)


#: responses concatenated into one row by the PostgreSQL query of :func:`_chunks`
PG_BLOCK = 1000


def _pg_chunks(
    session: Session,
    condition: Any,
    record: Any,
    width: int,
    chunk_rows: int,
    wrong_length: Callable[[int], ValueError],
) -> Iterator[tuple[np.ndarray, bytes]]:
    """PostgreSQL: ``COPY (...) TO STDOUT`` in binary of rows of up to ``PG_BLOCK`` records.

    The server concatenates each library's ``record`` (a bytea expression of ``width`` bytes
    per response) in blocks (``string_agg``), and binary COPY streams them without a round
    trip per fetch and without the hex encoding of bytea in text results: one Python object
    per block instead of per response. The rows come in the order of the index on campaign
    and library, so the server sorts nothing but each library's blocks. Yields (library id
    of each response, their records concatenated), ordered by library.
    """
    table = Response.__table__
    block = max(1, min(chunk_rows, PG_BLOCK))
    part = (func.row_number().over(partition_by=table.c.library_id) - 1) // block
    inner = select(table.c.library_id, record.label("record"), part.label("part")).where(condition)
    numbered = inner.subquery()
    stmt = (
        select(
            numbered.c.library_id,
            func.string_agg(numbered.c.record, literal_column("''::bytea")),
            func.count(),
        )
        .group_by(numbered.c.library_id, numbered.c.part)
        .order_by(numbered.c.library_id, numbered.c.part)
    )
    sql = str(
        stmt.compile(dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True})
    )
    driver = session.connection().connection.driver_connection
    if driver is None:
        raise RuntimeError("the session's connection is closed")
    ids: list[np.ndarray] = []
    blobs: list[bytes] = []
    pending = 0
    buffer = bytearray()
    seen_header = False
    with (
        _heap_in_physical_order(driver),
        driver.cursor() as cursor,
        cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT binary)") as copy,
    ):
        for data in copy:
            buffer += data
            if not seen_header:
                if len(buffer) < 19:
                    continue
                extension = _INT32.unpack_from(buffer, 15)[0]
                del buffer[: 19 + extension]
                seen_header = True
            offset = 0
            while len(buffer) - offset >= 2:
                (fields,) = _INT16.unpack_from(buffer, offset)
                if fields == -1:  # trailer
                    offset = len(buffer)
                    break
                row = _pg_binary_row(buffer, offset + 2, fields)
                if row is None:
                    break
                offset, fields_ = row
                library_id = int.from_bytes(fields_[0] or b"", "big", signed=True)
                vectors, count_ = fields_[-2] or b"", fields_[-1] or b""
                count = int.from_bytes(count_, "big", signed=True)
                if len(vectors) != width * count:
                    raise wrong_length(library_id)
                ids.append(np.full(count, library_id, dtype=np.int64))
                blobs.append(vectors)
                pending += count
                if pending >= chunk_rows:
                    yield np.concatenate(ids), b"".join(blobs)
                    ids, blobs, pending = [], [], 0
            del buffer[:offset]
    if pending:
        yield np.concatenate(ids), b"".join(blobs)


@contextlib.contextmanager
def _heap_in_physical_order(driver: Any) -> Iterator[None]:
    """Within this transaction, let the scan read the campaign's table pages in their
    physical order (sequential or bitmap heap scan) and sort them by library.

    The planner otherwise walks the campaign × library index, which visits the heap in
    library order: responses arrive mixed, so each page is read once per library on it
    (about 12 times a page at 1,000,000 responses and 600 libraries; the scan took twice
    as long on the server). The setting is restored when the scan has ended.
    """
    with driver.cursor() as cursor:
        row = cursor.execute("SELECT current_setting('enable_indexscan')").fetchone()
        cursor.execute("SELECT set_config('enable_indexscan', 'off', true)")
    try:
        yield
    finally:
        # an aborted transaction takes the setting with it
        if driver.info.transaction_status != pq.TransactionStatus.INERROR:
            with driver.cursor() as cursor:
                before = row[0] if row else "on"
                cursor.execute("SELECT set_config('enable_indexscan', %s, true)", (before,))


_INT16 = struct.Struct(">h")
_INT32 = struct.Struct(">i")


def _pg_binary_row(
    buffer: bytearray, offset: int, fields: int
) -> tuple[int, list[bytes | None]] | None:
    """Parse the fields of a binary COPY tuple (None for NULL); None if it is incomplete."""
    values: list[bytes | None] = []
    for _ in range(fields):
        if len(buffer) - offset < 4:
            return None
        (size,) = _INT32.unpack_from(buffer, offset)
        offset += 4
        if size == -1:
            values.append(None)
            continue
        if len(buffer) - offset < size:
            return None
        values.append(bytes(buffer[offset : offset + size]))
        offset += size
    return offset, values
