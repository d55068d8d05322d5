"""Staff pages without traps (issue 9 §6), in a real headless Chromium over a region of 600
libraries in 30 library systems.

* Creating a campaign: ticking libraries while "All active libraries" stays selected is
  refused (without JavaScript), never silently turned into all 600; with JavaScript only the
  list of the chosen way is shown, the library list has a search box and a "tick all of this
  system" button and counts "Выбрано: 21 библиотека в 2 системах."; the chosen set is shown
  back for confirmation before anything is stored.
* Opening a campaign asks first and says what visitors get.
* The campaign page and its results list one row per library system, not 600 libraries,
  and find a library by its village; the library list
  and the results table fit a 360 px phone (the wide table scrolls inside its box).
* Excluding a response shows its answers first.
* Focus rings contrast at least 3:1 with the page.
axe-core finds no serious or critical violation on any of these pages.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey_app.models import Campaign
from survey_app.models import CampaignStatus
from survey_app.models import Library
from survey_app.models import LibrarySystem
from survey_app.models import Region
from survey_app.services.responses import parse_submission
from survey_app.services.responses import record_response
from tests.factories import NOK_ANSWERS
from tests.factories import STAFF_PASSWORD
from tests.factories import submission

pytestmark = pytest.mark.browser


@pytest.fixture
def region(
    session: Session,
    make_user: Callable[..., Any],
    make_campaign: Callable[..., Campaign],
    instrument_version: Callable[[str], Any],
) -> SimpleNamespace:
    """30 systems of 20 libraries; two "Сельская библиотека" told apart by system and village."""
    kem = Region(code="kem", name="Кемеровская область")
    systems = [
        LibrarySystem(region=kem, code=f"s{n:02d}", name=f"ЦБС {n:02d}") for n in range(1, 31)
    ]
    libraries = [
        Library(system=system, code=f"{system.code}-{k:02d}", name=f"Библиотека-филиал № {k}")
        for system in systems
        for k in range(1, 21)
    ]
    libraries[0].name = libraries[20].name = "Сельская библиотека"
    libraries[0].address = "с. Ёлкино, ул. Мира, 1"
    libraries[20].address = "пгт Зеленогорский, ул. Ленина, 5"
    session.add_all(systems + libraries)
    session.flush()
    version = instrument_version("nok_culture")
    big = make_campaign(code="region-2026", libraries=libraries)
    record_response(
        session,
        parse_submission(submission(big, NOK_ANSWERS, library=libraries[0].code, channel="qr")),
    )
    world = SimpleNamespace(
        systems=systems,
        libraries=libraries,
        version=version,
        campaign=big,
        methodologist=make_user("methodologist", email="method@example.org"),
        admin=make_user("admin", email="chief@example.org"),
    )
    session.commit()
    return world


def sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(STAFF_PASSWORD)
    page.locator("form button[type=submit]").click()
    expect(page).to_have_url(f"{base}/admin/")


def serious_violations(page: Page) -> list[str]:
    results = Axe().run(page)
    assert results.response["passes"], "axe-core did not run"
    return [
        f"{page.url}: {v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def fill_campaign(page: Page, code: str) -> None:
    page.fill("input[name=code]", code)
    page.fill("input[name=title]", "Весна 2026")
    page.locator("input[name=instrument_version]").first.check()


def overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the viewport (0 = no sideways scrolling)."""
    return int(
        page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    )


