"""The wide export (issue 2 §7): columns, exact CSV text, number formatting, xlsx, streaming.

Responses are made through ``record_response``; the expected CSV lines are written out by
hand from the format in ``docs/data-format.md``.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable
from datetime import UTC
from datetime import datetime
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import update
from sqlalchemy.orm import Session

from survey_app.models import Campaign
from survey_app.models import Library
from survey_app.models import Response
from survey_app.services import exports
from survey_app.services.errors import NotFound
from survey_app.services.exports import export_rows
from survey_app.services.exports import format_cell
from survey_app.services.exports import wide_columns
from survey_app.services.exports import write_csv
from survey_app.services.exports import write_xlsx
from survey_app.services.instruments import instrument_of
from survey_app.services.responses import parse_submission
from survey_app.services.responses import record_response

#: every item type the wide format spells differently, in a small instrument
DEMO_YAML = """\
id: export_demo
version: 1
title: {ru: Демо}
sections:
  - id: s1
    title: {ru: Раздел}
    items:
      - {id: q1, type: likert, min: 1, max: 5, text: {ru: Оценка}}
      - {id: q2, type: yes_no, required: false, text: {ru: Да или нет}}
      - id: q3
        type: single
        required: false
        text: {ru: Где}
        choices:
          - {value: reading_room, label: {ru: Читальный зал}}
          - {value: lending, label: {ru: Абонемент}}
      - id: q4
        type: multi
        required: false
        text: {ru: Что}
        choices:
          - {value: books, label: {ru: Книги}}
          - {value: events, label: {ru: Мероприятия}}
          - {value: wifi, label: {ru: Wi-Fi}}
      - {id: q5, type: text, required: false, text: {ru: Комментарий}}
      - {id: q6, type: number, required: false, min: 0, max: 100, text: {ru: Сколько}}
      - id: AS1
        type: battery
        required: false
        min: 1
        max: 9
        na_allowed: true
        text: {ru: Утверждение}
        columns:
          - {id: minimum, label: {ru: Минимум}}
          - {id: desired, label: {ru: Желаемое}}
          - {id: perceived, label: {ru: Воспринимаемое}}
