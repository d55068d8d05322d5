"""Report runs: store what :func:`reporting.regional_analysis` computes for a campaign.

A run is asked for (:func:`request_run`, status ``queued``), computed by a background job
(:func:`start_run` then :func:`compute_run`, status ``running`` then ``done``) or ends with
its error (:func:`fail_run`, status ``failed``). Every result row is one indicator of one
library as reporting produced it — estimate, interval, n, the verdict against the regional
standard, the empirical-Bayes estimate and rank interval where reporting gives them. No
statistic is computed here: this module copies reporting's tables into the database.

Pages read the latest *finished* run (:func:`latest_run`), so a failed or running
recomputation leaves the previous result on screen.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import JSON
from sqlalchemy import Engine
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

import analysis
from survey_app.db import SQLITE_BUSY_TIMEOUT_MS
from survey_app.models import Campaign
from survey_app.models import CampaignStatus
from survey_app.models import InstrumentVersion
from survey_app.models import Library
from survey_app.models import ReportResult
from survey_app.models import ReportRun
from survey_app.models import Response
from survey_app.models import ResultLevel
from survey_app.models import RunStatus
from survey_app.models import User
from survey_app.models.base import utcnow
from survey_app.services import careless
from survey_app.services import checklists
from survey_app.services import reporting
from survey_app.services.memory import release_free_memory

__all__ = [
    "CHANGE_PREFIX",
    "CHANNEL_PREFIX",
    "DEFAULT_STANDARD",
    "PERIOD_PREFIX",
    "SCREENING_INDICATOR",
    "VERDICT_MIN_N",
    "WEEKLY_UP_TO",
    "base_indicator",
    "breakdown_rows",
    "change_rows",
    "period_key",
    "period_unit",
    "slice_indicator",
    "previous_campaign",
    "rollup_rows",
    "screening_rows",
    "RunState",
    "code_version",
    "compute_run",
    "every_campaign",
    "fail_run",
    "find_campaign",
    "get_run",
    "latest_run",
    "load_regional_standard",
    "main_indicator",
    "open_campaigns",
    "progress_writer",
    "request_run",
    "result_row_parts",
    "result_rows",
    "run_state",
    "start_run",
]

#: the packaged regional standard used when the configuration names none
DEFAULT_STANDARD = "kemerovo_example"
#: the indicator of the share of responses the careless-response screening flagged
SCREENING_INDICATOR = "screening:flagged"
#: ``change:<indicator>``: the change of an indicator since the previous campaign (computed
#: when read, from the two campaigns' latest runs: see :func:`change_rows`)
CHANGE_PREFIX = "change:"
#: ``channel:<channel>:<indicator>``: a library's (system's, the region's) indicator on the
#: responses of one channel
CHANNEL_PREFIX = "channel:"
#: ``period:<period>:<indicator>``: the same on the responses of one period of the campaign
#: (a calendar month ``2026-03``, or an ISO week ``2026-W05`` in a short campaign)
PERIOD_PREFIX = "period:"
#: campaigns lasting at most this many days are split by ISO week, longer ones by month
WEEKLY_UP_TO = 56
#: responses below which a verdict is "insufficient data" (libraries, slices and roll-ups)
VERDICT_MIN_N = 30
#: a queued or running run older than this is taken as lost (a worker that died)
STALE_AFTER = dt.timedelta(hours=6)
#: longest error text kept
MAX_ERROR = 2000
#: indicator families tried, in order, for the main index when the standard names none
_MAIN_ORDER = (
    "nok:total",
    "scale:",
    "nps:",
    "happy_index:",
    "adequacy_gap:overall",
    "servqual_gap:",
    "share_satisfied:",
    "mean:",
)


def code_version() -> str:
    """The installed application's version (what computed a run)."""
    try:
        return metadata.version("library-quality-survey")
    except metadata.PackageNotFoundError:
        return "unknown"


def load_regional_standard(name: str | None, on: dt.date | None) -> analysis.Standard | None:
    """The regional standard in force on ``on`` (None when no name or no version applies).

    A standard that cannot be read (an unknown name, a malformed file) raises ValueError: a
    run then fails with that reason instead of quietly giving no verdicts.
    """
    if not name:
        return None
    try:
        return analysis.load_standard(name, on=on)
    except analysis.NoVersionInForce:
        return None


