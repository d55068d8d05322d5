"""Report runs (issue 13 §2): a run stores exactly what reporting computes for the campaign,
its numbers agree with a hand computation on the exported rows, a failed run keeps the
previous result, excluded responses are left out and counted, and asking twice queues once.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

import analysis
from survey_app.models import Campaign
from survey_app.models import ReportResult
from survey_app.models import ReportRun
from survey_app.models import Response
from survey_app.models import RunStatus
from survey_app.services import careless
from survey_app.services import dashboard
from survey_app.services import report_runs
from survey_app.services import reporting
from survey_app.services import response_stream
from survey_app.services.exclusions import exclude_response
from survey_app.services.exports import export_rows
from survey_app.services.responses import parse_submission
from survey_app.services.responses import record_response
from tests.factories import submission

STANDARD = """\
id: test_standard
normative: false
notice: test only
versions:
  - version: "1"
    effective_from: 2020-01-01
    effective_to: null
    indicators:
      "scale:satisfaction": {target: 3.5, unit: points}
      "nps:nps": {target: 10, unit: points}
"""
SERVICES = ("lending", "reading_room", "reference", "events", "online", "staff", "premises")


def satisfaction_answers(rng: random.Random, level: float) -> dict[str, Any]:
    """One visitor of satisfaction_short around ``level`` (1..5), some services skipped."""
    answers: dict[str, Any] = {}
    for item in SERVICES:
        if rng.random() < 0.15:
            continue
        answers[item] = int(min(5, max(1, round(level + rng.gauss(0, 0.9)))))
    answers["overall"] = int(min(5, max(1, round(level + rng.gauss(0, 0.7)))))
    answers["nps"] = int(min(10, max(0, round(2 * level + rng.gauss(0, 1.5)))))
    return answers


@pytest.fixture
def standard_file(tmp_path: Path) -> str:
    path = tmp_path / "standard.yaml"
    path.write_text(STANDARD, encoding="utf-8")
    return str(path)


@pytest.fixture
def region(
    session: Session,
    make_library: Callable[..., Any],
    make_campaign: Callable[..., Campaign],
) -> SimpleNamespace:
    """satisfaction_short in three libraries: 40, 35 and 8 responses at different levels."""
    libraries = [make_library(f"LIB-{k}") for k in range(3)]
    campaign = make_campaign("satisfaction_short", code="SAT", libraries=libraries)
    rng = random.Random(13)
    ids: dict[str, list[str]] = {}
    for library, size, level in zip(libraries, (40, 35, 8), (4.2, 3.1, 3.8), strict=True):
        for _ in range(size):
            body = submission(campaign, satisfaction_answers(rng, level), library=library.code)
            receipt = record_response(session, parse_submission(body))
            ids.setdefault(library.code, []).append(str(receipt.id))
    session.flush()
    return SimpleNamespace(campaign=campaign, libraries=libraries, ids=ids)


def stored(session: Session, run: ReportRun, *, derived: bool = False) -> pd.DataFrame:
    """The run's library rows of reporting's indicators (``derived``: the rows the run adds —
    careless share, channel and period breakdowns, system and region roll-ups — instead)."""
    rows = [
        r
        for r in session.scalars(select(ReportResult).where(ReportResult.run_id == run.id))
        if derived
        == (
            r.level != "library"
            or r.indicator == report_runs.SCREENING_INDICATOR
            or r.indicator.startswith(report_runs.CHANGE_PREFIX)
            or r.indicator.startswith(report_runs.CHANNEL_PREFIX)
            or r.indicator.startswith(report_runs.PERIOD_PREFIX)
        )
    ]
    columns = [c.name for c in ReportResult.__table__.columns]
    return pd.DataFrame([{c: getattr(r, c) for c in columns} for r in rows])


def run_now(session: Session, campaign: Campaign, standard: str | None) -> ReportRun:
    run, new = report_runs.request_run(session, campaign)
    assert new
    report_runs.start_run(session, run)
    return report_runs.compute_run(session, run, standard_name=standard)


def test_run__stores_what_reporting_computes_on_the_same_rows(session, region, standard_file):
    run = run_now(session, region.campaign, standard_file)
    expected = reporting.regional_analysis(
        session, region.campaign, standard=analysis.load_standard(standard_file)
    )
    table = stored(session, run).set_index(["library_id", "indicator"]).sort_index()
    indices = expected.indices.set_index(["library_id", "indicator"]).sort_index()

    assert run.status == RunStatus.done and run.progress == 1.0
    assert (run.standard_id, run.standard_version) == ("test_standard", "1")
    assert run.responses_counted == 83 and run.libraries_counted == 3
    assert run.main_indicator == "scale:satisfaction"  # the standard's first target
    assert list(table.index) == list(indices.index)
    assert (table["n"].to_numpy() == indices["n"].to_numpy()).all()
    for ours, theirs in (("estimate", "value"), ("ci_low", "ci_low"), ("ci_high", "ci_high")):
        np.testing.assert_allclose(
            table[ours].astype(float).to_numpy(), indices[theirs].to_numpy(), rtol=1e-12
        )
    verdicts = expected.verdicts.set_index(["library_id", "indicator"])["verdict"]
    assert table.loc[verdicts.index, "verdict"].tolist() == verdicts.tolist()
    assert table["verdict"].notna().sum() == len(verdicts) == 6  # two targets x three libraries
    shrunk = expected.shrinkage.set_index(["library_id", "indicator"])
    np.testing.assert_allclose(
        table.loc[shrunk.index, "shrunken"].astype(float), shrunk["posterior_mean"], rtol=1e-12
    )
    np.testing.assert_allclose(
        table.loc[shrunk.index, "rank_high"].astype(float), shrunk["rank_high"], rtol=1e-12
    )


def test_run__nps_and_mean_agree_with_a_hand_computation_on_the_exported_rows(
    session, region, standard_file
):
    run = run_now(session, region.campaign, standard_file)
    library = region.libraries[0]
    rows = pd.DataFrame(export_rows(session, "SAT", library_ids=[library.id]))
    nps = pd.to_numeric(rows["nps"])
    overall = pd.to_numeric(rows["overall"])
    by_hand_nps = 100.0 * ((nps >= 9).mean() - (nps <= 6).mean())
    n = len(overall)
    half = stats.t.ppf(0.975, n - 1) * overall.std(ddof=1) / np.sqrt(n)
    table = stored(session, run).set_index(["library_id", "indicator"])

    assert table.loc[(library.id, "nps:nps"), "estimate"] == pytest.approx(by_hand_nps)
    assert table.loc[(library.id, "nps:nps"), "n"] == 40
    assert table.loc[(library.id, "mean:overall"), "estimate"] == pytest.approx(overall.mean())
    assert table.loc[(library.id, "mean:overall"), "ci_low"] == pytest.approx(overall.mean() - half)
    # 8 responses: the verdict says so instead of guessing
    small = region.libraries[2].id
    assert table.loc[(small, "scale:satisfaction"), "verdict"] == "insufficient data"


def test_excluded_responses__are_left_out_and_counted(session, region, make_user):
    admin = make_user("admin")
    for response_id in region.ids["LIB-0"][:5]:
        exclude_response(session, admin, response_id, "test")

    run = run_now(session, region.campaign, None)
    table = stored(session, run).set_index(["library_id", "indicator"])

    assert run.exclusions_applied == 5 and run.responses_counted == 78
    assert table.loc[(region.libraries[0].id, "mean:overall"), "n"] == 35
    assert run.standard_id is None and table["verdict"].isna().all()


def test_asking_twice__queues_one_run(session, region):
    first, new_first = report_runs.request_run(session, region.campaign)
    second, new_second = report_runs.request_run(session, region.campaign)

    assert (new_first, new_second) == (True, False)
    assert first.id == second.id and first.status == RunStatus.queued


def test_failed_run__keeps_the_previous_result_and_its_error(
    session, region, standard_file, monkeypatch
):
    good = run_now(session, region.campaign, standard_file)
    session.commit()
    bad, _ = report_runs.request_run(session, region.campaign)
    report_runs.start_run(session, bad)
    session.commit()  # as the worker does before computing

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ValueError("the database went away")

    monkeypatch.setattr(reporting, "regional_analysis", broken)
    with pytest.raises(ValueError):
        report_runs.compute_run(session, bad, standard_name=standard_file)
    session.rollback()
    report_runs.fail_run(session, bad.id, "ValueError: the database went away\n  at line 3")

    state = report_runs.run_state(session, region.campaign.id)
    assert state.shown is not None and state.shown.id == good.id
    assert state.failed is not None and state.failed.id == bad.id
    assert state.failed.error == "ValueError: the database went away at line 3"
    assert state.pending is None
    assert len(stored(session, good)) > 0


def test_standard__none_in_force_gives_no_verdicts_and_an_unknown_one_fails_the_run(
    session, region
):
    # the packaged example's first version starts on 2024-01-01: a campaign of 2023 has none
    region.campaign.starts_on = dt.date(2023, 3, 1)
    run = run_now(session, region.campaign, "kemerovo_example")
    assert run.status == RunStatus.done and run.standard_id is None
    assert run.libraries_counted == 3
    # a typo in REPORT_STANDARD is a reason to fail, not a run without verdicts
    typo, _ = report_runs.request_run(session, region.campaign)
    report_runs.start_run(session, typo)
    with pytest.raises(ValueError, match="no packaged standard 'kemerovo_exmaple'"):
        report_runs.compute_run(session, typo, standard_name="kemerovo_exmaple")


def test_main_indicator__standard_first_then_the_instrument_families():
    standard = analysis.load_standard("kemerovo_example")
    nok = ["share_satisfied:q1", "share_satisfied:q14", "share_satisfied:q8"]
    assert report_runs.main_indicator(nok, standard) == "share_satisfied:q14"
    assert report_runs.main_indicator(["mean:overall", "scale:s", "nps:nps"], None) == "scale:s"
    assert report_runs.main_indicator(["mean:a", "happy_index:mood"], None) == "happy_index:mood"
    assert report_runs.main_indicator([], None) is None


def test_progress__is_reported_only_while_streaming(session, region):
    """The callback writes on another connection: once this session has written the run's
    row, such a write would wait on this transaction's own lock (a hang on PostgreSQL)."""
    run, _ = report_runs.request_run(session, region.campaign)
    report_runs.start_run(session, run)
    calls: list[tuple[float, bool]] = []

    def record(share: float) -> None:
        calls.append((share, bool(session.new or session.dirty)))

    report_runs.compute_run(session, run, standard_name=None, progress=record)

    assert calls and all(0.0 < share < 1.0 for share, _ in calls)
    # every response streamed (0.9), then screened (0.99)
    assert [share for share, _ in calls if share <= 0.9][-1] == pytest.approx(0.9)
    assert calls[-1][0] == pytest.approx(0.99)
    assert run.progress == 1.0


