"""NOK: the Russian independent assessment of service-condition quality (culture variant).

Implements the calculation of Mintrud order 344n (31 May 2018) for culture organisations,
from the answers to the standard culture questionnaire (Mintrud method 675n) and a
per-organisation expert checklist. See :func:`nok_scores` for the formulas and for every
point where the reference material is uncertain.

Indicator symbols are transliterated from the order (Пинф -> ``P_inf`` and so on):

=====  ====================  ==========================================================
crit.  column                indicator (344n numbering)
=====  ====================  ==========================================================
K1     ``P_inf``             1.1 information on stands and website vs the normative list
K1     ``P_dist``            1.2 remote interaction channels present and working
K1     ``P_otkr_ud``         1.3 satisfied with openness of stand and website information
K2     ``P_komf_usl``        2.1 comfort conditions provided
K2     ``P_komf_ud``         2.3 satisfied with comfort (2.2 waiting time: not for culture)
K3     ``P_org_dost``        3.1 premises and grounds equipped for disabled people
K3     ``P_usl_dost``        3.2 conditions for disabled people to receive services
K3     ``P_dost_ud``         3.3 disabled respondents satisfied with accessibility
K4     ``P_perv_kont_ud``    4.1 politeness of first-contact staff
K4     ``P_okaz_usl_ud``     4.2 politeness of staff delivering the service
K4     ``P_vezhl_dist_ud``   4.3 politeness in remote contact
K5     ``P_rekom``           5.1 would recommend the organisation
K5     ``P_org_usl_ud``      5.2 satisfied with organisational conditions
K5     ``P_ud``              5.3 satisfied with the conditions overall
=====  ====================  ==========================================================
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from decimal import ROUND_HALF_UP
from decimal import Context
from decimal import Decimal
from decimal import localcontext
from types import MappingProxyType
from typing import Literal

import numpy as np
import pandas as pd

from analysis.indices import _check_by
from analysis.indices import _check_frame
from analysis.indices import _numeric
from analysis.indices import share_satisfied

__all__ = [
    "CHECKLIST_COLUMNS",
    "CRITERIA",
    "FILTER_QUESTIONS",
    "NOK_QUESTIONS",
    "NokConfig",
    "PointRule",
    "nok_item_shares",
    "nok_scores",
]

#: Indicators of each criterion, in the order of the order's table.
CRITERIA: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "K1": ("P_inf", "P_dist", "P_otkr_ud"),
        "K2": ("P_komf_usl", "P_komf_ud"),
        "K3": ("P_org_dost", "P_usl_dost", "P_dost_ud"),
        "K4": ("P_perv_kont_ud", "P_okaz_usl_ud", "P_vezhl_dist_ud"),
        "K5": ("P_rekom", "P_org_usl_ud", "P_ud"),
    }
)

#: The yes/no questions the calculation uses (q15 free text, q16 sex, q17 age are not).
NOK_QUESTIONS: tuple[str, ...] = tuple(f"q{k}" for k in range(1, 15))

#: Filter questions: the key is asked only of respondents who answered the value "yes".
SKIP_FILTERS: Mapping[str, str] = MappingProxyType(
    {"q2": "q1", "q4": "q3", "q7": "q6", "q11": "q10"}
)

#: Questions that are skip filters: "yes" means the respondent used the stands (q1), used
#: the website (q3), has a disability (q6), used remote channels (q10) — not "satisfied".
FILTER_QUESTIONS: tuple[str, ...] = tuple(dict.fromkeys(SKIP_FILTERS.values()))

#: Indicators that are the share (×100) of "yes" among the respondents to one question.
_SHARE_INDICATORS: Mapping[str, str] = MappingProxyType(
    {
        "P_komf_ud": "q5",
        "P_dost_ud": "q7",
        "P_perv_kont_ud": "q8",
        "P_okaz_usl_ud": "q9",
        "P_vezhl_dist_ud": "q11",
        "P_rekom": "q12",
        "P_org_usl_ud": "q13",
        "P_ud": "q14",
    }
)

#: Columns of the expert checklist (one row per organisation, plus the ``by`` columns).
CHECKLIST_COLUMNS: tuple[str, ...] = (
    "stand_info_present",
    "stand_info_required",
    "site_info_present",
    "site_info_required",
    "remote_channels",
    "comfort_conditions",
    "premises_accessibility",
    "service_accessibility",
)

#: Checklist column counted by each points-per-item indicator.
_POINT_SOURCES: Mapping[str, str] = MappingProxyType(
    {
        "P_dist": "remote_channels",
        "P_komf_usl": "comfort_conditions",
        "P_org_dost": "premises_accessibility",
        "P_usl_dost": "service_accessibility",
    }
)


@dataclass(frozen=True, slots=True)
class PointRule:
    """Checklist indicator = ``min(per_item × count, cap)``."""

    #: points for each condition/channel present
    per_item: float
    #: the indicator's maximum (``math.inf``: uncapped, as [S22] computes 3.1)
    cap: float = 100.0

    def __post_init__(self) -> None:
        """Validate the rule."""
        for name in ("per_item", "cap"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | float) or np.isnan(v):
                raise TypeError(f"PointRule.{name} must be a number, got {v!r}")
            if v < 0:
                raise ValueError(f"PointRule.{name} must be non-negative")
        if not np.isfinite(self.per_item):
            raise ValueError("PointRule.per_item must be finite (cap may be inf: no cap)")


def _default_indicator_weights() -> Mapping[str, Mapping[str, float]]:
    return MappingProxyType(
        {
            "K1": MappingProxyType({"P_inf": 0.3, "P_dist": 0.3, "P_otkr_ud": 0.4}),
            "K2": MappingProxyType({"P_komf_usl": 0.5, "P_komf_ud": 0.5}),
            "K3": MappingProxyType({"P_org_dost": 0.3, "P_usl_dost": 0.4, "P_dost_ud": 0.3}),
            "K4": MappingProxyType(
                {"P_perv_kont_ud": 0.4, "P_okaz_usl_ud": 0.4, "P_vezhl_dist_ud": 0.2}
            ),
            "K5": MappingProxyType({"P_rekom": 0.3, "P_org_usl_ud": 0.2, "P_ud": 0.5}),
        }
    )


def _default_criterion_weights() -> Mapping[str, float]:
    return MappingProxyType(dict.fromkeys(CRITERIA, 0.2))


def _default_point_rules() -> Mapping[str, PointRule]:
    return MappingProxyType(
        {
            "P_dist": PointRule(30.0, 100.0),
            "P_komf_usl": PointRule(20.0, 100.0),
            "P_org_dost": PointRule(20.0, 100.0),
            "P_usl_dost": PointRule(20.0, 100.0),
        }
    )


@dataclass(frozen=True)
class NokConfig:
    """Every tunable of the NOK calculation; the defaults follow 344n (culture).

    Attributes
    ----------
    indicator_weights : mapping of criterion to mapping of indicator to weight
        Weight of each indicator inside its criterion (each criterion's weights sum
        to 1). Default: the culture table of instruments.md §3.2 (K2 = 0.5/0.5, the
        waiting-time indicator 2.2 not applied to culture).
    criterion_weights : mapping of criterion to weight
        Weights of K1..K5 in the total (sum 1). Default 0.2 each, the plain mean
        ``(K1 + … + K5)/5``. The *draft* of 344n had 0.20/0.20/0.15/0.15/0.30.
    point_rules : mapping of indicator to PointRule
        Points per counted condition and cap for ``P_dist`` (30, cap 100),
        ``P_komf_usl``, ``P_org_dost`` and ``P_usl_dost`` (20, cap 100).
    rounding : int or None
        Decimal places applied to every indicator, then to every criterion (computed
        from the rounded indicators), then to the total (from the rounded criteria),
        half up on the exact decimal value; ``None`` keeps full precision. Default 2.
    denominator : {"answered", "eligible"}
        ``"answered"``: a share's denominator is the respondents who passed the skip
        filter *and* answered the question; ``"eligible"``: everyone who passed the
        filter (all respondents for unfiltered questions), so unanswered counts as
        "not satisfied". Default ``"answered"``.
    empty_share : {"nan", "reweight"}
        What happens when a share has a zero denominator (e.g. no disabled respondent,
        nobody used the stands). ``"nan"``: the indicator is undefined and so are its
        criterion and the total (the literal formula). ``"reweight"``: 1.3 uses the
        defined half alone, and a criterion (and the total) is the weighted mean of its
        defined parts with weights renormalised to sum to 1. Default ``"nan"``.
    yes : float
        Code of "yes" in the data (default 1; "no" is 0).
    """

    indicator_weights: Mapping[str, Mapping[str, float]] = field(
        default_factory=_default_indicator_weights
    )
    criterion_weights: Mapping[str, float] = field(default_factory=_default_criterion_weights)
    point_rules: Mapping[str, PointRule] = field(default_factory=_default_point_rules)
    rounding: int | None = 2
    denominator: Literal["answered", "eligible"] = "answered"
    empty_share: Literal["nan", "reweight"] = "nan"
    yes: float = 1.0

    def __post_init__(self) -> None:
        """Validate the settings and freeze the mappings."""
        weights = self.indicator_weights
        if not isinstance(weights, Mapping) or set(weights) != set(CRITERIA):
            raise ValueError(f"indicator_weights must have exactly the criteria {list(CRITERIA)}")
        frozen: dict[str, Mapping[str, float]] = {}
        for crit, members in CRITERIA.items():
            w = weights[crit]
            if not isinstance(w, Mapping) or set(w) != set(members):
                raise ValueError(f"indicator_weights[{crit!r}] must weight exactly {members}")
            frozen[crit] = MappingProxyType({k: _weight(w[k], k) for k in members})
            if not np.isclose(sum(frozen[crit].values()), 1.0, rtol=0, atol=1e-9):
                raise ValueError(f"indicator_weights[{crit!r}] must sum to 1")
        object.__setattr__(self, "indicator_weights", MappingProxyType(frozen))
        cw = self.criterion_weights
        if not isinstance(cw, Mapping) or set(cw) != set(CRITERIA):
            raise ValueError(f"criterion_weights must weight exactly {list(CRITERIA)}")
        cw_frozen = MappingProxyType({k: _weight(cw[k], k) for k in CRITERIA})
        if not np.isclose(sum(cw_frozen.values()), 1.0, rtol=0, atol=1e-9):
            raise ValueError("criterion_weights must sum to 1")
        object.__setattr__(self, "criterion_weights", cw_frozen)
        rules = self.point_rules
        if not isinstance(rules, Mapping) or set(rules) != set(_POINT_SOURCES):
            raise ValueError(f"point_rules must cover exactly {list(_POINT_SOURCES)}")
        for key, rule in rules.items():
            if not isinstance(rule, PointRule):
                raise TypeError(f"point_rules[{key!r}] must be a PointRule")
        object.__setattr__(self, "point_rules", MappingProxyType(dict(rules)))
        if self.rounding is not None and (
            isinstance(self.rounding, bool)
            or not isinstance(self.rounding, int)
            or self.rounding < 0
        ):
            raise ValueError("rounding must be a non-negative int or None")
        if self.denominator not in ("answered", "eligible"):
            raise ValueError(f"unknown denominator rule {self.denominator!r}")
        if self.empty_share not in ("nan", "reweight"):
            raise ValueError(f"unknown empty_share rule {self.empty_share!r}")
        if isinstance(self.yes, bool) or not isinstance(self.yes, int | float):
            raise TypeError("yes must be a number")


def _weight(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"weight of {name!r} must be a number, got {value!r}")
    if not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"weight of {name!r} must lie in [0, 1]")
    return float(value)


#: decimal context of the scores: 34 significant digits, far beyond any published step
_CONTEXT = Context(prec=34, rounding=ROUND_HALF_UP)


def _dec(value: float) -> Decimal:
    """The decimal a number was written as: ``0.3`` -> ``Decimal("0.3")``, not the binary."""
    if isinstance(value, int):
        return Decimal(value)
    return Decimal(repr(float(value)))


def _round(value: Decimal | None, digits: int | None) -> Decimal | None:
    """Round half up (commercial rounding, as the spreadsheets' ROUND) to ``digits`` places."""
    if value is None or digits is None:
        return value
    return value.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def _combine(
    parts: Mapping[str, Decimal | None],
    weights: Mapping[str, float],
    rule: Literal["nan", "reweight"],
) -> Decimal | None:
    """Weighted sum of ``parts``; see ``NokConfig.empty_share``."""
    defined = {k: v for k, v in parts.items() if v is not None}
    if rule == "nan" and len(defined) < len(parts):
        return None
    total = sum((_dec(weights[k]) * v for k, v in defined.items()), Decimal(0))
    if rule == "nan":
        return total
    used = sum((_dec(weights[k]) for k in defined), Decimal(0))
    return total / used if used > 0 else None


def _float(value: Decimal | None) -> float:
    return math.nan if value is None else float(value)


def _checklist(checklist: pd.DataFrame, by: Sequence[str], config: NokConfig) -> pd.DataFrame:
    """Compute the checklist indicators (unrounded), indexed by the ``by`` keys."""
    _check_frame(checklist, [*by, *CHECKLIST_COLUMNS], what="checklist")
    if checklist.duplicated(list(by)).any():
        raise ValueError(f"checklist has more than one row for some {list(by)}")
    counts = _numeric(checklist, CHECKLIST_COLUMNS)
    if counts.isna().any().any():
        raise ValueError("checklist counts may not be missing")
    if not np.isfinite(counts.to_numpy()).all() or (counts < 0).any().any():
        raise ValueError("checklist counts must be finite and non-negative")
    for part in ("stand", "site"):
        present = counts[f"{part}_info_present"]
        required = counts[f"{part}_info_required"]
        if (required <= 0).any():
            raise ValueError(f"{part}_info_required must be positive")
        if (present > required).any():
            raise ValueError(f"{part}_info_present exceeds {part}_info_required")
    index = checklist.set_index(list(by)).index
    columns: dict[str, list[Decimal]] = {"P_inf": [], **{k: [] for k in _POINT_SOURCES}}
    with localcontext(_CONTEXT):
        for row in counts.itertuples(index=False):
            c = {name: _dec(v) for name, v in zip(CHECKLIST_COLUMNS, row, strict=True)}
            stand = c["stand_info_present"] / c["stand_info_required"]
            site = c["site_info_present"] / c["site_info_required"]
            columns["P_inf"].append((stand + site) / 2 * 100)
            for indicator, source in _POINT_SOURCES.items():
                rule = config.point_rules[indicator]
                columns[indicator].append(
                    min(_dec(rule.per_item) * c[source], Decimal(repr(float(rule.cap))))
                )
    return pd.DataFrame(columns, index=index, dtype=object)


def nok_scores(
    data: pd.DataFrame,
    *,
    checklist: pd.DataFrame,
    by: str | Sequence[str] = ("library",),
    config: NokConfig | None = None,
) -> pd.DataFrame:
    """NOK indicators, criteria K1–K5 and total score (0–100) per organisation.

    Parameters
    ----------
    data : pandas.DataFrame
        Wide responses to the culture NOK questionnaire: columns ``q1`` … ``q14`` coded
        yes = 1, no = 0, unanswered = missing (``q15``–``q17`` are not used), plus the
        ``by`` columns.
    checklist : pandas.DataFrame
        Expert checklist, one row per organisation: the ``by`` columns and
        :data:`CHECKLIST_COLUMNS` (``stand_info_present``, ``stand_info_required``,
        ``site_info_present``, ``site_info_required``, ``remote_channels``,
        ``comfort_conditions``, ``premises_accessibility``,
        ``service_accessibility``), all non-negative counts. Rows for organisations
        without responses are ignored.
    by : str or sequence of str, default ("library",)
        Columns identifying an organisation (add e.g. ``"period"`` to score several
        assessment rounds; the checklist must then carry it too).
    config : NokConfig, optional
        Weights, point rules, rounding and missing-data rules; default ``NokConfig()``.

    Returns
    -------
    pandas.DataFrame
        One row per organisation: ``*by, n`` (responses), the denominators ``n_q2``,
        ``n_q4``, ``n_q5``, ``n_q7``, ``n_q8``, ``n_q9``, ``n_q11``, ``n_q12``,
        ``n_q13``, ``n_q14``, ``n_filter_violations`` (answers given to a filtered
        question by respondents the filter excluded; ignored), the fourteen indicators
        (see the module table), ``K1`` … ``K5`` and ``total``; all scores on 0–100.

    Raises
    ------
    TypeError, ValueError
        If a column is missing, an answer is not 0/1, a checklist count is negative,
        missing or inconsistent (present > required, required = 0), a checklist row is
        duplicated, or an organisation in ``data`` has no checklist row.

    Notes
    -----
    Respondent shares, with ``Y(q)`` the "yes" answers to question ``q`` and ``N(q)``
    its denominator (see ``NokConfig.denominator``; the skip filters q1→q2, q3→q4,
    q6→q7, q10→q11 always restrict a filtered question to respondents who said "yes"
    to its filter):

    * 1.3 ``P_otkr_ud = 0.5 (Y(q2)/N(q2) + Y(q4)/N(q4)) · 100``;
    * 2.3 q5, 3.3 q7 (disabled respondents only), 4.1 q8, 4.2 q9, 4.3 q11 (remote
      users only), 5.1 q12, 5.2 q13, 5.3 q14: ``P = Y(q)/N(q) · 100``.

    Checklist indicators:

    * 1.1 ``P_inf = 0.5 (I_stand/I_norm,stand + I_site/I_norm,site) · 100``;
    * 1.2 ``P_dist = min(30 · channels, 100)``; 2.1 ``P_komf_usl = min(20 · c, 100)``;
      3.1 ``P_org_dost = min(20 · c, 100)``; 3.2 ``P_usl_dost = min(20 · c, 100)``.

    Criteria ``K1 = 0.3 P_inf + 0.3 P_dist + 0.4 P_otkr_ud``,
    ``K2 = 0.5 P_komf_usl + 0.5 P_komf_ud``,
    ``K3 = 0.3 P_org_dost + 0.4 P_usl_dost + 0.3 P_dost_ud``,
    ``K4 = 0.4 P_perv_kont_ud + 0.4 P_okaz_usl_ud + 0.2 P_vezhl_dist_ud``,
    ``K5 = 0.3 P_rekom + 0.2 P_org_usl_ud + 0.5 P_ud``; total
    ``S = (K1 + K2 + K3 + K4 + K5)/5``. Rounding (default 2 dp) happens at each of the
    three published stages — indicators, criteria from the rounded indicators, the total
    from the rounded criteria — as the operators' spreadsheets do it (Excel ``ROUND``):
    *half up* on the exact decimal value. Every step is computed with
    :mod:`decimal` on exact inputs (counts, and weights as written: ``0.3`` is 3/10), so a
    share of 9/32 = 28.125 % becomes 28.13 and ``K2 = 0.5·60 + 0.5·28.13 = 44.065``
    becomes 44.07; binary floats with ``round`` would give 28.12 and 44.06.

    **Uncertain points of the reference** (instruments.md §3.2–3.3; "K" = background
    knowledge there, not verified in a primary text), each configurable:

    1. *Equal criterion weights* (K): the signed order is believed to average the five
       criteria equally; the draft had 20/20/15/15/30 % -> ``criterion_weights``.
    2. *Denominators*: instruments.md says "respondents who answered that question"
       (V for criterion 5), while the open-source culture implementation [S22] divides
       the unfiltered shares by *all* respondents and the filtered ones by the filter's
       "yes" count -> ``denominator="eligible"`` reproduces that.
    3. *Cap of 3.1* ``P_org_dost``: the table caps it at 100 (K lists five
       conditions); [S22] does not cap it -> ``point_rules["P_org_dost"]``.
    4. *Condition lists* behind 1.2, 2.1, 3.1 and 3.2 (which channels/conditions count)
       are K; this function only takes the counts, the operator applies the list.
    5. *Empty denominators* (no disabled respondent, nobody used the stands or remote
       channels) are not settled by the reference -> ``empty_share``.
    6. *Rounding* to 2 dp at each stage follows [S22] and the YAML of §3.3; the order's
       own rounding rule was not verified -> ``rounding``.
    7. *K2 weights for culture* (0.5/0.5 without the waiting-time indicator) are V in
       [S22] only -> ``indicator_weights``.

    References
    ----------
    Order of the Ministry of Labour of Russia No. 344n of 31.05.2018 "Unified procedure
    for calculating the indicators characterising the general criteria of assessing
    the quality of service conditions…" (consultant.ru, cons_doc_LAW_308521); Order
    No. 675n of 30.10.2018 (questionnaire method); ruban-mn/model_test, culture page
    (open-source 344n implementation, GitHub) — instruments.md [S20]–[S22], [S37a].
    """
    cfg = NokConfig() if config is None else config
    if not isinstance(cfg, NokConfig):
        raise TypeError("config must be a NokConfig")
    by_ = _check_by(by, NOK_QUESTIONS)
    if not by_:
        raise ValueError("by must name the column(s) identifying an organisation")
    _check_frame(data, [*by_, *NOK_QUESTIONS])
    if not isinstance(checklist, pd.DataFrame):
        raise TypeError("checklist must be a pandas DataFrame")
    answers = _numeric(data, NOK_QUESTIONS)
    bad = answers.notna() & ~answers.isin([0.0, float(cfg.yes)])
    if bad.any().any():
        col = bad.any().idxmax()
        raise ValueError(f"column {col!r} holds answers other than yes={cfg.yes}/no=0")
    yes = answers == float(cfg.yes)

    # per respondent: eligible (passed the skip filter), answered, said yes
    eligible = pd.DataFrame(True, index=data.index, columns=list(NOK_QUESTIONS))
    for question, filt in SKIP_FILTERS.items():
        eligible[question] = yes[filt]
    answered = answers.notna() & eligible
    said_yes = yes & eligible
    violations = (answers.notna() & ~eligible).sum(axis=1)

    keys = data.loc[:, list(by_)]
    per_resp = pd.concat(
        [
            keys,
            answered.add_prefix("ans_").astype("int64"),
            eligible.add_prefix("elig_").astype("int64"),
            said_yes.add_prefix("yes_").astype("int64"),
            violations.rename("n_filter_violations").astype("int64"),
        ],
        axis=1,
    )
    grouped = per_resp.groupby(list(by_), sort=True, dropna=False)
    sums = grouped.sum()
    out = pd.DataFrame(index=sums.index)
    out["n"] = grouped.size().astype("int64")

    def shares(question: str) -> list[Decimal | None]:
        """``Y(q)/N(q) · 100`` per organisation, exact (None: empty denominator)."""
        den = sums[f"{'ans' if cfg.denominator == 'answered' else 'elig'}_{question}"]
        out[f"n_{question}"] = den.astype("int64")
        return [
            Decimal(int(y)) * 100 / Decimal(int(d)) if d > 0 else None
            for y, d in zip(sums[f"yes_{question}"], den, strict=True)
        ]

    with localcontext(_CONTEXT):
        stand, site = shares("q2"), shares("q4")
        answered_shares = {q: shares(q) for q in _SHARE_INDICATORS.values()}
    out["n_filter_violations"] = sums["n_filter_violations"].astype("int64")

    check = _checklist(checklist, by_, cfg)
    missing = out.index.difference(check.index)
    if len(missing):
        raise ValueError(f"no checklist row for {list(missing)}")
    check = check.reindex(out.index)

    digits = cfg.rounding
    indicators = [i for m in CRITERIA.values() for i in m]
    scores: dict[str, list[float]] = {name: [] for name in [*indicators, *CRITERIA, "total"]}
    with localcontext(_CONTEXT):
        for k in range(len(out)):
            ind: dict[str, Decimal | None] = {
                name: _round(check[name].iloc[k], digits) for name in check.columns
            }
            halves = [h for h in (stand[k], site[k]) if h is not None]
            if len(halves) == 2 or (halves and cfg.empty_share == "reweight"):
                ind["P_otkr_ud"] = _round(sum(halves, Decimal(0)) / len(halves), digits)
            else:
                ind["P_otkr_ud"] = None
            for indicator, question in _SHARE_INDICATORS.items():
                ind[indicator] = _round(answered_shares[question][k], digits)
            crit = {
                name: _round(
                    _combine(
                        {m: ind[m] for m in members},
                        cfg.indicator_weights[name],
                        cfg.empty_share,
                    ),
                    digits,
                )
                for name, members in CRITERIA.items()
            }
            total = _round(_combine(crit, cfg.criterion_weights, cfg.empty_share), digits)
            for name in indicators:
                scores[name].append(_float(ind[name]))
            for name in CRITERIA:
                scores[name].append(_float(crit[name]))
            scores["total"].append(_float(total))
    for name, values in scores.items():
        out[name] = np.asarray(values, dtype="float64")
    out = out.reset_index()
    order = [*by_, "n", *(f"n_{q}" for q in ("q2", "q4", *_SHARE_INDICATORS.values()))]
    order += ["n_filter_violations", *(i for m in CRITERIA.values() for i in m)]
    order += [*CRITERIA, "total"]
    return out.loc[:, order]


def nok_item_shares(
    data: pd.DataFrame,
    *,
    by: str | Sequence[str] = ("library",),
    confidence: float = 0.95,
    yes: float = 1.0,
) -> pd.DataFrame:
    """Share of "yes" per NOK question, counted as the 344n method counts it.

    Parameters
    ----------
    data : pandas.DataFrame
        Wide responses: ``q1`` … ``q14`` coded yes = ``yes``, no = 0, unanswered =
        missing, plus the ``by`` columns.
    by : str or sequence of str, default ("library",)
        Columns identifying an organisation.
    confidence : float, default 0.95
        Level of the Wilson interval.
    yes : float, default 1
        Code of "yes" (as ``NokConfig.yes``).

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`analysis.indices.share_satisfied` (``*by, item, n, count,
        share, se, ci_low, ci_high, threshold``) and ``measure``: ``"yes"`` for the filter
        questions q1, q3, q6, q10 (the share who used the stands / the website, has a
        disability, used remote channels — not a satisfaction), ``"satisfied"`` for the
        others.

    Raises
    ------
    TypeError, ValueError
        If a column is missing or an answer is not yes/no.

    Notes
    -----
    A filtered question (q2 after q1, q4 after q3, q7 after q6, q11 after q10) counts only
    the respondents for whom it applies — those who said "yes" to its filter — and who
    answered it: ``p = Y(q)/N(q)`` exactly as indicators 1.3, 3.3 and 4.3 of
    :func:`nok_scores` (``denominator="answered"``). An answer given by a respondent the
    filter excluded is ignored (``nok_scores`` reports their number).

    References
    ----------
    Orders 344n (31.05.2018) and 675n (30.10.2018) of the Ministry of Labour of Russia;
    instruments.md §3.
    """
    by_ = _check_by(by, NOK_QUESTIONS)
    _check_frame(data, [*by_, *NOK_QUESTIONS])
    if isinstance(yes, bool) or not isinstance(yes, int | float):
        raise TypeError("yes must be a number")
    answers = _numeric(data, NOK_QUESTIONS)
    bad = answers.notna() & ~answers.isin([0.0, float(yes)])
    if bad.any().any():
        col = bad.any().idxmax()
        raise ValueError(f"column {col!r} holds answers other than yes={yes}/no=0")
    applies = answers.copy()
    for question, filt in SKIP_FILTERS.items():
        applies[question] = answers[question].where(answers[filt] == float(yes))
    frame = pd.concat([data.loc[:, list(by_)], applies], axis=1)
    out = share_satisfied(
        frame, items=list(NOK_QUESTIONS), by=list(by_), threshold=float(yes), confidence=confidence
    )
    out["measure"] = np.where(out["item"].isin(FILTER_QUESTIONS), "yes", "satisfied")
    return out
