"""Blueprint admin_results over HTTP (issue 4 §1, §7): scoped results pages and exports.

Covers: staff of one library get 404 for another library's results pages and exports however
the URL is written (code in another case, id, trailing slash, padded, extra query parameters)
and the same page as for a library that does not exist; their campaign-wide CSV and XLSX hold
only their own library's rows (the files are parsed here); a system's quality manager gets the
system and region-wide roles everything; excluding a response through the page needs the
permission, a reason and a CSRF token, is audited, reversible, and takes the row out of the
export (back with ``?include_excluded=1`` and an ``excluded`` column); the page's strings are
in the Russian admin catalog.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Callable
from datetime import UTC
from datetime import date
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from flask import g
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

from survey_app.models import AuditEvent
from survey_app.models import Campaign
from survey_app.models import LibrarySystem
from survey_app.models import Region
from survey_app.models import Response
from survey_app.models import User
from survey_app.services.responses import parse_submission
from survey_app.services.responses import record_response
from tests.factories import NOK_ANSWERS
from tests.factories import STAFF_PASSWORD
from tests.factories import submission


class StaffClient(FlaskClient):
    """A test client that forgets Flask-Login's per-request user cache between requests."""

    def open(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        g.pop("_login_user", None)
        return super().open(*args, **kwargs)


def respond(session: Session, campaign: Campaign, library: str, day: int) -> str:
    """Store one valid response of ``library`` received on ``day`` March 2026; return its id."""
    receipt = record_response(
        session, parse_submission(submission(campaign, NOK_ANSWERS, library=library))
    )
    session.execute(
        update(Response)
        .where(Response.client_uuid == receipt.id)
        .values(received_at=datetime(2026, 3, day, 9, 0, tzinfo=UTC))
    )
    return str(receipt.id)


@pytest.fixture
def world(
    session: Session,
    make_library: Callable[..., Any],
    make_campaign: Callable[..., Campaign],
    make_user: Callable[..., User],
) -> SimpleNamespace:
    """NORTH: OWN-1 (2 responses), SIB-2 (1); SOUTH: OTHER-3 (2); SPRING covers all three,
    AUTUMN only OTHER-3. Staff of OWN-1, the NORTH quality manager, a methodologist, an admin."""
    region = Region(code="kem", name="Кемерово")
    north = LibrarySystem(region=region, code="NORTH", name="ЦБС Северная")
    south = LibrarySystem(region=region, code="SOUTH", name="ЦБС Южная")
    session.add_all([north, south])
    session.flush()
    own = make_library("OWN-1", system=north)
    sibling = make_library("SIB-2", system=north)
    other = make_library("OTHER-3", system=south)
    spring = make_campaign(code="SPRING", libraries=[own, sibling, other])
    make_campaign(code="AUTUMN", libraries=[other])
    ids = {
        "OWN-1": {respond(session, spring, "OWN-1", 1), respond(session, spring, "OWN-1", 2)},
        "SIB-2": {respond(session, spring, "SIB-2", 3)},
        "OTHER-3": {respond(session, spring, "OTHER-3", 4), respond(session, spring, "OTHER-3", 5)},
    }
    people = SimpleNamespace(
        admin=make_user("admin", email="admin@example.org"),
        methodologist=make_user("methodologist", email="method@example.org"),
        manager=make_user("quality_manager", email="qm@example.org", system=north),
        staff=make_user("library_staff", email="staff@example.org", library=own),
    )
    session.commit()  # error pages roll the session back; keep the data
    return SimpleNamespace(own=own, sibling=sibling, other=other, ids=ids, **vars(people))


@pytest.fixture
def login(app, app_context) -> Callable[[User], StaffClient]:
    """Return a callable giving a client signed in as the given account (English pages)."""

    def sign_in(user: User) -> StaffClient:
        client = StaffClient(app, app.response_class, use_cookies=True)
        reply = client.post("/login", data={"email": user.email, "password": STAFF_PASSWORD})
        assert reply.status_code == 302, reply.get_data(as_text=True)
        assert client.get("/admin/results/?lang=en").status_code == 200
        return client

    return sign_in


def page_urls(library: Any) -> list[str]:
    """Every way of writing the address of a library's results page in SPRING."""
    return [
        f"/admin/results/SPRING/libraries/{library.code}",
        f"/admin/results/SPRING/libraries/{library.code}/",
        f"/admin/results/spring/libraries/{library.code.lower()}",
        f"/admin/results/SPRING/libraries/{library.id}",
        f"/admin/results/SPRING/libraries/{library.id}/",
        f"/admin/results/SPRING/libraries/%20{library.code}%20/",
        f"/admin/results/SPRING/libraries/{library.code}?page=1&library=OWN-1",
    ]


def export_urls(library: Any) -> list[str]:
    """Every way of asking for a library's export in SPRING."""
    urls = []
    for ext in ("csv", "xlsx"):
        base = f"/admin/results/SPRING/export.{ext}"
        urls += [
            f"{base}?library={library.code}",
            f"{base}?library={library.code.lower()}",
            f"{base}?library={library.id}",
            f"{base}?library=%20{library.code}%20",
            f"{base}?library={library.code}&include_excluded=1&format=csv",
            f"/admin/results/spring/export.{ext}?library={library.code}",
        ]
    return urls


def read_csv(reply: Any) -> list[dict[str, str]]:
    assert reply.status_code == 200, reply.get_data(as_text=True)[:500]
    assert reply.mimetype == "text/csv"
    text = reply.get_data(as_text=True)
    assert text.startswith("\ufeff"), "the web CSV starts with a BOM (Excel reads Cyrillic)"
    return list(csv.DictReader(io.StringIO(text[1:], newline="")))


def read_xlsx(reply: Any) -> list[dict[str, Any]]:
    assert reply.status_code == 200
    sheet = load_workbook(io.BytesIO(reply.get_data()), read_only=True).active
    header, *rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(header, row, strict=True)) for row in rows]


