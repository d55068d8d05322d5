"""Kiosk tablets: enrolment, the device credential, configuration, batches and heartbeats.

The protocol is docs/kiosk-protocol.md. A kiosk belongs to one library (and optionally one
service point) and collects responses for one campaign; these come from the device, never
from what the tablet sends. Tokens, pairing codes and PINs are stored hashed.

Every batch item is recorded through :func:`survey_app.services.responses.record`, the entry
point of every channel, and the batch is committed once before its receipts are sent: one
bad item never sinks the batch (should the database itself refuse an item, the batch is
recorded again with each item in its own savepoint), and a batch resent after a lost
acknowledgement gets ``duplicate`` for every item already stored.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import hashlib
import re
import secrets
import uuid
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from datetime import time
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from sqlalchemy import exc as sa_exc
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlalchemy.orm import joinedload
from sqlalchemy.orm import scoped_session

from instruments import Instrument
from instruments.model import Condition
from instruments.model import Item
from survey_app.models import Campaign
from survey_app.models import Channel
from survey_app.models import KioskDevice
from survey_app.models import KioskPairing
from survey_app.models import KioskQuarantine
from survey_app.models import Library
from survey_app.models import Response
from survey_app.models import ServicePoint
from survey_app.models import User
from survey_app.models.base import utcnow
from survey_app.services import audit
from survey_app.services import scope
from survey_app.services.credentials import Writer
from survey_app.services.credentials import device_writer
from survey_app.services.errors import BadRequest
from survey_app.services.errors import Conflict
from survey_app.services.errors import Gone
from survey_app.services.errors import Invalid
from survey_app.services.errors import Issue
from survey_app.services.errors import NotFound
from survey_app.services.errors import ServiceError
from survey_app.services.errors import TooLarge
from survey_app.services.errors import Unauthorized
from survey_app.services.instruments import instrument_of
from survey_app.services.responses import Receipt
from survey_app.services.responses import Submission
from survey_app.services.responses import parse_submission
from survey_app.services.responses import record
from survey_app.services.responses import record_many
from survey_app.services.scope import Action

__all__ = [
    "PAIRING_MINUTES",
    "TOKEN_PREFIX",
    "KioskSettings",
    "create_kiosk",
    "device_for_token",
    "kiosk_config",
    "pair",
    "receive_batch",
    "record_heartbeat",
]

TOKEN_PREFIX = "kd_"  # nosec B105 - the prefix of device tokens, not a secret
#: a pairing code is valid this long and once
PAIRING_MINUTES = 15
#: pairing code letters: no 0/O, 1/I/L (typed from a screen onto a tablet)
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
#: PBKDF2-SHA256 iterations for the staff PIN (verified offline on the tablet by WebCrypto)
PIN_ITERATIONS = 200_000
PIN_PATTERN = re.compile(r"\d{4,8}")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HOURS = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")
#: items a batch may carry
MAX_BATCH_ITEMS = 100
#: fields of one batch item
ITEM_FIELDS = frozenset(
    {"id", "answers", "started_at", "submitted_at", "partial", "page_timings", "lite_items"}
)
HEARTBEAT_FIELDS = frozenset({"app_version", "instrument", "queue_depth", "oldest_unsent_at"})


@dataclass(frozen=True, slots=True)
class KioskSettings:
    """The app's kiosk configuration (``KIOSK_*`` keys of the app config)."""

    idle_seconds: int = 60
    warning_seconds: int = 20
    #: fewest seconds between two responses on one kiosk; closer ones are flagged
    min_interval_seconds: int = 5
    #: more than ``burst_count`` responses within ``burst_window_seconds`` are flagged
    burst_count: int = 10
    burst_window_seconds: int = 120
    #: the fleet page warns when an open kiosk has not synced for this long
    stale_minutes: int = 60
    timezone: str = "Asia/Novokuznetsk"


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- device credential ---------------------------------------------------------------------


