"""Staff pages in a real headless Chromium (issue 4 §1, §2): a librarian signs in through the
form and reaches their own library, while another library's page, poster and QR code answer
403/404 however the address is written; an administrator deactivates the librarian from
another browser and the librarian's open session ends at the next click; axe-core finds no
serious or critical violations on the sign-in page, its error state (focus on the error
summary) and the administration pages."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page
from playwright.sync_api import expect

from survey_app.models import LibrarySystem
from survey_app.models import Region
from tests.factories import STAFF_PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def world(session, make_library, make_user, make_campaign):
    """Two systems, a librarian of OWN-1, an administrator; committed for the server thread."""
    region = Region(code="kem", name="Кемеровская область")
    north = LibrarySystem(region=region, code="NORTH", name="ЦБС Северная")
    south = LibrarySystem(region=region, code="SOUTH", name="ЦБС Южная")
    session.add_all([north, south])
    session.flush()
    own = make_library("OWN-1", system=north)
    sibling = make_library("SIB-2", system=north)
    other = make_library("OTHER-3", system=south)
    make_campaign(code="SPRING", libraries=[own, sibling, other])
    world = SimpleNamespace(
        own=own,
        sibling=sibling,
        other=other,
        staff=make_user("library_staff", email="librarian@example.org", library=own),
        admin=make_user("admin", email="chief@example.org"),
    )
    session.commit()
    return world


def sign_in(page: Page, base: str, email: str, password: str = STAFF_PASSWORD) -> None:
    page.goto(f"{base}/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("form button[type=submit]").click()


def serious_violations(page: Page) -> list[str]:
    results = Axe().run(page)
    assert results.response["passes"], "axe-core did not run"
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_librarian__own_library_only_however_the_address_is_written(
    live_server: str, world: Any, page: Page
):
    sign_in(page, live_server, world.staff.email)
    expect(page).to_have_url(f"{live_server}/admin/")
    expect(page.get_by_role("link", name=world.own.name)).to_be_visible()

    own = page.goto(f"{live_server}/admin/libraries/{world.own.code.lower()}/")
    assert own is not None and own.status == 200
    expect(page.locator("h1")).to_have_text(world.own.name)

    for library in (world.sibling, world.other):
        for address in (
            f"/admin/libraries/{library.id}",
            f"/admin/libraries/{library.code}",
            f"/admin/libraries/{library.code.lower()}/",
            f"/admin/libraries/{library.code}?library={world.own.code}",
        ):
            reply = page.goto(live_server + address)
            assert reply is not None and reply.status == 404, address
            expect(page.get_by_text(library.name)).to_have_count(0)

    request = page.context.request  # shares the signed-in cookies
    pdf = request.get(f"{live_server}/admin/campaigns/SPRING/libraries/{world.own.code}/poster.pdf")
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
    for address in (
        f"/admin/campaigns/SPRING/libraries/{world.other.code}/poster.pdf",
        f"/admin/campaigns/spring/libraries/{world.other.code.lower()}/qr.svg",
        f"/admin/campaigns/SPRING/libraries/{world.sibling.id}/qr.png?size=big",
        "/admin/campaigns/SPRING/systems/SOUTH/posters.zip",
    ):
        assert request.get(live_server + address).status in (403, 404), address
    for address in ("/admin/users", "/admin/audit", "/admin/libraries/import"):
        assert request.get(live_server + address).status == 403, address


def test_deactivation__ends_the_librarians_open_session(live_server: str, world: Any, browser: Any):
    librarian = browser.new_context(locale="ru-RU").new_page()
    chief = browser.new_context(locale="ru-RU").new_page()
    sign_in(librarian, live_server, world.staff.email)
    expect(librarian).to_have_url(f"{live_server}/admin/")

    sign_in(chief, live_server, world.admin.email)
    chief.goto(f"{live_server}/admin/users/{world.staff.id}")
    chief.locator(f"form[action='/admin/users/{world.staff.id}/deactivate'] button").click()
    expect(chief).to_have_url(f"{live_server}/admin/users")

    librarian.goto(f"{live_server}/admin/libraries/{world.own.code}")
    expect(librarian).to_have_url(f"{live_server}/login?next=/admin/libraries/{world.own.code}")
    sign_in(librarian, live_server, world.staff.email)
    expect(librarian.locator("#error-summary")).to_be_visible()
    librarian.context.close()
    chief.context.close()


def test_accessibility__sign_in_error_state_and_admin_pages(
    live_server: str, world: Any, page: Page
):
    page.goto(f"{live_server}/login")
    assert serious_violations(page) == []

    sign_in(page, live_server, world.admin.email, "wrong-password")
    expect(page.locator("#error-summary")).to_be_focused()
    assert serious_violations(page) == []

    sign_in(page, live_server, world.admin.email)
    for address in (
        "/admin/",
        "/admin/users",
        "/admin/users/new",
        "/admin/libraries",
        f"/admin/libraries/{world.own.code}/edit",
        "/admin/libraries/import",
        "/admin/audit",
        "/account/password",
    ):
        page.goto(live_server + address)
        assert serious_violations(page) == [], address

    page.goto(f"{live_server}/admin/users/new")
    page.locator("form button[type=submit]").last.click()  # empty form: every field in error
    expect(page.locator("#error-summary")).to_be_focused()
    assert serious_violations(page) == []