# --- scope: pages ---------------------------------------------------------------------------


def test_library_page__own_library_opens_however_written(world, login):
    client = login(world.staff)
    for url in page_urls(world.own):
        reply = client.get(url)
        assert reply.status_code == 200, url
        text = reply.get_data(as_text=True)
        assert "OWN-1" in text
        for response_id in world.ids["OWN-1"]:
            assert response_id in text


def test_library_page__other_library_is_not_found_however_written(world, login):
    client = login(world.staff)
    for library in (world.sibling, world.other):
        for url in page_urls(library):
            assert client.get(url).status_code == 404, url
    missing = client.get("/admin/results/SPRING/libraries/NO-SUCH-LIB")
    hidden = client.get(f"/admin/results/SPRING/libraries/{world.other.code}")
    assert missing.status_code == 404
    assert missing.get_data() == hidden.get_data()  # the same page: nothing to probe


def test_campaign_page__lists_the_libraries_in_scope_only(world, login):
    staff_page = login(world.staff).get("/admin/results/spring/").get_data(as_text=True)
    assert "OWN-1" in staff_page
    assert "SIB-2" not in staff_page and "OTHER-3" not in staff_page
    manager_page = login(world.manager).get("/admin/results/SPRING").get_data(as_text=True)
    assert "OWN-1" in manager_page and "SIB-2" in manager_page
    assert "OTHER-3" not in manager_page
    admin = login(world.admin)
    admin_page = admin.get("/admin/results/SPRING").get_data(as_text=True)
    # two library systems: one line each (issue 9 §6), each leading to its libraries
    assert "?system=NORTH" in admin_page and "?system=SOUTH" in admin_page
    north = admin.get("/admin/results/SPRING?system=NORTH").get_data(as_text=True)
    south = admin.get("/admin/results/SPRING?system=SOUTH").get_data(as_text=True)
    assert "OWN-1" in north and "SIB-2" in north and "OTHER-3" in south


def test_campaign_without_a_library_in_scope__not_found_for_pages_and_exports(world, login):
    client = login(world.staff)
    for url in (
        "/admin/results/AUTUMN",
        "/admin/results/autumn/",
        "/admin/results/AUTUMN/libraries/OTHER-3",
        "/admin/results/AUTUMN/libraries/OWN-1",  # own library, but not in that campaign
        "/admin/results/AUTUMN/export.csv",
        "/admin/results/AUTUMN/export.xlsx?library=OTHER-3",
        "/admin/results/NO-SUCH/export.csv",
    ):
        assert client.get(url).status_code == 404, url
    index = client.get("/admin/results/").get_data(as_text=True)
    assert "SPRING" in index and "AUTUMN" not in index


