"""``survey-app export responses`` and ``survey-app import responses``: the wide data format."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import NoReturn

import click
from flask.cli import with_appcontext

from survey_app.extensions import db
from survey_app.services.errors import Invalid
from survey_app.services.errors import ServiceError
from survey_app.services.exports import export_rows
from survey_app.services.exports import get_campaign
from survey_app.services.exports import has_lite_form
from survey_app.services.exports import wide_columns
from survey_app.services.exports import write_csv
from survey_app.services.exports import write_xlsx
from survey_app.services.imports import import_rows
from survey_app.services.imports import read_sheet
from survey_app.services.instruments import instrument_of


@click.group("export")
def export_group() -> None:
    """Export stored data (formats in docs/data-format.md)."""


@export_group.command("responses")
@click.option("--campaign", "campaign_code", required=True, help="Code of the campaign.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "xlsx"]),
    default="csv",
    show_default=True,
    help="csv: UTF-8, comma, CRLF; xlsx: one worksheet.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True),
    help="File to write (default: standard output; required for xlsx).",
)
@click.option("--bom", is_flag=True, help="Start the CSV with a UTF-8 byte order mark (for Excel).")
@click.option(
    "--raw",
    is_flag=True,
    help="Write text cells exactly as stored: no leading ' before =, +, -, @ (see the docs).",
)
@click.option(
    "--include-excluded",
    is_flag=True,
    help="Also write responses excluded by quality control, with an 'excluded' column.",
)
@with_appcontext
def export_responses(
    campaign_code: str,
    fmt: str,
    output: str | None,
    bom: bool,
    raw: bool,
    include_excluded: bool,
) -> None:
    """Write every response of a campaign, one row per response (the wide format)."""
    if fmt == "xlsx" and output is None:
        raise click.UsageError("--format xlsx needs --output FILE")
    if output is not None:
        _check_writable(output)
    session = db.session
    try:
        campaign = get_campaign(session, campaign_code)
        instrument = instrument_of(campaign.instrument_version)
        rows = export_rows(session, campaign_code, include_excluded=include_excluded)
    except ServiceError as exc:
        raise click.ClickException(exc.message) from exc
    columns = wide_columns(
        instrument, include_excluded=include_excluded, lite=has_lite_form(campaign)
    )
    if output is None:  # CSV: xlsx without --output was refused above
        # UTF-8 and CRLF whatever the locale and platform of the terminal
        stdout = io.TextIOWrapper(
            click.get_binary_stream("stdout"), encoding="utf-8-sig" if bom else "utf-8", newline=""
        )
        try:
            count = write_csv(stdout, columns, rows, raw=raw)
            stdout.flush()
        finally:
            stdout.detach()
    elif fmt == "xlsx":
        with open(output, "wb") as binary:
            count = write_xlsx(binary, columns, rows)
    else:
        with open(output, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as text:
            count = write_csv(text, columns, rows, raw=raw)
    if output is not None:
        click.echo(f"{_count(count)} written to {output}", err=True)


def _check_writable(output: str) -> None:
    """Refuse, in one line, an output file whose folder does not exist (before any work)."""
    folder = os.path.dirname(os.path.abspath(output))
    if not os.path.isdir(folder):
        raise click.ClickException(
            f"cannot write {output}: the folder {folder} does not exist (create it first)"
        )


@click.group("import")
def import_group() -> None:
    """Import data typed in elsewhere (formats in docs/data-format.md)."""


@import_group.command("responses")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--campaign", "campaign_code", required=True, help="Code of the campaign.")
@with_appcontext
def import_responses(file: str, campaign_code: str) -> None:
    """Import paper questionnaires from FILE (.csv or .xlsx): all rows or none.

    Every problem is printed as FILE:LINE column CODE message and the command exits
    with status 1, storing nothing.  Rows already imported are reported, not stored twice.
    """
    path = Path(file)
    sheet = read_sheet(path)
    source = path.name
    if not sheet.columns:  # the file could not be read at all
        _fail([problem.format(source) for problem in sheet.problems])
    session = db.session
    try:
        report = import_rows(
            session, campaign_code, sheet.rows, source_name=source, columns=sheet.columns
        )
    except Invalid as exc:
        session.rollback()
        raise click.ClickException(
            "\n".join([exc.message, *(f"{i.path} {i.code} {i.message}" for i in exc.issues)])
        ) from exc
    except ServiceError as exc:
        session.rollback()
        raise click.ClickException(exc.message) from exc
    problems = sorted((*sheet.problems, *report.problems), key=lambda p: p.line)
    if problems:
        session.rollback()
        _fail([problem.format(source) for problem in problems])
    session.commit()
    click.echo(f"{source}: {_count(len(report.stored_lines))} stored")
    if report.duplicate_lines:
        lines = ", ".join(str(line) for line in report.duplicate_lines)
        click.echo(
            f"{source}: {_count(len(report.duplicate_lines))} already stored, "
            f"not stored again (lines {lines})"
        )


def _count(n: int) -> str:
    return f"{n} response" if n == 1 else f"{n} responses"


def _fail(messages: list[str]) -> NoReturn:
    for message in messages:
        click.echo(message, err=True)
    noun = "problem" if len(messages) == 1 else "problems"
    click.echo(f"{len(messages)} {noun}; nothing was stored.", err=True)
    raise SystemExit(1)
