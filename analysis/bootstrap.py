"""Bootstrap intervals over respondents: the NOK criteria K1–K5 and total, and omega.

Neither statistic has a closed-form interval the project trusts: the NOK score is a
weighted sum of rounded shares with skip filters and constant checklist parts, and
McDonald's omega comes from a fitted factor model. Both get the **percentile bootstrap
over respondents**: draw ``n`` respondents with replacement from the ``n`` of the
organisation, recompute the statistic, repeat ``n_boot`` times and take the
``(1 − confidence)/2`` and ``(1 + confidence)/2`` quantiles of the replicates (NumPy's
default linear interpolation, R ``quantile(type = 7)``). The draws are seeded, so a page
computed twice shows the same interval.

Resampling is reproducible by hand: for an organisation with ``n`` respondents the draws
are ``numpy.random.default_rng(seed).integers(0, n, size=(n_boot, n))`` — row ``b`` holds
the positions (in the organisation's rows, in data order) of replicate ``b``. With several
organisations one generator is used for all, in the sorted order of the ``by`` keys.

References
----------
Efron, B., & Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*. Chapman &
Hall/CRC, ch. 13 (the percentile interval).
Kelley, K., & Pornprasertmanit, S. (2016). Confidence intervals for population reliability
coefficients: Evaluation of methods, recommendations, and software for composite measures.
*Psychological Methods*, 21(1), 69–92. doi:10.1037/a0040086 (bootstrap intervals for ω).
"""

from __future__ import annotations

import warnings
from collections.abc import Collection
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from analysis.indices import _check_by
from analysis.indices import _check_frame
from analysis.indices import _numeric
from analysis.nok import _SHARE_INDICATORS
from analysis.nok import CRITERIA
from analysis.nok import NOK_QUESTIONS
from analysis.nok import SKIP_FILTERS
from analysis.nok import NokConfig
from analysis.nok import _checklist
from analysis.omega import omega_total
from analysis.reasons import Reason
from analysis.reasons import StatisticUnavailable
from analysis.reliability import MIN_RESPONDENTS

__all__ = [
    "BOOTSTRAP_SEED",
    "BootstrapInterval",
    "nok_bootstrap",
    "omega_bootstrap",
    "percentile_interval",
]

#: the seed used unless another is given (any fixed number would do)
BOOTSTRAP_SEED = 20261204
#: a replicate share below this of defined values leaves the interval undefined
MIN_VALID_SHARE = 0.9


@dataclass(frozen=True, slots=True)
class BootstrapInterval:
    """A percentile bootstrap interval and how it was drawn."""

    low: float
    high: float
    confidence: float
    n_boot: int
    #: replicates where the statistic was defined (the interval uses only these)
    n_valid: int
    seed: int


def _check_boot(n_boot: object, confidence: object) -> tuple[int, float]:
    if isinstance(n_boot, bool) or not isinstance(n_boot, int) or n_boot < 10:
        raise ValueError("n_boot must be a whole number of at least 10")
    if isinstance(confidence, bool) or not isinstance(confidence, int | float):
        raise TypeError("confidence must be a number")
    if not 0.0 < float(confidence) < 1.0:
        raise ValueError("confidence must lie strictly between 0 and 1")
    return n_boot, float(confidence)


def percentile_interval(
    replicates: Sequence[float] | np.ndarray, confidence: float = 0.95
) -> tuple[float, float, int]:
    """The percentile interval of bootstrap replicates (NaN replicates left out).

    Returns ``(low, high, n_valid)``; low and high are NaN when fewer than
    :data:`MIN_VALID_SHARE` of the replicates are defined (the statistic was undefined too
    often for its interval to mean anything), and when the defined replicates are all
    equal: every respondent answered alike, so resampling them cannot vary the statistic,
    and a zero-width interval would claim a certainty that ``n`` respondents do not give
    (:func:`nok_bootstrap` reports which of the two, per criterion).
    """
    low, high, n_valid, _ = _percentile(replicates, confidence)
    return low, high, n_valid


def _percentile(
    replicates: Sequence[float] | np.ndarray, confidence: float
) -> tuple[float, float, int, Reason | None]:
    """``percentile_interval`` and, when it is withheld, the reason (one rule for both)."""
    values = np.asarray(replicates, dtype="float64")
    valid = values[np.isfinite(values)]
    reason = None
    if values.size == 0 or valid.size < MIN_VALID_SHARE * values.size:
        reason = Reason.INSUFFICIENT_DATA
    # equal up to rounding: a weighted sum of the same shares in a different order may
    # differ in the last bits
    elif np.ptp(valid) <= 1e-9 * max(1.0, float(np.abs(valid).max())):
        reason = Reason.ZERO_VARIANCE
    if reason is not None:
        return float("nan"), float("nan"), int(valid.size), reason
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(valid, [tail, 1.0 - tail])
    return float(low), float(high), int(valid.size), None


