"""services.instrument_admin: uploading (YAML, XLSForm), publishing, diffs and item lineage.

Covers issue 4 §3: every validation problem reported with its location and code; a draft
can be replaced, a published version never (Conflict); publishing records each item's
lineage (same / reworded / new) against the previous published version and is audited;
the diff between two versions lists items added, removed, reworded, moved, rescaled and
scales changed.  Expected lineages and diffs are worked out by hand from the two small
definitions below.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import openpyxl
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey_app.models import AuditEvent
from survey_app.models import InstrumentVersion
from survey_app.services.errors import Conflict
from survey_app.services.errors import Forbidden
from survey_app.services.errors import Invalid
from survey_app.services.errors import NotFound
from survey_app.services.instrument_admin import diff_versions
from survey_app.services.instrument_admin import get_version
from survey_app.services.instrument_admin import item_lineage
from survey_app.services.instrument_admin import list_instruments
from survey_app.services.instrument_admin import publish_version
from survey_app.services.instrument_admin import upload_instrument
from survey_app.services.instruments import instrument_of

V1 = """\
id: pilot
version: 1
title: {ru: Пилотная анкета, en: Pilot survey}
locales: [ru, en]
sections:
  - id: main
    title: {ru: Основное, en: Main}
    items:
      - {id: q1, type: likert, min: 1, max: 5, text: {ru: Вежливость, en: Courtesy}}
      - {id: q2, type: likert, min: 1, max: 5, text: {ru: Чистота, en: Cleanliness}}
      - {id: q3, type: likert, min: 1, max: 5, text: {ru: Удобство, en: Comfort}}
      - {id: q5, type: text, required: false, text: {ru: Комментарий, en: Comment}}
scales:
  - {id: service, title: {ru: Сервис, en: Service}, items: [q1, q2]}
"""

#: q1 unchanged; q2 reworded (ru only); q3 moved to a new section and 1..5 -> 1..7;
#: q4 added; q5 removed; q2 becomes reverse-keyed in the scale
V2 = """\
id: pilot
version: 2
title: {ru: Пилотная анкета, en: Pilot survey}
locales: [ru, en]
sections:
  - id: main
    title: {ru: Основное, en: Main}
    items:
      - {id: q1, type: likert, min: 1, max: 5, text: {ru: Вежливость, en: Courtesy}}
      - {id: q2, type: likert, min: 1, max: 5, text: {ru: Чистота зала, en: Cleanliness}}
  - id: extra
    title: {ru: Дополнительно, en: More}
    items:
      - {id: q3, type: likert, min: 1, max: 7, text: {ru: Удобство, en: Comfort}}
      - {id: q4, type: yes_no, text: {ru: Придёте снова?, en: Will you come again?}}
scales:
  - {id: service, title: {ru: Сервис, en: Service}, items: [q1, q2], reverse: [q2]}
