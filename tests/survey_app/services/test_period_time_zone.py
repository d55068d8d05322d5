"""A report run counts each response in the month of the region's time zone (issue 13 §3:
the dashboard's period filter), not in the month of UTC.

Novokuznetsk is UTC+7 all year (no daylight saving since 2014), so by hand: a response sent
at 20:00 UTC on 31 March was sent at 03:00 on 1 April there, and belongs to April; one sent
at 16:00 UTC (23:00 there) still belongs to March. Expected shares are counted by hand from
the seeded answers.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from survey_app.models import ReportResult
from survey_app.models import ReportRun
from survey_app.queue import queue_of
from survey_app.services import report_runs
from survey_app.services.responses import parse_submission
from survey_app.services.responses import record_response
from tests.factories import NOK_ANSWERS
from tests.factories import submission

MAIN = "share_satisfied:q14"
UTC = dt.UTC
#: (moment of submission in UTC, responses, of them satisfied)
SENT = [
    (dt.datetime(2026, 3, 31, 16, 0, tzinfo=UTC), 10, 4),  # 23:00 on 31 March in Novokuznetsk
    (dt.datetime(2026, 3, 31, 20, 0, tzinfo=UTC), 12, 12),  # 03:00 on 1 April there
    (dt.datetime(2026, 4, 30, 18, 0, tzinfo=UTC), 11, 5),  # 01:00 on 1 May there
]


@pytest.fixture
def campaign(session, make_campaign) -> Any:
    campaign = make_campaign(code="TZ")
    campaign.starts_on, campaign.ends_on = dt.date(2026, 3, 1), dt.date(2026, 6, 30)
    for moment, size, satisfied in SENT:
        for k in range(size):
            body = submission(
                campaign,
                {**NOK_ANSWERS, "q14": int(k < satisfied)},
                started_at=(moment - dt.timedelta(minutes=4)).isoformat(),
                submitted_at=moment.isoformat(),
            )
            record_response(session, parse_submission(body))
    session.commit()
    return campaign


def periods(session: Any, run: ReportRun) -> dict[str, SimpleNamespace]:
    """The library's stored main indicator per period: n and estimate."""
    session.expire_all()
    rows = session.scalars(
        select(ReportResult)
        .where(ReportResult.run_id == run.id)
        .where(ReportResult.level == "library")
        .where(ReportResult.indicator.startswith(report_runs.PERIOD_PREFIX))
    )
    found = {}
    for row in rows:
        assert report_runs.base_indicator(row.indicator) == MAIN
        period = row.indicator.removeprefix(report_runs.PERIOD_PREFIX).partition(":")[0]
        found[period] = SimpleNamespace(n=row.n, estimate=row.estimate)
    return found


def computed(session: Any, campaign: Any, **kwargs: Any) -> ReportRun:
    run, _ = report_runs.request_run(session, campaign)
    report_runs.start_run(session, run)
    report_runs.compute_run(session, run, **kwargs)
    session.commit()
    assert run.main_indicator == MAIN
    return run


def test_run__counts_a_response_in_the_month_of_the_regions_time_zone(session, campaign):
    run = computed(session, campaign, zone="Asia/Novokuznetsk")
    found = periods(session, run)
    assert sorted(found) == ["2026-03", "2026-04", "2026-05"]
    assert (found["2026-03"].n, found["2026-03"].estimate) == (10, pytest.approx(4 / 10))
    assert (found["2026-04"].n, found["2026-04"].estimate) == (12, pytest.approx(12 / 12))
    assert (found["2026-05"].n, found["2026-05"].estimate) == (11, pytest.approx(5 / 11))


def test_run__in_utc_the_same_responses_fall_in_march_and_april(session, campaign):
    found = periods(session, computed(session, campaign, zone="UTC"))
    assert sorted(found) == ["2026-03", "2026-04"]
    assert (found["2026-03"].n, found["2026-03"].estimate) == (22, pytest.approx(16 / 22))
    assert (found["2026-04"].n, found["2026-04"].estimate) == (11, pytest.approx(5 / 11))


def test_worker__computes_the_periods_in_the_apps_time_zone(app, session, campaign):
    assert app.config["BABEL_DEFAULT_TIMEZONE"] == "Asia/Novokuznetsk"
    run, _ = report_runs.request_run(session, campaign)
    session.commit()
    queue_of(app).enqueue(run.id)  # computed at once here (QUEUE_IMMEDIATE), as a worker does
    session.expire_all()
    assert session.get(ReportRun, run.id).status == "done"
    found = periods(session, run)
    assert {period: row.n for period, row in found.items()} == {
        "2026-03": 10,
        "2026-04": 12,
        "2026-05": 11,
    }


def test_run__with_an_unknown_time_zone_says_so(session, campaign):
    run, _ = report_runs.request_run(session, campaign)
    report_runs.start_run(session, run)
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus_Mons'"):
        report_runs.compute_run(session, run, zone="Mars/Olympus_Mons")