def main_indicator(indicators: Sequence[str], standard: analysis.Standard | None) -> str | None:
    """The indicator a page shows first: the first one the standard sets a target for,
    else the first of NOK total, a scale, NPS, happy index, overall gap, SERVQUAL, a share."""
    present = list(dict.fromkeys(indicators))
    if standard is not None:
        for name in standard.targets:
            if name in present:
                return name
    for family in _MAIN_ORDER:
        for name in present:
            if name == family or (family.endswith(":") and name.startswith(family)):
                return name
    return present[0] if present else None


def period_unit(campaign: Campaign) -> str:
    """``week`` for a campaign of at most :data:`WEEKLY_UP_TO` days, else ``month``."""
    starts, ends = campaign.starts_on, campaign.ends_on
    if starts is not None and ends is not None and (ends - starts).days < WEEKLY_UP_TO:
        return "week"
    return "month"


def period_key(unit: str) -> Callable[[tuple[Any, ...]], str | None]:
    """The period of a response cell ``(channel, ISO day, service point)``: ``2026-03`` by
    month, ``2026-W05`` by ISO week (the day is the response's date in the run's time zone,
    :func:`compute_run`)."""

    def key(label: tuple[Any, ...]) -> str | None:
        day = label[1] if len(label) > 1 else None
        if not day:
            return None
        if unit == "week":
            year, week, _ = dt.date.fromisoformat(str(day)).isocalendar()
            return f"{year}-W{week:02d}"
        return str(day)[:7]

    return key


def _channel_key(label: tuple[Any, ...]) -> str | None:
    return str(label[0]) if label and label[0] is not None else None


def slice_indicator(prefix: str, value: str, indicator: str) -> str:
    """``channel:web:<indicator>``, ``period:2026-03:<indicator>``."""
    return f"{prefix}{value}:{indicator}"


def base_indicator(name: str) -> str:
    """The indicator a stored row measures: ``channel:web:scale:s`` -> ``scale:s``."""
    for prefix in (CHANNEL_PREFIX, PERIOD_PREFIX):
        if name.startswith(prefix):
            return name.removeprefix(prefix).partition(":")[2]
    return name


def _pending(session: Session, campaign_id: int) -> ReportRun | None:
    since = utcnow() - STALE_AFTER
    return session.scalar(
        select(ReportRun)
        .where(ReportRun.campaign_id == campaign_id)
        .where(ReportRun.status.in_([RunStatus.queued, RunStatus.running]))
        .where(ReportRun.created_at >= since)
        .order_by(ReportRun.id.desc())
        .limit(1)
    )


def request_run(
    session: Session, campaign: Campaign, *, requested_by: User | None = None
) -> tuple[ReportRun, bool]:
    """Queue a run of the campaign; return it and whether it is new.

    A run of the campaign already queued or running (and not stale) is returned instead of
    a second one, so pressing the button twice computes once.
    """
    found = _pending(session, campaign.id)
    if found is not None:
        return found, False
    run = ReportRun(
        campaign=campaign,
        instrument_version_id=campaign.instrument_version_id,
        status=RunStatus.queued,
        progress=0.0,
        code_version=code_version(),
        requested_by_id=requested_by.id if requested_by is not None else None,
        notes=[],
    )
    session.add(run)
    session.flush()
    return run, True


def start_run(session: Session, run: ReportRun) -> None:
    """Mark a run as running (its start time, no progress yet)."""
    run.status = RunStatus.running
    run.started_at = utcnow()
    run.progress = 0.0
    run.error = None
    session.flush()


def fail_run(session: Session, run_id: int, error: str) -> ReportRun | None:
    """Mark a run as failed with its (one-line) error; earlier results stay untouched."""
    run = session.get(ReportRun, run_id)
    if run is None:
        return None
    run.status = RunStatus.failed
    run.finished_at = utcnow()
    run.error = " ".join(error.split())[:MAX_ERROR] or "error"
    session.flush()
    return run


