"""The wide export: one row per response, one column per item (or battery column).

The format is described in ``docs/data-format.md``; :mod:`survey_app.services.imports`
reads the same format back, so an export is also the template for typing in paper forms.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Collection
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from datetime import UTC
from datetime import datetime
from typing import IO
from typing import Any

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from instruments import Instrument
from instruments import ItemType
from survey_app.models import Answer
from survey_app.models import Campaign
from survey_app.models import Library
from survey_app.models import Response
from survey_app.models import ServicePoint
from survey_app.services.errors import NotFound
from survey_app.services.instruments import instrument_of

#: the columns before the item columns, in this order
META_COLUMNS: tuple[str, ...] = (
    "response_id",
    "campaign",
    "library",
    "service_point",
    "channel",
    "instrument",
    "instrument_version",
    "started_at",
    "submitted_at",
    "received_at",
)
#: the column added after the meta columns in a campaign with a Lite form: the battery items
#: the response's form offered, joined with MULTI_SEPARATOR in questionnaire order (every
#: battery item for the full form; empty for a response stored before the draw was kept)
LITE_COLUMN = "lite_items"
#: the column added after the meta columns when excluded responses are asked for:
#: 1 for a response excluded by quality control, 0 otherwise
EXCLUDED_COLUMN = "excluded"
#: joins the chosen values of a multi-choice item in one cell (choice values are
#: identifiers, which cannot contain it)
MULTI_SEPARATOR = "|"
#: the battery pseudo-column holding 1 when the respondent ticked "not applicable"
NA_COLUMN = "na"
#: rows fetched from the database at a time; bounds the memory an export needs
CHUNK_SIZE = 1000

#: a cell value: ``None`` is an empty cell (no answer)
Cell = str | int | float | None


def item_columns(instrument: Instrument) -> list[str]:
    """Return the answer columns of ``instrument`` in questionnaire order."""
    columns: list[str] = []
    for item in instrument.items:
        if item.type is ItemType.battery:
            columns.extend(f"{item.id}:{column.id}" for column in item.columns)
            if item.na_allowed:
                columns.append(f"{item.id}:{NA_COLUMN}")
        else:
            columns.append(item.id)
    return columns


def wide_columns(
    instrument: Instrument, *, include_excluded: bool = False, lite: bool = False
) -> list[str]:
    """Return every column of the wide format: the meta columns, then the answer columns.

    With ``lite`` (a campaign with a Lite form: :func:`has_lite_form`) the
    :data:`LITE_COLUMN`, then with ``include_excluded`` the :data:`EXCLUDED_COLUMN`, follow
    the meta columns.
    """
    extra = [LITE_COLUMN] if lite else []
    extra += [EXCLUDED_COLUMN] if include_excluded else []
    return [*META_COLUMNS, *extra, *item_columns(instrument)]


def has_lite_form(campaign: Campaign) -> bool:
    """Whether some of the campaign's respondents get a short Lite form (their exported rows
    then say which battery items the form offered: :data:`LITE_COLUMN`)."""
    return campaign.lite_share > 0


def get_campaign(session: Session, campaign_code: str) -> Campaign:
    """Return the campaign with this code, whatever its status.

    Raises
    ------
    NotFound
        no campaign has this code.
    """
    campaign = session.scalar(select(Campaign).filter_by(code=campaign_code))
    if campaign is None:
        raise NotFound(f"No campaign has the code {campaign_code!r}.")
    return campaign


def export_rows(
    session: Session,
    campaign_code: str,
    *,
    library_ids: Collection[int] | None = None,
    include_excluded: bool = False,
    coarse: bool = False,
    small_cell_min: int = 10,
) -> Iterator[dict[str, Cell]]:
    """Yield one wide row per response of the campaign, in the order they were stored.

    ``coarse`` is the export for readers who might recognise a visitor (library staff):
    timestamps become dates (UTC) and a library's channel or service point is left empty
    when fewer than ``small_cell_min`` of the exported responses share it.

    ``library_ids`` keeps the responses of those libraries only (None: every library; the
    caller decides the scope).  Responses excluded by quality control are left out unless
    ``include_excluded``, which also fills the :data:`EXCLUDED_COLUMN`.

    Keys are :func:`wide_columns` (with the same ``include_excluded``, and ``lite`` for a
    campaign with a Lite form, :func:`has_lite_form`); numbers are
    ``int`` when integral, texts ``str``, and an unanswered cell is ``None``.  Two queries
    run side by side and are merged: the campaign's responses ordered by id, and their
    answers ordered by response id.  Both
    are streamed (``yield_per`` :data:`CHUNK_SIZE`, a server-side cursor on PostgreSQL),
    so memory does not grow with the campaign and the database sorts each only once.

    Raises
    ------
    NotFound
        no campaign has this code.
    """
    campaign = get_campaign(session, campaign_code)
    instrument = instrument_of(campaign.instrument_version)
    return _rows(
        session,
        campaign,
        instrument,
        library_ids=None if library_ids is None else sorted(set(library_ids)),
        include_excluded=include_excluded,
        coarse=coarse,
        small_cell_min=small_cell_min,
    )


def _small_cells(session: Session, wanted: list[Any], column: Any, minimum: int) -> set[Any]:
    """(library code, value) of ``column`` shared by fewer than ``minimum`` wanted responses."""
    rows = session.execute(
        select(Library.code, column, func.count())
        .select_from(Response)
        .join(Library, Library.id == Response.library_id)
        .outerjoin(ServicePoint, ServicePoint.id == Response.service_point_id)
        .where(*wanted)
        .group_by(Library.code, column)
    )
    return {(library, value) for library, value, count in rows if count < minimum}


def _rows(
    session: Session,
    campaign: Campaign,
    instrument: Instrument,
    *,
    library_ids: list[int] | None,
    include_excluded: bool,
    coarse: bool,
    small_cell_min: int,
) -> Iterator[dict[str, Cell]]:
    lite = has_lite_form(campaign)
    columns = wide_columns(instrument, include_excluded=include_excluded, lite=lite)
    # the battery items in questionnaire order: a Lite draw is written in that order
    battery_order = {
        item.id: i for i, item in enumerate(instrument.items) if item.type is ItemType.battery
    }
    targets = _targets(instrument)
    choice_order = {
        item.id: {choice.value: i for i, choice in enumerate(item.choices)}
        for item in instrument.items
        if item.type is ItemType.multi
    }
    wanted = [Response.campaign_id == campaign.id]
    if library_ids is not None:
        wanted.append(Response.library_id.in_(library_ids))
    if not include_excluded:
        wanted.append(Response.excluded_at.is_(None))
    session.flush()
    small_channels: set[Any] = set()
    small_points: set[Any] = set()
    if coarse:
        small_channels = _small_cells(session, wanted, Response.channel, small_cell_min)
        small_points = _small_cells(session, wanted, ServicePoint.code, small_cell_min)
    stamp = format_date if coarse else format_timestamp
    # Core rows on the session's connection: the ORM adds nothing to plain columns but time
    connection = session.connection()
    stream = {"yield_per": CHUNK_SIZE}
    responses = connection.execute(
        select(
            Response.id,
            Response.client_uuid,
            Library.code,
            ServicePoint.code,
            Response.channel,
            Response.instrument_id,
            Response.instrument_version,
            Response.started_at,
            Response.submitted_at,
            Response.received_at,
            Response.excluded_at,
            Response.lite_items,
        )
        .join(Library, Library.id == Response.library_id)
        .outerjoin(ServicePoint, ServicePoint.id == Response.service_point_id)
        .where(*wanted)
        .order_by(Response.id),
        execution_options=stream,
    )
    answers = connection.execute(
        select(
            Answer.response_id, Answer.item_id, Answer.column, Answer.value_num, Answer.value_text
        )
        .join(Response, Response.id == Answer.response_id)
        .where(*wanted)
        .order_by(Answer.response_id, Answer.id),
        execution_options=stream,
    )
    code = campaign.code
    try:
        pending = next(answers, None)
        for (
            rid, client_uuid, library, point, channel, instrument_id, version,
            started_at, submitted_at, received_at, excluded_at, drawn,
        ) in responses:  # fmt: skip
            out: dict[str, Cell] = dict.fromkeys(columns)
            out.update(
                response_id=str(client_uuid),
                campaign=code,
                library=library,
                service_point=None if (library, point) in small_points else point,
                channel=None if (library, channel) in small_channels else str(channel),
                instrument=instrument_id,
                instrument_version=version,
                started_at=stamp(started_at),
                submitted_at=stamp(submitted_at),
                received_at=stamp(received_at),
            )
            if lite and drawn is not None:
                ordered = sorted(drawn, key=lambda i: battery_order.get(i, len(battery_order)))
                out[LITE_COLUMN] = MULTI_SEPARATOR.join(ordered)
            if include_excluded:
                out[EXCLUDED_COLUMN] = 0 if excluded_at is None else 1
            chosen: dict[str, list[str]] | None = None
            while pending is not None and pending[0] <= rid:
                response_id, item_id, column, number, text = pending
                pending = next(answers, None)
                if response_id < rid:  # an answer without a response row: cannot happen
                    continue
                target = targets.get((item_id, column))
                if target is None:  # never drop a stored answer silently
                    raise ValueError(f"answer to unknown item {item_id}:{column} ({client_uuid})")
                key, kind = target
                if kind is _NUMBER:
                    out[key] = _number(number)
                elif kind is _TEXT:
                    out[key] = text
                elif kind is _NA:
                    out[key] = 1
                else:
                    chosen = chosen if chosen is not None else {}
                    chosen.setdefault(key, []).append(text or "")
            if chosen:
                for key, values in chosen.items():
                    order = choice_order[key]
                    values.sort(key=lambda value: order.get(value, len(order)))
                    out[key] = MULTI_SEPARATOR.join(values)
            yield out
    finally:
        responses.close()
        answers.close()


#: how a stored answer row becomes a cell
_NUMBER, _TEXT, _NA, _MULTI = "number", "text", "na", "multi"


def _targets(instrument: Instrument) -> dict[tuple[str, str], tuple[str, str]]:
    """(item id, stored column) -> (wide column, how to write the value)."""
    targets: dict[tuple[str, str], tuple[str, str]] = {}
    for item in instrument.items:
        if item.type is ItemType.battery:
            for column in item.columns:
                targets[item.id, column.id] = (f"{item.id}:{column.id}", _NUMBER)
            targets[item.id, NA_COLUMN] = (f"{item.id}:{NA_COLUMN}", _NA)
        elif item.type is ItemType.multi:
            targets[item.id, ""] = (item.id, _MULTI)
        elif item.type in (ItemType.single, ItemType.text):
            # a coded single choice also stores its code; the value is what the format carries
            targets[item.id, ""] = (item.id, _TEXT)
        else:
            targets[item.id, ""] = (item.id, _NUMBER)
    return targets


def _number(value: float | None) -> int | float | None:
    if value is None or math.isnan(value):
        return None
    if value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def format_timestamp(moment: datetime | None) -> str | None:
    """Write a timestamp as ISO 8601 in UTC with a ``Z`` (``2026-03-01T10:04:00Z``)."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