"""


def xlsx(survey: list[list[Any]], settings: list[list[Any]] | None = None) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "survey"
    for row in survey:
        sheet.append(row)
    if settings:
        other = book.create_sheet("settings")
        for row in settings:
            other.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def methodologist(make_user: Callable[..., Any]) -> Any:
    return make_user("methodologist")


def test_upload__yaml_is_stored_as_a_draft_and_audited(
    session: Session, methodologist: Any
) -> None:
    row = upload_instrument(session, V1.encode(), "pilot.yaml", actor=methodologist)
    assert (row.instrument_id, row.version, row.published_at) == ("pilot", 1, None)
    assert row.source == V1
    assert row.source_format == "yaml"
    assert row.uploaded_by_id == methodologist.id
    assert row.title == "Пилотная анкета"
    assert instrument_of(row).sha256 == row.sha256
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "instrument.upload")
    ).one()
    assert event.target == "instrument:pilot@1"
    assert event.actor_id == methodologist.id


def test_upload__xlsform_is_stored_as_yaml(session: Session, methodologist: Any) -> None:
    data = xlsx(
        [["type", "name", "label::Russian (ru)", "required"], ["integer", "age", "Возраст", "yes"]],
        [["form_id", "version", "form_title"], ["visit", 1, "Визит"]],
    )
    row = upload_instrument(session, data, "visit.xlsx", actor=methodologist)
    assert (row.instrument_id, row.version, row.source_format) == ("visit", 1, "xlsform")
    assert row.source.startswith("id: visit\n")
    item = instrument_of(row).item("age")
    assert (item.type.value, item.integer, item.required) == ("number", True, True)


def test_upload__xlsform_without_version_gets_the_next_number(
    session: Session, methodologist: Any
) -> None:
    first = xlsx([["type", "name", "label"], ["text", "q", "Вопрос"]], [["form_id"], ["visit"]])
    assert upload_instrument(session, first, "v.xlsx", actor=methodologist).version == 1
    publish_version(session, "visit", 1, actor=methodologist)
    assert upload_instrument(session, first, "v.xlsx", actor=methodologist).version == 2


def test_upload__every_problem_with_sheet_row_and_code(
    session: Session, methodologist: Any
) -> None:
    data = xlsx(
        [
            ["type", "name", "label", "relevant"],
            ["integer", "q1", "Первый", "${q2} > 1"],  # row 2: refers to a later item
            ["geopoint", "where", "Где?", None],  # row 3: unsupported
        ],
        [["form_id", "version"], ["visit", 1]],
    )
    with pytest.raises(Invalid) as info:
        upload_instrument(session, data, "visit.xlsx", actor=methodologist)
    assert [(i.code, i.path) for i in info.value.issues] == [
        ("XLS005", "visit.xlsx:survey:3 type"),
        ("INS021", "visit.xlsx:survey:2 relevant"),
    ]
    assert session.scalars(select(InstrumentVersion)).all() == []


def test_upload__yaml_problems_carry_file_and_line(session: Session, methodologist: Any) -> None:
    broken = V1.replace("max: 5, text: {ru: Чистота", "max: 0, text: {ru: Чистота")
    with pytest.raises(Invalid) as info:
        upload_instrument(session, broken.encode(), "pilot.yaml", actor=methodologist)
    # the bad range, and the scale that now mixes 1..5 with 1..0
    assert [(i.code, i.path.split(" ")[0]) for i in info.value.issues] == [
        ("INS011", "pilot.yaml:10"),
        ("INS018", "pilot.yaml:14"),
    ]


@pytest.mark.parametrize(
    ("data", "code"),
    [(b"", "UPL001"), (b"\xff\xfe\x00bad", "UPL003"), (b"id: [unclosed", "INS001")],
)
def test_upload__unreadable_files(session: Session, data: bytes, code: str) -> None:
    with pytest.raises(Invalid) as info:
        upload_instrument(session, data, "x.yaml")
    assert [i.code for i in info.value.issues] == [code]


def test_upload__draft_can_be_replaced_published_cannot(
    session: Session, methodologist: Any
) -> None:
    upload_instrument(session, V1.encode(), "pilot.yaml", actor=methodologist)
    changed = V1.replace("Пилотная анкета", "Пилотная анкета (исправлено)")
    row = upload_instrument(session, changed.encode(), "pilot.yaml", actor=methodologist)
    assert row.title == "Пилотная анкета (исправлено)"
    assert len(session.scalars(select(InstrumentVersion)).all()) == 1
    publish_version(session, "pilot", 1, actor=methodologist)
    with pytest.raises(Conflict):
        upload_instrument(session, V1.encode(), "pilot.yaml", actor=methodologist)
    assert get_version(session, "pilot", 1).title == "Пилотная анкета (исправлено)"


def test_upload__version_must_be_newer_than_published(session: Session) -> None:
    upload_instrument(session, V2.encode(), "pilot.yaml")
    publish_version(session, "pilot", 2)
    with pytest.raises(Invalid) as info:
        upload_instrument(session, V1.encode(), "pilot.yaml")
    assert [i.code for i in info.value.issues] == ["UPL005"]


def test_upload__new_version_of_another_instrument_is_refused(session: Session) -> None:
    with pytest.raises(Invalid) as info:
        upload_instrument(session, V1.encode(), "pilot.yaml", instrument_id="nok_culture")
    assert [i.code for i in info.value.issues] == ["UPL004"]


def test_upload__library_staff_may_not(session: Session, make_user: Callable[..., Any]) -> None:
    with pytest.raises(Forbidden):
        upload_instrument(session, V1.encode(), "pilot.yaml", actor=make_user("library_staff"))


def test_publish__freezes_and_records_lineage(session: Session, methodologist: Any) -> None:
    upload_instrument(session, V1.encode(), "p1.yaml", actor=methodologist)
    first = publish_version(session, "pilot", 1, actor=methodologist)
    assert first.published_at is not None
    assert first.lineage == {
        "against": None,
        "items": {"q1": "new", "q2": "new", "q3": "new", "q5": "new"},
    }
    upload_instrument(session, V2.encode(), "p2.yaml", actor=methodologist)
    second = publish_version(session, "pilot", 2, actor=methodologist)
    assert second.lineage == {
        "against": 1,
        "items": {"q1": "same", "q2": "reworded", "q3": "new", "q4": "new"},
    }
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "instrument.publish").order_by(AuditEvent.id)
    ).all()
    assert [e.target for e in events] == ["instrument:pilot@1", "instrument:pilot@2"]
    assert events[1].details["lineage"] == {"same": 1, "reworded": 1, "new": 2}
    with pytest.raises(Conflict):
        publish_version(session, "pilot", 2, actor=methodologist)


def test_publish__unknown_version(session: Session) -> None:
    with pytest.raises(NotFound):
        publish_version(session, "pilot", 9)


def test_item_lineage__choice_values_and_labels(session: Session) -> None:
    base = """\
