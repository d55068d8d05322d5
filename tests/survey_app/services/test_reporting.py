"""Regional analysis from the database (issue 3): ``library_moments`` and ``regional_analysis``.

Covers: the instrument -> analysis seam (``analysis_plan``) for every bundled instrument;
streaming per-library sufficient statistics ordered by library in chunks smaller than a
library (so libraries span chunks), on SQLite and — with SURVEY_TEST_DATABASE_URL — on
PostgreSQL (binary COPY path); per-library alpha, item statistics and scale means against
``analysis.cronbach_alpha`` and pandas on the same responses read naively from the *answers*
table (an independent path: no vectors); every table of every bundled instrument against the
file path (``instrument_indices`` on the wide export, i.e. the analysis functions on the rows);
verdicts, shrinkage and ranks against the analysis functions on those tables; excluded
responses; pooling an instrument version; statistics whose size does not grow with the number
of responses; a corrupt vector.

Responses are made through ``record_response`` with seeded random answers. Tolerance 1e-9
(the two paths sum in different orders).
"""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Callable
from datetime import UTC
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy import update
from sqlalchemy.orm import Session

import analysis
import instruments
from survey_app.models import Answer
from survey_app.models import Campaign
from survey_app.models import InstrumentVersion
from survey_app.models import Library
from survey_app.models import Response
from survey_app.models import ServicePoint
from survey_app.services.errors import Invalid
from survey_app.services.exports import export_rows
from survey_app.services.instruments import instrument_of
from survey_app.services.reporting import analysis_plan
from survey_app.services.reporting import instrument_indices
from survey_app.services.reporting import library_moments
from survey_app.services.reporting import numeric_frame
from survey_app.services.reporting import regional_analysis
from survey_app.services.responses import parse_submission
from survey_app.services.responses import record_response

TOL = 1e-9

#: five agreement items, the fifth worded negatively, plus NPS and a yes/no question
RATED_YAML = """\
id: rated_test
version: 1
locales: [ru]
title: {ru: Тест}
sections:
  - id: s
    title: {ru: Раздел}
    items:
      - {id: a1, type: likert, min: 1, max: 5, required: false, text: {ru: А1}}
      - {id: a2, type: likert, min: 1, max: 5, required: false, text: {ru: А2}}
      - {id: a3, type: likert, min: 1, max: 5, required: false, text: {ru: А3}}
      - {id: a4, type: likert, min: 1, max: 5, required: false, text: {ru: А4}}
      - {id: a5, type: likert, min: 1, max: 5, required: false, text: {ru: А5}}
      - {id: r, type: nps, text: {ru: Порекомендуете?}}
      - {id: ok, type: yes_no, text: {ru: Всё хорошо?}}
scales:
  - {id: sc, title: {ru: Шкала}, items: [a1, a2, a3, a4, a5], reverse: [a5]}
"""


# ---------------------------------------------------------------------------------------------
# building data through the service
# ---------------------------------------------------------------------------------------------


def random_answers(instrument: instruments.Instrument, rng: np.random.Generator) -> dict[str, Any]:
    """Valid random answers: correlated ratings, about 10 % of optional items skipped."""
    mood = rng.normal()
    answers: dict[str, Any] = {}
    for item in instrument.items:
        kind = item.type
        # only the NOK filters are used: shown when the filter question was answered yes
        if item.show_if is not None and answers.get(item.show_if.item) != 1:
            continue
        if not item.required and rng.random() < 0.1:
            continue
        if kind in (instruments.ItemType.likert, instruments.ItemType.battery):
            lo, hi = int(item.min), int(item.max)

            def rating(lo: int = lo, hi: int = hi) -> int:
                mid = (lo + hi) / 2 + mood * (hi - lo) / 5 + rng.normal() * (hi - lo) / 4
                return int(np.clip(np.rint(mid), lo, hi))

            if kind is instruments.ItemType.likert:
                answers[item.id] = rating()
            elif item.na_allowed and rng.random() < 0.08:
                answers[item.id] = {"na": True}
            else:
                answers[item.id] = {c.id: rating() for c in item.columns}
        elif kind is instruments.ItemType.nps:
            answers[item.id] = int(np.clip(np.rint(7 + 2 * mood + rng.normal() * 2), 0, 10))
        elif kind is instruments.ItemType.smiley:
            answers[item.id] = int(rng.integers(1, 5))
        elif kind is instruments.ItemType.yes_no:
            answers[item.id] = int(rng.random() < 0.7)
        elif kind is instruments.ItemType.number:
            if item.id.startswith("w_"):
                continue  # the 100-point split is filled below
            answers[item.id] = int(rng.integers(int(item.min or 0), int(item.max or 99) + 1))
        elif kind is instruments.ItemType.single:
            answers[item.id] = item.choices[int(rng.integers(len(item.choices)))].value
    weights = [i.id for i in instrument.items if i.id.startswith("w_")]
    if weights and rng.random() < 0.85:
        split = rng.multinomial(100, [1 / len(weights)] * len(weights))
        answers.update({w: int(p) for w, p in zip(weights, split, strict=True)})
    return answers


