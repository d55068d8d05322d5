"""The region dashboard in a real headless Chromium (issue 13 §3): a regional quality manager
starts a recomputation from the page and reads the verdicts (colour and text) per system and
library at 1366 px and 360 px, the region and system roll-ups, the careless share and the
funnel plot (an image that loads under the CSP, with its caption), filters by system and
library type and searches; a library's staff see their library only, no roll-up, no funnel,
no recompute button, and a 404 for another system however the URL is written; both filter
by channel and by month (a breakdown under ten responses says "too few responses") and the
roll-ups carry verdicts; axe-core finds no serious or critical violation on any of these pages.

Screenshots go to ``$DASHBOARD_SCREENSHOTS`` when set (else the test's temporary folder).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from playwright.sync_api import Page
from playwright.sync_api import expect

from survey_app.models import LibrarySystem
from survey_app.models import Region
from survey_app.services import report_runs
from survey_app.services.responses import parse_submission
from survey_app.services.responses import record_response
from tests.browser.test_staff_scope import serious_violations
from tests.browser.test_staff_scope import sign_in
from tests.factories import NOK_ANSWERS
from tests.factories import submission

pytestmark = pytest.mark.browser

#: library code -> (system, responses, how many say "satisfied" on q14); the example standard
#: wants at least 90 % satisfied (kemerovo_example 2025)
LIBRARIES = {
    "GOOD-1": ("NORTH", 40, 40),  # Wilson interval above 0.9: meets
    "POOR-2": ("NORTH", 40, 20),  # 50 %: below
    "MID-3": ("SOUTH", 30, 27),  # 90 %, the interval straddles the target: indeterminate
    "TINY-4": ("SOUTH", 5, 5),  # fewer than 30 responses: insufficient data
}
NAMES = {
    "GOOD-1": "Библиотека Хорошая",
    "POOR-2": "Библиотека Слабая",
    "MID-3": "Библиотека Средняя",
    "TINY-4": "Библиотека Маленькая",
}


def arrival(k: int, size: int) -> dict[str, str]:
    """The k-th response of a library: odd ones on the web, even ones by QR code; the first
    half in March, the second in April."""
    moment = dt.datetime(2026, 3 if k < size // 2 else 4, 10, 9, 0, tzinfo=dt.UTC)
    return {
        "channel": "web" if k % 2 else "qr",
        "started_at": moment.isoformat(),
        "submitted_at": (moment + dt.timedelta(minutes=4)).isoformat(),
    }


@pytest.fixture
def world(session, make_library, make_campaign, make_user) -> SimpleNamespace:
    region = Region(code="kem", name="Кемеровская область")
    systems = {
        "NORTH": LibrarySystem(region=region, code="NORTH", name="ЦБС Северная"),
        "SOUTH": LibrarySystem(region=region, code="SOUTH", name="ЦБС Южная"),
    }
    session.add_all(systems.values())
    session.flush()
    libraries = {}
    for code, (system, _, _) in LIBRARIES.items():
        libraries[code] = make_library(code, system=systems[system])
        libraries[code].name = NAMES[code]
    libraries["GOOD-1"].type = "central"
    campaign = make_campaign(code="SPRING", libraries=list(libraries.values()))
    for code, (_, size, satisfied) in LIBRARIES.items():
        for k in range(size):
            answers = {**NOK_ANSWERS, "q14": int(k < satisfied)}
            body = submission(campaign, answers, library=code, **arrival(k, size))
            record_response(session, parse_submission(body))
    world = SimpleNamespace(
        campaign=campaign,
        libraries=libraries,
        manager=make_user("quality_manager", email="region@example.org"),
        staff=make_user("library_staff", email="staff@example.org", library=libraries["POOR-2"]),
    )
    session.commit()
    return world


#: the library tables whose content is wider than their scrolling box (scrollWidth, clientWidth)
TABLES_WIDER_THAN_THEIR_BOX = """() => Array.from(document.querySelectorAll('.table-scroll'))
  .filter(box => box.querySelector('table.dashboard') && box.scrollWidth > box.clientWidth)
  .map(box => [box.scrollWidth, box.clientWidth])"""

#: the words of the library tables' headers and verdict badges wider than the room their
#: cell gives them (each word measured on one line, beside the cell's width less padding)
WORDS_WIDER_THAN_THEIR_COLUMN = """() => {
  const cells = Array.from(document.querySelectorAll(
    'table.dashboard thead th, table.dashboard td:has(.verdict)'));
  return cells.flatMap(cell => {
    const style = getComputedStyle(cell);
    const room = cell.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    const badge = cell.querySelector('.verdict');
    const host = badge || cell;
    return host.textContent.trim().split(/\\s+|(?<=-)/).map(word => {
      const probe = document.createElement('span');
      probe.style.whiteSpace = 'nowrap';
      probe.textContent = word;
      host.appendChild(probe);
      const extra = badge ? badge.offsetWidth - badge.clientWidth
        + parseFloat(getComputedStyle(badge).paddingLeft)
        + parseFloat(getComputedStyle(badge).paddingRight) : 0;
      const width = probe.getBoundingClientRect().width + extra;
      probe.remove();
      return width > room + 0.5 ? `${word}: ${width.toFixed(0)} > ${room.toFixed(0)}` : null;
    }).filter(Boolean);
  });
}"""


def shots_dir(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("DASHBOARD_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_quality_manager__recomputes_and_reads_the_verdicts(
    live_server: str, world: Any, browser: Any, tmp_path: Path
):
    wide = browser.new_context(viewport={"width": 1366, "height": 900}, locale="ru-RU")
    page: Page = wide.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    sign_in(page, live_server, world.manager.email)
    page.goto(f"{live_server}/admin/results/SPRING/dashboard")
    expect(page.get_by_text("Результаты по этой кампании ещё не рассчитаны.")).to_be_visible()
    assert serious_violations(page) == []

    page.get_by_role("button", name="Пересчитать результаты").click()

    expect(page.locator(".flash-success")).to_have_text("Пересчёт поставлен в очередь.")
    expect(page.get_by_text("по ответам: 115, библиотек: 4")).to_be_visible()
    verdicts = {
        "GOOD-1": ("соответствует стандарту", "rgb(227, 243, 234)"),
        "POOR-2": ("ниже стандарта", "rgb(251, 228, 228)"),
        "MID-3": ("не определено", "rgb(255, 244, 214)"),
        "TINY-4": ("недостаточно данных", "rgb(240, 240, 240)"),
    }
    for code, (text, colour) in verdicts.items():
        row = page.locator("tr", has=page.get_by_role("link", name=NAMES[code]))
        badge = row.locator(".verdict")
        expect(badge).to_contain_text(text)
        assert badge.evaluate("e => getComputedStyle(e).backgroundColor") == colour
    poor = page.locator("tr", has=page.get_by_role("link", name=NAMES["POOR-2"]))
    expect(poor.locator("td").nth(0)).to_have_text("40")
    expect(poor.locator("td").nth(1)).to_contain_text(re.compile(r"^50\s%"))
    # the region: 92 of 115 satisfied; NORTH 60 of 80 (75 %), SOUTH 32 of 35 (91 %)
    expect(page.locator("#region-heading + p")).to_contain_text("80 %")
    expect(page.locator("#region-heading + p")).to_contain_text("115")
    expect(page.locator("details.system", has_text="ЦБС Северная")).to_contain_text("Система: 75 %")
    expect(page.locator("details.system", has_text="ЦБС Южная")).to_contain_text("Система: 91 %")
    # roll-ups get verdicts like libraries: NORTH 60 of 80 (75 %) has an interval well under
    # the 90 % target (75 % + 1.96 × √(0.75 × 0.25 / 80) = 84.5 %): below the standard
    north = page.locator("details.system", has_text="ЦБС Северная").locator(".rollup-line .verdict")
    expect(north).to_have_text("✗ ниже стандарта")
    assert north.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(251, 228, 228)"
    expect(page.locator("#region-heading + p .verdict")).to_have_count(1)
    # the careless share: every response of the test data answers the same way, no timings
    expect(poor.locator("td").nth(6)).to_contain_text("/40")
    # the funnel plot: an image the CSP lets load, with its title and text alternative
    funnel = page.locator(".funnel img")
    expect(funnel).to_have_attribute("alt", re.compile("^Диаграмма-воронка"))
    page.wait_for_function("() => document.querySelector('.funnel img').complete")
    assert funnel.evaluate("i => i.naturalWidth") > 0  # a broken image has none
    expect(page.locator(".funnel figcaption")).to_contain_text("4 библиотеки на диаграмме")
    # with four libraries the between-library allowance (additive tau²) is wide: no library
    # lies outside the limits, and the caption says so
    expect(page.locator(".funnel figcaption")).to_contain_text("0 — за границами 99,8 %")
    assert not [m for m in console if "Content Security Policy" in m]
    assert serious_violations(page) == []
    # at 1366 px the library tables fit their boxes: no column to scroll to, and every
    # Russian word of the headers and verdict badges fits its column (none runs into the next)
    assert page.evaluate(TABLES_WIDER_THAN_THEIR_BOX) == []
    assert page.evaluate(WORDS_WIDER_THAN_THEIR_COLUMN) == []
    page.screenshot(path=str(shots_dir(tmp_path) / "dashboard-manager-1366.png"), full_page=True)
    # narrower than the page's 72rem column (a small laptop): the same, in smaller header type
    for width in (1024, 980):
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate(TABLES_WIDER_THAN_THEIR_BOX) == [], width
        assert page.evaluate(WORDS_WIDER_THAN_THEIR_COLUMN) == [], width
    # a tablet held upright: each library a block of labelled lines, not eight narrow columns
    page.set_viewport_size({"width": 800, "height": 1000})
    assert poor.evaluate("row => getComputedStyle(row).display") == "block"
    expect(poor.locator("td").nth(0)).to_have_attribute("data-label", "Ответы")
    assert page.evaluate("document.documentElement.scrollWidth") <= 800
    page.set_viewport_size({"width": 1366, "height": 900})

    page.get_by_label("Тип библиотеки").select_option("central")
    page.get_by_role("button", name="Показать").click()
    expect(page.get_by_role("link", name=NAMES["GOOD-1"])).to_be_visible()
    expect(page.get_by_role("link", name=NAMES["POOR-2"])).to_have_count(0)
    page.get_by_label("Тип библиотеки").select_option("")

    page.get_by_label("Библиотечная система").select_option("SOUTH")
    page.get_by_role("button", name="Показать").click()
    expect(page.get_by_role("link", name=NAMES["MID-3"])).to_be_visible()
    expect(page.get_by_role("link", name=NAMES["GOOD-1"])).to_have_count(0)
    page.get_by_label("Библиотечная система").select_option("")
    page.get_by_label("Название или код библиотеки").fill("слаб")
    page.get_by_role("button", name="Показать").click()
    expect(page.get_by_role("link", name=NAMES["POOR-2"])).to_be_visible()
    expect(page.get_by_role("link", name=NAMES["MID-3"])).to_have_count(0)
    wide.close()

    phone = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, locale="ru-RU"
    )
    small: Page = phone.new_page()
    sign_in(small, live_server, world.manager.email)
    small.goto(f"{live_server}/admin/results/SPRING/dashboard")
    badge = small.locator("tr", has=small.get_by_role("link", name=NAMES["POOR-2"])).locator(
        ".verdict"
    )
    expect(badge).to_be_visible()
    # no sideways scrolling of the page at 360 px; the funnel plot shrinks to fit
    assert small.evaluate("document.documentElement.scrollWidth") <= 360
    box = small.locator(".funnel img").bounding_box()
    assert box is not None and box["x"] + box["width"] <= 360
    assert serious_violations(small) == []
    small.screenshot(path=str(shots_dir(tmp_path) / "dashboard-manager-360.png"), full_page=True)
    phone.close()


def test_library_staff__see_their_library_only(
    live_server: str, world: Any, browser: Any, tmp_path: Path, session
):
    run, _ = report_runs.request_run(session, world.campaign)
    report_runs.start_run(session, run)
    report_runs.compute_run(session, run)
    session.commit()
    phone = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, locale="ru-RU"
    )
    page: Page = phone.new_page()
    sign_in(page, live_server, world.staff.email)
    page.goto(f"{live_server}/admin/results/SPRING/dashboard")

    expect(page.get_by_role("link", name=NAMES["POOR-2"])).to_be_visible()
    for code in ("GOOD-1", "MID-3", "TINY-4"):
        expect(page.get_by_text(NAMES[code])).to_have_count(0)
    expect(page.get_by_role("button", name="Пересчитать результаты")).to_have_count(0)
    expect(page.get_by_label("Библиотечная система")).to_have_count(0)
    expect(page.locator(".funnel")).to_have_count(0)
    expect(page.locator("#region-heading")).to_have_count(0)
    expect(page.get_by_text("Система:")).to_have_count(0)
    assert serious_violations(page) == []
    page.screenshot(path=str(shots_dir(tmp_path) / "dashboard-staff-360.png"), full_page=True)

    for address in (
        "/admin/results/SPRING/dashboard?system=SOUTH",
        "/admin/results/spring/dashboard?system=south",
        f"/admin/results/SPRING/dashboard?system={world.libraries['MID-3'].system_id}",
    ):
        reply = page.goto(live_server + address)
        assert reply is not None and reply.status == 404, address
        expect(page.get_by_text(NAMES["MID-3"])).to_have_count(0)
    phone.close()


def test_quality_manager__filters_by_channel_and_by_month(
    live_server: str, world: Any, staff_page: Any, finished_run: Any, tmp_path: Path
):
    finished_run(world.campaign)
    for width in (1366, 360):
        page: Page = staff_page(world.manager, width)
        page.goto(f"{live_server}/admin/results/SPRING/dashboard")

        page.get_by_label("Канал", exact=True).select_option("web")
        page.get_by_role("button", name="Показать").click()
        expect(
            page.get_by_text("Только ответы, полученные через канал «Веб-ссылка».")
        ).to_be_visible()
        # POOR-2 on the web: the odd ones of 40, satisfied the odd ones of the first 20: 10 of 20
        poor = page.locator("tr", has=page.get_by_role("link", name=NAMES["POOR-2"]))
        expect(poor.locator("td").nth(0)).to_have_text("20")
        expect(poor.locator("td").nth(1)).to_contain_text(re.compile(r"^50\s%"))
        expect(poor.locator(".verdict")).to_have_text("… недостаточно данных")  # 20 < 30
        # TINY-4: 2 of its 5 responses came by the web: fewer than 10, no number
        tiny = page.locator("tr", has=page.get_by_role("link", name=NAMES["TINY-4"]))
        expect(tiny.locator("td").nth(0)).to_have_text("2")
        expect(tiny.locator("td").nth(1)).to_have_text("слишком мало ответов")
        # the columns of the whole campaign are gone; the funnel plot follows the filter
        expect(page.locator("th", has_text="Изменение")).to_have_count(0)
        funnel = page.locator(".funnel img")
        expect(funnel).to_have_attribute("src", re.compile("channel=web"))
        page.wait_for_function("() => document.querySelector('.funnel img').complete")
        assert funnel.evaluate("i => i.naturalWidth") > 0
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert serious_violations(page) == []
        page.screenshot(
            path=str(shots_dir(tmp_path) / f"dashboard-channel-{width}.png"), full_page=True
        )

        page.get_by_label("Канал", exact=True).select_option("")
        page.get_by_label("Месяц").select_option("2026-04")
        page.get_by_role("button", name="Показать").click()
        expect(page.get_by_text("Только ответы за период: апрель 2026.")).to_be_visible()
        # POOR-2 in April: the second 20 responses, none satisfied
        poor = page.locator("tr", has=page.get_by_role("link", name=NAMES["POOR-2"]))
        expect(poor.locator("td").nth(0)).to_have_text("20")
        expect(poor.locator("td").nth(1)).to_contain_text(re.compile(r"^0\s%"))
        # NORTH in April: GOOD-1's 20 all satisfied, POOR-2's 20 none: 50 %, below
        north = page.locator("details.system", has_text="ЦБС Северная")
        expect(north.locator(".rollup-line")).to_contain_text("Система: 50 %")
        expect(north.locator(".rollup-line .verdict")).to_have_text("✗ ниже стандарта")
        assert serious_violations(page) == []
        page.screenshot(
            path=str(shots_dir(tmp_path) / f"dashboard-month-{width}.png"), full_page=True
        )


def test_library_staff__filter_their_library_by_channel_and_month(
    live_server: str, world: Any, staff_page: Any, finished_run: Any, tmp_path: Path
):
    finished_run(world.campaign)
    for width in (1366, 360):
        page: Page = staff_page(world.staff, width)
        page.goto(f"{live_server}/admin/results/SPRING/dashboard")
        expect(page.get_by_label("Библиотечная система")).to_have_count(0)

        page.get_by_label("Канал", exact=True).select_option("qr")
        page.get_by_role("button", name="Показать").click()
        poor = page.locator("tr", has=page.get_by_role("link", name=NAMES["POOR-2"]))
        # the even ones of 40; satisfied the even ones of the first 20: 10 of 20
        expect(poor.locator("td").nth(0)).to_have_text("20")
        expect(poor.locator("td").nth(1)).to_contain_text(re.compile(r"^50\s%"))
        for code in ("GOOD-1", "MID-3", "TINY-4"):
            expect(page.get_by_text(NAMES[code])).to_have_count(0)
        expect(page.locator(".funnel")).to_have_count(0)
        expect(page.locator("#region-heading")).to_have_count(0)
        assert serious_violations(page) == []

        page.get_by_label("Канал", exact=True).select_option("")
        page.get_by_label("Месяц").select_option("2026-03")
        page.get_by_role("button", name="Показать").click()
        expect(poor.locator("td").nth(1)).to_contain_text(re.compile(r"^100\s%"))
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert serious_violations(page) == []
        page.screenshot(
            path=str(shots_dir(tmp_path) / f"dashboard-staff-month-{width}.png"), full_page=True
        )
        # another library's figures stay out of reach whatever the URL says
        reply = page.goto(f"{live_server}/admin/results/SPRING/dashboard?channel=qr&system=SOUTH")
        assert reply is not None and reply.status == 404
