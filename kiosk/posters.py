"""Printable A4 posters inviting library visitors to the survey (PDF, drawn with reportlab).

A poster carries: a short invitation in Russian (and, optionally, in English), the
library's name (and the service point, if any), the QR code of the survey link, the
short link printed under the code for people without a QR scanner, and the campaign
period.  Pure: it receives strings and dates and returns the PDF bytes.

Fonts
-----
Reportlab's built-in fonts (Helvetica ...) have no Cyrillic glyphs: text drawn with them
turns into black boxes without any error.  Posters therefore always embed a TrueType
font, *DejaVu Sans*, searched in this order:

1. the ``font_path`` argument (a ``.ttf``; a ``-Bold`` sibling is used for headings if present);
2. ``/usr/share/fonts/truetype/dejavu/`` (the Debian/Ubuntu package ``fonts-dejavu-core``);
3. the copy matplotlib ships in ``matplotlib/mpl-data/fonts/ttf/`` (found without
   importing matplotlib; a PyPI-only installation has it).

If none is found :class:`FontNotFoundError` is raised, and every text is checked against
the font's character map before drawing: a character the font cannot show raises
:class:`ValueError` instead of being lost silently.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import cm
from reportlab.lib.utils import ImageReader
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from kiosk.qr import qr_png

__all__ = [
    "DEFAULT_INVITATION",
    "FontNotFoundError",
    "PosterFonts",
    "find_fonts",
    "format_period",
    "invitation",
    "render_poster",
]

#: Directories searched for DejaVuSans.ttf after an explicit ``font_path``.
SYSTEM_FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"),)

#: (heading, body) of the invitation, per language.
DEFAULT_INVITATION: dict[str, tuple[str, str]] = {
    "ru": (
        "Оцените работу библиотеки!",
        # posters of a campaign say how long its instrument takes: see invitation()
        "Наведите камеру телефона на код и ответьте на несколько вопросов. Опрос анонимный.",
    ),
    "en": (
        "How are we doing?",
        "Scan the code with your phone camera: a short anonymous survey.",
    ),
}


def _minutes_ru(n: int) -> str:
    """The accusative of "minute" after a number, as in "займёт 1 минуту / 3 минуты / 5 минут"."""
    if n % 10 == 1 and n % 100 != 11:
        return "минуту"
    if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14):
        return "минуты"
    return "минут"


def invitation(minutes: tuple[int, int] | None = None) -> tuple[str, str]:
    """Return the Russian (heading, body) of the invitation, saying how long the survey takes.

    ``minutes`` is the (shortest, longest) estimate of the survey's instrument; without it
    the body says nothing about the time.  The noun agrees with the last number:
    ``(1, 2)`` -> "1–2 минуты", ``(7, 8)`` -> "7–8 минут", ``(1, 1)`` -> "1 минуту".
    """
    heading = "Оцените работу библиотеки!"
    body = "Наведите камеру телефона на код и ответьте на несколько вопросов."
    if minutes is not None:
        low, high = minutes
        if low < 1 or high < low:
            raise ValueError(f"minutes must be 1 <= shortest <= longest, got {minutes}")
        span = str(low) if low == high else f"{low}–{high}"
        body += f" Это займёт {span} {_minutes_ru(high)}."
    return heading, body + " Опрос анонимный."


_MONTHS_GENITIVE = (
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
)
_MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


class FontNotFoundError(RuntimeError):
    """No Cyrillic-capable TrueType font (DejaVu Sans) was found; see the module notes."""


@dataclass(frozen=True, slots=True)
class PosterFonts:
    """The TrueType files a poster embeds."""

    regular: Path
    bold: Path


def find_fonts(font_path: str | Path | None = None) -> PosterFonts:
    """Locate DejaVu Sans (regular and bold).

    Parameters
    ----------
    font_path : str or Path, optional
        A ``.ttf`` file to use instead of the search.  Its ``<stem>-Bold.ttf``
        sibling is used for headings when it exists, else the same file.

    Returns
    -------
    PosterFonts
        Paths of the regular and bold fonts.

    Raises
    ------
    FontNotFoundError
        If ``font_path`` does not exist or the search finds nothing.
    """
    if font_path is not None:
        regular = Path(font_path)
        if not regular.is_file():
            raise FontNotFoundError(f"font file {regular} does not exist")
        bold = regular.with_name(f"{regular.stem}-Bold{regular.suffix}")
        return PosterFonts(regular, bold if bold.is_file() else regular)
    directories = list(SYSTEM_FONT_DIRS)
    spec = importlib.util.find_spec("matplotlib")
    if spec is not None and spec.origin is not None:
        directories.append(Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf")
    for directory in directories:
        regular = directory / "DejaVuSans.ttf"
        if regular.is_file():
            bold = directory / "DejaVuSans-Bold.ttf"
            return PosterFonts(regular, bold if bold.is_file() else regular)
    searched = ", ".join(str(d) for d in directories)
    raise FontNotFoundError(
        "DejaVuSans.ttf not found (searched: " + searched + "); install the Debian package "
        "fonts-dejavu-core or the PyPI package matplotlib, or pass font_path"
    )


def _register(path: Path) -> tuple[str, TTFont]:
    digest = hashlib.sha1(str(path.resolve()).encode("utf-8"), usedforsecurity=False).hexdigest()[
        :8
    ]
    name = f"Poster-{path.stem}-{digest}"
    font: object
    try:
        font = pdfmetrics.getFont(name)
    except KeyError:
        font = TTFont(name, str(path))
        pdfmetrics.registerFont(font)
    if not isinstance(font, TTFont):  # pragma: no cover - names are ours
        raise TypeError(f"font {name} is not a TrueType font")
    return name, font


def format_period(starts_on: date | None, ends_on: date | None, locale: str = "ru") -> str:
    """Write a campaign period the way a poster says it.

    Parameters
    ----------
    starts_on, ends_on : date or None
        First and last day (either may be open).
    locale : {"ru", "en"}
        Russian uses genitive month names ("с 1 марта по 31 мая 2026 г.").

    Returns
    -------
    str
        The period, or ``""`` when both ends are open.

    Raises
    ------
    ValueError
        If ``ends_on`` is before ``starts_on`` or the locale is not supported.
    """
    if locale not in ("ru", "en"):
        raise ValueError(f"locale must be 'ru' or 'en', got {locale!r}")
    for value in (starts_on, ends_on):
        if value is not None and not isinstance(value, date):
            raise TypeError(f"expected a date, got {type(value).__name__}")
    if starts_on is not None and ends_on is not None and ends_on < starts_on:
        raise ValueError("the period ends before it starts")
    if locale == "ru":

        def ru(day: date, year: bool) -> str:
            text = f"{day.day} {_MONTHS_GENITIVE[day.month - 1]}"
            return f"{text} {day.year} г." if year else text

        if starts_on and ends_on:
            same_year = starts_on.year == ends_on.year
            return f"с {ru(starts_on, not same_year)} по {ru(ends_on, True)}"
        if starts_on:
            return f"с {ru(starts_on, True)}"
        if ends_on:
            return f"до {ru(ends_on, True)}"
        return ""

    def en(day: date, year: bool) -> str:
        text = f"{day.day} {_MONTHS_EN[day.month - 1]}"
        return f"{text} {day.year}" if year else text

    if starts_on and ends_on:
        return f"{en(starts_on, starts_on.year != ends_on.year)} – {en(ends_on, True)}"
    if starts_on:
        return f"from {en(starts_on, True)}"
    if ends_on:
        return f"until {en(ends_on, True)}"
    return ""


def _check_glyphs(font: TTFont, texts: dict[str, str]) -> None:
    known = font.face.charToGlyph
    for what, text in texts.items():
        missing = sorted({ch for ch in text if not ch.isspace() and ord(ch) not in known})
        if missing:
            raise ValueError(
                f"{what} contains characters the poster font cannot show: {''.join(missing)!r}"
            )


def render_poster(
    qr_url: str,
    *,
    short_url: str,
    library_name: str,
    starts_on: date | None = None,
    ends_on: date | None = None,
    service_point: str | None = None,
    campaign_title: str | None = None,
    invitation: tuple[str, str] | None = None,
    english: bool = True,
    font_path: str | Path | None = None,
) -> bytes:
    """Draw an A4 poster with the survey's QR code.

    Parameters
    ----------
    qr_url : str
        The link the QR code encodes (e.g. ``https://host/s/spring/kem-cb?ch=qr``).
    short_url : str
        The link printed under the code (without tracking parameters).
    library_name : str
        The library's name, printed large.
    starts_on, ends_on : date, optional
        The campaign period (see :func:`format_period`).
    service_point : str, optional
        A desk or department (e.g. "Детский абонемент"), printed under the name.
    campaign_title : str, optional
        Printed small at the foot of the page.
    invitation : tuple of (str, str), optional
        Russian heading and body text; defaults to :data:`DEFAULT_INVITATION`.
    english : bool, default True
        Add the English invitation and period in smaller type.
    font_path : str or Path, optional
        A TrueType font to embed instead of DejaVu Sans (see :func:`find_fonts`).

    Returns
    -------
    bytes
        A one-page PDF (deterministic: the same input gives the same bytes).

    Raises
    ------
    TypeError
        If a text argument is not a string.
    ValueError
        If a required text is empty, a text has characters the font cannot show, the
        period is reversed, or ``qr_url`` is not encodable (see :mod:`kiosk.qr`).
    FontNotFoundError
        If no Cyrillic-capable font is available.
    """
    heading, body = invitation if invitation is not None else DEFAULT_INVITATION["ru"]
    texts = {
        "short_url": short_url,
        "library_name": library_name,
        "heading": heading,
        "body": body,
        "service_point": service_point or "",
        "campaign_title": campaign_title or "",
    }
    for what, value in texts.items():
        if not isinstance(value, str):
            raise TypeError(f"{what} must be a str, got {type(value).__name__}")
    for what in ("short_url", "library_name", "heading"):
        if not texts[what].strip():
            raise ValueError(f"{what} must not be empty")
    period_ru = format_period(starts_on, ends_on, "ru")
    period_en = format_period(starts_on, ends_on, "en") if english else ""
    png = qr_png(qr_url, box_size=16)
    fonts = find_fonts(font_path)
    regular, regular_font = _register(fonts.regular)
    bold, bold_font = _register(fonts.bold)
    en_heading, en_body = DEFAULT_INVITATION["en"] if english else ("", "")
    _check_glyphs(regular_font, {**texts, "period": period_ru + period_en, "en": en_body})
    _check_glyphs(bold_font, {"heading": heading, "library_name": library_name, "en": en_heading})

    buffer = io.BytesIO()
    # types-reportlab 5.0 types initialFontName as a float: a stub error (it is a font name)
    canvas = Canvas(
        buffer,
        pagesize=A4,
        invariant=True,
        pageCompression=1,
        initialFontName=regular,  # type: ignore[arg-type]
    )
    canvas.setTitle(f"{heading} — {library_name}")
    canvas.setAuthor(library_name)
    canvas.setSubject(short_url)
    width, height = A4
    margin = 2 * cm
    text_width = width - 2 * margin
    y = height - margin

    def lines(text: str, font: str, size: float, gap: float = 1.25) -> None:
        nonlocal y
        for line in simpleSplit(text, font, size, text_width):
            y -= size * gap
            canvas.setFont(font, size)
            canvas.drawCentredString(width / 2, y, line)

    def fitted(text: str, font: str, size: float, minimum: float, max_lines: int) -> float:
        while size > minimum and len(simpleSplit(text, font, size, text_width)) > max_lines:
            size -= 1
        return size

    lines(heading, bold, fitted(heading, bold, 34, 20, 2))
    y -= 6
    lines(body, regular, 15)
    if english:
        y -= 4
        canvas.setFillGray(0.35)
        lines(f"{en_heading} {en_body}", regular, 11)
        canvas.setFillGray(0)

    y -= 14
    lines(library_name, bold, fitted(library_name, bold, 26, 14, 3))
    if service_point:
        lines(service_point, regular, 16)

    qr_size = min(9.5 * cm, y - margin - 4.5 * cm)
    y -= 10 + qr_size
    canvas.drawImage(ImageReader(io.BytesIO(png)), (width - qr_size) / 2, y, qr_size, qr_size)
    lines(short_url, bold, fitted(short_url, bold, 18, 9, 1))
    if period_ru:
        y -= 8
        lines(f"Опрос проводится {period_ru}", regular, 14)
    if period_en:
        canvas.setFillGray(0.35)
        lines(f"Survey period: {period_en}", regular, 10)
        canvas.setFillGray(0)
    if campaign_title:
        canvas.setFont(regular, 9)
        canvas.setFillGray(0.4)
        canvas.drawCentredString(width / 2, margin / 2, campaign_title)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
