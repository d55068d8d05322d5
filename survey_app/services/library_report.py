"""The library page: everything measured about one library in one campaign.

The page belongs to the campaign's latest finished report run (what the dashboard shows):
it is computed once per run and library from the library's responses as the wide export
writes them, and cached with the run (table ``report_cache``, key ``page:<locale>``: the
questions and scales are named in the reader's language; the charts under
``chart:<name>:<locale>``), so a later view reads it back and a new run computes it afresh.
Responses that arrived after the run started are left out, so the page and the run
describe the same data.

No statistic is computed here. The indices, their intervals, verdicts and the reliability
table come from the same functions as ``survey-app indices`` and ``survey-app reliability``
on the exported rows (:func:`reporting.instrument_indices`, :func:`analysis.cronbach_alpha`,
:func:`analysis.omega_total`), so the page and the command line cannot disagree; the NOK
and omega intervals come from :mod:`analysis.bootstrap`, the answer distributions and the
hour × weekday table from :mod:`analysis.distributions`, the screening flags from
:func:`analysis.screen_responses`.

**Small cells.** No breakdown — channel, service point, hour × weekday cell — is shown for
fewer than ``small_cell_min`` responses (``SMALL_CELL_MIN``, default 10): the cell says
"fewer than 10" instead. Demographic breakdowns are not shown at all.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import analysis
from analysis.nok import CHECKLIST_COLUMNS
from analysis.nok import CRITERIA
from instruments import Instrument
from instruments import ItemType
from survey_app.models import Campaign
from survey_app.models import Library
from survey_app.models import NokChecklist
from survey_app.models import ReportCache
from survey_app.models import ReportRun
from survey_app.models import User
from survey_app.services import report_runs
from survey_app.services import reporting
from survey_app.services.checklists import library_checklist
from survey_app.services.errors import NotFound
from survey_app.services.exports import export_rows
from survey_app.services.exports import format_cell
from survey_app.services.instruments import instrument_of
from survey_app.services.instruments import text_of
from survey_app.services.scope import Action
from survey_app.services.scope import library_ids_in_scope
from survey_app.services.scope import require_campaign
from survey_app.services.scope import require_library

__all__ = [
    "BOOTSTRAP_SEED",
    "CHARTS",
    "NOK_BOOT",
    "OMEGA_BOOT",
    "PAGE_VERSION",
    "VERDICT_MIN_N",
    "LibraryPage",
    "build_page",
    "library_chart",
    "library_page",
    "page_rows",
]

#: bumped when the cached page's layout changes (older cache rows are recomputed)
#: 4: NOK criteria carry the reason an interval is withheld; 5: so do their indicator rows
PAGE_VERSION = 5
#: the seed of the bootstrap intervals shown
BOOTSTRAP_SEED = analysis.BOOTSTRAP_SEED
#: bootstrap replicates of the NOK criteria and of omega
NOK_BOOT = 2000
OMEGA_BOOT = 200
#: responses below which a verdict is "insufficient data" (``survey-app indices --min-n``)
VERDICT_MIN_N = 30
#: respondents below which a reliability coefficient is shown with a warning
RELIABILITY_WARN_N = 30
#: comments shown at most (the search narrows them)
MAX_COMMENTS = 200
#: the charts a page can have
CHARTS = ("likert", "gap", "nok", "channels", "heatmap-n", "heatmap-index")
#: indicator families a single response has a value of (for the heat map of the index)
_PER_RESPONSE = ("scale", "share_satisfied", "mean")


def _float(value: Any) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) or math.isinf(number) else number


def _text(value: Mapping[str, str] | None, fallback: str, locale: str) -> str:
    """An instrument text in ``locale``, else in Russian, else ``fallback``."""
    return text_of(value, locale) or fallback


# --- the rows ---------------------------------------------------------------------------------


def page_rows(
    session: Session, campaign: Campaign, library: Library, until: dt.datetime | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The library's exported rows as ``indices`` reads them (text, empty = missing), and
    the same rows as stored (free text untouched), both without responses received after
    ``until``."""
    raw = list(export_rows(session, campaign.code, library_ids=[library.id]))
    if until is not None:
        limit = until.astimezone(dt.UTC)
        raw = [
            row
            for row in raw
            if row["received_at"] is None
            or dt.datetime.fromisoformat(str(row["received_at"]).replace("Z", "+00:00")) <= limit
        ]
    texts = pd.DataFrame(
        [{k: format_cell(v, raw=True) for k, v in row.items()} for row in raw],
        dtype="object",
    )
    if texts.empty:
        return texts, pd.DataFrame(raw)
    texts = texts.replace({"": np.nan, "NA": np.nan})
    return texts, pd.DataFrame(raw)


