"""Kiosk tablets (issue 11): enrolment, the device credential, batches, ballot stuffing.

Written from docs/kiosk-protocol.md: a pairing code works once and for 15 minutes; a revoked
or unknown token finds no device; each batch item gets its own receipt (created, duplicate,
conflict, rejected with a code) and one bad item never sinks the others; a resent batch is
all "duplicate"; partial responses are stored (flagged "partial") only under a "keep" policy;
responses closer than the minimum interval, or in a burst, are stored and flagged.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlalchemy import select

from survey_app.models import AuditEvent
from survey_app.models import KioskDevice
from survey_app.models import KioskQuarantine
from survey_app.models import Response
from survey_app.services import kiosks
from survey_app.services.errors import BadRequest
from survey_app.services.errors import Forbidden
from survey_app.services.errors import Gone
from survey_app.services.errors import Invalid
from survey_app.services.errors import NotFound
from survey_app.services.errors import TooLarge

SETTINGS = kiosks.KioskSettings(min_interval_seconds=5, burst_count=10, burst_window_seconds=120)
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def desk(session, make_user, make_library, make_campaign):
    """A library with a service point, its staff member and a kiosk_pulse campaign."""
    library = make_library(service_points=["desk"])
    staff = make_user("library_staff", library=library)
    campaign = make_campaign("kiosk_pulse", libraries=[library], channels=["web", "kiosk"])
    return library, staff, campaign


@pytest.fixture
def paired(session, desk):
    """A paired kiosk: (device, token)."""
    library, staff, campaign = desk
    device, code = kiosks.create_kiosk(
        session, actor=staff, library=library, name="Абонемент", campaign=campaign.code
    )
    device, token = kiosks.pair(session, code)
    session.commit()
    return device, token


def item(moment: datetime = T0, mood: int = 3, **extra):
    body = {
        "id": str(uuid.uuid4()),
        "answers": {"mood": mood},
        "started_at": (moment - timedelta(seconds=20)).isoformat(),
        "submitted_at": moment.isoformat(),
    }
    body.update(extra)
    return body


def stored(session) -> int:
    return session.scalar(select(func.count()).select_from(Response))


# --- enrolment ----------------------------------------------------------------------------


def test_pairing__gives_a_token_stored_only_as_its_sha256(session, desk):
    library, staff, campaign = desk
    device, code = kiosks.create_kiosk(
        session, actor=staff, library=library, name="Абонемент", campaign=campaign.code
    )
    assert len(code) == 8 and set(code) <= set(kiosks.CODE_ALPHABET)

    paired, token = kiosks.pair(session, kiosks.grouped(code).lower())

    assert paired is device and token.startswith("kd_") and len(token) > 40
    assert device.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert kiosks.device_for_token(session, token) is device


def test_pairing_code__works_once(session, desk):
    library, staff, campaign = desk
    _, code = kiosks.create_kiosk(
        session, actor=staff, library=library, name="A", campaign=campaign.code
    )
    kiosks.pair(session, code)
    with pytest.raises(Gone) as used:
        kiosks.pair(session, code)
    assert used.value.code == "KIO410"


def test_pairing_code__expires_after_15_minutes(session, desk):
    library, staff, campaign = desk
    _, code = kiosks.create_kiosk(
        session, actor=staff, library=library, name="A", campaign=campaign.code, now=T0
    )
    with pytest.raises(Gone):
        kiosks.pair(session, code, now=T0 + timedelta(minutes=15))
    device, _ = kiosks.pair(session, code, now=T0 + timedelta(minutes=14, seconds=59))
    assert device.paired_at is not None


def test_unknown_pairing_code__is_a_400(session, desk):
    with pytest.raises(BadRequest) as unknown:
        kiosks.pair(session, "ZZZZ-ZZZZ")
    assert unknown.value.code == "KIO400"


def test_repair__old_token_works_until_the_new_pairing_completes(session, desk, paired):
    _, staff, _ = desk
    device, old = paired
    code = kiosks.repair(session, device, actor=staff)
    assert kiosks.device_for_token(session, old) is device

    _, new = kiosks.pair(session, code)

    assert kiosks.device_for_token(session, old) is None
    assert kiosks.device_for_token(session, new) is device


def test_repair__an_earlier_open_code_stops_working(session, desk, paired):
    _, staff, _ = desk
    device, _ = paired
    first = kiosks.repair(session, device, actor=staff)
    kiosks.repair(session, device, actor=staff)
    with pytest.raises(Gone):
        kiosks.pair(session, first)


def test_revoked_device__its_token_finds_nothing_and_its_codes_die(session, desk, paired):
    _, staff, _ = desk
    device, token = paired
    code = kiosks.repair(session, device, actor=staff)

    kiosks.revoke(session, device, actor=staff)

    assert kiosks.device_for_token(session, token) is None
    with pytest.raises(Gone):
        kiosks.pair(session, code)


@pytest.mark.parametrize("token", ["", "kd_", "kd_nope", "Bearer x", "x" * 500])
def test_unknown_token__finds_no_device(session, paired, token):
    assert kiosks.device_for_token(session, token) is None


def test_enrolment__is_audit_logged_without_secrets(session, desk, paired):
    _, staff, _ = desk
    device, token = paired
    kiosks.set_pin(session, device, "4711", actor=staff)
    kiosks.rename(session, device, "Читальный зал", actor=staff)
    kiosks.revoke(session, device, actor=staff)

    events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    actions = [e.action for e in events if e.action.startswith("kiosk.")]
    assert actions == [
        "kiosk.create",
        "kiosk.pair",
        "kiosk.pin",
        "kiosk.rename",
        "kiosk.revoke",
    ]
    text = repr([(e.target, e.details) for e in events])
    assert "4711" not in text and token not in text


def test_pin__is_pbkdf2_sha256_the_tablet_can_recompute(session, desk, paired):
    _, staff, _ = desk
    device, _ = paired
    kiosks.set_pin(session, device, "2468", actor=staff)

    salt = base64.b64decode(device.pin_salt)
    expected = hashlib.pbkdf2_hmac("sha256", b"2468", salt, device.pin_iterations)
    assert base64.b64decode(device.pin_hash) == expected
    assert device.pin_iterations >= 100_000


@pytest.mark.parametrize("pin", ["123", "123456789", "12a4", ""])
def test_pin__must_be_4_to_8_digits(session, desk, paired, pin):
    _, staff, _ = desk
    with pytest.raises(Invalid):
        kiosks.set_pin(session, paired[0], pin, actor=staff)


def test_create__only_in_the_staff_members_library(session, desk, make_library, make_user):
    _, staff, campaign = desk
    other = make_library()
    with pytest.raises(NotFound):
        kiosks.create_kiosk(session, actor=staff, library=other, name="A", campaign=campaign.code)
    manager = make_user("quality_manager")
    with pytest.raises(Forbidden):
        kiosks.create_kiosk(
            session, actor=manager, library=desk[0], name="A", campaign=campaign.code
        )


def test_create__campaign_must_take_kiosk_answers(session, desk, make_campaign):
    library, staff, _ = desk
    web_only = make_campaign("kiosk_pulse", libraries=[library], channels=["web"])
    with pytest.raises(Invalid) as refused:
        kiosks.create_kiosk(session, actor=staff, library=library, name="A", campaign=web_only.code)
    assert [i.path for i in refused.value.issues] == ["campaign"]


# --- batches ------------------------------------------------------------------------------


def test_batch__each_item_created_with_the_devices_campaign_library_and_channel(
    session, desk, paired
):
    library, _, campaign = desk
    device, _ = paired
    items = [item(T0 + timedelta(minutes=i)) for i in range(3)]

    result = kiosks.receive_batch(session, device, {"items": items}, SETTINGS)

    assert [r["status"] for r in result["results"]] == ["created"] * 3
    rows = session.execute(
        select(Response.campaign_id, Response.library_id, Response.channel, Response.device_id)
    ).all()
    assert rows == [(campaign.id, library.id, "kiosk", device.public_id)] * 3


def test_resent_batch__every_item_is_a_duplicate_nothing_stored_twice(session, paired):
    device, _ = paired
    items = [item(T0 + timedelta(minutes=i)) for i in range(5)]
    kiosks.receive_batch(session, device, {"items": items}, SETTINGS)

    again = kiosks.receive_batch(session, device, {"items": items}, SETTINGS)

    assert [r["status"] for r in again["results"]] == ["duplicate"] * 5
    assert [r["id"] for r in again["results"]] == [i["id"] for i in items]
    assert stored(session) == 5


def test_same_item_twice_in_one_batch__created_then_duplicate(session, paired):
    device, _ = paired
    once = item(T0)
    other = {**item(T0 + timedelta(minutes=1)), "id": once["id"], "answers": {"mood": 1}}

    result = kiosks.receive_batch(session, device, {"items": [once, once, other]}, SETTINGS)

    assert [r["status"] for r in result["results"]] == ["created", "duplicate", "conflict"]
    assert stored(session) == 1


def test_conflicting_item__is_a_conflict_while_the_rest_of_the_batch_stores(session, paired):
    device, _ = paired
    first = item(T0, mood=4)
    kiosks.receive_batch(session, device, {"items": [first]}, SETTINGS)
    changed = {**first, "answers": {"mood": 1}}
    fresh = [item(T0 + timedelta(minutes=1)), item(T0 + timedelta(minutes=2))]

    result = kiosks.receive_batch(
        session, device, {"items": [fresh[0], changed, fresh[1]]}, SETTINGS
    )

    assert [r["status"] for r in result["results"]] == ["created", "conflict", "created"]
    assert result["results"][1]["code"] == "API409"
    assert stored(session) == 3


@pytest.mark.parametrize(
    ("bad", "code"),
    [
        ({"id": "not-a-uuid"}, "API004"),
        ({"answers": {"mood": 9}}, "ANS"),
        ({"answers": {}}, "ANS"),
        ({"answers": {"nope": 1, "mood": 2}}, "ANS"),
        ({"submitted_at": "yesterday"}, "API006"),
        ({"campaign": "other"}, "API002"),
        ({"partial": "yes"}, "API003"),
    ],
)
def test_rejected_item__has_a_code_and_the_rest_stores(session, paired, bad, code):
    device, _ = paired
    good = [item(T0), item(T0 + timedelta(minutes=2))]
    wrong = {**item(T0 + timedelta(minutes=1)), **bad}

    result = kiosks.receive_batch(session, device, {"items": [good[0], wrong, good[1]]}, SETTINGS)

    statuses = [r["status"] for r in result["results"]]
    assert statuses == ["created", "rejected", "created"]
    assert result["results"][1]["code"].startswith(code)
    assert result["results"][1]["message"]
    assert stored(session) == 2


def test_item_the_database_refuses__rejected_while_the_rest_of_the_batch_stores(
    session, paired, monkeypatch
):
    from sqlalchemy.exc import IntegrityError

    from survey_app.services import responses

    device, _ = paired
    items = [item(T0 + timedelta(minutes=i)) for i in range(4)]
    poisoned = uuid.UUID(items[2]["id"])
    real_store, real_store_many = responses.store, responses.store_many

    def store(connection, target, response, rows):
        if response["client_uuid"] == poisoned:
            raise IntegrityError("INSERT", {}, Exception("refused"))
        return real_store(connection, target, response, rows)

    def store_many(connection, entries):
        if any(response["client_uuid"] == poisoned for _, response, _ in entries):
            raise IntegrityError("INSERT", {}, Exception("refused"))
        return real_store_many(connection, entries)

    monkeypatch.setattr(responses, "store", store)
    monkeypatch.setattr(responses, "store_many", store_many)

    result = kiosks.receive_batch(session, device, {"items": items}, SETTINGS)

    assert [r["status"] for r in result["results"]] == [
        "created",
        "created",
        "rejected",
        "created",
    ]
    assert result["results"][2]["code"] == "KIO422"
    assert stored(session) == 3
    assert session.scalar(select(func.count()).select_from(KioskQuarantine)) == 1


def test_refused_items__are_counted_once_for_the_fleet_page(session, paired):
    device, _ = paired
    bad = item(T0, mood=9)
    kiosks.receive_batch(session, device, {"items": [bad]}, SETTINGS)
    kiosks.receive_batch(session, device, {"items": [bad]}, SETTINGS)
    assert session.scalar(select(func.count()).select_from(KioskQuarantine)) == 1


def test_batch_of_more_than_100_items__is_refused_whole(session, paired):
    device, _ = paired
    with pytest.raises(TooLarge):
        kiosks.receive_batch(session, device, {"items": [item()] * 101}, SETTINGS)
    assert stored(session) == 0


@pytest.mark.parametrize("body", [[], {"items": "x"}, {}, None])
def test_batch_body_not_an_items_list__is_invalid(session, paired, body):
    with pytest.raises(Invalid):
        kiosks.receive_batch(session, paired[0], body, SETTINGS)


def test_closed_campaign__items_rejected_not_lost_silently(session, desk, paired):
    _, _, campaign = desk
    campaign.status = "closed"
    session.commit()
    result = kiosks.receive_batch(session, paired[0], {"items": [item()]}, SETTINGS)
    assert result["results"][0]["status"] == "rejected"
    assert result["results"][0]["code"] == "API404"


# --- partial responses --------------------------------------------------------------------


def test_partial_under_discard__rejected_with_a_code(session, paired):
    result = kiosks.receive_batch(
        session, paired[0], {"items": [item(partial=True, answers={})]}, SETTINGS
    )
    assert result["results"][0]["status"] == "rejected"
    assert result["results"][0]["code"] == "KIO422"
    assert stored(session) == 0


def test_partial_under_keep__stored_and_flagged_partial(session, desk, paired):
    _, _, campaign = desk
    campaign.partial_policy = "keep"
    session.commit()
    unanswered = item(partial=True, answers={})  # the visitor walked away before the faces
    half = item(T0 + timedelta(minutes=1), partial=True, answers={"topic": ["staff"]})

    result = kiosks.receive_batch(session, paired[0], {"items": [unanswered, half]}, SETTINGS)

    assert [r["status"] for r in result["results"]] == ["created", "created"]
    assert session.scalars(select(Response.flags).order_by(Response.id)).all() == [
        ["partial"],
        ["partial"],
    ]


def test_partial_answers__are_still_checked(session, desk, paired):
    _, _, campaign = desk
    campaign.partial_policy = "keep"
    session.commit()
    result = kiosks.receive_batch(
        session, paired[0], {"items": [item(partial=True, answers={"mood": 7})]}, SETTINGS
    )
    assert result["results"][0]["status"] == "rejected"


# --- ballot stuffing ----------------------------------------------------------------------


def test_responses_closer_than_the_minimum_interval__are_flagged_not_dropped(session, paired):
    device, _ = paired
    times = [T0, T0 + timedelta(seconds=3), T0 + timedelta(seconds=10), T0 + timedelta(seconds=14)]

    kiosks.receive_batch(session, device, {"items": [item(t) for t in times]}, SETTINGS)

    flags = session.scalars(select(Response.flags).order_by(Response.submitted_at)).all()
    # 0 s: first; +3 s: 3 s after it; +10 s: 7 s after; +14 s: 4 s after
    assert flags == [None, ["kiosk_interval"], None, ["kiosk_interval"]]


def test_minimum_interval__holds_across_batches(session, paired):
    device, _ = paired
    kiosks.receive_batch(session, device, {"items": [item(T0)]}, SETTINGS)
    kiosks.receive_batch(session, device, {"items": [item(T0 + timedelta(seconds=2))]}, SETTINGS)
    flags = session.scalars(select(Response.flags).order_by(Response.submitted_at)).all()
    assert flags == [None, ["kiosk_interval"]]


def test_burst__the_eleventh_response_within_two_minutes_is_flagged(session, paired):
    device, _ = paired
    # 11 responses 10 s apart: each respects the 5 s interval; all 11 lie within 100 s
    times = [T0 + timedelta(seconds=10 * i) for i in range(11)]

    kiosks.receive_batch(session, device, {"items": [item(t) for t in times]}, SETTINGS)

    flags = session.scalars(select(Response.flags).order_by(Response.submitted_at)).all()
    assert flags == [None] * 10 + [["burst"]]


def test_steady_flow__is_not_a_burst(session, paired):
    device, _ = paired
    times = [T0 + timedelta(seconds=13 * i) for i in range(30)]  # at most 10 in any 2 minutes
    kiosks.receive_batch(session, device, {"items": [item(t) for t in times]}, SETTINGS)
    assert session.scalars(select(Response.flags)).all() == [None] * 30


# --- heartbeat and config -----------------------------------------------------------------


def test_heartbeat__kept_for_the_fleet_page_and_bad_fields_ignored(session, paired):
    device, _ = paired
    kiosks.record_heartbeat(
        session,
        device,
        {
            "app_version": "1a2b3c",
            "instrument": "kiosk_pulse@1",
            "queue_depth": 7,
            "oldest_unsent_at": "2026-03-02T09:00:00Z",
        },
    )
    kiosks.record_heartbeat(session, device, {"queue_depth": -3, "app_version": 5})
    assert (device.app_version, device.instrument, device.queue_depth) == (
        "1a2b3c",
        "kiosk_pulse@1",
        7,
    )
    assert device.oldest_unsent_at == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_config__carries_the_campaign_instrument_timings_hours_and_pin(session, desk, paired):
    _, staff, campaign = desk
    device, _ = paired
    kiosks.set_pin(session, device, "1234", actor=staff)
    kiosks.set_opening_hours(
        session, device, {"mon": "09:00-13:00, 14:00-19:00", "sat": "10:00-16:00"}, actor=staff
    )

    config = kiosks.kiosk_config(session, device, SETTINGS)

    assert config["device"]["library"] == device.library.code
    assert config["campaign"]["code"] == campaign.code
    assert config["campaign"]["partial_policy"] == "discard"
    assert config["instrument"]["id"] == "kiosk_pulse"
    assert config["instrument"]["languages"] == ["ru", "en"]
    mood = config["instrument"]["items"][0]
    assert mood["id"] == "mood" and mood["type"] == "smiley" and mood["required"] is True
    assert mood["anchors"]["1"] == {"ru": "очень плохо", "en": "very bad"}
    assert config["opening_hours"]["mon"] == [["09:00", "13:00"], ["14:00", "19:00"]]
    assert config["opening_hours"]["sun"] == []
    assert config["pin"]["algorithm"] == "PBKDF2-SHA256"
    assert (config["idle_seconds"], config["warning_seconds"]) == (60, 20)
    assert config["min_interval_seconds"] == 5


@pytest.mark.parametrize("text", ["9-19", "19:00-09:00", "25:00-26:00", "09:00"])
def test_opening_hours__malformed_is_invalid(session, desk, paired, text):
    with pytest.raises(Invalid):
        kiosks.set_opening_hours(session, paired[0], {"tue": text}, actor=desk[1])


def test_opening_hours__every_day_blank_means_always_open(session, desk, paired):
    kiosks.set_opening_hours(session, paired[0], {day: " " for day in kiosks.DAYS}, actor=desk[1])
    assert paired[0].opening_hours is None


def test_is_open__by_the_local_weekday_and_time():
    hours = kiosks.parse_opening_hours({"mon": "09:00-19:00"})
    zone = "Asia/Novokuznetsk"  # UTC+7
    monday_10_local = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)  # 2026-03-02 is a Monday
    assert kiosks.is_open(hours, monday_10_local, zone)
    assert not kiosks.is_open(hours, monday_10_local + timedelta(hours=9), zone)  # 19:00
    assert not kiosks.is_open(hours, monday_10_local + timedelta(days=1), zone)
    assert kiosks.is_open(None, monday_10_local, zone)


def test_fleet__warns_for_an_open_kiosk_silent_too_long(session, desk, paired, make_user):
    library, staff, _ = desk
    device, _ = paired
    device.last_contact_at = T0
    session.commit()

    soon = kiosks.fleet(session, actor=staff, settings=SETTINGS, now=T0 + timedelta(minutes=30))
    late = kiosks.fleet(session, actor=staff, settings=SETTINGS, now=T0 + timedelta(minutes=61))

    assert [r.stale for r in soon] == [False] and [r.stale for r in late] == [True]
    other_staff = make_user("library_staff")
    assert kiosks.fleet(session, actor=other_staff, settings=SETTINGS) == []
    manager = make_user("quality_manager")
    assert [r.device for r in kiosks.fleet(session, actor=manager, settings=SETTINGS)] == [device]


def test_device_record__never_holds_the_token(session, paired):
    device, token = paired
    values = session.execute(select(KioskDevice.__table__)).one()
    assert token not in repr(tuple(values))