def test_results_pages__anonymous_sent_to_sign_in(world, client):
    for url in ("/admin/results/", "/admin/results/SPRING", "/admin/results/SPRING/export.csv"):
        reply = client.get(url)
        assert reply.status_code == 302
        assert reply.headers["Location"].startswith("/login")


# --- scope: exports -------------------------------------------------------------------------


def test_export__other_library_is_not_found_however_written(world, login):
    client = login(world.staff)
    for library in (world.sibling, world.other):
        for url in export_urls(library):
            assert client.get(url).status_code == 404, url


def test_export__own_library_however_written(world, login):
    client = login(world.staff)
    for url in export_urls(world.own):
        reply = client.get(url)
        rows = read_csv(reply) if ".csv" in url else read_xlsx(reply)
        assert {row["response_id"] for row in rows} == world.ids["OWN-1"], url
        assert {row["library"] for row in rows} == {"OWN-1"}


def test_export_csv__campaign_wide_for_staff_holds_only_their_library(world, login):
    client = login(world.staff)
    for url in (
        "/admin/results/SPRING/export.csv",
        "/admin/results/spring/export.csv?library=",
        "/admin/results/SPRING/export.csv?LIBRARY=OTHER-3&system=SOUTH&x=1",
        "/admin/results/SPRING/export.csv?include_excluded=1",
    ):
        rows = read_csv(client.get(url))
        assert {row["library"] for row in rows} == {"OWN-1"}, url
        assert {row["response_id"] for row in rows} == world.ids["OWN-1"], url
        assert len(rows) == 2


def test_export_csv__two_libraries_asked_at_once__bad_request(world, login):
    client = login(world.staff)
    reply = client.get("/admin/results/SPRING/export.csv?library=OWN-1&library=OTHER-3")
    assert reply.status_code == 400


def test_export_xlsx__campaign_wide_for_staff_holds_only_their_library(world, login):
    reply = login(world.staff).get("/admin/results/SPRING/export.xlsx")
    assert reply.headers["Content-Disposition"] == "attachment; filename=SPRING_responses.xlsx"
    rows = read_xlsx(reply)
    assert [row["library"] for row in rows] == ["OWN-1", "OWN-1"]
    assert {row["response_id"] for row in rows} == world.ids["OWN-1"]


@pytest.mark.parametrize(
    ("who", "libraries"),
    [
        ("manager", ("OWN-1", "SIB-2")),
        ("methodologist", ("OWN-1", "SIB-2", "OTHER-3")),
        ("admin", ("OWN-1", "SIB-2", "OTHER-3")),
    ],
)
def test_export_csv__exactly_the_libraries_in_scope(world, login, who, libraries):
    reply = login(getattr(world, who)).get("/admin/results/SPRING/export.csv")
    assert reply.headers["Content-Disposition"] == "attachment; filename=SPRING_responses.csv"
    assert "no-store" in reply.headers["Cache-Control"]
    rows = read_csv(reply)
    assert {row["response_id"] for row in rows} == set().union(*(world.ids[c] for c in libraries))
    assert sorted({row["library"] for row in rows}) == sorted(libraries)


def test_export_csv__manager_cannot_reach_another_system(world, login):
    client = login(world.manager)
    for ref in ("OTHER-3", "other-3", str(world.other.id)):
        assert client.get(f"/admin/results/SPRING/export.csv?library={ref}").status_code == 404
        assert client.get(f"/admin/results/SPRING/libraries/{ref}/").status_code == 404


# --- exclusions -----------------------------------------------------------------------------


def excluded_state(session: Session, response_id: str) -> tuple[Any, ...]:
    session.expire_all()
    response = session.scalar(
        select(Response).where(Response.client_uuid == uuid.UUID(response_id))
    )
    assert response is not None
    return response.excluded_at is not None, response.excluded_reason


