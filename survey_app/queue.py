"""The background task queue (huey): report runs and the nightly recomputation.

Storage is chosen by ``SURVEY_QUEUE_URL`` (``app.config["QUEUE_URL"]``):

* empty (the default): a SQLite file ``queue.sqlite3`` in the instance folder, so a laptop
  demo needs no server;
* ``sqlite:///path/to/file``: that SQLite file;
* ``redis://host:port/db``: Redis (production); ``QUEUE_NAME`` names the queue's keys;
* ``memory://``: in the process only (tests).

``QUEUE_IMMEDIATE = True`` runs every task at once in the caller (huey's immediate mode).
``survey-app worker`` runs the consumer. Each application gets its own :class:`huey.Huey`
(``app.extensions["huey"]``) with the tasks bound to it, so tests can run several.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from flask import current_app
from huey import Huey
from huey import MemoryHuey
from huey import RedisHuey
from huey import SqliteHuey
from huey import crontab

from survey_app.config import region_time_zone
from survey_app.extensions import db
from survey_app.models import ReportRun
from survey_app.models import RunStatus
from survey_app.services import report_runs

__all__ = [
    "ReportQueue",
    "compute_report_now",
    "execute_run",
    "init_queue",
    "make_huey",
    "queue_nightly",
    "queue_of",
]

log = logging.getLogger(__name__)


def make_huey(url: str, *, name: str, instance_path: str, immediate: bool = False) -> Huey:
    """A huey instance on the storage the URL names (see the module docstring).

    Raises
    ------
    ValueError
        For a URL of another scheme.
    """
    scheme = urlsplit(url).scheme if url else ""
    if not url:
        os.makedirs(instance_path, exist_ok=True)
        huey: Huey = SqliteHuey(name, filename=os.path.join(instance_path, "queue.sqlite3"))
    elif scheme == "sqlite":
        path = url.removeprefix("sqlite:///")
        huey = SqliteHuey(name, filename=path)
    elif scheme in ("redis", "rediss", "unix"):
        huey = RedisHuey(name, url=url)
    elif scheme == "memory":
        huey = MemoryHuey(name)
    else:
        raise ValueError(f"SURVEY_QUEUE_URL: unsupported queue storage {url!r}")
    huey.immediate = immediate
    return huey


@dataclass
class ReportQueue:
    """The app's queue and its tasks."""

    huey: Huey
    #: task: compute one report run (by id)
    compute: Any
    #: periodic task: queue a run of every open campaign
    nightly: Any

    def enqueue(self, run_id: int) -> None:
        """Queue the computation of a run (runs at once in immediate mode)."""
        self.compute(run_id)


def execute_run(app: Flask, run_id: int) -> RunStatus | None:
    """Compute one run in its own application context; commit its result or its failure.

    A run that is not queued (already done, failed, or taken by another worker) is left
    alone. Returns the run's final status.
    """
    with app.app_context():  # its own session, removed when the context ends
        session = db.session
        run = session.get(ReportRun, run_id)
        if run is None or run.status != RunStatus.queued:
            return None if run is None else RunStatus(run.status)
        report_runs.start_run(session, run)
        session.commit()
        writer = report_runs.progress_writer(db.engine, run_id)
        try:
            report_runs.compute_run(
                session,
                run,
                standard_name=app.config.get("REPORT_STANDARD") or None,
                progress=writer,
                # periods in the region's months, as the pages show its times
                zone=region_time_zone(app.config),
            )
            session.commit()
            return RunStatus.done
        except Exception as exc:  # noqa: BLE001 - any failure is recorded on the run
            session.rollback()
            log.exception("report run %s failed", run_id)
            report_runs.fail_run(session, run_id, f"{type(exc).__name__}: {exc}")
            session.commit()
            return RunStatus.failed


def compute_report_now(app: Flask, code: str) -> str:
    """Request and compute a run of one campaign here and now; say how it ended."""
    with app.app_context():
        session = db.session
        campaign = report_runs.find_campaign(session, code)
        if campaign is None:
            return f"no campaign {code!r}"
        run, _new = report_runs.request_run(session, campaign)
        session.commit()
        run_id = run.id
    status = execute_run(app, run_id)
    with app.app_context():
        done = report_runs.get_run(db.session, run_id)
        if done is None or status != RunStatus.done:
            return f"run {run_id} failed: {done.error if done is not None else status}"
        return (
            f"run {run_id}: {done.responses_counted} responses, {done.libraries_counted} libraries"
        )


def queue_nightly(app: Flask) -> list[int]:
    """Queue a run of every open campaign; return the ids of the runs queued."""
    queued: list[int] = []
    with app.app_context():
        session = db.session
        for campaign in report_runs.open_campaigns(session):
            run, new = report_runs.request_run(session, campaign)
            if new:
                queued.append(run.id)
        session.commit()
    return queued


def init_queue(app: Flask) -> ReportQueue:
    """Make the app's huey and bind the tasks to it (``app.extensions["huey"]``)."""
    huey = make_huey(
        str(app.config.get("QUEUE_URL") or ""),
        name=str(app.config.get("QUEUE_NAME") or "survey"),
        instance_path=app.instance_path,
        immediate=bool(app.config.get("QUEUE_IMMEDIATE")),
    )

    @huey.task(name="reports.compute")
    def compute(run_id: int) -> str | None:
        status = execute_run(app, run_id)
        return None if status is None else status.value

    hour = int(app.config.get("REPORTS_NIGHTLY_UTC_HOUR", 19))

    @huey.periodic_task(crontab(minute="0", hour=str(hour)), name="reports.nightly")
    def nightly() -> None:
        for run_id in queue_nightly(app):
            compute(run_id)

    queue = ReportQueue(huey=huey, compute=compute, nightly=nightly)
    app.extensions["huey"] = huey
    app.extensions["report_queue"] = queue
    return queue


def queue_of(app: Flask | None = None) -> ReportQueue:
    """The report queue of ``app`` (default: the current app)."""
    application = app if app is not None else current_app._get_current_object()  # type: ignore[attr-defined]
    found: ReportQueue = application.extensions["report_queue"]
    return found