# --- building the page ----------------------------------------------------------------------


def _indicator_title(instrument: Instrument, indicator: str, locale: str) -> tuple[str, str]:
    family, _, subject = indicator.partition(":")
    scales = {s.id: s for s in instrument.scales}
    if family in ("scale", "alpha") or subject in scales:
        scale = scales.get(subject)
        if scale is not None:
            return family, _text(scale.title, subject, locale)
    item_id, _, column = subject.partition(":")
    try:
        item = instrument.item(item_id)
    except KeyError:
        return family, subject
    text = _text(item.text, item_id, locale)
    if not column:
        return family, text
    # a battery's column by its label ("воспринимаемый уровень"), not its id ("perceived")
    label = next((_text(c.label, column, locale) for c in item.columns if c.id == column), column)
    return family, f"{text} ({label})"


def _standard(run: ReportRun, campaign: Campaign) -> analysis.Standard | None:
    """The standard the run applied, or None when it applied none or it can no longer be
    read (removed or changed since the run: the page then shows no verdicts, not an error)."""
    if not run.standard_id:
        return None
    try:
        return report_runs.load_regional_standard(run.standard_id, campaign.starts_on)
    except ValueError:
        return None


def _indices(
    report: reporting.IndicesReport, instrument: Instrument, code: str, locale: str
) -> list[dict[str, Any]]:
    verdicts: dict[str, dict[str, Any]] = {}
    if report.verdicts is not None:
        for row in report.verdicts.to_dict("records"):
            verdicts[str(row["indicator"])] = {str(k): v for k, v in row.items()}
    notes: dict[str, str] = {}
    #: the reason codes of each note (the page says them in its language)
    note_codes: dict[str, list[str]] = {}
    rel = report.tables.get("reliability")
    if rel is not None:
        for row in rel.to_dict("records"):
            if row.get("status") not in (None, "ok"):
                notes[f"alpha:{row['scale']}"] = str(row.get("note") or row.get("reason") or "")
                codes = str(row.get("reason") or "")
                note_codes[f"alpha:{row['scale']}"] = [c for c in codes.split(",") if c]
    out = []
    for row in report.indices.to_dict("records"):
        if str(row["library"]) != code:
            continue
        indicator = str(row["indicator"])
        family, title = _indicator_title(instrument, indicator, locale)
        verdict = verdicts.get(indicator, {})
        n = _float(row.get("n"))
        out.append(
            {
                "indicator": indicator,
                "family": family,
                "title": title,
                "value": _float(row.get("value")),
                "ci_low": _float(row.get("ci_low")),
                "ci_high": _float(row.get("ci_high")),
                "n": None if n is None else int(n),
                "verdict": verdict.get("verdict"),
                "target": _float(verdict.get("target")),
                "note": notes.get(indicator),
                "note_codes": note_codes.get(indicator, []),
            }
        )
    return out