def device_for_token(session: Session | scoped_session[Session], token: str) -> KioskDevice | None:
    """The paired, unrevoked device holding ``token``, else None.

    The token is looked up by its SHA-256 (the stored form), so no stored secret is ever
    compared byte by byte with the input: the comparison is of digests in the index.
    """
    if not isinstance(token, str) or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    device = session.scalar(select(KioskDevice).filter_by(token_hash=_sha256(token)))
    if device is None or device.revoked_at is not None:
        return None
    return device


def require_device(
    session: Session | scoped_session[Session], authorization: str | None
) -> KioskDevice:
    """The device of an ``Authorization: Bearer kd_...`` header; raise 401 ``KIO401`` else."""
    token = ""  # nosec B105 - no token yet
    if authorization and authorization[:7].lower() == "bearer ":
        token = authorization[7:].strip()
    device = device_for_token(session, token)
    if device is None:
        raise Unauthorized(
            "Unknown or revoked kiosk token: pair the tablet again.",
            code="KIO401",
            invalid_token=True,
        )
    return device


# --- enrolment (staff) ----------------------------------------------------------------------


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(code: str) -> str:
    """Upper-case, without spaces or hyphens (staff read it grouped: ``ABCD-EFGH``)."""
    return re.sub(r"[\s\-]", "", code).upper()


def grouped(code: str) -> str:
    """``ABCDEFGH`` -> ``ABCD-EFGH``."""
    return f"{code[:4]}-{code[4:]}"


def _kiosk_library(session: Session, actor: User, library_ref: Library | int | str) -> Library:
    return scope.require_library(session, actor, library_ref, Action.manage_kiosks)


def kiosk_campaigns(session: Session, library: Library) -> list[Campaign]:
    """The campaigns a kiosk of ``library`` may collect for: not closed, taking kiosk answers."""
    rows = session.scalars(
        select(Campaign)
        .join(Campaign.libraries)
        .where(Library.id == library.id, Campaign.status != "closed")
        .order_by(Campaign.created_at.desc(), Campaign.id.desc())
    ).all()
    return [c for c in rows if Channel.kiosk.value in (c.channels or [])]


def create_kiosk(
    session: Session,
    *,
    actor: User,
    library: Library | int | str,
    name: str,
    campaign: str,
    service_point: str | None = None,
    now: datetime | None = None,
) -> tuple[KioskDevice, str]:
    """Create a kiosk and its first pairing code; return both (the code is shown once).

    Raises
    ------
    Invalid
        an empty or long name, a campaign that does not take kiosk answers in this library,
        an unknown service point.
    NotFound, Forbidden
        the library is not in the actor's scope, or the actor may not manage kiosks.
    """
    found = _kiosk_library(session, actor, library)
    issues: list[Issue] = []
    clean = _name(name, issues)
    chosen = next((c for c in kiosk_campaigns(session, found) if c.code == campaign), None)
    if chosen is None:
        issues.append(
            Issue(
                "KIO422", "campaign", "choose a campaign of this library that takes kiosk answers"
            )
        )
    point = None
    if service_point:
        point = session.scalar(
            select(ServicePoint).filter_by(library_id=found.id, code=service_point, active=True)
        )
        if point is None:
            issues.append(Issue("KIO422", "service_point", "no such service point in this library"))
    if issues:
        raise Invalid("The kiosk cannot be created.", issues)
    assert chosen is not None
    device = KioskDevice(
        public_id=secrets.token_urlsafe(9),
        name=clean,
        library=found,
        service_point=point,
        campaign=chosen,
        created_at=now or utcnow(),
    )
    session.add(device)
    session.flush()
    code = _pairing(session, device, now)
    audit.record(session, actor, "kiosk.create", _target(device), name=clean, campaign=chosen.code)
    return device, code


def _target(device: KioskDevice) -> str:
    return f"kiosk:{device.library.code}/{device.public_id}"


