"""Recording responses: the one path every channel (web form, API, kiosk, paper) goes through."""

from __future__ import annotations

import hashlib
import json
import math
import struct
import uuid
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import UTC
from datetime import datetime
from typing import Any

from sqlalchemy import Connection
from sqlalchemy import Engine
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import scoped_session

from instruments import Answers
from instruments import InstrumentError
from instruments import validate_answers
from instruments.answers import AnswerRow
from survey_app.db import autocommit_engine
from survey_app.models import Campaign
from survey_app.models import Channel
from survey_app.models import InstrumentVersion
from survey_app.models import Library
from survey_app.models import Response
from survey_app.models.base import utcnow
from survey_app.services.credentials import Writer
from survey_app.services.errors import Conflict
from survey_app.services.errors import Invalid
from survey_app.services.errors import Issue
from survey_app.services.errors import NotFound
from survey_app.services.errors import ServiceError
from survey_app.services.instruments import instrument_of_version_id
from survey_app.services.response_store import Target
from survey_app.services.response_store import find_target
from survey_app.services.response_store import forget_target
from survey_app.services.response_store import store
from survey_app.services.response_store import store_many

#: fields a submission may carry; anything else is reported, not silently ignored
SUBMISSION_FIELDS = frozenset(
    {
        "id",
        "campaign",
        "library",
        "service_point",
        "channel",
        "started_at",
        "submitted_at",
        "answers",
        "page_timings",
        "lite_items",
        "device",
    }
)
#: a client clock this far in the future is treated as wrong input
MAX_CLOCK_SKEW_SECONDS = 24 * 3600


@dataclass(frozen=True, slots=True)
class Submission:
    """A parsed, syntactically valid submission (content not yet checked)."""

    id: uuid.UUID
    campaign: str
    library: str
    channel: Channel
    answers: Mapping[str, Any]
    service_point: str | None = None
    started_at: datetime | None = None
    submitted_at: datetime | None = None
    page_timings: Mapping[str, float] | None = None
    lite_items: frozenset[str] | None = None
    device: str | None = None
    #: the visitor stopped midway (a kiosk under a "keep" partial policy): required items may
    #: be blank; set by the kiosk channel, never read from a JSON submission
    partial: bool = False


@dataclass(frozen=True, slots=True)
class Receipt:
    """What the client gets back; identical for the first delivery and every retry."""

    id: uuid.UUID
    received_at: datetime
    created: bool = field(compare=False)

    def to_dict(self) -> dict[str, str]:
        """Return the JSON receipt."""
        return {"id": str(self.id), "received_at": self.received_at.isoformat(), "status": "stored"}


def parse_submission(
    payload: Any, *, default_channel: Channel | None = None, writer: Writer | None = None
) -> Submission:
    """Check the shape of a JSON submission; raise :class:`Invalid` with every problem.

    With a ``writer`` (the API's credential) the channel is the writer's: a body may leave
    ``channel`` out; one that names another channel is refused (API012), not silently
    recorded as something it did not say.
    """
    issues: list[Issue] = []
    if not isinstance(payload, Mapping):
        raise Invalid(
            "The body must be a JSON object.", [Issue("API001", "", "expected an object")]
        )
    for key in sorted(set(payload) - SUBMISSION_FIELDS, key=str):
        issues.append(Issue("API002", str(key), "unknown field"))

    response_id = _uuid(payload.get("id"), issues)
    campaign = _code(payload.get("campaign"), "campaign", issues)
    library = _code(payload.get("library"), "library", issues)
    service_point = None
    if payload.get("service_point") is not None:
        service_point = _code(payload.get("service_point"), "service_point", issues)
    channel: Channel | None = None
    if writer is not None:
        channel = writer.channel
        if payload.get("channel", channel.value) != channel.value:
            issues.append(
                Issue(
                    "API012",
                    "channel",
                    f"this credential writes the channel {channel.value}; send that or leave "
                    "channel out",
                )
            )
    else:
        channel = _channel(payload.get("channel", default_channel), issues)
    started_at = _timestamp(payload.get("started_at"), "started_at", issues)
    submitted_at = _timestamp(payload.get("submitted_at"), "submitted_at", issues)
    if started_at and submitted_at and started_at > submitted_at:
        issues.append(Issue("API007", "started_at", "started after it was submitted"))
    answers = payload.get("answers")
    if not isinstance(answers, Mapping):
        issues.append(Issue("API003", "answers", "required: an object of item id -> answer"))
        answers = {}
    timings = _timings(payload.get("page_timings"), issues)
    lite_items = _lite_items(payload.get("lite_items"), issues)
    device = payload.get("device")
    if device is not None and not (isinstance(device, str) and 0 < len(device) <= 64):
        issues.append(Issue("API003", "device", "must be a string of at most 64 characters"))
        device = None
    if issues:
        raise Invalid("The submission is not valid.", issues)
    assert response_id is not None and campaign and library and channel  # for the type checker
    return Submission(
        id=response_id,
        campaign=campaign,
        library=library,
        channel=channel,
        answers=answers,
        service_point=service_point,
        started_at=started_at,
        submitted_at=submitted_at,
        page_timings=timings,
        lite_items=lite_items,
        device=device,
    )