def test_exclude__audited_reversible_and_leaves_the_export(world, login, session):
    client = login(world.manager)
    target = min(world.ids["OWN-1"])
    base = f"/admin/results/SPRING/libraries/OWN-1/responses/{target}"
    reply = client.post(
        f"{base}/exclude", data={"reason": "test entry by staff", "page": "1", "confirmed": "1"}
    )
    assert reply.status_code == 302
    assert reply.headers["Location"] == "/admin/results/SPRING/libraries/OWN-1/?page=1"
    assert excluded_state(session, target) == (True, "test entry by staff")
    page = client.get("/admin/results/SPRING/libraries/OWN-1").get_data(as_text=True)
    assert "The response is excluded from the analysis." in page
    assert "test entry by staff" in page

    rows = read_csv(client.get("/admin/results/SPRING/export.csv"))
    assert target not in {row["response_id"] for row in rows}
    assert len(rows) == 2  # SIB-2's and OWN-1's other response
    rows = read_csv(client.get("/admin/results/SPRING/export.csv?include_excluded=1"))
    assert {row["response_id"]: row["excluded"] for row in rows} == {
        rid: ("1" if rid == target else "0") for rid in world.ids["OWN-1"] | world.ids["SIB-2"]
    }
    rows = read_xlsx(client.get("/admin/results/SPRING/export.xlsx?include_excluded=true"))
    assert {row["response_id"]: row["excluded"] for row in rows}[target] == 1

    reply = client.post(f"{base}/restore", data={"reason": "a real visitor after all"})
    assert reply.status_code == 302
    assert excluded_state(session, target) == (False, None)
    rows = read_csv(client.get("/admin/results/SPRING/export.csv"))
    assert target in {row["response_id"] for row in rows}

    events = session.scalars(
        select(AuditEvent).where(AuditEvent.target == f"response:{target}").order_by(AuditEvent.id)
    ).all()
    assert [(e.action, e.actor_id, e.details["reason"]) for e in events] == [
        ("response.exclude", world.manager.id, "test entry by staff"),
        ("response.restore", world.manager.id, "a real visitor after all"),
    ]


def test_exclude__shows_the_answers_first_and_changes_nothing_until_confirmed(
    world, login, session
):
    """Issue 9 §6: the person excluding a response sees what it says before it goes."""
    client = login(world.manager)
    target = min(world.ids["OWN-1"])
    url = f"/admin/results/SPRING/libraries/OWN-1/responses/{target}/exclude"
    reply = client.post(url, data={"reason": "same answers twice", "page": "1"})
    assert reply.status_code == 200
    page = reply.get_data(as_text=True)
    # NOK_ANSWERS as the visitor gave them: q1 yes, q4 no, q16 female, q17 34
    assert "Your sex</th><td>Female</td>" in page
    assert "Your age (in full years)</th><td>34</td>" in page
    assert "<td>no</td>" in page and "<td>yes</td>" in page
    assert 'name="reason" value="same answers twice"' in page
    assert 'name="confirmed" value="1"' in page
    assert excluded_state(session, target) == (False, None)
    done = client.post(url, data={"reason": "same answers twice", "confirmed": "1"})
    assert done.status_code == 302
    assert excluded_state(session, target) == (True, "same answers twice")


def test_exclude__twice__warning_and_nothing_more_recorded(world, login, session):
    client = login(world.admin)
    target = min(world.ids["SIB-2"])
    url = f"/admin/results/SPRING/libraries/SIB-2/responses/{target}/exclude"
    assert client.post(url, data={"reason": "speeder", "confirmed": "1"}).status_code == 302
    reply = client.post(url, data={"reason": "again", "confirmed": "1"}, follow_redirects=True)
    assert "This response is already excluded." in reply.get_data(as_text=True)
    assert excluded_state(session, target) == (True, "speeder")
    assert (
        len(
            session.scalars(select(AuditEvent).where(AuditEvent.action == "response.exclude")).all()
        )
        == 1
    )


def test_exclude__blank_reason__422_with_the_error_at_the_field(world, login, session):
    client = login(world.manager)
    target = min(world.ids["OWN-1"])
    url = f"/admin/results/SPRING/libraries/OWN-1/responses/{target}/exclude"
    reply = client.post(url, data={"reason": "   "})
    assert reply.status_code == 422
    text = reply.get_data(as_text=True)
    assert f'id="reason-{target}-error"' in text and "Give a reason." in text
    assert f'aria-describedby="reason-{target}-error"' in text
    assert excluded_state(session, target) == (False, None)


