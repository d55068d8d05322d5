"""Importing typed-in paper questionnaires: the wide format of the export, read back.

Every row becomes a JSON-shaped submission and goes through the same
:func:`~survey_app.services.responses.parse_submission` and
:func:`~survey_app.services.responses.record` as the web and kiosk channels, with
channel ``paper``.  A file is imported whole or not at all: every row is validated and every
problem collected; rows are flushed only when there is none.  The format is described in
``docs/data-format.md``.
"""

from __future__ import annotations

import csv
import io
import uuid
import zipfile
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import time
from pathlib import Path
from typing import IO
from typing import Any

from sqlalchemy.orm import Session

from instruments import Instrument
from instruments import InstrumentError
from instruments import ItemType
from instruments import validate_answers
from survey_app.models import CampaignStatus
from survey_app.models import Channel
from survey_app.services.errors import Conflict
from survey_app.services.errors import Invalid
from survey_app.services.errors import Issue
from survey_app.services.errors import NotFound
from survey_app.services.exports import LITE_COLUMN
from survey_app.services.exports import META_COLUMNS
from survey_app.services.exports import MULTI_SEPARATOR
from survey_app.services.exports import NA_COLUMN
from survey_app.services.exports import format_cell
from survey_app.services.exports import get_campaign
from survey_app.services.exports import item_columns
from survey_app.services.instruments import instrument_of
from survey_app.services.responses import Submission
from survey_app.services.responses import parse_submission
from survey_app.services.responses import record

#: namespace of the ids given to rows without a ``response_id``:
#: ``uuid5(PAPER_NAMESPACE, f"{campaign}\n{file name}\n{line}")``
#: (itself ``uuid5(NAMESPACE_URL, "urn:survey-app:paper-import")``)
PAPER_NAMESPACE = uuid.UUID("add43a69-a37e-5d0e-8f54-2be9fb419986")
#: the meta columns a file must have besides every item column
REQUIRED_META = ("library",)
#: the one channel a file may name (an empty cell means it too)
PAPER = Channel.paper


#: problem codes of the import itself; submission (API…) and answer (ANS…) codes pass through
class Codes:
    """Stable codes of import problems (``IMPnnn``)."""

    unreadable = "IMP001"  #: not UTF-8 CSV / not an .xlsx workbook / empty / unknown file type
    missing_column = "IMP002"  #: a required column is absent from the header
    unknown_column = "IMP003"  #: a header names no column of the format (typo protection)
    duplicate_column = "IMP004"  #: a header names a column twice
    extra_cells = "IMP005"  #: a row has values beyond the last header column
    not_paper = "IMP006"  #: ``channel`` is neither ``paper`` nor empty
    other_campaign = "IMP007"  #: ``campaign`` is filled and differs from ``--campaign``
    other_instrument = "IMP008"  #: ``instrument``/``instrument_version`` differ from the campaign's
    repeated_id = "IMP009"  #: the same ``response_id`` on two lines of the file
    library_not_in_campaign = "IMP010"  #: unknown or inactive library, or not in the campaign
    changed = "IMP011"  #: this id is already stored with different content


@dataclass(frozen=True, slots=True)
class RowProblem:
    """One problem of an imported file: the line as the spreadsheet shows it (header = 1)."""

    line: int
    #: the column (``q3``, ``AS1:perceived``, ``library``), or ``-`` for the whole row/file
    column: str
    code: str
    message: str

    def format(self, source_name: str) -> str:
        """Return ``FILE:LINE column CODE message``."""
        return f"{source_name}:{self.line} {self.column} {self.code} {self.message}"


@dataclass(frozen=True, slots=True)
class Sheet:
    """The cells of a CSV file or of the first worksheet of a workbook, as text."""

    #: header cells in file order
    columns: tuple[str, ...]
    #: (line, {column: cell text}) for every non-header line, blank lines included
    rows: tuple[tuple[int, dict[str, str]], ...]
    #: problems found while reading (encoding, duplicate headers, cells beyond the header)
    problems: tuple[RowProblem, ...] = ()


