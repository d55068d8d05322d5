"""kiosk.posters: the A4 survey poster (PDF) and the Russian/English period wording.

Covers: the poster is one A4 page whose QR code, rasterised with pdfium and decoded with
zxing-cpp (both independent of our code), gives the survey link; its text layer (pdfium's
extraction) holds the Cyrillic library name, the short link and the period, so Cyrillic
was embedded and not replaced by boxes; a character the font lacks is refused; the font
search fails loudly; the period wording follows Russian usage (genitive months,
"с ... по ... г.").
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import zxingcpp

from kiosk.posters import DEFAULT_INVITATION
from kiosk.posters import FontNotFoundError
from kiosk.posters import find_fonts
from kiosk.posters import format_period
from kiosk.posters import invitation
from kiosk.posters import render_poster

QR_URL = "https://survey.example.org/s/spring-2026/kem-cb?ch=qr"
SHORT_URL = "survey.example.org/s/spring-2026/kem-cb"
NAME = "Центральная городская библиотека им. А. С. Пушкина"


def poster(**overrides: object) -> bytes:
    arguments: dict[str, object] = {
        "short_url": SHORT_URL,
        "library_name": NAME,
        "starts_on": date(2026, 3, 1),
        "ends_on": date(2026, 5, 31),
        "service_point": "Детский абонемент",
        "campaign_title": "Весна 2026",
    }
    arguments.update(overrides)
    return render_poster(QR_URL, **arguments)  # type: ignore[arg-type]


def page_text(pdf: bytes) -> str:
    document = pdfium.PdfDocument(pdf)
    try:
        return document[0].get_textpage().get_text_range().replace("\r\n", "\n")
    finally:
        document.close()


def test_render_poster__one_a4_page_whose_qr_decodes_to_the_link() -> None:
    pdf = poster()
    assert pdf.startswith(b"%PDF-")
    document = pdfium.PdfDocument(pdf)
    assert len(document) == 1
    width, height = document[0].get_size()
    # A4 = 210 x 297 mm = 595.28 x 841.89 pt
    assert width == pytest.approx(595.28, abs=0.01)
    assert height == pytest.approx(841.89, abs=0.01)
    image = document[0].render(scale=2).to_pil()
    document.close()
    assert [result.text for result in zxingcpp.read_barcodes(image)] == [QR_URL]


def test_render_poster__cyrillic_text_is_embedded_and_extractable() -> None:
    text = page_text(poster())
    flat = " ".join(text.split())
    assert NAME in flat
    assert "Детский абонемент" in flat
    assert SHORT_URL in flat
    assert "Опрос проводится с 1 марта по 31 мая 2026 г." in flat
    assert "Оцените работу библиотеки!" in flat
    assert "Survey period: 1 March – 31 May 2026" in flat


def test_render_poster__embeds_a_truetype_font_not_a_base14_one() -> None:
    pdf = poster()
    assert b"/FontFile2" in pdf  # an embedded TrueType program
    assert b"/Helvetica" not in pdf


def test_render_poster__without_english_and_period() -> None:
    text = " ".join(page_text(poster(english=False, starts_on=None, ends_on=None)).split())
    assert "Survey period" not in text
    assert "How are we doing" not in text
    assert "Опрос проводится" not in text


def test_render_poster__is_deterministic() -> None:
    assert poster() == poster()


def test_render_poster__refuses_characters_the_font_lacks() -> None:
    with pytest.raises(ValueError, match="cannot show"):
        poster(library_name="図書館")


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"library_name": ""}, ValueError),
        ({"short_url": "  "}, ValueError),
        ({"library_name": 5}, TypeError),
        ({"starts_on": date(2026, 6, 1)}, ValueError),  # after ends_on
    ],
)
def test_render_poster__rejects_bad_input(overrides: dict[str, object], error: type) -> None:
    with pytest.raises(error):
        poster(**overrides)


def test_find_fonts__explicit_missing_file_fails_loudly(tmp_path: Path) -> None:
    with pytest.raises(FontNotFoundError):
        find_fonts(tmp_path / "nope.ttf")


def test_find_fonts__finds_dejavu_with_bold() -> None:
    fonts = find_fonts()
    assert fonts.regular.name == "DejaVuSans.ttf"
    assert fonts.bold.name == "DejaVuSans-Bold.ttf"


def test_find_fonts__empty_search_path_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    import kiosk.posters as posters

    monkeypatch.setattr(posters, "SYSTEM_FONT_DIRS", ())
    monkeypatch.setattr(posters.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(FontNotFoundError, match="fonts-dejavu-core"):
        posters.find_fonts()


@pytest.mark.parametrize(
    ("start", "end", "locale", "expected"),
    [
        (date(2026, 3, 1), date(2026, 5, 31), "ru", "с 1 марта по 31 мая 2026 г."),
        (date(2025, 12, 15), date(2026, 1, 20), "ru", "с 15 декабря 2025 г. по 20 января 2026 г."),
        (date(2026, 9, 1), None, "ru", "с 1 сентября 2026 г."),
        (None, date(2026, 2, 28), "ru", "до 28 февраля 2026 г."),
        (None, None, "ru", ""),
        (date(2026, 3, 1), date(2026, 5, 31), "en", "1 March – 31 May 2026"),
        (date(2025, 12, 15), date(2026, 1, 20), "en", "15 December 2025 – 20 January 2026"),
    ],
)
def test_format_period__wording(
    start: date | None, end: date | None, locale: str, expected: str
) -> None:
    assert format_period(start, end, locale) == expected


def test_format_period__rejects_unknown_locale() -> None:
    with pytest.raises(ValueError):
        format_period(date(2026, 1, 1), None, "de")


@pytest.mark.parametrize(
    ("minutes", "sentence"),
    [
        ((1, 2), "Это займёт 1–2 минуты."),
        ((7, 8), "Это займёт 7–8 минут."),
        ((1, 1), "Это займёт 1 минуту."),
        ((3, 21), "Это займёт 3–21 минуту."),
        ((10, 12), "Это займёт 10–12 минут."),
    ],
)
def test_invitation__says_the_minutes_in_agreeing_russian(
    minutes: tuple[int, int], sentence: str
) -> None:
    heading, body = invitation(minutes)
    assert sentence in body
    assert body.endswith("Опрос анонимный.")


def test_invitation__without_an_estimate_promises_no_time() -> None:
    assert "мину" not in invitation()[1]
    assert "мину" not in DEFAULT_INVITATION["ru"][1]
