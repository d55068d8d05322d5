"""Regional standards as versioned data, and the comparison of libraries against them.

A *standard* is a YAML file (packaged ones live in ``analysis/standards_data/``) with one
or more *versions*, each effective over a date range and mapping indicator names to a
target (and optionally a less demanding ``minimum`` and qualitative ``bands``)::

    id: kemerovo_example
    normative: false
    notice: "ILLUSTRATIVE EXAMPLE - not an official norm"
    title: {ru: "...", en: "..."}
    versions:
      - version: "2025"
        effective_from: 2025-01-01
        effective_to: null            # open-ended
        indicators:
          "share_satisfied:q14": {target: 0.90, minimum: 0.80, unit: proportion}
          "nok:total": {target: 80, unit: points, bands: nok_bands}

Indicator names are those produced by :func:`indices_table`: ``<name>`` or
``<name>:<unit>``, e.g. ``share_satisfied:q14`` (top-box share of item q14),
``adequacy_gap:overall``, ``nok:total``.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any
from typing import Literal

import numpy as np
import pandas as pd
import yaml
from scipy import special

from analysis.indices import _check_frame
from analysis.indices import _names

__all__ = [
    "Band",
    "NoVersionInForce",
    "Standard",
    "Target",
    "available_standards",
    "compare_to_standard",
    "indices_table",
    "load_bands",
    "load_standard",
]

Direction = Literal["at_least", "at_most"]
Test = Literal["t", "z", "score", "none"]
Verdict = Literal["meets", "below", "indeterminate", "insufficient data"]

_TESTS = ("t", "z", "score", "none")
#: Columns of the long indices table; every other column is a key (unit, period ...).
INDEX_COLUMNS = ("indicator", "value", "ci_low", "ci_high", "n", "se", "test")


class NoVersionInForce(ValueError):
    """The standard exists and is well formed, but none of its versions is effective on the
    date asked for (a campaign before the first version, or after the last one ended)."""


@dataclass(frozen=True, slots=True)
class Band:
    """A qualitative band ``(previous upto, upto]`` (the first band is closed below)."""

    id: str
    #: inclusive upper bound of the band
    upto: float
    label: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Target:
    """What a standard asks of one indicator."""

    indicator: str
    target: float
    #: "at_least": higher is better (value >= target meets); "at_most": lower is better
    direction: Direction = "at_least"
    #: optional less demanding acceptable level (below the target for "at_least")
    minimum: float | None = None
    #: free-text unit, e.g. "proportion" (0..1) or "points" (0..100)
    unit: str | None = None
    label: Mapping[str, str] = field(default_factory=dict)
    bands: tuple[Band, ...] = ()


@dataclass(frozen=True, slots=True)
class Standard:
    """One version of a regional standard, effective over ``[effective_from, effective_to]``."""

    id: str
    version: str
    effective_from: dt.date
    #: last day the version applies (inclusive); ``None`` = open-ended
    effective_to: dt.date | None
    #: False for illustrative examples and operator conventions
    normative: bool
    notice: str
    title: Mapping[str, str]
    targets: Mapping[str, Target]
    #: where it was loaded from
    source: str = ""

    def to_frame(self) -> pd.DataFrame:
        """One row per indicator: ``indicator, target, direction, minimum, unit, n_bands``."""
        rows = [
            {
                "indicator": t.indicator,
                "target": t.target,
                "direction": t.direction,
                "minimum": np.nan if t.minimum is None else t.minimum,
                "unit": t.unit,
                "n_bands": len(t.bands),
            }
            for t in self.targets.values()
        ]
        columns = ["indicator", "target", "direction", "minimum", "unit", "n_bands"]
        return pd.DataFrame(rows, columns=columns)


# --------------------------------------------------------------------------------------
# loading


def _data_dir() -> Any:
    return resources.files(__package__ or "analysis").joinpath("standards_data")


def available_standards() -> tuple[str, ...]:
    """Names of the packaged standards (files with ``versions``), sorted.

    Returns
    -------
    tuple of str
        E.g. ``("kemerovo_example",)``; band files such as ``nok_bands`` are not listed.
    """
    names = []
    for entry in _data_dir().iterdir():
        if entry.name.endswith(".yaml"):
            content = yaml.safe_load(entry.read_text(encoding="utf-8"))
            if isinstance(content, Mapping) and "versions" in content:
                names.append(entry.name.removesuffix(".yaml"))
    return tuple(sorted(names))


def _read(
    path_or_name: str | os.PathLike[str], *, base: Path | None = None
) -> tuple[Any, str, Path | None]:
    """Parse a YAML file given as a path, a sibling of ``base`` or a packaged name.

    Returns the parsed content, a description of the source and the directory to
    resolve further names against (``None`` for packaged files).
    """
    if isinstance(path_or_name, os.PathLike) or (
        isinstance(path_or_name, str)
        and (
            path_or_name.endswith((".yaml", ".yml"))
            or "/" in path_or_name
            or os.sep in path_or_name
        )
    ):
        path = Path(path_or_name)
        if not path.is_file():
            raise ValueError(f"no standard file {str(path)!r}")
        return _parse(path, str(path)), str(path), path.parent
    if not isinstance(path_or_name, str) or not path_or_name:
        raise TypeError("path_or_name must be a file path or the name of a packaged standard")
    if base is not None and (base / f"{path_or_name}.yaml").is_file():
        sibling = base / f"{path_or_name}.yaml"
        return _parse(sibling, str(sibling)), str(sibling), base
    entry = _data_dir().joinpath(f"{path_or_name}.yaml")
    if not entry.is_file():
        raise ValueError(
            f"no packaged standard {path_or_name!r}; available: {list(available_standards())}"
        )
    return _parse(entry, f"{path_or_name}.yaml"), f"{path_or_name}.yaml", None


def _parse(path: Any, source: str) -> Any:
    """The YAML content of ``path``; a one-line ValueError naming ``source`` when the file
    cannot be read as UTF-8 YAML (a standard file is told apart from a broken one)."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{source}: cannot be read ({type(exc).__name__})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "malformed"
        raise ValueError(f"{source}: not valid YAML{where}: {problem}") from None