"""

HEADER = (
    "response_id,campaign,library,service_point,channel,instrument,instrument_version,"
    "started_at,submitted_at,received_at,q1,q2,q3,q4,q5,q6,AS1:minimum,AS1:desired,"
    "AS1:perceived,AS1:na"
)
ID1 = "00000000-0000-4000-8000-000000000001"
ID2 = "00000000-0000-4000-8000-000000000002"


def store(
    session: Session,
    campaign: Campaign,
    answers: dict[str, Any],
    *,
    response_id: str | None = None,
    received_at: datetime | None = None,
    **fields: Any,
) -> uuid.UUID:
    """Record one response through the service; optionally pin its server timestamp."""
    payload: dict[str, Any] = {
        "id": response_id or str(uuid.uuid4()),
        "campaign": campaign.code,
        "library": campaign.libraries[0].code,
        "channel": "qr",
        "answers": answers,
        **fields,
    }
    receipt = record_response(session, parse_submission(payload))
    if received_at is not None:
        session.execute(
            update(Response)
            .where(Response.client_uuid == receipt.id)
            .values(received_at=received_at)
        )
    return receipt.id


@pytest.fixture
def demo_campaign(
    make_campaign: Callable[..., Campaign], make_library: Callable[..., Library]
) -> Campaign:
    """Open campaign ``exp1`` asking DEMO_YAML in ``exp-lib`` (service point ``lending``)."""
    library = make_library("exp-lib", service_points=["lending"])
    return make_campaign(DEMO_YAML, code="exp1", libraries=[library])


def sibling_campaign(session: Session, campaign: Campaign, code: str) -> Campaign:
    """Another open campaign with the same instrument version and libraries."""
    other = Campaign(
        code=code,
        title=f"Кампания {code}",
        instrument_version=campaign.instrument_version,
        channels=list(campaign.channels),
        libraries=list(campaign.libraries),
    )
    session.add(other)
    session.flush()
    return other


def two_responses(session: Session, campaign: Campaign) -> None:
    """A full response (every kind of cell) and a sparse paper one with N/A."""
    store(
        session,
        campaign,
        {
            "q1": 4,
            "q2": "да",
            "q3": "reading_room",
            "q4": ["wifi", "books"],
            "q5": 'Тихо, "светло"\nспасибо',
            "q6": 3.5,
            "AS1": {"minimum": 5, "desired": 8, "perceived": 6},
        },
        response_id=ID1,
        service_point="lending",
        started_at="2026-03-01T10:00:00Z",
        submitted_at="2026-03-01T17:04:00+07:00",
        received_at=datetime(2026, 3, 1, 10, 4, 2, tzinfo=UTC),
    )
    store(
        session,
        campaign,
        {"q1": "5", "q6": 12.0, "AS1": {"na": True}},
        response_id=ID2,
        channel="paper",
        received_at=datetime(2026, 3, 2, 9, 0, 0, 250000, tzinfo=UTC),
    )


def test_wide_columns__meta_then_items_battery_columns_and_na(demo_campaign: Campaign) -> None:
    instrument = instrument_of(demo_campaign.instrument_version)
    assert wide_columns(instrument) == HEADER.split(",")


def test_export_csv__two_responses_give_the_expected_text(
    session: Session, demo_campaign: Campaign
) -> None:
    two_responses(session, demo_campaign)
    out = io.StringIO(newline="")
    columns = wide_columns(instrument_of(demo_campaign.instrument_version))
    count = write_csv(out, columns, export_rows(session, "exp1"))
    expected = [
        HEADER,
        f"{ID1},exp1,exp-lib,lending,qr,export_demo,1,2026-03-01T10:00:00Z,2026-03-01T10:04:00Z,"
        '2026-03-01T10:04:02Z,4,1,reading_room,books|wifi,"Тихо, ""светло""\nспасибо",3.5,5,8,6,',
        f"{ID2},exp1,exp-lib,,paper,export_demo,1,,,2026-03-02T09:00:00.250000Z,5,,,,,12,,,,1",
    ]
    assert count == 2
    assert out.getvalue() == "\r\n".join(expected) + "\r\n"


def test_export_rows__typed_values_and_none_for_no_answer(
    session: Session, demo_campaign: Campaign
) -> None:
    two_responses(session, demo_campaign)
    first, second = export_rows(session, "exp1")
    assert first["q1"] == 4 and isinstance(first["q1"], int)
    assert first["q6"] == 3.5
    assert first["q4"] == "books|wifi"
    assert first["AS1:na"] is None
    assert second["q6"] == 12 and isinstance(second["q6"], int)
    assert (second["AS1:minimum"], second["AS1:na"]) == (None, 1)
    assert second["service_point"] is None and second["started_at"] is None


def test_export_rows__chunked_reads_give_the_same_rows_in_storage_order(
    session: Session, demo_campaign: Campaign, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [store(session, demo_campaign, {"q1": n % 5 + 1, "q6": n}) for n in range(7)]
    all_at_once = list(export_rows(session, "exp1"))
    monkeypatch.setattr(exports, "CHUNK_SIZE", 3)
    chunked = list(export_rows(session, "exp1"))
    assert chunked == all_at_once
    assert [row["response_id"] for row in chunked] == [str(i) for i in ids]
    assert [row["q6"] for row in chunked] == list(range(7))


def test_export_rows__other_campaigns_are_left_out(
    session: Session, demo_campaign: Campaign
) -> None:
    other = sibling_campaign(session, demo_campaign, "other")
    store(session, demo_campaign, {"q1": 3}, response_id=ID1)
    store(session, other, {"q1": 2})
    assert [row["response_id"] for row in export_rows(session, "exp1")] == [ID1]


def test_export_rows__unknown_campaign__not_found(session: Session) -> None:
    with pytest.raises(NotFound):
        export_rows(session, "no-such-campaign")


def test_export_rows__campaign_without_responses_is_header_only(
    session: Session, demo_campaign: Campaign
) -> None:
    out = io.StringIO(newline="")
    columns = wide_columns(instrument_of(demo_campaign.instrument_version))
    assert write_csv(out, columns, export_rows(session, "exp1")) == 0
    assert out.getvalue() == HEADER + "\r\n"


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, ""), (4, "4"), (4.0, "4"), (-2.0, "-2"), (3.5, "3.5"), (0.1, "0.1"), ("a|b", "a|b")],
)
def test_format_cell__integral_numbers_without_trailing_zero(value: Any, text: str) -> None:
    assert format_cell(value) == text


def test_export_xlsx__numbers_are_numeric_and_formulas_stay_text(
    session: Session, demo_campaign: Campaign
) -> None:
    store(session, demo_campaign, {"q1": 2, "q5": "=1+1", "q6": 2.5}, response_id=ID1)
    columns = wide_columns(instrument_of(demo_campaign.instrument_version))
    buffer = io.BytesIO()
    assert write_xlsx(buffer, columns, export_rows(session, "exp1")) == 1
    buffer.seek(0)
    sheet = load_workbook(buffer).worksheets[0]
    header, row = list(sheet.iter_rows(values_only=True))
    assert list(header) == columns
    cells = dict(zip(columns, row, strict=True))
    assert cells["response_id"] == ID1
    assert cells["q1"] == 2 and isinstance(cells["q1"], int)
    assert cells["q6"] == 2.5
    assert cells["q2"] is None
    q5 = sheet.cell(row=2, column=columns.index("q5") + 1)
    assert (q5.value, q5.data_type) == ("=1+1", "s")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("=1+1", "'=1+1"),
        ("+7 913", "'+7 913"),
        ("-- спасибо", "'-- спасибо"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tзначение", "'\tзначение"),
        ("\rзначение", "'\rзначение"),
        ("спасибо =)", "спасибо =)"),
        (-2.0, "-2"),
        (-3, "-3"),
    ],
)
def test_format_cell__texts_that_a_spreadsheet_would_run_get_a_quote(value: Any, text: str) -> None:
    """OWASP's CSV-injection rule: a leading ' makes the cell text; numbers are never touched."""
    assert format_cell(value) == text
    assert format_cell(value, raw=True) == (value if isinstance(value, str) else text)


def test_export_csv__a_formula_answer_is_quoted_unless_raw(
    session: Session, demo_campaign: Campaign
) -> None:
    store(session, demo_campaign, {"q1": 2, "q5": '=HYPERLINK("http://x","y")'}, response_id=ID1)
    columns = wide_columns(instrument_of(demo_campaign.instrument_version))

    def q5(raw: bool) -> str:
        out = io.StringIO(newline="")
        write_csv(out, columns, export_rows(session, "exp1"), raw=raw)
        (row,) = csv.DictReader(io.StringIO(out.getvalue(), newline=""))
        return row["q5"]

    assert q5(raw=False) == '\'=HYPERLINK("http://x","y")'
    assert q5(raw=True) == '=HYPERLINK("http://x","y")'


#: three battery items of one scale with a Lite form: B2 links every form, one more drawn
LITE_YAML = """\
id: export_lite
version: 1
title: {ru: Краткая форма}
sections:
  - id: s1
    title: {ru: Раздел}
    items:
      - {id: B1, type: battery, required: false, min: 1, max: 9, text: {ru: Б1},
         columns: [{id: perceived, label: {ru: Восприятие}}]}
      - {id: B2, type: battery, required: false, min: 1, max: 9, text: {ru: Б2},
         columns: [{id: perceived, label: {ru: Восприятие}}]}
      - {id: B3, type: battery, required: false, min: 1, max: 9, text: {ru: Б3},
         columns: [{id: perceived, label: {ru: Восприятие}}]}
