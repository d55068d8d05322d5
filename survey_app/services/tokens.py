"""Integration tokens: issued by an administrator, shown once, stored hashed, revocable.

A token is ``it_`` followed by 43 URL-safe characters (256 random bits). The database keeps
its SHA-256 and its first characters (the *hint*, to recognise it in lists); the token
itself is shown once, when it is issued. Issuing and revoking are audited
(``token.issue``, ``token.revoke``); a revoked token is kept, since responses name it.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey_app.models import Campaign
from survey_app.models import Channel
from survey_app.models import IntegrationToken
from survey_app.models import Response
from survey_app.models import User
from survey_app.models.base import utcnow
from survey_app.services import audit
from survey_app.services.accounts import parse_scope
from survey_app.services.errors import Conflict
from survey_app.services.errors import Invalid
from survey_app.services.errors import Issue
from survey_app.services.errors import NotFound
from survey_app.services.scope import Action
from survey_app.services.scope import require

__all__ = [
    "INTEGRATION_CHANNELS",
    "PREFIX",
    "TokenUse",
    "describe_token_scope",
    "digest",
    "get_token",
    "issue_token",
    "list_tokens",
    "revoke_token",
]

#: every integration token starts with this (kiosk device tokens with ``kd_``)
PREFIX = "it_"
#: characters of the token kept as its hint (the prefix and 5 of its 43 random characters)
_HINT_LENGTH = 8
#: channels an integration may write: paper forms typed in, answers imported from another
#: online tool. Kiosk answers come only from enrolled kiosks (device tokens), and QR scans
#: only from the web form.
INTEGRATION_CHANNELS = (Channel.paper, Channel.web)
MAX_NAME_LENGTH = 200


def digest(token: str) -> str:
    """The stored form of a token: SHA-256 in hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _allowed(actor: User | None) -> None:
    if actor is not None:  # None: the trusted command line
        require(actor, Action.manage_integrations)


def issue_token(
    session: Session,
    *,
    name: str,
    channel: Channel | str,
    campaign: str | None = None,
    scope: str | None = None,
    actor: User | None = None,
) -> tuple[str, IntegrationToken]:
    """Create a token; return the token itself (show it once, never store it) and its row.

    ``campaign`` is a campaign code (None = any open campaign that takes the channel);
    ``scope`` is ``"region"``, ``"system:CODE"`` or ``"library:CODE"``.

    Raises
    ------
    Forbidden
        ``actor`` may not manage integrations.
    Invalid
        every problem: name (TOK001), channel (TOK002), campaign (TOK003), a campaign that
        does not take the channel (TOK004), scope (ACC007).
    """
    _allowed(actor)
    issues: list[Issue] = []
    clean_name = (name or "").strip()
    if not clean_name or len(clean_name) > MAX_NAME_LENGTH:
        issues.append(
            Issue("TOK001", "name", "Required: what the token is for, at most 200 characters.")
        )
    try:
        chosen = Channel(channel)
    except ValueError:
        chosen = None
    if chosen not in INTEGRATION_CHANNELS:
        issues.append(
            Issue("TOK002", "channel", "An integration writes paper or web answers only.")
        )
        chosen = None
    target_campaign = None
    if campaign:
        target_campaign = session.scalar(
            select(Campaign).where(func.lower(Campaign.code) == campaign.strip().lower())
        )
        if target_campaign is None:
            issues.append(Issue("TOK003", "campaign", "No campaign has this code."))
        elif chosen is not None and chosen.value not in target_campaign.channels:
            issues.append(Issue("TOK004", "channel", "This campaign does not take this channel."))
    try:
        where = parse_scope(session, scope)
    except Invalid as error:
        issues.extend(error.issues)
        where = None
    if issues or chosen is None or where is None:
        raise Invalid("The token cannot be issued.", issues)
    secret = PREFIX + secrets.token_urlsafe(32)
    row = IntegrationToken(
        name=clean_name,
        token_sha256=digest(secret),
        hint=secret[:_HINT_LENGTH],
        channel=chosen,
        campaign=target_campaign,
        system=where.system,
        library=where.library,
        created_at=utcnow(),
        created_by=actor,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        "token.issue",
        f"token:{row.id}",
        name=row.name,
        hint=row.hint,
        channel=row.channel,
        campaign=target_campaign.code if target_campaign else None,
        scope=describe_token_scope(row),
    )
    return secret, row


def describe_token_scope(token: IntegrationToken) -> str:
    """``"region"``, ``"system:CODE"`` or ``"library:CODE"`` (as for accounts)."""
    if token.library is not None:
        return f"library:{token.library.code}"
    if token.system is not None:
        return f"system:{token.system.code}"
    return "region"


@dataclass(frozen=True, slots=True)
class TokenUse:
    """A token and what it has written."""

    token: IntegrationToken
    responses: int
    last_written_at: datetime | None


def list_tokens(session: Session, *, actor: User | None = None) -> list[TokenUse]:
    """Every token, valid ones first, newest first, with the responses each wrote."""
    _allowed(actor)
    tokens = session.scalars(
        select(IntegrationToken).order_by(
            IntegrationToken.revoked_at.is_not(None),
            IntegrationToken.created_at.desc(),
            IntegrationToken.id.desc(),
        )
    ).all()
    if not tokens:
        return []
    usage = {
        row.writer_id: (row.n, row.last)
        for row in session.execute(
            select(
                Response.writer_id,
                func.count().label("n"),
                func.max(Response.received_at).label("last"),
            )
            .where(
                Response.writer_kind == "integration",
                Response.writer_id.in_([t.id for t in tokens]),
            )
            .group_by(Response.writer_id)
        )
    }
    return [TokenUse(t, *usage.get(t.id, (0, None))) for t in tokens]


def get_token(
    session: Session, token_id: int | str, *, actor: User | None = None
) -> IntegrationToken:
    """The token with this id (a number, or its hint ``it_xxxxx``).

    Raises
    ------
    NotFound
        no such token.
    """
    _allowed(actor)
    ref = str(token_id).strip()
    row: IntegrationToken | None = None
    if ref.isdigit() and len(ref) < 10:
        row = session.get(IntegrationToken, int(ref))
    elif ref.startswith(PREFIX):
        matches: Sequence[IntegrationToken] = session.scalars(
            select(IntegrationToken).where(IntegrationToken.hint == ref[:_HINT_LENGTH])
        ).all()
        row = matches[0] if len(matches) == 1 else None
    if row is None:
        raise NotFound("No such token.")
    return row


def revoke_token(
    session: Session, token: IntegrationToken, *, actor: User | None = None
) -> IntegrationToken:
    """Revoke ``token``: every later request with it is refused (401).

    Raises
    ------
    Conflict
        it is revoked already.
    """
    _allowed(actor)
    if token.revoked_at is not None:
        raise Conflict("The token is already revoked.")
    token.revoked_at = utcnow()
    token.revoked_by = actor
    session.flush()
    audit.record(
        session, actor, "token.revoke", f"token:{token.id}", name=token.name, hint=token.hint
    )
    return token
