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
from contextlib import suppress
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


#: where Debian keeps the PostgreSQL server programs (initdb, pg_ctl), newest first
_PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"


class PrivatePostgres:
    """A PostgreSQL server of the test's own, on a free port: fault tests stop and start it.

    Never the shared server. Made with ``initdb`` into a temporary folder; when the tests run
    as root (CI) every server program runs as the ``postgres`` system user, since PostgreSQL
    refuses to run as root.
    """

    def __init__(self, bin_dir: Path) -> None:
        import shutil
        import socket
        import tempfile

        self.bin_dir = bin_dir
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres and shutil.which("runuser") is None:
            raise RuntimeError("running as root without runuser: cannot start PostgreSQL")
        # not under pytest's tmp_path: that folder is private to root
        self.root = Path(tempfile.mkdtemp(prefix="survey-pg-"))
        self.data = self.root / "data"
        self.socket_dir = self.root / "run"
        self.socket_dir.mkdir()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        if self._as_postgres:
            import pwd

            owner = pwd.getpwnam("postgres")
            for path in (self.root, self.socket_dir):
                os.chown(path, owner.pw_uid, owner.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8")
        self.start()

    @classmethod
    def find(cls) -> Path | None:
        """The folder holding ``initdb`` and ``pg_ctl``, or None when they are not installed."""
        import glob

        for folder in sorted(glob.glob(_PG_BIN_GLOB), reverse=True):
            if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
                return Path(folder)
        return None

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the server's ``postgres`` database over TCP."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, program: str, *args: str) -> None:
        import subprocess

        command = [str(self.bin_dir / program), *args]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-w", "-l",
                  str(self.root / "log"), "start")  # fmt: skip

    def ensure_running(self) -> None:
        """Start the server unless it runs."""
        import subprocess

        try:
            self._run("pg_ctl", "-D", str(self.data), "status")
        except subprocess.CalledProcessError:
            self.start()

    def stop(self) -> None:
        """Stop the server at once (open connections are cut, like a crash or restart)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def close(self) -> None:
        """Stop the server if it runs and delete its files."""
        import shutil
        import subprocess

        with suppress(subprocess.CalledProcessError):  # already stopped
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
