"""Factory fixtures: callables with sensible defaults that build data through the services."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from collections.abc import Iterable
from datetime import UTC
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session

import instruments
from survey_app.models import Campaign
from survey_app.models import CampaignStatus
from survey_app.models import InstrumentVersion
from survey_app.models import Library
from survey_app.models import LibrarySystem
from survey_app.models import LibraryType
from survey_app.models import Region
from survey_app.models import ServicePoint
from survey_app.models.base import utcnow
from survey_app.services.instruments import register_bundled_instruments

_counter = itertools.count(1)


@pytest.fixture
def make_library(session: Session) -> Callable[..., Library]:
    """Return a callable creating a library (and its region and system when not given)."""

    def make(
        code: str | None = None,
        *,
        system: LibrarySystem | None = None,
        type: LibraryType = LibraryType.branch,
        service_points: Iterable[str] = (),
        active: bool = True,
    ) -> Library:
        n = next(_counter)
        if system is None:
            region = Region(code=f"region-{n}", name=f"Регион {n}")
            system = LibrarySystem(region=region, code=f"system-{n}", name=f"ЦБС {n}")
        library = Library(
            system=system,
            code=code or f"lib-{n}",
            name=f"Библиотека {n}",
            type=type,
            active=active,
        )
        for point in service_points:
            library.service_points.append(ServicePoint(code=point, name=point))
        session.add(library)
        session.flush()
        return library

    return make


@pytest.fixture
def instrument_version(session: Session) -> Callable[[str], InstrumentVersion]:
    """Return a callable giving the stored version of a bundled instrument, or of YAML text."""

    def get(key: str) -> InstrumentVersion:
        if ":" in key or "\n" in key:  # inline YAML
            parsed = instruments.load(key.encode("utf-8"))
            row = InstrumentVersion(
                instrument_id=parsed.id,
                version=parsed.version,
                sha256=parsed.sha256,
                source=key,
                title=parsed.title["ru"],
                published_at=utcnow(),
            )
            session.add(row)
            session.flush()
            return row
        rows = {row.instrument_id: row for row in register_bundled_instruments(session)}
        return rows[key]

    return get


@pytest.fixture
def make_campaign(
    session: Session,
    make_library: Callable[..., Library],
    instrument_version: Callable[[str], InstrumentVersion],
) -> Callable[..., Campaign]:
    """Return a callable creating an open campaign over some libraries."""

    def make(
        instrument: str = "nok_culture",
        *,
        code: str | None = None,
        libraries: Iterable[Library] | None = None,
        channels: Iterable[str] = ("web", "qr", "kiosk", "paper"),
        status: CampaignStatus = CampaignStatus.open,
        lite_share: float = 0.0,
    ) -> Campaign:
        n = next(_counter)
        campaign = Campaign(
            code=code or f"c{n}",
            title=f"Кампания {n}",
            instrument_version=instrument_version(instrument),
            channels=list(channels),
            status=status,
            lite_share=lite_share,
            libraries=list(libraries) if libraries is not None else [make_library()],
        )
        session.add(campaign)
        session.flush()
        return campaign

    return make


def submission(campaign: Campaign, answers: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """A JSON submission for the first library of ``campaign``."""
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "campaign": campaign.code,
        "library": campaign.libraries[0].code,
        "channel": "qr",
        "started_at": datetime(2026, 3, 1, 10, 0, tzinfo=UTC).isoformat(),
        "submitted_at": datetime(2026, 3, 1, 10, 4, tzinfo=UTC).isoformat(),
        "answers": answers,
    }
    body.update(overrides)
    return body


#: a complete, valid nok_culture answer set (everyone used the stands and the site)
NOK_ANSWERS: dict[str, Any] = {
    "q1": 1,
    "q2": 1,
    "q3": 1,
    "q4": 0,
    "q5": 1,
    "q6": 0,
    "q8": 1,
    "q9": 1,
    "q10": 0,
    "q12": 1,
    "q13": 1,
    "q14": 1,
    "q16": "female",
    "q17": 34,
}


#: password given to every account made by ``make_user`` unless another is asked for
STAFF_PASSWORD = "correct-horse-battery"


@pytest.fixture
def make_user(
    session: Session, make_library: Callable[..., Library], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Any]:
    """Return a callable creating a staff account through ``accounts.create_user``.

    ``make_user("library_staff")`` gives the account a new library unless ``library=`` is given;
    ``system=`` scopes a quality manager; ``active=False`` deactivates it afterwards. Hashing
    uses argon2's cheapest profile here (the production parameters cost ~0.5 s per hash);
    test_accounts.py checks the production parameters separately.
    """
    from argon2 import PasswordHasher
    from argon2.profiles import CHEAPEST

    from survey_app.models import Role
    from survey_app.services import accounts
    from survey_app.services.accounts import Scope
    from survey_app.services.accounts import create_user

    monkeypatch.setattr(accounts, "_hasher", PasswordHasher.from_parameters(CHEAPEST))

    def make(
        role: str = "admin",
        *,
        email: str | None = None,
        password: str = STAFF_PASSWORD,
        library: Library | None = None,
        system: LibrarySystem | None = None,
        name: str = "",
        active: bool = True,
    ) -> Any:
        n = next(_counter)
        if Role(role) == Role.library_staff and library is None:
            library = make_library()
        user = create_user(
            session,
            email=email or f"staff{n}@example.org",
            password=password,
            role=role,
            name=name,
            scope=Scope(system=system, library=library),
        )
        if not active:
            user.active = False
            session.flush()
        return user

    return make


@pytest.fixture
def make_token(session: Session) -> Callable[..., str]:
    """Return a callable issuing an integration token through the service; gives the token.

    ``make_token()`` writes channel paper for any campaign in the whole region;
    ``campaign=`` and ``scope="system:CODE"`` / ``"library:CODE"`` narrow it.
    """
    from survey_app.services.tokens import issue_token

    def make(
        channel: str = "paper",
        *,
        campaign: Campaign | None = None,
        scope: str | None = None,
        name: str | None = None,
    ) -> str:
        token, _row = issue_token(
            session,
            name=name or f"Интеграция {next(_counter)}",
            channel=channel,
            campaign=campaign.code if campaign is not None else None,
            scope=scope,
        )
        return token

    return make


def bearer(token: str) -> dict[str, str]:
    """The request header that presents ``token`` to the API."""
    return {"Authorization": f"Bearer {token}"}


def _bfi_review_yaml() -> str:
    """An instrument of bfi's A, C and E items (1..6, optional) with psych's scoring keys."""
    texts = {
        "A": "Доброжелательность, вопрос",
        "C": "Добросовестность, вопрос",
        "E": "Экстраверсия, вопрос",
    }
    lines = [
        "id: bfi_review",
        "version: 1",
        "locales: [ru, en]",
        "title: {ru: 'Пятифакторный опросник (A, C, E)', en: 'Big Five inventory (A, C, E)'}",
        "formats:",
        "  six:",
        "    type: likert",
        "    min: 1",
        "    max: 6",
        "    required: false",
        "    anchors:",
        "      1: {ru: совсем неверно, en: very inaccurate}",
        "      6: {ru: совершенно верно, en: very accurate}",
        "sections:",
        "  - id: items",
        "    title: {ru: Вопросы, en: Items}",
        "    items:",
    ]
    for scale in "ACE":
        for i in range(1, 6):
            lines += [
                f"      - id: {scale}{i}",
                "        format: six",
                f"        text: {{ru: '{texts[scale]} {i}', en: 'Item {scale}{i}'}}",
            ]
    lines += [
        "scales:",
        "  - id: A",
        "    title: {ru: Доброжелательность, en: Agreeableness}",
        "    items: [A1, A2, A3, A4, A5]",
        "    reverse: [A1]",
        "  - id: C",
        "    title: {ru: Добросовестность, en: Conscientiousness}",
        "    items: [C1, C2, C3, C4, C5]",
        "    reverse: [C4, C5]",
        "  - id: E",
        "    title: {ru: Экстраверсия, en: Extraversion}",
        "    items: [E1, E2, E3, E4, E5]",
        "    reverse: [E1, E2]",
    ]
    return "\n".join(lines) + "\n"


#: the bfi_review instrument (YAML text, for ``instrument_version``)
BFI_REVIEW_YAML = _bfi_review_yaml()


@pytest.fixture
def bfi_review(
    session: Session,
    make_library: Callable[..., Library],
    make_campaign: Callable[..., Campaign],
    make_user: Callable[..., Any],
) -> Any:
    """bfi rows 1-300 answered in campaign SPRING by two libraries of system NORTH, rows
    301-340 in campaign AUTUMN by a library of system SOUTH; a regional methodologist, a
    quality manager of NORTH and a library's staff member. Reference numbers for rows 1-300:
    ``tests/analysis/reference/psych_fa.json`` (``review_subset``)."""
    from types import SimpleNamespace

    import numpy as np

    from survey_app.services.responses import parse_submission
    from survey_app.services.responses import record_response
    from tests.analysis.reference import bfi

    region = Region(code="kem-review", name="Кемеровская область")
    north = LibrarySystem(region=region, code="NORTH", name="ЦБС Северная")
    south = LibrarySystem(region=region, code="SOUTH", name="ЦБС Южная")
    session.add_all([north, south])
    session.flush()
    libraries = [
        make_library("N-1", system=north),
        make_library("N-2", system=north),
        make_library("S-1", system=south),
    ]
    spring = make_campaign(BFI_REVIEW_YAML, code="SPRING", libraries=libraries[:2])
    autumn = Campaign(
        code="AUTUMN",
        title="Осенняя кампания",
        instrument_version=spring.instrument_version,
        channels=["web", "qr", "kiosk", "paper"],
        status=CampaignStatus.open,
        libraries=libraries[2:],
    )
    session.add(autumn)
    session.flush()
    data = bfi().iloc[:340, :15]
    for position, (_, row) in enumerate(data.iterrows()):
        campaign, library = (
            (spring, libraries[position % 2].code) if position < 300 else (autumn, "S-1")
        )
        answers = {k: int(v) for k, v in row.items() if not np.isnan(v)}
        body = submission(campaign, answers, library=library)
        record_response(session, parse_submission(body))
    world = SimpleNamespace(
        spring=spring,
        autumn=autumn,
        libraries=libraries,
        methodologist=make_user("methodologist", email="method@example.org"),
        manager=make_user("quality_manager", email="north@example.org", system=north),
        staff=make_user("library_staff", email="staff@example.org", library=libraries[0]),
    )
    session.commit()
    return world
