"""The demo region: the Kemerovo region's library network, campaigns and synthetic responses.

The responses come from a model with known structure, so the reports have something true
to find: each library has a quality effect (normal, SD 0.5 on the latent scale), each
visitor a satisfaction level around it (SD 1), and every numeric answer is that level
mapped onto the item's range with noise; reverse-keyed items are mirrored.  Everything is
deterministic (seeded), and identifiers are UUID5s, so seeding twice duplicates nothing.
"""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine
from sqlalchemy import bindparam
from sqlalchemy import func
from sqlalchemy import inspect
from sqlalchemy import literal
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

import instruments
from instruments import Instrument
from instruments import ItemType
from survey_app.models import AuditEvent
from survey_app.models import Base
from survey_app.models import Campaign
from survey_app.models import CampaignStatus
from survey_app.models import Channel
from survey_app.models import Library
from survey_app.models import LibrarySystem
from survey_app.models import LibraryType
from survey_app.models import Region
from survey_app.models import Response
from survey_app.models import ServicePoint
from survey_app.models import User
from survey_app.services import audit
from survey_app.services.accounts import create_user
from survey_app.services.accounts import parse_scope
from survey_app.services.checklists import store_checklists
from survey_app.services.instruments import instrument_of
from survey_app.services.instruments import register_bundled_instruments
from survey_app.services.responses import Submission
from survey_app.services.responses import record

_NAMESPACE = uuid.UUID("5b0c6f2e-8a53-4b52-9d0e-6f1f4d1f0a11")

#: (code, name, [(library code suffix, name, type), ...]) — municipal library systems
NETWORK: list[tuple[str, str, list[tuple[str, str, LibraryType]]]] = [
    (
        "kemerovo",
        "МБУ «ЦБС г. Кемерово»",
        [
            ("central", "Центральная городская библиотека им. Н. В. Гоголя", LibraryType.central),
            ("b2", "Библиотека-филиал № 2", LibraryType.branch),
            ("b7", "Библиотека-филиал № 7", LibraryType.branch),
            ("child", "Центральная детская библиотека", LibraryType.children),
            ("model1", "Модельная библиотека «Лесная Поляна»", LibraryType.model),
            ("b9", "Библиотека-филиал № 9", LibraryType.branch),
        ],
    ),
    (
        "novokuznetsk",
        "МАУ «ЦБС г. Новокузнецка»",
        [
            ("central", "Центральная городская библиотека им. Н. В. Гоголя", LibraryType.central),
            ("b5", "Библиотека-филиал № 5", LibraryType.branch),
            ("b12", "Библиотека-филиал № 12", LibraryType.branch),
            ("child", "Детская библиотека им. Н. Островского", LibraryType.children),
            ("b20", "Библиотека-филиал № 20", LibraryType.branch),
        ],
    ),
    (
        "prokopyevsk",
        "МБУК «ЦБС г. Прокопьевска»",
        [
            ("central", "Центральная городская библиотека", LibraryType.central),
            ("b3", "Библиотека-филиал № 3", LibraryType.branch),
            ("child", "Детская библиотека", LibraryType.children),
        ],
    ),
    (
        "belovo",
        "МБУК «ЦБС Беловского городского округа»",
        [
            ("central", "Центральная городская библиотека", LibraryType.central),
            ("b4", "Библиотека-филиал № 4", LibraryType.branch),
            ("child", "Детская библиотека", LibraryType.children),
        ],
    ),
    (
        "anzhero",
        "МБУК «ЦБС Анжеро-Судженского городского округа»",
        [
            ("central", "Центральная городская библиотека", LibraryType.central),
            ("b2", "Библиотека-филиал № 2", LibraryType.branch),
            ("child", "Детская библиотека", LibraryType.children),
        ],
    ),
    (
        "yurga",
        "МБУК «ЦБС г. Юрги»",
        [
            ("central", "Центральная городская библиотека", LibraryType.central),
            ("b1", "Библиотека-филиал № 1", LibraryType.branch),
            ("child", "Детская библиотека", LibraryType.children),
        ],
    ),
    (
        "berezovsky",
        "МБУК «ЦБС Берёзовского городского округа»",
        [
            ("central", "Центральная городская библиотека", LibraryType.central),
            ("b1", "Библиотека-филиал № 1", LibraryType.branch),
        ],
    ),
    (
        "krapivinsky",
        "МБУК «Крапивинская ЦБС»",
        [
            ("central", "Межпоселенческая центральная библиотека", LibraryType.central),
            ("r1", "Сельская библиотека с. Зеленогорское", LibraryType.rural),
            ("r2", "Сельская библиотека с. Барачаты", LibraryType.rural),
        ],
    ),
    (
        "yaysky",
        "МБУК «Яйская ЦБС»",
        [
            ("central", "Межпоселенческая центральная библиотека", LibraryType.central),
            ("r1", "Сельская библиотека с. Кайла", LibraryType.rural),
            ("r2", "Сельская библиотека п. Улановка", LibraryType.rural),
        ],
    ),
    (
        "prokopyevsky",
        "МБУК «ЦБС Прокопьевского муниципального округа»",
        [
            ("central", "Межпоселенческая центральная библиотека", LibraryType.central),
            ("r1", "Сельская библиотека с. Терентьевское", LibraryType.rural),
            ("r2", "Сельская библиотека с. Бурлаки", LibraryType.rural),
        ],
    ),
    (
        "belovsky",
        "МБУК «ЦБС Беловского муниципального округа»",
        [
            ("central", "Межпоселенческая центральная библиотека", LibraryType.central),
            ("r1", "Сельская библиотека с. Старопестерёво", LibraryType.rural),
            ("r2", "Сельская библиотека с. Вишнёвка", LibraryType.rural),
        ],
    ),
    (
        "tashtagol",
        "МБУК «ЦБС Таштагольского района»",
        [
            ("central", "Центральная районная библиотека", LibraryType.central),
            ("r1", "Сельская библиотека п. Шерегеш", LibraryType.rural),
            ("child", "Детская библиотека", LibraryType.children),
        ],
    ),
]

