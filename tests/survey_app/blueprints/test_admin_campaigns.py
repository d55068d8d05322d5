"""Blueprint admin_campaigns: campaign pages, counts and poster downloads over HTTP.

Covers issue 4 §4–§5 through the test client: creating a campaign from the form (problems
shown, 422), opening and closing it, the live counts table, the poster PDF (its QR decodes
to ``<PUBLIC_BASE_URL>/s/<campaign>/<library>?ch=qr``), QR SVG/PNG, the ZIP of a library
system, and scope: library staff download their own library's posters only and cannot
create or open campaigns.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from collections.abc import Iterator
from typing import Any

import pypdfium2 as pdfium
import pytest
import zxingcpp
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey_app.models import Campaign
from survey_app.models import CampaignStatus
from survey_app.models import LibrarySystem
from survey_app.models import Region
from survey_app.services.campaigns import open_campaign
from survey_app.services.responses import parse_submission
from survey_app.services.responses import record_response
from tests.factories import NOK_ANSWERS
from tests.factories import STAFF_PASSWORD
from tests.factories import submission


@pytest.fixture
def base_url(app: Flask) -> Iterator[str]:
    previous = app.config["PUBLIC_BASE_URL"]
    app.config["PUBLIC_BASE_URL"] = "https://opros.example.ru"
    yield "https://opros.example.ru"
    app.config["PUBLIC_BASE_URL"] = previous


@pytest.fixture
def network(session: Session, make_library: Callable[..., Any]) -> dict[str, Any]:
    region = Region(code="r", name="Регион")
    north = LibrarySystem(region=region, code="north", name="ЦБС Север")
    session.add(north)
    return {
        "north": north,
        "a": make_library("lib-a", system=north),
        "b": make_library("lib-b", system=north),
    }


@pytest.fixture
def signed_in(
    client: FlaskClient, session: Session, make_user: Callable[..., Any]
) -> Callable[..., Any]:
    def sign_in(role: str = "methodologist", **kwargs: Any) -> Any:
        user = make_user(role, **kwargs)
        session.commit()
        response = client.post("/login", data={"email": user.email, "password": STAFF_PASSWORD})
        assert response.status_code == 302
        client.get("/admin/campaigns/?lang=en")  # these tests read the English texts
        return user

    return sign_in


def form(version_id: int, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": "spring",
        "title": "Весна 2026",
        "instrument_version": version_id,
        "choice": "all",
        "starts_on": "2026-03-01",
        "ends_on": "2026-05-31",
        "channels": ["web", "qr"],
        "lite_share": "0",
        "partial_policy": "discard",
    }
    data.update(overrides)
    return data


def test_create_open_close(
    client: FlaskClient,
    session: Session,
    network: dict[str, Any],
    instrument_version: Any,
    signed_in: Callable[..., Any],
) -> None:
    version = instrument_version("nok_culture")
    signed_in("methodologist")
    page = client.get("/admin/campaigns/new").get_data(as_text=True)
    assert "nok_culture, version 1" in page
    # the first submission shows the chosen libraries back and stores nothing
    check = client.post("/admin/campaigns/new", data=form(version.id))
    assert check.status_code == 200
    assert "The campaign will include 2 libraries in 1 system" in check.get_data(as_text=True)
    assert session.scalars(select(Campaign)).all() == []
    # "back" shows the form again with what was typed
    back = client.post("/admin/campaigns/new", data=form(version.id, confirmed="1", edit="1"))
    assert back.status_code == 200 and 'value="Весна 2026"' in back.get_data(as_text=True)
    assert session.scalars(select(Campaign)).all() == []
    response = client.post("/admin/campaigns/new", data=form(version.id, confirmed="1"))
    assert response.status_code == 302
    campaign = session.scalars(select(Campaign)).one()
    assert campaign.status == CampaignStatus.draft
    assert sorted(lib.code for lib in campaign.libraries) == ["lib-a", "lib-b"]
    # opening asks first, saying what visitors will get; only the confirmed POST opens it
    ask = client.post("/admin/campaigns/spring/open")
    assert ask.status_code == 200
    assert "Libraries in the campaign: 2. Their survey links and QR codes accept answers" in (
        ask.get_data(as_text=True)
    )
    session.refresh(campaign)
    assert campaign.status == CampaignStatus.draft
    assert client.post("/admin/campaigns/spring/open", data={"confirmed": "1"}).status_code == 302
    session.refresh(campaign)
    assert campaign.status == CampaignStatus.open
    assert client.post("/admin/campaigns/spring/open").status_code == 409
    ask = client.post("/admin/campaigns/spring/close")
    assert ask.status_code == 200 and "This survey has ended" in ask.get_data(as_text=True)
    session.refresh(campaign)
    assert campaign.status == CampaignStatus.open
    assert client.post("/admin/campaigns/spring/close", data={"confirmed": "1"}).status_code == 302
    session.refresh(campaign)
    assert campaign.status == CampaignStatus.closed


@pytest.mark.parametrize(
    ("choice", "ticked", "refused"),
    [
        ("all", {"library_ids": ["{a}"]}, "Libraries are ticked"),
        ("systems", {"system_ids": ["{north}"], "library_types": ["central"]}, "types are ticked"),
        ("libraries", {"library_ids": ["{a}"], "system_ids": ["{north}"]}, "systems are ticked"),
    ],
)
def test_create__ticks_in_a_list_the_chosen_way_ignores_are_refused(
    client: FlaskClient,
    session: Session,
    network: dict[str, Any],
    instrument_version: Any,
    signed_in: Callable[..., Any],
    choice: str,
    ticked: dict[str, list[str]],
    refused: str,
) -> None:
    """Issue 9 §6: "All libraries" with one library ticked used to create a campaign over all."""
    version = instrument_version("nok_culture")
    signed_in("methodologist")
    ids = {"a": network["a"].id, "north": network["north"].id}
    values = {name: [v.format(**ids) for v in given] for name, given in ticked.items()}
    for confirmed in ("", "1"):
        response = client.post(
            "/admin/campaigns/new",
            data=form(version.id, choice=choice, confirmed=confirmed, **values),
        )
        assert response.status_code == 422
        assert refused in response.get_data(as_text=True)
    assert session.scalars(select(Campaign)).all() == []


def test_create__problems_are_shown(
    client: FlaskClient,
    network: dict[str, Any],
    instrument_version: Any,
    signed_in: Callable[..., Any],
) -> None:
    version = instrument_version("nok_culture")
    signed_in("methodologist")
    response = client.post(
        "/admin/campaigns/new",
        data=form(version.id, code="Bad Code", ends_on="2026-01-01", lite_share="30"),
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "lower-case Latin letters" in page
    assert "must end after it starts" in page
    assert "no Lite form" in page


def test_show__live_counts_per_library_and_channel(
    client: FlaskClient,
    session: Session,
    network: dict[str, Any],
    make_campaign: Any,
    signed_in: Callable[..., Any],
) -> None:
    campaign = make_campaign(code="spring", libraries=[network["a"], network["b"]])
    for channel in ("qr", "qr", "web"):
        body = submission(campaign, NOK_ANSWERS, library="lib-a", channel=channel)
        record_response(session, parse_submission(body))
    signed_in("quality_manager")
    page = client.get("/admin/campaigns/spring").get_data(as_text=True)
    assert "3 responses" in page
    row = page[page.index(f"{network['a'].name}</th>") :].split("</tr>")[0]
    assert [cell.split(">")[-1] for cell in row.split("</td>")[:-1]] == ["1", "2", "0", "0", "3"]


def test_show__a_region_is_grouped_by_system_searched_and_paged(
    client: FlaskClient,
    session: Session,
    make_library: Callable[..., Any],
    make_campaign: Any,
    signed_in: Callable[..., Any],
) -> None:
    """Issue 9 §6: 120 libraries in 3 systems never render as 120 rows at once."""
    region = Region(code="r", name="Регион")
    systems = [
        LibrarySystem(region=region, code=f"s{n}", name=f"ЦБС {name}")
        for n, name in enumerate(("Северная", "Южная", "Западная"))
    ]
    session.add_all(systems)
    libraries = [make_library(f"l-{n:03d}", system=systems[n % 3]) for n in range(120)]
    libraries[7].address = "пгт Промышленная, ул. Мира, 3"
    make_campaign(code="spring", libraries=libraries)
    signed_in("quality_manager")

    page = client.get("/admin/campaigns/spring").get_data(as_text=True)
    assert "120 libraries in 3 systems" in page
    assert page.count("/admin/campaigns/spring?system=") == 3
    assert libraries[0].name not in page and "poster.pdf" not in page

    west = client.get("/admin/campaigns/spring?system=s2").get_data(as_text=True)
    assert "40 libraries found" in west
    assert west.count('/poster.pdf"') == 40
    assert libraries[2].name in west and libraries[0].name + "<" not in west

    found = client.get("/admin/campaigns/spring?q=ПРОМЫШЛЕННАЯ").get_data(as_text=True)
    assert "1 library found" in found
    assert f'{libraries[7].name} <span class="muted">— ЦБС Южная, пгт Промышленная' in found

    every = client.get("/admin/campaigns/spring?q=Библиотека").get_data(as_text=True)
    assert "120 libraries found" in every and "page 1 of 3" in every
    assert every.count('/poster.pdf"') == 50
    last = client.get("/admin/campaigns/spring?q=Библиотека&page=3").get_data(as_text=True)
    assert last.count('/poster.pdf"') == 20
    assert client.get("/admin/campaigns/spring?q=Библиотека&page=4").status_code == 404
    assert client.get("/admin/campaigns/spring?system=nowhere").status_code == 404


def decode_pdf(pdf: bytes) -> list[str]:
    document = pdfium.PdfDocument(pdf)
    try:
        image = document[0].render(scale=2).to_pil()
    finally:
        document.close()
    return [r.text for r in zxingcpp.read_barcodes(image)]


def test_poster__pdf_qr_leads_to_the_survey(
    client: FlaskClient,
    network: dict[str, Any],
    make_campaign: Any,
    base_url: str,
    signed_in: Callable[..., Any],
) -> None:
    make_campaign(code="spring", libraries=[network["a"], network["b"]])
    signed_in("methodologist")
    response = client.get("/admin/campaigns/spring/libraries/lib-a/poster.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert decode_pdf(response.data) == [f"{base_url}/s/spring/lib-a?ch=qr"]
    svg = client.get("/admin/campaigns/spring/libraries/lib-a/qr.svg")
    assert (svg.status_code, svg.mimetype) == (200, "image/svg+xml")
    png = client.get("/admin/campaigns/spring/libraries/lib-a/qr.png")
    assert (png.status_code, png.mimetype) == (200, "image/png")
    assert client.get("/admin/campaigns/spring/libraries/lib-a/qr.gif").status_code == 404


def test_posters_zip__of_a_system(
    client: FlaskClient,
    network: dict[str, Any],
    make_campaign: Any,
    base_url: str,
    signed_in: Callable[..., Any],
) -> None:
    make_campaign(code="spring", libraries=[network["a"], network["b"]])
    signed_in("methodologist")
    response = client.get("/admin/campaigns/spring/systems/north/posters.zip")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        assert archive.namelist() == ["spring-lib-a.pdf", "spring-lib-b.pdf"]


def test_library_staff__own_library_only(
    client: FlaskClient,
    session: Session,
    network: dict[str, Any],
    make_campaign: Any,
    signed_in: Callable[..., Any],
) -> None:
    campaign = make_campaign(code="spring", libraries=[network["a"], network["b"]],
                             status=CampaignStatus.draft)  # fmt: skip
    signed_in("library_staff", library=network["a"])
    assert client.get("/admin/campaigns/spring/libraries/lib-a/poster.pdf").status_code == 200
    assert client.get("/admin/campaigns/spring/libraries/lib-b/poster.pdf").status_code == 404
    with zipfile.ZipFile(io.BytesIO(client.get(
        "/admin/campaigns/spring/systems/north/posters.zip").data)) as archive:  # fmt: skip
        assert archive.namelist() == ["spring-lib-a.pdf"]
    page = client.get("/admin/campaigns/spring").get_data(as_text=True)
    assert "lib-a" in page and "lib-b" not in page
    assert client.post("/admin/campaigns/spring/open").status_code == 403
    assert client.get("/admin/campaigns/new").status_code == 403
    assert campaign.status == CampaignStatus.draft


def test_index__lists_campaigns_with_totals(
    client: FlaskClient,
    session: Session,
    network: dict[str, Any],
    make_campaign: Any,
    signed_in: Callable[..., Any],
) -> None:
    campaign = make_campaign(code="spring", libraries=[network["a"]], status=CampaignStatus.draft)
    open_campaign(session, campaign)
    signed_in("methodologist")
    page = client.get("/admin/campaigns/").get_data(as_text=True)
    assert "spring" in page and "open" in page


def test_admin_catalog__complete_and_served_in_russian(database_url: str) -> None:
    """Every admin msgid is translated with its placeholders, and the catalog is served."""
    import re
    from pathlib import Path

    from babel.messages.pofile import read_po
    from flask_babel import get_domain
    from flask_babel import gettext
    from flask_babel import ngettext

    import survey_app
    from survey_app import create_app
    from survey_app.extensions import db

    folder = Path(survey_app.__file__).parent / "translations"
    with (folder / "ru/LC_MESSAGES/admin.po").open("rb") as file:
        catalog = read_po(file)
    with (folder / "admin.pot").open("rb") as file:
        template = read_po(file)
    for message in template:
        if not message.id:
            continue
        translated = catalog.get(message.id)
        assert translated is not None and all(translated.string), message.id
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = (
            translated.string if isinstance(translated.string, tuple) else (translated.string,)
        )
        wanted = set(re.findall(r"%\(\w+\)\w", ids[0]))
        assert all(set(re.findall(r"%\(\w+\)\w", s)) == wanted for s in strings), message.id

    # Flask-Babel pairs the i-th domain with the i-th translation directory
    russian = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "BABEL_TRANSLATION_DIRECTORIES": "translations;translations;translations",
        }
    )
    with russian.test_request_context("/?lang=ru"):
        # the translations cache lives on the Domain, which every app of the process shares
        get_domain().cache.clear()
        assert gettext("Campaigns") == "Кампании"
        # Russian plural forms: 1 кампания, 3 кампании, 5 кампаний
        assert [ngettext("%(num)d campaign", "%(num)d campaigns", n) for n in (1, 3, 5)] == [
            "1 кампания",
            "3 кампании",
            "5 кампаний",
        ]
        assert gettext("Choose at least one channel.") == "Выберите хотя бы один канал."
        get_domain().cache.clear()
    with russian.app_context():
        db.engine.dispose()