id: c
version: {v}
title: {{ru: Т}}
sections:
  - id: s
    title: {{ru: С}}
    items:
      - id: visit
        type: single
        text: {{ru: Цель}}
        choices:
          - {{value: books, label: {{ru: {books}}}}}
          - {{value: {events}, label: {{ru: События}}}}
"""
    old = upload_instrument(session, base.format(v=1, books="Книги", events="events").encode(), "c")
    relabel = upload_instrument(
        session, base.format(v=2, books="Книги и журналы", events="events").encode(), "c"
    )
    recode = upload_instrument(
        session, base.format(v=3, books="Книги", events="talks").encode(), "c"
    )
    assert item_lineage(instrument_of(old), instrument_of(relabel)) == {"visit": "reworded"}
    assert item_lineage(instrument_of(old), instrument_of(recode)) == {"visit": "new"}


def test_diff_versions__lists_every_kind_of_change(session: Session) -> None:
    upload_instrument(session, V1.encode(), "p1.yaml")
    upload_instrument(session, V2.encode(), "p2.yaml")
    diff = diff_versions(session, "pilot", 1, 2)
    assert diff.added == ("q4",)
    assert diff.removed == ("q5",)
    assert [(c.item_id, c.fields, c.old_text, c.new_text) for c in diff.reworded] == [
        ("q2", ("text (ru)",), "Чистота", "Чистота зала")
    ]
    assert [(c.item_id, c.fields) for c in diff.moved] == [("q3", ("section main → extra",))]
    assert [(c.item_id, c.fields) for c in diff.rescaled] == [("q3", ("range",))]
    assert [(s.scale_id, s.kind, s.fields) for s in diff.scales] == [
        ("service", "changed", ("reverse-keyed items",))
    ]
    assert [(s.item_id, s.fields) for s in diff.sections] == [("extra", ("added",))]
    assert not diff.identical
    assert diff_versions(session, "pilot", 1, 1).identical


def test_diff_versions__order_change_is_a_move(session: Session) -> None:
    upload_instrument(session, V1.encode(), "p1.yaml")
    q1 = "      - {id: q1, type: likert, min: 1, max: 5, text: {ru: Вежливость, en: Courtesy}}\n"
    swapped = (
        V1.replace("version: 1", "version: 2")
        .replace(q1, "")
        .replace("      - {id: q5,", q1 + "      - {id: q5,")
    )
    upload_instrument(session, swapped.encode(), "p2.yaml")
    diff = diff_versions(session, "pilot", 1, 2)
    assert [(c.item_id, c.fields) for c in diff.moved] == [("q1", ("order",))]
    assert diff.added == diff.removed == ()


def test_list_instruments__groups_versions_newest_first(session: Session) -> None:
    upload_instrument(session, V1.encode(), "p1.yaml")
    publish_version(session, "pilot", 1)
    upload_instrument(session, V2.encode(), "p2.yaml")
    overview = {o.instrument_id: o for o in list_instruments(session)}["pilot"]
    assert [v.version for v in overview.versions] == [2, 1]
    assert overview.latest_published is not None and overview.latest_published.version == 1
    assert [v.version for v in overview.drafts] == [2]