def _combine(values: dict[str, np.ndarray], weights: dict[str, float], rule: str) -> np.ndarray:
    """Weighted sum per replicate; NaN parts follow ``NokConfig.empty_share``."""
    stack = np.column_stack([values[k] for k in weights])
    w = np.asarray([weights[k] for k in weights], dtype="float64")
    defined = np.isfinite(stack)
    total = np.where(defined, stack, 0.0) @ w
    if rule == "nan":
        return np.where(defined.all(axis=1), total, np.nan)
    used = defined.astype("float64") @ w
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(used > 0, total / np.where(used > 0, used, 1.0), np.nan)


def nok_bootstrap(
    data: pd.DataFrame,
    *,
    checklist: pd.DataFrame,
    by: str | Sequence[str] = ("library",),
    config: NokConfig | None = None,
    n_boot: int = 2000,
    seed: int = BOOTSTRAP_SEED,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Percentile bootstrap intervals of NOK K1–K5 and the total, over respondents.

    Parameters
    ----------
    data, checklist, by, config
        As :func:`analysis.nok_scores`.
    n_boot : int, default 2000
        Bootstrap replicates per organisation.
    seed : int
        Seed of ``numpy.random.default_rng`` (see the module docstring for the draws).
    confidence : float, default 0.95
        Level of the interval.

    Returns
    -------
    pandas.DataFrame
        One row per organisation and criterion: ``*by, statistic`` (``K1`` … ``K5``,
        ``total``), ``low``, ``high``, ``n`` (respondents), ``n_boot``, ``n_valid``,
        ``reason`` (why low and high are NaN: ``insufficient_data`` or ``zero_variance``,
        as the Notes say; else ``None``).

    Notes
    -----
    The expert checklist is a fixed count per organisation, not a sample: its indicators
    (1.1, 1.2, 2.1, 3.1, 3.2) are the same in every replicate, and the interval reflects
    only the sampling of respondents. Each replicate recomputes the respondent shares
    ``Y(q)/N(q)`` with the skip filters and denominator rule of ``config`` exactly as
    :func:`analysis.nok_scores`, then the criteria and the total, **without the
    intermediate rounding** (rounding to 2 dp would only add a step function to the
    replicates). A replicate in which a share has an empty denominator gives NaN under
    ``empty_share="nan"`` (the literal formula) and is left out; when more than 10 % of
    the replicates are NaN the interval is not given (NaN, reason ``insufficient_data``).
    When every respondent of an organisation answered the criterion's questions alike
    (all said "yes"), every replicate equals the point and the interval is not given
    either (reason ``zero_variance``): the percentile bootstrap cannot show the
    uncertainty of such a sample, and a zero-width interval would overstate certainty.

    References
    ----------
    Efron & Tibshirani (1993), ch. 13; the NOK formulas: :func:`analysis.nok_scores`.
    """
    cfg = NokConfig() if config is None else config
    n_boot, confidence = _check_boot(n_boot, confidence)
    by_ = _check_by(by, NOK_QUESTIONS)
    if not by_:
        raise ValueError("by must name the column(s) identifying an organisation")
    _check_frame(data, [*by_, *NOK_QUESTIONS])
    answers = _numeric(data, NOK_QUESTIONS)
    bad = answers.notna() & ~answers.isin([0.0, float(cfg.yes)])
    if bad.any().any():
        raise ValueError(f"column {bad.any().idxmax()!r} holds answers other than yes/no")
    yes = answers == float(cfg.yes)
    eligible = pd.DataFrame(True, index=data.index, columns=list(NOK_QUESTIONS))
    for question, filt in SKIP_FILTERS.items():
        eligible[question] = yes[filt]
    counted = (answers.notna() & eligible) if cfg.denominator == "answered" else eligible
    said_yes = (yes & eligible).to_numpy(dtype="int32")
    counted_ = counted.to_numpy(dtype="int32")
    column = {q: k for k, q in enumerate(NOK_QUESTIONS)}

    check = _checklist(checklist, by_, cfg).astype("float64")
    rng = np.random.default_rng(seed)
    groups = data.groupby(list(by_), sort=True, dropna=False).indices
    rows: list[dict[str, object]] = []
    for key, positions in groups.items():
        keys = key if isinstance(key, tuple) else (key,)
        if keys not in check.index and (len(keys) != 1 or keys[0] not in check.index):
            raise ValueError(f"no checklist row for {keys!r}")
        fixed = check.loc[keys if len(keys) > 1 else keys[0]]
        n = len(positions)
        draws = rng.integers(0, n, size=(n_boot, n))
        y = said_yes[positions][draws].sum(axis=1).astype("float64")  # (n_boot, questions)
        d = counted_[positions][draws].sum(axis=1).astype("float64")
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(d > 0, 100.0 * y / np.where(d > 0, d, 1.0), np.nan)
        ind: dict[str, np.ndarray] = {
            name: np.full(n_boot, float(fixed[name])) for name in check.columns
        }
        halves = share[:, [column["q2"], column["q4"]]]
        if cfg.empty_share == "reweight":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # both halves undefined
                ind["P_otkr_ud"] = np.nanmean(halves, axis=1)
        else:
            ind["P_otkr_ud"] = halves.mean(axis=1)
        for indicator, question in _SHARE_INDICATORS.items():
            ind[indicator] = share[:, column[question]]
        crit = {
            name: _combine(
                {m: ind[m] for m in members}, dict(cfg.indicator_weights[name]), cfg.empty_share
            )
            for name, members in CRITERIA.items()
        }
        crit["total"] = _combine(crit, dict(cfg.criterion_weights), cfg.empty_share)
        for statistic, replicates in crit.items():
            low, high, valid, reason = _percentile(replicates, confidence)
            rows.append(
                {
                    **dict(zip(by_, keys, strict=True)),
                    "statistic": statistic,
                    "low": low,
                    "high": high,
                    "n": n,
                    "n_boot": n_boot,
                    "n_valid": valid,
                    "reason": None if reason is None else reason.value,
                }
            )
    columns = [*by_, "statistic", "low", "high", "n", "n_boot", "n_valid", "reason"]
    out = pd.DataFrame(rows, columns=columns)
    # None, not NaN, where an interval is given (pandas would turn it into NaN)
    out["reason"] = pd.Series([r["reason"] for r in rows], index=out.index, dtype=object)
    return out


def omega_bootstrap(
    data: pd.DataFrame,
    *,
    items: Sequence[str],
    reverse: Collection[str] = (),
    scale: tuple[float, float] | dict[str, tuple[float, float]] | None = None,
    missing: str = "pairwise",
    n_boot: int = 200,
    seed: int = BOOTSTRAP_SEED,
    confidence: float = 0.95,
    min_n: int = MIN_RESPONDENTS,
) -> BootstrapInterval:
    """Percentile bootstrap interval of :func:`analysis.omega_total` over respondents.

    Each replicate refits the one-factor model (minres, as ``omega_total``) to ``n`` rows
    drawn with replacement; a replicate whose fit fails or whose correlations are
    undefined is left out (``n_valid``). Draws as the module docstring says.

    Raises
    ------
    StatisticUnavailable
        When ``omega_total`` refuses the full data (too few respondents, ...).
    """
    n_boot, confidence = _check_boot(n_boot, confidence)
    kwargs = {"items": list(items), "reverse": reverse, "scale": scale, "missing": missing}
    omega_total(data, min_n=min_n, **kwargs)  # type: ignore[arg-type]  # refuses as the point
    frame = data.loc[:, list(items)].reset_index(drop=True)
    n = len(frame)
    draws = np.random.default_rng(seed).integers(0, n, size=(n_boot, n))
    replicates = np.full(n_boot, np.nan)
    # each fit works on a k × k matrix: BLAS threads only cost (25 times slower on a busy
    # two-core machine), so the loop runs single-threaded
    with threadpool_limits(limits=1, user_api="blas"):
        for b in range(n_boot):
            sample = frame.iloc[draws[b]].reset_index(drop=True)
            try:
                fit = omega_total(sample, min_n=min_n, **kwargs)  # type: ignore[arg-type]
            except (StatisticUnavailable, ValueError, np.linalg.LinAlgError):
                continue
            replicates[b] = fit.omega_total
    low, high, valid = percentile_interval(replicates, confidence)
    return BootstrapInterval(low, high, confidence, n_boot, valid, seed)
