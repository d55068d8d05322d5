"""The instrument under review in a real headless Chromium (issue 13 §5, §6).

A methodologist reaches the review from the instruments page and reads, in Russian, the
reliability per scale per campaign (a campaign of 40 responses refused with the reason), the
factor loadings against the intended scales and the item distributions, at 1366 px and 360 px
without sideways scrolling of the page; both SVG charts load (served by their own routes under
the CSP) and carry a text alternative; a system's quality manager sees only the campaign of
their system; a library's staff member has no link and gets 403. axe-core finds no serious or
critical violation on any of these pages.

Screenshots go to ``$REVIEW_SCREENSHOTS`` when set (else the test's temporary folder).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page
from playwright.sync_api import expect

from tests.browser.test_staff_scope import serious_violations
from tests.browser.test_staff_scope import sign_in

pytestmark = pytest.mark.browser

PAGE = "/admin/review/bfi_review/1"


def shots_dir(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("REVIEW_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def charts_loaded(page: Page) -> None:
    images = page.locator("img.chart")
    expect(images).to_have_count(2)
    for i in range(2):
        assert images.nth(i).get_attribute("alt")
    # both SVGs decoded (a blocked or broken image has naturalWidth 0)
    page.wait_for_function(
        "() => [...document.querySelectorAll('img.chart')]"
        ".every(img => img.complete && img.naturalWidth > 0)",
        timeout=20_000,
    )


def test_methodologist__reads_the_review_wide_and_on_a_phone(
    live_server: str, bfi_review: Any, browser: Any, tmp_path: Path
):
    wide = browser.new_context(viewport={"width": 1366, "height": 900}, locale="ru-RU")
    page: Page = wide.new_page()
    sign_in(page, live_server, bfi_review.methodologist.email)
    page.goto(f"{live_server}/admin/instruments/")
    page.get_by_role("link", name="Проверка версия 1").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Инструмент на проверке: Пятифакторный опросник (A, C, E)"
    )
    # SPRING's Agreeableness: α 0.7186 (psych), Feldt 0.665-0.766
    spring_a = page.locator("tr", has_text="SPRING").filter(has_text="Доброжелательность")
    expect(spring_a).to_contain_text("0,72")
    expect(spring_a).to_contain_text("0,66 – 0,77")
    autumn_a = page.locator("tr", has_text="AUTUMN").filter(has_text="Доброжелательность")
    expect(autumn_a).to_contain_text("не показано: слишком мало ответов")
    expect(
        page.get_by_text("Каждый вопрос сильнее всего нагружает фактор своей шкалы.")
    ).to_be_visible()
    expect(page.get_by_text("максимального правдоподобия", exact=False)).to_be_visible()
    charts_loaded(page)
    assert serious_violations(page) == []
    page.screenshot(path=str(shots_dir(tmp_path) / "review-methodologist-1366.png"), full_page=True)
    wide.close()

    phone = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, locale="ru-RU"
    )
    small: Page = phone.new_page()
    sign_in(small, live_server, bfi_review.methodologist.email)
    small.goto(f"{live_server}{PAGE}")
    expect(
        small.get_by_role("heading", name="Надёжность каждой шкалы по кампаниям")
    ).to_be_visible()
    charts_loaded(small)
    assert small.evaluate("document.documentElement.scrollWidth") <= 360
    assert serious_violations(small) == []
    small.screenshot(path=str(shots_dir(tmp_path) / "review-methodologist-360.png"), full_page=True)
    phone.close()


def test_quality_manager__sees_their_system_only(
    live_server: str, bfi_review: Any, browser: Any, tmp_path: Path
):
    phone = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, locale="ru-RU"
    )
    page: Page = phone.new_page()
    sign_in(page, live_server, bfi_review.manager.email)
    page.goto(f"{live_server}/admin/review/")
    page.get_by_role("link", name="версия 1").click()
    expect(page.get_by_text("ответов — 300", exact=False)).to_be_visible()
    expect(page.get_by_text("AUTUMN")).to_have_count(0)
    charts_loaded(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert serious_violations(page) == []
    page.screenshot(path=str(shots_dir(tmp_path) / "review-manager-360.png"), full_page=True)
    phone.close()


def test_library_staff__no_link_and_refused(live_server: str, bfi_review: Any, browser: Any):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="ru-RU")
    page: Page = context.new_page()
    sign_in(page, live_server, bfi_review.staff.email)
    page.goto(f"{live_server}/admin/results/")
    expect(page.get_by_role("link", name="Проверка инструментов")).to_have_count(0)
    for address in ("/admin/review/", PAGE, f"{PAGE}/items.svg"):
        reply = page.goto(live_server + address)
        assert reply is not None and reply.status == 403, address
    assert serious_violations(page) == []
    context.close()