def progress_writer(engine: Engine, run_id: int) -> Callable[[float], None]:
    """A callback storing a run's progress on its own connection, at most twice a second.

    The computing session holds its read open while streaming, so progress is written and
    committed separately; a write that finds the database busy is skipped (it is a hint).
    Call it only before the computing session writes to the run (it would wait on that lock).
    """
    last = [0.0]

    def write(share: float) -> None:
        now = dt.datetime.now(dt.UTC).timestamp()
        if now - last[0] < 0.5 and share < 1.0:
            return
        last[0] = now
        try:
            with engine.begin() as connection:
                # a hint is never waited for: SQLite gives up at once when the database is busy
                sqlite = connection.dialect.name == "sqlite"
                if sqlite:
                    connection.exec_driver_sql("PRAGMA busy_timeout=0")
                try:
                    connection.execute(
                        update(ReportRun)
                        .where(ReportRun.id == run_id)
                        .values(progress=min(1.0, max(0.0, share)))
                    )
                finally:
                    if sqlite:
                        connection.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        except OperationalError:
            pass

    return write


def _float(value: Any) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) or math.isinf(number) else number


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return str(value)


def _floats(values: Any) -> list[float | None]:
    """Finite numbers as floats, anything else (NaN, inf, None, text) as None."""
    array = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
    out: list[float | None] = array.tolist()
    for i in np.flatnonzero(~np.isfinite(array)).tolist():
        out[i] = None
    return out


def _texts(values: Any) -> list[str | None]:
    return [_text(v) for v in values]


def _matching(
    frame: pd.DataFrame, lookup: pd.DataFrame | None, columns: Mapping[str, str]
) -> pd.DataFrame:
    """``lookup``'s ``columns`` (renamed) for each (library_id, indicator) row of ``frame``, in
    its order (missing where ``lookup`` has no such row; the last one where it has several)."""
    keys = ["library_id", "indicator"]
    if lookup is None or lookup.empty:
        return pd.DataFrame({new: [None] * len(frame) for new in columns.values()})
    present = [c for c in columns if c in lookup.columns]
    right = lookup.loc[:, [*keys, *present]].rename(columns=columns)
    right = right.drop_duplicates(keys, keep="last")
    right["library_id"] = right["library_id"].astype("int64")
    right["indicator"] = right["indicator"].astype(str)
    found = frame.loc[:, keys].merge(right, on=keys, how="left", validate="many_to_one")
    for new in columns.values():
        if new not in found.columns:
            found[new] = None
    return found


def _reliability_notes(report: reporting.RegionalReport) -> dict[tuple[int, str], str]:
    table = report.tables.get("reliability")
    if table is None or table.empty or "note" not in table.columns:
        return {}
    notes: dict[tuple[int, str], str] = {}
    for row in table.to_dict("records"):
        note = _text(row.get("note"))
        if note:
            notes[(int(row["library_id"]), f"alpha:{row['scale']}")] = note
            reason = _text(row.get("reason"))
            if reason:
                notes[(int(row["library_id"]), f"alpha:{row['scale']}")] = f"{reason}: {note}"
    return notes


def result_rows(report: reporting.RegionalReport, run_id: int) -> list[dict[str, Any]]:
    """One stored row per (library, indicator) of reporting's long table, with the verdict,
    the shrunken estimate and the rank interval of the same library and indicator."""
    return [row for part in result_row_parts(report, run_id) for row in part]