def _likert(
    frame: pd.DataFrame, plan: reporting.AnalysisPlan, instrument: Instrument, locale: str
) -> Any:
    groups: dict[tuple[float, float], list[str]] = {}
    for key, kind in plan.kinds.items():
        if kind == ItemType.likert.value and key in plan.ranges:
            groups.setdefault(plan.ranges[key], []).append(key)
    out = []
    for (low, high), items in groups.items():
        values = [float(v) for v in range(int(low), int(high) + 1)]
        table = analysis.answer_distribution(frame, items=items, values=values)
        anchors: dict[int, str] = {}
        first = instrument.item(items[0])
        for value, text in first.anchors.items():
            anchors[int(value)] = _text(text, str(value), locale)
        rows = []
        for item in items:
            part = table.loc[table["item"] == item]
            rows.append(
                {
                    "item": item,
                    "title": _text(instrument.item(item).text, item, locale),
                    "n": int(part["n"].iloc[0]),
                    "counts": [int(c) for c in part["count"]],
                    "shares": [_float(s) for s in part["share"]],
                }
            )
        out.append(
            {
                "values": [int(v) for v in values],
                "anchors": {str(k): v for k, v in anchors.items()},
                "items": rows,
            }
        )
    return out


def _gap(report: reporting.IndicesReport, instrument: Instrument, code: str, locale: str) -> Any:
    table = report.tables.get("gap")
    if table is None:
        return None
    rows = []
    for row in table.to_dict("records"):
        if str(row["library"]) != code or row["level"] != "item":
            continue
        unit = str(row["unit"])
        rows.append(
            {
                "item": unit,
                "title": _text(instrument.item(unit).text, unit, locale),
                "n": int(row["n"]),
                "minimum": _float(row["mean_minimum"]),
                "desired": _float(row["mean_desired"]),
                "perceived": _float(row["mean_perceived"]),
                "adequacy": _float(row["adequacy_gap"]),
                "superiority": _float(row["superiority_gap"]),
                "range": list(report.plan.ranges.get(f"{unit}:perceived", ())),
            }
        )
    return rows


def _nok(
    frame: pd.DataFrame,
    report: reporting.IndicesReport,
    checklist_row: NokChecklist | None,
    checklist: pd.DataFrame | None,
    code: str,
) -> Any:
    if not report.plan.nok:
        return None
    if checklist_row is None or checklist is None:
        return {"available": False, "reason": "no_checklist"}
    table = report.tables.get("nok")
    if table is None or table.empty:
        return {"available": False, "reason": "no_checklist"}
    row = table.loc[table["library"].astype(str) == code].iloc[0]
    boot = analysis.nok_bootstrap(frame, checklist=checklist, by=["library"], n_boot=NOK_BOOT)
    intervals = {str(r["statistic"]): r for r in boot.to_dict("records")}
    criteria = []
    for name in ("K1", "K2", "K3", "K4", "K5", "total"):
        ci = intervals.get(name, {})
        criteria.append(
            {
                "name": name,
                "value": _float(row[name]),
                "low": _float(ci.get("low")),
                "high": _float(ci.get("high")),
                "n_valid": int(ci.get("n_valid", 0)),
                "reason": ci.get("reason"),
            }
        )
    indicators = {
        name: _float(row[name])
        for members in CRITERIA.values()
        for name in members
        if name in row.index
    }
    return {
        "available": True,
        "criteria": criteria,
        "indicators": indicators,
        "checklist": {c: int(getattr(checklist_row, c)) for c in CHECKLIST_COLUMNS},
        "n": int(row["n"]),
        "n_boot": NOK_BOOT,
        "seed": analysis.BOOTSTRAP_SEED,
    }


