"""``survey-app users ...``: staff accounts from the command line (the first administrator).

The command line is trusted: its changes are audited with no actor ("system / command line").
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import click
from flask.cli import with_appcontext

from survey_app.extensions import db
from survey_app.models import Role
from survey_app.models import User
from survey_app.services import accounts
from survey_app.services.errors import Conflict
from survey_app.services.errors import Invalid
from survey_app.services.errors import ServiceError


@click.group("users")
def users_group() -> None:
    """Manage staff accounts."""


def _fail(error: ServiceError) -> NoReturn:
    db.session.rollback()
    lines = [error.message]
    if isinstance(error, Invalid):
        lines += [f"  {issue.code} {issue.path}: {issue.message}" for issue in error.issues]
    raise click.ClickException("\n".join(lines))


@contextmanager
def _saving(*errors: type[ServiceError]) -> Iterator[None]:
    """Commit what the block changed; on one of ``errors`` roll back and fail with it."""
    try:
        yield
    except errors as error:
        _fail(error)
    db.session.commit()


def _account(email: str) -> User:
    """The account with this e-mail (any case), or a failure naming it."""
    user = accounts.find_user(db.session, email)
    if user is None:
        raise click.ClickException(f"no account {email!r}")
    return user


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@users_group.command("create")
@click.option("--email", required=True, help="The person's e-mail; they sign in with it.")
@click.option(
    "--role",
    required=True,
    type=click.Choice([role.value for role in Role]),
    help="What the account may do.",
)
@click.option(
    "--scope",
    default=None,
    metavar="system:CODE|library:CODE",
    help="Where: a library system (quality managers) or a library (library staff).",
)
@click.option("--name", default="", help="Display name.")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input instead of prompting.",
)
@with_appcontext
def create(email: str, role: str, scope: str | None, name: str, password_stdin: bool) -> None:
    """Create an account (e.g. the first administrator)."""
    password = _read_password(password_stdin)
    with _saving(Invalid, Conflict):
        user = accounts.create_user(
            db.session,
            email=email,
            password=password,
            role=role,
            name=name,
            scope=accounts.parse_scope(db.session, scope),
        )
    click.echo(f"created {user.email} ({user.role}, {accounts.describe_scope(user)})")


@users_group.command("list")
@with_appcontext
def list_users() -> None:
    """List every account: e-mail, role, scope, status."""
    for user in accounts.list_users(db.session):
        status = "active" if user.active else "deactivated"
        click.echo(f"{user.email}\t{user.role}\t{accounts.describe_scope(user)}\t{status}")


@users_group.command("deactivate")
@click.argument("email")
@with_appcontext
def deactivate(email: str) -> None:
    """Deactivate an account: it cannot sign in and its sessions end."""
    user = _account(email)
    with _saving(Conflict):
        accounts.deactivate_user(db.session, user)
    click.echo(f"deactivated {user.email}")


@users_group.command("activate")
@click.argument("email")
@with_appcontext
def activate(email: str) -> None:
    """Reactivate an account."""
    user = _account(email)
    with _saving():
        accounts.activate_user(db.session, user)
    click.echo(f"activated {user.email}")


@users_group.command("set-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def set_password(email: str, password_stdin: bool) -> None:
    """Set a new password for an account (its other sessions end)."""
    user = _account(email)
    with _saving(Invalid):
        accounts.reset_password(db.session, user, _read_password(password_stdin))
    click.echo(f"password changed for {user.email}")