def result_row_parts(
    report: reporting.RegionalReport, run_id: int, size: int = 4096
) -> Iterator[list[dict[str, Any]]]:
    """:func:`result_rows` ``size`` at a time (a run stores each part as it is made)."""
    indices = report.indices
    if indices.empty:
        return
    frame = pd.DataFrame(
        {
            "library_id": indices["library_id"].astype("int64").to_numpy(),
            "indicator": indices["indicator"].astype(str).to_numpy(),
        }
    )
    verdicts = _matching(frame, report.verdicts, {"verdict": "verdict", "target": "target"})
    shrunk = _matching(
        frame,
        report.shrinkage,
        {
            "posterior_mean": "shrunken",
            "ci_low": "shrunken_low",
            "ci_high": "shrunken_high",
            "rank": "rank",
            "rank_low": "rank_low",
            "rank_high": "rank_high",
            "method": "method",
        },
    )
    notes = _reliability_notes(report)
    absent = [None] * len(frame)
    ses = _floats(indices["se"]) if "se" in indices.columns else absent
    methods = _texts(shrunk["method"])
    library_ids = frame["library_id"].tolist()
    names = frame["indicator"].tolist()
    n = [0 if v is None else int(v) for v in _floats(indices["n"])]
    columns: dict[str, list[Any]] = {
        "estimate": _floats(indices["value"]),
        "ci_low": _floats(indices["ci_low"]),
        "ci_high": _floats(indices["ci_high"]),
        "verdict": _texts(verdicts["verdict"]),
        "target": _floats(verdicts["target"]),
        "shrunken": _floats(shrunk["shrunken"]),
        "shrunken_low": _floats(shrunk["shrunken_low"]),
        "shrunken_high": _floats(shrunk["shrunken_high"]),
        "rank": _floats(shrunk["rank"]),
        "rank_low": _floats(shrunk["rank_low"]),
        "rank_high": _floats(shrunk["rank_high"]),
    }
    rows: list[dict[str, Any]] = []
    for i, (library_id, indicator) in enumerate(zip(library_ids, names, strict=True)):
        if len(rows) == size:
            yield rows
            rows = []
        extra: dict[str, Any] = {}
        if ses[i] is not None:
            extra["se"] = ses[i]
        if methods[i]:
            extra["shrinkage_method"] = methods[i]
        row = {
            "run_id": run_id,
            "level": ResultLevel.library.value,
            "library_id": library_id,
            "system_id": None,
            "indicator": indicator,
            "n": n[i],
            "note": notes.get((library_id, indicator)),
            "extra": extra or None,
        }
        row.update({name: values[i] for name, values in columns.items()})
        rows.append(row)
    if rows:
        yield rows


