"""The library page in a real headless Chromium (issue 13 §4, §6): a regional quality manager
reads a library's report at 1366 px and 360 px (charts load as images, tables scroll in their
own box, the page never scrolls sideways), uploads a missing NOK checklist and reads the
scored criteria after the recomputation; a library's staff read their own library's report
(no upload form) and get 404 for another library; axe-core finds no serious or critical
violation on any of these pages.

The signed-in pages (``staff_page``) and the report runs (``finished_run``) come from
``tests/browser/conftest.py``; ``computed`` is the blueprint tests' world with its SAT run.
Screenshots go to ``$LIBRARY_SCREENSHOTS`` when set (else the test's temporary folder).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page
from playwright.sync_api import expect

from tests.browser.test_staff_scope import serious_violations
from tests.survey_app.blueprints.test_library_report import CHECKLIST
from tests.survey_app.blueprints.test_library_report import world  # noqa: F401 - fixture

pytestmark = pytest.mark.browser


@pytest.fixture
def computed(world: Any, finished_run: Any) -> Any:  # noqa: F811 - the imported fixture
    """The library page's world with a finished run of campaign SAT."""
    finished_run(world.sat)
    return world


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("LIBRARY_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def charts_loaded(page: Page) -> None:
    images = page.locator("figure.chart img")
    assert images.count() >= 3
    for k in range(images.count()):
        image = images.nth(k)
        image.scroll_into_view_if_needed()
        expect(image).to_have_attribute("alt", re.compile(r".{20,}"))
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
        )


def test_quality_manager__reads_the_report_and_uploads_the_checklist(
    live_server: str,
    computed: Any,
    staff_page: Any,
    finished_run: Any,
    shots: Path,
    tmp_path: Path,
):
    finished_run(computed.nok)
    for width in (1366, 360):
        page: Page = staff_page(computed.manager, width)
        page.goto(f"{live_server}/admin/results/SAT/dashboard")
        page.get_by_role("link", name="Библиотека А").click()
        expect(page.get_by_role("heading", name="Отчёт библиотеки: Библиотека А")).to_be_visible()
        expect(page.get_by_role("heading", name="Надёжность шкал")).to_be_visible()
        expect(page.get_by_role("heading", name="Каналы рядом")).to_be_visible()
        expect(page.get_by_text("меньше 10 ответов: не показано").first).to_be_visible()
        charts_loaded(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert serious_violations(page) == []
        page.screenshot(path=str(shots / f"library-manager-{width}.png"), full_page=True)

        page.get_by_label("Слова в комментарии").fill("сайт")
        page.get_by_role("button", name="Найти").click()
        expect(page.locator(".comments blockquote")).to_have_text(["Неудобный сайт"])

    page = staff_page(computed.manager, 1366)
    page.goto(f"{live_server}/admin/results/NOK/libraries/LIB-A/report")
    expect(page.get_by_text("Экспертный чек-лист этой библиотеки не загружен")).to_be_visible()
    checklist = tmp_path / "checklist.csv"
    checklist.write_text(CHECKLIST, encoding="utf-8")
    page.get_by_label("Загрузить экспертный чек-лист кампании (CSV)").set_input_files(checklist)
    page.get_by_role("button", name="Загрузить чек-лист").click()
    expect(page.locator(".flash-success")).to_contain_text("Чек-лист сохранён для библиотек: 2")
    assert serious_violations(page) == []
    finished_run(computed.nok)
    page.reload()
    expect(page.get_by_role("heading", name="НОК: критерии К1–К5 и итоговый балл")).to_be_visible()
    expect(page.locator("tr[data-criterion=total] td").first).not_to_have_text("—")
    # every LIB-A visitor answered K1's and K2's questions alike: no interval, and why
    expect(page.locator("tr[data-criterion=K1] td").nth(1)).to_have_text("—")
    expect(page.locator("[data-note=nok-zero-variance]")).to_contain_text(
        "все 40 респондентов ответили на эти вопросы одинаково"
    )
    charts_loaded(page)
    assert serious_violations(page) == []
    page.screenshot(path=str(shots / "library-manager-nok-1366.png"), full_page=True)
    page.set_viewport_size({"width": 360, "height": 800})
    page.locator("#nok").screenshot(path=str(shots / "library-manager-nok-360.png"))


def test_library_staff__read_their_own_report_only(
    live_server: str, computed: Any, staff_page: Any, shots: Path
):
    for width in (360, 1366):
        page: Page = staff_page(computed.staff_b, width)
        page.goto(f"{live_server}/admin/results/SAT/libraries/LIB-B/report")
        expect(page.get_by_role("heading", name="Отчёт библиотеки: Библиотека Б")).to_be_visible()
        expect(page.get_by_role("button", name="Загрузить чек-лист")).to_have_count(0)
        expect(page.locator("#comments time")).to_have_count(0)
        charts_loaded(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert serious_violations(page) == []
        page.screenshot(path=str(shots / f"library-staff-{width}.png"), full_page=True)
        for address in (
            "/admin/results/SAT/libraries/LIB-A/report",
            "/admin/results/sat/libraries/lib-a/report",
            f"/admin/results/SAT/libraries/{computed.lib_a.id}/report",
        ):
            reply = page.goto(live_server + address)
            assert reply is not None and reply.status == 404, address
            expect(page.get_by_text("Библиотека А")).to_have_count(0)
