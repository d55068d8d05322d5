"""Admin pages through HTTP (issue 4 §1, §2, §7): staff of one library get 403/404 for another
library's pages and posters however the URL is written (id, code, case, trailing slash, query
string), administrators-only pages refuse other roles, account management, network editing,
the all-or-nothing import page and the filtered audit log."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest
from flask import g
from flask.testing import FlaskClient
from sqlalchemy import select

from survey_app.models import AuditEvent
from survey_app.models import Library
from survey_app.models import LibrarySystem
from survey_app.models import Region
from survey_app.models import Role
from survey_app.models import User
from tests.factories import STAFF_PASSWORD


class StaffClient(FlaskClient):
    """A test client that forgets Flask-Login's per-request user cache between requests."""

    def open(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        g.pop("_login_user", None)
        return super().open(*args, **kwargs)


@pytest.fixture
def world(session, make_library, make_user, make_campaign):
    """Two systems, three libraries (one with a desk), one campaign over all, five people."""
    region = Region(code="kem", name="Кемеровская область")
    north = LibrarySystem(region=region, code="NORTH", name="ЦБС Северная")
    south = LibrarySystem(region=region, code="SOUTH", name="ЦБС Южная")
    session.add_all([north, south])
    session.flush()
    own = make_library("OWN-1", system=north, service_points=["desk"])
    sibling = make_library("SIB-2", system=north)
    other = make_library("OTHER-3", system=south, service_points=["hall"])
    campaign = make_campaign(code="SPRING", libraries=[own, sibling, other])
    people = SimpleNamespace(
        admin=make_user("admin", email="admin@example.org"),
        methodologist=make_user("methodologist", email="method@example.org"),
        manager=make_user("quality_manager", email="qm@example.org", system=north),
        staff=make_user("library_staff", email="staff@example.org", library=own),
    )
    session.commit()  # error pages roll the session back; keep the data
    return SimpleNamespace(
        own=own,
        sibling=sibling,
        other=other,
        campaign=campaign,
        north=north,
        south=south,
        **vars(people),
    )


@pytest.fixture
def login(app, app_context):
    """Return a callable giving a client signed in as the given account."""

    def sign_in(user: User) -> StaffClient:
        client = StaffClient(app, app.response_class, use_cookies=True)
        reply = client.post("/login", data={"email": user.email, "password": STAFF_PASSWORD})
        assert reply.status_code == 302, reply.get_data(as_text=True)
        return client

    return sign_in


def library_urls(library: Library) -> list[str]:
    """Every way of writing the address of a library's page."""
    return [
        f"/admin/libraries/{library.id}",
        f"/admin/libraries/{library.id}/",
        f"/admin/libraries/{library.code}",
        f"/admin/libraries/{library.code.lower()}",
        f"/admin/libraries/{library.code.lower()}/",
        f"/admin/libraries/{library.code}?tab=details&library={library.code}",
        f"/admin/libraries/%20{library.code}%20",
    ]


def poster_urls(library: Library) -> list[str]:
    """Every way of writing the address of a library's poster and QR code."""
    base = "/admin/campaigns/SPRING/libraries"
    return [
        f"{base}/{library.code}/poster.pdf",
        f"{base}/{library.code.lower()}/poster.pdf",
        f"{base}/{library.id}/poster.pdf",
        f"{base}/{library.code}/qr.svg",
        f"{base}/{library.code}/qr.svg?download=1",
        f"/admin/campaigns/spring/libraries/{library.code}/qr.png",
    ]


def test_library_pages__own_library_opens_however_written(world, login):
    client = login(world.staff)
    for url in library_urls(world.own):
        reply = client.get(url)
        assert reply.status_code == 200, url
        assert "OWN-1" in reply.get_data(as_text=True)


def test_library_pages__other_library_is_not_found_however_written(world, login):
    client = login(world.staff)
    for library in (world.sibling, world.other):
        for url in library_urls(library):
            assert client.get(url).status_code == 404, url
    missing = client.get("/admin/libraries/NO-SUCH-LIB")
    hidden = client.get(f"/admin/libraries/{world.other.code}")
    assert missing.get_data() == hidden.get_data()  # the same page: nothing to probe


def test_library_pages__system_manager_sees_the_system_only(world, login):
    client = login(world.manager)
    assert client.get(f"/admin/libraries/{world.sibling.code.lower()}/").status_code == 200
    assert client.get(f"/admin/libraries/{world.other.id}").status_code == 404
    listing = client.get("/admin/libraries").get_data(as_text=True)
    assert "OWN-1" in listing and "SIB-2" in listing and "OTHER-3" not in listing


def test_library_list__staff_see_only_their_library(world, login):
    listing = login(world.staff).get("/admin/libraries").get_data(as_text=True)
    assert "OWN-1" in listing
    assert "SIB-2" not in listing and "OTHER-3" not in listing


def test_posters__own_library_downloads(world, login):
    client = login(world.staff)
    pdf = client.get(f"/admin/campaigns/SPRING/libraries/{world.own.code}/poster.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    svg = client.get(f"/admin/campaigns/spring/libraries/{world.own.code.lower()}/qr.svg")
    assert svg.status_code == 200 and b"<svg" in svg.data


def test_posters__other_library_is_refused_however_written(world, login):
    client = login(world.staff)
    for library in (world.sibling, world.other):
        for url in poster_urls(library):
            assert client.get(url).status_code in (403, 404), url
    zipped = client.get("/admin/campaigns/SPRING/systems/SOUTH/posters.zip")
    assert zipped.status_code in (403, 404)


def test_network_changes__refused_to_staff_for_any_library(world, login):
    client = login(world.staff)
    for library in (world.own, world.other):
        assert client.get(f"/admin/libraries/{library.code}/edit").status_code in (403, 404)
        assert client.post(f"/admin/libraries/{library.code}/deactivate").status_code in (403, 404)
        new_point = f"/admin/libraries/{library.code}/service-points/new"
        assert client.post(new_point, data={"code": "x", "name": "x"}).status_code in (403, 404)
    other_point = world.other.service_points[0]
    assert client.get(f"/admin/service-points/{other_point.id}/edit").status_code in (403, 404)
    assert world.other.active is True and len(world.other.service_points) == 1


@pytest.mark.parametrize(
    "url",
    [
        "/admin/users",
        "/admin/users/new",
        "/admin/systems",
        "/admin/libraries/import",
        "/admin/audit",
        "/admin/libraries/new",
    ],
)
@pytest.mark.parametrize("role", ["methodologist", "manager", "staff"])
def test_admin_only_pages__other_roles_get_403(world, login, url, role):
    assert login(getattr(world, role)).get(url).status_code == 403


def test_admin_only_pages__anonymous_is_sent_to_sign_in(world, client):
    reply = client.get("/admin/users")
    assert reply.status_code == 302
    assert reply.headers["Location"].startswith("/login?next=/admin/users")


def test_navigation__shows_only_what_the_role_may_use(world, login):
    staff_page = login(world.staff).get("/admin/?lang=en").get_data(as_text=True)
    assert 'href="/admin/libraries"' in staff_page
    assert 'href="/admin/users"' not in staff_page and 'href="/admin/audit"' not in staff_page
    admin_page = login(world.admin).get("/admin/?lang=en").get_data(as_text=True)
    assert 'href="/admin/users"' in admin_page and 'href="/admin/audit"' in admin_page


# --- accounts ------------------------------------------------------------------------------


def test_users__admin_creates_a_scoped_account(world, login, session):
    client = login(world.admin)
    reply = client.post(
        "/admin/users/new",
        data={
            "email": "new.reader@example.org",
            "name": "Новый сотрудник",
            "role": "library_staff",
            "scope": "library:OTHER-3",
            "password": "a-first-password",
        },
    )
    assert reply.status_code == 302
    created = session.scalar(select(User).where(User.email == "new.reader@example.org"))
    assert (created.role, created.library_id) == (Role.library_staff, world.other.id)
    page = client.get("/admin/users").get_data(as_text=True)
    assert "new.reader@example.org" in page
    # its button reads "Отключить"; a screen reader hears whom (the row shows it to the eye)
    assert (
        '<button type="submit" class="button-warning">Отключить'
        '<span class="visually-hidden"> new.reader@example.org</span></button>'
    ) in page


def test_users__problems_come_back_on_the_fields(world, login):
    reply = login(world.admin).post(
        "/admin/users/new",
        data={
            "email": "staff@example.org",
            "role": "library_staff",
            "scope": "region",
            "password": "short",
        },
    )
    page = reply.get_data(as_text=True)
    assert reply.status_code == 422
    assert 'id="email-error"' in page and 'id="password-error"' in page
    assert 'id="scope-error"' in page


def test_users__deactivation_signs_the_person_out(world, login, session):
    staff_client = login(world.staff)
    admin_client = login(world.admin)
    assert admin_client.post(f"/admin/users/{world.staff.id}/deactivate").status_code == 302
    session.expire_all()
    assert session.get(User, world.staff.id).active is False
    assert staff_client.get("/admin/").status_code == 302
    relogin = staff_client.post(
        "/login", data={"email": world.staff.email, "password": STAFF_PASSWORD}
    )
    assert relogin.status_code == 401


def test_users__scope_change_moves_access_at_once(world, login, session):
    staff_client = login(world.staff)
    admin_client = login(world.admin)
    reply = admin_client.post(
        f"/admin/users/{world.staff.id}",
        data={"role": "library_staff", "scope": f"library:{world.other.code}"},
    )
    assert reply.status_code == 302
    assert staff_client.get(f"/admin/libraries/{world.other.code}").status_code == 200
    assert staff_client.get(f"/admin/libraries/{world.own.code}").status_code == 404
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "user.scope")).one()
    assert event.actor_id == world.admin.id
    assert event.details["after"] == {"role": "library_staff", "scope": "library:OTHER-3"}