def compute_run(
    session: Session,
    run: ReportRun,
    *,
    standard_name: str | None = DEFAULT_STANDARD,
    progress: Callable[[float], None] | None = None,
    zone: str = "UTC",
) -> ReportRun:
    """Analyse the run's campaign with :func:`reporting.regional_analysis` and store it.

    The standard in force on the campaign's first day (else today) is applied. The periods
    of the breakdowns are the months (or weeks) of the time zone ``zone`` (the region's:
    ``BABEL_DEFAULT_TIMEZONE``, as the pages show times). The run ends ``done`` with its
    counts; errors propagate (the caller rolls back and calls :func:`fail_run`).
    """
    campaign = run.campaign
    standard = load_regional_standard(standard_name, campaign.starts_on)
    # the responses quality control left out (few: a partial index) and all of them (from
    # the campaign × library index alone): the analysed ones, for the progress
    in_campaign = Response.campaign_id == campaign.id
    excluded = session.scalar(
        select(func.count())
        .select_from(Response)
        .where(in_campaign & Response.excluded_at.is_not(None))
    )
    every = session.scalar(select(func.count()).select_from(Response).where(in_campaign))
    total = (every or 0) - (excluded or 0)

    def streamed(_libraries: int, responses: int) -> None:
        if progress is not None and total:
            progress(0.9 * responses / total)

    checklist = checklists.checklist_frame(session, campaign)
    # the careless-response screening reads the rows of the analysis's own scan (one ordered
    # pass over the campaign's responses), in batches of whole libraries
    # (on a thread of its own: its numpy work runs while the scan goes on)
    screener = careless.CampaignScreening(campaign, background=True)
    # only the main indicator is stored per channel and period: chosen before the scan
    # (from the names the plan gives), the cells keep and finalise only what it needs
    planned = main_indicator(
        analysis.plan_indicators(screener.plan, nok_scored=checklist is not None), standard
    )
    try:
        report = reporting.regional_analysis(
            session,
            campaign,
            standard=standard,
            checklist=checklist,
            min_n=VERDICT_MIN_N,
            progress=streamed,
            breakdowns={"channel": _channel_key, "period": period_key(period_unit(campaign))},
            breakdown_indicators=[planned] if planned is not None else [],
            pages=screener.pages,
            on_rows=screener.feed if screener.active else None,
            # the last batch is screened while the analysis finishes its tables
            on_end=screener.flush,
            zone=zone,
        )
        screening = screener.finish()  # the last batch of libraries
    except BaseException:
        screener.close(quiet=True)  # its thread; the scan's error is the one told
        raise
    release_free_memory()  # the stream's buffers, before the result rows are built
    if progress is not None and total:
        progress(0.99)  # every response streamed and screened
    library_systems = _library_systems(session, report.libraries["library_id"])
    # the rows go to the database as they are made (one COPY on PostgreSQL: the server
    # stores the libraries' rows while the slices and roll-ups are computed)
    with _result_writer(session) as store:
        rows: list[dict[str, Any]] = []
        for part in result_row_parts(report, run.id):
            for row in part:
                row["system_id"] = library_systems.get(row["library_id"])
            store(part)  # the server stores it while the next part is made
            rows += part
        main = main_indicator([str(r["indicator"]) for r in rows], standard)
        screened = screening_rows(screening, run.id, library_systems)
        store(screened)
        rows += screened
        rolled = [main, SCREENING_INDICATOR] if main else []
        if main is not None:
            # the slices of the main indicator chosen before the scan (``planned``): the
            # same one unless no library has a result of it (e.g. nok:total without a
            # checklist row), and then there are none
            sliced = breakdown_rows(report, main, run.id, library_systems)
            store(sliced)
            rows += sliced
            rolled += list(dict.fromkeys(str(r["indicator"]) for r in sliced))
        store(rollup_rows(rows, run.id, rolled, standard=standard))
    run.standard_id = standard.id if standard is not None else None
    run.standard_version = standard.version if standard is not None else None
    run.instrument_version_id = campaign.instrument_version_id
    run.exclusions_applied = int(excluded or 0)
    run.responses_counted = int(report.libraries["n"].sum()) if len(report.libraries) else 0
    run.libraries_counted = len(report.libraries)
    run.main_indicator = main
    run.notes = list(report.notes)
    run.status = RunStatus.done
    run.progress = 1.0
    run.finished_at = utcnow()
    run.code_version = code_version()
    # the row now says progress 1.0 in this transaction; no separate write (it would wait on
    # this transaction's own lock of the row)
    session.flush()
    return run


def _library_systems(session: Session, library_ids: Iterable[Any]) -> dict[int, int]:
    """The library system of each library."""
    ids = sorted({int(i) for i in library_ids})
    systems: dict[int, int] = {}
    for start in range(0, len(ids), 5000):  # a bounded IN list per query
        part = ids[start : start + 5000]
        found = session.execute(select(Library.id, Library.system_id).where(Library.id.in_(part)))
        systems.update({row.id: row.system_id for row in found})
    return systems