SCREENED = ("lending", "reading_room", "reference", "events", "online", "staff", "premises")


def test_run__careless_share_is_what_the_screening_flags_on_the_exported_rows(
    session, region, standard_file
):
    """A campaign smaller than one batch is screened in one piece (the Mahalanobis distance
    and the synonym pairs from all its responses), then counted per library."""
    # three careless visitors of LIB-1: "1" throughout, each page in a second
    careless: list[str] = []
    for _ in range(3):
        answers = {**dict.fromkeys(SCREENED, 1), "overall": 1, "nps": 0}
        body = submission(
            region.campaign,
            answers,
            library="LIB-1",
            page_timings={"services": 1.0, "overall": 1.0},
        )
        record_response(session, parse_submission(body))
        careless.append(body["id"])
    session.flush()
    run = run_now(session, region.campaign, standard_file)
    rows = pd.DataFrame(export_rows(session, "SAT"))
    items = [*SCREENED, "overall", "nps"]
    data = rows[items].apply(pd.to_numeric, errors="coerce")
    # the page timings the export leaves out: only the careless three sent any
    timings = pd.DataFrame(
        [
            {"response_id": i, "page": page, "seconds": 1.0, "n_items": size}
            for i, response_id in zip(data.index, rows["response_id"], strict=True)
            if str(response_id) in careless
            for page, size in (("services", 7), ("overall", 3))
        ]
    )
    flags = analysis.screen_responses(data, items=items, timings=timings)["flagged"]
    expected = flags.groupby(rows["library"]).agg(["size", "sum"])
    derived = stored(session, run, derived=True)
    screening = derived.loc[derived["indicator"] == report_runs.SCREENING_INDICATOR]
    shares = screening.loc[screening["level"] == "library"]
    region_row = screening.loc[screening["level"] == "region"].iloc[0]
    codes = {library.id: library.code for library in region.libraries}

    assert len(shares) == 3
    for _, share in shares.iterrows():
        size, flagged = expected.loc[codes[share["library_id"]]]
        assert (share["n"], share["extra"]["flagged"]) == (size, flagged)
        assert share["estimate"] == pytest.approx(flagged / size)
    assert expected["sum"].sum() > 0  # the test data hold flagged responses
    assert expected.loc["LIB-1", "sum"] >= 3
    assert region_row["extra"]["flagged"] == expected["sum"].sum() and region_row["n"] == 86


