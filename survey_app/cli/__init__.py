"""The ``survey-app`` command: Flask's CLI group with the project's commands added.

Start-up is cheap (issue 10 §6): the project's commands are found by name in :data:`COMMANDS`
and their module is imported only when that command runs, and ``survey-app --help`` lists them
from the short help stored here without creating the application. So neither ``--help`` nor
``reliability`` (which needs no database) pays for Flask-SQLAlchemy, the blueprints, pandas,
SciPy or statsmodels; a command that needs the application (``db``, ``users``, ...) creates it
through ``with_appcontext`` as before. ``benchmarks/cli_startup.py`` measures it.
"""

from __future__ import annotations

import importlib
from typing import Any
from typing import NamedTuple

import click
from click.utils import make_default_short_help
from flask import Flask
from flask.cli import FlaskGroup
from flask.cli import ScriptInfo


class LazyCommand(NamedTuple):
    """Where a command lives, and its one-line help for ``survey-app --help``."""

    module: str
    attribute: str
    short_help: str


#: name -> command, in the order ``register_commands`` adds them to ``app.cli``; the short help
#: is the command's own (tests/survey_app/test_cli_startup.py checks that they agree)
COMMANDS: dict[str, LazyCommand] = {
    "db": LazyCommand(
        "survey_app.cli.database", "db", "Manage the database schema (Alembic migrations)."
    ),
    "demo": LazyCommand(
        "survey_app.cli.demo",
        "demo",
        "Migrate, seed the Kemerovo demo region and serve it "
        "(running it twice duplicates nothing).",
    ),
    "instruments": LazyCommand(
        "survey_app.cli.instruments", "instruments_group", "Check and list instrument definitions."
    ),
    "export": LazyCommand(
        "survey_app.cli.data",
        "export_group",
        "Export stored data (formats in docs/data-format.md).",
    ),
    "import": LazyCommand(
        "survey_app.cli.data",
        "import_group",
        "Import data typed in elsewhere (formats in docs/data-format.md).",
    ),
    "reliability": LazyCommand(
        "survey_app.cli.analysis",
        "reliability_command",
        "Cronbach's alpha, omega and split-half reliability of the --items of FILE.csv.",
    ),
    "indices": LazyCommand(
        "survey_app.cli.analysis",
        "indices_command",
        "Every index of an instrument per library (or --by group) from a wide CSV export.",
    ),
    "users": LazyCommand("survey_app.cli.users", "users_group", "Manage staff accounts."),
    "tokens": LazyCommand(
        "survey_app.cli.tokens",
        "tokens_group",
        "Issue, list and revoke API integration tokens.",
    ),
    "worker": LazyCommand(
        "survey_app.cli.reports",
        "worker",
        "Run the background queue's consumer (report runs, the nightly recomputation).",
    ),
    "reports": LazyCommand(
        "survey_app.cli.reports",
        "reports_group",
        "Report runs: the stored analysis of a campaign shown on the results pages.",
    ),
}


def load_command(name: str) -> click.Command:
    """Import and return the project command ``name``."""
    spec = COMMANDS[name]
    command = getattr(importlib.import_module(spec.module), spec.attribute)
    if not isinstance(command, click.Command):
        raise TypeError(f"{spec.module}.{spec.attribute} is not a click command")
    return command


def register_commands(app: Flask) -> None:
    """Add every command group to ``app.cli`` (for ``flask --app survey_app`` and tests)."""
    for name in COMMANDS:
        app.cli.add_command(load_command(name), name)


class _Group(FlaskGroup):
    """FlaskGroup that serves the project's commands without loading the application.

    A database that is unreachable or not migrated is one line saying what to do, not a
    traceback. ``--env-file`` needs python-dotenv and ``limiter`` Flask-Limiter's ``cli``
    extra; both are installed with the package (setup.py), so every such command runs.
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as error:
            # imported here: a command that needs no database starts without SQLAlchemy
            from sqlalchemy.exc import DBAPIError

            if not isinstance(error, DBAPIError):
                raise
            problem = _database_problem(ctx)
            if problem is None:
                raise
            raise click.ClickException(problem) from error

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in COMMANDS:
            return load_command(name)
        return super().get_command(ctx, name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        # Flask's own (run, shell, routes) and the project's. Plugins' and extensions' commands
        # (Flask-Limiter's ``limiter``) work but are not listed: listing them would import the
        # plugins and create the application.
        return sorted({*self.commands, *COMMANDS})

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        limit = formatter.width - 6 - max(len(name) for name in self.list_commands(ctx))
        for name in self.list_commands(ctx):
            if name in COMMANDS:
                rows.append((name, make_default_short_help(COMMANDS[name].short_help, limit)))
                continue
            command = self.commands.get(name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _database_problem(ctx: click.Context) -> str | None:
    from survey_app.db import database_problem

    app = ctx.ensure_object(ScriptInfo).load_app()
    return database_problem(app.config["SQLALCHEMY_DATABASE_URI"])


def _create_app() -> Flask:
    from survey_app import create_app
    from survey_app.config import ConfigError

    try:
        return create_app()
    except ConfigError as error:  # a refused setting: one line saying which, no traceback
        raise click.ClickException(str(error)) from error


@click.group(cls=_Group, create_app=_create_app, add_version_option=False)
def main() -> None:
    """Library service-quality surveys: run the server, manage data, analyse.

    Flask-Limiter's maintenance commands: survey-app limiter --help.
    """