#: campaign code -> (instrument id, share of the synthetic responses, Lite share)
CAMPAIGNS: dict[str, tuple[str, float, float]] = {
    "nok-2025": ("nok_culture", 0.22, 0.0),
    "nok-2026": ("nok_culture", 0.33, 0.0),
    "gap-2026": ("library_gap", 0.12, 0.3),
    "servqual-2026": ("servqual_library", 0.06, 0.0),
    "sat-2026": ("satisfaction_short", 0.15, 0.0),
    "pulse-2026": ("kiosk_pulse", 0.12, 0.0),
}
#: campaigns of an earlier year: (year in the title, first day, last day);
#: they are seeded open and then closed. The others run through 2026.
EARLIER: dict[str, tuple[int, date, date]] = {
    "nok-2025": (2025, date(2025, 2, 1), date(2025, 11, 30)),
}
#: the 2026 campaigns' period, and the last day the synthetic responses reach (fixed, so
#: that seeding is reproducible)
PERIOD_2026 = (date(2026, 1, 15), date(2026, 12, 15))
LAST_ANSWERED_2026 = date(2026, 11, 30)
#: libraries whose visitors are clearly less satisfied (verdict "below the standard")
WEAK_LIBRARIES = frozenset({"novokuznetsk-b12", "belovo-b4", "yaysky-r2"})
#: libraries that collect only a handful of responses (verdict "insufficient data")
FEW_RESPONSES = frozenset({"krapivinsky-r2", "prokopyevsky-r2", "tashtagol-r1"})
#: libraries without an expert NOK checklist (their NOK total is not scored)
NO_CHECKLIST = frozenset({"kemerovo-b9", "anzhero-b2", "belovsky-r2", "yurga-b1"})
#: share of responses from careless responders (one answer throughout, pages in seconds)
CARELESS_SHARE = 0.04
#: the region's time zone (opening hours are local): Asia/Novokuznetsk, UTC+7
LOCAL_OFFSET = timedelta(hours=7)


#: the demo's staff accounts: (e-mail, role, scope spec); all share DEMO_PASSWORD
DEMO_ACCOUNTS: list[tuple[str, str, str | None]] = [
    ("admin@demo.local", "admin", None),
    ("methodologist@demo.local", "methodologist", None),
    ("quality@demo.local", "quality_manager", None),
    ("novokuznetsk@demo.local", "quality_manager", "system:novokuznetsk"),
    ("librarian@demo.local", "library_staff", "library:kemerovo-central"),
]
#: the demo accounts' password: a demo on a laptop, never a deployment
# bandit B105: published; the demo refuses production
DEMO_PASSWORD = "demo-password-2026"  # nosec B105