def _screen_in_analysis_scan(session, campaign, batch_rows, background=False):
    """The report run's way: the screening fed the chunks of the analysis's own scan (with
    the channel breakdown's cells, as a run reads them), its batches screened on a thread of
    their own when ``background``."""
    screening = careless.CampaignScreening(campaign, batch_rows=batch_rows, background=background)
    reporting.regional_analysis(
        session,
        campaign,
        chunk_rows=7,
        breakdowns={"channel": lambda label: label[0]},
        pages=screening.pages,
        on_rows=screening.feed,
        on_end=screening.flush if background else None,
    )
    return screening.finish()


def test_screening__one_chunk_holding_several_batches(region):
    """A chunk larger than a batch is cut into several batches of whole libraries: with
    libraries of 30, 40, 20, 60 and 80 responses and batches of at least 50, the batches are
    (30 + 40), (20 + 60) and — the last library may go on in the next chunk, so it waits for
    the end of the stream — (80): progress is told after each batch. Each library's count is
    that of analysis.screen_matrix on its batch's rows."""
    told: list[int] = []
    screening = careless.CampaignScreening(region.campaign, batch_rows=50, progress=told.append)
    sizes = [30, 40, 20, 60, 80]
    owners = np.repeat(np.arange(1, 6), sizes)
    rng = np.random.default_rng(3)
    x = np.full((len(owners), len(screening.plan.keys)), np.nan)
    for j, key in enumerate(screening.plan.keys):
        if key in screening.plan.ranges:
            lo, hi = screening.plan.ranges[key]
            x[:, j] = rng.integers(int(lo), int(hi) + 1, len(owners))
    x[::9, :] = x[0, :]  # straight-liners
    x[5::11, :] = np.where(np.isnan(x[5::11, :]), np.nan, 5.0)  # and outliers
    secs = rng.uniform(0.5, 40, (len(owners), len(screening.pages)))
    screening.feed(owners, x, secs)
    assert told == [70, 150]
    got = {(s.library_id, s.screened, s.flagged) for s in screening.finish()}
    assert told == [70, 150, 230]

    expected = set()
    for libraries in ([1, 2], [3, 4], [5]):
        rows = np.isin(owners, libraries)
        data = np.asfortranarray(x[rows][:, screening.positions])
        with np.errstate(all="ignore"):
            flagged = analysis.screen_matrix(
                data, page_seconds=secs[rows], page_items=screening._page_sizes
            )["flagged"]
        for library in libraries:
            mine = owners[rows] == library
            expected.add((library, int(mine.sum()), int(flagged[mine].sum())))
    assert got == expected
    assert sum(n for _, _, n in got) > 0  # the straight-liners are flagged somewhere