def test_exclude__library_staff__forbidden_and_no_form_shown(world, login, session):
    client = login(world.staff)
    target = min(world.ids["OWN-1"])
    url = f"/admin/results/SPRING/libraries/OWN-1/responses/{target}/exclude"
    assert client.post(url, data={"reason": "mine"}).status_code == 403
    page = client.get("/admin/results/SPRING/libraries/OWN-1").get_data(as_text=True)
    assert "/exclude" not in page
    assert excluded_state(session, target) == (False, None)


def test_exclude__response_of_another_system__not_found_whatever_the_url(world, login, session):
    client = login(world.manager)
    target = min(world.ids["OTHER-3"])
    for url in (
        f"/admin/results/SPRING/libraries/OWN-1/responses/{target}/exclude",
        f"/admin/results/SPRING/libraries/OTHER-3/responses/{target}/exclude",
        f"/admin/results/SPRING/libraries/OWN-1/responses/{uuid.uuid4()}/exclude",
        "/admin/results/SPRING/libraries/OWN-1/responses/not-a-uuid/exclude",
    ):
        assert client.post(url, data={"reason": "probe"}).status_code == 404, url
    assert excluded_state(session, target) == (False, None)


def test_exclude__needs_the_csrf_token(world, login, session, app):
    client = login(world.manager)
    target = min(world.ids["OWN-1"])
    url = f"/admin/results/SPRING/libraries/OWN-1/responses/{target}/exclude"
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post(url, data={"reason": "no token"}).status_code == 400
        assert excluded_state(session, target) == (False, None)
        page = client.get("/admin/results/SPRING/libraries/OWN-1").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token is not None
        reply = client.post(
            url, data={"reason": "with token", "csrf_token": token.group(1), "confirmed": "1"}
        )
        assert reply.status_code == 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert excluded_state(session, target) == (True, "with token")


# --- the Russian catalog --------------------------------------------------------------------


def test_results_strings__translated_in_the_admin_catalog():
    """Every msgid of the blueprint and its templates has a Russian msgstr, placeholders kept."""
    from babel.messages.extract import extract_from_file
    from babel.messages.pofile import read_po

    import survey_app

    root = Path(survey_app.__file__).parent
    with (root / "translations/ru/LC_MESSAGES/admin.po").open("rb") as file:
        catalog = read_po(file)
    sources = [("python", root / "blueprints/admin_results.py")] + [
        ("jinja2", path) for path in sorted((root / "templates/admin/results").glob("*.html"))
    ]
    seen = 0
    for method, path in sources:
        for _line, message_id, _comments, _context in extract_from_file(
            method, str(path), keywords={"_": None, "_l": None, "gettext": None, "ngettext": (1, 2)}
        ):
            ids = message_id if isinstance(message_id, tuple) else (message_id,)
            translated = catalog.get(ids[0] if len(ids) == 1 else ids)
            assert translated is not None, ids[0]
            strings = (
                translated.string if isinstance(translated.string, tuple) else (translated.string,)
            )
            assert all(strings), ids[0]
            wanted = set(re.findall(r"%\(\w+\)\w", ids[0]))
            assert all(set(re.findall(r"%\(\w+\)\w", s)) == wanted for s in strings), ids[0]
            seen += 1
    assert seen > 30


def test_library_page__served_in_russian(world, login):
    from flask_babel import get_domain

    client = login(world.manager)
    get_domain().cache.clear()  # the cache lives on the Domain, shared by every app
    try:
        page = client.get("/admin/results/SPRING/libraries/OWN-1/?lang=ru").get_data(as_text=True)
    finally:
        client.get("/admin/results/?lang=en")
        get_domain().cache.clear()
    assert "Результаты: Библиотека" in page
    assert "Исключить" in page and "Контроль качества" in page