#: short reason codes a stored response may be flagged with (kept, shown, counted; never dropped)
FLAG_CODES = frozenset({"kiosk_interval", "burst", "partial"})


def record(
    session: Session | scoped_session[Session],
    submission: Submission,
    *,
    flags: Sequence[str] = (),
    commit: bool = True,
    savepoint: bool = False,
    writer: Writer | None = None,
) -> Receipt:
    """Record one response: the entry point of every channel (web form, API, kiosk, paper).

    The channel says *what* to store; this function alone chooses *how*:

    * ``commit=True`` (the single-response API: the response is a unit of its own): the
      response is stored and committed when this returns. On PostgreSQL, when
      ``session`` has no transaction open, it is one statement on an autocommit connection
      of the session's engine (one round trip: no BEGIN, COMMIT or ORM bookkeeping). Otherwise
      (SQLite, or a transaction already open in this context: the tests') it is stored in a
      savepoint of the session's transaction, which is then committed; a refused response
      rolls back only its savepoint.
    * ``commit=False`` (the web form with its draft, a paper import, the demo: several writes
      that stand or fall together): stored in the caller's transaction; the caller commits.
    * ``commit=False, savepoint=True`` (a kiosk batch the database refused part of: many
      responses, each standing alone, one commit for all): stored in a savepoint of the
      caller's transaction;
      a refused response, or one the database refuses, rolls back only its savepoint, so the
      others stand; the caller commits once.

    ``flags`` are reason codes (:data:`FLAG_CODES`) stored with a *new* response; a retry
    of a stored response keeps the flags it was stored with. Batches of responses that each
    stand alone go through :func:`record_many`.

    ``writer`` is the API's credential (:func:`survey_app.services.credentials.authenticate`):
    the response records it, and it must allow the campaign and library. None for the
    anonymous web form, a paper import and the demo.

    Raises
    ------
    Forbidden
        the campaign or library is outside ``writer``'s.
    NotFound, Invalid, Conflict
        as :func:`record_response`; nothing is stored.
    """
    stored_flags = _checked_flags(flags)
    if not commit:
        if savepoint:
            with session.begin_nested():
                return record_response(session, submission, flags=stored_flags, writer=writer)
        return record_response(session, submission, flags=stored_flags, writer=writer)
    engine = _idle_postgresql_engine(session)
    if engine is not None:
        with autocommit_engine(engine).connect() as connection:
            return record_response(connection, submission, flags=stored_flags, writer=writer)
    with session.begin_nested():
        receipt = record_response(session, submission, flags=stored_flags, writer=writer)
    session.commit()
    return receipt


def _checked_flags(flags: Sequence[str]) -> list[str] | None:
    unknown = set(flags) - FLAG_CODES
    if unknown:
        raise ValueError(f"unknown response flags: {sorted(unknown)}")
    return sorted(set(flags)) or None


def _idle_postgresql_engine(session: Session | scoped_session[Session]) -> Engine | None:
    """The session's PostgreSQL engine when no transaction is open in it, else None.

    Asks a scoped session's registry first, so that no session is created just to answer.
    """
    if isinstance(session, scoped_session):
        if session.registry.has() and session().in_transaction():
            return None
    elif session.in_transaction():
        return None
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    return engine if engine.dialect.name == "postgresql" else None