def fill(
    session: Session,
    campaign: Campaign,
    sizes: dict[Library, int],
    *,
    seed: int = 7,
) -> None:
    """Store ``sizes[library]`` random responses per library through ``record_response``."""
    instrument = instrument_of(campaign.instrument_version)
    rng = np.random.default_rng(seed)
    order = [lib for lib, n in sizes.items() for _ in range(n)]
    rng.shuffle(order)  # arrival order is not library order
    for library in order:
        payload = {
            "id": str(uuid.uuid4()),
            "campaign": campaign.code,
            "library": library.code,
            "channel": "qr",
            "answers": random_answers(instrument, rng),
        }
        record_response(session, parse_submission(payload))
    session.flush()


@pytest.fixture
def libraries(make_library: Callable[..., Library]) -> list[Library]:
    return [make_library(f"rep-{k}") for k in range(3)]


@pytest.fixture
def make_filled(
    session: Session,
    make_campaign: Callable[..., Campaign],
    libraries: list[Library],
) -> Callable[..., Campaign]:
    def make(instrument: str, sizes: tuple[int, ...] = (23, 9, 31), seed: int = 7) -> Campaign:
        campaign = make_campaign(instrument, libraries=libraries)
        fill(session, campaign, dict(zip(libraries, sizes, strict=True)), seed=seed)
        return campaign

    return make


def naive_wide(session: Session, campaign: Campaign) -> pd.DataFrame:
    """One row per response from the answers table (not the vectors): library_id + keys."""
    rows = session.execute(
        select(Response.id, Response.library_id, Answer.item_id, Answer.column, Answer.value_num)
        .join(Answer, Answer.response_id == Response.id)
        .where(Response.campaign_id == campaign.id, Response.excluded_at.is_(None))
    ).all()
    long = pd.DataFrame(rows, columns=["response_id", "library_id", "item", "column", "value"])
    long = long.loc[long["column"] != "na"]
    long["key"] = np.where(long["column"] == "", long["item"], long["item"] + ":" + long["column"])
    wide = long.pivot_table(
        index=["response_id", "library_id"], columns="key", values="value", aggfunc="first"
    )
    return wide.reset_index().drop(columns="response_id")


def exported(session: Session, campaign: Campaign) -> pd.DataFrame:
    """The wide CSV export's rows, as the ``survey-app indices`` command reads them."""
    return pd.DataFrame(list(export_rows(session, campaign.code)))


# ---------------------------------------------------------------------------------------------
# the seam
# ---------------------------------------------------------------------------------------------