@pytest.mark.parametrize(
    "answers",
    [
        [[1.0, np.nan, 5.0], [3.0, 2.0, np.nan]],  # whole numbers: float32 holds them
        [[1.0, 2.5, np.nan], [0.25, 4.0, 1e6]],  # so it does these
        [[1.0, 0.1, np.nan], [3.0, 2.0, 1.0]],  # not 0.1
        [[1.0, 2.0, 1e40], [3.0, np.nan, 1.0]],  # nor a number beyond its range
        [[1.0, 2.0, np.inf], [3.0, np.nan, -np.inf]],  # infinities it holds
        [[16_777_217.0, 1.0, 2.0], [3.0, 4.0, 5.0]],  # nor 2**24 + 1
    ],
)
def test_screening__held_answers_are_float32_only_when_that_is_exact(answers):
    exact = np.array(answers)
    with np.errstate(over="ignore"):  # 1e40 becomes inf
        compact = exact.astype(np.float32)
    assert careless._same_numbers(compact, exact) == np.array_equal(compact, exact, equal_nan=True)


@pytest.mark.parametrize("scan", ["own", "analysis", "analysis, screened on a thread"])
@pytest.mark.parametrize(("batch_rows", "batches"), [(36, [[0], [1], [2]]), (50, [[0, 1], [2]])])
def test_screening__batches_whole_libraries_across_chunks(
    session, region, batch_rows, batches, scan
):
    """Libraries are screened together until a batch reaches ``batch_rows`` responses, even
    when a library straddles the stream's chunks (7 rows here): each batch's flags are those
    of analysis.screen_responses on exactly that batch's exported rows — whether the
    screening reads its own scan or the chunks of the analysis's scan."""
    for _ in range(3):  # LIB-1: 35 + 3 straight-liners, each page in a second
        answers = {**dict.fromkeys(SCREENED, 1), "overall": 1, "nps": 0}
        body = submission(
            region.campaign,
            answers,
            library="LIB-1",
            page_timings={"services": 1.0, "overall": 1.0},
        )
        record_response(session, parse_submission(body))
    session.flush()
    if scan == "own":
        got = careless.screen_campaign(
            session, region.campaign, chunk_rows=7, batch_rows=batch_rows
        )
    else:
        got = _screen_in_analysis_scan(
            session, region.campaign, batch_rows, background=scan.endswith("thread")
        )
    rows = pd.DataFrame(export_rows(session, "SAT"))
    items = [*SCREENED, "overall", "nps"]
    timed = (
        rows["response_id"]
        .astype(str)
        .isin([str(r.client_uuid) for r in session.scalars(select(Response)) if r.page_timings])
    )
    expected: dict[str, tuple[int, int]] = {}
    for batch in batches:
        codes = [region.libraries[k].code for k in batch]
        part = rows.loc[rows["library"].isin(codes)].reset_index(drop=True)
        data = part[items].apply(pd.to_numeric, errors="coerce")
        timings = pd.DataFrame(
            [
                {"response_id": i, "page": page, "seconds": 1.0, "n_items": size}
                for i in data.index[timed.loc[rows["library"].isin(codes)].to_numpy()]
                for page, size in (("services", 7), ("overall", 3))
            ]
        )
        flags = analysis.screen_responses(
            data, items=items, timings=timings if len(timings) else None
        )["flagged"]
        for code, group in flags.groupby(part["library"]):
            expected[str(code)] = (len(group), int(group.sum()))
    codes = {library.id: library.code for library in region.libraries}
    assert {codes[s.library_id]: (s.screened, s.flagged) for s in got} == expected
    assert expected["LIB-1"][1] >= 3