@dataclass(frozen=True, slots=True)
class DemoSummary:
    """What seeding did."""

    libraries: int
    campaigns: int
    responses_added: int
    responses_total: int


#: synthetic responses seeded by default: about 60 per library in the 2026 NOK campaign,
#: enough for most libraries to get a verdict (30 responses at least)
DEFAULT_RESPONSES = 8000

#: the audit action the demo writes first: a database holding it was made by the demo
DEMO_MARKER_ACTION = "demo.seed"


class DemoRefused(Exception):
    """The demo must not run on this database; the message says why (one line)."""


def refuse_demo_unless_safe(engine: Engine, *, production: bool, force: bool = False) -> None:
    """Raise :class:`DemoRefused` unless the demo may seed the database behind ``engine``.

    The demo adds accounts with a published password, synthetic responses and open public
    campaigns, so it runs only on a database that is empty or that the demo itself made (it
    holds a ``demo.seed`` audit event), and never in production, ``force`` or not.  ``force``
    lets a developer seed a non-empty development database on purpose.
    """
    if production:
        raise DemoRefused(
            "refusing to run the demo in production (SURVEY_ENV=production): it adds accounts "
            "with a published password and synthetic responses; --force does not change this"
        )
    if force:
        return
    with engine.connect() as connection:
        tables = set(inspect(connection).get_table_names())
        if AuditEvent.__tablename__ in tables:
            marker = connection.scalar(
                select(AuditEvent.id).where(AuditEvent.action == DEMO_MARKER_ACTION).limit(1)
            )
            if marker is not None:
                return
        holding = [
            table.name
            for table in Base.metadata.sorted_tables
            if table.name in tables
            and connection.scalar(select(literal(1)).select_from(table).limit(1)) is not None
        ]
    if holding:
        raise DemoRefused(
            "refusing to run the demo: the database is not empty and was not made by the demo "
            f"(rows in {', '.join(sorted(holding))}); use an empty database"
        )


def seed_demo(
    session: Session, *, responses: int = DEFAULT_RESPONSES, seed: int = 2026
) -> DemoSummary:
    """Create the demo region, campaigns and ``responses`` synthetic responses (idempotent).

    The first run marks the database as the demo's with a ``demo.seed`` audit event.
    """
    if session.scalar(select(AuditEvent.id).filter_by(action=DEMO_MARKER_ACTION).limit(1)) is None:
        audit.record(session, None, DEMO_MARKER_ACTION, "demo region", responses=responses)
    libraries = _seed_network(session)
    _seed_accounts(session)
    versions = {row.instrument_id: row for row in register_bundled_instruments(session)}
    campaigns = [
        _seed_campaign(session, code, versions[spec[0]], libraries, spec[2])
        for code, spec in CAMPAIGNS.items()
    ]
    session.flush()
    added = 0
    # bandit B311: synthetic demo data, reproducible by design
    rng = random.Random(seed)  # nosec B311
    effects = {
        library.code: -2.3 if library.code in WEAK_LIBRARIES else rng.gauss(0.35, 0.35)
        for library in libraries
    }
    # the change from 2025 to 2026: the Kemerovo system improved, the weak libraries declined
    trends = {
        library.code: 0.6
        if library.code.startswith("kemerovo-")
        else -0.5
        if library.code in WEAK_LIBRARIES
        else rng.gauss(0.1, 0.25)
        for library in libraries
    }
    weights = [
        0.12 if library.code in FEW_RESPONSES else rng.uniform(0.7, 1.5) for library in libraries
    ]
    for campaign in campaigns:
        share = CAMPAIGNS[campaign.code][1]
        target = round(responses * share)
        have = session.execute(
            select(func.count()).select_from(Response).filter_by(campaign_id=campaign.id)
        ).scalar_one()
        if have >= target or campaign.status is not CampaignStatus.open:
            continue
        instrument = instrument_of(campaign.instrument_version)
        year = EARLIER[campaign.code][0] if campaign.code in EARLIER else 2026
        # bandit B311: demo data
        campaign_rng = random.Random(f"{seed}:{campaign.code}")  # nosec B311
        received: list[dict[str, Any]] = []
        for n in range(target):
            library = campaign_rng.choices(libraries, weights)[0]
            effect = effects[library.code] - (trends[library.code] if year < 2026 else 0.0)
            submission = _synthetic_submission(
                instrument, campaign, library, effect, campaign_rng, n
            )
            if record(session, submission, commit=False).created:
                added += 1
                received.append({"uuid": submission.id, "at": _received(submission, campaign_rng)})
        _backdate(session, received)
        if campaign.instrument_version.instrument_id == "nok_culture":
            _seed_checklists(session, campaign, libraries, effects, rng)
    for campaign in campaigns:
        if campaign.code in EARLIER and campaign.status is CampaignStatus.open:
            campaign.status = CampaignStatus.closed
    session.flush()
    total = session.execute(select(func.count()).select_from(Response)).scalar_one()
    return DemoSummary(len(libraries), len(campaigns), added, total)


