"""Why a statistic is missing or doubtful: reason codes defined once for all of :mod:`analysis`.

A statistic that cannot be computed, or that would mean nothing, is *refused* with
:class:`StatisticUnavailable` (a ``ValueError`` carrying a :class:`Reason` and the n); a
statistic that is computed but should be read with care carries :class:`Note` objects in its
result's ``notes``. Every output (notebook, CLI table and ``--json``, the regional run) shows
the machine-readable ``code`` (the enum value) beside the readable ``message``.

Messages are English, as the CLI; :data:`REASON_TITLES_RU` gives the Russian title of each
code for the web pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "REASON_TITLES",
    "REASON_TITLES_RU",
    "Note",
    "Reason",
    "StatisticUnavailable",
]


class Reason(StrEnum):
    """Machine-readable reason codes (the value is what outputs print)."""

    #: fewer respondents than the configured minimum (``min_n``)
    INSUFFICIENT_DATA = "insufficient_data"
    #: no rows at all
    NO_RESPONSES = "no_responses"
    #: an item without variance
    ZERO_VARIANCE = "zero_variance"
    #: an item pair answered together by fewer than 2 respondents: covariance undefined
    UNDEFINED_PAIR = "undefined_pair"
    #: an item pair answered together by fewer than ``min_pair_n`` respondents
    FEW_JOINT_RESPONSES = "few_joint_responses"
    #: the pairwise covariance matrix has a negative eigenvalue
    NOT_POSITIVE_SEMIDEFINITE = "not_positive_semidefinite"
    #: the correlation matrix is singular (an item is a linear combination of others)
    SINGULAR_MATRIX = "singular_matrix"
    #: a one-factor loading at its bound (uniqueness 0.005): Heywood case
    HEYWOOD = "heywood"
    #: a one-factor communality above 1 (negative uniqueness): ultra-Heywood case
    ULTRA_HEYWOOD = "ultra_heywood"
    #: the factor fit did not converge
    FIT_FAILED = "fit_failed"
    #: an item correlates negatively with the scale (first principal component)
    NEGATIVE_ITEM = "negative_item"
    #: an interval limit outside the parameter's range was clipped to it
    INTERVAL_CLIPPED = "interval_clipped"
    #: the standard error (and the interval built on it) cannot be computed
    SE_UNDEFINED = "se_undefined"
    #: observed answers outside the declared response range
    OUT_OF_RANGE = "out_of_range"
    #: the data cannot give this statistic for another stated reason
    INVALID_DATA = "invalid_data"


#: short English title of each code
REASON_TITLES: dict[Reason, str] = {
    Reason.INSUFFICIENT_DATA: "insufficient data",
    Reason.NO_RESPONSES: "no responses",
    Reason.ZERO_VARIANCE: "an item without variance",
    Reason.UNDEFINED_PAIR: "an item pair never answered together",
    Reason.FEW_JOINT_RESPONSES: "too few joint responses for an item pair",
    Reason.NOT_POSITIVE_SEMIDEFINITE: "pairwise covariance matrix not positive semi-definite",
    Reason.SINGULAR_MATRIX: "singular correlation matrix",
    Reason.HEYWOOD: "Heywood case",
    Reason.ULTRA_HEYWOOD: "ultra-Heywood case",
    Reason.FIT_FAILED: "factor fit failed",
    Reason.NEGATIVE_ITEM: "item correlates negatively with the scale",
    Reason.INTERVAL_CLIPPED: "interval clipped to the parameter's range",
    Reason.SE_UNDEFINED: "standard error undefined",
    Reason.OUT_OF_RANGE: "answer outside the declared range",
    Reason.INVALID_DATA: "not computable from these data",
}

#: Russian title of each code (web pages)
REASON_TITLES_RU: dict[Reason, str] = {
    Reason.INSUFFICIENT_DATA: "недостаточно данных",
    Reason.NO_RESPONSES: "нет ответов",
    Reason.ZERO_VARIANCE: "вопрос без разброса ответов",
    Reason.UNDEFINED_PAIR: "на пару вопросов никто не ответил вместе",
    Reason.FEW_JOINT_RESPONSES: "слишком мало совместных ответов на пару вопросов",
    Reason.NOT_POSITIVE_SEMIDEFINITE: (
        "попарная ковариационная матрица не является неотрицательно определённой"
    ),
    Reason.SINGULAR_MATRIX: "вырожденная корреляционная матрица",
    Reason.HEYWOOD: "случай Хейвуда",
    Reason.ULTRA_HEYWOOD: "ультра-Хейвудов случай",
    Reason.FIT_FAILED: "факторная модель не сошлась",
    Reason.NEGATIVE_ITEM: "вопрос отрицательно коррелирует со шкалой",
    Reason.INTERVAL_CLIPPED: "интервал обрезан до допустимых значений",
    Reason.SE_UNDEFINED: "стандартная ошибка не определена",
    Reason.OUT_OF_RANGE: "ответ вне объявленной шкалы",
    Reason.INVALID_DATA: "по этим данным не вычисляется",
}

#: codes that make a computed statistic unsound (shown flagged, never as if it were sound)
UNSOUND = frozenset({Reason.FEW_JOINT_RESPONSES, Reason.NOT_POSITIVE_SEMIDEFINITE})


@dataclass(frozen=True, slots=True)
class Note:
    """A warning attached to a computed statistic.

    Attributes
    ----------
    code : Reason
        Machine-readable reason.
    message : str
        Readable explanation with the specifics (items, values).
    statistic : str
        The statistic it concerns (``"alpha"``, ``"omega_total"``, ...).
    """

    code: Reason
    message: str
    statistic: str

    @property
    def unsound(self) -> bool:
        """Whether the statistic must not be read as a sound estimate."""
        return self.code in UNSOUND

    def as_dict(self) -> dict[str, str]:
        """``{"statistic", "code", "message"}`` for JSON."""
        return {"statistic": self.statistic, "code": self.code.value, "message": self.message}


class StatisticUnavailable(ValueError):
    """A statistic refused for a data-dependent reason (a ``ValueError``).

    Parameters
    ----------
    code : Reason
        Why.
    message : str
        Readable explanation.
    n : int or None
        The number of respondents the statistic would have used.
    """

    def __init__(self, code: Reason, message: str, *, n: int | None = None) -> None:
        super().__init__(message)
        self.code = Reason(code)
        self.message = message
        self.n = n

    def as_dict(self) -> dict[str, object]:
        """``{"code", "message", "n"}`` for JSON."""
        return {"code": self.code.value, "message": self.message, "n": self.n}
