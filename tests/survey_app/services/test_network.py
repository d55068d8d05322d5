"""The library network (issue 4 §7): create, edit and deactivate systems, libraries and
service points, never delete a unit that has responses, and the all-or-nothing CSV/XLSX import
whose errors name their line (header = line 1)."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func
from sqlalchemy import select

from survey_app.models import AuditEvent
from survey_app.models import Library
from survey_app.models import LibrarySystem
from survey_app.models import LibraryType
from survey_app.models import Region
from survey_app.services import network
from survey_app.services.errors import Conflict
from survey_app.services.errors import Forbidden
from survey_app.services.errors import Invalid
from survey_app.services.responses import parse_submission
from survey_app.services.responses import record_response
from tests.factories import NOK_ANSWERS
from tests.factories import submission


def codes(error: Invalid) -> list[tuple[str, str]]:
    return [(issue.code, issue.path) for issue in error.issues]


@pytest.fixture
def region(session):
    region = Region(code="kem", name="Кемеровская область")
    session.add(region)
    session.flush()
    return region


@pytest.fixture
def systems(session, region):
    kem = LibrarySystem(region=region, code="KEM", name="ЦБС г. Кемерово")
    nvk = LibrarySystem(region=region, code="NVK", name="ЦБС г. Новокузнецка")
    session.add_all([kem, nvk])
    session.flush()
    return kem, nvk


def library_count(session) -> int:
    return session.scalar(select(func.count(Library.id)))


def respond(session, make_campaign, library):
    campaign = make_campaign(libraries=[library])
    record_response(session, parse_submission(submission(campaign, NOK_ANSWERS)))
    return campaign


# --- systems and libraries -------------------------------------------------------------------


def test_create_system__in_the_only_region(session, systems, make_user):
    created = network.create_system(
        session, code="PROK", name="ЦБС Прокопьевска", actor=make_user("admin")
    )
    assert created.region.code == "kem"
    assert {s.code for s in network.list_systems(session)} == {"KEM", "NVK", "PROK"}


def test_create_system__code_taken_in_any_case(session, systems):
    with pytest.raises(Invalid) as error:
        network.create_system(session, code="kem", name="Другая")
    assert codes(error.value) == [("NET011", "code")]


def test_create_library__with_all_fields(session, systems, make_user):
    kem, _ = systems
    library = network.create_library(
        session,
        system=kem,
        code="KEM-CENTRAL",
        name="Центральная городская библиотека",
        type="central",
        address="пр. Ленина, 1",
        population_served="12 500",
        opening_hours="Пн-Пт 10-19",
        actor=make_user("admin"),
    )
    assert (library.type, library.population_served, library.active) == (
        LibraryType.central,
        12500,
        True,
    )
    event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (event.action, event.target, event.details) == (
        "library.create",
        "library:KEM-CENTRAL",
        {"system": "KEM"},
    )


def test_create_library__collects_every_problem(session, systems, make_library):
    kem, _ = systems
    make_library("TAKEN", system=kem)
    with pytest.raises(Invalid) as error:
        network.create_library(
            session, system=kem, code="taken", name="", type="castle", population_served="-3"
        )
    assert sorted(codes(error.value)) == [
        ("NET002", "name"),
        ("NET004", "type"),
        ("NET005", "population_served"),
        ("NET011", "code"),
    ]
    with pytest.raises(Invalid) as malformed:
        network.create_library(session, system=kem, code="библиотека 1", name="X")
    assert codes(malformed.value) == [("NET010", "code")]


def test_network_changes__only_administrators(session, systems, make_user, make_library):
    kem, _ = systems
    library = make_library("KEM-1", system=kem)
    for role in ("methodologist", "quality_manager", "library_staff"):
        actor = make_user(role)
        with pytest.raises(Forbidden):
            network.create_library(session, system=kem, code="NEW", name="Новая", actor=actor)
        with pytest.raises(Forbidden):
            network.deactivate_library(session, library, actor=actor)
    assert library.active is True


def test_update_library__records_what_changed(session, systems, make_library):
    kem, nvk = systems
    library = make_library("KEM-1", system=kem)
    network.update_library(session, library, name="Новое имя", type="rural", system=nvk)
    assert (library.name, library.type, library.system) == ("Новое имя", LibraryType.rural, nvk)
    event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event.action == "library.update"
    assert event.details["changes"]["type"] == ["branch", "rural"]
    assert event.details["changes"]["system"] == ["KEM", "NVK"]


def test_update_library__code_is_frozen_once_responses_exist(
    session, systems, make_library, make_campaign
):
    library = make_library("KEM-1", system=systems[0])
    respond(session, make_campaign, library)
    with pytest.raises(Conflict):
        network.update_library(session, library, code="KEM-ONE")
    network.update_library(session, library, name="Renamed")  # other fields still editable
    assert library.code == "KEM-1" and library.name == "Renamed"


def test_deactivate_library__keeps_it_and_is_audited(session, systems, make_library):
    library = make_library("KEM-1", system=systems[0])
    network.deactivate_library(session, library)
    assert library.active is False and session.get(Library, library.id) is library
    network.activate_library(session, library)
    assert library.active is True
    actions = list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions[-2:] == ["library.deactivate", "library.activate"]


def test_delete_library__refused_when_it_has_responses(
    session, systems, make_library, make_campaign
):
    library = make_library("KEM-1", system=systems[0])
    respond(session, make_campaign, library)
    with pytest.raises(Conflict, match="responses"):
        network.delete_library(session, library)
    assert session.get(Library, library.id) is library


def test_delete_library__allowed_for_an_unused_library(session, systems, make_library):
    library = make_library("OOPS", system=systems[0], service_points=["desk"])
    library_id = library.id
    network.delete_library(session, library)
    assert session.get(Library, library_id) is None


def test_delete_system__refused_while_it_has_libraries(session, systems, make_library):
    kem, nvk = systems
    make_library("KEM-1", system=kem)
    with pytest.raises(Conflict):
        network.delete_system(session, kem)
    network.delete_system(session, nvk)
    assert [s.code for s in network.list_systems(session)] == ["KEM"]


def test_service_points__create_edit_deactivate(session, systems, make_library):
    library = make_library("KEM-1", system=systems[0])
    desk = network.create_service_point(session, library, code="desk", name="Абонемент")
    with pytest.raises(Invalid) as error:
        network.create_service_point(session, library, code="DESK", name="Другой")
    assert codes(error.value) == [("NET011", "code")]
    network.update_service_point(session, desk, name="Абонемент взрослый")
    network.deactivate_service_point(session, desk)
    assert (desk.name, desk.active) == ("Абонемент взрослый", False)


# --- import ----------------------------------------------------------------------------------

GOOD_CSV = (
    "code;name;system;type;address;population_served;opening_hours\n"
    "KEM-1;Библиотека №1;KEM;central;ул. Весенняя, 5;25000;10-19\n"
    "KEM-2;Библиотека №2;ЦБС г. Кемерово;филиал;;;\n"
    "NVK-1;Детская библиотека;nvk;children;пр. Металлургов, 3;8 000;9-18\n"
)


def test_import_libraries__creates_every_line(session, systems, make_user):
    report = network.import_libraries(
        session, GOOD_CSV.encode("utf-8"), filename="libs.csv", actor=make_user("admin")
    )
    assert report.created == ("KEM-1", "KEM-2", "NVK-1")
    rows = {lib.code: lib for lib in session.scalars(select(Library))}
    assert rows["KEM-2"].system.code == "KEM"  # system given by its name
    assert rows["KEM-2"].type == LibraryType.branch  # "филиал"
    assert rows["NVK-1"].population_served == 8000
    assert rows["KEM-1"].address == "ул. Весенняя, 5"
    event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (event.action, event.target, event.details) == (
        "import.libraries",
        "libs.csv",
        {"created": 3, "updated": 0, "unchanged": 0},
    )


def test_import_libraries__updates_existing_codes(session, systems, make_library):
    existing = make_library("KEM-1", system=systems[0])
    network.import_libraries(session, GOOD_CSV.encode("utf-8"), filename="libs.csv")
    report = network.import_libraries(
        session,
        GOOD_CSV.replace("Библиотека №1", "Библиотека имени Гоголя").encode("utf-8"),
        filename="again.csv",
    )
    assert report.updated == ("KEM-1",)
    assert report.unchanged == ("KEM-2", "NVK-1")
    assert existing.name == "Библиотека имени Гоголя"
    assert library_count(session) == 3


def test_import_libraries__any_error_imports_nothing_and_names_lines(session, systems):
    bad = (
        "code,name,system,type,address,population_served,opening_hours\n"
        "OK-1,Хорошая,KEM,branch,,,\n"
        "OK-2,,KEM,branch,,,\n"
        "OK-3,Третья,NOWHERE,castle,,много,\n"
        "\n"
        "OK-1,Повтор,KEM,branch,,,\n"
    )
    with pytest.raises(Invalid) as error:
        network.import_libraries(session, bad.encode("utf-8"), filename="bad.csv")
    assert codes(error.value) == [
        ("NET002", "line 3: name"),
        ("NET004", "line 4: type"),
        ("NET005", "line 4: population_served"),
        ("NET003", "line 4: system"),
        ("NET006", "line 6: code"),
    ]
    assert library_count(session) == 0


def test_import_libraries__header_problems(session, systems):
    with pytest.raises(Invalid) as error:
        network.import_libraries(session, b"code,title,adress,code\nX,Y,Z,X\n", filename="h.csv")
    assert [(i.code, i.path, i.message) for i in error.value.issues] == [
        ("NET001", "line 1: title", "Unknown column."),
        ("NET001", "line 1: adress", "Unknown column."),
        ("NET001", "line 1: code", "This column appears twice."),
        ("NET001", "line 1: name", "This required column is missing."),
        ("NET001", "line 1: system", "This required column is missing."),
    ]


def test_import_libraries__russian_headers_and_windows_1251(session, systems):
    text = "Код;Название;ЦБС;Тип\nKEM-9;Сельская библиотека;KEM;сельская\n"
    report = network.import_libraries(session, text.encode("cp1251"), filename="ru.csv")
    assert report.created == ("KEM-9",)
    library = session.scalar(select(Library))
    assert (library.name, library.type) == ("Сельская библиотека", LibraryType.rural)


def xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_import_libraries__xlsx_with_numbers_as_numbers(session, systems):
    data = xlsx(
        [
            ["code", "name", "system", "type", "population_served"],
            ["NVK-5", "Модельная библиотека", "NVK", "model", 15000],
            ["NVK-6", "Филиал", "NVK", None, 2500.0],
        ]
    )
    report = network.import_libraries(session, data, filename="libs.XLSX")
    assert report.created == ("NVK-5", "NVK-6")
    populations = dict(session.execute(select(Library.code, Library.population_served)).all())
    assert populations == {"NVK-5": 15000, "NVK-6": 2500}


def test_import_libraries__xlsx_errors_use_sheet_row_numbers(session, systems):
    data = xlsx([["code", "name", "system"], ["A-1", "Первая", "KEM"], ["A-2", "Вторая", "XXX"]])
    with pytest.raises(Invalid) as error:
        network.import_libraries(session, data, filename="libs.xlsx")
    assert codes(error.value) == [("NET003", "line 3: system")]
    assert library_count(session) == 0


@pytest.mark.parametrize(
    ("data", "filename"),
    [(b"", "empty.csv"), (b"not a zip", "broken.xlsx"), (b"code,name", "libs.pdf")],
)
def test_import_libraries__unreadable_files(session, systems, data, filename):
    with pytest.raises(Invalid) as error:
        network.import_libraries(session, data, filename=filename)
    assert [issue.code for issue in error.value.issues] == ["NET008"]


def test_import_libraries__only_administrators(session, systems, make_user):
    with pytest.raises(Forbidden):
        network.import_libraries(
            session, GOOD_CSV.encode(), filename="x.csv", actor=make_user("methodologist")
        )
