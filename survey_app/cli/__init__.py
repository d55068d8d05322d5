"""The ``survey-app`` command: Flask's CLI group with the project's commands added."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup


def register_commands(app: Flask) -> None:
    """Add every command group to ``app.cli``."""
    from survey_app.cli import analysis
    from survey_app.cli import data
    from survey_app.cli import database
    from survey_app.cli import demo
    from survey_app.cli import instruments
    from survey_app.cli import reports
    from survey_app.cli import users

    app.cli.add_command(database.db)
    app.cli.add_command(demo.demo)
    app.cli.add_command(instruments.instruments_group)
    app.cli.add_command(data.export_group)
    app.cli.add_command(data.import_group)
    for command in analysis.COMMANDS:
        app.cli.add_command(command)
    app.cli.add_command(users.users_group)
    app.cli.add_command(reports.worker)
    app.cli.add_command(reports.reports_group)


def _create_app() -> Flask:
    from survey_app import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main() -> None:
    """Library service-quality surveys: run the server, manage data, analyse."""