def test_analysis_plan__derives_indices_from_item_types_and_scales() -> None:
    bundled = instruments.load_all()
    short = analysis_plan(bundled["satisfaction_short", 1])
    services = ("lending", "reading_room", "reference", "events", "online", "staff", "premises")
    assert short.means == (*services, "overall")
    assert dict(short.ratings) == dict.fromkeys((*services, "overall"), 4.0)  # top-2 box of 1..5
    assert short.nps == ("nps",)
    assert short.ranges["nps"] == (0.0, 10.0)
    assert [(s.id, s.items, s.reverse) for s in short.scales] == [("satisfaction", services, ())]
    assert (short.gap, short.servqual, short.nok) == (None, None, False)

    gap = analysis_plan(bundled["library_gap", 1])
    assert gap.gap is not None and len(gap.gap.items) == 22 and gap.gap.na_allowed
    assert dict(gap.gap.dimensions)["place"] == ("LP1", "LP2", "LP3", "LP4", "LP5")
    assert gap.scales[0].items[0] == "AS1:perceived"
    assert dict(gap.ratings) == {"GS1": 8.0, "GS2": 8.0, "GS3": 8.0}  # top-2 box of 1..9

    sq = analysis_plan(bundled["servqual_library", 1])
    assert sq.servqual is not None
    assert sq.servqual.scale_range == (1.0, 7.0)
    assert dict(sq.servqual.weight_columns or {}) == {
        d: f"w_{d}" for d in ("tangibles", "reliability", "responsiveness", "assurance", "empathy")
    }

    nok = analysis_plan(bundled["nok_culture", 1])
    assert nok.nok
    assert nok.yes_no == tuple(f"q{k}" for k in range(1, 15))
    assert dict(nok.shares)["q14"] == 1.0
    assert dict(nok.codes["q16"]) == {"male": 1.0, "female": 2.0}
    assert nok.means == ("q17",)

    pulse = analysis_plan(bundled["kiosk_pulse", 1])
    assert (pulse.smileys, pulse.means, pulse.scales) == (("mood",), (), ())


def test_numeric_frame__maps_coded_choices_and_rejects_text() -> None:
    plan = analysis_plan(instruments.load_all()["nok_culture", 1])
    row = {f"q{k}": "1" for k in range(1, 15)} | {"q16": "female", "q17": " 34 "}
    frame = numeric_frame(pd.DataFrame([row]), plan)
    assert (frame.loc[0, "q16"], frame.loc[0, "q17"], frame.loc[0, "q3"]) == (2.0, 34.0, 1.0)
    with pytest.raises(Invalid) as caught:
        numeric_frame(pd.DataFrame([row | {"q5": "да?"}]).drop(columns="q9"), plan)
    assert sorted((i.code, i.path) for i in caught.value.issues) == [
        ("RPT001", "q9"),
        ("RPT002", "q5"),
    ]


# ---------------------------------------------------------------------------------------------
# streaming against the naive path
# ---------------------------------------------------------------------------------------------


def test_library_moments__stream_in_small_chunks_counts_every_response(
    session: Session, make_filled: Callable[..., Campaign], libraries: list[Library]
) -> None:
    campaign = make_filled(RATED_YAML)
    stats = list(library_moments(session, campaign, chunk_rows=4))
    assert [s.library_id for s in stats] == sorted(lib.id for lib in libraries)
    assert [s.n for s in stats] == [23, 9, 31]
    naive = naive_wide(session, campaign)
    for s in stats:
        rows = naive.loc[naive["library_id"] == s.library_id]
        assert s.moments is not None
        pd.testing.assert_series_equal(
            s.moments.mean,
            rows[["a1", "a2", "a3", "a4", "a5"]].mean(),
            check_names=False,
            atol=TOL,
            rtol=0,
        )