def _name(name: str, issues: list[Issue]) -> str:
    clean = " ".join((name or "").split())
    if not 0 < len(clean) <= 200:
        issues.append(Issue("KIO422", "name", "a name of 1 to 200 characters"))
    return clean


def _pairing(session: Session, device: KioskDevice, now: datetime | None) -> str:
    moment = now or utcnow()
    # earlier open codes of this device stop working: only the newest one pairs
    session.execute(
        update(KioskPairing)
        .where(KioskPairing.device_id == device.id, KioskPairing.used_at.is_(None))
        .values(expires_at=moment)
    )
    code = _new_code()
    session.add(
        KioskPairing(
            device_id=device.id,
            code_hash=_sha256(code),
            created_at=moment,
            expires_at=moment + timedelta(minutes=PAIRING_MINUTES),
        )
    )
    session.flush()
    return code


def get_kiosk(
    session: Session, public_id: str, *, actor: User, action: Action = Action.manage_kiosks
) -> KioskDevice:
    """The kiosk with this public id in the actor's scope (else :class:`NotFound`)."""
    scope.require(actor, action)
    device = session.scalar(select(KioskDevice).filter_by(public_id=public_id))
    if device is None or not scope.in_scope(session, actor, device.library_id):
        raise NotFound("No such kiosk.")
    return device


def repair(
    session: Session, device: KioskDevice, *, actor: User, now: datetime | None = None
) -> str:
    """A new pairing code; the current token keeps working until the new pairing completes."""
    if device.revoked_at is not None:
        raise Conflict("This kiosk is revoked; create a new one.")
    code = _pairing(session, device, now)
    audit.record(session, actor, "kiosk.repair", _target(device))
    return code


def rename(session: Session, device: KioskDevice, name: str, *, actor: User) -> None:
    """Rename a kiosk."""
    issues: list[Issue] = []
    clean = _name(name, issues)
    if issues:
        raise Invalid("The kiosk cannot be renamed.", issues)
    old, device.name = device.name, clean
    session.flush()
    audit.record(session, actor, "kiosk.rename", _target(device), old=old, new=clean)


def revoke(
    session: Session, device: KioskDevice, *, actor: User, now: datetime | None = None
) -> None:
    """Refuse the tablet at once (its token dies) and void its open pairing codes."""
    if device.revoked_at is not None:
        return
    moment = now or utcnow()
    device.revoked_at = moment
    session.execute(
        update(KioskPairing)
        .where(KioskPairing.device_id == device.id, KioskPairing.used_at.is_(None))
        .values(expires_at=moment)
    )
    session.flush()
    audit.record(session, actor, "kiosk.revoke", _target(device))


def set_pin(session: Session, device: KioskDevice, pin: str, *, actor: User) -> None:
    """Set the staff PIN (4 to 8 digits) of the tablet's settings screen (stored as PBKDF2)."""
    if not isinstance(pin, str) or not PIN_PATTERN.fullmatch(pin):
        raise Invalid("The PIN is not valid.", [Issue("KIO422", "pin", "4 to 8 digits")])
    salt = secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode("ascii"), salt, PIN_ITERATIONS)
    device.pin_salt = base64.b64encode(salt).decode("ascii")
    device.pin_hash = base64.b64encode(digest).decode("ascii")
    device.pin_iterations = PIN_ITERATIONS
    session.flush()
    audit.record(session, actor, "kiosk.pin", _target(device))  # never the PIN


def set_opening_hours(
    session: Session, device: KioskDevice, hours: Mapping[str, str] | None, *, actor: User
) -> None:
    """Set the weekly opening hours from ``{"mon": "09:00-19:00, 20:00-21:00", ...}``.

    A blank day is closed all day; ``None`` or every day blank means always open (the
    tablet never sleeps).
    """
    parsed = None if hours is None else parse_opening_hours(hours)
    device.opening_hours = parsed if parsed and any(parsed.values()) else None
    session.flush()
    audit.record(session, actor, "kiosk.hours", _target(device), hours=device.opening_hours)


