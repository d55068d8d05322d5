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
import subprocess
import sys
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
from survey_app.models import Response
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


@pytest.mark.parametrize("command", [("worker",), ("reports", "run", "--campaign", "QUEUED")])
def test_cli__a_misspelt_standard_is_one_line_at_start_and_nothing_is_queued(
    app, runner, session, nok_campaign, command, monkeypatch
):
    monkeypatch.setitem(app.config, "REPORT_STANDARD", "kemerovo_exmaple")
    result = runner.invoke(args=list(command))

    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: SURVEY_REPORT_STANDARD 'kemerovo_exmaple' cannot be read: no packaged "
        "standard 'kemerovo_exmaple'; available: ['kemerovo_example']"
    ]
    session.expire_all()
    assert session.scalars(select(ReportRun)).all() == []


def test_cli_reports_run_all__recomputes_closed_campaigns_too(
    runner, session, nok_campaign, make_campaign
):
    # after an upgrade that changes the results (e.g. periods in the region's time zone), a
    # closed campaign is not in the nightly recomputation: --all reaches it as well
    old = make_campaign(code="OLD")
    for k in range(7):
        answers = {**NOK_ANSWERS, "q14": k % 2 == 0}
        record_response(session, parse_submission(submission(old, answers)))
    old.status = CampaignStatus.closed
    session.commit()

    done = runner.invoke(args=["reports", "run", "--all", "--wait"])
    neither = runner.invoke(args=["reports", "run"])
    both = runner.invoke(args=["reports", "run", "--all", "--campaign", "OLD"])

    assert done.exit_code == 0, done.output
    lines = done.output.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].endswith("of QUEUED done: 12 responses, 1 libraries")
    assert lines[1].endswith("of OLD done: 7 responses, 1 libraries")
    session.expire_all()
    runs = session.execute(select(ReportRun.campaign_id, ReportRun.status)).all()
    assert sorted(runs) == sorted([(nok_campaign.id, "done"), (old.id, "done")])
    for refused in (neither, both):
        assert refused.exit_code == 2
        assert "give either --campaign CODE or --all" in refused.output


def test_cli_reports_run_all__goes_on_past_a_failed_run_and_says_which(
    runner, session, nok_campaign, make_campaign, monkeypatch
):
    make_campaign(code="BROKEN")
    session.commit()
    compute = report_runs.compute_run

    def failing_for_broken(session_: Session, run: ReportRun, **kwargs: Any) -> ReportRun:
        if run.campaign.code == "BROKEN":
            raise ValueError("the checklist file is damaged")
        return compute(session_, run, **kwargs)

    monkeypatch.setattr(report_runs, "compute_run", failing_for_broken)
    result = runner.invoke(args=["reports", "run", "--all", "--wait"])

    assert result.exit_code == 1
    assert "of QUEUED done: 12 responses, 1 libraries" in result.output
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("Error: 1 of 2 runs failed; run ")
    assert last.endswith("of BROKEN failed: ValueError: the checklist file is damaged")


def test_cli_reports_run_wait__a_failed_run_is_one_line_without_the_worker_traceback(
    session, nok_campaign, database_url, tmp_path
):
    # a stored answer vector of the wrong length: the scan refuses it and the run fails
    response = session.scalars(select(Response).where(Response.campaign_id == nok_campaign.id))
    response.first().vector = b"\x00\x00"
    session.commit()
    # the real command in its own process: no test harness catches the worker's log there
    env = {**os.environ, "DATABASE_URL": database_url, "SURVEY_QUEUE_URL": "memory://"}
    command = "from survey_app.cli import main; main()"
    done = subprocess.run(
        [sys.executable, "-c", command, "reports", "run", "--campaign", "QUEUED", "--wait"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
        check=False,
    )

    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("Error: run ") and " of QUEUED failed: ValueError: a response " in line
    assert line.endswith("has a vector of another length than nok_culture v1's 16 keys")
    session.expire_all()
    stored = session.scalars(select(ReportRun).where(ReportRun.campaign_id == nok_campaign.id))
    assert [(run.status, run.error.split(":")[0]) for run in stored] == [("failed", "ValueError")]