def test_regional_analysis__alpha_and_item_statistics_equal_cronbach_alpha_on_naive_rows(
    session: Session, make_filled: Callable[..., Campaign]
) -> None:
    campaign = make_filled(RATED_YAML)
    report = regional_analysis(session, campaign, chunk_rows=5)
    naive = naive_wide(session, campaign)
    items = ["a1", "a2", "a3", "a4", "a5"]
    rel = report.tables["reliability"].set_index("library_id")
    rel_items = report.tables["reliability_items"]
    for library_id, rows in naive.groupby("library_id"):
        expected = analysis.cronbach_alpha(rows, items=items, reverse=["a5"], scale=(1, 5))
        got = rel.loc[library_id]
        assert got["alpha"] == pytest.approx(expected.alpha, abs=TOL)
        assert got["alpha_std"] == pytest.approx(expected.std_alpha, abs=TOL)
        assert got["g6"] == pytest.approx(expected.g6, abs=TOL)
        assert got["se"] == pytest.approx(expected.ase, abs=TOL)
        assert (got["ci_low"], got["ci_high"]) == pytest.approx(
            (expected.ci_low, expected.ci_high), abs=TOL
        )
        assert (got["n"], got["k"]) == (len(rows), 5)
        mine = rel_items.loc[rel_items["library_id"] == library_id].set_index("item")
        for column in ("n", "mean", "sd", "r_drop", "alpha_if_deleted"):
            np.testing.assert_allclose(
                mine[column].to_numpy(float), expected.items[column].to_numpy(float), atol=TOL
            )
    # item means and SDs of every key against pandas on the naive rows
    described = report.tables["items"]
    for key in items:
        for library_id, rows in naive.groupby("library_id"):
            got = described.loc[
                (described["library_id"] == library_id) & (described["item"] == key)
            ].iloc[0]
            assert got["n"] == rows[key].count()
            assert got["mean"] == pytest.approx(rows[key].mean(), abs=TOL)
            assert got["sd"] == pytest.approx(rows[key].std(), abs=TOL)
            assert got["median"] == rows[key].median()
    # the scale score: mean of the answered items with a5 reversed (6 - a5)
    keyed = naive[items].copy()
    keyed["a5"] = 6 - keyed["a5"]
    naive_scores = keyed.mean(axis=1).groupby(naive["library_id"]).mean()
    scales = report.tables["scales"].set_index("library_id")["mean"]
    pd.testing.assert_series_equal(scales, naive_scores, check_names=False, atol=TOL, rtol=0)


@pytest.mark.parametrize(
    "instrument",
    ["satisfaction_short", "library_gap", "servqual_library", "nok_culture", "kiosk_pulse"],
)
def test_regional_analysis__every_table_equals_the_file_path(
    session: Session,
    make_filled: Callable[..., Campaign],
    libraries: list[Library],
    instrument: str,
) -> None:
    campaign = make_filled(instrument, sizes=(17, 6, 12))
    codes = {lib.id: lib.code for lib in libraries}
    checklist = None
    if instrument == "nok_culture":
        checklist = pd.DataFrame(
            {
                "library": [lib.code for lib in libraries],
                "stand_info_present": [8, 10, 5],
                "stand_info_required": 10,
                "site_info_present": [15, 20, 2],
                "site_info_required": 20,
                "remote_channels": [4, 2, 0],
                "comfort_conditions": [5, 3, 1],
                "premises_accessibility": [3, 5, 2],
                "service_accessibility": [2, 5, 4],
            }
        )
    report = regional_analysis(session, campaign, checklist=checklist, chunk_rows=7)
    plan = report.plan
    file_path = instrument_indices(
        exported(session, campaign), plan, by=("library",), checklist=checklist
    )
    assert set(report.tables) - {"reliability_items"} == set(file_path.tables)
    for name, expected in file_path.tables.items():
        got = report.tables[name].copy()
        got.insert(0, "library", got.pop("library_id").map(codes))
        if name == "reliability":
            got = got.drop(columns="note")
            expected = expected.drop(columns="note")
        pd.testing.assert_frame_equal(
            got.reset_index(drop=True),
            expected.reset_index(drop=True),
            check_dtype=False,
            check_column_type=False,
            check_index_type=False,
            atol=TOL,
            rtol=0,
            obj=name,
        )
    long = report.indices.copy()
    long.insert(0, "library", long.pop("library_id").map(codes))
    pd.testing.assert_frame_equal(
        long.sort_values(["library", "indicator"], ignore_index=True),
        file_path.indices.sort_values(["library", "indicator"], ignore_index=True),
        check_dtype=False,
        check_column_type=False,
        atol=TOL,
        rtol=0,
    )
    assert list(report.libraries["n"]) == [17, 6, 12]
    assert list(report.libraries["code"]) == [lib.code for lib in libraries]


