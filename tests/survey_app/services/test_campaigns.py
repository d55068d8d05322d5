"""services.campaigns: creating campaigns, opening and closing them, live response counts.

Covers issue 4 §4: a campaign takes a *published* instrument version, libraries chosen as
all / by system / by type / by hand (active ones only, within the caller's scope), a
period, channels, a Lite share (only for instruments with a Lite form) and a kiosk
partial-response policy; every specification problem is reported at once; open and close
are audited state changes; counts per library and channel come from one GROUP BY query
and respect the caller's scope.  Expected counts are the responses the tests submit.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey_app.extensions import db
from survey_app.models import AuditEvent
from survey_app.models import CampaignStatus
from survey_app.models import InstrumentVersion
from survey_app.models import Library
from survey_app.models import LibrarySystem
from survey_app.models import LibraryType
from survey_app.models import Region
from survey_app.services.campaigns import CampaignSpec
from survey_app.services.campaigns import close_campaign
from survey_app.services.campaigns import create_campaign
from survey_app.services.campaigns import list_campaigns
from survey_app.services.campaigns import open_campaign
from survey_app.services.campaigns import response_counts
from survey_app.services.campaigns import total_counts
from survey_app.services.errors import Conflict
from survey_app.services.errors import Forbidden
from survey_app.services.errors import Invalid
from survey_app.services.errors import NotFound
from survey_app.services.responses import parse_submission
from survey_app.services.responses import record_response
from tests.factories import NOK_ANSWERS
from tests.factories import submission


@pytest.fixture
def network(session: Session, make_library: Callable[..., Library]) -> dict[str, Any]:
    """Two systems: north (central + rural + an inactive branch) and south (children's)."""
    region = Region(code="kem", name="Кемеровская область")
    north = LibrarySystem(region=region, code="north", name="ЦБС Север")
    south = LibrarySystem(region=region, code="south", name="ЦБС Юг")
    session.add_all([north, south])
    libs = {
        "n-central": make_library("n-central", system=north, type=LibraryType.central),
        "n-rural": make_library("n-rural", system=north, type=LibraryType.rural),
        "n-closed": make_library("n-closed", system=north, active=False),
        "s-kids": make_library("s-kids", system=south, type=LibraryType.children),
    }
    return {"north": north, "south": south, **libs}


@pytest.fixture
def methodologist(make_user: Callable[..., Any]) -> Any:
    return make_user("methodologist")


def spec(version: InstrumentVersion, **overrides: Any) -> CampaignSpec:
    values: dict[str, Any] = {
        "code": "spring-2026",
        "title": "Весна 2026",
        "instrument_version_id": version.id,
        "starts_on": date(2026, 3, 1),
        "ends_on": date(2026, 5, 31),
        "channels": ("web", "qr", "paper"),
    }
    values.update(overrides)
    return CampaignSpec(**values)


def codes(campaign: Any) -> list[str]:
    return sorted(library.code for library in campaign.libraries)


def test_create__draft_over_all_active_libraries_and_audited(
    session: Session, network: dict[str, Any], instrument_version: Any, methodologist: Any
) -> None:
    version = instrument_version("nok_culture")
    campaign = create_campaign(session, spec(version), actor=methodologist)
    assert campaign.status == CampaignStatus.draft
    assert codes(campaign) == ["n-central", "n-rural", "s-kids"]
    assert campaign.channels == ["web", "qr", "paper"]
    assert (campaign.starts_on, campaign.ends_on) == (date(2026, 3, 1), date(2026, 5, 31))
    assert (campaign.lite_share, campaign.partial_policy) == (0.0, "discard")
    event_row = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "campaign.create")
    ).one()
    assert event_row.target == "campaign:spring-2026"
    assert event_row.details["libraries"] == 3


@pytest.mark.parametrize(
    ("choice", "field", "value", "expected"),
    [
        ("systems", "system_ids", "north", ["n-central", "n-rural"]),
        ("types", "library_types", ["children", "rural"], ["n-rural", "s-kids"]),
        ("libraries", "library_ids", ["n-central", "s-kids"], ["n-central", "s-kids"]),
    ],
)
def test_create__choosing_libraries(
    session: Session,
    network: dict[str, Any],
    instrument_version: Any,
    choice: str,
    field: str,
    value: Any,
    expected: list[str],
) -> None:
    if field == "system_ids":
        value = [network[value].id]
    elif field == "library_ids":
        value = [network[code].id for code in value]
    version = instrument_version("nok_culture")
    campaign = create_campaign(session, spec(version, choice=choice, **{field: value}))
    assert codes(campaign) == expected


def test_create__inactive_library_chosen_by_hand_is_refused(
    session: Session, network: dict[str, Any], instrument_version: Any
) -> None:
    ids = [network["n-central"].id, network["n-closed"].id]
    with pytest.raises(Invalid) as info:
        create_campaign(
            session, spec(instrument_version("nok_culture"), choice="libraries", library_ids=ids)
        )
    assert [(i.code, i.path) for i in info.value.issues] == [("CMP013", "library_ids")]


