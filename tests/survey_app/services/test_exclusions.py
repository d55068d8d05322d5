"""Response exclusions and the scoped results read side (issue 4 §1, §7), with a real session.

Covers: excluding and restoring a response (kept, marked, audited with the reason, reversible),
the reason rule (EXC001 blank, EXC002 too long), permission (library staff may not exclude)
and scope (a response of a library outside the scope is NotFound, like a missing one),
excluded rows leaving the wide export unless asked for (then with an ``excluded`` column),
the export's library filter, the scoped export per role, and the counts and latest-response
pages of the results blueprint. Expected counts are those of the responses each test makes.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

from survey_app.models import AuditEvent
from survey_app.models import Campaign
from survey_app.models import LibrarySystem
from survey_app.models import Region
from survey_app.models import Response
from survey_app.services.errors import Conflict
from survey_app.services.errors import Forbidden
from survey_app.services.errors import Invalid
from survey_app.services.errors import NotFound
from survey_app.services.exclusions import MAX_REASON_LENGTH
from survey_app.services.exclusions import campaign_results
from survey_app.services.exclusions import campaigns_with_results
from survey_app.services.exclusions import exclude_response
from survey_app.services.exclusions import library_results
from survey_app.services.exclusions import restore_response
from survey_app.services.exclusions import scoped_export
from survey_app.services.exports import META_COLUMNS
from survey_app.services.exports import export_rows
from survey_app.services.exports import iter_csv
from survey_app.services.exports import wide_columns
from survey_app.services.exports import write_csv
from survey_app.services.instruments import instrument_of
from survey_app.services.responses import parse_submission
from survey_app.services.responses import record_response
from tests.factories import NOK_ANSWERS
from tests.factories import submission


def respond(
    session: Session,
    campaign: Campaign,
    library_code: str,
    *,
    channel: str = "qr",
    received_at: datetime | None = None,
) -> uuid.UUID:
    """Store one valid response for ``library_code``; optionally pin its server time."""
    receipt = record_response(
        session,
        parse_submission(submission(campaign, NOK_ANSWERS, library=library_code, channel=channel)),
    )
    if received_at is not None:
        session.execute(
            update(Response)
            .where(Response.client_uuid == receipt.id)
            .values(received_at=received_at)
        )
    return receipt.id


@pytest.fixture
def world(
    session: Session,
    make_library: Callable[..., Any],
    make_campaign: Callable[..., Campaign],
    make_user: Callable[..., Any],
) -> SimpleNamespace:
    """Two systems; OWN-1 and SIB-2 in NORTH, OTHER-3 in SOUTH; campaign SPRING over all three.

    Responses: OWN-1 three (a, b, c), SIB-2 one (s), OTHER-3 two (o, p).
    """
    region = Region(code="kem", name="Кемерово")
    north = LibrarySystem(region=region, code="NORTH", name="ЦБС Северная")
    south = LibrarySystem(region=region, code="SOUTH", name="ЦБС Южная")
    session.add_all([north, south])
    session.flush()
    own = make_library("OWN-1", system=north)
    sibling = make_library("SIB-2", system=north)
    other = make_library("OTHER-3", system=south)
    campaign = make_campaign(code="spring", libraries=[own, sibling, other])
    at = [datetime(2026, 3, day, 12, 0, tzinfo=UTC) for day in range(1, 7)]
    ids = SimpleNamespace(
        a=respond(session, campaign, "OWN-1", received_at=at[0]),
        b=respond(session, campaign, "OWN-1", channel="kiosk", received_at=at[2]),
        c=respond(session, campaign, "OWN-1", received_at=at[1]),
        s=respond(session, campaign, "SIB-2", received_at=at[3]),
        o=respond(session, campaign, "OTHER-3", received_at=at[4]),
        p=respond(session, campaign, "OTHER-3", received_at=at[5]),
    )
    return SimpleNamespace(
        own=own,
        sibling=sibling,
        other=other,
        north=north,
        campaign=campaign,
        ids=ids,
        admin=make_user("admin"),
        methodologist=make_user("methodologist"),
        manager=make_user("quality_manager", system=north),
        region_manager=make_user("quality_manager"),
        staff=make_user("library_staff", library=own),
    )


def events(session: Session) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent).where(AuditEvent.action.like("response.%")).order_by(AuditEvent.id)
        )
    )


def stored(session: Session, response_id: uuid.UUID) -> Response:
    response = session.scalar(select(Response).where(Response.client_uuid == response_id))
    assert response is not None
    return response


def exported_ids(rows: Any) -> set[str]:
    return {row["response_id"] for row in rows}


# --- exclude / restore ----------------------------------------------------------------------


def test_exclude_response__marks_keeps_and_audits_with_the_reason(session, world):
    before = session.scalar(select(func.count(Response.id)))
    response = exclude_response(session, world.manager, world.ids.a, "  straight-lining  ")
    assert response.excluded_at is not None
    assert response.excluded_reason == "straight-lining"
    assert response.excluded_by_id == world.manager.id
    assert session.scalar(select(func.count(Response.id))) == before  # kept, never deleted
    (event,) = events(session)
    assert event.action == "response.exclude"
    assert event.actor_id == world.manager.id
    assert event.target == f"response:{world.ids.a}"
    assert event.details == {"reason": "straight-lining", "campaign": "spring", "library": "OWN-1"}


def test_restore_response__clears_the_mark_and_audits_both_reasons(session, world):
    exclude_response(session, world.manager, str(world.ids.a), "straight-lining")
    response = restore_response(session, world.admin, str(world.ids.a).upper(), "checked: fine")
    assert (response.excluded_at, response.excluded_reason, response.excluded_by_id) == (
        None,
        None,
        None,
    )
    first, second = events(session)
    assert (first.action, first.details["reason"]) == ("response.exclude", "straight-lining")
    assert second.action == "response.restore"
    assert second.actor_id == world.admin.id
    assert second.details == {
        "reason": "checked: fine",
        "campaign": "spring",
        "library": "OWN-1",
        "excluded_reason": "straight-lining",
    }


def test_exclude_response__blank_reason__invalid_and_nothing_changes(session, world):
    for reason in ("", "   \n"):
        with pytest.raises(Invalid) as caught:
            exclude_response(session, world.manager, world.ids.a, reason)
        assert [(i.code, i.path) for i in caught.value.issues] == [("EXC001", "reason")]
    with pytest.raises(Invalid) as caught:
        restore_response(session, world.manager, world.ids.a, "")
    assert [i.code for i in caught.value.issues] == ["EXC001"]
    assert stored(session, world.ids.a).excluded_at is None
    assert events(session) == []


def test_exclude_response__reason_longer_than_500__invalid(session, world):
    exclude_response(session, world.manager, world.ids.b, "x" * MAX_REASON_LENGTH)  # the limit
    with pytest.raises(Invalid) as caught:
        exclude_response(session, world.manager, world.ids.a, "x" * (MAX_REASON_LENGTH + 1))
    assert [i.code for i in caught.value.issues] == ["EXC002"]
    assert stored(session, world.ids.a).excluded_at is None


def test_exclude_response__already_excluded__conflict(session, world):
    exclude_response(session, world.manager, world.ids.a, "duplicate")
    with pytest.raises(Conflict):
        exclude_response(session, world.manager, world.ids.a, "again")
    with pytest.raises(Conflict):
        restore_response(session, world.manager, world.ids.b, "not excluded")
    assert len(events(session)) == 1


def test_exclude_response__library_staff__forbidden_even_for_their_own_library(session, world):
    with pytest.raises(Forbidden):
        exclude_response(session, world.staff, world.ids.a, "mine")
    assert stored(session, world.ids.a).excluded_at is None


def test_exclude_response__outside_the_scope__not_found_like_a_missing_one(session, world):
    with pytest.raises(NotFound) as hidden:
        exclude_response(session, world.manager, world.ids.o, "other system")
    with pytest.raises(NotFound) as missing:
        exclude_response(session, world.manager, uuid.uuid4(), "no such")
    with pytest.raises(NotFound) as garbage:
        exclude_response(session, world.manager, "not-a-uuid", "garbage")
    assert hidden.value.message == missing.value.message == garbage.value.message
    assert stored(session, world.ids.o).excluded_at is None
    # the reason is checked only after the scope: a blank reason does not reveal existence
    with pytest.raises(NotFound):
        exclude_response(session, world.manager, world.ids.o, "")


def test_exclude_response__region_roles_reach_every_library(session, world):
    exclude_response(session, world.region_manager, world.ids.o, "test entry")
    exclude_response(session, world.methodologist, world.ids.p, "test entry")
    assert stored(session, world.ids.o).excluded_by_id == world.region_manager.id
    assert stored(session, world.ids.p).excluded_by_id == world.methodologist.id


# --- the export -----------------------------------------------------------------------------


def test_export_rows__excluded_left_out_by_default_and_back_after_restore(session, world):
    all_ids = {str(i) for i in vars(world.ids).values()}
    exclude_response(session, world.admin, world.ids.b, "test entry by staff")
    assert exported_ids(export_rows(session, "spring")) == all_ids - {str(world.ids.b)}
    restore_response(session, world.admin, world.ids.b, "a real visitor after all")
    assert exported_ids(export_rows(session, "spring")) == all_ids


def test_export_rows__include_excluded__adds_the_excluded_column(session, world):
    exclude_response(session, world.admin, world.ids.b, "test entry")
    instrument = instrument_of(world.campaign.instrument_version)
    columns = wide_columns(instrument, include_excluded=True)
    assert columns[: len(META_COLUMNS) + 1] == [*META_COLUMNS, "excluded"]
    assert columns[len(META_COLUMNS) + 1 :] == wide_columns(instrument)[len(META_COLUMNS) :]
    rows = list(export_rows(session, "spring", include_excluded=True))
    flags = {row["response_id"]: row["excluded"] for row in rows}
    assert flags == {str(i): int(i == world.ids.b) for i in vars(world.ids).values()}
    assert all(set(row) == set(columns) for row in rows)
    assert "excluded" not in next(export_rows(session, "spring"))


def test_export_rows__library_ids__only_those_libraries(session, world):
    got = exported_ids(export_rows(session, "spring", library_ids={world.sibling.id}))
    assert got == {str(world.ids.s)}
    got = exported_ids(export_rows(session, "spring", library_ids=[world.own.id, world.other.id]))
    assert got == {
        str(i) for i in (world.ids.a, world.ids.b, world.ids.c, world.ids.o, world.ids.p)
    }
    assert list(export_rows(session, "spring", library_ids=())) == []


def test_iter_csv__same_text_as_write_csv_in_pieces(session, world):
    import io

    instrument = instrument_of(world.campaign.instrument_version)
    columns = wide_columns(instrument)
    whole = io.StringIO(newline="")
    write_csv(whole, columns, export_rows(session, "spring"))
    pieces = list(iter_csv(columns, export_rows(session, "spring"), rows_per_chunk=4))
    assert len(pieces) == 2  # 6 rows: 4, then 2
    assert "".join(pieces) == whole.getvalue()
    assert whole.getvalue().count("\r\n") == 7  # header + 6 rows


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("staff", "abc"),
        ("manager", "abcs"),
        ("region_manager", "abcsop"),
        ("methodologist", "abcsop"),
        ("admin", "abcsop"),
    ],
)
def test_scoped_export__exactly_the_libraries_in_scope(session, world, who, expected):
    export = scoped_export(session, getattr(world, who), "spring")
    assert exported_ids(export.rows) == {str(getattr(world.ids, key)) for key in expected}
    assert export.filename("csv") == "spring_responses.csv"


def test_scoped_export__one_library__by_code_any_case_or_id(session, world):
    for ref in ("SIB-2", "sib-2", str(world.sibling.id), world.sibling.id):
        export = scoped_export(session, world.manager, "SPRING", library_ref=ref)
        assert exported_ids(export.rows) == {str(world.ids.s)}
        assert export.filename("xlsx") == "spring_SIB-2_responses.xlsx"


def test_scoped_export__library_outside_scope_or_campaign__not_found(session, world, make_library):
    elsewhere = make_library("ELSE-9", system=world.north)  # in scope, not in the campaign
    for who, ref in [
        (world.staff, "SIB-2"),
        (world.staff, "other-3"),
        (world.staff, str(world.other.id)),
        (world.manager, "OTHER-3"),
        (world.manager, "ELSE-9"),
        (world.admin, elsewhere.id),
        (world.admin, "NO-SUCH"),
    ]:
        with pytest.raises(NotFound):
            scoped_export(session, who, "spring", library_ref=ref)


def test_scoped_export__campaign_without_a_library_in_scope__not_found(
    session, world, make_campaign, make_user
):
    make_campaign(code="autumn", libraries=[world.other])
    with pytest.raises(NotFound):
        scoped_export(session, world.staff, "autumn")
    with pytest.raises(NotFound):
        scoped_export(session, world.manager, "autumn")
    assert scoped_export(session, world.admin, "autumn").campaign.code == "autumn"


def test_scoped_export__include_excluded(session, world):
    exclude_response(session, world.manager, world.ids.c, "speeder")
    export = scoped_export(session, world.staff, "spring")
    assert exported_ids(export.rows) == {str(world.ids.a), str(world.ids.b)}
    export = scoped_export(session, world.staff, "spring", include_excluded=True)
    assert "excluded" in export.columns
    assert {row["response_id"]: row["excluded"] for row in export.rows} == {
        str(world.ids.a): 0,
        str(world.ids.b): 0,
        str(world.ids.c): 1,
    }


# --- results pages --------------------------------------------------------------------------


def test_campaign_results__libraries_in_scope_with_counts(session, world):
    exclude_response(session, world.admin, world.ids.a, "test")
    exclude_response(session, world.admin, world.ids.o, "test")
    mine = campaign_results(session, world.staff, "spring")
    assert [(t.library.code, t.total, t.excluded, t.included) for t in mine.libraries] == [
        ("OWN-1", 3, 1, 2)
    ]
    assert mine.libraries[0].last_received_at == datetime(2026, 3, 3, 12, 0, tzinfo=UTC)
    system = campaign_results(session, world.manager, "spring")
    assert [(t.library.code, t.total, t.excluded) for t in system.libraries] == [
        ("OWN-1", 3, 1),
        ("SIB-2", 1, 0),
    ]
    everything = campaign_results(session, world.admin, "spring")
    assert (everything.total, everything.excluded) == (6, 2)
    assert [t.library.code for t in everything.libraries] == ["OWN-1", "SIB-2", "OTHER-3"]


def test_campaign_results__library_without_responses_shows_zero(session, world, make_library):
    quiet = make_library("QUIET-4", system=world.north)
    world.campaign.libraries.append(quiet)
    session.flush()
    tallies = {
        t.library.code: t for t in campaign_results(session, world.manager, "spring").libraries
    }
    assert (tallies["QUIET-4"].total, tallies["QUIET-4"].last_received_at) == (0, None)


def test_campaigns_with_results__counts_in_scope_only(session, world, make_campaign):
    make_campaign(code="autumn", libraries=[world.other])
    exclude_response(session, world.admin, world.ids.b, "test")
    assert [
        (c.campaign.code, c.total, c.excluded) for c in campaigns_with_results(session, world.staff)
    ] == [("spring", 3, 1)]
    got = {
        c.campaign.code: (c.total, c.included) for c in campaigns_with_results(session, world.admin)
    }
    assert got == {"spring": (6, 5), "autumn": (0, 0)}


def test_library_results__newest_first_with_exclusion_details_and_pages(session, world):
    exclude_response(session, world.manager, world.ids.c, "speeder")
    page = library_results(session, world.manager, "spring", "own-1", per_page=2)
    assert [row.id for row in page.rows] == [world.ids.b, world.ids.c]  # received 3rd, 2nd March
    assert [row.channel for row in page.rows] == ["kiosk", "qr"]
    assert [row.excluded for row in page.rows] == [False, True]
    assert page.rows[1].excluded_reason == "speeder"
    assert page.rows[1].excluded_by == world.manager.email
    assert page.pages == 2
    second = library_results(session, world.manager, "spring", world.own.id, page=2, per_page=2)
    assert [row.id for row in second.rows] == [world.ids.a]


def test_library_results__other_library__not_found(session, world):
    for ref in ("SIB-2", "sib-2", str(world.sibling.id), "OTHER-3", "NOPE"):
        with pytest.raises(NotFound):
            library_results(session, world.staff, "spring", ref)
    with pytest.raises(NotFound):
        library_results(session, world.manager, "spring", "OTHER-3")


def test_exclude_response__page_of_another_library__not_found(session, world):
    with pytest.raises(NotFound):
        exclude_response(
            session, world.manager, world.ids.s, "sibling's", campaign_ref="spring",
            library_ref="OWN-1",
        )  # fmt: skip
    assert stored(session, world.ids.s).excluded_at is None
    exclude_response(
        session, world.manager, world.ids.s, "its own page", campaign_ref="spring",
        library_ref="SIB-2",
    )  # fmt: skip
    assert stored(session, world.ids.s).excluded_reason == "its own page"


# --- re-identification by time and small cells (issue 12 §7) ---------------------------------


def test_scoped_export__library_staff_get_dates_and_no_small_channel(session, world):
    """OWN-1 has a, c on the QR channel (2 responses) and b alone on the kiosk (1 response)."""
    rows = {
        row["response_id"]: row
        for row in scoped_export(session, world.staff, "spring", small_cell_min=2).rows
    }
    a, b = rows[str(world.ids.a)], rows[str(world.ids.b)]
    assert a["received_at"] == "2026-03-01" and b["received_at"] == "2026-03-03"
    assert a["channel"] == "qr"  # two responses share it
    assert b["channel"] is None  # the one kiosk response would single its visitor out
    assert (
        events(session) == []
        and not session.scalars(
            select(AuditEvent).where(AuditEvent.action == "results.export")
        ).all()
    )


def test_scoped_export__other_roles_get_full_precision_and_are_audited(session, world):
    export = scoped_export(session, world.manager, "spring", library_ref="OWN-1")
    rows = {row["response_id"]: row for row in export.rows}
    assert rows[str(world.ids.b)]["received_at"] == "2026-03-03T12:00:00Z"
    assert rows[str(world.ids.b)]["channel"] == "kiosk"
    (event,) = session.scalars(select(AuditEvent).where(AuditEvent.action == "results.export"))
    assert event.actor_id == world.manager.id
    assert event.details == {"library": "OWN-1", "include_excluded": False}
