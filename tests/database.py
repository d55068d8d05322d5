"""Which database the suite runs on, and throw-away databases for it.

``SURVEY_TEST_DATABASE_URL`` selects the server: unset means a SQLite file in a temporary
folder; a ``postgresql+psycopg://`` URL means PostgreSQL, where every test run creates its
own database (``<name>_<random>``) beside the one named and drops it at the end, so that
parallel runs never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy import text
from sqlalchemy.engine import make_url

ENV_VAR = "SURVEY_TEST_DATABASE_URL"


def configured_url() -> str | None:
    """The server URL from the environment, or None for SQLite."""
    return os.environ.get(ENV_VAR) or None


@contextmanager
def scratch_database(tmp_dir: Path) -> Iterator[str]:
    """Yield the URL of a new empty database on the configured backend; drop it afterwards."""
    server = configured_url()
    if server is None:
        path = tmp_dir / f"scratch-{uuid.uuid4().hex[:8]}.sqlite3"
        yield f"sqlite:///{path}"
        return
    url = make_url(server)
    name = f"{url.database}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
