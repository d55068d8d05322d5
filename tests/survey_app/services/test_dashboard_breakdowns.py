"""Channel and period breakdowns of a report run and the dashboard's filters (issue 13 §3),
and verdicts on the system and region roll-ups.

The expectations are computed by hand from the seeded answers: shares satisfied with their
Wilson intervals (statsmodels), verdicts by the rule of the standard (the interval against
the target), the roll-up as the respondent-weighted mean of its libraries.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import select
from statsmodels.stats.proportion import proportion_confint

from survey_app.models import LibrarySystem
from survey_app.models import Region
from survey_app.models import ReportResult
from survey_app.services import dashboard
from survey_app.services import report_runs
from survey_app.services import reporting
from survey_app.services.responses import parse_submission
from survey_app.services.responses import record_response
from tests.factories import NOK_ANSWERS
from tests.factories import submission

MAIN = "share_satisfied:q14"
#: kemerovo_example, version 2025 (in force on the campaign's first day): at least 90 %
TARGET = 0.90
#: library -> [(channel, month, responses, of them satisfied)]
SEED = {
    "A": [("qr", 3, 20, 19), ("qr", 4, 15, 11), ("web", 4, 15, 9)],
    "B": [("kiosk", 3, 8, 8), ("qr", 4, 24, 23)],
}


def wilson(hits: int, n: int) -> tuple[float, float, float]:
    low, high = proportion_confint(hits, n, alpha=0.05, method="wilson")
    return hits / n, float(low), float(high)


def verdict_by_hand(low: float, high: float, n: int) -> str:
    if n < 30:
        return "insufficient data"
    if low >= TARGET:
        return "meets"
    return "below" if high < TARGET else "indeterminate"


@pytest.fixture
def world(session, make_library, make_campaign, make_user) -> SimpleNamespace:
    region = Region(code="reg", name="Область")
    systems = {
        "A": LibrarySystem(region=region, code="SYS-A", name="ЦБС А"),
        "B": LibrarySystem(region=region, code="SYS-B", name="ЦБС Б"),
    }
    session.add_all(systems.values())
    session.flush()
    libraries = {code: make_library(f"LIB-{code}", system=systems[code]) for code in SEED}
    campaign = make_campaign(code="NOK", libraries=list(libraries.values()))
    campaign.starts_on, campaign.ends_on = dt.date(2026, 2, 1), dt.date(2026, 11, 30)
    for code, parts in SEED.items():
        for channel, month, size, satisfied in parts:
            moment = dt.datetime(2026, month, 10, 9, 0, tzinfo=dt.UTC)
            for k in range(size):
                body = submission(
                    campaign,
                    {**NOK_ANSWERS, "q14": int(k < satisfied)},
                    library=libraries[code].code,
                    channel=channel,
                    started_at=moment.isoformat(),
                    submitted_at=(moment + dt.timedelta(minutes=4)).isoformat(),
                )
                record_response(session, parse_submission(body))
    session.flush()
    run, _ = report_runs.request_run(session, campaign)
    report_runs.start_run(session, run)
    report_runs.compute_run(session, run)
    return SimpleNamespace(
        campaign=campaign,
        libraries=libraries,
        systems=systems,
        run=run,
        admin=make_user("admin"),
        staff=make_user("library_staff", library=libraries["A"]),
    )


def stored(session: Any, world: Any, indicator: str) -> dict[tuple[str, Any], ReportResult]:
    rows = session.scalars(
        select(ReportResult)
        .where(ReportResult.run_id == world.run.id)
        .where(ReportResult.indicator == indicator)
    )
    return {(r.level, r.library_id or r.system_id): r for r in rows}


def test_run__stores_the_main_index_per_channel_and_per_month_with_wilson_intervals(session, world):
    assert world.run.main_indicator == MAIN
    library = world.libraries["A"].id
    expected = {
        "channel:qr": (30, 35),  # March 19 + April 11
        "channel:web": (9, 15),
        "period:2026-03": (19, 20),
        "period:2026-04": (20, 30),  # qr 11 + web 9
    }
    for prefix, (hits, n) in expected.items():
        row = stored(session, world, f"{prefix}:{MAIN}")[("library", library)]
        estimate, low, high = wilson(hits, n)
        assert row.n == n, prefix
        assert row.estimate == pytest.approx(estimate, rel=1e-12)
        assert (row.ci_low, row.ci_high) == (pytest.approx(low), pytest.approx(high))
        assert row.verdict == verdict_by_hand(low, high, n), prefix
        assert row.target == TARGET
        assert row.shrunken is None and row.rank is None
    # B never answered on the web: no row, and no period row outside March and April
    assert ("library", world.libraries["B"].id) not in stored(session, world, f"channel:web:{MAIN}")
    periods = session.scalars(
        select(ReportResult.indicator)
        .where(ReportResult.run_id == world.run.id)
        .where(ReportResult.indicator.startswith("period:"))
        .distinct()
    ).all()
    assert sorted(periods) == [f"period:2026-03:{MAIN}", f"period:2026-04:{MAIN}"]


def test_rollups__get_a_verdict_against_the_standard_like_libraries(session, world):
    # the region on qr: A 30 of 35, B 23 of 24, weighted by their responses
    region = stored(session, world, f"channel:qr:{MAIN}")[("region", None)]
    by_hand = (35 * 30 / 35 + 24 * 23 / 24) / 59
    assert region.n == 59
    assert region.estimate == pytest.approx(by_hand)
    assert region.verdict == verdict_by_hand(region.ci_low, region.ci_high, 59)
    assert region.target == TARGET
    # the whole campaign: A 39 of 50 (78 %), B 31 of 32; A's system alone is below 90 %
    whole = stored(session, world, MAIN)
    system_a = whole[("system", world.systems["A"].id)]
    estimate, low, high = wilson(39, 50)
    assert system_a.estimate == pytest.approx(estimate)
    # one library: the stratified interval is that library's (its se), so the same verdict
    assert system_a.verdict == verdict_by_hand(low, high, 50) == "below"
    assert whole[("region", None)].verdict in {"meets", "below", "indeterminate"}
    # the careless share has no target: no verdict
    flagged = stored(session, world, report_runs.SCREENING_INDICATOR)[("region", None)]
    assert flagged.verdict is None


def row_of(view: dashboard.Dashboard, code: str) -> dashboard.LibraryRow:
    return next(r for g in view.groups for r in g.libraries if r.code == f"LIB-{code}")


def test_dashboard__filters_by_channel_with_small_cells_withheld(session, world):
    view = dashboard.region_dashboard(session, world.admin, "NOK", channel="kiosk")
    assert view.channels == ("kiosk", "qr", "web")
    assert view.slice_periods == ("2026-03", "2026-04")
    assert view.channel == "kiosk" and view.sliced
    # B's 8 kiosk responses are fewer than 10: no number, no verdict
    b = row_of(view, "B")
    assert b.suppressed and b.n == 8 and b.estimate is None and b.verdict is None
    assert row_of(view, "A").n == 0  # no kiosk responses
    assert view.region is not None and view.region.suppressed and view.region.estimate is None
    # change, smoothing and careless share belong to the whole campaign: not shown
    assert b.change is None and b.flagged is None and b.shrunken is None

    view = dashboard.region_dashboard(session, world.admin, "NOK", channel="web")
    a = row_of(view, "A")
    estimate, low, high = wilson(9, 15)
    assert (a.n, a.estimate, a.ci_low) == (15, pytest.approx(estimate), pytest.approx(low))
    assert a.verdict == "insufficient data" and not a.suppressed


def test_dashboard__filters_by_period_and_a_channel_wins_over_a_period(session, world):
    view = dashboard.region_dashboard(session, world.admin, "NOK", period="2026-04")
    a, b = row_of(view, "A"), row_of(view, "B")
    assert (a.n, b.n) == (30, 24)
    assert a.estimate == pytest.approx(20 / 30) and b.estimate == pytest.approx(23 / 24)
    assert view.shown_indicator == f"period:2026-04:{MAIN}"

    both = dashboard.region_dashboard(session, world.admin, "NOK", channel="web", period="2026-04")
    assert both.channel == "web" and both.period is None and both.period_ignored
    # an unknown value is ignored, not an error
    unknown = dashboard.region_dashboard(session, world.admin, "NOK", channel="fax", period="x")
    assert not unknown.sliced and row_of(unknown, "A").n == 50


def test_dashboard__library_staff_see_their_library_only_when_filtering(session, world):
    view = dashboard.region_dashboard(session, world.staff, "NOK", channel="qr")
    rows = [r for g in view.groups for r in g.libraries]
    assert [r.code for r in rows] == ["LIB-A"]
    assert rows[0].n == 35 and rows[0].estimate == pytest.approx(30 / 35)
    assert view.region is None and all(g.rollup is None for g in view.groups)


def test_period__month_or_iso_week_for_a_short_campaign(session, world):
    campaign = world.campaign
    assert report_runs.period_unit(campaign) == "month"
    campaign.starts_on, campaign.ends_on = dt.date(2026, 3, 2), dt.date(2026, 4, 12)
    assert report_runs.period_unit(campaign) == "week"  # 41 days
    week = report_runs.period_key("week")
    assert week(("qr", "2026-03-01", None)) == "2026-W09"  # a Sunday: ISO week 9
    assert week(("qr", "2026-03-02", None)) == "2026-W10"
    assert report_runs.period_key("month")(("qr", "2026-03-31", None)) == "2026-03"


def test_breakdowns__finalising_only_the_main_table_changes_no_number(session, world):
    keys = {"channel": lambda label: label[0], "period": report_runs.period_key("month")}
    every = reporting.regional_analysis(session, world.campaign, breakdowns=keys)
    main_only = reporting.regional_analysis(
        session, world.campaign, breakdowns=keys, breakdown_indicators=[MAIN]
    )
    for name in keys:
        ours = main_only.breakdowns[name]
        theirs = every.breakdowns[name]
        # only the shares table (which holds the main indicator) was finalised
        assert {i.partition(":")[0] for i in ours["indicator"]} == {"share_satisfied", "share_yes"}
        assert {i.partition(":")[0] for i in theirs["indicator"]} > {"share_satisfied", "mean"}
        ours = ours.loc[ours["indicator"] == MAIN].reset_index(drop=True)
        theirs = theirs.loc[theirs["indicator"] == MAIN].reset_index(drop=True)
        assert len(ours) > 0
        pd.testing.assert_frame_equal(ours, theirs, check_column_type=False)
