"""services.posters: QR codes and posters per campaign × library (× service point), system ZIPs.

Covers issue 4 §5: the QR code in the generated poster (rasterised with pdfium, decoded with
zxing-cpp) leads to ``<base>/s/<campaign>/<library>?ch=qr`` and the short link is printed;
a service point adds ``sp=``; the ZIP of a library system holds one poster per library of
the system in the campaign and per active service point; library staff get their own
library's posters only, other libraries do not exist for them.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from typing import Any

import pypdfium2 as pdfium
import pytest
import zxingcpp
from sqlalchemy.orm import Session

from survey_app.models import Library
from survey_app.models import LibrarySystem
from survey_app.models import Region
from survey_app.services.errors import Forbidden
from survey_app.services.errors import NotFound
from survey_app.services.posters import poster_pdf
from survey_app.services.posters import qr_image
from survey_app.services.posters import resolve_target
from survey_app.services.posters import survey_links
from survey_app.services.posters import system_posters_zip

BASE = "https://survey.example.org/"


def decode_pdf(pdf: bytes) -> tuple[list[str], str]:
    """(decoded QR texts, page text) of a one-page PDF."""
    document = pdfium.PdfDocument(pdf)
    try:
        page = document[0]
        image = page.render(scale=2).to_pil()
        text = " ".join(page.get_textpage().get_text_range().split())
    finally:
        document.close()
    return [r.text for r in zxingcpp.read_barcodes(image)], text


@pytest.fixture
def setup(
    session: Session, make_library: Callable[..., Library], make_campaign: Any
) -> dict[str, Any]:
    region = Region(code="r", name="Регион")
    north = LibrarySystem(region=region, code="north", name="ЦБС Север")
    south = LibrarySystem(region=region, code="south", name="ЦБС Юг")
    session.add_all([north, south])
    central = make_library("n-central", system=north, service_points=["desk", "kids"])
    central.name = "Центральная библиотека"
    central.service_points[1].active = False
    rural = make_library("n-rural", system=north)
    outside = make_library("n-outside", system=north)  # in the system, not in the campaign
    kids = make_library("s-kids", system=south)
    campaign = make_campaign(code="spring", libraries=[central, rural, kids])
    return {"campaign": campaign, "central": central, "rural": rural, "outside": outside,
            "kids": kids, "north": north}  # fmt: skip


def test_poster_pdf__qr_leads_to_the_survey(session: Session, setup: dict[str, Any]) -> None:
    target = resolve_target(session, "spring", "n-central")
    poster = poster_pdf(target, base_url=BASE)
    assert (poster.filename, poster.mimetype) == ("poster-spring-n-central.pdf", "application/pdf")
    codes, text = decode_pdf(poster.content)
    assert codes == ["https://survey.example.org/s/spring/n-central?ch=qr"]
    assert "survey.example.org/s/spring/n-central" in text
    assert "Центральная библиотека" in text


@pytest.mark.parametrize(
    ("instrument", "sentence"),
    [("library_gap", "Это займёт 8–9 минут."), ("kiosk_pulse", "Это займёт 1–2 минуты.")],
)
def test_poster_pdf__says_how_long_the_campaigns_instrument_takes(
    session: Session, make_campaign: Any, make_library: Any, instrument: str, sentence: str
) -> None:
    campaign = make_campaign(instrument, libraries=[make_library("m-lib")])
    target = resolve_target(session, campaign.code, "m-lib")
    _, text = decode_pdf(poster_pdf(target, base_url=BASE).content)
    assert sentence in text
    assert "3–5" not in text


def test_poster_pdf__service_point(session: Session, setup: dict[str, Any]) -> None:
    target = resolve_target(session, "spring", "n-central", service_point="desk")
    codes, text = decode_pdf(poster_pdf(target, base_url=BASE).content)
    assert codes == ["https://survey.example.org/s/spring/n-central?ch=qr&sp=desk"]
    assert "desk" in text


def test_resolve_target__library_outside_the_campaign(
    session: Session, setup: dict[str, Any]
) -> None:
    with pytest.raises(NotFound):
        resolve_target(session, "spring", "n-outside")
    with pytest.raises(NotFound):
        resolve_target(session, "spring", "n-central", service_point="nope")


def test_resolve_target__library_staff_own_library_only(
    session: Session, setup: dict[str, Any], make_user: Callable[..., Any]
) -> None:
    librarian = make_user("library_staff", library=setup["rural"])
    own = resolve_target(session, "spring", "n-rural", actor=librarian)
    assert own.library.code == "n-rural"
    with pytest.raises(NotFound):
        resolve_target(session, "spring", "n-central", actor=librarian)


def test_qr_image__svg_and_png(session: Session, setup: dict[str, Any]) -> None:
    target = resolve_target(session, "spring", "s-kids")
    svg = qr_image(target, base_url=BASE, fmt="svg")
    png = qr_image(target, base_url=BASE, fmt="png")
    assert (svg.filename, svg.mimetype) == ("qr-spring-s-kids.svg", "image/svg+xml")
    assert svg.content.startswith(b"<?xml")
    from PIL import Image

    image = Image.open(io.BytesIO(png.content))
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [
        "https://survey.example.org/s/spring/s-kids?ch=qr"
    ]
    with pytest.raises(ValueError):
        qr_image(target, base_url=BASE, fmt="gif")


def test_survey_links__need_an_absolute_base(session: Session, setup: dict[str, Any]) -> None:
    target = resolve_target(session, "spring", "s-kids")
    assert survey_links("http://localhost:5000", target) == (
        "http://localhost:5000/s/spring/s-kids",
        "http://localhost:5000/s/spring/s-kids?ch=qr",
    )
    with pytest.raises(ValueError):
        survey_links("survey.example.org", target)


def test_system_posters_zip__libraries_and_active_service_points(
    session: Session, setup: dict[str, Any], make_user: Callable[..., Any]
) -> None:
    methodologist = make_user("methodologist")
    archive = system_posters_zip(session, "spring", "north", base_url=BASE, actor=methodologist)
    assert (archive.filename, archive.mimetype) == ("posters-spring-north.zip", "application/zip")
    with zipfile.ZipFile(io.BytesIO(archive.content)) as zipped:
        names = zipped.namelist()
        assert names == ["spring-n-central.pdf", "spring-n-central-desk.pdf", "spring-n-rural.pdf"]
        codes, _ = decode_pdf(zipped.read("spring-n-rural.pdf"))
    assert codes == ["https://survey.example.org/s/spring/n-rural?ch=qr"]


def test_system_posters_zip__library_staff_get_their_library_only(
    session: Session, setup: dict[str, Any], make_user: Callable[..., Any]
) -> None:
    librarian = make_user("library_staff", library=setup["rural"])
    archive = system_posters_zip(session, "spring", "north", base_url=BASE, actor=librarian)
    with zipfile.ZipFile(io.BytesIO(archive.content)) as zipped:
        assert zipped.namelist() == ["spring-n-rural.pdf"]
    with pytest.raises(NotFound):  # another system does not exist for them
        system_posters_zip(session, "spring", "south", base_url=BASE, actor=librarian)


def test_system_posters_zip__no_library_of_the_system_in_the_campaign(
    session: Session, setup: dict[str, Any], make_campaign: Any, make_user: Callable[..., Any]
) -> None:
    make_campaign(code="south-only", libraries=[setup["kids"]])
    with pytest.raises(NotFound):
        system_posters_zip(
            session, "south-only", "north", base_url=BASE, actor=make_user("methodologist")
        )


def test_posters__role_without_permission(
    session: Session, setup: dict[str, Any], make_user: Callable[..., Any]
) -> None:
    inactive = make_user("methodologist", active=False)
    with pytest.raises(Forbidden):
        resolve_target(session, "spring", "n-rural", actor=inactive)