def _store_results(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert result rows (see :func:`_result_writer`)."""
    with _result_writer(session) as store:
        store(rows)


@contextmanager
def _result_writer(session: Session) -> Iterator[Callable[[Sequence[Mapping[str, Any]]], None]]:
    """A function storing result rows, called as they are made: on PostgreSQL it writes them
    to one ``COPY ... FROM STDIN`` (tens of thousands of rows; an executemany INSERT is one
    round trip per row) that the server reads while the next ones are computed, elsewhere it
    inserts them by executemany. The session runs no other statement until the block ends."""
    connection = session.connection()
    driver = connection.connection.driver_connection
    if connection.dialect.name != "postgresql" or connection.dialect.driver != "psycopg":

        def insert_rows(rows: Sequence[Mapping[str, Any]]) -> None:
            if rows:
                session.execute(insert(ReportResult), list(rows))

        yield insert_rows
        return
    from psycopg.types.json import Json

    table = ReportResult.__table__
    columns = [c for c in table.columns if not c.primary_key]
    # a key a row leaves out takes the column's default, as the ORM insert does
    defaults = [
        c.default.arg if c.default is not None and c.default.is_scalar else None for c in columns
    ]
    # JSON values go as psycopg's Json (dumped with the function the dialect configured)
    json_columns = [isinstance(c.type, JSON) for c in columns]
    names = ", ".join(connection.dialect.identifier_preparer.quote(c.name) for c in columns)
    if driver is None:
        raise RuntimeError("the session's connection is closed")
    copy_sql = f"COPY {ReportResult.__tablename__} ({names}) FROM STDIN"
    with driver.cursor() as cursor, cursor.copy(copy_sql) as copy:
        keyed = [(c.key, d) for c, d in zip(columns, defaults, strict=True)]
        json_at = [j for j, is_json in enumerate(json_columns) if is_json]

        def copy_rows(rows: Sequence[Mapping[str, Any]]) -> None:
            for row in rows:
                values = [row.get(key, default) for key, default in keyed]
                for j in json_at:
                    if values[j] is not None:
                        values[j] = Json(values[j])
                copy.write_row(values)

        yield copy_rows


def _se(row: Mapping[str, Any]) -> float:
    extra = row.get("extra") or {}
    if extra.get("se") is not None:
        return float(extra["se"])
    if row.get("ci_low") is not None and row.get("ci_high") is not None:
        return float(analysis.se_from_interval(row["ci_low"], row["ci_high"])[0])
    return math.nan


def screening_rows(
    screening: Sequence[careless.LibraryScreening],
    run_id: int,
    library_systems: Mapping[int, int],
) -> list[dict[str, Any]]:
    """One row per screened library: the share flagged, its Wilson interval and n."""
    if not screening:
        return []
    share = analysis.flagged_share([s.flagged for s in screening], [s.screened for s in screening])
    return [
        {
            "run_id": run_id,
            "level": ResultLevel.library.value,
            "library_id": s.library_id,
            "system_id": library_systems.get(s.library_id),
            "indicator": SCREENING_INDICATOR,
            "estimate": _float(share.estimate[i]),
            "ci_low": _float(share.ci_low[i]),
            "ci_high": _float(share.ci_high[i]),
            "n": s.screened,
            "extra": {"flagged": s.flagged, "se": _float(share.se[i])},
        }
        for i, s in enumerate(screening)
    ]


def previous_campaign(session: Session, campaign: Campaign) -> Campaign | None:
    """The latest earlier campaign of the same instrument (any version) that has a finished
    run: the campaign a change is measured against."""
    if campaign.starts_on is None:
        return None
    instrument_id = campaign.instrument_version.instrument_id
    candidates = session.scalars(
        select(Campaign)
        .join(InstrumentVersion, InstrumentVersion.id == Campaign.instrument_version_id)
        .where(InstrumentVersion.instrument_id == instrument_id)
        .where(Campaign.id != campaign.id)
        .where(Campaign.starts_on.is_not(None))
        .where(Campaign.starts_on < campaign.starts_on)
        .order_by(Campaign.starts_on.desc(), Campaign.id.desc())
    ).all()
    for candidate in candidates:
        if latest_run(session, candidate.id) is not None:
            return candidate
    return None


def breakdown_rows(
    report: reporting.RegionalReport,
    indicator: str,
    run_id: int,
    library_systems: Mapping[int, int],
) -> list[dict[str, Any]]:
    """``channel:<c>:<indicator>`` and ``period:<p>:<indicator>`` rows: the main indicator of
    each library on the responses of one channel or one period, as reporting computed it from
    the merged cells (estimate, interval, n, verdict and target; no shrinkage, no rank).

    Only the main indicator is kept: about 15 rows a library (four channels, a dozen months)."""
    prefixes = {"channel": CHANNEL_PREFIX, "period": PERIOD_PREFIX}
    rows: list[dict[str, Any]] = []
    for name, prefix in prefixes.items():
        table = report.breakdowns.get(name)
        if table is None or table.empty:
            continue
        for record in table.loc[table["indicator"] == indicator].to_dict("records"):
            library_id = int(record["library_id"])
            se = _float(record.get("se"))
            rows.append(
                {
                    "run_id": run_id,
                    "level": ResultLevel.library.value,
                    "library_id": library_id,
                    "system_id": library_systems.get(library_id),
                    "indicator": slice_indicator(prefix, str(record[name]), indicator),
                    "estimate": _float(record.get("value")),
                    "ci_low": _float(record.get("ci_low")),
                    "ci_high": _float(record.get("ci_high")),
                    "n": int(_float(record.get("n")) or 0),
                    "verdict": _text(record.get("verdict")),
                    "target": _float(record.get("target")),
                    "extra": {"se": se} if se is not None else None,
                }
            )
    return rows


@dataclass(frozen=True, slots=True)
class Change:
    """A library's change of an indicator since the previous campaign."""

    library_id: int
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    previous_estimate: float | None
    previous_n: int


def change_rows(
    session: Session,
    campaign: Campaign,
    run: ReportRun,
    indicator: str,
    library_ids: Sequence[int] | None = None,
) -> tuple[Campaign | None, dict[int, Change]]:
    """Each library's change of ``indicator`` since the previous campaign of the same
    instrument (:func:`analysis.estimate_difference`), where both have an estimate.

    Computed when read, from ``run`` and the *latest* finished run of the previous campaign,
    so a later recomputation of either shows at once (a stored change would keep the
    previous campaign's old figures). Returns the previous campaign (None when there is
    none) and the changes by library id.
    """
    before = previous_campaign(session, campaign)
    if before is None:
        return None, {}
    old_run = latest_run(session, before.id)
    assert old_run is not None  # nosec B101 - previous_campaign found a finished run

    def library_rows(run_id: int) -> dict[int, ReportResult]:
        query = (
            select(ReportResult)
            .where(ReportResult.run_id == run_id)
            .where(ReportResult.indicator == indicator)
            .where(ReportResult.level == ResultLevel.library.value)
        )
        found: dict[int, ReportResult] = {}
        if library_ids is None:
            found.update({r.library_id: r for r in session.scalars(query) if r.library_id})
            return found
        ids = list(library_ids)
        for start in range(0, len(ids), 5000):
            part = ids[start : start + 5000]
            rows = session.scalars(query.where(ReportResult.library_id.in_(part)))
            found.update({r.library_id: r for r in rows if r.library_id is not None})
        return found

    new, old = library_rows(run.id), library_rows(old_run.id)
    pairs = [
        (new[i], old[i])
        for i in sorted(new)
        if i in old and new[i].estimate is not None and old[i].estimate is not None
    ]
    if not pairs:
        return before, {}

    def se(row: ReportResult) -> float:
        return _se({"extra": row.extra, "ci_low": row.ci_low, "ci_high": row.ci_high})

    change = analysis.estimate_difference(
        [float(r.estimate or 0.0) for r, _ in pairs],
        [se(r) for r, _ in pairs],
        [float(o.estimate or 0.0) for _, o in pairs],
        [se(o) for _, o in pairs],
    )
    return before, {
        int(r.library_id or 0): Change(
            library_id=int(r.library_id or 0),
            estimate=_float(change.estimate[i]),
            ci_low=_float(change.ci_low[i]),
            ci_high=_float(change.ci_high[i]),
            n=r.n,
            previous_estimate=o.estimate,
            previous_n=o.n,
        )
        for i, (r, o) in enumerate(pairs)
    }


def rollup_rows(
    rows: Sequence[Mapping[str, Any]],
    run_id: int,
    indicators: Sequence[str],
    *,
    standard: analysis.Standard | None = None,
    min_n: int = VERDICT_MIN_N,
) -> list[dict[str, Any]]:
    """System and region rows of these indicators: the respondent-weighted combination of
    their libraries' estimates (:func:`analysis.stratified_estimate`), each held against the
    standard like a library (:func:`analysis.compare_to_standard`, the same ``min_n``; the
    combined interval is a normal one, so its test is ``z``)."""
    wanted = set(indicators)
    by_indicator: dict[str, list[Mapping[str, Any]]] = {}
    for r in rows:
        if (
            r["indicator"] in wanted
            and r["level"] == ResultLevel.library.value
            and r["estimate"] is not None
            and r["n"] > 0
        ):
            by_indicator.setdefault(str(r["indicator"]), []).append(r)
    out: list[dict[str, Any]] = []
    for indicator in dict.fromkeys(indicators):
        groups: dict[tuple[str, int | None], list[Mapping[str, Any]]] = {}
        for r in by_indicator.get(indicator, []):
            groups.setdefault((ResultLevel.system.value, r["system_id"]), []).append(r)
            groups.setdefault((ResultLevel.region.value, None), []).append(r)
        for (level, system_id), members in groups.items():
            if level == ResultLevel.system.value and system_id is None:
                continue
            combined = analysis.stratified_estimate(
                [m["estimate"] for m in members],
                [_se(m) for m in members],
                [m["n"] for m in members],
                bounds=analysis.indicator_bounds(base_indicator(indicator)),
            )
            extra: dict[str, Any] = {
                "libraries": len(members),
                "method": "stratified",
                "se": _float(combined.se[0]),
            }
            if indicator == SCREENING_INDICATOR:
                extra["flagged"] = sum(
                    int((m.get("extra") or {}).get("flagged", 0)) for m in members
                )
            out.append(
                {
                    "run_id": run_id,
                    "level": level,
                    "library_id": None,
                    "system_id": system_id,
                    "indicator": indicator,
                    "estimate": _float(combined.estimate[0]),
                    "ci_low": _float(combined.ci_low[0]),
                    "ci_high": _float(combined.ci_high[0]),
                    "n": sum(int(m["n"]) for m in members),
                    "verdict": None,
                    "target": None,
                    "extra": extra,
                }
            )
    if standard is not None and out:
        frame = pd.DataFrame(
            {
                "row": range(len(out)),
                "indicator": [base_indicator(str(r["indicator"])) for r in out],
                "value": [r["estimate"] for r in out],
                "ci_low": [r["ci_low"] for r in out],
                "ci_high": [r["ci_high"] for r in out],
                "n": [r["n"] for r in out],
                "se": [r["extra"]["se"] for r in out],
                "test": "z",
            }
        ).astype({"value": float, "ci_low": float, "ci_high": float, "se": float})
        judged = analysis.compare_to_standard(frame, standard, unit="row", min_n=min_n)
        for record in judged.to_dict("records"):
            row = out[int(record["row"])]
            row["verdict"] = _text(record["verdict"])
            row["target"] = _float(record["target"])
    return out


def latest_run(
    session: Session, campaign_id: int, *, status: RunStatus = RunStatus.done
) -> ReportRun | None:
    """The newest run of the campaign with this status (by finishing order for ``done``)."""
    return session.scalar(
        select(ReportRun)
        .where(ReportRun.campaign_id == campaign_id)
        .where(ReportRun.status == status)
        .order_by(ReportRun.id.desc())
        .limit(1)
    )


@dataclass(frozen=True, slots=True)
class RunState:
    """What a page says about a campaign's runs."""

    #: the result shown: the newest finished run
    shown: ReportRun | None
    #: a recomputation queued or under way
    pending: ReportRun | None
    #: a failure newer than the result shown
    failed: ReportRun | None


def run_state(session: Session, campaign_id: int) -> RunState:
    """The finished run shown, a pending recomputation, and a newer failure, if any."""
    shown = latest_run(session, campaign_id)
    failed = latest_run(session, campaign_id, status=RunStatus.failed)
    if failed is not None and shown is not None and failed.id < shown.id:
        failed = None
    return RunState(shown=shown, pending=_pending(session, campaign_id), failed=failed)


def open_campaigns(session: Session) -> Sequence[Campaign]:
    """The campaigns the nightly recomputation covers (status open)."""
    return session.scalars(
        select(Campaign).where(Campaign.status == CampaignStatus.open).order_by(Campaign.id)
    ).all()


def every_campaign(session: Session) -> Sequence[Campaign]:
    """Every campaign, open or closed (``survey-app reports run --all``: after an upgrade
    that changes how runs are computed, the stored results of closed campaigns too)."""
    return session.scalars(select(Campaign).order_by(Campaign.id)).all()


def find_campaign(session: Session, code: str) -> Campaign | None:
    """The campaign with this code (exact), or None."""
    return session.scalar(select(Campaign).where(Campaign.code == code.strip()))


def get_run(session: Session, run_id: int) -> ReportRun | None:
    """The run with this id, or None."""
    return session.get(ReportRun, run_id)