def test_campaign_picker__search_tick_a_system_confirm_then_create(
    live_server: str, region: SimpleNamespace, page: Page, session: Session
) -> None:
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, live_server, region.methodologist.email)
    page.goto(f"{live_server}/admin/campaigns/new")
    violations = serious_violations(page)
    fill_campaign(page, "picked")

    # "all" is selected: no list is shown, so nothing can be ticked by mistake
    picker = page.locator("#library_ids")
    expect(picker).to_be_hidden()
    expect(page.locator("#system_ids")).to_be_hidden()
    page.get_by_label("Библиотеки, выбранные по одной").check()
    expect(picker).to_be_visible()
    expect(page.locator("#system_ids")).to_be_hidden()
    # 600 checkboxes exist for the no-JavaScript form, but they are folded by system
    assert page.locator(".system-group").count() == 30
    assert page.locator(".library-list li:visible").count() == 0
    count = page.locator("#library-count")
    expect(count).to_have_text("Пока не выбрано ни одной библиотеки.")

    page.get_by_label("Найти библиотеку").fill("ЕЛКИНО")
    expect(page.locator(".library-list li:visible")).to_have_count(1)
    village = page.get_by_label("Сельская библиотека — с. Ёлкино, ул. Мира, 1")
    village.check()
    expect(count).to_have_text("Выбрано: 1 библиотека в 1 системе.")
    page.get_by_label("Найти библиотеку").fill("")
    page.locator(".system-group summary", has_text="ЦБС 03").click()
    page.get_by_role("button", name="Отметить все в «ЦБС 03»").click()
    expect(count).to_have_text("Выбрано: 21 библиотека в 2 системах.")
    expect(page.get_by_role("button", name="Снять все отметки в «ЦБС 03»")).to_be_visible()
    violations += serious_violations(page)

    page.get_by_role("button", name="Далее: проверить выбранные библиотеки").click()
    expect(page.locator("h2#chosen-summary")).to_have_text(
        "В кампанию войдут 21 библиотека в 2 системах"
    )
    expect(page.locator(".system-summary > li")).to_have_count(2)
    assert session.scalar(select(Campaign).where(Campaign.code == "picked")) is None
    violations += serious_violations(page)
    page.get_by_role("button", name="Создать кампанию: 21 библиотека в 2 системах").click()
    expect(page).to_have_url(f"{live_server}/admin/campaigns/picked")
    session.expire_all()
    created = session.scalars(select(Campaign).where(Campaign.code == "picked")).one()
    chosen = {library.code for library in created.libraries}
    assert chosen == {"s01-01"} | {f"s03-{k:02d}" for k in range(1, 21)}

    # opening asks first and says what the visitors get
    page.get_by_role("button", name="Открыть кампанию").click()
    expect(page.locator("main")).to_contain_text(
        "Библиотек в кампании: 21. Их ссылки и QR-коды сразу начинают принимать ответы"
    )
    session.expire_all()
    assert session.get(Campaign, created.id).status == CampaignStatus.draft
    violations += serious_violations(page)
    page.get_by_role("button", name="Да, открыть кампанию").click()
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.get_by_role("button", name="Закрыть кампанию")).to_be_visible()
    session.expire_all()
    assert session.get(Campaign, created.id).status == CampaignStatus.open
    assert violations == []


def test_campaign_form_without_javascript__ticks_under_all_libraries_are_refused(
    live_server: str, region: SimpleNamespace, browser: Any, session: Session
) -> None:
    context = browser.new_context(
        java_script_enabled=False, locale="ru-RU", viewport={"width": 360, "height": 740}
    )
    page = context.new_page()
    sign_in(page, live_server, region.methodologist.email)
    page.goto(f"{live_server}/admin/campaigns/new")
    assert overflow(page) == 0
    fill_campaign(page, "all-by-mistake")
    expect(page.get_by_label("Все действующие библиотеки")).to_be_checked()
    page.locator(".system-group summary", has_text="ЦБС 02").click()
    page.get_by_label("Сельская библиотека — пгт Зеленогорский, ул. Ленина, 5").check()
    page.get_by_role("button", name="Далее: проверить выбранные библиотеки").click()
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text(
        "Отмечены библиотеки, но выбран другой способ отбора библиотек."
    )
    assert session.scalar(select(Campaign).where(Campaign.code == "all-by-mistake")) is None
    context.close()