def test_run__system_and_region_rows_weight_the_libraries_by_their_responses(
    session, region, standard_file
):
    run = run_now(session, region.campaign, standard_file)
    libraries = stored(session, run)
    scale = libraries.loc[libraries["indicator"] == "scale:satisfaction"]
    derived = stored(session, run, derived=True)
    regional = derived.loc[
        (derived["level"] == "region") & (derived["indicator"] == "scale:satisfaction")
    ].iloc[0]
    weights = scale["n"] / scale["n"].sum()
    ses = scale["extra"].map(lambda extra: extra["se"])

    assert regional["n"] == scale["n"].sum() == 83
    assert regional["estimate"] == pytest.approx(float((weights * scale["estimate"]).sum()))
    se = math.sqrt(float((weights**2 * ses**2).sum()))
    assert regional["ci_high"] - regional["estimate"] == pytest.approx(1.959963984540054 * se)
    # each library is its own system here: a system's row is its one library's
    systems = derived.loc[
        (derived["level"] == "system") & (derived["indicator"] == "scale:satisfaction")
    ].set_index("system_id")
    for _, row in scale.iterrows():
        assert systems.loc[row["system_id"], "estimate"] == pytest.approx(row["estimate"])


def scale_by_hand(session: Session, code: str, library: Any) -> tuple[float, float, int]:
    """The satisfaction scale of a library by hand: each respondent's mean of the answered
    services, then their mean, its standard error and n."""
    rows = pd.DataFrame(export_rows(session, code, library_ids=[library.id]))
    scores = rows.loc[:, list(SERVICES)].apply(pd.to_numeric).mean(axis=1).dropna()
    return float(scores.mean()), float(scores.std(ddof=1) / math.sqrt(len(scores))), len(scores)