def record_response(
    db: Session | scoped_session[Session] | Connection,
    submission: Submission,
    *,
    flags: list[str] | None = None,
    writer: Writer | None = None,
) -> Receipt:
    """Validate and store one response, idempotently by its id (the storage under :func:`record`).

    ``writer`` is the API's credential (the response records it, and it must allow the
    campaign and library); None for the anonymous web form.

    ``db`` is the caller's session (its transaction; the caller commits) or a connection.
    On PostgreSQL the response and its answers are stored by one statement, so the
    connection may be in autocommit mode (the API's is: one round trip per response).
    A retry of a stored response (same id, same content) gets the first delivery's receipt,
    even after its campaign closed.

    Raises
    ------
    NotFound
        unknown or closed campaign, or a library not in it.
    Forbidden
        the campaign or library is outside ``writer``'s.
    Invalid
        the answers do not fit the campaign's instrument version (every problem listed).
    Conflict
        a response with this id is stored with different content.
    """
    connection = db if isinstance(db, Connection) else db.connection()
    for cached in (True, False):
        try:
            target = find_target(
                connection,
                submission.campaign,
                submission.library,
                submission.service_point,
                cached=cached,
            )
        except NotFound:
            if (existing := _existing(connection, submission)) is not None:
                return existing
            raise
        if writer is not None and not writer.allows(target.campaign_id, target.library_id):
            if cached:  # a target kept from before may be stale: look again first
                forget_target(target)
                continue
            writer.check(target.campaign_id, target.library_id)
        try:
            answers = _validated(connection, submission, target)
        except Invalid:
            if cached:  # judged against a target kept from before: look again first
                forget_target(target)
                continue
            raise
        response = _row(submission, target, answers, flags, writer)
        received_at = response["received_at"]
        content_sha256 = response["content_sha256"]
        if store(connection, target, response, answers.rows) is not None:
            return Receipt(id=submission.id, received_at=received_at, created=True)
        if (existing := _existing(connection, submission, content_sha256)) is not None:
            return existing
        # not a duplicate: the cached target no longer holds (closed, left, renamed, ...)
        forget_target(target)
    raise NotFound("No open survey has this code.")  # it closed between the look-up and the insert


def _row(
    submission: Submission,
    target: Target,
    answers: Answers,
    flags: list[str] | None,
    writer: Writer | None = None,
) -> dict[str, Any]:
    """The ``responses`` row of a validated submission (:data:`RESPONSE_COLUMNS`)."""
    return {
        "client_uuid": submission.id,
        "campaign_id": target.campaign_id,
        "library_id": target.library_id,
        "service_point_id": target.service_point_id,
        "channel": submission.channel,
        "instrument_id": answers.instrument_id,
        "instrument_version": answers.instrument_version,
        "instrument_sha256": answers.instrument_sha256,
        "started_at": submission.started_at,
        "submitted_at": submission.submitted_at,
        "received_at": utcnow(),
        "page_timings": dict(submission.page_timings) if submission.page_timings else None,
        "content_sha256": _content_hash(submission, answers.values),
        "vector": pack_vector(answers.vector()),
        "device_id": submission.device,
        "flags": flags,
        # the Lite draw (every battery item for the full form: see _validated), only where
        # the campaign has a Lite form
        "lite_items": (
            sorted(answers.lite_items)
            if target.lite_share > 0 and answers.lite_items is not None
            else None
        ),
        "writer_kind": writer.kind.value if writer is not None else None,
        "writer_id": writer.id if writer is not None else None,
    }


