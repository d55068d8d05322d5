"""The audit log (issue 4 §7): events record actor, action, target and details, and the
administrators' view filters them by action (exact or prefix), actor and date range."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime

import pytest
from sqlalchemy import delete

from survey_app.models import AuditEvent
from survey_app.models import LibraryType
from survey_app.services import audit


def test_record__stores_actor_action_target_and_plain_details(session, make_user, make_library):
    admin = make_user("admin", email="chief@example.org")
    library = make_library("LIB-1")
    event = audit.record(
        session,
        admin,
        "library.update",
        library,
        changes={"type": [LibraryType.branch, LibraryType.rural]},
        when=date(2026, 3, 1),
    )
    stored = session.get(AuditEvent, event.id)
    assert stored.actor is admin
    assert (stored.action, stored.target) == ("library.update", "library:LIB-1")
    assert stored.details == {"changes": {"type": ["branch", "rural"]}, "when": "2026-03-01"}
    assert stored.at.tzinfo is not None


def test_record__without_actor_means_the_command_line(session):
    event = audit.record(session, None, "import.libraries", "network.csv", created=3)
    assert event.actor_id is None
    assert event.target == "network.csv"
    assert event.details == {"created": 3}


def test_record__rejects_an_empty_action(session):
    with pytest.raises(ValueError, match="action"):
        audit.record(session, None, "")


@pytest.fixture
def history(session, make_user):
    """Five events by two people on three days (times set by hand)."""
    alice = make_user("admin", email="alice@example.org")
    bob = make_user("methodologist", email="bob@example.org")
    session.execute(delete(AuditEvent))  # the two user.create events of the factory
    rows = [
        (datetime(2026, 3, 1, 9, 0, tzinfo=UTC), alice, "user.create", "user:x@example.org"),
        (datetime(2026, 3, 1, 23, 59, tzinfo=UTC), bob, "campaign.open", "campaign:SPRING"),
        (datetime(2026, 3, 2, 12, 0, tzinfo=UTC), bob, "campaign.close", "campaign:SPRING"),
        (datetime(2026, 3, 3, 8, 0, tzinfo=UTC), alice, "user.deactivate", "user:x@example.org"),
        (datetime(2026, 3, 3, 9, 0, tzinfo=UTC), None, "import.libraries", "libs.csv"),
    ]
    for at, actor, action, target in rows:
        session.add(AuditEvent(at=at, actor=actor, action=action, target=target))
    session.flush()
    return alice, bob


def actions(found) -> list[str]:
    return [event.action for event in found]


def test_events__newest_first(session, history):
    assert actions(audit.events(session)) == [
        "import.libraries",
        "user.deactivate",
        "campaign.close",
        "campaign.open",
        "user.create",
    ]


def test_events__by_exact_action_or_prefix(session, history):
    assert actions(audit.events(session, action="campaign.open")) == ["campaign.open"]
    assert actions(audit.events(session, action="campaign")) == ["campaign.close", "campaign.open"]
    assert actions(audit.events(session, action="campaign.*")) == [
        "campaign.close",
        "campaign.open",
    ]
    assert actions(audit.events(session, action="camp")) == []


def test_events__by_actor_object_id_or_email(session, history):
    alice, bob = history
    expected = ["user.deactivate", "user.create"]
    assert actions(audit.events(session, actor=alice)) == expected
    assert actions(audit.events(session, actor=alice.id)) == expected
    assert actions(audit.events(session, actor="ALICE@example.org")) == expected
    assert actions(audit.events(session, actor=bob, action="user")) == []


def test_events__date_range_includes_whole_days(session, history):
    # since 2026-03-01 (inclusive) until 2026-03-01 (that whole day, UTC): 09:00 and 23:59
    one_day = audit.events(session, since=date(2026, 3, 1), until=date(2026, 3, 1))
    assert actions(one_day) == ["campaign.open", "user.create"]
    later = audit.events(session, since=datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    assert actions(later) == ["import.libraries", "user.deactivate", "campaign.close"]


def test_events__limit_and_offset_page_through(session, history):
    assert actions(audit.events(session, limit=2, offset=1)) == [
        "user.deactivate",
        "campaign.close",
    ]


def test_events__naive_datetimes_are_refused(session, history):
    with pytest.raises(ValueError, match="naive"):
        audit.events(session, since=datetime(2026, 3, 1))