def _reliability(
    frame: pd.DataFrame, plan: reporting.AnalysisPlan, instrument: Instrument, locale: str
) -> Any:
    """Alpha and omega of every scale as ``survey-app reliability`` computes them (pairwise,
    the analysis package's minimum n), with omega's bootstrap interval."""
    titles = {s.id: _text(s.title, s.id, locale) for s in instrument.scales}
    out = []
    for spec in plan.scales:
        items = list(spec.items)
        data = frame.loc[:, items].apply(pd.to_numeric)
        entry: dict[str, Any] = {
            "scale": spec.id,
            "title": titles.get(spec.id, spec.id),
            "items_keys": items,
            "reverse": list(spec.reverse),
            "k": len(items),
            "n": len(data),
            "n_complete": int(data.notna().all(axis=1).sum()),
            "min_n": analysis.MIN_RESPONDENTS,
            "warn_n": RELIABILITY_WARN_N,
        }
        scale = dict(spec.ranges) or None
        try:
            alpha = analysis.cronbach_alpha(
                data, items=items, reverse=list(spec.reverse), scale=scale, missing="pairwise"
            )
        except analysis.StatisticUnavailable as exc:
            entry["refused"] = exc.as_dict()
            out.append(entry)
            continue
        entry.update(
            alpha=_float(alpha.alpha),
            alpha_low=_float(alpha.ci_low),
            alpha_high=_float(alpha.ci_high),
            duhachek_low=_float(alpha.duhachek_low),
            duhachek_high=_float(alpha.duhachek_high),
            ci_level=_float(alpha.ci_level),
            sound=bool(alpha.sound),
            warnings=[note.as_dict() for note in alpha.notes],
            items=[
                {
                    "item": str(name),
                    "n": int(row["n"]),
                    "mean": _float(row["mean"]),
                    "sd": _float(row["sd"]),
                    "r_drop": _float(row["r_drop"]),
                    "alpha_if_deleted": _float(row["alpha_if_deleted"]),
                }
                for name, row in alpha.items.iterrows()
            ],
        )
        try:
            omega = analysis.omega_total(
                data, items=items, reverse=list(spec.reverse), scale=scale, missing="pairwise"
            )
            interval = analysis.omega_bootstrap(
                data, items=items, reverse=list(spec.reverse), scale=scale, n_boot=OMEGA_BOOT
            )
        except analysis.StatisticUnavailable as exc:
            entry["omega_refused"] = exc.as_dict()
        else:
            entry.update(
                omega=_float(omega.omega_total),
                omega_low=_float(interval.low),
                omega_high=_float(interval.high),
                omega_n_boot=interval.n_boot,
                omega_n_valid=interval.n_valid,
            )
        out.append(entry)
    return out


def _breakdown(
    frame: pd.DataFrame,
    plan: reporting.AnalysisPlan,
    column: str,
    indicator: str | None,
    small_cell_min: int,
) -> Any:
    """The indicator per value of ``column`` (channel, service point), small cells hidden."""
    part = frame.loc[frame[column].notna()]
    if part.empty:
        return None
    counts = part.groupby(column).size()
    rows: list[dict[str, Any]] = []
    shown = [value for value, n in counts.items() if n >= small_cell_min]
    values: dict[str, dict[str, Any]] = {}
    if indicator and shown:
        report = reporting.instrument_indices(
            part.loc[part[column].isin(shown)], plan, by=(column,), min_n=VERDICT_MIN_N
        )
        for row in report.indices.to_dict("records"):
            if row["indicator"] == indicator:
                values[str(row[column])] = {str(k): v for k, v in row.items()}
    for value, n in sorted(counts.items(), key=lambda kv: str(kv[0])):
        if n < small_cell_min:
            rows.append({"value": str(value), "suppressed": True})
            continue
        found = values.get(str(value), {})
        rows.append(
            {
                "value": str(value),
                "suppressed": False,
                "n": int(n),
                "estimate": _float(found.get("value")),
                "ci_low": _float(found.get("ci_low")),
                "ci_high": _float(found.get("ci_high")),
            }
        )
    return rows


def _index_of(indices: Sequence[dict[str, Any]], main: str | None) -> str | None:
    """The indicator the breakdowns show: the run's main index when a single response has
    a value of it, else the first of scale, share satisfied, mean."""
    names = [row["indicator"] for row in indices if row["value"] is not None]
    if main and main in names and main.partition(":")[0] in _PER_RESPONSE:
        return main
    for family in _PER_RESPONSE:
        for name in names:
            if name.startswith(family + ":"):
                return name
    return None


