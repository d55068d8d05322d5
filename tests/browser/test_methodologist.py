"""The methodologist's work in a real headless Chromium: instrument to campaign to posters.

Covers issue 4 §3–§5 end to end: a methodologist signs in, uploads an XLSForm with an error
and sees the problem with its sheet row and code, uploads the corrected workbook, previews
and publishes it, creates and opens a campaign over two libraries, and downloads a poster
(a PDF whose QR code decodes to the survey link) and the ZIP of the library system.
axe-core reports no serious or critical violations on the instrument and campaign pages.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pypdfium2 as pdfium
import pytest
import zxingcpp
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from survey_app.models import LibrarySystem
from survey_app.models import Region
from tests.factories import STAFF_PASSWORD

pytestmark = pytest.mark.browser


def workbook(relevant: str) -> bytes:
    """A two-question XLSForm; the second question's ``relevant`` sits on survey row 3."""
    book = openpyxl.Workbook()
    survey = book.active
    survey.title = "survey"
    survey.append(["type", "name", "label::Russian (ru)", "label::English (en)", "relevant"])
    survey.append(["select_one yn", "first", "Вы у нас впервые?", "First visit?", None])
    survey.append(["integer", "age", "Сколько Вам лет?", "How old are you?", relevant])
    choices = book.create_sheet("choices")
    choices.append(["list_name", "name", "label::Russian (ru)", "label::English (en)"])
    choices.append(["yn", "yes", "Да", "Yes"])
    choices.append(["yn", "no", "Нет", "No"])
    settings = book.create_sheet("settings")
    settings.append(["form_id", "version", "form_title::Russian (ru)", "form_title::English (en)"])
    settings.append(["visit", 1, "Визит в библиотеку", "Library visit"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def serious_violations(page: Page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{page.url}: {v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def upload(page: Page, base: str, data: bytes) -> None:
    page.goto(f"{base}/admin/instruments/upload")
    page.set_input_files(
        "input[name=file]",
        {
            "name": "visit.xlsx",
            "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "buffer": data,
        },
    )
    page.locator("form[enctype='multipart/form-data'] button[type=submit]").click()


def test_methodologist__xlsform_to_published_instrument_to_campaign_posters(
    page: Page,
    live_server: str,
    session: Session,
    make_library: Callable[..., Any],
    make_user: Callable[..., Any],
    tmp_path: Path,
) -> None:
    region = Region(code="kem", name="Кемеровская область")
    system = LibrarySystem(region=region, code="north", name="ЦБС Север")
    session.add(system)
    make_library("lib-a", system=system)
    make_library("lib-b", system=system)
    user = make_user("methodologist")
    session.commit()
    violations: list[str] = []

    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", STAFF_PASSWORD)
    page.locator("form button[type=submit]").click()
    expect(page).to_have_url(f"{live_server}/admin/")

    # an XLSForm whose relevant uses a function we cannot map: the problem names its row
    upload(page, live_server, workbook("${first} = 'yes' and today() > 3"))
    problems = page.locator("tr.problem")
    expect(problems).to_have_count(1)
    expect(problems.first).to_contain_text("visit.xlsx:survey:3 relevant")
    expect(problems.first).to_contain_text("XLS007")
    expect(page.locator("#problems")).to_be_focused()
    violations += serious_violations(page)

    # corrected and uploaded again: a draft, shown with its structure
    upload(page, live_server, workbook("${first} = 'yes'"))
    expect(page).to_have_url(f"{live_server}/admin/instruments/visit/1")
    expect(page.locator("main")).to_contain_text("Сколько Вам лет?")
    violations += serious_violations(page)

    page.goto(f"{live_server}/admin/instruments/visit/1/preview?locale=en")
    expect(page.locator("main")).to_contain_text("How old are you?")
    expect(page.get_by_label("Yes", exact=True)).to_be_visible()
    violations += serious_violations(page)

    page.goto(f"{live_server}/admin/instruments/visit/1")
    page.locator("form[action$='/visit/1/publish'] button").click()
    # publishing asks first, saying that the version is frozen for good (issue 9 §6)
    expect(page.locator("main")).to_contain_text("изменить или удалить её потом нельзя")
    violations += serious_violations(page)
    page.get_by_role("button", name="Да, опубликовать версию 1").click()
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator("form[action$='/publish']")).to_have_count(0)
    page.goto(f"{live_server}/admin/instruments/")
    violations += serious_violations(page)

    # a campaign over all libraries, with the published version
    page.goto(f"{live_server}/admin/campaigns/new")
    violations += serious_violations(page)
    page.fill("input[name=code]", "spring-2026")
    page.fill("input[name=title]", "Весна 2026")
    page.get_by_label("Визит в библиотеку (visit, версия 1)").check()
    page.fill("input[name=starts_on]", "2026-03-01")
    page.fill("input[name=ends_on]", "2026-05-31")
    page.locator("form[action$='/admin/campaigns/new'] button[type=submit]").click()
    # the chosen libraries are shown back before the campaign is created
    expect(page.locator("#chosen-summary")).to_have_text(
        "В кампанию войдут 2 библиотеки в 1 системе"
    )
    page.get_by_role("button", name="Создать кампанию: 2 библиотеки в 1 системе").click()
    expect(page).to_have_url(f"{live_server}/admin/campaigns/spring-2026")
    page.locator("form[action$='/spring-2026/open'] button").click()
    page.get_by_role("button", name="Да, открыть кампанию").click()
    expect(page.locator("form[action$='/spring-2026/close']")).to_have_count(1)
    violations += serious_violations(page)

    with page.expect_download() as poster_download:
        page.locator("a[href$='/libraries/lib-a/poster.pdf']").click()
    poster = tmp_path / "poster.pdf"
    poster_download.value.save_as(poster)
    pdf = poster.read_bytes()
    assert pdf.startswith(b"%PDF-")
    document = pdfium.PdfDocument(pdf)
    image = document[0].render(scale=2).to_pil()
    document.close()
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [
        f"{live_server}/s/spring-2026/lib-a?ch=qr"
    ]

    with page.expect_download() as zip_download:
        page.locator("a[href$='/systems/north/posters.zip']").click()
    archive = tmp_path / "posters.zip"
    zip_download.value.save_as(archive)
    with zipfile.ZipFile(archive) as zipped:
        assert zipped.namelist() == ["spring-2026-lib-a.pdf", "spring-2026-lib-b.pdf"]
        assert zipped.read("spring-2026-lib-b.pdf").startswith(b"%PDF-")

    page.goto(f"{live_server}/admin/campaigns/")
    violations += serious_violations(page)
    assert violations == []
