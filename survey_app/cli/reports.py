"""``survey-app worker`` and ``survey-app reports run``: background report runs."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from survey_app.extensions import db
from survey_app.queue import execute_run
from survey_app.queue import queue_of
from survey_app.services import report_runs


@click.command("worker")
@click.option("--workers", default=1, show_default=True, type=int, help="Worker threads.")
@with_appcontext
def worker(workers: int) -> None:
    """Run the background queue's consumer (report runs, the nightly recomputation)."""
    if workers < 1:
        raise click.UsageError("--workers must be at least 1")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    huey = queue_of(app).huey
    click.echo(f"worker: queue {huey.name!r} on {type(huey.storage).__name__}")
    huey.create_consumer(workers=workers, worker_type="thread", periodic=True).run()


@click.group("reports")
def reports_group() -> None:
    """Report runs: the stored analysis of a campaign shown on the results pages."""


@reports_group.command("run")
@click.option("--campaign", "code", required=True, help="Campaign code.")
@click.option("--wait", is_flag=True, help="Compute here and now instead of queueing it.")
@with_appcontext
def run(code: str, wait: bool) -> None:
    """Queue (or, with --wait, compute) a report run of one campaign."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    campaign = report_runs.find_campaign(db.session, code)
    if campaign is None:
        raise click.ClickException(f"no campaign with code {code!r}")
    report, new = report_runs.request_run(db.session, campaign)
    db.session.commit()
    run_id = report.id
    queue = queue_of(app)
    if not new:
        click.echo(f"run {run_id} of {code} is already {report.status}")
        return
    if not wait and not queue.huey.immediate:
        queue.enqueue(run_id)
        click.echo(f"run {run_id} of {code} queued")
        return
    if queue.huey.immediate:
        queue.enqueue(run_id)
    else:
        execute_run(app, run_id)
    db.session.expire_all()
    done = report_runs.get_run(db.session, run_id)
    if done is None or done.status != "done":
        error = done.error if done is not None else "run vanished"
        raise click.ClickException(f"run {run_id} of {code} failed: {error}")
    click.echo(
        f"run {run_id} of {code} done: {done.responses_counted} responses, "
        f"{done.libraries_counted} libraries"
    )