def _response_values(
    frame: pd.DataFrame, plan: reporting.AnalysisPlan, indicator: str
) -> pd.Series:
    family, _, subject = indicator.partition(":")
    if family == "scale":
        spec = next(s for s in plan.scales if s.id == subject)
        data = frame.loc[:, list(spec.items)].apply(pd.to_numeric)
        return analysis.dimension_scores(
            data,
            scales={subject: list(spec.items)},
            by=[],
            reverse=list(spec.reverse),
            scale_range=dict(spec.ranges) or None,
        )[subject]
    values = pd.to_numeric(frame[subject])
    if family == "share_satisfied":
        threshold = plan.shares[subject]
        return analysis.satisfied_flags(values, threshold=threshold)
    return values


def _heatmap(
    frame: pd.DataFrame,
    plan: reporting.AnalysisPlan,
    indicator: str | None,
    tz: str,
    small_cell_min: int,
) -> Any:
    moments = frame["submitted_at"].where(frame["submitted_at"].notna(), frame["received_at"])
    values = None if indicator is None else _response_values(frame, plan, indicator)
    table = analysis.hour_weekday_table(moments, values=values, tz=tz)
    n = [[0] * 24 for _ in range(7)]
    mean: list[list[float | None]] = [[None] * 24 for _ in range(7)]
    suppressed = 0
    for row in table.to_dict("records"):
        d, h, count = int(row["weekday"]), int(row["hour"]), int(row["n"])
        if 0 < count < small_cell_min:
            n[d][h] = -1  # hidden
            suppressed += count
            continue
        n[d][h] = count
        if count and row["n_values"] >= small_cell_min:
            mean[d][h] = _float(row["mean"])
    return {"indicator": indicator, "n": n, "mean": mean, "suppressed": suppressed, "tz": tz}


def _screening(frame: pd.DataFrame, plan: reporting.AnalysisPlan) -> dict[str, list[str]]:
    """Response id -> the careless-responding flags raised (screen_responses' defaults)."""
    items = [k for k in plan.keys if k in plan.integer_keys and k in plan.ranges]
    if len(items) < 3 or len(frame) < 3:
        return {}
    data = frame.loc[:, items].apply(pd.to_numeric)
    data.index = frame["response_id"].astype(str)
    try:
        flags = analysis.screen_responses(
            data, items=items, item_range={k: plan.ranges[k] for k in items}
        )
    except (ValueError, np.linalg.LinAlgError):
        return {}
    columns = [c for c in flags.columns if c.endswith("_flag")]
    out: dict[str, list[str]] = {}
    for rid, row in flags.iterrows():
        raised = [c.removesuffix("_flag") for c in columns if bool(row[c])]
        if raised:
            out[str(rid)] = raised
    return out


def _comments(
    raw: pd.DataFrame,
    instrument: Instrument,
    flags: Mapping[str, list[str]],
    small_cell_min: int,
    locale: str,
) -> list[dict[str, Any]]:
    """Every free-text answer with its question, channel (left out when fewer than
    ``small_cell_min`` responses share it) and the screening flags of its response."""
    sizes = raw["channel"].value_counts() if "channel" in raw.columns else pd.Series()
    texts = [item for item in instrument.items if item.type is ItemType.text]
    out = []
    for item in texts:
        if item.id not in raw.columns:
            continue
        for row in raw.loc[raw[item.id].notna()].to_dict("records"):
            text = str(row[item.id]).strip()
            if not text:
                continue
            rid = str(row["response_id"])
            out.append(
                {
                    "item": item.id,
                    "question": _text(item.text, item.id, locale),
                    "text": text,
                    "channel": row.get("channel")
                    if sizes.get(row.get("channel"), 0) >= small_cell_min
                    else None,
                    "at": row.get("submitted_at") or row.get("received_at"),
                    "flags": list(flags.get(rid, [])),
                }
            )
    return out


