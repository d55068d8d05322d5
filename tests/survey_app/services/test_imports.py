"""Paper import (issue 2 §7): the wide format read back through ``record_response``.

Covers: export → import round trip into another campaign; all rows or none with every
problem reported by spreadsheet line; header checks (unknown/missing/duplicate columns);
the deterministic UUID5 of rows without ``response_id`` (computed independently here from
the documented recipe) and idempotent re-import; changed re-import; meta-column checks;
CSV decoding (BOM, ``;``, non-UTF-8, multi-line cells) and xlsx reading.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable

import pytest
from openpyxl import Workbook
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey_app.models import Answer
from survey_app.models import Campaign
from survey_app.models import CampaignStatus
from survey_app.models import Library
from survey_app.models import Response
from survey_app.services.errors import NotFound
from survey_app.services.exports import export_rows
from survey_app.services.exports import wide_columns
from survey_app.services.exports import write_csv
from survey_app.services.imports import ImportReport
from survey_app.services.imports import Sheet
from survey_app.services.imports import import_rows
from survey_app.services.imports import read_csv
from survey_app.services.imports import read_sheet
from survey_app.services.imports import read_xlsx
from survey_app.services.instruments import instrument_of
from tests.survey_app.services.test_exports import DEMO_YAML
from tests.survey_app.services.test_exports import HEADER
from tests.survey_app.services.test_exports import LITE_YAML
from tests.survey_app.services.test_exports import sibling_campaign
from tests.survey_app.services.test_exports import two_responses

#: the item columns of DEMO_YAML
ITEMS = "q1,q2,q3,q4,q5,q6,AS1:minimum,AS1:desired,AS1:perceived,AS1:na"
#: the documented namespace of generated ids, derived here rather than copied from the code
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:survey-app:paper-import")


@pytest.fixture
def demo_campaign(
    make_campaign: Callable[..., Campaign], make_library: Callable[..., Library]
) -> Campaign:
    """Open campaign ``exp1`` asking DEMO_YAML in ``exp-lib`` (service point ``lending``)."""
    library = make_library("exp-lib", service_points=["lending"])
    return make_campaign(DEMO_YAML, code="exp1", libraries=[library])


def sheet_of(text: str) -> Sheet:
    """Read CSV text (LF line ends) as an uploaded file would be."""
    return read_csv(io.BytesIO(text.encode("utf-8")))


def run(
    session: Session, text: str, campaign: str = "exp1", source: str = "forms.csv"
) -> ImportReport:
    """Import CSV text into ``campaign``."""
    sheet = sheet_of(text)
    assert sheet.problems == ()
    return import_rows(session, campaign, sheet.rows, source_name=source, columns=sheet.columns)


def count_responses(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Response)) or 0


def answers_of(
    session: Session, client_uuid: uuid.UUID
) -> set[tuple[str, str, float | None, str | None]]:
    rows = session.execute(
        select(Answer.item_id, Answer.column, Answer.value_num, Answer.value_text)
        .join(Response)
        .where(Response.client_uuid == client_uuid)
    )
    return {tuple(row) for row in rows}


def codes(report: ImportReport) -> list[tuple[int, str, str]]:
    return [(p.line, p.column, p.code) for p in report.problems]


GOOD = f"""library,{ITEMS}
exp-lib,4,да,lending,books|events,"Хорошо, спасибо",3,5,8,6,
exp-lib,2,0,,,,,,,,1
"""


def test_import_rows__valid_file_is_stored_with_paper_channel_and_typed_answers(
    session: Session, demo_campaign: Campaign
) -> None:
    report = run(session, GOOD)
    assert report.ok and report.stored_lines == (2, 3) and report.duplicate_lines == ()
    first = uuid.uuid5(NAMESPACE, "exp1\nforms.csv\n2")
    second = uuid.uuid5(NAMESPACE, "exp1\nforms.csv\n3")
    channels = dict(session.execute(select(Response.client_uuid, Response.channel)).all())
    assert channels == {first: "paper", second: "paper"}
    assert answers_of(session, first) == {
        ("q1", "", 4.0, None),
        ("q2", "", 1.0, None),
        ("q3", "", None, "lending"),
        ("q4", "", 1.0, "books"),
        ("q4", "", 1.0, "events"),
        ("q5", "", None, "Хорошо, спасибо"),
        ("q6", "", 3.0, None),
        ("AS1", "minimum", 5.0, None),
        ("AS1", "desired", 8.0, None),
        ("AS1", "perceived", 6.0, None),
    }
    assert answers_of(session, second) == {
        ("q1", "", 2.0, None),
        ("q2", "", 0.0, None),
        ("AS1", "na", 1.0, None),
    }


def test_import_rows__round_trip_into_another_campaign_reproduces_the_answers(
    session: Session, demo_campaign: Campaign
) -> None:
    two_responses(session, demo_campaign)
    sibling_campaign(session, demo_campaign, "exp2")
    columns = wide_columns(instrument_of(demo_campaign.instrument_version))
    exported = io.StringIO(newline="")
    write_csv(exported, columns, export_rows(session, "exp1"))
    # ids are unique across campaigns: copying responses means clearing their identity
    table = list(csv.DictReader(io.StringIO(exported.getvalue(), newline="")))
    for row in table:
        row.update(response_id="", campaign="", channel="")
    rewritten = io.StringIO(newline="")
    writer = csv.DictWriter(rewritten, fieldnames=columns)
    writer.writeheader()
    writer.writerows(table)
    sheet = read_csv(io.BytesIO(rewritten.getvalue().encode("utf-8")))

    report = import_rows(session, "exp2", sheet.rows, source_name="copy.csv", columns=sheet.columns)

    assert report.ok and report.stored_lines == (2, 3)
    before = list(export_rows(session, "exp1"))
    after = list(export_rows(session, "exp2"))
    kept = ["library", "service_point", "started_at", "submitted_at", *ITEMS.split(",")]
    assert [{k: row[k] for k in kept} for row in after] == [
        {k: row[k] for k in kept} for row in before
    ]
    assert [row["channel"] for row in after] == ["paper", "paper"]


def test_import_rows__errors_on_lines_3_and_5__both_reported_nothing_stored(
    session: Session, demo_campaign: Campaign
) -> None:
    text = f"""library,{ITEMS}
