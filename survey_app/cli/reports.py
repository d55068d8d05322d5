"""``survey-app worker`` and ``survey-app reports run``: background report runs."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import click
from flask import Flask
from flask import current_app
from flask.cli import with_appcontext

from survey_app.extensions import db
from survey_app.models import Campaign
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
    _check_standard(app)
    huey = queue_of(app).huey
    click.echo(f"worker: queue {huey.name!r} on {type(huey.storage).__name__}")
    huey.create_consumer(workers=workers, worker_type="thread", periodic=True).run()


@click.group("reports")
def reports_group() -> None:
    """Report runs: the stored analysis of a campaign shown on the results pages."""


@reports_group.command("run")
@click.option("--campaign", "code", help="Campaign code.")
@click.option(
    "--all",
    "every",
    is_flag=True,
    help="Every campaign, open or closed (e.g. after an upgrade that changes the results).",
)
@click.option("--wait", is_flag=True, help="Compute here and now instead of queueing it.")
@with_appcontext
def run(code: str | None, every: bool, wait: bool) -> None:
    """Queue (or, with --wait, compute) a report run of one campaign, or of every one."""
    if every == (code is not None):
        raise click.UsageError("give either --campaign CODE or --all")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    _check_standard(app)
    if code is not None:
        campaign = report_runs.find_campaign(db.session, code)
        if campaign is None:
            raise click.ClickException(f"no campaign with code {code!r}")
        failure = _run_one(app, campaign, wait)
        if failure is not None:
            raise click.ClickException(failure)
        return
    campaigns = report_runs.every_campaign(db.session)
    failures = [f for f in (_run_one(app, c, wait) for c in campaigns) if f is not None]
    if failures:
        raise click.ClickException(
            f"{len(failures)} of {len(campaigns)} runs failed; " + "; ".join(failures)
        )


def _check_standard(app: Flask) -> None:
    """One line and exit 1 when the configured regional standard cannot be read: told once,
    at start, not by every run failing (one with no version in force today is readable: a
    run applies the one of its campaign's first day)."""
    name = app.config.get("REPORT_STANDARD") or None
    try:
        report_runs.load_regional_standard(name, None)
    except ValueError as error:
        raise click.ClickException(
            f"SURVEY_REPORT_STANDARD {name!r} cannot be read: {error}"
        ) from None


@contextmanager
def _run_log_quiet() -> Iterator[None]:
    """Computed here, a failed run is told in one line (and its error stored on the run, for
    the results pages): the worker's log of it, traceback and all, is not printed too."""
    logger = logging.getLogger(execute_run.__module__)
    was = logger.disabled
    logger.disabled = True
    try:
        yield
    finally:
        logger.disabled = was


def _run_one(app: Flask, campaign: Campaign, wait: bool) -> str | None:
    """Queue or compute a run of ``campaign``, saying so in one line; the failure, if any."""
    code = campaign.code
    report, new = report_runs.request_run(db.session, campaign)
    db.session.commit()
    run_id = report.id
    queue = queue_of(app)
    if not new:
        click.echo(f"run {run_id} of {code} is already {report.status}")
        return None
    if not wait and not queue.huey.immediate:
        queue.enqueue(run_id)
        click.echo(f"run {run_id} of {code} queued")
        return None
    with _run_log_quiet():
        if queue.huey.immediate:
            queue.enqueue(run_id)
        else:
            execute_run(app, run_id)
    db.session.expire_all()
    done = report_runs.get_run(db.session, run_id)
    if done is None or done.status != "done":
        error = done.error if done is not None else "run vanished"
        return f"run {run_id} of {code} failed: {error}"
    click.echo(
        f"run {run_id} of {code} done: {done.responses_counted} responses, "
        f"{done.libraries_counted} libraries"
    )
    return None
