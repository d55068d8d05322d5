"""The staff kiosk pages in a real headless Chromium (issue 11 §1, §5), at 360 and 1366 px.

A librarian adds a kiosk through the form and gets a one-time pairing code with its QR code;
the tablet's side (here: the page's request context) redeems it and sends a batch; the
librarian sets the PIN and opening hours; the fleet page shows the kiosk's state to the
librarian and to a quality manager; revoking refuses the tablet's next request at once.
axe-core finds no serious or critical violations on any of these pages.

Screenshots go to ``$KIOSK_SCREENSHOTS`` when it is set (to look at them).
"""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page
from playwright.sync_api import expect

from tests.factories import STAFF_PASSWORD

pytestmark = pytest.mark.browser

SIZES = {"phone": (360, 740), "desktop": (1366, 900)}


@pytest.fixture
def world(session, make_library, make_user, make_campaign):
    library = make_library("OWN-1", service_points=["desk"])
    campaign = make_campaign(
        "kiosk_pulse", code="PULSE", libraries=[library], channels=["web", "kiosk"]
    )
    staff = make_user("library_staff", email="librarian@example.org", library=library)
    manager = make_user("quality_manager", email="manager@example.org")
    session.commit()
    return SimpleNamespace(library=library, campaign=campaign, staff=staff, manager=manager)


def sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(STAFF_PASSWORD)
    page.locator("form button[type=submit]").click()


def serious_violations(page: Page) -> list[str]:
    results = Axe().run(page)
    assert results.response["passes"], "axe-core did not run"
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def shot(page: Page, name: str) -> None:
    folder = os.environ.get("KIOSK_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{folder}/{name}.png", full_page=True)


def no_horizontal_scroll(page: Page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"page scrolls sideways by {overflow} px"


@pytest.mark.parametrize("size", list(SIZES))
def test_librarian__adds_pairs_configures_watches_and_revokes_a_kiosk(
    live_server: str, world: Any, new_context: Any, size: str
):
    width, height = SIZES[size]
    page = new_context(viewport={"width": width, "height": height}, locale="ru-RU").new_page()
    sign_in(page, live_server, world.staff.email)

    page.get_by_role("link", name="Киоски").click()
    expect(page.locator("h1")).to_have_text("Киоски")
    page.get_by_role("link", name="Добавить киоск").click()
    assert serious_violations(page) == []
    shot(page, f"{size}-1-new")
    page.get_by_label("Название").fill("Абонемент, у входа")
    page.get_by_label("Пункт обслуживания").select_option("desk")
    page.get_by_role("button", name="Создать и показать код подключения").click()

    code = page.locator("#pairing-code").inner_text()
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", code)
    expect(page.locator("svg.qr")).to_be_visible()
    expect(page.get_by_text(f"/kiosk?pair={code.replace('-', '')}")).to_be_visible()
    assert serious_violations(page) == []
    no_horizontal_scroll(page)
    shot(page, f"{size}-2-pairing")

    # the tablet pairs and sends one response
    paired = page.request.post(f"{live_server}/api/v1/kiosk/pair", data={"code": code})
    assert paired.status == 200
    token = paired.json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    sent = page.request.post(
        f"{live_server}/api/v1/kiosk/batches",
        data={
            "items": [{"id": str(uuid.uuid4()), "answers": {"mood": 4}}],
            "heartbeat": {"app_version": "0.1.0", "instrument": "kiosk_pulse@1", "queue_depth": 0},
        },
        headers=auth,
    )
    assert [r["status"] for r in sent.json()["results"]] == ["created"]

    page.get_by_role("link", name="Настройки киоска: ПИН-код и часы работы").click()
    page.get_by_label("ПИН-код сотрудника").fill("2580")
    page.get_by_role("button", name="Установить ПИН-код").click()
    expect(page.locator(".flash-success")).to_contain_text("ПИН-код установлен")
    page.get_by_label("Понедельник").fill("09:00-19:00")
    page.get_by_label("Суббота").fill("10:00-16:00")
    page.get_by_role("button", name="Сохранить часы работы").click()
    expect(page.locator(".flash-success")).to_contain_text("Часы работы сохранены")
    expect(page.get_by_label("Понедельник")).to_have_value("09:00-19:00")
    expect(page.get_by_label("Вторник")).to_have_value("")
    assert serious_violations(page) == []
    no_horizontal_scroll(page)
    shot(page, f"{size}-3-kiosk")

    page.get_by_role("link", name="К списку киосков").click()
    row = page.locator("table.fleet tbody tr").first
    expect(row).to_contain_text("Абонемент, у входа")
    expect(row).to_contain_text("0.1.0")
    expect(row).to_contain_text("kiosk_pulse@1")
    assert serious_violations(page) == []
    shot(page, f"{size}-4-fleet")

    page.get_by_role("link", name="Абонемент, у входа").click()
    page.get_by_role("button", name="Отключить киоск").click()
    expect(page.locator(".flash-success")).to_contain_text("Киоск отключён")
    refused = page.request.get(f"{live_server}/api/v1/kiosk/config", headers=auth)
    assert refused.status == 401 and refused.json()["code"] == "KIO401"
    expect(page.locator("table.fleet tbody tr").first).to_contain_text("отключён")


@pytest.mark.parametrize("size", list(SIZES))
def test_quality_manager__sees_the_fleet_of_their_scope(
    live_server: str, world: Any, new_context: Any, session, size: str
):
    from survey_app.services import kiosks

    kiosks.create_kiosk(
        session, actor=world.staff, library=world.library, name="Читальный зал", campaign="PULSE"
    )
    session.commit()
    width, height = SIZES[size]
    page = new_context(viewport={"width": width, "height": height}, locale="ru-RU").new_page()
    sign_in(page, live_server, world.manager.email)

    page.goto(f"{live_server}/admin/kiosks/")

    expect(page.locator("table.fleet")).to_contain_text("Читальный зал")
    expect(page.locator("table.fleet")).to_contain_text("ожидает подключения")
    expect(page.get_by_role("link", name="Добавить киоск")).to_have_count(0)
    assert serious_violations(page) == []
    shot(page, f"{size}-5-fleet-manager")