def _received(submission: Submission, rng: random.Random) -> datetime:
    """When the server got it: seconds after sending, or days later for paper (keyed in)."""
    sent = submission.submitted_at or datetime(2026, 1, 20, 9, tzinfo=UTC)
    if submission.channel is not Channel.paper:
        return sent + timedelta(seconds=rng.uniform(0.2, 20))
    # paper questionnaires are keyed in on a later working day, in office hours
    day = (sent + LOCAL_OFFSET).date() + timedelta(days=rng.randint(1, 10))
    while day.weekday() >= 5:
        day += timedelta(days=1)
    local = datetime(day.year, day.month, day.day, 9, tzinfo=UTC) + timedelta(
        minutes=rng.randrange(0, 8 * 60)
    )
    return local - LOCAL_OFFSET


def _backdate(session: Session, received: list[dict[str, Any]]) -> None:
    """Set ``received_at`` of just-stored synthetic responses to when they would have come."""
    if not received:
        return
    table = Response.__table__
    session.execute(
        update(Response.__table__)  # type: ignore[arg-type]
        .where(table.c.client_uuid == bindparam("uuid"))
        .values(received_at=bindparam("at")),
        received,
    )


def _seed_checklists(
    session: Session,
    campaign: Campaign,
    libraries: list[Library],
    effects: dict[str, float],
    rng: random.Random,
) -> None:
    """Expert checklists for most libraries of a NOK campaign (weaker libraries score less)."""
    counts: dict[Library, dict[str, int]] = {}
    for library in libraries:
        if library.code in NO_CHECKLIST:
            continue
        good = library.code not in WEAK_LIBRARIES
        counts[library] = {
            "stand_info_required": 10,
            "stand_info_present": rng.randint(8, 10) if good else rng.randint(4, 7),
            "site_info_required": 20,
            "site_info_present": rng.randint(15, 20) if good else rng.randint(6, 12),
            "remote_channels": rng.randint(3, 4) if good else 1,
            "comfort_conditions": rng.randint(4, 5) if good else 2,
            "premises_accessibility": rng.randint(2, 5) if good else 1,
            "service_accessibility": rng.randint(2, 5) if good else 1,
        }
    store_checklists(session, campaign, counts)


def _seed_network(session: Session) -> list[Library]:
    region = session.scalar(select(Region).filter_by(code="kemerovo-region"))
    if region is None:
        region = Region(code="kemerovo-region", name="Кемеровская область — Кузбасс")
        session.add(region)
    libraries: list[Library] = []
    for system_code, system_name, members in NETWORK:
        system = session.scalar(select(LibrarySystem).filter_by(code=system_code))
        if system is None:
            system = LibrarySystem(region=region, code=system_code, name=system_name)
            session.add(system)
        for suffix, name, kind in members:
            code = f"{system_code}-{suffix}"
            library = session.scalar(select(Library).filter_by(code=code))
            if library is None:
                library = Library(system=system, code=code, name=name, type=kind)
                if kind in (LibraryType.central, LibraryType.model):
                    library.service_points = [
                        ServicePoint(code="lending", name="Абонемент"),
                        ServicePoint(code="reading", name="Читальный зал"),
                    ]
                session.add(library)
            libraries.append(library)
    session.flush()
    return libraries