def _text(value: object, where: str) -> Mapping[str, str]:
    if value is None:
        return MappingProxyType({})
    if isinstance(value, str):
        return MappingProxyType({"ru": value})
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ValueError(f"{where}: a text must be a string or a locale -> string mapping")
    return MappingProxyType(dict(value))


def _number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not np.isfinite(value):
        raise ValueError(f"{where} must be a finite number, got {value!r}")
    return float(value)


def _parse_bands(raw: object, where: str) -> tuple[Band, ...]:
    if not isinstance(raw, list) or not raw:
        raise ValueError(f"{where}: bands must be a non-empty list")
    bands = []
    for k, entry in enumerate(raw):
        if not isinstance(entry, Mapping) or "id" not in entry or "upto" not in entry:
            raise ValueError(f"{where}[{k}]: a band needs 'id' and 'upto'")
        bands.append(
            Band(
                id=str(entry["id"]),
                upto=_number(entry["upto"], f"{where}[{k}].upto"),
                label=_text(entry.get("label"), f"{where}[{k}].label"),
            )
        )
    uptos = [b.upto for b in bands]
    if any(b >= a for a, b in zip(uptos[1:], uptos[:-1], strict=True)):
        raise ValueError(f"{where}: band bounds 'upto' must increase strictly")
    return tuple(bands)