def parse_opening_hours(hours: Mapping[str, str]) -> dict[str, list[list[str]]]:
    """``{"mon": "09:00-19:00"}`` -> ``{"mon": [["09:00", "19:00"]], "tue": [], ...}``."""
    issues: list[Issue] = []
    result: dict[str, list[list[str]]] = {}
    for day in DAYS:
        spans: list[list[str]] = []
        for part in (hours.get(day) or "").split(","):
            part = part.strip().replace("–", "-").replace("—", "-")
            if not part:
                continue
            start, _, end = part.partition("-")
            start, end = start.strip(), end.strip()
            if not (_HOURS.fullmatch(start) and _HOURS.fullmatch(end)) or start >= end:
                issues.append(Issue("KIO422", day, "hours as 09:00-19:00 (several: comma)"))
                break
            spans.append([start, end])
        result[day] = sorted(spans)
    if issues:
        raise Invalid("The opening hours are not valid.", issues)
    return result


def format_opening_hours(hours: Mapping[str, Any] | None) -> dict[str, str]:
    """The form's text per day (the inverse of :func:`parse_opening_hours`)."""
    if hours is None:
        return {}
    return {day: ", ".join(f"{a}-{b}" for a, b in hours.get(day, [])) for day in DAYS}


def is_open(hours: Mapping[str, Any] | None, moment: datetime, zone: str) -> bool:
    """Whether the kiosk's library is open at ``moment`` (always, when no hours are set)."""
    if hours is None:
        return True
    local = moment.astimezone(ZoneInfo(zone))
    now = local.time().replace(second=0, microsecond=0)
    for start, end in hours.get(DAYS[local.weekday()], []):
        if time.fromisoformat(start) <= now < time.fromisoformat(end):
            return True
    return False


# --- the tablet's side ------------------------------------------------------------------------


def pair(session: Session, code: str, *, now: datetime | None = None) -> tuple[KioskDevice, str]:
    """Redeem a pairing code: a new device token (returned once, stored hashed).

    The device's previous token dies here (a re-paired tablet replaces the old one).

    Raises
    ------
    BadRequest
        ``KIO400``: no such code.
    Gone
        ``KIO410``: the code expired or was used, or the kiosk is revoked.
    """
    moment = now or utcnow()
    if not isinstance(code, str) or len(code) > 40:
        raise BadRequest("Send the pairing code as text.", code="KIO400")
    pairing = session.scalar(
        select(KioskPairing)
        .filter_by(code_hash=_sha256(normalise_code(code)))
        .options(joinedload(KioskPairing.device))
    )
    if pairing is None:
        raise BadRequest("No such pairing code.", code="KIO400")
    device = pairing.device
    if pairing.used_at is not None or pairing.expires_at <= moment or device.revoked_at is not None:
        raise Gone(
            "This pairing code has expired or was used: ask staff for a new one.", code="KIO410"
        )
    # one-time even under concurrent redemption: only the first UPDATE finds it unused
    won = session.execute(
        update(KioskPairing)
        .where(KioskPairing.id == pairing.id, KioskPairing.used_at.is_(None))
        .values(used_at=moment)
        .returning(KioskPairing.id)
    ).first()
    if won is None:
        raise Gone("This pairing code was used: ask staff for a new one.", code="KIO410")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    device.token_hash = _sha256(token)
    device.paired_at = moment
    device.last_contact_at = moment
    session.flush()
    audit.record(session, None, "kiosk.pair", _target(device))
    return device, token


def device_json(device: KioskDevice) -> dict[str, Any]:
    """The device as the protocol describes it."""
    return {
        "id": device.public_id,
        "name": device.name,
        "library": device.library.code,
        "service_point": device.service_point.code if device.service_point else None,
    }