@dataclass(frozen=True, slots=True)
class ImportReport:
    """The outcome of :func:`import_rows`; nothing was flushed unless ``problems`` is empty."""

    source_name: str
    #: lines whose response was stored now
    stored_lines: tuple[int, ...]
    #: lines whose response was already stored with the same content (a re-import)
    duplicate_lines: tuple[int, ...]
    problems: tuple[RowProblem, ...]

    @property
    def ok(self) -> bool:
        """True when the file had no problem (and its new rows were flushed)."""
        return not self.problems

    def messages(self) -> list[str]:
        """Every problem as ``FILE:LINE column CODE message``, in line order."""
        return [problem.format(self.source_name) for problem in self.problems]


# --- reading files ------------------------------------------------------------------------


def read_sheet(path: Path | str) -> Sheet:
    """Read a ``.csv`` or ``.xlsx`` file by its extension."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open("rb") as stream:
            return read_csv(stream)
    if suffix == ".xlsx":
        with path.open("rb") as stream:
            return read_xlsx(stream)
    return _unreadable(1, f"unsupported file type {path.suffix!r}; use .csv or .xlsx")


def read_csv(stream: IO[bytes]) -> Sheet:
    """Read UTF-8 CSV (BOM allowed); the delimiter is ``,``, ``;`` or tab, as the header uses."""
    data = stream.read()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return _unreadable(line, "the file is not UTF-8 text; save it as 'CSV UTF-8'")
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count) if first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    records: list[tuple[int, list[str]]] = []
    try:
        for record in reader:
            records.append((len(records) + 1, record))
    except csv.Error as exc:  # e.g. a field over the csv module's size limit
        return _unreadable(len(records) + 1, f"cannot read the CSV: {exc}")
    return _sheet(records)


def read_xlsx(stream: IO[bytes]) -> Sheet:
    """Read the first worksheet of an .xlsx workbook; line = the worksheet's row number."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError):
        return _unreadable(1, "the file is not an .xlsx workbook")
    records: list[tuple[int, list[str]]] = []
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # some programs write a wrong size; read every row there is
        for values in sheet.iter_rows(min_row=1, values_only=True):
            records.append((len(records) + 1, [_xlsx_text(value) for value in values]))
    except Exception as exc:  # a damaged workbook can fail anywhere in openpyxl while read
        return _unreadable(len(records) + 1, f"cannot read the workbook: {exc}")
    finally:
        workbook.close()
    return _sheet(records)


def _xlsx_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bool | int | float):
        return format_cell(value)
    return str(value)


def _unreadable(line: int, message: str) -> Sheet:
    return Sheet(columns=(), rows=(), problems=(RowProblem(line, "-", Codes.unreadable, message),))


def _sheet(records: Iterable[tuple[int, list[str]]]) -> Sheet:
    iterator = iter(records)
    header = next(iterator, None)
    if header is None or not any(cell.strip() for cell in header[1]):
        return _unreadable(1, "the file is empty: the first line must name the columns")
    cells = [cell.strip() for cell in header[1]]
    while cells and not cells[-1]:  # spreadsheets often leave trailing empty header cells
        cells.pop()
    problems: list[RowProblem] = []  # duplicate names are reported by import_rows
    width = len(cells)
    rows: list[tuple[int, dict[str, str]]] = []
    for line, values in iterator:
        if any(value.strip() for value in values[width:]):
            problems.append(
                RowProblem(
                    line, "-", Codes.extra_cells, "values to the right of the last named column"
                )
            )
        padded = list(values[:width]) + [""] * (width - len(values))
        rows.append((line, dict(zip(cells, padded, strict=True))))
    return Sheet(columns=tuple(cells), rows=tuple(rows), problems=tuple(problems))


# --- importing ----------------------------------------------------------------------------


def paper_response_id(campaign_code: str, source_name: str, line: int) -> uuid.UUID:
    """The id of a row without ``response_id``: the same file imported again gets the same ids."""
    return uuid.uuid5(PAPER_NAMESPACE, f"{campaign_code}\n{source_name}\n{line}")