def load_bands(path_or_name: str | os.PathLike[str] = "nok_bands") -> tuple[Band, ...]:
    """Load qualitative bands (e.g. the non-normative NOK rating labels).

    Parameters
    ----------
    path_or_name : str or path-like, default "nok_bands"
        A YAML file with a ``bands:`` list of ``{id, upto, label}`` entries, or the name
        of a packaged file in ``analysis/standards_data/``.

    Returns
    -------
    tuple of Band
        In increasing order of ``upto``; a value ``v`` falls in the first band with
        ``v <= upto``.

    Raises
    ------
    ValueError
        If the file is missing or malformed.
    """
    raw, source, _ = _read(path_or_name)
    if not isinstance(raw, Mapping) or "bands" not in raw:
        raise ValueError(f"{source}: expected a mapping with 'bands'")
    return _parse_bands(raw["bands"], f"{source}: bands")


def _date(value: object, where: str) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"{where}: {value!r} is not an ISO date") from exc
    raise ValueError(f"{where}: {value!r} is not a date")


def _parse_target(indicator: str, raw: object, where: str, base: Path | None) -> Target:
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        raw = {"target": raw}
    if not isinstance(raw, Mapping) or "target" not in raw:
        raise ValueError(f"{where}: needs a 'target'")
    unknown = set(raw) - {"target", "direction", "minimum", "unit", "label", "bands"}
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {sorted(unknown)}")
    direction = raw.get("direction", "at_least")
    if direction not in ("at_least", "at_most"):
        raise ValueError(f"{where}: direction must be 'at_least' or 'at_most'")
    target = _number(raw["target"], f"{where}.target")
    minimum = raw.get("minimum")
    if minimum is not None:
        minimum = _number(minimum, f"{where}.minimum")
        if (direction == "at_least" and minimum > target) or (
            direction == "at_most" and minimum < target
        ):
            raise ValueError(f"{where}: minimum must be less demanding than the target")
    bands_raw = raw.get("bands")
    if bands_raw is None:
        bands: tuple[Band, ...] = ()
    elif isinstance(bands_raw, str):
        data, source, _ = _read(bands_raw, base=base)
        if not isinstance(data, Mapping) or "bands" not in data:
            raise ValueError(f"{where}: {source} has no 'bands'")
        bands = _parse_bands(data["bands"], f"{source}: bands")
    else:
        bands = _parse_bands(bands_raw, f"{where}.bands")
    unit = raw.get("unit")
    return Target(
        indicator=indicator,
        target=target,
        direction=direction,
        minimum=minimum,
        unit=None if unit is None else str(unit),
        label=_text(raw.get("label"), f"{where}.label"),
        bands=bands,
    )