exp-lib,4,,,,,,,,,
exp-lib,7,,,,,,,,,
exp-lib,3,,,,,,,,,
nowhere,5,,,,,,,,,
"""
    report = run(session, text)
    assert codes(report) == [(3, "q1", "ANS006"), (5, "library", "IMP010")]
    assert report.messages()[0] == "forms.csv:3 q1 ANS006 7 lies outside 1..5"
    assert report.messages()[1].startswith("forms.csv:5 library IMP010 ")
    assert report.stored_lines == () and report.duplicate_lines == ()
    assert count_responses(session) == 0


def test_import_rows__every_problem_of_a_row_is_reported_with_its_column(
    session: Session, demo_campaign: Campaign
) -> None:
    text = f"""library,service_point,started_at,{ITEMS}
exp-lib,desk,yesterday,,maybe,attic,books|ghosts,,-1,5,,,1
"""
    report = run(session, text)
    assert codes(report) == [
        (2, "started_at", "API006"),
        (2, "service_point", "API009"),
        (2, "q1", "ANS003"),
        (2, "q2", "ANS008"),
        (2, "q3", "ANS008"),
        (2, "q4", "ANS008"),
        (2, "q6", "ANS006"),
        (2, "AS1", "ANS012"),
    ]
    assert count_responses(session) == 0


def test_import_rows__row_without_library__answers_still_checked(
    session: Session, demo_campaign: Campaign
) -> None:
    text = f"library,{ITEMS}\n,9,,,,,,,,,\nnowhere,0,,,,,,,,,\n"
    assert codes(run(session, text)) == [
        (2, "library", "API003"),
        (2, "q1", "ANS006"),
        (3, "library", "IMP010"),
        (3, "q1", "ANS006"),
    ]


def test_import_rows__reimport_of_the_same_file_stores_nothing_twice(
    session: Session, demo_campaign: Campaign
) -> None:
    first = run(session, GOOD)
    again = run(session, GOOD)
    assert first.stored_lines == (2, 3)
    assert again.ok and again.stored_lines == () and again.duplicate_lines == (2, 3)
    assert count_responses(session) == 2


def test_import_rows__file_extended_at_the_end__only_new_lines_stored(
    session: Session, demo_campaign: Campaign
) -> None:
    run(session, GOOD)
    report = run(session, GOOD + "exp-lib,1,,,,,,,,,\n")
    assert report.stored_lines == (4,) and report.duplicate_lines == (2, 3)
    assert count_responses(session) == 3


def test_import_rows__edited_line_of_an_imported_file__changed_and_nothing_stored(
    session: Session, demo_campaign: Campaign
) -> None:
    run(session, GOOD)
    edited = GOOD.replace("exp-lib,2,0", "exp-lib,3,0") + "exp-lib,1,,,,,,,,,\n"
    report = run(session, edited)
    assert codes(report) == [(3, "response_id", "IMP011")]
    assert count_responses(session) == 2


def test_import_rows__same_file_name_in_another_campaign_gets_other_ids(
    session: Session, demo_campaign: Campaign
) -> None:
    sibling_campaign(session, demo_campaign, "exp2")
    run(session, GOOD)
    report = run(session, GOOD, campaign="exp2")
    assert report.stored_lines == (2, 3)
    assert count_responses(session) == 4


def test_import_rows__given_response_id_is_used_and_repeats_in_the_file_are_errors(
    session: Session, demo_campaign: Campaign
) -> None:
    rid = "5b0e1a3c-7d7e-4c55-9a51-000000000abc"
    text = f"""response_id,library,{ITEMS}
{rid},exp-lib,4,,,,,,,,,
{rid},exp-lib,5,,,,,,,,,
"""
    assert codes(run(session, text)) == [(3, "response_id", "IMP009")]
    report = run(session, text.rsplit(f"{rid},exp-lib,5", 1)[0])
    assert report.stored_lines == (2,)
    assert session.scalar(select(Response.client_uuid)) == uuid.UUID(rid)


def test_import_rows__header_problems__unknown_missing_and_duplicate_columns(
    session: Session, demo_campaign: Campaign
) -> None:
    header = "library,q01,q2,q3,q3,q4,q5,q6,AS1:minimum,AS1:desired,AS1:perceived,AS1:na"
    text = f"{header}\nexp-lib,4,,,,,,,,,,\n"
    report = run(session, text)
    assert codes(report) == [(1, "q01", "IMP003"), (1, "q3", "IMP004"), (1, "q1", "IMP002")]
    assert "did you mean 'q1'?" in report.problems[0].message
    assert count_responses(session) == 0


def test_import_rows__unknown_column_alone_still_checks_the_rows(
    session: Session, demo_campaign: Campaign
) -> None:
    text = f"library,notes,{ITEMS}\nexp-lib,x,9,,,,,,,,,\n"
    assert codes(run(session, text)) == [(1, "notes", "IMP003"), (2, "q1", "ANS006")]


def test_import_rows__meta_columns_must_agree_with_the_campaign(
    session: Session, demo_campaign: Campaign
) -> None:
    text = f"""campaign,channel,instrument,instrument_version,received_at,library,{ITEMS}