@pytest.fixture
def two_campaigns(session, region, make_campaign, standard_file) -> SimpleNamespace:
    """SAT-OLD (2025, 30 responses of LIB-0 around 3.0) before SAT (2026), both computed."""
    earlier = make_campaign("satisfaction_short", code="SAT-OLD", libraries=region.libraries)
    earlier.starts_on = dt.date(2025, 1, 15)
    region.campaign.starts_on = dt.date(2026, 1, 15)
    rng = random.Random(7)
    for _ in range(30):
        body = submission(earlier, satisfaction_answers(rng, 3.0), library="LIB-0")
        record_response(session, parse_submission(body))
    session.flush()
    run_now(session, earlier, standard_file)
    run_now(session, region.campaign, standard_file)
    return SimpleNamespace(earlier=earlier, later=region.campaign, rng=rng)


def change_by_hand(session: Session, library: Any) -> tuple[float, float, float]:
    new, new_se, _ = scale_by_hand(session, "SAT", library)
    old, old_se, _ = scale_by_hand(session, "SAT-OLD", library)
    half = stats.norm.ppf(0.975) * math.hypot(new_se, old_se)
    return new - old, new - old - half, new - old + half


def test_change__since_the_previous_campaign_of_the_same_instrument(session, region, two_campaigns):
    library = region.libraries[0]
    run = report_runs.latest_run(session, region.campaign.id)
    assert run is not None
    previous, changes = report_runs.change_rows(session, region.campaign, run, run.main_indicator)
    estimate, low, high = change_by_hand(session, library)

    # only LIB-0 answered both campaigns
    assert previous is not None and previous.code == "SAT-OLD"
    assert list(changes) == [library.id]
    change = changes[library.id]
    assert change.estimate == pytest.approx(estimate, rel=1e-9)
    assert (change.ci_low, change.ci_high) == (pytest.approx(low), pytest.approx(high))
    assert report_runs.previous_campaign(session, two_campaigns.earlier) is None


def test_change__follows_a_later_recomputation_of_the_previous_campaign(
    session, region, two_campaigns, standard_file, make_user
):
    """The previous campaign is recomputed after this one (late paper questionnaires were
    typed in): the dashboard's change is measured against its new figures, not the old."""
    library = region.libraries[0]
    for _ in range(30):  # late answers, much happier than the first 30
        answers = satisfaction_answers(two_campaigns.rng, 4.8)
        body = submission(two_campaigns.earlier, answers, library="LIB-0")
        record_response(session, parse_submission(body))
    session.flush()
    run_now(session, two_campaigns.earlier, standard_file)
    view = dashboard.region_dashboard(session, make_user("admin"), "SAT")
    row = next(r for g in view.groups for r in g.libraries if r.library_id == library.id)
    estimate, low, high = change_by_hand(session, library)

    assert view.previous == ("SAT-OLD", two_campaigns.earlier.title)
    assert row.change is not None
    assert row.change.estimate == pytest.approx(estimate, rel=1e-9)
    assert (row.change.ci_low, row.change.ci_high) == (pytest.approx(low), pytest.approx(high))


