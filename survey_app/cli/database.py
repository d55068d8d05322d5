"""``survey-app db ...``: schema migrations."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from survey_app.db import downgrade_database
from survey_app.db import downgrade_losses
from survey_app.db import upgrade_database


@click.group("db")
def db() -> None:
    """Manage the database schema (Alembic migrations)."""


@db.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: the latest)."""
    upgrade_database(current_app.config["SQLALCHEMY_DATABASE_URI"], revision)
    click.echo(f"database at {revision}")


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