# --- network -------------------------------------------------------------------------------


def test_network__admin_creates_edits_and_deactivates_a_library(world, login, session):
    client = login(world.admin)
    reply = client.post(
        "/admin/libraries/new",
        data={
            "code": "NEW-9",
            "name": "Новая библиотека",
            "system": "SOUTH",
            "type": "rural",
            "population_served": "1 200",
        },
    )
    assert reply.status_code == 302 and reply.headers["Location"] == "/admin/libraries/NEW-9/"
    edit = client.post(
        "/admin/libraries/new-9/edit",
        data={"code": "NEW-9", "name": "Сельская библиотека", "system": "SOUTH", "type": "rural"},
    )
    assert edit.status_code == 302
    assert client.post("/admin/libraries/NEW-9/deactivate").status_code == 302
    library = session.scalar(select(Library).where(Library.code == "NEW-9"))
    assert (library.name, library.active, library.population_served) == (
        "Сельская библиотека",
        False,
        None,
    )
    actions = session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.target == "library:NEW-9")
        .order_by(AuditEvent.id)
    ).all()
    assert actions == ["library.create", "library.update", "library.deactivate"]


def test_import_page__errors_name_lines_and_nothing_is_saved(world, login, session):
    data = "code;name;system;type\nA-1;Первая;NORTH;branch\nA-2;Вторая;NOWHERE;branch\n"
    reply = login(world.admin).post(
        "/admin/libraries/import",
        data={"file": (io.BytesIO(data.encode("utf-8")), "libs.csv")},
        content_type="multipart/form-data",
    )
    page = reply.get_data(as_text=True)
    assert reply.status_code == 422
    assert "<td>line 3: system</td>" in page and "<td>NET003</td>" in page
    assert session.scalar(select(Library).where(Library.code == "A-1")) is None


