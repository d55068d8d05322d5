"""``survey-app demo``: a ready-to-explore region on the local database, then serve it."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from survey_app.db import upgrade_database
from survey_app.extensions import db
from survey_app.queue import compute_report_now
from survey_app.services.campaigns import list_campaigns
from survey_app.services.demo import DEFAULT_RESPONSES
from survey_app.services.demo import DEMO_ACCOUNTS
from survey_app.services.demo import DEMO_PASSWORD
from survey_app.services.demo import DemoRefused
from survey_app.services.demo import demo_row_counts
from survey_app.services.demo import refuse_demo_unless_safe
from survey_app.services.demo import seed_demo


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to serve on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to serve on.")
@click.option(
    "--responses",
    default=DEFAULT_RESPONSES,
    show_default=True,
    type=int,
    help="Synthetic responses to generate across the campaigns.",
)
@click.option("--seed-only", is_flag=True, help="Seed the database and exit without serving.")
@click.option(
    "--force",
    is_flag=True,
    help="Seed a non-empty development database that the demo did not make (never production).",
)
@with_appcontext
def demo(host: str, port: int, responses: int, seed_only: bool, force: bool) -> None:
    """Migrate, seed the Kemerovo demo region and serve it (running it twice duplicates nothing).

    Refuses in production and on a database that is neither empty nor made by the demo.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        refuse_demo_unless_safe(
            db.engine, production=app.config["ENV"] == "production", force=force
        )
    except DemoRefused as refusal:
        raise click.ClickException(str(refusal)) from None
    upgrade_database(app.config["SQLALCHEMY_DATABASE_URI"])
    click.echo(f"database: {db.engine.url.render_as_string(hide_password=True)}")
    click.echo(f"seeding the demo region with {responses} synthetic responses ...")
    before = demo_row_counts(db.session)
    summary = seed_demo(db.session, responses=responses)
    db.session.commit()
    after = demo_row_counts(db.session)
    added = ", ".join(f"{after[name] - before[name]} {name}" for name in after)
    click.echo(f"added {added} (a re-run adds nothing)")
    click.echo(
        f"in the database: {summary.libraries} libraries, {summary.campaigns} campaigns, "
        f"{summary.responses_total} responses"
    )
    click.echo("computing a report run for every campaign ...")
    for code in sorted(campaign.code for campaign in list_campaigns(db.session)):
        click.echo(f"  {code}: {compute_report_now(app, code)}")
    if seed_only:
        # nothing is served: say how to serve rather than print addresses that do not answer
        click.echo(
            f"\nseeded only; nothing is served. Serve it with `survey-app demo` "
            f"(http://{host}:{port}); staff sign in at /login with the password "
            f"{DEMO_PASSWORD!r}:"
        )
        for email, role, scope in DEMO_ACCOUNTS:
            click.echo(f"          {email:28} {role}{' — ' + scope if scope else ''}")
        return
    base = f"http://{host}:{port}"
    campaigns = sorted(list_campaigns(db.session), key=lambda campaign: campaign.code)
    click.echo("\nOpen:")
    for campaign in campaigns:
        library = campaign.libraries[0]
        click.echo(f"  survey  {base}/s/{campaign.code}/{library.code}   ({campaign.title})")
    first = campaigns[0]
    click.echo(f"  QR code {base}/s/{first.code}/{first.libraries[0].code}/qr.svg")
    click.echo(f"  staff   {base}/login   (password {DEMO_PASSWORD!r} for every account below)")
    for email, role, scope in DEMO_ACCOUNTS:
        click.echo(f"          {email:28} {role}{' — ' + scope if scope else ''}")
    click.echo(f"  API     {base}/api/v1/openapi.json")
    click.echo(f"  health  {base}/healthz")
    # Flask refuses app.run() inside its own CLI; serve with the same development server
    from werkzeug.serving import run_simple

    click.echo(f"\nserving on {base} (Ctrl+C to stop)")
    run_simple(host, port, app, threaded=True, use_reloader=False)