def record_many(
    session: Session | scoped_session[Session],
    entries: Sequence[tuple[Submission, Sequence[str]]],
    writer: Writer | None = None,
) -> list[Receipt | ServiceError]:
    """Record several responses that each stand alone (a kiosk batch): the batch entry point.

    Each ``(submission, flags)`` is checked and stored as :func:`record` does, in the
    caller's transaction (the caller commits once, for all). New responses are stored
    together: on PostgreSQL all their statements go in one pipeline, one round trip for
    the batch instead of one per response. Whatever the quick path cannot settle (a
    duplicate, a conflict, a target that changed, invalid answers) is settled one by one by
    :func:`record_response`. Returns, in order, each entry's :class:`Receipt` or the
    :class:`NotFound`, :class:`Invalid` or :class:`Conflict` that refused it; a database
    error propagates (the caller rolls back: nothing of the batch is stored).
    """
    connection = session.connection()
    outcomes: list[Receipt | ServiceError | None] = [None] * len(entries)
    quick: list[tuple[int, Target, dict[str, Any], Sequence[AnswerRow]]] = []
    slow: list[int] = []
    for index, (submission, flags) in enumerate(entries):
        try:
            target = find_target(
                connection, submission.campaign, submission.library, submission.service_point
            )
            answers = _validated(connection, submission, target)
        except (NotFound, Invalid):
            slow.append(index)
            continue
        quick.append(
            (
                index,
                target,
                _row(submission, target, answers, _checked_flags(flags), writer),
                answers.rows,
            )
        )
    stored_ids = store_many(connection, [(target, row, rows) for _, target, row, rows in quick])
    for (index, _, row, _), new_id in zip(quick, stored_ids, strict=True):
        if new_id is None:
            slow.append(index)
        else:
            outcomes[index] = Receipt(
                id=row["client_uuid"], received_at=row["received_at"], created=True
            )
    for index in sorted(slow):
        submission, flags = entries[index]
        try:
            outcomes[index] = record_response(
                connection, submission, flags=_checked_flags(flags), writer=writer
            )
        except (NotFound, Invalid, Conflict) as error:
            outcomes[index] = error
    return [outcome for outcome in outcomes if outcome is not None]


def _validated(connection: Connection, submission: Submission, target: Target) -> Answers:
    """Check the submission against its target and instrument; raise :class:`Invalid`."""
    issues: list[Issue] = []
    if submission.channel.value not in target.channels:
        issues.append(
            Issue("API008", "channel", f"this campaign does not accept {submission.channel}")
        )
    if submission.service_point is not None and target.service_point_id is None:
        issues.append(Issue("API009", "service_point", "no such service point in this library"))
    instrument = instrument_of_version_id(
        connection, target.instrument_version_id, target.instrument_sha256
    )
    lite_items = submission.lite_items if target.lite_share > 0 else None
    if submission.lite_items is not None and lite_items is None:
        issues.append(Issue("API010", "lite_items", "this campaign has no Lite form"))
    try:
        answers = validate_answers(
            instrument, submission.answers, lite_items=lite_items, partial=submission.partial
        )
    except InstrumentError as exc:
        issues.extend(Issue(p.code, p.path, p.message) for p in exc.problems)
        answers = None
    if issues or answers is None:
        raise Invalid("The answers do not fit the questionnaire.", issues)
    if lite_items is None and target.lite_share > 0:
        # the full form of a campaign with a Lite form: every battery item was offered
        answers = replace(answers, lite_items=instrument.battery_ids)
    return answers


def get_open_target(
    session: Session, campaign_code: str, library_code: str
) -> tuple[Campaign, Library]:
    """Return the open campaign and one of its active libraries, or raise :class:`NotFound`.

    The same check as recording does (:func:`find_target`, looked up afresh), as ORM objects
    for the pages that show them.
    """
    target = find_target(session.connection(), campaign_code, library_code, None, cached=False)
    campaign = session.get(Campaign, target.campaign_id)
    library = session.get(Library, target.library_id)
    assert campaign is not None and library is not None  # found in this transaction
    return campaign, library


def pack_vector(values: list[float]) -> bytes:
    """Pack numeric answers as little-endian float64 (NaN for missing)."""
    return struct.pack(f"<{len(values)}d", *values)