def test_create__every_problem_at_once(
    session: Session, network: dict[str, Any], instrument_version: Any
) -> None:
    version = instrument_version("nok_culture")
    version.published_at = None  # a draft version
    bad = spec(
        version,
        code="Spring 2026!",
        title=" ",
        starts_on=date(2026, 6, 1),
        channels=("web", "fax"),
        lite_share=1.5,
        partial_policy="sometimes",
        choice="systems",
    )
    with pytest.raises(Invalid) as info:
        create_campaign(session, bad)
    assert [(i.code, i.path) for i in info.value.issues] == [
        ("CMP001", "code"),
        ("CMP003", "title"),
        ("CMP005", "instrument_version"),
        ("CMP006", "ends_on"),
        ("CMP007", "channels"),
        ("CMP008", "lite_share"),
        ("CMP010", "partial_policy"),
        ("CMP012", "system_ids"),
    ]


def test_create__duplicate_code(
    session: Session, network: dict[str, Any], instrument_version: Any
) -> None:
    version = instrument_version("nok_culture")
    create_campaign(session, spec(version))
    with pytest.raises(Invalid) as info:
        create_campaign(session, spec(version))
    assert [i.code for i in info.value.issues] == ["CMP002"]


def test_create__lite_share_needs_a_lite_form(
    session: Session, network: dict[str, Any], instrument_version: Any
) -> None:
    with pytest.raises(Invalid) as info:
        create_campaign(session, spec(instrument_version("nok_culture"), lite_share=0.3))
    assert [i.code for i in info.value.issues] == ["CMP009"]
    gap = create_campaign(
        session,
        spec(instrument_version("library_gap"), code="gap", lite_share=0.3, partial_policy="keep"),
    )
    assert (gap.lite_share, gap.partial_policy) == (0.3, "keep")


def test_create__quality_manager_may_not(
    session: Session,
    network: dict[str, Any],
    instrument_version: Any,
    make_user: Callable[..., Any],
) -> None:
    with pytest.raises(Forbidden):
        create_campaign(
            session, spec(instrument_version("nok_culture")), actor=make_user("quality_manager")
        )


def test_open_close__state_changes_are_audited(
    session: Session, network: dict[str, Any], instrument_version: Any, methodologist: Any
) -> None:
    campaign = create_campaign(session, spec(instrument_version("nok_culture")))
    with pytest.raises(Conflict):
        close_campaign(session, campaign, actor=methodologist)
    assert open_campaign(session, "spring-2026", actor=methodologist).status == CampaignStatus.open
    with pytest.raises(Conflict):
        open_campaign(session, campaign, actor=methodologist)
    assert close_campaign(session, campaign.id, actor=methodologist).status == CampaignStatus.closed
    actions = session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.action.like("campaign.%"))
        .order_by(AuditEvent.id)
    ).all()
    assert actions == ["campaign.create", "campaign.open", "campaign.close"]


def test_open__unknown_campaign(session: Session, methodologist: Any) -> None:
    with pytest.raises(NotFound):
        open_campaign(session, "nope", actor=methodologist)


def _submit(campaign: Any, library: str, channel: str) -> None:
    body = submission(campaign, NOK_ANSWERS, library=library, channel=channel)
    record_response(db.session, parse_submission(body))


@pytest.fixture
def counted(session: Session, network: dict[str, Any], instrument_version: Any) -> Any:
    campaign = create_campaign(session, spec(instrument_version("nok_culture")))
    open_campaign(session, campaign)
    for library, channel in [
        ("n-central", "qr"), ("n-central", "qr"), ("n-central", "web"),
        ("s-kids", "paper"), ("s-kids", "qr"),
    ]:  # fmt: skip
        _submit(campaign, library, channel)
    return campaign


def test_response_counts__per_library_and_channel_in_one_query(
    session: Session, counted: Any, methodologist: Any
) -> None:
    statements: list[str] = []

    def remember(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "responses" in statement:
            statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", remember)
    try:
        counts = response_counts(session, counted, actor=methodologist)
    finally:
        event.remove(engine, "before_cursor_execute", remember)
    assert len(statements) == 1 and "GROUP BY" in statements[0]
    assert counts.channels == ("web", "qr", "paper")
    table = {row.library.code: (row.by_channel, row.total) for row in counts.rows}
    assert table == {
        "n-central": ({"qr": 2, "web": 1}, 3),
        "n-rural": ({}, 0),
        "s-kids": ({"paper": 1, "qr": 1}, 2),
    }
    assert counts.totals == {"web": 1, "qr": 3, "paper": 1}
    assert counts.total == 5


def test_response_counts__librarian_sees_own_library_only(
    session: Session, counted: Any, network: dict[str, Any], make_user: Callable[..., Any]
) -> None:
    librarian = make_user("library_staff", library=network["s-kids"])
    counts = response_counts(session, counted, actor=librarian)
    assert [(r.library.code, r.by_channel) for r in counts.rows] == [
        ("s-kids", {"paper": 1, "qr": 1})
    ]
    assert counts.total == 2
    assert total_counts(session, [counted], actor=librarian) == {counted.id: 2}
    assert total_counts(session, [counted]) == {counted.id: 5}


def test_list_campaigns__scoped(
    session: Session,
    network: dict[str, Any],
    instrument_version: Any,
    make_user: Callable[..., Any],
) -> None:
    version = instrument_version("nok_culture")
    north = create_campaign(
        session,
        spec(version, code="north-only", choice="systems", system_ids=[network["north"].id]),
    )
    everywhere = create_campaign(session, spec(version, code="everywhere"))
    librarian = make_user("library_staff", library=network["s-kids"])
    assert [c.code for c in list_campaigns(session, actor=librarian)] == ["everywhere"]
    assert {c.code for c in list_campaigns(session)} == {north.code, everywhere.code}