def test_import_page__valid_file_is_imported(world, login, session):
    data = "code,name,system\nA-1,Первая,NORTH\nA-2,Вторая,SOUTH\n"
    reply = login(world.admin).post(
        "/admin/libraries/import",
        data={"file": (io.BytesIO(data.encode("utf-8")), "libs.csv")},
        content_type="multipart/form-data",
    )
    assert reply.status_code == 302
    codes = set(session.scalars(select(Library.code).where(Library.code.like("A-%"))))
    assert codes == {"A-1", "A-2"}


def test_import_page__other_file_types_are_refused(world, login):
    reply = login(world.admin).post(
        "/admin/libraries/import",
        data={"file": (io.BytesIO(b"%PDF-1.4"), "libs.pdf")},
        content_type="multipart/form-data",
    )
    assert reply.status_code == 422
    assert 'id="file-error"' in reply.get_data(as_text=True)


# --- audit ---------------------------------------------------------------------------------


def test_audit_page__filters_by_action_and_actor(world, login, session):
    client = login(world.admin)
    client.post(f"/admin/users/{world.staff.id}/deactivate")
    client.post(f"/admin/users/{world.staff.id}/activate")
    page = client.get("/admin/audit?action=user.deactivate").get_data(as_text=True)
    assert page.count('<code class="muted">user.deactivate</code>') == 1
    assert (
        '<code class="muted">user.activate</code>' not in page
        and '<code class="muted">user.create</code>' not in page
    )
    by_admin = client.get("/admin/audit?actor=ADMIN@example.org&action=user").get_data(as_text=True)
    assert (
        '<code class="muted">user.deactivate</code>' in by_admin
        and '<code class="muted">user.activate</code>' in by_admin
    )
    assert (
        '<code class="muted">user.create</code>' not in by_admin
    )  # the factory's accounts have no actor