def _existing(
    connection: Connection, submission: Submission, content_sha256: str | None = None
) -> Receipt | None:
    """The receipt of the stored response with the submission's id, if there is one.

    Raises :class:`Conflict` when it is stored with other content (``content_sha256``, or
    when not given, the hash of the submission validated against the stored version).
    """
    row = connection.execute(
        select(
            Response.content_sha256,
            Response.received_at,
            InstrumentVersion.id.label("version_id"),
            InstrumentVersion.sha256,
        )
        .join(Campaign, Campaign.id == Response.campaign_id)
        .join(InstrumentVersion, InstrumentVersion.id == Campaign.instrument_version_id)
        .where(Response.client_uuid == submission.id)
    ).first()
    if row is None:
        return None
    if content_sha256 is None:
        instrument = instrument_of_version_id(connection, row.version_id, row.sha256)
        try:
            answers = validate_answers(
                instrument,
                submission.answers,
                lite_items=submission.lite_items,
                partial=submission.partial,
            )
        except InstrumentError:
            answers = None
        if answers is not None:
            content_sha256 = _content_hash(submission, answers.values)
    if row.content_sha256 != content_sha256:
        raise Conflict("A different response with this id is already stored.")
    return Receipt(id=submission.id, received_at=row.received_at, created=False)


def _content_hash(submission: Submission, values: Mapping[str, Any]) -> str:
    canonical: dict[str, Any] = {
        "campaign": submission.campaign,
        "library": submission.library,
        "service_point": submission.service_point,
        "channel": submission.channel.value,
        "answers": values,
        "started_at": submission.started_at.isoformat() if submission.started_at else None,
        "submitted_at": submission.submitted_at.isoformat() if submission.submitted_at else None,
    }
    if submission.partial:  # absent otherwise: the hashes of complete responses are unchanged
        canonical["partial"] = True
    text = json.dumps(
        canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _uuid(value: Any, issues: list[Issue]) -> uuid.UUID | None:
    if isinstance(value, str):
        try:
            return uuid.UUID(value)
        except ValueError:
            pass
    issues.append(Issue("API004", "id", "required: a UUID generated by the client"))
    return None


def _code(value: Any, path: str, issues: list[Issue]) -> str | None:
    if isinstance(value, str) and 0 < len(value) <= 64:
        return value
    issues.append(Issue("API003", path, "required: a code of 1 to 64 characters"))
    return None


def _channel(value: Any, issues: list[Issue]) -> Channel | None:
    try:
        return Channel(value)
    except (ValueError, TypeError):
        allowed = ", ".join(c.value for c in Channel)
        issues.append(Issue("API005", "channel", f"required: one of {allowed}"))
        return None


def _timestamp(value: Any, path: str, issues: list[Issue]) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            moment = None
        if moment is not None:
            if moment.tzinfo is None:
                issues.append(Issue("API006", path, "timestamp needs a time zone, e.g. ...Z"))
                return None
            try:
                moment = moment.astimezone(UTC)
            except OverflowError:  # e.g. 0001-01-01T00:00:00+01:00 is before year 1 in UTC
                issues.append(Issue("API006", path, "timestamp is out of range"))
                return None
            if (moment - datetime.now(UTC)).total_seconds() > MAX_CLOCK_SKEW_SECONDS:
                issues.append(Issue("API006", path, "timestamp is in the future"))
                return None
            if moment.year < 2000:
                issues.append(Issue("API006", path, "timestamp is implausibly old"))
                return None
            return moment
    issues.append(Issue("API006", path, "must be an ISO 8601 timestamp"))
    return None


def _timings(value: Any, issues: list[Issue]) -> dict[str, float] | None:
    if value is None:
        return None
    ok = isinstance(value, Mapping) and len(value) <= 100
    timings: dict[str, float] = {}
    if ok:
        for key, seconds in value.items():
            if (
                not isinstance(key, str)
                or isinstance(seconds, bool)
                or not isinstance(seconds, int | float)
                or not math.isfinite(seconds)
                or not 0 <= seconds <= 86400
            ):
                ok = False
                break
            timings[key[:64]] = float(seconds)
    if not ok:
        issues.append(Issue("API003", "page_timings", "must map page ids to seconds (0..86400)"))
        return None
    return timings


def _lite_items(value: Any, issues: list[Issue]) -> frozenset[str] | None:
    if value is None:
        return None
    if isinstance(value, list) and all(isinstance(v, str) for v in value) and len(value) <= 500:
        return frozenset(value)
    issues.append(Issue("API003", "lite_items", "must be a list of item ids"))
    return None