def test_region_pages_at_360_px__grouped_no_sideways_scrolling_and_exclusion_shows_answers(
    live_server: str, region: SimpleNamespace, phone: Page, session: Session
) -> None:
    page = phone
    sign_in(page, live_server, region.admin.email)
    violations: list[str] = []

    page.goto(f"{live_server}/admin/campaigns/region-2026")
    rows = page.locator("table:has(#counts-caption) tbody tr")
    expect(rows).to_have_count(30)
    expect(page.locator("#counts-caption")).to_contain_text("600 библиотек в 30 системах")
    assert page.locator("a[href$='/poster.pdf']").count() == 0
    assert overflow(page) == 0
    violations += serious_violations(page)
    page.get_by_label("Найти библиотеку по названию или адресу").fill("сельская")
    page.get_by_role("button", name="Найти", exact=True).click()
    expect(page.locator("#counts-caption")).to_have_text("Найдено 2 библиотеки")
    expect(page.locator("main")).to_contain_text(
        "Сельская библиотека — ЦБС 01, с. Ёлкино, ул. Мира, 1"
    )
    expect(page.locator("main")).to_contain_text(
        "Сельская библиотека — ЦБС 02, пгт Зеленогорский, ул. Ленина, 5"
    )
    assert overflow(page) == 0
    violations += serious_violations(page)

    page.goto(f"{live_server}/admin/results/region-2026/")
    expect(page.locator("#results-caption")).to_have_text(
        "600 доступных вам библиотек в 30 системах"
    )
    expect(page.locator("table tbody tr")).to_have_count(30)
    page.get_by_label("Найти библиотеку по названию, коду или адресу").fill("зеленогорский")
    page.get_by_role("button", name="Найти", exact=True).click()
    expect(page.locator("#results-caption")).to_have_text("Найдена 1 библиотека")
    expect(page.locator("table tbody tr")).to_have_count(1)
    expect(page.locator("main")).to_contain_text(
        "Сельская библиотека — ЦБС 02, пгт Зеленогорский, ул. Ленина, 5"
    )
    assert overflow(page) == 0
    violations += serious_violations(page)

    page.goto(f"{live_server}/admin/libraries")
    expect(page.locator("#libraries-caption")).to_have_text("600 библиотек · страница 1 из 12")
    expect(page.locator("table tbody tr")).to_have_count(50)
    assert overflow(page) == 0
    violations += serious_violations(page)

    page.goto(f"{live_server}/admin/results/region-2026/libraries/s01-01/")
    assert overflow(page) == 0
    box = page.locator(".table-scroll")
    assert box.evaluate("b => b.scrollWidth > b.clientWidth")  # the table scrolls in its box
    violations += serious_violations(page)
    page.locator("input[name=reason]").fill("тестовая анкета сотрудника")
    page.get_by_role("button", name="Исключить").click()
    expect(page.locator("h1")).to_have_text("Исключить эту анкету из анализа?")
    expect(page.locator("main")).to_contain_text("Ваш пол")
    expect(page.locator("main")).to_contain_text("Женский")
    assert overflow(page) == 0
    violations += serious_violations(page)
    page.get_by_role("button", name="Да, исключить анкету").click()
    expect(page.locator(".flash-success")).to_contain_text("исключена")
    assert violations == []


def test_staff_lists_at_360_px__wide_tables_scroll_in_their_box_not_the_page(
    live_server: str, region: SimpleNamespace, phone: Page
) -> None:
    """The demo walk found these pages wider than a 360 px phone (the whole page scrolled
    sideways by 250-640 px): each wide table now scrolls inside its own box."""
    page = phone
    sign_in(page, live_server, region.admin.email)
    violations: list[str] = []
    for path in (
        "/admin/users",
        "/admin/systems",
        "/admin/audit",
        "/admin/campaigns/",
        "/admin/results/",
        "/admin/instruments/",
        "/admin/instruments/nok_culture/1",
        f"/admin/libraries/{region.libraries[0].code}/",
    ):
        page.goto(live_server + path)
        assert overflow(page) == 0, path
        violations += serious_violations(page)
    assert violations == []


def test_campaign_form_at_360_px__instrument_versions_read_in_full(
    live_server: str, region: SimpleNamespace, phone: Page
) -> None:
    """The version was a select whose text a phone cut ("Анкета для оценки качества усл…");
    each version is now a radio button whose label wraps inside the page."""
    page = phone
    sign_in(page, live_server, region.methodologist.email)
    page.goto(f"{live_server}/admin/campaigns/new")
    # one version is ticked, as the select showed one
    expect(page.locator("input[name=instrument_version]:checked")).to_have_count(1)
    text = page.locator("#instrument_version label", has_text="(nok_culture, версия 1)")
    expect(text).to_have_text(
        "Анкета для оценки качества условий оказания услуг организациями культуры"
        " (nok_culture, версия 1)"
    )
    box = text.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360
    assert box["height"] > 30  # wrapped onto several lines
    # nothing of the text is clipped inside its box
    assert text.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
    assert overflow(page) == 0
    assert serious_violations(page) == []


def luminance(rgb: tuple[int, int, int]) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def rgb(css: str) -> tuple[int, int, int]:
    parts = css[css.index("(") + 1 : css.index(")")].split(",")
    return int(parts[0]), int(parts[1]), int(parts[2])


def test_focus_rings__contrast_at_least_3_to_1(
    live_server: str, region: SimpleNamespace, page: Page
) -> None:
    sign_in(page, live_server, region.admin.email)
    page.goto(f"{live_server}/admin/libraries")
    checked = 0
    for selector in ("header a", "main a", "main input[type=search]", "main button"):
        element = page.locator(selector).first
        element.focus()
        style = element.evaluate(
            "e => { const s = getComputedStyle(e); return [s.outlineStyle, s.outlineWidth,"
            " s.outlineColor, getComputedStyle(document.body).backgroundColor]; }"
        )
        outline_style, width, color, background = style
        assert outline_style != "none" and float(width.rstrip("px")) >= 2, selector
        page_colour = rgb(background) if "0, 0, 0, 0" not in background else (255, 255, 255)
        assert contrast(rgb(color), page_colour) >= 3, (selector, color)
        checked += 1
    assert checked == 4