def test_regional_analysis__nok_total_matches_nok_scores_on_naive_rows(
    session: Session, make_filled: Callable[..., Campaign], libraries: list[Library]
) -> None:
    campaign = make_filled("nok_culture", sizes=(14, 8, 11))
    counts = {
        "stand_info_present": 8,
        "stand_info_required": 10,
        "site_info_present": 15,
        "site_info_required": 20,
        "remote_channels": 4,
        "comfort_conditions": 5,
        "premises_accessibility": 3,
        "service_accessibility": 2,
    }
    checklist = pd.DataFrame([{"library": lib.code, **counts} for lib in libraries[:2]])
    report = regional_analysis(session, campaign, checklist=checklist, chunk_rows=3)
    naive = naive_wide(session, campaign)
    by_id = checklist.assign(library_id=[lib.id for lib in libraries[:2]]).drop(columns="library")
    scored = naive.loc[naive["library_id"].isin(by_id["library_id"])]
    expected = analysis.nok_scores(scored, checklist=by_id, by="library_id")
    got = report.tables["nok"]
    pd.testing.assert_frame_equal(
        got.reset_index(drop=True), expected.reset_index(drop=True), check_dtype=False, atol=TOL
    )
    assert "nok: no checklist row for 1 libraries (not scored)" in report.notes


# ---------------------------------------------------------------------------------------------
# verdicts, shrinkage, ranks
# ---------------------------------------------------------------------------------------------

STANDARD_YAML = """\
id: test_regional
normative: false
notice: test
versions:
  - version: "1"
    effective_from: 2020-01-01
    effective_to: null
    indicators:
      "scale:sc": {target: 3.0, minimum: 2.5, unit: points}
      "share_satisfied:ok": {target: 0.6, unit: proportion}
      "nps:r": {target: 0, unit: points}
"""


def test_regional_analysis__verdicts_equal_compare_to_standard_of_the_indices(
    session: Session, make_filled: Callable[..., Campaign], tmp_path: Any
) -> None:
    campaign = make_filled(RATED_YAML, sizes=(40, 12, 35))
    path = tmp_path / "standard.yaml"
    path.write_text(STANDARD_YAML, encoding="utf-8")
    standard = analysis.load_standard(path, on=datetime(2026, 3, 1, tzinfo=UTC).date())
    report = regional_analysis(session, campaign, standard=standard, min_n=30)
    assert report.verdicts is not None
    expected = analysis.compare_to_standard(report.indices, standard, unit="library_id", min_n=30)
    pd.testing.assert_frame_equal(report.verdicts, expected)
    assert len(report.verdicts) == 9  # 3 indicators x 3 libraries
    # 12 responses < min_n
    small = report.verdicts.loc[report.verdicts["n"] == 12, "verdict"]
    assert set(small) == {"insufficient data"}
    assert set(report.verdicts["verdict"]) <= {
        "meets",
        "below",
        "indeterminate",
        "insufficient data",
    }


def test_regional_analysis__shrinkage_and_ranks_of_the_scale_mean(
    session: Session, make_filled: Callable[..., Campaign]
) -> None:
    campaign = make_filled(RATED_YAML, sizes=(40, 6, 35))
    report = regional_analysis(session, campaign, n_sim=500)
    naive = naive_wide(session, campaign)
    keyed = naive[["a1", "a2", "a3", "a4", "a5"]].copy()
    keyed["a5"] = 6 - keyed["a5"]
    scores = pd.DataFrame({"library_id": naive["library_id"], "value": keyed.mean(axis=1)})
    expected = analysis.shrink_means_from_rows(scores).to_frame()
    got = report.shrinkage.loc[report.shrinkage["indicator"] == "scale:sc"]
    np.testing.assert_allclose(got["posterior_mean"], expected["posterior_mean"], atol=TOL)
    np.testing.assert_allclose(got["posterior_sd"], expected["posterior_sd"], atol=TOL)
    assert list(got["raw"]) == pytest.approx(list(expected["raw_mean"]), abs=TOL)
    ranks = analysis.rank_intervals(expected, n_sim=500).set_index("library_id")
    assert list(got["rank"]) == list(ranks.loc[got["library_id"], "rank"])
    assert list(got["rank_low"]) == list(ranks.loc[got["library_id"], "rank_low"])
    # the yes/no item outside the scale is shrunk as a proportion (beta-binomial)
    share = report.shrinkage.loc[report.shrinkage["indicator"] == "share_satisfied:ok"]
    counts = naive.groupby("library_id")["ok"].agg(["sum", "count"]).reset_index()
    beta = analysis.shrink_proportions(
        counts.rename(columns={"sum": "successes", "count": "n"})
    ).to_frame()
    np.testing.assert_allclose(share["posterior_mean"], beta["posterior_mean"], atol=TOL)
    assert share["rank"].isna().all()  # ranks only for the scale by default