def load_standard(path_or_name: str | os.PathLike[str], *, on: dt.date | None = None) -> Standard:
    """Load the version of a regional standard that is effective on a date.

    Parameters
    ----------
    path_or_name : str or path-like
        A YAML file path, or the name of a packaged standard in
        ``analysis/standards_data/`` (see :func:`available_standards`).
    on : datetime.date, optional
        The date the version must be effective on (default: today). A version applies
        when ``effective_from <= on <= effective_to`` (``effective_to`` null = open).

    Returns
    -------
    Standard
        The effective version, with its targets.

    Raises
    ------
    TypeError
        If ``on`` is not a date.
    ValueError
        If the file is missing or malformed or versions overlap; :class:`NoVersionInForce`
        (a ValueError) if no version is effective on ``on``.

    Examples
    --------
    >>> import datetime as dt
    >>> s = load_standard("kemerovo_example", on=dt.date(2025, 6, 1))
    >>> s.normative, s.targets["share_satisfied:q14"].target
    (False, 0.9)
    """
    if on is None:
        on = dt.date.today()
    if isinstance(on, dt.datetime):
        on = on.date()
    if not isinstance(on, dt.date):
        raise TypeError(f"on must be a datetime.date, got {type(on).__name__}")
    raw, source, base = _read(path_or_name)
    if not isinstance(raw, Mapping):
        raise ValueError(f"{source}: expected a mapping at the top level")
    for key in ("id", "versions"):
        if key not in raw:
            raise ValueError(f"{source}: missing '{key}'")
    if "normative" not in raw or not isinstance(raw["normative"], bool):
        raise ValueError(f"{source}: 'normative' must be stated as true or false")
    versions = raw["versions"]
    if not isinstance(versions, list) or not versions:
        raise ValueError(f"{source}: 'versions' must be a non-empty list")
    spans: list[tuple[dt.date, dt.date | None, Mapping[str, Any]]] = []
    for k, version in enumerate(versions):
        where = f"{source}: versions[{k}]"
        if not isinstance(version, Mapping):
            raise ValueError(f"{where} must be a mapping")
        start = _date(version.get("effective_from"), f"{where}.effective_from")
        if start is None:
            raise ValueError(f"{where}: effective_from is required")
        end = _date(version.get("effective_to"), f"{where}.effective_to")
        if end is not None and end < start:
            raise ValueError(f"{where}: effective_to precedes effective_from")
        spans.append((start, end, version))
    spans.sort(key=lambda s: s[0])
    for (s1, e1, _), (s2, _, _) in zip(spans, spans[1:], strict=False):
        if e1 is None or e1 >= s2:
            raise ValueError(f"{source}: versions effective from {s1} and {s2} overlap")
    chosen = [s for s in spans if s[0] <= on and (s[1] is None or on <= s[1])]
    if not chosen:
        raise NoVersionInForce(f"{source}: no version is effective on {on.isoformat()}")
    start, end, version = chosen[0]
    where = f"{source}: version {version.get('version', start)!s}"
    indicators = version.get("indicators")
    if not isinstance(indicators, Mapping) or not indicators:
        raise ValueError(f"{where}: 'indicators' must be a non-empty mapping")
    targets = {
        str(name): _parse_target(str(name), spec, f"{where}: {name}", base)
        for name, spec in indicators.items()
    }
    return Standard(
        id=str(raw["id"]),
        version=str(version.get("version", start.isoformat())),
        effective_from=start,
        effective_to=end,
        normative=raw["normative"],
        notice=str(raw.get("notice", "")).strip(),
        title=_text(raw.get("title"), f"{source}: title"),
        targets=MappingProxyType(targets),
        source=source,
    )


# --------------------------------------------------------------------------------------
# the long indices table


def _default_test(value: str, has_se: bool) -> Test:
    if value == "share":
        return "score"
    if value == "nps":
        return "z"
    return "t" if has_se else "none"