def test_audit_page__date_range(world, login):
    client = login(world.admin)
    future = client.get("/admin/audit?since=2999-01-01").get_data(as_text=True)
    assert '<code class="muted">user.create</code>' not in future
    assert '<code class="muted">user.create</code>' in client.get(
        "/admin/audit?until=2999-01-01"
    ).get_data(as_text=True)


def test_audit_page__speaks_russian_and_names_its_time_zone(world, login, session):
    """Issue 9 §5: actions and details as Russian phrases, times labelled with their zone."""
    from survey_app.services import audit

    audit.record(
        session,
        world.admin,
        "instrument.publish",
        "instrument:pilot@1",
        lineage={"new": 3},
        against=None,
    )
    audit.record(
        session, world.admin, "library.update", world.own, changes={"name": ["Старое", "Новое"]}
    )
    session.commit()
    page = login(world.admin).get("/admin/audit").get_data(as_text=True)
    assert "Опубликована версия анкеты" in page and "Библиотека изменена" in page
    assert "вопросы в сравнении с прежней версией: новых: 3" in page
    assert "первая опубликованная версия: сравнивать не с чем" in page
    assert "название: «Старое» → «Новое»" in page
    assert "анкета pilot@1" in page
    # a library by its name and its system's, not its code (OWN-1)
    assert f"библиотека: {world.own.name} ({world.own.system.name})" in page
    assert "OWN-1" not in page
    # no raw dicts or Python literals
    assert "None" not in page and "{&#39;" not in page and "lineage" not in page
    # the times are shown in the region's zone (Kemerovo: UTC+7), and the header says so
    assert "Когда (UTC+07:00, Asia/Novokuznetsk)" in page and "(UTC)" not in page


def test_audit_page__links_keep_only_the_filters(world, login):
    """A query parameter named like one of url_for's options is not obeyed in the page links."""
    page = (
        login(world.admin)
        .get("/admin/audit?page=2&action=user&_anchor=x&_external=1&other=y")
        .get_data(as_text=True)
    )
    assert 'href="/admin/audit?page=1&amp;action=user" rel="prev"' in page