def test_exclude__under_another_librarys_url__not_found_and_nothing_changes(world, login, session):
    """The page the action is posted from must be the response's own library and campaign."""
    client = login(world.manager)
    sibling_response = min(world.ids["SIB-2"])
    wrong = f"/admin/results/SPRING/libraries/OWN-1/responses/{sibling_response}"
    assert client.post(f"{wrong}/exclude", data={"reason": "wrong page"}).status_code == 404
    assert excluded_state(session, sibling_response) == (False, None)

    right = f"/admin/results/SPRING/libraries/SIB-2/responses/{sibling_response}"
    done = client.post(f"{right}/exclude", data={"reason": "right page", "confirmed": "1"})
    assert done.status_code == 302
    assert client.post(f"{wrong}/restore", data={"reason": "wrong page"}).status_code == 404
    assert excluded_state(session, sibling_response) == (True, "right page")


def test_export_csv__library_staff_get_dates_others_the_time(world, login):
    """OWN-1's two QR responses: fewer than the default 10 share the channel, so it is empty."""
    staff_rows = read_csv(login(world.staff).get("/admin/results/SPRING/export.csv"))
    assert sorted(row["received_at"] for row in staff_rows) == ["2026-03-01", "2026-03-02"]
    assert {row["channel"] for row in staff_rows} == {""}
    page = login(world.staff).get("/admin/results/SPRING/libraries/OWN-1/").get_data(as_text=True)
    assert "gives the date of each response, not its time" in page

    manager_rows = read_csv(
        login(world.manager).get("/admin/results/SPRING/export.csv?library=OWN-1")
    )
    assert sorted(row["received_at"] for row in manager_rows) == [
        "2026-03-01T09:00:00Z",
        "2026-03-02T09:00:00Z",
    ]
    assert {row["channel"] for row in manager_rows} == {"qr"}


def test_library_page__staff_see_the_day_of_a_response_others_the_time(world, login):
    """As in their exports: the minute a response came in could single out its visitor."""
    staff_page = login(world.staff).get("/admin/results/SPRING/libraries/OWN-1/")
    manager_page = login(world.manager).get("/admin/results/SPRING/libraries/OWN-1/")
    staff_text = staff_page.get_data(as_text=True)
    manager_text = manager_page.get_data(as_text=True)
    assert re.search(r'<time datetime="2026-03-0[12]">', staff_text)
    assert not re.search(r'<time datetime="2026-03-0[12]T', staff_text)
    assert re.search(r'<time datetime="2026-03-01T09:00:00\+00:00">', manager_text)


def test_library_page__shows_flags_and_counts_flagged_responses(session, world, login):
    flagged = world.ids["OWN-1"].pop()
    session.execute(
        update(Response)
        .where(Response.client_uuid == uuid.UUID(flagged))
        .values(flags=["burst", "kiosk_interval"])
    )
    session.commit()

    text = login(world.staff).get("/admin/results/SPRING/libraries/OWN-1/").get_data(as_text=True)

    assert "<dt>Flagged</dt><dd>1 (50&nbsp;%)" in text
    row = text[text.index(f'id="r-{flagged}"') :]
    row = row[: row.index("</tr>")]
    assert "one of a burst of responses on this kiosk" in row
    assert "too soon after the previous response on this kiosk" in row


