"""Whether the app can serve: the database answers."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session


def ping_database(session: Session) -> str:
    """Run ``SELECT 1`` on the session's database and return its dialect name.

    Raises whatever the driver raises when the database cannot be reached.
    """
    session.execute(text("SELECT 1"))
    return session.get_bind().dialect.name