# ---------------------------------------------------------------------------------------------
# what is streamed
# ---------------------------------------------------------------------------------------------


def test_library_moments__leaves_out_excluded_responses(
    session: Session, make_filled: Callable[..., Campaign], libraries: list[Library]
) -> None:
    campaign = make_filled(RATED_YAML)
    first = session.scalars(
        select(Response.id).where(Response.library_id == libraries[0].id).limit(3)
    ).all()
    session.execute(
        update(Response)
        .where(Response.id.in_(first))
        .values(excluded_at=datetime(2026, 3, 2, tzinfo=UTC), excluded_reason="test")
    )
    assert [s.n for s in library_moments(session, campaign)] == [20, 9, 31]


@pytest.mark.parametrize("before", ["on", "off"])
def test_library_moments__leave_the_index_scan_setting_as_they_found_it(
    session: Session, make_filled: Callable[..., Campaign], before: str
) -> None:
    """PostgreSQL: the scan reads the table in physical order (index scans off for it alone)."""
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("a PostgreSQL planner setting")
    campaign = make_filled(RATED_YAML)
    session.execute(text(f"SET enable_indexscan = {before}"))
    try:
        assert [s.n for s in library_moments(session, campaign)] == [23, 9, 31]
        assert session.scalar(text("SELECT current_setting('enable_indexscan')")) == before
    finally:
        session.execute(text("RESET enable_indexscan"))


def test_library_moments__instrument_version_pools_its_campaigns(
    session: Session,
    make_campaign: Callable[..., Campaign],
    libraries: list[Library],
) -> None:
    first = make_campaign(RATED_YAML, libraries=libraries[:2])
    fill(session, first, {libraries[0]: 3, libraries[1]: 4})
    second = Campaign(
        code="rep-second",
        title="second",
        instrument_version=first.instrument_version,
        channels=["qr"],
        libraries=libraries[1:],
    )
    session.add(second)
    session.flush()
    fill(session, second, {libraries[1]: 2, libraries[2]: 5}, seed=8)
    version = session.get(InstrumentVersion, first.instrument_version_id)
    assert version is not None
    pooled = [(s.library_id, s.n) for s in library_moments(session, version, chunk_rows=2)]
    assert pooled == [(libraries[0].id, 3), (libraries[1].id, 6), (libraries[2].id, 5)]
    report = regional_analysis(session, version)
    assert report.campaign_id is None
    assert list(report.libraries["n"]) == [3, 6, 5]


def test_library_moments__statistics_do_not_grow_with_the_number_of_responses(
    session: Session, make_filled: Callable[..., Campaign]
) -> None:
    campaign = make_filled(RATED_YAML, sizes=(4, 60, 200))
    stats = list(library_moments(session, campaign, chunk_rows=16))
    shapes = {
        (
            s.hist.shape if s.hist is not None else None,
            s.moments.cov().shape if s.moments is not None else None,
            tuple((k, v.shape) for k, v in s.scores.items()),
            tuple(sorted((k, np.shape(v[1]), np.shape(v[2])) for k, v in s.blocks.items())),
            s.nok_rows == [],
        )
        for s in stats
    }
    assert len(shapes) == 1  # identical sizes for 4, 60 and 200 responses
    # 5 likert items (5 bins) + NPS (11) + yes/no (2)
    assert stats[0].hist is not None and stats[0].hist.shape == (5 * 5 + 11 + 2,)
    # scale scores: counts of (answered m, keyed sum) pairs, 4m + 1 sums for m = 1..5 items
    assert stats[0].scores["sc"].shape == (sum(4 * m + 1 for m in range(1, 6)),)
    assert stats[0].values == {}


def test_library_moments__vector_of_another_length_is_an_error(
    session: Session, make_filled: Callable[..., Campaign], libraries: list[Library]
) -> None:
    campaign = make_filled(RATED_YAML, sizes=(3, 2, 2))
    one = session.scalars(select(Response).where(Response.library_id == libraries[1].id)).first()
    assert one is not None
    one.vector = one.vector[:-8]
    session.flush()
    with pytest.raises(ValueError, match=f"library {libraries[1].id} has a vector"):
        list(library_moments(session, campaign))