def _seed_accounts(session: Session) -> None:
    for email, role, scope in DEMO_ACCOUNTS:
        if session.scalar(select(User.id).filter_by(email=email)) is None:
            create_user(
                session,
                email=email,
                password=DEMO_PASSWORD,
                role=role,
                scope=parse_scope(session, scope),
            )


def _seed_campaign(
    session: Session, code: str, version: Any, libraries: list[Library], lite_share: float
) -> Campaign:
    campaign = session.scalar(select(Campaign).filter_by(code=code))
    year, starts_on, ends_on = EARLIER.get(code, (2026, *PERIOD_2026))
    if campaign is None:
        campaign = Campaign(
            code=code,
            title=f"{version.title} — {year}",
            instrument_version=version,
            starts_on=starts_on,
            ends_on=ends_on,
            status=CampaignStatus.open,
            lite_share=lite_share,
            libraries=list(libraries),
        )
        session.add(campaign)
    else:
        campaign.libraries.extend(lib for lib in libraries if lib not in campaign.libraries)
    return campaign


def _synthetic_submission(
    instrument: Instrument,
    campaign: Campaign,
    library: Library,
    effect: float,
    rng: random.Random,
    n: int,
) -> Submission:
    level = effect + rng.gauss(0.0, 1.0)
    careless = rng.random() < CARELESS_SHARE
    # a careless responder gives one answer throughout (the top or the bottom of each range)
    straight = rng.choice((0.0, 1.0)) if careless else None
    reverse = {item for scale in instrument.scales for item in scale.reverse}
    # Lite forms in the campaign's share, as the survey draws them for a visitor
    lite = instruments.draw_lite_items(instrument, rng, share=campaign.lite_share)
    answers: dict[str, Any] = {}
    filters = _filter_items(instrument)
    for item in instrument.items:
        if lite is not None and item.type is ItemType.battery and item.id not in lite:
            continue
        if item.id in filters and item.type is ItemType.yes_no:  # "used the website?": behaviour
            answers[item.id] = 1 if rng.random() < 0.35 else 0
            continue
        value = (
            _straight_answer(item, straight, rng)
            if straight is not None
            else _synthetic_answer(item, level, item.id in reverse, rng)
        )
        if value is not None:
            answers[item.id] = value
    for section in instrument.sections:
        if section.sum_to is not None:  # e.g. SERVQUAL's 100-point importance split
            answers.update(_split_points(section, rng))
    # drop answers that skip logic hides, until stable
    while True:
        visible = instruments.visible_items(instrument, answers)
        hidden = set(answers) - set(visible)
        if not hidden:
            break
        for key in hidden:
            del answers[key]
    channel = rng.choices([Channel.qr, Channel.kiosk, Channel.web, Channel.paper], [5, 3, 1, 1])[0]
    submitted = _visit_time(campaign, channel, rng)
    # a careless responder clicks through in under a second per question
    duration = (
        rng.uniform(60, 600) if not careless else rng.uniform(0.5, 1.0) * len(instrument.items)
    )
    return Submission(
        id=uuid.uuid5(_NAMESPACE, f"{campaign.code}:{n}"),
        campaign=campaign.code,
        library=library.code,
        channel=channel,
        answers=answers,
        started_at=submitted - timedelta(seconds=duration),
        submitted_at=submitted,
        page_timings={
            s.id: round(duration / len(instrument.sections), 1) for s in instrument.sections
        },
        lite_items=lite,
    )


def _visit_time(campaign: Campaign, channel: Channel, rng: random.Random) -> datetime:
    """A moment in the campaign's period when the library is open (UTC).

    Libraries open Monday to Saturday, 10:00-19:00 local time, busiest in the afternoon;
    the web form is also answered at home, from 8:00 to 23:00, any day.
    """
    first: date = campaign.starts_on or PERIOD_2026[0]
    last: date = min(campaign.ends_on or LAST_ANSWERED_2026, LAST_ANSWERED_2026)
    span = max(0, (last - first).days)
    while True:
        day = first + timedelta(days=rng.randint(0, span))
        if channel is Channel.web or day.weekday() != 6:
            break
    if channel is Channel.web:
        minute = rng.randrange(8 * 60, 23 * 60)
    else:
        hour = rng.choices(range(10, 19), [3, 4, 5, 6, 7, 8, 8, 6, 4])[0]
        minute = hour * 60 + rng.randrange(0, 60)
    local = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(minutes=minute)
    return local - LOCAL_OFFSET