@pytest.fixture
def big_region(
    session: Session,
    make_library: Callable[..., Any],
    make_campaign: Callable[..., Campaign],
    make_user: Callable[..., User],
) -> SimpleNamespace:
    """150 libraries in 3 systems in one campaign; two "Сельская библиотека" in different
    systems, told apart by their villages; one response from library 149 (the last)."""
    region = Region(code="big", name="Большой регион")
    systems = [
        LibrarySystem(region=region, code=f"s{n}", name=f"ЦБС {name}")
        for n, name in enumerate(("Восточная", "Западная", "Центральная"))
    ]
    session.add_all(systems)
    libraries = [make_library(f"b-{n:03d}", system=systems[n // 50]) for n in range(150)]
    for library in libraries:
        library.name = f"Библиотека-филиал № {library.code[2:]}"
    libraries[3].name = libraries[60].name = "Сельская библиотека"
    libraries[3].address = "с. Ёлкино, ул. Мира, 1"
    libraries[60].address = "пгт Зеленогорский, ул. Ленина, 5"
    libraries[149].address = "ул. Дальняя, 99"
    campaign = make_campaign(code="REGION", libraries=libraries)
    campaign.starts_on, campaign.ends_on = date(2026, 3, 1), date(2026, 5, 31)
    respond(session, campaign, "b-149", 6)
    world = SimpleNamespace(
        libraries=libraries,
        systems=systems,
        admin=make_user("admin", email="big-admin@example.org"),
        staff=make_user("library_staff", email="big-staff@example.org", library=libraries[60]),
    )
    session.commit()
    return world


def body_rows(page: str) -> list[str]:
    """The rows of the page's (first) table body."""
    body = page[page.index("<tbody>") : page.index("</tbody>")]
    return body.split("<tr")[1:]


def test_campaign_results__a_region_is_grouped_by_system_searched_and_paged(big_region, login):
    """Issue 9 §6: 150 libraries never render as 150 rows at once."""
    client = login(big_region.admin)
    default = client.get("/admin/results/REGION/").get_data(as_text=True)
    assert len(body_rows(default)) == 3  # one line per library system
    assert "150 libraries you can see in 3 systems" in default
    assert "Библиотека-филиал" not in default
    assert "<dd>March 1, 2026 – May 31, 2026</dd>" in default  # not 2026-03-01
    east = default[default.index(">ЦБС Восточная</a>") :].split("</tr>")[0]
    assert [cell.split(">")[-1] for cell in east.split("</td>")[:-1]] == ["50", "0", "0", "0"]
    last = default[default.index(">ЦБС Центральная</a>") :].split("</tr>")[0]
    assert [cell.split(">")[-1] for cell in last.split("</td>")[:-1]] == ["50", "1", "0", "1"]

    # a system's libraries, 50 a page; the search finds a library of another system's page
    west = client.get("/admin/results/REGION/?system=s1").get_data(as_text=True)
    assert "50 libraries found" in west and len(body_rows(west)) == 50
    assert "Библиотека-филиал № 050<" in west and "Библиотека-филиал № 000<" not in west
    found = client.get("/admin/results/REGION/?q=дальняя").get_data(as_text=True)
    assert "1 library found" in found and len(body_rows(found)) == 1
    assert "/admin/results/REGION/libraries/b-149" in found
    every = client.get("/admin/results/REGION/?q=библиотека").get_data(as_text=True)
    assert "150 libraries found" in every and "page 1 of 3" in every
    assert len(body_rows(every)) == 50 and "b-149" not in every
    third = client.get("/admin/results/REGION/?q=библиотека&page=3").get_data(as_text=True)
    assert len(body_rows(third)) == 50 and "/libraries/b-149" in third
    assert client.get("/admin/results/REGION/?q=библиотека&page=4").status_code == 404
    assert client.get("/admin/results/REGION/?system=nowhere").status_code == 404
    assert client.get("/admin/results/REGION/?page=x").status_code == 400

    # same-named libraries: told apart by system and village, not by code
    rural = client.get("/admin/results/REGION/?q=сельская").get_data(as_text=True)
    assert 'Сельская библиотека</a> <span class="muted">— ЦБС Восточная, с. Ёлкино' in rural
    assert 'Сельская библиотека</a> <span class="muted">— ЦБС Западная, пгт Зеленогорский' in (
        rural
    )
    assert "(b-003)" not in rural

    # the campaigns list is one line per campaign, whatever the number of libraries
    index = client.get("/admin/results/").get_data(as_text=True)
    assert len(body_rows(index)) == 1 and "Библиотека" not in index


def test_campaign_results__staff_of_one_library_see_only_theirs(big_region, login):
    page = login(big_region.staff).get("/admin/results/REGION/").get_data(as_text=True)
    assert len(body_rows(page)) == 1
    assert "/admin/results/REGION/libraries/b-060" in page
    assert "?system=" not in page and "ЦБС Восточная" not in page
    assert "b-003" not in page and "Ёлкино" not in page
    assert 'type="search"' not in page  # one library: nothing to search
    client = login(big_region.staff)
    elsewhere = client.get("/admin/results/REGION/?q=Ёлкино").get_data(as_text=True)
    assert "0 libraries found" in elsewhere and body_rows(elsewhere) == []
    mine = client.get("/admin/results/REGION/?q=зеленогорский").get_data(as_text=True)
    assert "1 library found" in mine and "/libraries/b-060" in mine
    assert client.get("/admin/results/REGION/?system=s0").status_code == 404