def test_regional_analysis__campaign_without_responses_gives_empty_tables(
    session: Session, make_campaign: Callable[..., Campaign], libraries: list[Library]
) -> None:
    campaign = make_campaign(RATED_YAML, libraries=libraries)
    report = regional_analysis(session, campaign)
    assert report.libraries.empty and report.indices.empty and report.shrinkage.empty
    assert report.tables == {}


def test_regional_analysis__failed_scale_keeps_its_name_n_and_reason(
    session: Session, make_filled: Callable[..., Campaign], libraries: list[Library]
) -> None:
    # issue 10 §2/§3: a library with 3 responses has no alpha (fewer than the default minimum
    # of 5 respondents); its row keeps the scale, n and n_complete, and says why.
    campaign = make_filled(RATED_YAML, sizes=(23, 3, 31))
    small = libraries[1].id
    report = regional_analysis(session, campaign, chunk_rows=5)
    naive = naive_wide(session, campaign)
    rel = report.tables["reliability"].set_index("library_id")
    row = rel.loc[small]
    items = ["a1", "a2", "a3", "a4", "a5"]
    rows = naive.loc[naive["library_id"] == small]
    assert row["scale"] == "sc"
    assert (row["n"], row["k"]) == (3, 5)
    assert row["n_complete"] == int(rows[items].notna().all(axis=1).sum())
    assert row["status"] == "unavailable"
    assert row["reason"] == "insufficient_data"
    assert row["note"] == (
        "insufficient data: n = 3 respondents (pairwise policy), fewer than the minimum 5"
    )
    assert np.isnan(row[["alpha", "se", "ci_low", "ci_high"]].astype(float)).all()
    # the other libraries' rows are computed, and every row carries a status
    assert set(rel.drop(index=small)["status"]) <= {"ok", "warning"}
    # the long table names the indicator after the scale, never "alpha:nan"
    alpha = report.indices.loc[report.indices["indicator"].str.startswith("alpha:")]
    assert alpha["indicator"].tolist() == ["alpha:sc"] * 3
    assert alpha.set_index("library_id").loc[small, "n"] == 3


# ---------------------------------------------------------------------------------------------
# one accumulation, two paths (issue 13 §1)
# ---------------------------------------------------------------------------------------------


def _spread_over_cells(session: Session, campaign: Campaign, library: Library) -> None:
    """Give the campaign's responses several channels, days and (in one library) two service
    points, so that libraries have several cells."""
    points = ["hall", "branch"]
    for point in points:
        library.service_points.append(ServicePoint(code=point, name=point))
    session.flush()
    ids = session.scalars(
        select(Response.id).where(Response.campaign_id == campaign.id).order_by(Response.id)
    ).all()
    for k, response_id in enumerate(ids):
        values: dict[str, Any] = {
            "channel": ("qr", "kiosk", "web")[k % 3],
            "submitted_at": datetime(2026, 3, 1 + k % 4, 23, 30, tzinfo=UTC) if k % 5 else None,
        }
        session.execute(update(Response).where(Response.id == response_id).values(**values))
    for k, point in enumerate(library.service_points):
        session.execute(
            update(Response)
            .where(Response.library_id == library.id, Response.id % 2 == k)
            .values(service_point_id=point.id)
        )
    session.flush()