def import_rows(
    session: Session,
    campaign_code: str,
    rows: Iterable[tuple[int, Mapping[str, str]]],
    *,
    source_name: str,
    columns: Sequence[str] | None = None,
) -> ImportReport:
    """Validate every row and, only if no row has a problem, record them all (flushed).

    ``rows`` are ``(line, {column: text})`` with the header on line 1; ``columns`` is the
    header (taken from the first row when not given).  Rows already stored with the same
    content are counted as duplicates, not stored again.

    Raises
    ------
    NotFound
        no campaign has this code, or it is not open.
    Invalid
        the campaign does not accept paper responses.
    """
    campaign = get_campaign(session, campaign_code)
    if campaign.status != CampaignStatus.open:
        raise NotFound(
            f"Campaign {campaign_code!r} is {campaign.status}; open it to import responses."
        )
    if PAPER.value not in campaign.channels:
        raise Invalid(
            f"Campaign {campaign_code!r} does not accept paper responses.",
            [Issue("API008", "channel", "this campaign does not accept paper")],
        )
    instrument = instrument_of(campaign.instrument_version)
    rows = list(rows)
    header = list(columns) if columns is not None else (list(rows[0][1]) if rows else [])
    problems = _header_problems(instrument, header)
    stored: list[int] = []
    duplicates: list[int] = []
    if any(p.code in (Codes.missing_column, Codes.duplicate_column) for p in problems):
        # rows cannot be read reliably against a broken header
        return ImportReport(source_name, (), (), tuple(problems))

    seen: dict[uuid.UUID, int] = {}
    savepoint = session.begin_nested()
    try:
        for line, row in rows:
            if not any(str(value).strip() for value in row.values()):
                continue
            row_problems: list[RowProblem] = []
            payload = _payload(instrument, campaign_code, source_name, line, row, row_problems)
            problems.extend(row_problems)
            submission: Submission | None
            try:
                submission = parse_submission(payload, default_channel=PAPER)
            except Invalid as exc:
                problems.extend(_from_issues(line, exc.issues))
                # still check what the bad meta cells do not prevent checking
                submission = _without(payload, {issue.path for issue in exc.issues})
                if submission is None:
                    problems.extend(_answer_problems(instrument, line, payload["answers"]))
                    continue
            else:
                first = seen.setdefault(submission.id, line)
                if first != line:
                    problems.append(
                        RowProblem(
                            line,
                            "response_id",
                            Codes.repeated_id,
                            f"the same id is on line {first}",
                        )
                    )
                    continue
            try:
                receipt = record(session, submission, commit=False)
            except Invalid as exc:
                problems.extend(_from_issues(line, exc.issues))
            except NotFound as exc:
                problems.append(
                    RowProblem(line, "library", Codes.library_not_in_campaign, exc.message)
                )
                problems.extend(_answer_problems(instrument, line, payload["answers"]))
            except Conflict:
                problems.append(
                    RowProblem(line, "response_id", Codes.changed, _changed_message(row))
                )
            else:
                (stored if receipt.created else duplicates).append(line)
    except BaseException:
        savepoint.rollback()
        raise
    if problems:
        savepoint.rollback()
        stored = []
        duplicates = []
    else:
        savepoint.commit()
    problems.sort(key=lambda p: p.line)  # stable: header first, then each row's problems in order
    return ImportReport(source_name, tuple(stored), tuple(duplicates), tuple(problems))


def _without(payload: Mapping[str, Any], bad: set[str]) -> Submission | None:
    """The submission without its invalid optional fields, to check the rest; None if impossible."""
    if bad & {"", "library", "answers"}:
        return None
    trimmed = {key: value for key, value in payload.items() if key not in bad}
    if "id" in bad:
        trimmed["id"] = str(uuid.uuid4())  # stands in for the bad id while the rest is checked
    try:
        return parse_submission(trimmed, default_channel=PAPER)
    except Invalid:
        return None


def _answer_problems(
    instrument: Instrument, line: int, answers: Mapping[str, Any]
) -> list[RowProblem]:
    """The answers' problems, for rows that cannot reach ``record``."""
    try:
        validate_answers(instrument, answers)
    except InstrumentError as exc:
        return [RowProblem(line, _column_of(p.path), str(p.code), p.message) for p in exc.problems]
    return []