def indices_table(
    data: pd.DataFrame,
    *,
    value: str | Sequence[str],
    name: str | None = None,
    unit: str | None = None,
    by: str | Sequence[str] = ("library",),
    prefix: str = "",
    test: Test | None = None,
) -> pd.DataFrame:
    """Turn the output of a §2 function into the long ``indices`` table.

    Parameters
    ----------
    data : pandas.DataFrame
        A result of :func:`~analysis.indices.share_satisfied`,
        :func:`~analysis.gap.gap_scores`, :func:`~analysis.nok.nok_scores`, …
    value : str or sequence of str
        Column(s) holding the estimate (``"share"``, ``"mean"``, ``"nps"``,
        ``"index"``, ``"adequacy_gap"``, ``"total"`` …). Each becomes an indicator.
    name : str, optional
        Indicator name for a single ``value`` (default: the column name).
    unit : str, optional
        Column whose value is appended as ``"<name>:<unit value>"`` (e.g. ``"item"``,
        ``"dimension"``, ``"unit"`` of a gap table).
    by : str or sequence of str, default ("library",)
        Key columns carried over (the compared unit first, then e.g. ``"period"``).
    prefix : str, default ""
        Prepended to every indicator name (e.g. ``"nok:"``).
    test : {"t", "z", "score", "none"}, optional
        How :func:`compare_to_standard` computes the one-sided p-value. Default:
        ``"score"`` for ``share`` (a proportion in 0..1), ``"z"`` for ``nps``, ``"t"``
        when a standard error is present, else ``"none"``.

    Returns
    -------
    pandas.DataFrame
        ``*by, indicator, value, ci_low, ci_high, n, se, test``. The interval and se of
        a value column ``v`` are read from ``v_ci_low``/``v_ci_high``/``v_se`` when
        present, else from ``ci_low``/``ci_high``/``se`` (single value only), else
        ``NaN``; ``n`` from ``n``.

    Raises
    ------
    TypeError, ValueError
        On missing columns, ``name`` with several values, or an unknown test.

    Examples
    --------
    >>> import pandas as pd
    >>> res = pd.DataFrame({"library": ["a"], "item": ["q14"], "n": [40], "share": [0.9],
    ...                     "se": [0.047], "ci_low": [0.77], "ci_high": [0.96]})
    >>> indices_table(res, value="share", name="share_satisfied", unit="item")[
    ...     ["library", "indicator", "value", "test"]]
      library            indicator  value   test
    0       a  share_satisfied:q14    0.9  score
    """
    values = _names(value, "value")
    by_ = _names(by, "by", allow_empty=True)
    if name is not None and len(values) > 1:
        raise ValueError("name applies to a single value column only; use prefix")
    if test is not None and test not in _TESTS:
        raise ValueError(f"unknown test {test!r}; use one of {_TESTS}")
    needed = [*by_, *values, *([unit] if unit else [])]
    _check_frame(data, needed)
    parts = []
    for v in values:

        def pick(suffix: str, v: str = v) -> pd.Series:
            for col in (f"{v}_{suffix}", suffix if len(values) == 1 else None):
                if col is not None and col in data.columns:
                    return data[col].astype("float64")
            return pd.Series(np.nan, index=data.index)

        label = prefix + (name if name is not None else v)
        indicator = (
            label + ":" + data[unit].astype(str) if unit else pd.Series(label, index=data.index)
        )
        se = pick("se")
        part = data.loc[:, list(by_)].copy()
        part["indicator"] = indicator.to_numpy()
        part["value"] = data[v].astype("float64").to_numpy()
        part["ci_low"] = pick("ci_low").to_numpy()
        part["ci_high"] = pick("ci_high").to_numpy()
        part["n"] = data["n"].astype("float64").to_numpy() if "n" in data.columns else np.nan
        part["se"] = se.to_numpy()
        part["test"] = test if test is not None else _default_test(v, bool(se.notna().any()))
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


# --------------------------------------------------------------------------------------
# comparison


def _verdicts(
    value: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    n: np.ndarray,
    threshold: np.ndarray,
    at_least: np.ndarray,
    min_n: int,
) -> np.ndarray:
    has_ci = np.isfinite(low) & np.isfinite(high)
    with np.errstate(invalid="ignore"):
        meets_ci = np.where(at_least, low >= threshold, high <= threshold)
        fails_ci = np.where(at_least, high < threshold, low > threshold)
        meets_pt = np.where(at_least, value >= threshold, value <= threshold)
    verdict = np.where(
        has_ci,
        np.where(meets_ci, "meets", np.where(fails_ci, "below", "indeterminate")),
        np.where(meets_pt, "meets", "below"),
    ).astype(object)
    insufficient = ~np.isfinite(n) | (n < min_n) | ~np.isfinite(value)
    verdict[insufficient] = "insufficient data"
    verdict[~np.isfinite(threshold)] = None
    return verdict


