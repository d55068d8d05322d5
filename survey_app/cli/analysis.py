"""``survey-app reliability`` and ``survey-app indices``: analysis of CSV files, no database.

Both commands read files only (a wide CSV export, ``docs/data-format.md``, or any CSV with a
header line), so methodologists can run them on a laptop. ``reliability`` calls
:mod:`analysis` directly; ``indices`` goes through the instrument seam
(:mod:`survey_app.services.reporting`), which decides from the instrument which indices apply.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any
from typing import Literal

import click

# pandas, numpy, scipy, statsmodels, analysis and the reporting services are imported inside
# the commands that use them: ``survey-app --help`` and every other command start without
# them (issue 10 §6; benchmarks/cli_startup.py).
if TYPE_CHECKING:
    import pandas as pd

    import analysis
    import instruments
    from survey_app.services.reporting import AnalysisPlan
    from survey_app.services.reporting import IndicesReport

#: cells the analysis commands read as "no answer" (docs/data-format.md)
MISSING_CODES = ("", "NA")

#: meta columns of the wide format that ``--by`` may group by
GROUP_COLUMNS = ("library", "service_point", "channel", "campaign")


def read_csv(path: str | Path) -> pd.DataFrame:
    """Read a CSV as text columns; ``,``/``;``/tab sniffed from the header, as import does.

    Everything stays text (library codes such as ``007`` keep their zeros); numbers are
    converted where they are analysed, by the rules of ``import responses``
    (:mod:`survey_app.services.cells`). An empty cell and ``NA`` (R's ``write.csv``) are
    missing, any other text is an error (``docs/data-format.md``). A column named twice is an
    error naming both columns.
    """
    import pandas as pd

    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            first = fh.readline()
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{path}: not UTF-8 text; save it as 'CSV UTF-8'") from exc
    delimiter = max((",", ";", "\t"), key=first.count)
    header = next(csv.reader([first], delimiter=delimiter), [])
    seen: dict[str, int] = {}
    for number, name in enumerate((cell.strip() for cell in header), start=1):
        if name in seen:
            raise click.ClickException(
                f"{path}: column {name!r} is named twice (columns {seen[name]} and {number})"
            )
        seen[name] = number
    try:
        return pd.read_csv(
            path,
            sep=delimiter,
            dtype=str,
            encoding="utf-8-sig",
            keep_default_na=False,
            na_values=list(MISSING_CODES),
        )
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise click.ClickException(f"{path}: cannot read as CSV ({exc})") from exc


def _names(value: str | None) -> list[str]:
    if not value:
        return []
    return [part.strip() for part in value.split(",") if part.strip()]


_BOUND = r"[+-−]?\d+(?:[.,]\d+)?"
_SCALE = re.compile(rf"^\s*({_BOUND})\s*(?:\.\.|:|-|–|—)\s*({_BOUND})\s*$")


def _scale_range(value: str | None) -> tuple[float, float] | None:
    """``MIN-MAX``, ``MIN..MAX`` or ``MIN:MAX``; either bound may be negative (``-3..3``,
    ``-3-3``) and use a decimal comma."""
    if value is None:
        return None
    match = _SCALE.match(value)
    if match is None:
        raise click.BadParameter(
            f"expected MIN-MAX such as 1-6 or -3..3, got {value!r}", param_hint="'--scale'"
        )
    low, high = (float(b.replace("−", "-").replace(",", ".")) for b in match.groups())
    if not low < high:
        raise click.BadParameter(
            f"the minimum must be below the maximum, got {value!r}", param_hint="'--scale'"
        )
    return low, high


#: numpy scalar reprs (``np.float64(7.0)``) that must not reach a reader
_NUMPY_REPR = re.compile(r"\bnp\.(?:float|int|uint|bool_?)\d*\(([^()]*)\)")


def _message(exc: object) -> str:
    """An exception's (or a text's) message for the command line: numpy reprs as numbers."""
    return _NUMPY_REPR.sub(r"\1", str(exc))


def _json_value(value: Any) -> Any:
    """Plain JSON: numpy scalars unwrapped, NaN and missing as null."""
    import numpy as np
    import pandas as pd

    if isinstance(value, Mapping):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def _emit_json(payload: Mapping[str, Any]) -> None:
    click.echo(json.dumps(_json_value(payload), ensure_ascii=False, indent=2, allow_nan=False))


def _fmt(value: Any, digits: int = 3) -> str:
    import numpy as np

    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    if isinstance(value, float | np.floating):
        return f"{value:.{digits}f}"
    return str(value)


# ---------------------------------------------------------------------------------------------
# reliability
# ---------------------------------------------------------------------------------------------


@click.command("reliability")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--items", "items_opt", required=True, help="Item columns, comma-separated.")
@click.option("--reverse", "reverse_opt", help="Reverse-keyed items, comma-separated.")
@click.option(
    "--scale",
    "scale_opt",
    metavar="MIN-MAX",
    help="Declared response range, e.g. 1-6 (required with --reverse).",
)
@click.option(
    "--missing",
    type=click.Choice(["pairwise", "listwise"]),
    default="pairwise",
    show_default=True,
    help="Missing-data policy: pairwise as psych (n counts every row) or listwise "
    "(complete rows only); see docs/missing-data.md.",
)
@click.option(
    "--min-n",
    type=click.IntRange(min=2),
    default=None,
    help="Fewer respondents than this give 'insufficient data' instead of a coefficient "
    "(default: analysis.MIN_RESPONDENTS, the minimum the analysis package sets).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def reliability_command(
    file: str,
    items_opt: str,
    reverse_opt: str | None,
    scale_opt: str | None,
    missing: str,
    min_n: int | None,
    as_json: bool,
) -> None:
    """Cronbach's alpha, omega and split-half reliability of the --items of FILE.csv.

    Cells are read as ``import responses`` reads them (decimal comma, да/нет, yes/no); an empty
    cell or NA is missing. Missing data: docs/missing-data.md.
    """
    import pandas as pd

    from survey_app.services.cells import CellError
    from survey_app.services.cells import numeric_column

    items = _names(items_opt)
    reverse = _names(reverse_opt)
    scale = _scale_range(scale_opt)
    data = read_csv(file)
    absent = [i for i in items if i not in data.columns]
    if absent:
        raise click.ClickException(f"{file}: no column(s) {', '.join(absent)}")
    frame = pd.DataFrame(index=data.index)
    for item in items:
        try:
            frame[item] = numeric_column(data[item])
        except CellError as exc:
            raise click.ClickException(
                f"{file}: column {item}, data row {exc.row + 1}: {exc}"
            ) from None
    if len(frame) < 2:
        raise click.ClickException(
            f"{file}: {len(frame)} response row(s); reliability needs at least 2 respondents"
        )
    policy: Literal["pairwise", "listwise"] = "listwise" if missing == "listwise" else "pairwise"
    payload = reliability_payload(
        frame, items=items, reverse=reverse, scale=scale, missing=policy, min_n=min_n
    )
    if as_json:
        _emit_json(payload)
        return
    click.echo(_reliability_text(file, payload))


def reliability_payload(
    frame: pd.DataFrame,
    *,
    items: list[str],
    reverse: list[str],
    scale: tuple[float, float] | None,
    missing: Literal["pairwise", "listwise"],
    min_n: int | None = None,
) -> dict[str, Any]:
    """The JSON object of ``survey-app reliability``.

    Alpha, omega and the split-half coefficients are computed independently: one that cannot
    be computed (``analysis.StatisticUnavailable``) is null, with its reason code, message and
    n under ``unavailable``, and every other statistic is still reported. Warnings of the
    computed ones (Heywood case, clipped interval, unsound pairwise matrix, negative item) are
    listed under ``warnings``; ``status`` is ``ok``, ``warning``, ``unsound`` (alpha not a
    sound estimate) or ``unavailable`` (no alpha).

    Raises
    ------
    click.ClickException
        Bad input (values outside the declared range, a reversed item without a range, ...).
    """
    import analysis

    if min_n is None:
        min_n = analysis.MIN_RESPONDENTS
    kwargs: dict[str, Any] = {"items": items, "reverse": reverse, "scale": scale}
    unavailable: dict[str, dict[str, Any]] = {}
    warnings: list[analysis.Note] = []

    def attempt(name: str, compute: Any) -> Any:
        try:
            result = compute()
        except analysis.StatisticUnavailable as exc:
            unavailable[name] = exc.as_dict()
            return None
        except (TypeError, ValueError) as exc:
            raise click.ClickException(_message(exc)) from exc
        warnings.extend(result.notes)
        return result

    alpha = attempt(
        "alpha",
        lambda: analysis.cronbach_alpha(frame, missing=missing, min_n=min_n, **kwargs),
    )
    omega = attempt(
        "omega_total",
        lambda: analysis.omega_total(frame, missing=missing, min_n=min_n, **kwargs),
    )
    halves = attempt(
        "split_half",
        lambda: analysis.split_half(frame, missing=missing, min_n=min_n, **kwargs),
    )
    n_respondents = len(frame)
    n_complete = int(frame.loc[:, items].notna().all(axis=1).sum())
    if alpha is None:
        status = "unavailable"
    elif not alpha.sound:
        status = "unsound"
    else:
        status = "warning" if warnings else "ok"
    item_rows = (
        []
        if alpha is None
        else [
            {
                "item": name,
                "n": int(row["n"]),
                "mean": float(row["mean"]),
                "sd": float(row["sd"]),
                "r_drop": float(row["r_drop"]),
                "alpha_if_deleted": float(row["alpha_if_deleted"]),
            }
            for name, row in alpha.items.iterrows()
        ]
    )

    def get(result: Any, name: str) -> Any:
        return None if result is None else getattr(result, name)

    return {
        "n": n_complete if missing == "listwise" else n_respondents,
        "n_respondents": n_respondents,
        "n_complete": n_complete,
        "missing": missing,
        "k": len(items),
        "min_n": min_n,
        "status": status,
        "alpha": get(alpha, "alpha"),
        "alpha_std": get(alpha, "std_alpha"),
        "g6": get(alpha, "g6"),
        "average_r": get(alpha, "average_r"),
        "alpha_se": get(alpha, "ase"),
        "alpha_ci_feldt": None if alpha is None else [alpha.ci_low, alpha.ci_high],
        "alpha_ci_duhachek": None if alpha is None else [alpha.duhachek_low, alpha.duhachek_high],
        "ci_level": get(alpha, "ci_level"),
        "omega_total": get(omega, "omega_total"),
        "split_half": None
        if halves is None
        else {
            "max": halves.lambda4,
            "min": halves.beta,
            "mean": halves.mean_split,
            "exact": halves.exact,
        },
        "items": item_rows,
        "warnings": [note.as_dict() for note in warnings],
        "unavailable": unavailable,
    }


def _reliability_text(file: str, payload: Mapping[str, Any]) -> str:
    """The readable table of ``survey-app reliability``."""
    missing = payload["unavailable"]

    def reason(name: str) -> str:
        why = missing[name]
        return f"—   [{why['code']}] {why['message']}"

    lines = [
        f"{file}: {payload['k']} items, n = {payload['n']} ({payload['missing']}; "
        f"{payload['n_complete']} complete of {payload['n_respondents']})"
    ]
    if "alpha" in missing:
        lines.append(f"  alpha            {reason('alpha')}")
    else:
        level = round(100 * payload["ci_level"])
        feldt = payload["alpha_ci_feldt"]
        duhachek = payload["alpha_ci_duhachek"]
        flag = "   UNSOUND: see the warnings" if payload["status"] == "unsound" else ""
        lines += [
            f"  alpha            {_fmt(payload['alpha'])}   {level}% CI Feldt "
            f"[{_fmt(feldt[0])}, {_fmt(feldt[1])}], Duhachek "
            f"[{_fmt(duhachek[0])}, {_fmt(duhachek[1])}], se {_fmt(payload['alpha_se'], 4)}"
            f"{flag}",
            f"  alpha (std)      {_fmt(payload['alpha_std'])}",
            f"  Guttman lambda6  {_fmt(payload['g6'])}",
            f"  average r        {_fmt(payload['average_r'])}",
        ]
    if "omega_total" in missing:
        lines.append(f"  omega total      {reason('omega_total')}")
    else:
        lines.append(f"  omega total      {_fmt(payload['omega_total'])}")
    halves = payload["split_half"]
    if halves is None:
        lines.append(f"  split-half       {reason('split_half')}")
    else:
        lines.append(
            f"  split-half       max {_fmt(halves['max'])}, min {_fmt(halves['min'])}, "
            f"mean {_fmt(halves['mean'])}"
        )
    lines += [
        f"  warning [{note['code']}] {note['statistic']}: {note['message']}"
        for note in payload["warnings"]
    ]
    if payload["items"]:
        lines += [
            "",
            f"  {'item':<12}{'n':>7}{'mean':>8}{'sd':>8}{'r.drop':>8}{'alpha if deleted':>18}",
        ]
        for row in payload["items"]:
            lines.append(
                f"  {row['item']:<12}{row['n']:>7}{_fmt(row['mean'], 2):>8}"
                f"{_fmt(row['sd'], 2):>8}{_fmt(row['r_drop'], 2):>8}"
                f"{_fmt(row['alpha_if_deleted']):>18}"
            )
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# indices
# ---------------------------------------------------------------------------------------------


def find_instrument(spec: str) -> instruments.Instrument:
    """Resolve ``ID``, ``ID@VERSION`` (bundled definitions) or a path to a YAML definition."""
    import instruments

    path = Path(spec)
    if spec.endswith((".yaml", ".yml")) and path.is_file():
        try:
            return instruments.load(path.read_bytes())
        except instruments.InstrumentError as exc:
            raise click.ClickException(f"{spec}: {exc}") from exc
    ident, _, version = spec.partition("@")
    bundled = instruments.load_all()
    found = sorted((v, i) for (i_id, v), i in bundled.items() if i_id == ident)
    if version:
        if not version.isdigit():
            raise click.BadParameter(f"version must be a whole number: {spec!r}")
        found = [(v, i) for v, i in found if v == int(version)]
    if not found:
        known = ", ".join(sorted({f"{i}@{v}" for i, v in bundled}))
        raise click.ClickException(f"no instrument {spec!r}; known: {known}")
    return found[-1][1]


@click.command("indices")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--instrument",
    "instrument_spec",
    required=True,
    metavar="ID[@VERSION]",
    help="Bundled instrument (latest version unless @VERSION), or a YAML definition file.",
)
@click.option(
    "--checklist",
    type=click.Path(exists=True, dir_okay=False),
    help="NOK expert checklist CSV: a library column and the analysis.nok checklist counts.",
)
@click.option(
    "--standard",
    help="Regional standard: a YAML file or the name of a packaged one.",
)
@click.option(
    "--on",
    "on_date",
    metavar="YYYY-MM-DD",
    help="Date the standard's version must be effective on (default: today).",
)
@click.option(
    "--by",
    type=click.Choice(GROUP_COLUMNS),
    default="library",
    show_default=True,
    help="Column of the wide format to group by.",
)
@click.option(
    "--min-n",
    type=click.IntRange(min=1),
    default=30,
    show_default=True,
    help="Fewer responses than this give the verdict 'insufficient data'.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def indices_command(
    file: str,
    instrument_spec: str,
    checklist: str | None,
    standard: str | None,
    on_date: str | None,
    by: str,
    min_n: int,
    as_json: bool,
) -> None:
    """Every index of an instrument per library (or --by group) from a wide CSV export."""

    import analysis
    from instruments import ItemType
    from survey_app.services.cells import CellError
    from survey_app.services.cells import numeric_column
    from survey_app.services.errors import Invalid
    from survey_app.services.reporting import analysis_plan
    from survey_app.services.reporting import instrument_indices

    instrument = find_instrument(instrument_spec)
    plan = analysis_plan(instrument)
    data = read_csv(file)
    if data.empty:
        raise click.ClickException(f"{file}: no responses, only a header line")
    check = None
    if checklist is not None:
        check = read_csv(checklist)
        if by not in check.columns:
            raise click.ClickException(f"{checklist}: the checklist needs a {by} column")
        for column in (c for c in check.columns if c != by):
            try:
                check[column] = numeric_column(check[column], ItemType.number)
            except CellError as exc:
                raise click.ClickException(
                    f"{checklist}: column {column}, data row {exc.row + 1}: {exc}"
                ) from None
    std = None
    if standard is not None:
        try:
            on = dt.date.fromisoformat(on_date) if on_date else None
            std = analysis.load_standard(standard, on=on)
        except ValueError as exc:
            raise click.ClickException(_message(exc)) from exc
    try:
        report = instrument_indices(
            data, plan, by=(by,), checklist=check, standard=std, min_n=min_n
        )
    except Invalid as exc:
        details = "; ".join(f"{i.path} {i.code} {i.message}" for i in exc.issues)
        raise click.ClickException(_message(f"{file}: {exc.message} {details}")) from exc
    except (TypeError, ValueError) as exc:
        raise click.ClickException(f"{file}: {_message(exc)}") from exc
    payload = indices_payload(report, plan, std)
    if as_json:
        _emit_json(payload)
    else:
        click.echo(_indices_text(payload))


def indices_payload(
    report: IndicesReport, plan: AnalysisPlan, standard: analysis.Standard | None
) -> dict[str, Any]:
    """The JSON object of ``survey-app indices``: one entry per group."""
    import pandas as pd

    (by,) = report.by

    def key(value: Any) -> str:
        return "" if pd.isna(value) else str(value)

    groups: dict[str, dict[str, Any]] = {}
    for name, n in zip(report.groups[by], report.groups["n"], strict=True):
        groups[key(name)] = {"n": int(n)}
    nok = report.tables.get("nok")
    if nok is not None:
        for row in nok.to_dict("records"):
            entry = groups[key(row[by])]
            for column in ("K1", "K2", "K3", "K4", "K5", "total"):
                entry[column] = row[column]
    #: (group, "alpha:<scale>") -> status, reason codes and messages of the alpha
    reliability: dict[tuple[str, str], dict[str, Any]] = {}
    rel = report.tables.get("reliability")
    if rel is not None:
        for rel_row in rel.to_dict("records"):
            reliability[key(rel_row[by]), f"alpha:{rel_row['scale']}"] = {
                "status": rel_row["status"],
                "reason": rel_row["reason"],
                "note": rel_row["note"],
            }
    for row in report.indices.to_dict("records"):
        entry = groups[key(row[by])].setdefault("indices", {})
        entry[row["indicator"]] = {
            "value": row["value"],
            "ci_low": row["ci_low"],
            "ci_high": row["ci_high"],
            "n": None if pd.isna(row["n"]) else int(row["n"]),
            **reliability.get((key(row[by]), row["indicator"]), {}),
        }
    if report.verdicts is not None:
        for row in report.verdicts.to_dict("records"):
            entry = groups[key(row[by])].setdefault("verdicts", {})
            entry[row["indicator"]] = {
                "value": row["value"],
                "target": row["target"],
                "direction": row["direction"],
                "verdict": row["verdict"],
                "minimum": row["minimum"],
                "minimum_verdict": row["minimum_verdict"],
                "p_adjusted": row["p_adjusted"],
                "flag_below": bool(row["flag_below"]),
                "band": row["band"],
            }
    payload: dict[str, Any] = {
        "instrument": plan.instrument_id,
        "version": plan.version,
        "by": by,
        "standard": None,
        "notes": list(report.notes),
        "groups": groups,
    }
    if standard is not None:
        payload["standard"] = {
            "id": standard.id,
            "version": standard.version,
            "normative": standard.normative,
            "notice": standard.notice,
        }
    return payload


def _indices_text(payload: Mapping[str, Any]) -> str:
    lines = [f"{payload['instrument']} v{payload['version']}, by {payload['by']}"]
    std = payload["standard"]
    if std is not None:
        normative = "" if std["normative"] else " (NOT normative)"
        lines.append(f"standard {std['id']} {std['version']}{normative}")
    lines.extend(f"note: {note}" for note in payload["notes"])
    for name, group in payload["groups"].items():
        lines.append("")
        lines.append(f"{payload['by']} {name or '(none)'}: n = {group['n']}")
        verdicts = group.get("verdicts", {})
        for indicator, est in group.get("indices", {}).items():
            verdict = verdicts.get(indicator)
            tail = "" if verdict is None else f"  {verdict['verdict']} (target {verdict['target']})"
            lines.append(
                f"  {indicator:<34}{_fmt(est['value']):>9}  "
                f"[{_fmt(est['ci_low'])}, {_fmt(est['ci_high'])}]  n={est['n']}{tail}"
            )
            if est.get("status") not in (None, "ok"):
                lines.append(f"    {est['status']} [{est['reason']}] {est['note']}")
    return "\n".join(lines)


#: the commands ``survey_app.cli.register_commands`` adds
COMMANDS = (reliability_command, indices_command)
