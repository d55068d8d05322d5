"""``survey-app export responses`` and ``survey-app import responses`` (issue 2 §7).

Covers: CSV to stdout and to a file (with and without BOM), xlsx export, the exit codes and
messages of bad invocations; import of CSV and xlsx files, all rows or none with
``FILE:LINE column CODE message`` lines and exit status 1, idempotent re-import.
Expected CSV lines are written out by hand in ``test_exports.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from datetime import datetime
from pathlib import Path

import pytest
from flask.testing import FlaskCliRunner
from openpyxl import Workbook
from openpyxl import load_workbook
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey_app.models import Campaign
from survey_app.models import CampaignStatus
from survey_app.models import Library
from survey_app.models import Response
from tests.survey_app.services.test_exports import DEMO_YAML
from tests.survey_app.services.test_exports import HEADER
from tests.survey_app.services.test_exports import ID1
from tests.survey_app.services.test_exports import ID2
from tests.survey_app.services.test_exports import store
from tests.survey_app.services.test_exports import two_responses

ITEMS = "q1,q2,q3,q4,q5,q6,AS1:minimum,AS1:desired,AS1:perceived,AS1:na"
EXPECTED_CSV = (
    HEADER + "\r\n"
    f"{ID1},exp1,exp-lib,lending,qr,export_demo,1,2026-03-01T10:00:00Z,2026-03-01T10:04:00Z,"
    '2026-03-01T10:04:02Z,4,1,reading_room,books|wifi,"Тихо, ""светло""\nспасибо",3.5,5,8,6,\r\n'
    f"{ID2},exp1,exp-lib,,paper,export_demo,1,,,2026-03-02T09:00:00.250000Z,5,,,,,12,,,,1\r\n"
)


@pytest.fixture
def demo_campaign(
    session: Session,
    make_campaign: Callable[..., Campaign],
    make_library: Callable[..., Library],
) -> Campaign:
    """Committed open campaign ``exp1`` asking DEMO_YAML in library ``exp-lib``."""
    library = make_library("exp-lib", service_points=["lending"])
    campaign = make_campaign(DEMO_YAML, code="exp1", libraries=[library])
    session.commit()
    return campaign


def count_responses(session: Session) -> int:
    session.rollback()  # see what the command committed
    return session.scalar(select(func.count()).select_from(Response)) or 0


def test_export_responses__csv_to_stdout(
    runner: FlaskCliRunner, session: Session, demo_campaign: Campaign
) -> None:
    two_responses(session, demo_campaign)
    session.commit()
    result = runner.invoke(args=["export", "responses", "--campaign", "exp1", "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == EXPECTED_CSV.encode("utf-8")


def test_export_responses__excluded_rows_only_with_include_excluded(
    runner: FlaskCliRunner, session: Session, demo_campaign: Campaign
) -> None:
    two_responses(session, demo_campaign)
    response = session.scalar(
        select(Response).filter_by(library_id=demo_campaign.libraries[0].id, channel="paper")
    )
    response.excluded_at = datetime(2026, 3, 3, tzinfo=UTC)
    response.excluded_reason = "entered twice"
    session.commit()

    default = runner.invoke(args=["export", "responses", "--campaign", "exp1"])
    everything = runner.invoke(
        args=["export", "responses", "--campaign", "exp1", "--include-excluded"]
    )

    assert default.exit_code == 0 and everything.exit_code == 0, everything.output
    assert default.stdout_bytes == EXPECTED_CSV.encode("utf-8").replace(
        EXPECTED_CSV.split("\r\n")[2].encode("utf-8") + b"\r\n", b""
    )
    lines = everything.stdout_bytes.decode("utf-8").split("\r\n")
    header = lines[0].split(",")
    assert header[header.index("received_at") + 1] == "excluded"
    flags = {
        line.split(",")[0]: line.split(",")[header.index("excluded")] for line in lines[1:] if line
    }
    assert flags == {str(ID1): "0", str(ID2): "1"}


def test_export_responses__csv_file_with_bom(
    runner: FlaskCliRunner, session: Session, demo_campaign: Campaign, tmp_path: Path
) -> None:
    two_responses(session, demo_campaign)
    session.commit()
    target = tmp_path / "out.csv"
    result = runner.invoke(
        args=["export", "responses", "--campaign", "exp1", "--output", str(target), "--bom"]
    )
    assert result.exit_code == 0, result.output
    assert target.read_bytes() == b"\xef\xbb\xbf" + EXPECTED_CSV.encode("utf-8")
    assert result.stderr == f"2 responses written to {target}\n"


def test_export_responses__xlsx_file(
    runner: FlaskCliRunner, session: Session, demo_campaign: Campaign, tmp_path: Path
) -> None:
    store(
        session,
        demo_campaign,
        {"q1": 3, "q4": ["events"]},
        response_id=ID1,
        received_at=datetime(2026, 3, 1, 12, 0, tzinfo=UTC),
    )
    session.commit()
    target = tmp_path / "out.xlsx"
    result = runner.invoke(
        args=["export", "responses", "--campaign", "exp1", "--format", "xlsx", "-o", str(target)]
    )
    assert result.exit_code == 0, result.output
    header, row = load_workbook(target).worksheets[0].iter_rows(values_only=True)
    assert list(header) == HEADER.split(",")
    assert list(row) == [
        ID1,
        "exp1",
        "exp-lib",
        None,
        "qr",
        "export_demo",
        1,
        None,
        None,
        "2026-03-01T12:00:00Z",
        3,
        None,
        None,
        "events",
        None,
        None,
        None,
        None,
        None,
        None,
    ]


def test_export_responses__xlsx_without_output__usage_error(
    runner: FlaskCliRunner, demo_campaign: Campaign
) -> None:
    result = runner.invoke(args=["export", "responses", "--campaign", "exp1", "--format", "xlsx"])
    assert result.exit_code == 2
    assert "--format xlsx needs --output FILE" in result.stderr


def test_export_responses__unknown_campaign__exit_1(
    runner: FlaskCliRunner, session: Session
) -> None:
    result = runner.invoke(args=["export", "responses", "--campaign", "nope"])
    assert result.exit_code == 1
    assert result.stderr == "Error: No campaign has the code 'nope'.\n"


def test_import_responses__errors_on_lines_3_and_5__listed_exit_1_nothing_stored(
    runner: FlaskCliRunner, session: Session, demo_campaign: Campaign, tmp_path: Path
) -> None:
    path = tmp_path / "march.csv"
    path.write_text(
        f"library,{ITEMS}\n"
        "exp-lib,4,,,,,,,,,\n"
        "exp-lib,7,,,,,,,,,\n"
        "exp-lib,3,,,,,,,,,\n"
        "exp-lib,5,,attic,,,,,,,\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["import", "responses", str(path), "--campaign", "exp1"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "march.csv:3 q1 ANS006 7 lies outside 1..5",
        "march.csv:5 q3 ANS008 'attic' is not one of: reading_room, lending",
        "2 problems; nothing was stored.",
    ]
    assert count_responses(session) == 0


def test_import_responses__reimport_reports_duplicates_and_stores_nothing_twice(
    runner: FlaskCliRunner, session: Session, demo_campaign: Campaign, tmp_path: Path
) -> None:
    path = tmp_path / "april.csv"
    path.write_text(
        f"library,{ITEMS}\nexp-lib,4,да,,,,,,,,\nexp-lib,2,нет,,,,,,,,\n", encoding="utf-8"
    )
    args = ["import", "responses", str(path), "--campaign", "exp1"]

    first = runner.invoke(args=args)
    assert first.exit_code == 0, first.output
    assert first.stdout == "april.csv: 2 responses stored\n"
    assert count_responses(session) == 2

    again = runner.invoke(args=args)
    assert again.exit_code == 0, again.output
    assert again.stdout == (
        "april.csv: 0 responses stored\n"
        "april.csv: 2 responses already stored, not stored again (lines 2, 3)\n"
    )
    assert count_responses(session) == 2


def test_import_responses__xlsx_file(
    runner: FlaskCliRunner, session: Session, demo_campaign: Campaign, tmp_path: Path
) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["library", "channel", *ITEMS.split(",")])
    sheet.append(["exp-lib", "paper", 5, 1, "lending", "books|wifi", None, 7, None, None, None, 1])
    path = tmp_path / "may.xlsx"
    workbook.save(path)
    result = runner.invoke(args=["import", "responses", str(path), "--campaign", "exp1"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "may.xlsx: 1 response stored\n"
    exported = runner.invoke(args=["export", "responses", "--campaign", "exp1"])
    row = exported.stdout.splitlines()[1].split(",")
    assert row[2:7] == ["exp-lib", "", "paper", "export_demo", "1"]
    assert row[10:] == ["5", "1", "lending", "books|wifi", "", "7", "", "", "", "1"]


def test_import_responses__not_utf8__unreadable_exit_1(
    runner: FlaskCliRunner, session: Session, demo_campaign: Campaign, tmp_path: Path
) -> None:
    path = tmp_path / "cp.csv"
    path.write_bytes(f"library,{ITEMS}\nexp-lib,4,,,,Отлично,,,,,\n".encode("cp1251"))
    result = runner.invoke(args=["import", "responses", str(path), "--campaign", "exp1"])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "cp.csv:2 - IMP001 the file is not UTF-8 text; save it as 'CSV UTF-8'"
    )


def test_import_responses__closed_campaign__exit_1(
    runner: FlaskCliRunner, session: Session, demo_campaign: Campaign, tmp_path: Path
) -> None:
    demo_campaign.status = CampaignStatus.closed
    session.commit()
    path = tmp_path / "june.csv"
    path.write_text(f"library,{ITEMS}\nexp-lib,4,,,,,,,,,\n", encoding="utf-8")
    result = runner.invoke(args=["import", "responses", str(path), "--campaign", "exp1"])
    assert result.exit_code == 1
    assert "closed; open it to import responses" in result.stderr
    assert count_responses(session) == 0


def test_export_csv__formula_texts_quoted__raw_keeps_them(
    runner: FlaskCliRunner, session: Session, demo_campaign: Campaign
) -> None:
    store(session, demo_campaign, {"q1": 2, "q5": "=1+1"}, response_id=ID1)
    quoted = runner.invoke(args=["export", "responses", "--campaign", "exp1"])
    raw = runner.invoke(args=["export", "responses", "--campaign", "exp1", "--raw"])
    assert quoted.exit_code == 0 and raw.exit_code == 0, quoted.output + raw.output
    header = quoted.output.splitlines()[0].split(",")
    assert quoted.output.splitlines()[1].split(",")[header.index("q5")] == "'=1+1"
    assert raw.output.splitlines()[1].split(",")[header.index("q5")] == "=1+1"