def build_page(
    session: Session,
    campaign: Campaign,
    library: Library,
    run: ReportRun,
    *,
    tz: str,
    small_cell_min: int,
    locale: str = "ru",
) -> dict[str, Any]:
    """Compute the library page of a run (plain JSON data; see the module docstring), its
    questions, scales and answer labels in ``locale`` (else Russian)."""
    instrument = instrument_of(campaign.instrument_version)
    plan = reporting.analysis_plan(instrument)
    frame, raw = page_rows(session, campaign, library, run.started_at)
    page: dict[str, Any] = {
        "version": PAGE_VERSION,
        "run_id": run.id,
        "computed_at": dt.datetime.now(dt.UTC).isoformat(),
        "n": len(frame),
        "instrument": {"id": instrument.id, "version": instrument.version},
        "small_cell_min": small_cell_min,
        "tz": tz,
        "locale": locale,
        "standard": None,
        "notes": [],
    }
    if frame.empty:
        return page
    standard = _standard(run, campaign)
    if standard is not None:
        page["standard"] = {"id": standard.id, "version": standard.version}
    checklist_row = library_checklist(session, campaign, library) if plan.nok else None
    checklist = None
    if checklist_row is not None:
        checklist = pd.DataFrame(
            [
                {
                    "library": library.code,
                    **{c: float(getattr(checklist_row, c)) for c in CHECKLIST_COLUMNS},
                }
            ]
        )
    report = reporting.instrument_indices(
        frame, plan, by=("library",), checklist=checklist, standard=standard, min_n=VERDICT_MIN_N
    )
    numeric = reporting.numeric_frame(frame, plan)
    indices = _indices(report, instrument, library.code, locale)
    page["indices"] = indices
    page["notes"] = list(report.notes)
    page["likert"] = _likert(numeric, plan, instrument, locale)
    page["gap"] = _gap(report, instrument, library.code, locale)
    page["nok"] = _nok(numeric, report, checklist_row, checklist, library.code)
    if page["nok"] and page["nok"].get("available"):
        # the indicators table shows the NOK scores with their bootstrap intervals too
        bounds = {f"nok:{c['name']}": c for c in page["nok"]["criteria"]}
        for row in indices:
            if row["indicator"] in bounds and row["ci_low"] is None:
                bound = bounds[row["indicator"]]
                row["ci_low"], row["ci_high"] = bound["low"], bound["high"]
                if bound["low"] is None and bound["reason"] and not row["note_codes"]:
                    # why the interval is withheld, beside the "—" (as under the NOK table)
                    row["note_codes"] = [str(bound["reason"])]
    page["reliability"] = _reliability(numeric, plan, instrument, locale)
    index = _index_of(indices, run.main_indicator)
    page["breakdown_indicator"] = index
    if index is not None:
        page["breakdown_title"] = _indicator_title(instrument, index, locale)[1]
    page["channels"] = _breakdown(numeric, plan, "channel", index, small_cell_min)
    page["service_points"] = _breakdown(numeric, plan, "service_point", index, small_cell_min)
    page["heatmap"] = _heatmap(numeric, plan, index, tz, small_cell_min)
    page["comments"] = _comments(raw, instrument, _screening(numeric, plan), small_cell_min, locale)
    return page


# --- reading it -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LibraryPage:
    """What the library page shows."""

    campaign: Campaign
    library: Library
    state: report_runs.RunState
    #: the computed page of the shown run (None: no finished run yet)
    page: dict[str, Any] | None
    #: the campaign's instrument is NOK and the library has no checklist yet
    checklist_missing: bool
    #: the reader sees this one library only (the run's region totals are not shown)
    single_library: bool = False


