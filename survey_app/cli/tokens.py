"""``survey-app tokens ...``: integration tokens for other software writing to the API.

The command line is trusted: its changes are audited with no actor ("system / command line").
A token is printed once, when it is issued; the database keeps only its SHA-256.
"""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from survey_app.extensions import db
from survey_app.services import tokens
from survey_app.services.errors import Conflict
from survey_app.services.errors import Invalid
from survey_app.services.errors import NotFound
from survey_app.services.errors import ServiceError


@click.group("tokens")
def tokens_group() -> None:
    """Issue, list and revoke API integration tokens."""


def _fail(error: ServiceError) -> click.ClickException:
    db.session.rollback()
    lines = [error.message]
    if isinstance(error, Invalid):
        lines += [f"  {issue.code} {issue.path}: {issue.message}" for issue in error.issues]
    return click.ClickException("\n".join(lines))


@tokens_group.command("issue")
@click.option("--name", required=True, help="What it is for, e.g. 'paper forms of system X'.")
@click.option(
    "--channel",
    required=True,
    type=click.Choice([c.value for c in tokens.INTEGRATION_CHANNELS]),
    help="The channel every response it writes is recorded with.",
)
@click.option("--campaign", default=None, help="Only this campaign (code); default: any.")
@click.option(
    "--scope",
    default=None,
    metavar="region|system:CODE|library:CODE",
    help="Where it may write; default: the whole region.",
)
@with_appcontext
def issue(name: str, channel: str, campaign: str | None, scope: str | None) -> None:
    """Issue a token and print it once (only its SHA-256 is kept)."""
    try:
        secret, row = tokens.issue_token(
            db.session, name=name, channel=channel, campaign=campaign, scope=scope
        )
    except Invalid as error:
        raise _fail(error) from None
    db.session.commit()
    click.echo(
        f"issued token {row.id} ({row.channel}, "
        f"{row.campaign.code if row.campaign else 'any campaign'}, "
        f"{tokens.describe_token_scope(row)}); it is shown only now:",
        err=True,
    )
    click.echo(secret)


@tokens_group.command("list")
@with_appcontext
def list_tokens() -> None:
    """List the tokens: id, hint, channel, campaign, scope, status, responses written, name."""
    for use in tokens.list_tokens(db.session):
        token = use.token
        status = "valid" if token.active else f"revoked {token.revoked_at:%Y-%m-%d}"
        campaign = token.campaign.code if token.campaign else "*"
        click.echo(
            f"{token.id}\t{token.hint}…\t{token.channel}\t{campaign}\t"
            f"{tokens.describe_token_scope(token)}\t{status}\t{use.responses}\t{token.name}"
        )


@tokens_group.command("revoke")
@click.argument("token_id")
@with_appcontext
def revoke(token_id: str) -> None:
    """Revoke a token (by id or hint, as listed): it is refused from the next request on."""
    try:
        token = tokens.get_token(db.session, token_id)
        tokens.revoke_token(db.session, token)
    except (NotFound, Conflict) as error:
        raise _fail(error) from None
    db.session.commit()
    click.echo(f"revoked token {token.id} ({token.hint}…, {token.name})")