def kiosk_config(session: Session, device: KioskDevice, settings: KioskSettings) -> dict[str, Any]:
    """What the tablet needs to run offline (protocol: ``GET /api/v1/kiosk/config``)."""
    campaign = device.campaign
    instrument = instrument_of(campaign.instrument_version)
    body: dict[str, Any] = {
        "device": device_json(device),
        "campaign": {
            "code": campaign.code,
            "title": campaign.title,
            "status": str(campaign.status),
            "partial_policy": campaign.partial_policy,
            "channels": list(campaign.channels),
        },
        "instrument": instrument_json(instrument),
        "idle_seconds": settings.idle_seconds,
        "warning_seconds": settings.warning_seconds,
        "min_interval_seconds": settings.min_interval_seconds,
        "opening_hours": device.opening_hours,
        "timezone": settings.timezone,
        "pin": None
        if device.pin_hash is None
        else {
            "algorithm": "PBKDF2-SHA256",
            "iterations": device.pin_iterations,
            "salt": device.pin_salt,
            "hash": device.pin_hash,
        },
    }
    text = repr(sorted(body.items(), key=lambda kv: kv[0]))
    body["config_version"] = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    return body


def _condition(condition: Condition | None) -> dict[str, Any] | None:
    if condition is None:
        return None
    if condition.op in ("all", "any"):
        return {"op": condition.op, "conditions": [_condition(c) for c in condition.conditions]}
    return {"op": condition.op, "item": condition.item, "value": condition.value}


def _item_json(item: Item) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": item.id,
        "type": str(item.type),
        "text": dict(item.text),
        "required": item.required,
        "show_if": _condition(item.show_if),
    }
    if item.help:
        out["help"] = dict(item.help)
    if item.min is not None or item.max is not None:
        out["min"], out["max"] = item.min, item.max
    if item.anchors:
        out["anchors"] = {str(k): dict(v) for k, v in sorted(item.anchors.items())}
    if item.choices:
        out["choices"] = [{"value": c.value, "label": dict(c.label)} for c in item.choices]
    if item.columns:
        out["columns"] = [{"id": c.id, "label": dict(c.label)} for c in item.columns]
        out["na_allowed"] = item.na_allowed
    if item.max_length is not None:
        out["max_length"] = item.max_length
    if item.integer:
        out["integer"] = True
    return out


def instrument_json(instrument: Instrument) -> dict[str, Any]:
    """The instrument as the kiosk renders it: sections of items, texts per language."""
    return {
        "id": instrument.id,
        "version": instrument.version,
        "sha256": instrument.sha256,
        "title": dict(instrument.title),
        "languages": list(instrument.locales),
        "sections": [
            {
                "id": section.id,
                "title": dict(section.title),
                "show_if": _condition(section.show_if),
                "items": [item.id for item in section.items],
            }
            for section in instrument.sections
        ],
        "items": [_item_json(item) for item in instrument.items],
    }


# --- batches and heartbeats -----------------------------------------------------------------


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo is not None else None


def record_heartbeat(
    session: Session | scoped_session[Session],
    device: KioskDevice,
    heartbeat: Any,
    *,
    now: datetime | None = None,
) -> None:
    """Keep what the tablet reports (app and instrument version, its queue) for the fleet page.

    Malformed fields are ignored one by one: a heartbeat never fails.
    """
    device.last_contact_at = now or utcnow()
    if isinstance(heartbeat, Mapping):
        app_version = heartbeat.get("app_version")
        if isinstance(app_version, str):
            device.app_version = app_version[:64]
        instrument = heartbeat.get("instrument")
        if isinstance(instrument, str):
            device.instrument = instrument[:100]
        depth = heartbeat.get("queue_depth")
        if isinstance(depth, int) and not isinstance(depth, bool) and 0 <= depth < 10**9:
            device.queue_depth = depth
        if "oldest_unsent_at" in heartbeat:
            device.oldest_unsent_at = _timestamp(heartbeat.get("oldest_unsent_at"))
    session.flush()