def _straight_answer(item: Any, end: float, rng: random.Random) -> Any:
    """A straight-lining answer: the same end of the range for every rating."""
    kind = item.type
    if kind is ItemType.yes_no:
        return int(end)
    if kind in (ItemType.likert, ItemType.nps, ItemType.smiley):
        low = 0 if kind is ItemType.nps else 1 if kind is ItemType.smiley else item.min
        high = 10 if kind is ItemType.nps else 4 if kind is ItemType.smiley else item.max
        return int(high if end else low)
    if kind is ItemType.battery:
        value = int(item.max if end else item.min)
        return {c.id: value for c in item.columns}
    return _synthetic_answer(item, 0.0, False, rng)


def _filter_items(instrument: Instrument) -> set[str]:
    """Items that skip logic depends on (e.g. NOK q1, q3, q6, q10)."""
    found: set[str] = set()

    def walk(condition: Any) -> None:
        if condition is None:
            return
        if condition.item is not None:
            found.add(condition.item)
        for inner in condition.conditions:
            walk(inner)

    for section in instrument.sections:
        walk(section.show_if)
        for item in section.items:
            walk(item.show_if)
    return found


def _split_points(section: Any, rng: random.Random) -> dict[str, int]:
    """Share ``section.sum_to`` points among the section's items at random."""
    total = int(section.sum_to)
    weights = [rng.random() + 0.2 for _ in section.items]
    points = [int(total * w / sum(weights)) for w in weights]
    points[0] += total - sum(points)
    return {item.id: p for item, p in zip(section.items, points, strict=True)}


def _scaled(level: float, low: float, high: float, rng: random.Random, reverse: bool) -> int:
    """Map a latent level (about N(0, 1)) onto an integer rating in [low, high]."""
    position = 1.0 / (1.0 + math.exp(-(0.9 * level + 1.5 + rng.gauss(0.0, 0.7))))
    value = low + position * (high - low)
    if reverse:
        value = low + high - value
    return int(min(high, max(low, round(value))))


def _synthetic_answer(item: Any, level: float, reverse: bool, rng: random.Random) -> Any:
    kind = item.type
    if kind is ItemType.text:
        return (
            None
            if rng.random() < 0.85
            else rng.choice(
                ["Больше новых книг", "Удобный график", "Спасибо!", "Нужен Wi-Fi получше"]
            )
        )
    if not item.required and rng.random() < 0.1:
        return None
    if kind is ItemType.yes_no:
        return 1 if rng.random() < 1.0 / (1.0 + math.exp(-(3.3 + 1.1 * level))) else 0
    if kind is ItemType.nps:
        return _scaled(level, 0, 10, rng, reverse)
    if kind is ItemType.smiley:
        return _scaled(level, 1, 4, rng, reverse)
    if kind is ItemType.likert:
        return _scaled(level, item.min, item.max, rng, reverse)
    if kind is ItemType.number:
        low = item.min if item.min is not None else 0
        high = item.max if item.max is not None else 100
        return int(rng.uniform(low, min(high, low + 60)))
    if kind is ItemType.single:
        return rng.choice(item.choices).value
    if kind is ItemType.multi:
        return [c.value for c in item.choices if rng.random() < 0.3] or [item.choices[0].value]
    if kind is ItemType.battery:
        if item.na_allowed and rng.random() < 0.05:
            return {"na": True}
        low, high = item.min, item.max
        ids = [c.id for c in item.columns]
        values = {
            cid: _scaled(level + shift, low, high, rng, False)
            for cid, shift in zip(
                ids, [-1.2, 1.2, 0.0] if len(ids) == 3 else [0.8, 0.0], strict=False
            )
        }
        return values
    return None


def demo_row_counts(session: Session) -> dict[str, int]:
    """Rows of what the demo seeds (libraries, campaigns, accounts, responses), to report."""
    counted = {"libraries": Library, "campaigns": Campaign, "accounts": User, "responses": Response}
    return {
        name: session.execute(select(func.count()).select_from(model)).scalar_one()
        for name, model in counted.items()
    }
