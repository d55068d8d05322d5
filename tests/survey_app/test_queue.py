"""The background queue (issue 13 §2): a report run queued from one application is computed
by a real huey consumer on SQLite storage and on Redis; the nightly task queues the open
campaigns at its hour; ``survey-app reports run`` queues or computes one.

The Redis test uses a queue name of its own and deletes only that queue's keys (never the
shared Redis's other data); it is skipped where no Redis answers on 127.0.0.1:6379, except
under CI=true, where that is a failure.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import Callable
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey_app import create_app
from survey_app.extensions import db
from survey_app.models import Campaign
from survey_app.models import CampaignStatus
from survey_app.models import ReportResult
from survey_app.models import ReportRun
from survey_app.models import RunStatus
from survey_app.queue import make_huey
from survey_app.queue import queue_nightly
from survey_app.queue import queue_of
from survey_app.services import report_runs
from survey_app.services.responses import parse_submission
from survey_app.services.responses import record_response
from tests.factories import NOK_ANSWERS
from tests.factories import submission

REDIS_URL = "redis://127.0.0.1:6379/0"


def worker_app(database_url: str, queue_url: str, name: str) -> Flask:
    """A second application on the suite's database with a real (not immediate) queue."""
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "QUEUE_URL": queue_url,
            "QUEUE_NAME": name,
            "QUEUE_IMMEDIATE": False,
        }
    )


@pytest.fixture
def nok_campaign(session: Session, make_campaign: Callable[..., Campaign]) -> Campaign:
    """An open NOK campaign with 12 responses in one library (committed for other apps)."""
    campaign = make_campaign(code="QUEUED")
    for k in range(12):
        answers = {**NOK_ANSWERS, "q14": k % 3 != 0}
        record_response(session, parse_submission(submission(campaign, answers)))
    session.commit()
    return campaign


def consume_until_done(app: Flask, run_id: int, timeout: float = 90.0) -> str:
    """Run huey's consumer (one worker thread) until the run leaves queued/running."""
    huey = queue_of(app).huey
    handlers = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    consumer = huey.create_consumer(workers=1, worker_type="thread", periodic=False)
    consumer.start()
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with app.app_context():
                status = db.session.scalar(select(ReportRun.status).where(ReportRun.id == run_id))
                db.session.remove()
            if status in (RunStatus.done, RunStatus.failed):
                return str(status)
            time.sleep(0.2)
        return "timeout"
    finally:
        consumer.stop(graceful=True)
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


def queue_and_consume(app: Flask, session: Session, campaign: Campaign) -> tuple[str, int]:
    run, new = report_runs.request_run(session, campaign)
    session.commit()
    assert new
    queue = queue_of(app)
    queue.enqueue(run.id)
    assert queue.huey.pending_count() == 1
    status = consume_until_done(app, run.id)
    assert queue.huey.pending_count() == 0
    return status, run.id


def stored_rows(session: Session, run_id: int) -> int:
    session.expire_all()
    return session.scalar(
        select(func.count()).select_from(ReportResult).where(ReportResult.run_id == run_id)
    )


def test_sqlite_queue__a_worker_computes_the_queued_run(
    session, nok_campaign, database_url, tmp_path: Path
):
    app = worker_app(database_url, f"sqlite:///{tmp_path / 'queue.sqlite3'}", "test")
    assert type(queue_of(app).huey.storage).__name__ == "SqliteStorage"

    status, run_id = queue_and_consume(app, session, nok_campaign)

    assert status == "done"
    run = session.get(ReportRun, run_id)
    assert run is not None and run.responses_counted == 12 and run.progress == 1.0
    assert run.started_at is not None and run.finished_at is not None
    assert stored_rows(session, run_id) > 0
    assert (tmp_path / "queue.sqlite3").exists()


def test_default_queue__is_a_sqlite_file_in_the_instance_folder(tmp_path: Path):
    huey = make_huey("", name="survey", instance_path=str(tmp_path / "instance"))
    assert type(huey.storage).__name__ == "SqliteStorage"
    assert (tmp_path / "instance" / "queue.sqlite3").exists()
    with pytest.raises(ValueError, match="unsupported"):
        make_huey("amqp://x", name="survey", instance_path=str(tmp_path))


@pytest.fixture
def redis_name() -> Iterator[str]:
    """A queue name used by this test only; its keys are deleted afterwards."""
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI") == "true":
            pytest.fail("Redis is not running on 127.0.0.1:6379")
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    name = f"survey-test-{uuid.uuid4().hex}"
    yield name
    keys = list(client.scan_iter(match=f"*{name}*"))
    if keys:
        client.delete(*keys)
    client.close()


def test_redis_queue__a_worker_computes_the_queued_run(
    session, nok_campaign, database_url, redis_name: str
):
    import redis

    app = worker_app(database_url, REDIS_URL, redis_name)
    huey = queue_of(app).huey
    assert type(huey.storage).__name__ == "RedisStorage"

    status, run_id = queue_and_consume(app, session, nok_campaign)

    assert status == "done"
    assert stored_rows(session, run_id) > 0
    huey.storage.flush_all()
    client = redis.Redis.from_url(REDIS_URL)
    assert list(client.scan_iter(match=f"*{redis_name}*")) == []
    client.close()


def test_failed_job__is_recorded_on_the_run_and_the_worker_goes_on(
    session, nok_campaign, database_url, tmp_path: Path, monkeypatch
):
    from survey_app.services import reporting

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk full")

    monkeypatch.setattr(reporting, "regional_analysis", broken)
    app = worker_app(database_url, f"sqlite:///{tmp_path / 'q.sqlite3'}", "test")

    status, run_id = queue_and_consume(app, session, nok_campaign)

    session.expire_all()
    run = session.get(ReportRun, run_id)
    assert status == "failed"
    assert run is not None and run.error == "RuntimeError: disk full"


def test_nightly__queues_every_open_campaign_once_at_its_hour(
    session, make_campaign, database_url, tmp_path: Path
):
    open_ = make_campaign(code="OPEN")
    make_campaign(code="CLOSED", status=CampaignStatus.closed)
    session.commit()
    app = worker_app(database_url, f"sqlite:///{tmp_path / 'q.sqlite3'}", "test")
    huey = queue_of(app).huey

    due = [task.name for task in huey.read_periodic(datetime(2026, 12, 4, 19, 0))]
    not_due = [task.name for task in huey.read_periodic(datetime(2026, 12, 4, 18, 0))]
    assert due == ["reports.nightly"] and not_due == []
    first = queue_nightly(app)
    again = queue_nightly(app)  # still queued: not a second time

    session.expire_all()
    queued = session.scalars(select(ReportRun.campaign_id)).all()
    assert queued == [open_.id] and len(first) == 1 and again == []


def test_cli_reports_run__computes_with_wait_and_refuses_an_unknown_campaign(
    runner, session, nok_campaign
):
    done = runner.invoke(args=["reports", "run", "--campaign", "QUEUED", "--wait"])
    unknown = runner.invoke(args=["reports", "run", "--campaign", "NOPE"])

    assert done.exit_code == 0, done.output
    assert "done: 12 responses, 1 libraries" in done.output
    assert unknown.exit_code == 1
    assert unknown.output.strip() == "Error: no campaign with code 'NOPE'"