def _header_problems(instrument: Instrument, header: Sequence[str]) -> list[RowProblem]:
    answer_columns = item_columns(instrument)
    # the Lite column of an export is read as the import reads received_at: not at all (a
    # paper form is the full form; the server records what it offered)
    known = set(META_COLUMNS) | {LITE_COLUMN} | set(answer_columns)
    problems: list[RowProblem] = []
    seen: set[str] = set()
    for name in header:
        if name in seen:
            problems.append(
                RowProblem(1, name or "-", Codes.duplicate_column, "column appears twice")
            )
        seen.add(name)
        if name not in known:
            problems.append(
                RowProblem(
                    1,
                    name or "-",
                    Codes.unknown_column,
                    f"unknown column {name!r}{_hint(name, known)}",
                )
            )
    for name in (*REQUIRED_META, *answer_columns):
        if name not in seen:
            problems.append(RowProblem(1, name, Codes.missing_column, "required column is missing"))
    return problems


def _hint(name: str, known: set[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, sorted(known), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _payload(
    instrument: Instrument,
    campaign_code: str,
    source_name: str,
    line: int,
    row: Mapping[str, str],
    problems: list[RowProblem],
) -> dict[str, Any]:
    def cell(name: str) -> str:
        return str(row.get(name) or "").strip()

    channel = cell("channel")
    if channel not in ("", PAPER.value):
        problems.append(
            RowProblem(line, "channel", Codes.not_paper, f"must be {PAPER.value} or empty")
        )
    if cell("campaign") and cell("campaign") != campaign_code:
        problems.append(
            RowProblem(
                line,
                "campaign",
                Codes.other_campaign,
                f"the file is imported into {campaign_code!r}",
            )
        )
    if cell("instrument") and cell("instrument") != instrument.id:
        problems.append(
            RowProblem(
                line, "instrument", Codes.other_instrument, f"the campaign asks {instrument.id!r}"
            )
        )
    if cell("instrument_version") and cell("instrument_version") != str(instrument.version):
        problems.append(
            RowProblem(
                line,
                "instrument_version",
                Codes.other_instrument,
                f"the campaign asks version {instrument.version}",
            )
        )
    payload: dict[str, Any] = {
        "id": cell("response_id") or str(paper_response_id(campaign_code, source_name, line)),
        "campaign": campaign_code,
        "library": cell("library"),
        "channel": PAPER.value,
        "answers": _answers(instrument, row),
    }
    for name in ("service_point", "started_at", "submitted_at"):
        if cell(name):
            payload[name] = cell(name)
    return payload


def _answers(instrument: Instrument, row: Mapping[str, str]) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for item in instrument.items:
        if item.type is ItemType.battery:
            battery = {
                column.id: row[f"{item.id}:{column.id}"]
                for column in item.columns
                if str(row.get(f"{item.id}:{column.id}") or "").strip()
            }
            na = str(row.get(f"{item.id}:{NA_COLUMN}") or "").strip()
            if na:
                battery[NA_COLUMN] = na
            if battery:
                answers[item.id] = battery
            continue
        text = str(row.get(item.id) or "")
        if not text.strip():
            continue
        if item.type is ItemType.multi:
            answers[item.id] = [
                part.strip() for part in text.split(MULTI_SEPARATOR) if part.strip()
            ]
        else:
            answers[item.id] = text
    return answers


#: submission fields whose column has another name in the file
_FIELD_COLUMNS = {"id": "response_id", "": "-", "answers": "-"}


def _column_of(path: str) -> str:
    """Map a problem path (``answers.AS1.perceived``, ``id``) to the file's column."""
    if path.startswith("answers."):
        item, _, sub = path[len("answers.") :].partition(".")
        item = item.split("[", 1)[0]
        return f"{item}:{sub.split('.', 1)[0]}" if sub else item
    return _FIELD_COLUMNS.get(path, path)


def _from_issues(line: int, issues: Iterable[Issue]) -> list[RowProblem]:
    return [
        RowProblem(line, _column_of(issue.path), str(issue.code), issue.message) for issue in issues
    ]


def _changed_message(row: Mapping[str, str]) -> str:
    if str(row.get("response_id") or "").strip():
        return "a different response with this id is already stored"
    return (
        "this line was imported before with other content (its id comes from the file name "
        "and line); keep imported files unchanged, or put new forms in a new file"
    )