def test_store_results__values_read_back_as_written(session, region):
    """The result rows as the database returns them: text with COPY's special characters,
    floats to the last digit, NULLs, JSON and the level's default (written by hand in COPY's
    text format on PostgreSQL, by the ORM elsewhere)."""
    run, _ = report_runs.request_run(session, region.campaign)
    library = region.libraries[0]
    note = "tab\there, new\nline, back\\slash \\N, «кавычки», 'quote'\r"
    written = [
        {
            "run_id": run.id,
            "library_id": library.id,
            "indicator": "scale:satisfaction",
            "estimate": 1 / 3,
            "ci_low": np.float64(0.1),
            "ci_high": 1e-300,
            "n": 7,
            "verdict": "meets",
            "target": None,
            "note": note,
            "extra": {"se": 0.123456789012345678, "text": "a\\b\tc", "flagged": 2},
        },
        {
            "run_id": run.id,
            "level": "region",
            "library_id": None,
            "indicator": "nps",
            "estimate": -12345.678901234567,
            "n": 0,
            "extra": None,
        },
    ]
    report_runs._store_results(session, written)
    session.flush()
    got = session.scalars(
        select(ReportResult).where(ReportResult.run_id == run.id).order_by(ReportResult.id)
    ).all()

    assert [(r.level, r.library_id, r.indicator, r.n) for r in got] == [
        ("library", library.id, "scale:satisfaction", 7),
        ("region", None, "nps", 0),
    ]
    assert (got[0].estimate, got[0].ci_low, got[0].ci_high) == (1 / 3, 0.1, 1e-300)
    assert got[0].note == note and got[0].verdict == "meets" and got[0].target is None
    assert got[0].extra == {"se": 0.123456789012345678, "text": "a\\b\tc", "flagged": 2}
    assert got[1].estimate == -12345.678901234567
    assert got[1].extra is None and got[1].note is None and got[1].ci_low is None


def test_screening_chunks__page_seconds_as_stored(session, region):
    """The seconds of each page the stream gives the screening, for page timings of every
    shape a row can hold (the database reads them: ``->>`` on jsonb on PostgreSQL)."""
    screening = careless.CampaignScreening(region.campaign)
    first, second = screening.pages[:2]
    stored_timings = [
        ({first: 12.5, second: 3}, [12.5, 3.0]),
        ({second: 7}, [np.nan, 7.0]),
        (None, [np.nan, np.nan]),
        ({}, [np.nan, np.nan]),
        ({first: None, second: "4.5"}, [np.nan, 4.5]),
        ([1, 2], [np.nan, np.nan]),  # not an object: no page has a time
        ({first: 1e2, "elsewhere": {"x": 1}}, [100.0, np.nan]),
        ({first.upper(): 5}, [np.nan, np.nan]),  # keys are case-sensitive
    ]
    library = region.libraries[2]  # its 8 responses
    responses = session.scalars(
        select(Response).where(Response.library_id == library.id).order_by(Response.id)
    ).all()
    assert len(responses) == len(stored_timings)
    for response, (timings, _) in zip(responses, stored_timings, strict=True):
        session.execute(
            update(Response).where(Response.id == response.id).values(page_timings=timings)
        )
    session.flush()
    rows = [
        seconds[owners == library.id]
        for owners, _, seconds in response_stream.screening_chunks(
            session, region.campaign, pages=screening.pages, plan=screening.plan, chunk_rows=7
        )
    ]
    got = np.concatenate(rows)[:, :2]
    expected = np.array([seconds for _, seconds in stored_timings])
    order = lambda a: a[np.lexsort(np.nan_to_num(a, nan=-1.0).T)]  # noqa: E731 - any row order
    np.testing.assert_array_equal(order(got), order(expected))


def test_screening__an_error_on_the_screening_thread_is_raised_by_finish(region, monkeypatch):
    """A batch screened on the screening's thread that fails makes finish() raise that
    error (nothing is counted silently), and the thread is stopped."""
    screening = careless.CampaignScreening(region.campaign, batch_rows=10, background=True)
    monkeypatch.setattr(
        careless.analysis,
        "screen_matrix",
        lambda *a, **k: (_ for _ in ()).throw(ValueError("bad batch")),
    )
    owners = np.repeat([1, 2], 12)
    x = np.full((len(owners), len(screening.plan.keys)), 3.0)
    secs = np.full((len(owners), len(screening.pages)), 5.0)
    with pytest.raises(ValueError, match="bad batch"):
        screening.feed(owners, x, secs)
        screening.finish()
    assert screening._pool is not None and screening._pool._shutdown
