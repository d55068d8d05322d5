"""Who may write responses through the API: a credential, never an anonymous client.

Two kinds of credential are sent as ``Authorization: Bearer <token>``:

* an **integration token** (``it_…``, :mod:`survey_app.services.tokens`), issued by an
  administrator for other software, for one channel (paper, web import), one campaign or
  any, in a scope (region, library system, library);
* a **kiosk device token** (``kd_…``, :mod:`survey_app.services.kiosks`), held by one
  enrolled tablet of one library, channel ``kiosk``.

:func:`authenticate` turns a token into a :class:`Writer`: what it may write and with which
channel. The channel of a stored response is always the writer's, never the body's. The
response records the writer (kind and id) and nothing about the visitor.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING
from typing import Any

from sqlalchemy import Connection
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import scoped_session

from survey_app.models import Channel
from survey_app.models import IntegrationToken
from survey_app.models import Library
from survey_app.services.errors import Forbidden
from survey_app.services.errors import Unauthorized

if TYPE_CHECKING:
    from survey_app.models import KioskDevice
from survey_app.services.tokens import PREFIX as INTEGRATION_PREFIX
from survey_app.services.tokens import digest

__all__ = [
    "KIOSK_PREFIX",
    "Writer",
    "WriterKind",
    "authenticate",
    "bearer_token",
]

#: kiosk device tokens start with this (docs/kiosk-protocol.md)
KIOSK_PREFIX = "kd_"
#: longer than any token we issue; a longer one is refused without a look-up
_MAX_TOKEN_LENGTH = 128


class WriterKind(StrEnum):
    """What kind of credential wrote a response (``responses.writer_kind``)."""

    integration = "integration"
    kiosk = "kiosk"


@dataclass(frozen=True, slots=True)
class Writer:
    """An authenticated credential: who writes, with which channel, where.

    ``campaign_ids`` / ``library_ids`` None means any (an integration for the whole region,
    or for any campaign).
    """

    kind: WriterKind
    id: int
    channel: Channel
    campaign_ids: frozenset[int] | None = None
    library_ids: frozenset[int] | None = None

    def allows(self, campaign_id: int, library_id: int) -> bool:
        """Whether this writer may write to this campaign and library."""
        return (self.campaign_ids is None or campaign_id in self.campaign_ids) and (
            self.library_ids is None or library_id in self.library_ids
        )

    def check(self, campaign_id: int, library_id: int) -> None:
        """Raise :class:`Forbidden` unless :meth:`allows`."""
        if not self.allows(campaign_id, library_id):
            raise Forbidden("This credential may not write to this campaign or library.")

    def columns(self) -> dict[str, Any]:
        """The values of ``responses.writer_kind`` and ``writer_id``."""
        return {"writer_kind": self.kind.value, "writer_id": self.id}


def bearer_token(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (None when there is none)."""
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def authenticate(
    session: Session | scoped_session[Session] | Connection, bearer: str | None
) -> Writer:
    """Return the writer of a bearer token (the part after ``Bearer ``).

    ``session`` may be a connection (the API's autocommit one on PostgreSQL).

    Raises
    ------
    Unauthorized
        no token, an unknown or revoked one (the API answers 401 with WWW-Authenticate).
    """
    if not bearer:
        raise Unauthorized("Send Authorization: Bearer <token> (an integration or kiosk token).")
    writer = None
    if len(bearer) <= _MAX_TOKEN_LENGTH and bearer.startswith((INTEGRATION_PREFIX, KIOSK_PREFIX)):
        idle = not isinstance(session, Connection) and not _in_transaction(session)
        try:
            if bearer.startswith(INTEGRATION_PREFIX):
                writer = _integration_writer(session, bearer)
            else:
                orm = session if not isinstance(session, Connection) else Session(bind=session)
                writer = kiosk_writer(orm, bearer)
        finally:
            if idle:
                # only read: end the transaction the look-up began, so that recording keeps
                # its one-statement path (survey_app.services.responses.record)
                session.rollback()
    if writer is None:
        raise Unauthorized("The token is unknown or revoked.", invalid_token=True)
    return writer


def _in_transaction(session: Session | scoped_session[Session]) -> bool:
    """Whether a transaction is open (asking a scoped session's registry first)."""
    if isinstance(session, scoped_session):
        return session.registry.has() and session().in_transaction()
    return session.in_transaction()


def _integration_writer(
    session: Session | scoped_session[Session] | Connection, token: str
) -> Writer | None:
    row = session.execute(
        select(
            IntegrationToken.id,
            IntegrationToken.channel,
            IntegrationToken.campaign_id,
            IntegrationToken.system_id,
            IntegrationToken.library_id,
        ).where(
            IntegrationToken.token_sha256 == digest(token), IntegrationToken.revoked_at.is_(None)
        )
    ).first()
    if row is None:
        return None
    libraries: frozenset[int] | None = None
    if row.library_id is not None:
        libraries = frozenset({row.library_id})
    elif row.system_id is not None:
        libraries = frozenset(
            session.scalars(select(Library.id).where(Library.system_id == row.system_id))
        )
    return Writer(
        kind=WriterKind.integration,
        id=row.id,
        channel=Channel(row.channel),
        campaign_ids=None if row.campaign_id is None else frozenset({row.campaign_id}),
        library_ids=libraries,
    )


# ---------------------------------------------------------------------------------------
# PLUG-IN POINT: kiosk device tokens (``kd_``).
# The kiosk-server branch adds ``survey_app/services/kiosks.py`` with
# ``device_for_token(session, token) -> KioskDevice | None``. Until it is merged, the import
# below fails and every ``kd_`` token is refused (401). When it is merged, check that the
# attribute names used here (``id``, ``library_id``, ``campaign_id``) match KioskDevice.
# ---------------------------------------------------------------------------------------


def kiosk_writer(session: Session | scoped_session[Session], token: str) -> Writer | None:
    """The writer of a kiosk device token, or None (unknown, revoked, or no kiosks yet)."""
    from survey_app.services.kiosks import device_for_token  # kiosks records through responses

    device = device_for_token(session, token)
    if device is None:
        return None
    return device_writer(device)


def device_writer(device: KioskDevice) -> Writer:
    """The writer of a kiosk device: the kiosk channel, its library and campaign."""
    campaign_id = device.campaign_id
    return Writer(
        kind=WriterKind.kiosk,
        id=int(device.id),
        channel=Channel.kiosk,
        campaign_ids=None if campaign_id is None else frozenset({int(campaign_id)}),
        library_ids=frozenset({int(device.library_id)}),
    )