scales:
  - {id: s, title: {ru: Шкала}, items: [B1, B2, B3], column: perceived}
lite:
  share: 0.5
  linking: [B2]
  random_per_scale: {s: 1}
"""


def test_export__a_lite_campaign_says_which_battery_items_each_form_offered(
    session: Session, make_campaign: Callable[..., Campaign]
) -> None:
    campaign = make_campaign(LITE_YAML, code="lite1", lite_share=0.4)
    store(session, campaign, {"B3": {"perceived": 7}}, response_id=ID1, lite_items=["B3", "B2"])
    store(session, campaign, {"B1": {"perceived": 2}, "B2": {"perceived": 3}}, response_id=ID2)
    third = store(session, campaign, {"B2": {"perceived": 5}}, lite_items=["B1", "B2"])
    # a response stored before the draws were kept
    session.execute(update(Response).where(Response.client_uuid == third).values(lite_items=None))
    instrument = instrument_of(campaign.instrument_version)
    columns = wide_columns(instrument, lite=True)

    rows = list(export_rows(session, "lite1"))

    assert columns[9:] == ["received_at", "lite_items", "B1:perceived", "B2:perceived"] + [
        "B3:perceived"
    ]
    assert [list(row) for row in rows] == [columns] * 3
    # in questionnaire order; the full form offered every battery item; unknown: empty
    assert [row["lite_items"] for row in rows] == ["B2|B3", "B1|B2|B3", None]
    assert [row["B3:perceived"] for row in rows] == [7, None, None]