def _scoped(
    session: Session, actor: User, campaign_ref: Campaign | int | str, library_ref: str | int
) -> tuple[Campaign, Library]:
    campaign = require_campaign(session, actor, campaign_ref, Action.view_results)
    library = require_library(session, actor, library_ref, Action.view_results)
    if library not in campaign.libraries:
        raise NotFound("No such library.")
    return campaign, library


def _cached(session: Session, run_id: int, library_id: int, key: str) -> str | None:
    return session.scalar(
        select(ReportCache.body)
        .where(ReportCache.run_id == run_id)
        .where(ReportCache.library_id == library_id)
        .where(ReportCache.key == key)
    )


def _store(session: Session, run_id: int, library_id: int, key: str, body: str) -> None:
    """Keep a computed body; a concurrent request that stored it first wins."""
    try:
        with session.begin_nested():
            session.add(ReportCache(run_id=run_id, library_id=library_id, key=key, body=body))
    except IntegrityError:
        pass


def _page_of(
    session: Session,
    campaign: Campaign,
    library: Library,
    run: ReportRun,
    *,
    tz: str,
    small_cell_min: int,
    locale: str,
) -> dict[str, Any]:
    # one page per language: its questions and scales are in the reader's language
    key = f"page:{locale}"
    body = _cached(session, run.id, library.id, key)
    if body is not None:
        page = json.loads(body)
        if page.get("version") == PAGE_VERSION:
            return dict(page)
    page = build_page(
        session, campaign, library, run, tz=tz, small_cell_min=small_cell_min, locale=locale
    )
    _store(session, run.id, library.id, key, json.dumps(page, ensure_ascii=False))
    return page


def library_page(
    session: Session,
    actor: User,
    campaign_ref: Campaign | int | str,
    library_ref: str | int,
    *,
    tz: str,
    small_cell_min: int,
    locale: str = "ru",
) -> LibraryPage:
    """The library page for the caller (computed and cached on first view of a run, per
    language ``locale``).

    Raises
    ------
    Forbidden
        When the actor may not see results.
    NotFound
        When the campaign or the library does not exist, lies outside the actor's scope,
        or the library is not in the campaign (however the URL names them).
    """
    campaign, library = _scoped(session, actor, campaign_ref, library_ref)
    state = report_runs.run_state(session, campaign.id)
    page = None
    if state.shown is not None:
        page = _page_of(
            session,
            campaign,
            library,
            state.shown,
            tz=tz,
            small_cell_min=small_cell_min,
            locale=locale,
        )
    missing = bool(
        page is not None and page.get("nok") is not None and not page["nok"].get("available")
    )
    allowed = library_ids_in_scope(session, actor)
    single = allowed is not None and len(allowed) == 1
    return LibraryPage(campaign, library, state, page, missing, single_library=single)


def library_chart(
    session: Session,
    actor: User,
    campaign_ref: Campaign | int | str,
    library_ref: str | int,
    name: str,
    *,
    labels: Mapping[str, str],
    locale: str,
    tz: str,
    small_cell_min: int,
) -> str:
    """One chart of the library page as SVG text (rendered once per run and locale, then
    cached). ``labels`` are the chart's words in ``locale`` (see :mod:`.charts`).

    Raises
    ------
    NotFound
        As :func:`library_page`, for an unknown chart, and for a chart the page has no
        data for.
    """
    from survey_app.services import charts

    if name not in CHARTS:
        raise NotFound("No such chart.")
    campaign, library = _scoped(session, actor, campaign_ref, library_ref)
    run = report_runs.latest_run(session, campaign.id)
    if run is None:
        raise NotFound("No such chart.")
    key = f"chart:{name}:{locale}"
    body = _cached(session, run.id, library.id, key)
    if body is not None:
        return body
    page = _page_of(
        session, campaign, library, run, tz=tz, small_cell_min=small_cell_min, locale=locale
    )
    svg = charts.render(name, page, labels)
    if svg is None:
        raise NotFound("No such chart.")
    _store(session, run.id, library.id, key, svg)
    return svg
