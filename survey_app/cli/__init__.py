"""The ``survey-app`` command: Flask's CLI group with the project's commands added."""

from __future__ import annotations

from typing import Any

import click
from flask import Flask
from flask.cli import FlaskGroup
from flask.cli import ScriptInfo
from sqlalchemy.exc import DBAPIError


def register_commands(app: Flask) -> None:
    """Add every command group to ``app.cli``."""
    from survey_app.cli import analysis
    from survey_app.cli import data
    from survey_app.cli import database
    from survey_app.cli import demo
    from survey_app.cli import instruments
    from survey_app.cli import users

    app.cli.add_command(database.db)
    app.cli.add_command(demo.demo)
    app.cli.add_command(instruments.instruments_group)
    app.cli.add_command(data.export_group)
    app.cli.add_command(data.import_group)
    for command in analysis.COMMANDS:
        app.cli.add_command(command)
    app.cli.add_command(users.users_group)


def _create_app() -> Flask:
    from survey_app import create_app

    return create_app()


class SurveyGroup(FlaskGroup):
    """Flask's group, turning a database that is unreachable or not migrated into one line.

    ``--env-file`` needs python-dotenv and ``limiter`` Flask-Limiter's ``cli`` extra; both
    are installed with the package (setup.py), so every listed command runs.
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DBAPIError as error:
            problem = _database_problem(ctx)
            if problem is None:
                raise
            raise click.ClickException(problem) from error


def _database_problem(ctx: click.Context) -> str | None:
    from survey_app.db import database_problem

    app = ctx.ensure_object(ScriptInfo).load_app()
    return database_problem(app.config["SQLALCHEMY_DATABASE_URI"])


@click.group(cls=SurveyGroup, create_app=_create_app, add_version_option=False)
def main() -> None:
    """Library service-quality surveys: run the server, manage data, analyse."""