@dataclass(slots=True)
class _Window:
    """The kiosk's recent submission times, for the interval and burst checks."""

    times: list[datetime]
    settings: KioskSettings

    def flags(self, moment: datetime) -> list[str]:
        flags = []
        earlier = [t for t in self.times if t <= moment]
        if earlier and (moment - max(earlier)).total_seconds() < self.settings.min_interval_seconds:
            flags.append("kiosk_interval")
        window = timedelta(seconds=self.settings.burst_window_seconds)
        near = [
            t for t in self.times if abs((moment - t).total_seconds()) <= window.total_seconds()
        ]
        if len(near) + 1 > self.settings.burst_count:
            flags.append("burst")
        return flags

    def add(self, moment: datetime) -> None:
        self.times.append(moment)
        self.times.sort()
        keep = max(self.settings.burst_count * 2, 2)
        del self.times[:-keep]


def receive_batch(
    session: Session | scoped_session[Session],
    device: KioskDevice,
    body: Any,
    settings: KioskSettings,
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Record a batch of kiosk responses; return a receipt per item (protocol: batches).

    Each item is recorded through :func:`record` within the batch's one transaction, which
    is committed once, before the receipts go out. An item refused (``rejected`` with its
    code, ``conflict``) leaves the others stored: such refusals are found by validation or
    by the insert storing nothing, never by a database error; should the database refuse an
    item all the same, the batch is rolled back and recorded again with each item in its own
    savepoint. Refused items are remembered for the fleet page's quarantine count. Campaign,
    library, service point and channel come from ``device``.

    Raises
    ------
    Invalid
        the body is not ``{"items": [...]}`` with 1 to :data:`MAX_BATCH_ITEMS` items.
    """
    moment = now or utcnow()
    if not isinstance(body, Mapping) or not isinstance(body.get("items"), list):
        raise Invalid(
            'The body must be {"items": [...]}.', [Issue("API001", "items", "expected a list")]
        )
    items = body["items"]
    if len(items) > MAX_BATCH_ITEMS:
        raise TooLarge(f"At most {MAX_BATCH_ITEMS} items per batch.", code="KIO413")
    device_id = device.id
    public_id = device.public_id
    writer = device_writer(device)
    campaign = device.campaign
    base = {
        "campaign": campaign.code,
        "library": device.library.code,
        "service_point": device.service_point.code if device.service_point else None,
        "channel": Channel.kiosk.value,
        "device": public_id,
    }
    keep_partial = campaign.partial_policy == "keep"

    def attempt(savepoint: bool) -> tuple[list[dict[str, Any]], _Window]:
        if "heartbeat" in body:
            record_heartbeat(session, device, body.get("heartbeat"), now=moment)
        else:
            device.last_contact_at = moment
        before = [t for t in (_timestamp(v) for v in device.recent_submits or []) if t is not None]
        window = _Window(list(before), settings)
        results: list[dict[str, Any] | None] = [None] * len(items)
        pending: list[tuple[int, Submission, list[str], datetime]] = []
        for position, item in enumerate(items):
            prepared = _prepare(item, position, base, keep_partial)
            if isinstance(prepared, dict):
                results[position] = prepared
                continue
            submitted = prepared.submitted_at or moment
            flags = window.flags(submitted) + (["partial"] if prepared.partial else [])
            if submitted not in window.times:  # a resent item's time is there already
                window.add(submitted)
            pending.append((position, prepared, flags, submitted))
        entries = [(submission, flags) for _, submission, flags, _ in pending]
        if savepoint:
            outcomes = [
                _record_alone(session, submission, flags, writer) for submission, flags in entries
            ]
        else:
            outcomes = record_many(session, entries, writer)
        kept = _Window(list(before), settings)  # the stored responses' times only
        for (position, submission, _, submitted), outcome in zip(pending, outcomes, strict=True):
            results[position] = _receipt(submission, outcome)
            if isinstance(outcome, Receipt) and outcome.created:
                kept.add(submitted)
        return [r for r in results if r is not None], kept

    try:
        # one statement per item in the batch's transaction: what can refuse an item
        # (validation, a closed campaign, a stored id) is found before or without an error
        results, window = attempt(savepoint=False)
    except _DATABASE_REFUSALS:
        # the database refused an item after all: nothing of the batch is committed; again,
        # each item in its own savepoint, so that only the refused one is left out
        session.rollback()
        results, window = attempt(savepoint=True)
    refused: list[tuple[uuid.UUID, str, str | None]] = []
    for result in results:
        if result["status"] in ("conflict", "rejected"):
            with contextlib.suppress(ValueError):  # no usable id: nothing to count it under
                refused.append((uuid.UUID(str(result["id"])), result["status"], result.get("code")))
    device.recent_submits = [t.isoformat() for t in window.times]
    for client_uuid, status, code in refused:
        known = session.scalar(
            select(KioskQuarantine.id).filter_by(device_id=device_id, client_uuid=client_uuid)
        )
        if known is None:
            session.add(
                KioskQuarantine(
                    device_id=device_id,
                    client_uuid=client_uuid,
                    status=status,
                    code=code,
                    at=moment,
                )
            )
    # one commit for the batch: the receipts below are sent only once it stands (a lost
    # answer is resent by the tablet and then gets "duplicate" for every stored item)
    session.commit()
    return {"results": results, "server_time": utcnow().isoformat()}


#: errors by which the database refuses one item's content (not an outage: those propagate)
_DATABASE_REFUSALS = (
    sa_exc.DataError,
    sa_exc.IntegrityError,
    psycopg.DataError,
    psycopg.IntegrityError,
)


def _prepare(
    item: Any, position: int, base: Mapping[str, Any], keep_partial: bool
) -> Submission | dict[str, Any]:
    """The item as a submission of the device's target, or its "rejected" receipt."""
    raw_id = item.get("id") if isinstance(item, Mapping) else None
    shown_id = raw_id if isinstance(raw_id, str) else None
    if not isinstance(item, Mapping):
        return _rejected(shown_id, "API001", f"items[{position}] must be an object")
    unknown = sorted(set(item) - ITEM_FIELDS, key=str)
    if unknown:
        return _rejected(shown_id, "API002", f"unknown field: {unknown[0]}")
    partial = item.get("partial", False)
    if not isinstance(partial, bool):
        return _rejected(shown_id, "API003", "partial must be true or false")
    if partial and not keep_partial:
        return _rejected(shown_id, "KIO422", "this campaign discards partial responses")
    payload = {key: value for key, value in item.items() if key != "partial"}
    try:
        submission = parse_submission({**payload, **base})
    except Invalid as error:
        return _invalid(shown_id, error)
    return dataclasses.replace(submission, partial=True) if partial else submission


def _record_alone(
    session: Session | scoped_session[Session],
    submission: Submission,
    flags: list[str],
    writer: Writer,
) -> Receipt | ServiceError:
    """One item in its own savepoint (the batch's slow path): refusals are returned."""
    try:
        return record(session, submission, flags=flags, commit=False, savepoint=True, writer=writer)
    except (Invalid, Conflict, NotFound) as error:
        return error
    except _DATABASE_REFUSALS:
        # the database refused this one (its savepoint is rolled back): the others stand
        return ServiceError("the database refused this response", code="KIO422")


def _invalid(item_id: str | None, error: Invalid) -> dict[str, Any]:
    first = error.issues[0] if error.issues else Issue("API003", "", error.message)
    return _rejected(item_id, first.code, f"{first.path}: {first.message}".strip(": "))


def _receipt(submission: Submission, outcome: Receipt | ServiceError) -> dict[str, Any]:
    """The protocol's receipt of one recorded (or refused) item."""
    item_id = str(submission.id)
    if isinstance(outcome, Receipt):
        return {"id": item_id, "status": "created" if outcome.created else "duplicate"}
    if isinstance(outcome, Invalid):
        return _invalid(item_id, outcome)
    if isinstance(outcome, Conflict):
        return {"id": item_id, "status": "conflict", "code": "API409", "message": outcome.message}
    if isinstance(outcome, NotFound):
        return _rejected(item_id, "API404", outcome.message)
    return _rejected(item_id, outcome.code or "KIO422", outcome.message)


def _rejected(item_id: str | None, code: str, message: str) -> dict[str, Any]:
    return {"id": item_id, "status": "rejected", "code": code, "message": message}


# --- the fleet page -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FleetRow:
    """One kiosk on the fleet page."""

    device: KioskDevice
    responses_today: int
    quarantined: int
    open_now: bool
    #: not synced for longer than the settings allow while the library is open
    stale: bool
    #: a pairing code is waiting (created, not yet used, not expired)
    pairing_pending: bool


def fleet(
    session: Session,
    *,
    actor: User,
    settings: KioskSettings,
    library: Library | int | str | None = None,
    now: datetime | None = None,
) -> list[FleetRow]:
    """Every kiosk in the actor's scope (or of one library), with its health."""
    scope.require(actor, Action.view_kiosks)
    moment = now or utcnow()
    stmt = (
        select(KioskDevice)
        .join(Library, Library.id == KioskDevice.library_id)
        .options(joinedload(KioskDevice.library), joinedload(KioskDevice.campaign))
        .order_by(
            KioskDevice.revoked_at.is_not(None), Library.name, KioskDevice.name, KioskDevice.id
        )
    )
    stmt = scope.restrict_to_scope(stmt, session, actor, KioskDevice.library_id)
    if library is not None:
        found = scope.require_library(session, actor, library, Action.view_kiosks)
        stmt = stmt.where(KioskDevice.library_id == found.id)
    devices = session.scalars(stmt).unique().all()
    if not devices:
        return []
    zone = ZoneInfo(settings.timezone)
    local = moment.astimezone(zone)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)
    ids = [d.public_id for d in devices]
    today = dict(
        session.execute(
            select(Response.device_id, func.count())
            .where(Response.device_id.in_(ids), Response.received_at >= midnight)
            .group_by(Response.device_id)
        ).all()
    )
    quarantined = dict(
        session.execute(
            select(KioskQuarantine.device_id, func.count())
            .where(KioskQuarantine.device_id.in_([d.id for d in devices]))
            .group_by(KioskQuarantine.device_id)
        ).all()
    )
    pending = set(
        session.scalars(
            select(KioskPairing.device_id).where(
                KioskPairing.device_id.in_([d.id for d in devices]),
                KioskPairing.used_at.is_(None),
                KioskPairing.expires_at > moment,
            )
        ).all()
    )
    rows = []
    stale_after = timedelta(minutes=settings.stale_minutes)
    for device in devices:
        open_now = is_open(device.opening_hours, moment, settings.timezone)
        last = device.last_contact_at
        stale = (
            device.revoked_at is None
            and device.paired_at is not None
            and open_now
            and (last is None or moment - last > stale_after)
        )
        rows.append(
            FleetRow(
                device=device,
                responses_today=today.get(device.public_id, 0),
                quarantined=quarantined.get(device.id, 0),
                open_now=open_now,
                stale=stale,
                pairing_pending=device.id in pending,
            )
        )
    return rows


def kiosk_libraries(session: Session, *, actor: User) -> Sequence[Library]:
    """The active libraries in scope where the actor may create kiosks."""
    scope.require(actor, Action.manage_kiosks)
    return session.scalars(
        scope.scoped_libraries_query(session, actor, include_inactive=False)
    ).all()