def _p_values(
    value: np.ndarray,
    se: np.ndarray,
    n: np.ndarray,
    target: np.ndarray,
    at_least: np.ndarray,
    test: np.ndarray,
) -> np.ndarray:
    """One-sided p-values of H0: θ = target against H1: θ worse than target."""
    p = np.full(value.shape, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        null_se = np.sqrt(target * (1.0 - target) / n)
        stat = np.where(test == "score", (value - target) / null_se, (value - target) / se)
        signed = np.where(at_least, stat, -stat)  # small = evidence of "worse"
        df = n - 1.0
        is_t = (test == "t") & (df >= 1)
        is_norm = (test == "z") | ((test == "score") & (target > 0) & (target < 1))
        p[is_t] = special.stdtr(df[is_t], signed[is_t])  # Student t distribution function
        p[is_norm] = special.ndtr(signed[is_norm])  # standard normal distribution function
    p[~np.isfinite(stat)] = np.nan
    return p


def compare_to_standard(
    indices: pd.DataFrame,
    standard: Standard,
    *,
    unit: str | Sequence[str] = "library",
    min_n: int = 30,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Hold every library's indicators against a standard, with FDR-adjusted p-values.

    Parameters
    ----------
    indices : pandas.DataFrame
        Long table (see :func:`indices_table`) with the ``unit`` column(s),
        ``indicator``, ``value``, ``n`` and optionally ``ci_low``, ``ci_high``, ``se``,
        ``test``. Any other column (e.g. ``period``) is a further key: libraries are
        adjusted together only within the same indicator *and* key values.
    standard : Standard
        From :func:`load_standard`. Indicators the standard does not name are dropped.
    unit : str or sequence of str, default "library"
        The compared units; the Benjamini–Hochberg family is all units sharing an
        indicator (and the other keys).
    min_n : int, default 30
        Fewer responses than this give the verdict ``"insufficient data"`` and no
        adjusted p-value.
    alpha : float, default 0.05
        FDR level for ``flag_below``.

    Returns
    -------
    pandas.DataFrame
        ``*unit, *other keys, indicator, value, ci_low, ci_high, n, target, direction,
        verdict, p_value, p_adjusted, flag_below, minimum, minimum_verdict, band,
        standard, version``.

    Raises
    ------
    TypeError, ValueError
        On a missing column, an unknown test, or invalid ``min_n``/``alpha``.

    Notes
    -----
    *Verdict* (for ``direction="at_least"``; mirrored for ``"at_most"``), from the
    interval in the table (usually 95 %, two-sided):

    * ``"insufficient data"`` if ``n < min_n`` or the value is missing;
    * ``"meets"`` if ``ci_low >= target``; ``"below"`` if ``ci_high < target``;
    * ``"indeterminate"`` otherwise (the interval straddles the target);
    * with no interval (e.g. the NOK formula scores) the point value decides
      (``"meets"``/``"below"``). ``"below"`` always means "fails the standard".

    ``minimum_verdict`` applies the same rule to ``minimum``; ``band`` is the id of
    the band holding the point value.

    *p-value*: one-sided test of H0: θ = target against H1: θ < target (θ > target
    for ``"at_most"``), by the row's ``test``: ``"t"``: ``T = (value − target)/se``
    on ``n − 1`` df; ``"z"``: the same statistic, standard normal; ``"score"``
    (proportions in 0..1): ``Z = (p̂ − p₀)/√(p₀(1 − p₀)/n)``, the test the Wilson
    interval inverts; ``"none"``: no p-value. A row without a ``test`` column uses
    ``"z"``. Within each family, p-values of rows with enough data are adjusted by
    Benjamini–Hochberg (``statsmodels.stats.multitest.multipletests(method="fdr_bh")``,
    ``p̃₍ᵢ₎ = min_{j≥i} m p₍ⱼ₎/j``); ``flag_below`` marks ``p_adjusted < alpha``.

    References
    ----------
    Benjamini, Y., Hochberg, Y. (1995), "Controlling the false discovery rate",
    *JRSS B* 57(1):289–300; Jones, H. E., Ohlssen, D. I., Spiegelhalter, D. J. (2008),
    "Use of the false discovery rate when comparing multiple health care providers",
    *J. Clin. Epidemiol.* 61(3):232–240; Wilson (1927), *JASA* 22:209–212.
    """
    if not isinstance(standard, Standard):
        raise TypeError("standard must be a Standard (see load_standard)")
    units = _names(unit, "unit")
    _check_frame(indices, [*units, "indicator", "value", "n"], what="indices")
    if isinstance(min_n, bool) or not isinstance(min_n, int) or min_n < 1:
        raise ValueError("min_n must be a positive int")
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha < 1:
        raise ValueError("alpha must lie strictly between 0 and 1")
    extra = [c for c in indices.columns if c not in INDEX_COLUMNS and c not in units]
    frame = indices.copy()
    for col in ("ci_low", "ci_high", "se"):
        if col not in frame.columns:
            frame[col] = np.nan
    if "test" not in frame.columns:
        frame["test"] = "z"
    unknown = sorted(set(frame["test"].dropna().astype(str)) - set(_TESTS))
    if unknown:
        raise ValueError(f"unknown test(s) {unknown}; use one of {_TESTS}")
    frame = frame.loc[frame["indicator"].isin(list(standard.targets))].reset_index(drop=True)

    def num(col: str) -> np.ndarray:
        column: pd.Series = pd.to_numeric(frame[col], errors="raise")
        return np.asarray(column, dtype="float64")

    targets = [standard.targets[i] for i in frame["indicator"]]
    target = np.array([t.target for t in targets], dtype="float64")
    minimum = np.array([np.nan if t.minimum is None else t.minimum for t in targets])
    at_least = np.array([t.direction == "at_least" for t in targets], dtype=bool)
    value, low, high, n, se = num("value"), num("ci_low"), num("ci_high"), num("n"), num("se")
    test = frame["test"].fillna("none").astype(str).to_numpy()

    out = frame.loc[:, [*units, *extra, "indicator"]].copy()
    out["value"] = value
    out["ci_low"] = low
    out["ci_high"] = high
    out["n"] = n
    out["target"] = target
    out["direction"] = [t.direction for t in targets]
    out["verdict"] = _verdicts(value, low, high, n, target, at_least, min_n)
    p = _p_values(value, se, n, target, at_least, test)
    p[out["verdict"].to_numpy() == "insufficient data"] = np.nan
    out["p_value"] = p
    out["p_adjusted"] = np.nan
    out["flag_below"] = False
    family = [*extra, "indicator"]
    testable = out["p_value"].notna()
    for _, rows in out.loc[testable].groupby(family, sort=False, dropna=False):
        reject, adjusted = _benjamini_hochberg(rows["p_value"].to_numpy(), alpha)
        out.loc[rows.index, "p_adjusted"] = adjusted
        out.loc[rows.index, "flag_below"] = reject
    out["flag_below"] = out["flag_below"].astype(bool)
    out["minimum"] = minimum
    out["minimum_verdict"] = _verdicts(value, low, high, n, minimum, at_least, min_n)
    out["band"] = [_band(v, t.bands) for v, t in zip(value, targets, strict=True)]
    out["standard"] = standard.id
    out["version"] = standard.version
    return out


def _benjamini_hochberg(p: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Rejections and adjusted p-values of the Benjamini–Hochberg step-up procedure.

    ``p̃₍ᵢ₎ = min(1, min_{j≥i} m p₍ⱼ₎/j)`` over the p-values sorted ascending; the hypotheses
    up to the largest ``i`` with ``p₍ᵢ₎ ≤ α i/m`` are rejected (so exactly those with
    ``p̃ ≤ α``). As ``statsmodels.stats.multitest.multipletests(method="fdr_bh")``, written
    out so that a report worker does not import ``scipy.stats`` for it (Benjamini and
    Hochberg 1995).
    """
    m = len(p)
    order = np.argsort(p, kind="mergesort")
    ranked = p[order] * m / np.arange(1, m + 1)
    adjusted_sorted = np.minimum(np.minimum.accumulate(ranked[::-1])[::-1], 1.0)
    adjusted = np.empty(m)
    adjusted[order] = adjusted_sorted
    passed = np.flatnonzero(p[order] <= alpha * np.arange(1, m + 1) / m)
    reject = np.zeros(m, dtype=bool)
    if len(passed):
        reject[order[: passed[-1] + 1]] = True
    return reject, adjusted


def _band(value: float, bands: Sequence[Band]) -> str | None:
    if not bands or not np.isfinite(value):
        return None
    for band in bands:
        if value <= band.upto:
            return band.id
    return None