def rows_with_cells(session: Session, campaign: Campaign) -> pd.DataFrame:
    """The naive rows (answers table) with each response's cell read independently."""
    meta = pd.DataFrame(
        session.execute(
            select(
                Response.id,
                Response.channel,
                Response.submitted_at,
                Response.received_at,
                Response.service_point_id,
            ).where(Response.campaign_id == campaign.id, Response.excluded_at.is_(None))
        ).all(),
        columns=["response_id", "channel", "submitted_at", "received_at", "service_point_id"],
    )
    moment = meta["submitted_at"].where(meta["submitted_at"].notna(), meta["received_at"])
    meta["day"] = [m.astimezone(UTC).date().isoformat() for m in moment]
    meta["channel"] = meta["channel"].astype(str)
    meta["service_point_id"] = meta["service_point_id"].astype(object)
    rows = session.execute(
        select(Response.id, Response.library_id, Answer.item_id, Answer.column, Answer.value_num)
        .join(Answer, Answer.response_id == Response.id)
        .where(Response.campaign_id == campaign.id, Response.excluded_at.is_(None))
    ).all()
    long = pd.DataFrame(rows, columns=["response_id", "library_id", "item", "column", "value"])
    long = long.loc[long["column"] != "na"]
    long["key"] = np.where(long["column"] == "", long["item"], long["item"] + ":" + long["column"])
    wide = long.pivot_table(
        index=["response_id", "library_id"], columns="key", values="value", aggfunc="first"
    ).reset_index()
    return wide.merge(meta, on="response_id")


@pytest.mark.parametrize("instrument", [RATED_YAML, "library_gap", "servqual_library"])
def test_regional_analysis__cells_equal_the_analysis_functions_per_library_channel_day_point(
    session: Session,
    make_filled: Callable[..., Campaign],
    libraries: list[Library],
    instrument: str,
) -> None:
    campaign = make_filled(instrument, sizes=(17, 6, 12))
    _spread_over_cells(session, campaign, libraries[2])
    report = regional_analysis(session, campaign, chunk_rows=5, cells=True)
    plain = regional_analysis(session, campaign, chunk_rows=5)
    # the per-library results do not change when the cells are accumulated beside them
    for name, table in plain.tables.items():
        pd.testing.assert_frame_equal(report.tables[name], table, obj=name)
    rows = rows_with_cells(session, campaign)
    for key in report.plan.keys:
        if key not in rows:
            rows[key] = np.nan  # a key nobody answered
    by = ["library_id", "channel", "day", "service_point_id"]
    with warnings.catch_warnings():
        # the row path also computes alpha per cell (not compared: cells keep no pairwise
        # moments), and numpy warns on cells of one response
        warnings.simplefilter("ignore", RuntimeWarning)
        expected, _ = analysis.tables_from_rows(rows, report.plan, by)
    assert set(report.cells) == set(expected) & analysis.CELL_TABLES
    assert len(report.cells["items"].drop_duplicates(by)) > 3 * 3  # several cells a library
    for name, table in report.cells.items():
        want = expected[name].copy()
        want["service_point_id"] = want["service_point_id"].astype(object)
        got = table.copy()
        for frame in (got, want):
            frame["service_point_id"] = frame["service_point_id"].map(
                lambda v: -1 if v is None or v != v else int(v)
            )
        pd.testing.assert_frame_equal(
            got.reset_index(drop=True),
            want.reset_index(drop=True),
            check_dtype=False,
            check_column_type=False,
            check_index_type=False,
            atol=TOL,
            rtol=0,
            obj=name,
        )


def test_library_moments__equal_the_accumulator_fed_the_exported_rows(
    session: Session, make_filled: Callable[..., Campaign], libraries: list[Library]
) -> None:
    # the database stream and the file are two feeds of one accumulator: same statistics
    campaign = make_filled("satisfaction_short", sizes=(17, 6, 12))
    streamed = list(library_moments(session, campaign, chunk_rows=4))
    plan = analysis_plan(instrument_of(campaign.instrument_version))
    codes = {lib.code: lib.id for lib in libraries}
    frame = numeric_frame(exported(session, campaign), plan)
    frame["library_id"] = frame["library"].map(codes)
    from_file = analysis.accumulate_frame(frame, plan, by=["library_id"])
    assert [s.key for s in from_file] == [(s.library_id,) for s in streamed]
    for a, b in zip(streamed, from_file, strict=True):
        assert a.n == b.n
        assert a.hist is not None and b.hist is not None
        np.testing.assert_array_equal(a.hist, b.hist)
        assert a.scores.keys() == b.scores.keys()
        for name in a.scores:
            np.testing.assert_array_equal(a.scores[name], b.scores[name])
        assert a.moments is not None and b.moments is not None
        pd.testing.assert_frame_equal(a.moments.cov(), b.moments.cov(), atol=TOL, rtol=0)