def test_libraries_list__searched_narrowed_by_system_and_paged(
    session, make_library, make_user, login
):
    """Issue 9 §6: a region of 120 libraries is listed 50 a page, found by name or address, and
    same-named libraries are told apart by system and address, not only by a Latin code."""
    region = Region(code="kem", name="Кемеровская область")
    west = LibrarySystem(region=region, code="WEST", name="ЦБС Западная")
    east = LibrarySystem(region=region, code="EAST", name="ЦБС Восточная")
    session.add_all([west, east])
    libraries = [make_library(f"L{n:03d}", system=(west, east)[n % 2]) for n in range(120)]
    for library, town in ((libraries[0], "с. Ёлкино"), (libraries[1], "пгт Зеленогорский")):
        library.name = "Сельская библиотека"
        library.address = town
    admin = make_user("admin", email="chief@example.org")
    session.commit()
    client = login(admin)

    first = client.get("/admin/libraries").get_data(as_text=True)
    assert "120 библиотек · страница 1 из 3" in first
    assert first.count('href="/admin/libraries/L') == 50
    assert (
        client.get("/admin/libraries?page=3")
        .get_data(as_text=True)
        .count('href="/admin/libraries/L')
        == 20
    )
    assert client.get("/admin/libraries?page=4").status_code == 404

    same = client.get("/admin/libraries?q=сельская").get_data(as_text=True)
    assert "2 библиотеки" in same
    assert "<td>ЦБС Западная</td>\n    <td>с. Ёлкино</td>" in same
    assert "<td>ЦБС Восточная</td>\n    <td>пгт Зеленогорский</td>" in same
    assert "1 библиотека" in client.get("/admin/libraries?q=ЕЛКИНО").get_data(as_text=True)
    eastern = client.get("/admin/libraries?system=EAST").get_data(as_text=True)
    assert "60 библиотек" in eastern and "ЦБС Западная</td>" not in eastern


def test_overview__a_region_is_one_line_per_system_and_a_library_its_place(
    session, make_library, make_user, login
):
    """Issue 9 §6: the overview lists no 120 libraries by Latin code; a system's quality
    manager sees their libraries with the address that tells same-named ones apart."""
    region = Region(code="kem", name="Кемеровская область")
    west = LibrarySystem(region=region, code="WEST", name="ЦБС Западная")
    east = LibrarySystem(region=region, code="EAST", name="ЦБС Восточная")
    session.add_all([west, east])
    libraries = [make_library(f"L{n:03d}", system=(west, east)[n % 2]) for n in range(120)]
    libraries[0].name = "Абонемент"  # first by name
    libraries[0].address = "с. Ёлкино"
    admin = make_user("admin", email="chief@example.org")
    manager = make_user("quality_manager", email="west@example.org", system=west)
    session.commit()

    page = login(admin).get("/admin/").get_data(as_text=True)
    assert "120 действующих библиотек в 2 системах" in page
    assert 'href="/admin/libraries/L' not in page and "(L000)" not in page
    assert '<a href="/admin/libraries?system=WEST">ЦБС Западная</a></th><td>60</td>' in page
    own = login(manager).get("/admin/").get_data(as_text=True)
    assert "60 действующих библиотек" in own
    assert own.count('href="/admin/libraries/L') == 50  # the first 50, then a link to all
    assert 'Абонемент</a> <span class="muted">— с. Ёлкино</span>' in own
    assert "(L000)" not in own


def test_labels__say_what_they_mean(world, login):
    """Issue 9 §6: a person's name is not "Название"; the import is "Импорт библиотек"; the
    "(обязательно)" marker sits inside each label."""
    page = login(world.admin).get("/admin/users/new").get_data(as_text=True)
    assert '<label for="name">Имя и фамилия</label>' in page
    assert "(обязательно)</span></label>" in page
    assert ">Импорт библиотек</a>" in page and ">Загрузка<" not in page
    assert "Библиотеки: ЦБС Северная" in page  # the scope list groups libraries by system
