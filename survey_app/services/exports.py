"""The wide export: one row per response, one column per item (or battery column).

The format is described in ``docs/data-format.md``; :mod:`survey_app.services.imports`
reads the same format back, so an export is also the template for typing in paper forms.
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from datetime import UTC
from datetime import datetime
from typing import IO
from typing import Any

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
#: joins the chosen values of a multi-choice item in one cell (choice values are
#: identifiers, which cannot contain it)
MULTI_SEPARATOR = "|"
#: the battery pseudo-column holding 1 when the respondent ticked "not applicable"
NA_COLUMN = "na"
#: responses read per query; bounds the memory an export needs whatever the campaign size
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


def wide_columns(instrument: Instrument) -> list[str]:
    """Return every column of the wide format: the meta columns, then the answer columns."""
    return [*META_COLUMNS, *item_columns(instrument)]


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


def campaign_instrument(session: Session, campaign_code: str) -> Instrument:
    """Return the parsed instrument version a campaign asks.

    Raises
    ------
    NotFound
        no campaign has this code.
    """
    return instrument_of(get_campaign(session, campaign_code).instrument_version)


def export_rows(session: Session, campaign_code: str) -> Iterator[dict[str, Cell]]:
    """Yield one wide row per response of the campaign, in the order they were stored.

    Keys are :func:`wide_columns`; numbers are ``int`` when integral, texts ``str``, and
    an unanswered cell is ``None``.  Responses and answers are read :data:`CHUNK_SIZE`
    responses at a time (keyset pagination on the primary key), so no more than one
    chunk of rows is held in memory.

    Raises
    ------
    NotFound
        no campaign has this code.
    """
    campaign = get_campaign(session, campaign_code)
    instrument = instrument_of(campaign.instrument_version)
    return _rows(session, campaign, instrument)


def _rows(session: Session, campaign: Campaign, instrument: Instrument) -> Iterator[dict[str, Cell]]:
    columns = wide_columns(instrument)
    items = {item.id: item for item in instrument.items}
    after = 0
    while True:
        meta = session.execute(
            select(
                Response.id,
                Response.client_uuid,
                Library.code.label("library"),
                ServicePoint.code.label("service_point"),
                Response.channel,
                Response.instrument_id,
                Response.instrument_version,
                Response.started_at,
                Response.submitted_at,
                Response.received_at,
            )
            .join(Library, Library.id == Response.library_id)
            .outerjoin(ServicePoint, ServicePoint.id == Response.service_point_id)
            .where(Response.campaign_id == campaign.id, Response.id > after)
            .order_by(Response.id)
            .limit(CHUNK_SIZE)
        ).all()
        if not meta:
            return
        first, last = meta[0].id, meta[-1].id
        answers: dict[int, list[Any]] = defaultdict(list)
        for answer in session.execute(
            select(
                Answer.response_id, Answer.item_id, Answer.column, Answer.value_num, Answer.value_text
            )
            .join(Response, Response.id == Answer.response_id)
            .where(Response.campaign_id == campaign.id, Answer.response_id.between(first, last))
            .order_by(Answer.response_id, Answer.id)
        ):
            answers[answer.response_id].append(answer)
        for row in meta:
            out: dict[str, Cell] = dict.fromkeys(columns)
            out.update(
                response_id=str(row.client_uuid),
                campaign=campaign.code,
                library=row.library,
                service_point=row.service_point,
                channel=str(row.channel),
                instrument=row.instrument_id,
                instrument_version=row.instrument_version,
                started_at=format_timestamp(row.started_at),
                submitted_at=format_timestamp(row.submitted_at),
                received_at=format_timestamp(row.received_at),
            )
            out.update(_answer_cells(items, answers.get(row.id, ())))
            yield out
        after = last


def _answer_cells(items: Mapping[str, Any], answers: Iterable[Any]) -> dict[str, Cell]:
    cells: dict[str, Cell] = {}
    chosen: dict[str, list[str]] = defaultdict(list)
    for answer in answers:
        item = items.get(answer.item_id)
        if item is None:  # a stored answer the instrument does not know: never exported silently
            raise ValueError(f"answer to unknown item {answer.item_id!r} (response {answer.response_id})")
        if item.type is ItemType.multi:
            chosen[item.id].append(answer.value_text)
        elif item.type is ItemType.battery:
            if answer.column == NA_COLUMN:
                cells[f"{item.id}:{NA_COLUMN}"] = 1
            else:
                cells[f"{item.id}:{answer.column}"] = _number(answer.value_num)
        elif item.type in (ItemType.single, ItemType.text):
            # a coded single choice also stores its code; the value is what the format carries
            cells[item.id] = answer.value_text
        else:
            cells[item.id] = _number(answer.value_num)
    for item_id, values in chosen.items():
        order = {choice.value: i for i, choice in enumerate(items[item_id].choices)}
        cells[item_id] = MULTI_SEPARATOR.join(sorted(values, key=lambda v: order.get(v, len(order))))
    return cells


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


def format_cell(value: Cell) -> str:
    """Write one cell as CSV text: empty for ``None``, integers without ``.0``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float):
        number = _number(value)
        return "" if number is None else repr(number)
    return str(value)


def write_csv(stream: IO[str], columns: list[str], rows: Iterable[Mapping[str, Cell]]) -> int:
    """Write the header and ``rows`` as CSV (RFC 4180: comma, CRLF, quotes as needed).

    Returns the number of data rows written.  ``stream`` must be opened with ``newline=""``.
    """
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(columns)
    count = 0
    for row in rows:
        writer.writerow([format_cell(row[column]) for column in columns])
        count += 1
    return count


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