#: a text cell starting with one of these is read as a formula by spreadsheet programs
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def format_date(moment: datetime | None) -> str | None:
    """Write only the (UTC) date of a timestamp, ISO 8601 (``2026-03-01``)."""
    if moment is None:
        return None
    return moment.astimezone(UTC).date().isoformat()


def format_cell(value: Cell, *, raw: bool = False) -> str:
    """Write one cell as CSV text: empty for ``None``, integers without ``.0``.

    A text starting with one of :data:`FORMULA_TRIGGERS` gets a leading ``'`` so that a
    spreadsheet shows it as text instead of running it (OWASP, "CSV injection"); numbers are
    never changed. ``raw`` writes texts exactly as stored, for analysts reading with R or
    pandas.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float):
        number = _number(value)
        return "" if number is None else repr(number)
    if isinstance(value, str):
        return "'" + value if not raw and value.startswith(FORMULA_TRIGGERS) else value
    return str(value)


def write_csv(
    stream: IO[str],
    columns: list[str],
    rows: Iterable[Mapping[str, Cell]],
    *,
    raw: bool = False,
) -> int:
    """Write the header and ``rows`` as CSV (RFC 4180: comma, CRLF, quotes as needed).

    Cells as :func:`format_cell` writes them (``raw``: texts unprotected). Returns the number
    of data rows written.  ``stream`` must be opened with ``newline=""``.
    """
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(columns)
    count = 0
    for row in rows:
        writer.writerow([format_cell(row[column], raw=raw) for column in columns])
        count += 1
    return count


def iter_csv(
    columns: list[str],
    rows: Iterable[Mapping[str, Cell]],
    *,
    rows_per_chunk: int = 200,
    raw: bool = False,
    bom: bool = False,
) -> Iterator[str]:
    """Yield the same text as :func:`write_csv`, in pieces of ``rows_per_chunk`` rows.

    For streaming an export over HTTP without holding it in memory; ``bom`` starts it with
    a UTF-8 byte order mark, without which Excel misreads Cyrillic.
    """
    buffer = io.StringIO()
    if bom:
        buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    pending = 0
    for row in rows:
        writer.writerow([format_cell(row[column], raw=raw) for column in columns])
        pending += 1
        if pending >= rows_per_chunk:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue()


def write_xlsx(stream: IO[bytes], columns: list[str], rows: Iterable[Mapping[str, Cell]]) -> int:
    """Write the header and ``rows`` to one worksheet of an .xlsx workbook (streamed).

    Numbers become numeric cells, everything else text cells; a text starting with ``=``
    stays text (never a formula).  Returns the number of data rows written.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("responses")
    sheet.append(columns)
    count = 0
    for row in rows:
        cells = []
        for column in columns:
            value = row[column]
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # openpyxl would turn "=..." into a formula
            cells.append(cell)
        sheet.append(cells)
        count += 1
    workbook.save(stream)
    return count
