"""``survey-app db ...``: schema migrations."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from survey_app.db import DatabaseUnavailable
from survey_app.db import applied_between
from survey_app.db import downgrade_database
from survey_app.db import downgrade_losses
from survey_app.db import revision_of
from survey_app.db import safe_url
from survey_app.db import upgrade_database


@click.group("db")
def db() -> None:
    """Manage the database schema (Alembic migrations)."""


@db.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: the latest); say which were applied."""
    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    click.echo(f"database: {safe_url(url)}")
    before = _revision(url)
    upgrade_database(url, revision)
    after = _revision(url)
    applied = applied_between(before, after)
    for line in applied:
        click.echo(f"applied {line}")
    if applied:
        click.echo(f"database at {after} ({len(applied)} migration(s) applied)")
    else:
        click.echo(f"database already at {after}: nothing to apply")


@db.command("downgrade")
@click.argument("revision")
@click.option("--yes", is_flag=True, help="Do not ask before deleting data (not in production).")
@with_appcontext
def downgrade(revision: str, yes: bool) -> None:
    """Revert migrations down to REVISION ("base" removes every table).

    Rows of tables a revision adds are kept and come back with the upgrade; a downgrade that
    would delete data says what and asks first, and is refused in production.
    """
    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    click.echo(f"database: {safe_url(url)}")
    losses = downgrade_losses(url, revision)
    if losses:
        what = ", ".join(f"{count:,} rows of {name}" for name, count in losses.items())
        if current_app.config["ENV"] == "production":
            raise click.ClickException(
                f"refusing in production: the downgrade to {revision} would delete {what}; "
                "restore a backup instead"
            )
        if not yes:
            click.confirm(f"The downgrade to {revision} deletes {what}. Continue?", abort=True)
    downgrade_database(url, revision)
    click.echo(f"database at {revision}")


def _revision(url: str) -> str | None:
    """The revision the database is at; a database that cannot be reached is one line."""
    try:
        return revision_of(url)
    except DatabaseUnavailable as error:
        raise click.ClickException(str(error)) from error