exp1,paper,export_demo,1,2020-01-01T00:00:00Z,exp-lib,4,,,,,,,,,
exp9,kiosk,other_demo,2,,exp-lib,4,,,,,,,,,
"""
    assert codes(run(session, text)) == [
        (3, "channel", "IMP006"),
        (3, "campaign", "IMP007"),
        (3, "instrument", "IMP008"),
        (3, "instrument_version", "IMP008"),
    ]


def test_import_rows__blank_lines_are_skipped_but_keep_their_number(
    session: Session, demo_campaign: Campaign
) -> None:
    text = f"library,{ITEMS}\nexp-lib,4,,,,,,,,,\n,,,,,,,,,,\n\nexp-lib,9,,,,,,,,,\n"
    assert codes(run(session, text)) == [(5, "q1", "ANS006")]


def test_import_rows__closed_campaign__not_found(session: Session, demo_campaign: Campaign) -> None:
    demo_campaign.status = CampaignStatus.closed
    session.flush()
    with pytest.raises(NotFound):
        run(session, GOOD)


def test_read_csv__bom_semicolons_and_multiline_cells_keep_spreadsheet_line_numbers() -> None:
    data = '\ufefflibrary;q1;q5\r\nexp-lib;4;"две\r\nстроки"\r\nexp-lib;5;\r\n'.encode()
    sheet = read_csv(io.BytesIO(data))
    assert sheet.columns == ("library", "q1", "q5")
    assert sheet.rows == (
        (2, {"library": "exp-lib", "q1": "4", "q5": "две\r\nстроки"}),
        (3, {"library": "exp-lib", "q1": "5", "q5": ""}),
    )


def test_read_csv__not_utf8__unreadable_with_the_line() -> None:
    sheet = read_csv(io.BytesIO("library,q5\nexp-lib,ok\nexp-lib,Отлично\n".encode("cp1251")))
    assert [(p.line, p.code) for p in sheet.problems] == [(3, "IMP001")]
    assert sheet.columns == ()


def test_read_csv__field_over_the_csv_size_limit__unreadable_with_the_line() -> None:
    sheet = read_csv(io.BytesIO(b"library,q5\nexp-lib,ok\nexp-lib," + b"x" * 200_000 + b"\n"))
    assert [(p.line, p.code) for p in sheet.problems] == [(3, "IMP001")]


def test_read_xlsx__gaps_and_ragged_rows_keep_worksheet_row_numbers() -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["library", "q1", "q2"])
    sheet.append(["a", 1])
    sheet.append([])
    sheet.append(["b", 2, "да"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    assert read_xlsx(buffer).rows == (
        (2, {"library": "a", "q1": "1", "q2": ""}),
        (3, {"library": "", "q1": "", "q2": ""}),
        (4, {"library": "b", "q1": "2", "q2": "да"}),
    )


def test_read_csv__values_beyond_the_header__extra_cells() -> None:
    sheet = read_csv(io.BytesIO(b"library,q1,,\nexp-lib,4,,\nexp-lib,4,,oops\n"))
    assert sheet.columns == ("library", "q1")
    assert [(p.line, p.code) for p in sheet.problems] == [(3, "IMP005")]


def test_read_sheet__other_extension__unreadable(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "forms.ods"
    path.write_bytes(b"whatever")
    assert [p.code for p in read_sheet(path).problems] == ["IMP001"]


def test_import_rows__xlsx_typed_cells_are_read_like_text(
    session: Session, demo_campaign: Campaign
) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["library", *ITEMS.split(",")])
    sheet.append(["exp-lib", 4.0, 1, "reading_room", "wifi", "Спасибо!", 2.5, 5, 8, 6, None])
    sheet.append(["exp-lib", 3, None, None, None, None, None, None, None, None, 1])
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)

    read = read_xlsx(buffer)
    assert read.problems == ()
    assert read.rows[0] == (
        2,
        {
            "library": "exp-lib",
            "q1": "4",
            "q2": "1",
            "q3": "reading_room",
            "q4": "wifi",
            "q5": "Спасибо!",
            "q6": "2.5",
            "AS1:minimum": "5",
            "AS1:desired": "8",
            "AS1:perceived": "6",
            "AS1:na": "",
        },
    )
    report = import_rows(session, "exp1", read.rows, source_name="forms.xlsx", columns=read.columns)
    assert report.ok and report.stored_lines == (2, 3)
    stored = uuid.uuid5(NAMESPACE, "exp1\nforms.xlsx\n2")
    assert ("q6", "", 2.5, None) in answers_of(session, stored)
    assert ("q5", "", None, "Спасибо!") in answers_of(session, stored)


def test_read_xlsx__not_a_workbook__unreadable() -> None:
    assert [p.code for p in read_xlsx(io.BytesIO(b"library,q1\n")).problems] == ["IMP001"]


def test_import_rows__header_only_template__nothing_to_store(
    session: Session, demo_campaign: Campaign
) -> None:
    report = run(session, HEADER + "\n")
    assert report.ok and report.stored_lines == ()


def test_import_rows__a_lite_campaigns_template_imports_as_full_paper_forms(
    session: Session, make_campaign: Callable[..., Campaign]
) -> None:
    """The blank template of a campaign with a Lite form has a lite_items column; typed-in
    paper forms are full forms whatever it says, as the server records."""
    campaign = make_campaign(LITE_YAML, code="lite2", lite_share=0.4)
    columns = wide_columns(instrument_of(campaign.instrument_version), lite=True)
    typed = {"library": campaign.libraries[0].code, "lite_items": "B2", "B1:perceived": "4"}
    text = ",".join(columns) + "\n" + ",".join(typed.get(c, "") for c in columns) + "\n"

    report = run(session, text, campaign="lite2")

    assert report.ok and report.stored_lines == (2,)
    stored = session.scalars(select(Response).where(Response.campaign_id == campaign.id)).one()
    assert stored.lite_items == ["B1", "B2", "B3"] and stored.channel == "paper"
