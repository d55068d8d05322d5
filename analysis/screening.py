"""Response screening: careless / insufficient-effort responding (IER) indices.

Every index is computed per response (one row of a wide item matrix, items in the order the
respondent saw them) and follows the definitions of the R package *careless* 1.2.2
(Yentes & Wilhelm), so that results can be checked against R to machine precision:

* :func:`longstring` -- longest and average run of identical consecutive answers;
* :func:`irv` -- intra-individual response variability (SD with divisor n - 1);
* :func:`mahalanobis` -- squared Mahalanobis distance D² (``psych::outlier``);
* :func:`psychsyn` -- psychometric synonyms / antonyms (Meade & Craig 2012);
* :func:`evenodd` -- even-odd consistency with careless >= 1.2.1 sign (higher = worse);
* :func:`page_speed` -- seconds per item from page timings (2 s/item rule);
* :func:`device_bursts` -- many submissions from one kiosk device in a short window.

:func:`screen_responses` combines them under a :class:`ScreeningPolicy` into per-index flags
and an overall ``flagged`` column (>= 2 indices by default, Curran 2016). Responses are
flagged, never dropped; :func:`with_and_without` recomputes any statistic with and without
the flagged responses so both versions can be reported.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from analysis._checks import require_columns
from analysis._checks import require_frame
from analysis.reliability import PairwiseMoments

__all__ = [
    "ScreeningPolicy",
    "device_bursts",
    "evenodd",
    "irv",
    "items_wide",
    "longstring",
    "mahalanobis",
    "page_speed",
    "psychsyn",
    "psychsyn_critval",
    "screen_matrix",
    "screen_responses",
    "with_and_without",
]


# --------------------------------------------------------------------------- helpers


def _item_matrix(data: pd.DataFrame, items: Sequence[str] | None) -> tuple[list[str], np.ndarray]:
    """Return the item names and a float matrix (NaN for missing) in questionnaire order."""
    require_frame(data)
    cols = list(data.columns) if items is None else list(items)
    if isinstance(items, str):
        raise TypeError("items must be a sequence of column names, not a string")
    if len(cols) < 2:
        raise ValueError("at least two items are required")
    if len(set(cols)) != len(cols):
        raise ValueError("items contains duplicate column names")
    require_columns(data, cols)
    sub = data[cols]
    try:
        x = sub.apply(pd.to_numeric, errors="raise").to_numpy(dtype=float, na_value=np.nan)
    except (ValueError, TypeError) as exc:
        raise TypeError("item columns must be numeric") from exc
    return cols, x


def _reverse(
    x: np.ndarray,
    cols: Sequence[str],
    reverse_keyed: Sequence[str],
    item_range: tuple[float, float] | Mapping[str, tuple[float, float]] | None,
) -> np.ndarray:
    """Reverse-key items as ``lo + hi - x`` with the declared (not observed) range."""
    if isinstance(reverse_keyed, str):
        raise TypeError("reverse_keyed must be a sequence of item names, not a string")
    if not reverse_keyed:
        return x
    if item_range is None:
        raise ValueError("item_range is required to reverse-key items")
    unknown = [r for r in reverse_keyed if r not in cols]
    if unknown:
        raise ValueError(f"reverse_keyed item(s) not among the items: {unknown}")
    out = x.copy()
    for name in reverse_keyed:
        if isinstance(item_range, Mapping):
            if name not in item_range:
                raise ValueError(f"item_range has no range for reverse-keyed item {name!r}")
            lo, hi = item_range[name]
        else:
            lo, hi = item_range
        j = cols.index(name)
        out[:, j] = lo + hi - out[:, j]
    return out


def _pairwise(x: np.ndarray) -> PairwiseMoments:
    """Pairwise-complete moments of the columns of ``x``: ``.cov()`` / ``.corr()`` are
    pandas' ``DataFrame.cov()`` / ``.corr()`` (R ``use = "pairwise"``) from a few matrix
    products instead of a loop over the pairs.

    Always from the rows in row-major layout: the matrix products' last digits depend on
    the layout, and this way the moments of a frame's (column-major) matrix and of a
    selection of its rows (row-major) are the same numbers, so D² and the synonyms can
    share one pass. Added in blocks of :data:`_ROW_BLOCK` rows, so the temporaries of a
    batch of tens of thousands of responses stay a few MB (the moments are sums)."""
    moments = PairwiseMoments([str(j) for j in range(x.shape[1])])
    for start in range(0, x.shape[0], _ROW_BLOCK):
        moments.add(np.ascontiguousarray(x[start : start + _ROW_BLOCK]))
    return moments


#: rows of the item matrix per step of the per-response indices and of the moments (bounds
#: the memory of the n × k and n × pairs temporaries; each row's value is its own)
_ROW_BLOCK = 8192


def _by_rows(x: np.ndarray) -> Iterator[tuple[slice, np.ndarray]]:
    """The rows of ``x`` in blocks of :data:`_ROW_BLOCK`, each a column-major copy: the
    layout of a frame's matrix, so a row's index has the same digits whether ``x`` came
    from a frame (:func:`screen_responses`) or from the database stream (:func:`screen_matrix`)."""
    for start in range(0, x.shape[0], _ROW_BLOCK):
        rows = slice(start, start + _ROW_BLOCK)
        yield rows, np.asfortranarray(x[rows], dtype=float)


def _rowwise_pearson(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pearson r per row over the positions where both ``a`` and ``b`` are present.

    Returns ``(r, n_complete)``; ``r`` is NaN when fewer than two complete pairs exist or
    either side has zero variance (as R's ``cor`` returns NA).
    """
    if a.shape[0] <= _ROW_BLOCK:
        return _rowwise_pearson_block(a, b)
    parts = [
        _rowwise_pearson_block(a[i : i + _ROW_BLOCK], b[i : i + _ROW_BLOCK])
        for i in range(0, a.shape[0], _ROW_BLOCK)
    ]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _rowwise_pearson_columns(
    x: np.ndarray, left: np.ndarray, right: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_rowwise_pearson` of ``x[:, left]`` and ``x[:, right]``, taking the columns
    one block of rows at a time (the n × pairs copies never exist whole)."""
    n = x.shape[0]
    r = np.empty(n)
    count = np.empty(n, dtype=np.int64)
    for i in range(0, n, _ROW_BLOCK):
        rows = x[i : i + _ROW_BLOCK]
        r[i : i + _ROW_BLOCK], count[i : i + _ROW_BLOCK] = _rowwise_pearson_block(
            rows[:, left], rows[:, right]
        )
    return r, count


def _rowwise_pearson_block(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mask = ~(np.isnan(a) | np.isnan(b))
    n = mask.sum(axis=1)
    a0 = np.where(mask, a, 0.0)
    b0 = np.where(mask, b, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ma = a0.sum(axis=1) / n
        mb = b0.sum(axis=1) / n
        da = np.where(mask, a0 - ma[:, None], 0.0)
        db = np.where(mask, b0 - mb[:, None], 0.0)
        sxy = (da * db).sum(axis=1)
        sxx = (da * da).sum(axis=1)
        syy = (db * db).sum(axis=1)
        r = sxy / np.sqrt(sxx * syy)
    # exact zero-variance test (values identical), robust to rounding in the mean
    big = np.finfo(float).max
    const_a = np.where(mask, a0, big).min(axis=1) == np.where(mask, a0, -big).max(axis=1)
    const_b = np.where(mask, b0, big).min(axis=1) == np.where(mask, b0, -big).max(axis=1)
    r = np.where((n < 2) | const_a | const_b, np.nan, np.clip(r, -1.0, 1.0))
    return r, n


# --------------------------------------------------------------------------- indices


def items_wide(
    data: pd.DataFrame,
    *,
    response: str = "response_id",
    item: str = "question_id",
    value: str = "value",
    items: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Pivot long answers (one row per response and item) to the wide item matrix.

    Parameters
    ----------
    data : DataFrame
        Long answers with columns ``response``, ``item`` and ``value``.
    response, item, value : str
        Column names.
    items : sequence of str, optional
        Items to keep, **in questionnaire order** (the order matters for longstring and
        even-odd). Defaults to the order of first appearance in ``data``.

    Returns
    -------
    DataFrame
        Index = response ids, one float column per item, NaN where unanswered.

    Raises
    ------
    ValueError
        If a (response, item) pair occurs more than once or a column is missing.
    """
    require_frame(data)
    require_columns(data, [response, item, value])
    if data.duplicated([response, item]).any():
        raise ValueError("data has more than one value for some (response, item) pair")
    order = list(pd.unique(data[item])) if items is None else list(items)
    wide = data.pivot(index=response, columns=item, values=value)
    wide = wide.reindex(columns=order)
    wide.columns.name = None
    numeric: pd.DataFrame = wide.apply(pd.to_numeric, errors="raise").astype(float)
    return numeric


def longstring(data: pd.DataFrame, *, items: Sequence[str] | None = None) -> pd.DataFrame:
    """Longest and average run of identical consecutive answers per response.

    Parameters
    ----------
    data : DataFrame
        Wide item matrix, one row per response.
    items : sequence of str, optional
        Item columns **in the order shown to the respondent** (default: all columns).
        Use raw answers, before reverse keying: straight-lining is a behaviour on the form.

    Returns
    -------
    DataFrame
        Index of ``data``; columns ``longstr`` (longest run) and ``avgstr`` (mean run
        length). Rows with no answer at all get NaN.

    Notes
    -----
    Run-length encoding of the row, as R ``rle``: a missing cell never equals its
    neighbours, so it forms a run of length 1 and breaks the runs around it. With runs of
    lengths :math:`l_1, \\dots, l_m` (:math:`\\sum l_r = k` items),
    ``longstr`` :math:`= \\max_r l_r` and ``avgstr`` :math:`= k / m`.
    Equivalent to ``careless::longstring(x, avg = TRUE)`` (careless 1.2.2) except that a
    row with every cell missing gets NaN here (R reports 1).

    References
    ----------
    Johnson, J. A. (2005). Ascertaining the validity of individual protocols from web-based
    personality inventories. *Journal of Research in Personality*, 39, 103-129.

    Yentes, R. D., & Wilhelm, F. (2023). careless: Procedures for computing indices of
    careless responding. R package 1.2.2.

    Examples
    --------
    >>> import pandas as pd
    >>> longstring(pd.DataFrame({"a": [1, 1], "b": [1, 2], "c": [1, 1], "d": [2, 2]}))
       longstr  avgstr
    0      3.0     2.0
    1      1.0     1.0
    """
    _, x = _item_matrix(data, items)
    longest, avg = _longstring_x(x, np.isnan(x).all(axis=1))
    return pd.DataFrame({"longstr": longest, "avgstr": avg}, index=data.index)


def _longstring_x(x: np.ndarray, empty: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Longest and average run per row of the item matrix ``x`` (see :func:`longstring`);
    ``empty`` marks the rows with every cell missing. In blocks of rows (:func:`_by_rows`)."""
    longest = np.empty(x.shape[0])
    avg = np.empty(x.shape[0])
    for rows, block in _by_rows(x):
        longest[rows], avg[rows] = _longstring_block(block, empty[rows])
    return longest, avg


def _longstring_block(x: np.ndarray, empty: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # a boundary between j-1 and j unless both are present and equal (NaN equals nothing)
    same = x[:, 1:] == x[:, :-1]
    run = np.ones(x.shape[0])
    longest = np.ones(x.shape[0])
    for j in range(same.shape[1]):
        run = np.where(same[:, j], run + 1.0, 1.0)
        np.maximum(longest, run, out=longest)
    n_runs = x.shape[1] - same.sum(axis=1)
    avg = x.shape[1] / n_runs
    longest[empty] = np.nan
    avg[empty] = np.nan
    return longest, avg


def irv(data: pd.DataFrame, *, items: Sequence[str] | None = None) -> pd.DataFrame:
    """Intra-individual response variability (IRV) per response.

    Parameters
    ----------
    data : DataFrame
        Wide item matrix, one row per response.
    items : sequence of str, optional
        Item columns (default: all columns).

    Returns
    -------
    DataFrame
        Index of ``data``; column ``irv``. NaN when fewer than two items were answered.

    Notes
    -----
    :math:`\\mathrm{IRV}_i = \\sqrt{\\sum_j (x_{ij} - \\bar x_i)^2 / (k_i - 1)}` over the
    :math:`k_i` answered items (R ``sd`` with ``na.rm = TRUE``, as ``careless::irv``).
    Very low values indicate straight-lining, very high values random answering.

    References
    ----------
    Dunn, A. M., Heggestad, E. D., Shanock, L. R., & Theilgard, N. (2018). Intra-individual
    response variability as an indicator of insufficient effort responding. *Journal of
    Business and Psychology*, 33(1), 105-121. doi:10.1007/s10869-016-9479-0
    """
    _, x = _item_matrix(data, items)
    return pd.DataFrame({"irv": _irv_x(x)}, index=data.index)


def _irv_x(x: np.ndarray) -> np.ndarray:
    """IRV per row of the item matrix ``x`` (see :func:`irv`), in blocks of rows."""
    out = np.empty(x.shape[0])
    for rows, block in _by_rows(x):
        out[rows] = _irv_block(block)
    return out


def _irv_block(x: np.ndarray) -> np.ndarray:
    missing = np.isnan(x)
    n = x.shape[1] - missing.sum(axis=1)
    d = np.where(missing, 0.0, x)
    with np.errstate(invalid="ignore", divide="ignore"):
        m = d.sum(axis=1) / n
        np.subtract(d, m[:, None], out=d)
        d[missing] = 0.0
        np.multiply(d, d, out=d)
        sd: np.ndarray = np.sqrt(d.sum(axis=1) / (n - 1))
    sd[n < 2] = np.nan
    return sd


def mahalanobis(
    data: pd.DataFrame,
    *,
    items: Sequence[str] | None = None,
    confidence: float = 0.99,
) -> pd.DataFrame:
    """Squared Mahalanobis distance per response, with the chi-square flag.

    Parameters
    ----------
    data : DataFrame
        Wide item matrix, one row per response.
    items : sequence of str, optional
        Item columns (default: all columns).
    confidence : float, default 0.99
        Quantile of :math:`\\chi^2_k` above which ``mahad_flag`` is set (careless default
        .99; .999 is the strict variant).

    Returns
    -------
    DataFrame
        Index of ``data``; columns ``mahad_d2`` (D², squared) and ``mahad_flag``.
        Rows with every item missing get NaN and ``False``.

    Raises
    ------
    ValueError
        If the pairwise covariance matrix is not estimable or computationally singular
        (reciprocal condition number below machine epsilon, as R's ``solve``).

    Notes
    -----
    As ``careless::mahad`` → ``psych::outlier``: :math:`S` = pairwise-complete covariance
    matrix (divisor n - 1), :math:`\\bar x` = item means over available values,
    :math:`D^2_i = (x_i - \\bar x)^\\top S^{-1} (x_i - \\bar x)` where a missing cell
    contributes a centred value of 0 (mean imputation). Flag if
    :math:`D^2_i > \\chi^2_{\\text{confidence}}(k)` with k = number of items (careless
    releases before 1.2.x used the number of rows by mistake).

    References
    ----------
    Meade, A. W., & Craig, S. B. (2012). Identifying careless responses in survey data.
    *Psychological Methods*, 17(3), 437-455. doi:10.1037/a0028085
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError("confidence must be in (0, 1)")
    cols, x = _item_matrix(data, items)
    empty = np.isnan(x).all(axis=1)
    d2 = _mahalanobis_x(x, empty, _pairwise(x[~empty] if empty.any() else x))
    cut = _chi2_quantile(confidence, len(cols))
    return pd.DataFrame(
        {"mahad_d2": d2, "mahad_flag": np.nan_to_num(d2, nan=-np.inf) > cut},
        index=data.index,
    )


def _chi2_quantile(q: float, df: int) -> float:
    """The ``q`` quantile of χ² with ``df`` degrees of freedom, as ``scipy.stats.chi2.ppf``
    computes it (``2 · gammaincinv(df/2, q)``), without importing ``scipy.stats``."""
    return float(2.0 * special.gammaincinv(df / 2.0, q))


def _mahalanobis_x(x: np.ndarray, empty: np.ndarray, moments: PairwiseMoments) -> np.ndarray:
    """D² per row of the item matrix ``x`` (see :func:`mahalanobis`); ``moments`` are the
    pairwise moments of the non-empty rows ``x[~empty]``. Raises ValueError as
    :func:`mahalanobis` does."""
    cov = moments.cov().to_numpy()
    if not np.all(np.isfinite(cov)):
        raise ValueError("the pairwise covariance matrix has undefined entries")
    # as R's solve(): refuse when the reciprocal 1-norm condition number is below eps
    if not np.linalg.cond(cov, 1) < 1.0 / np.finfo(float).eps:
        raise ValueError("the item covariance matrix is singular")
    inv = np.linalg.inv(cov)
    means = _column_means(x)
    d2 = np.empty(x.shape[0])
    for rows, block in _by_rows(x):
        centred = block - means
        centred[np.isnan(centred)] = 0.0
        d2[rows] = np.einsum("ij,ij->i", centred @ inv, centred)
    d2[empty] = np.nan
    return d2


def _column_means(x: np.ndarray) -> np.ndarray:
    """Mean of the present values of each column of ``x`` (NaN for a column without any),
    summed block by block (:func:`_by_rows`): the same digits whatever ``x``'s layout."""
    sums = np.zeros(x.shape[1])
    counts = np.zeros(x.shape[1])
    for _, block in _by_rows(x):
        present = ~np.isnan(block)
        sums += np.where(present, block, 0.0).sum(axis=0)
        counts += present.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        means: np.ndarray = sums / counts
    return means


def psychsyn_critval(
    data: pd.DataFrame, *, items: Sequence[str] | None = None, anto: bool = False
) -> pd.DataFrame:
    """List all item pairs with their sample correlation, to choose ``critval``.

    Parameters
    ----------
    data : DataFrame
        Wide item matrix.
    items : sequence of str, optional
        Item columns (default: all columns).
    anto : bool, default False
        Sort ascending (most negative first) for antonyms instead of descending.

    Returns
    -------
    DataFrame
        Columns ``item1``, ``item2``, ``r`` (pairwise-complete Pearson), sorted by ``r``.

    References
    ----------
    Meade, A. W., & Craig, S. B. (2012). Identifying careless responses in survey data.
    *Psychological Methods*, 17(3), 437-455.
    """
    cols, x = _item_matrix(data, items)
    r = _pairwise(x).corr().to_numpy()
    ii, jj = np.tril_indices(len(cols), k=-1)
    out = pd.DataFrame(
        {"item1": [cols[i] for i in ii], "item2": [cols[j] for j in jj], "r": r[ii, jj]}
    )
    return out.sort_values("r", ascending=anto, kind="stable").reset_index(drop=True)


def psychsyn(
    data: pd.DataFrame,
    *,
    items: Sequence[str] | None = None,
    critval: float = 0.60,
    anto: bool = False,
) -> pd.DataFrame:
    """Psychometric synonym (or antonym) score per response.

    Parameters
    ----------
    data : DataFrame
        Wide item matrix.
    items : sequence of str, optional
        Item columns (default: all columns).
    critval : float, default 0.60
        Item pairs with sample :math:`r > |critval|` are synonyms (antonyms:
        :math:`r < -|critval|`).
    anto : bool, default False
        Compute the psychometric antonym score instead.

    Returns
    -------
    DataFrame
        Index of ``data``; columns ``psychsyn`` (within-person r; low = careless) and
        ``psychsyn_pairs`` (number of pairs with both answers). ``psychsyn`` is NaN when
        no more than two pairs are complete, when either side has zero variance, or when
        the sample contains no pair beyond ``critval`` (then ``psychsyn_pairs`` is 0;
        careless stops with an error instead).

    Notes
    -----
    1. :math:`R` = pairwise-complete Pearson correlations of the items; the pairs are
       the entries below the diagonal with :math:`R_{ab} > c` (or :math:`< -c`).
    2. For each response, the Pearson correlation between the answers to the first and
       to the second members of the pairs that are both answered, if more than two are.

    Matches ``careless::psychsyn(x, critval, anto, resample_na = FALSE)``. The careless
    default ``resample_na = TRUE`` re-shuffles the members of each pair (randomly, up to
    10 times) when the correlation is undefined because one side is constant; that makes
    the index random, so it is **not** done here: such responses get NaN.

    References
    ----------
    Meade, A. W., & Craig, S. B. (2012). Identifying careless responses in survey data.
    *Psychological Methods*, 17(3), 437-455. doi:10.1037/a0028085
    """
    if not 0.0 <= abs(critval) < 1.0:
        raise ValueError("critval must be in [0, 1) in absolute value")
    _, x = _item_matrix(data, items)
    rr, n = _psychsyn_x(x, _pairwise(x), critval, anto)
    return pd.DataFrame({"psychsyn": rr, "psychsyn_pairs": n}, index=data.index)


def _psychsyn_x(
    x: np.ndarray, moments: PairwiseMoments, critval: float, anto: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Psychometric synonym score and complete pairs per row of the item matrix ``x`` (see
    :func:`psychsyn`); ``moments`` are the pairwise moments of every row of ``x`` (rows
    with every cell missing add nothing to them)."""
    c = abs(critval)
    r = moments.corr().to_numpy()
    ii, jj = np.tril_indices(x.shape[1], k=-1)
    vals = r[ii, jj]
    keep = vals < -c if anto else vals > c
    if not keep.any():
        return np.full(x.shape[0], np.nan), np.zeros(x.shape[0], int)
    rr, n = _rowwise_pearson_columns(x, ii[keep], jj[keep])
    rr[n <= 2] = np.nan
    return rr, n


def evenodd(
    data: pd.DataFrame,
    *,
    scales: Mapping[str, Sequence[str]],
    reverse_keyed: Sequence[str] = (),
    item_range: tuple[float, float] | Mapping[str, tuple[float, float]] | None = None,
) -> pd.DataFrame:
    """Even-odd consistency per response (careless >= 1.2.1 sign: higher = more careless).

    Parameters
    ----------
    data : DataFrame
        Wide item matrix.
    scales : mapping of str to sequence of str
        At least two unidimensional scales, each with its items in questionnaire order
        (even/odd refers to the position within the scale).
    reverse_keyed : sequence of str, optional
        Items to reverse-key before computing, as ``lo + hi - x``.
    item_range : (lo, hi) or mapping item -> (lo, hi), optional
        Declared response range, required when ``reverse_keyed`` is given.

    Returns
    -------
    DataFrame
        Index of ``data``; columns ``evenodd`` and ``evenodd_pairs`` (number of scales with
        both an even and an odd mean). ``evenodd`` is NaN with fewer than two such scales or
        zero variance in the even or odd means.

    Notes
    -----
    For response i and scale s, :math:`e_{is}` / :math:`o_{is}` = mean of the answered items
    in even / odd positions (1-based). With :math:`r_i` = Pearson r of :math:`(e_{is})_s`
    and :math:`(o_{is})_s` over scales where both exist, the Spearman-Brown value
    :math:`\\max(-1, 2r_i / (1 + r_i))` is reported **negated**:
    ``evenodd`` :math:`= -\\max(-1, 2r/(1+r))`, as ``careless::evenodd`` since 1.2.1.
    Values near -1 are consistent; the usual flag is ``evenodd > -0.30``.

    References
    ----------
    Johnson, J. A. (2005). Ascertaining the validity of individual protocols from web-based
    personality inventories. *Journal of Research in Personality*, 39, 103-129.
    doi:10.1016/j.jrp.2004.09.009
    """
    if not isinstance(scales, Mapping):
        raise TypeError("scales must be a mapping of scale name to item names")
    if len(scales) < 2:
        raise ValueError("even-odd consistency needs at least two scales")
    all_items: list[str] = []
    for name, its in scales.items():
        if isinstance(its, str) or len(its) == 0:
            raise ValueError(f"scale {name!r} must be a non-empty sequence of item names")
        all_items.extend(its)
    if len(set(all_items)) != len(all_items):
        raise ValueError("an item belongs to more than one scale")
    cols, x = _item_matrix(data, all_items)
    x = _reverse(x, cols, reverse_keyed, item_range)
    even = np.empty((x.shape[0], len(scales)))
    odd = np.empty_like(even)
    start = 0
    for s, its in enumerate(scales.values()):
        block = x[:, start : start + len(its)]
        start += len(its)
        for target, part in ((even, block[:, 1::2]), (odd, block[:, 0::2])):
            present = ~np.isnan(part)
            cnt = present.sum(axis=1)
            tot = np.where(present, part, 0.0).sum(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                target[:, s] = np.where(cnt > 0, tot / np.maximum(cnt, 1), np.nan)
    r, n = _rowwise_pearson(even, odd)
    with np.errstate(invalid="ignore", divide="ignore"):
        sb = 2.0 * r / (1.0 + r)
    sb = np.where(np.isnan(r), np.nan, np.maximum(sb, -1.0))
    return pd.DataFrame({"evenodd": 0.0 - sb, "evenodd_pairs": n}, index=data.index)


def page_speed(
    timings: pd.DataFrame,
    *,
    response: str = "response_id",
    page: str = "page",
    seconds: str = "seconds",
    n_items: str = "n_items",
    seconds_per_item: float = 2.0,
) -> pd.DataFrame:
    """Answering speed per response from page timings (the 2 s/item page-time rule).

    Parameters
    ----------
    timings : DataFrame
        One row per (response, page): time spent on the page in seconds and the number of
        items on it.
    response, page, seconds, n_items : str
        Column names.
    seconds_per_item : float, default 2.0
        A page is *fast* when ``seconds / n_items < seconds_per_item``.

    Returns
    -------
    DataFrame
        Index = response ids; columns ``n_pages``, ``n_items``, ``total_seconds``,
        ``seconds_per_item`` (total seconds / total items), ``n_fast_pages`` (the page-time
        index) and ``share_fast_pages``.

    Raises
    ------
    ValueError
        On negative times, non-positive item counts or a duplicated (response, page).

    Notes
    -----
    Page-time index of Huang et al. (2012) as validated by Bowling et al. (2023): the
    number of pages with :math:`t_p / k_p < 2` s. Page time is better evidence than the
    total duration; a total duration alone should not be used to flag.

    References
    ----------
    Huang, J. L., Curran, P. G., Keeney, J., Poposki, E. M., & DeShon, R. P. (2012).
    Detecting and deterring insufficient effort responding to surveys. *Journal of
    Business and Psychology*, 27, 99-114.

    Bowling, N. A., et al. (2023). The quick and the careless: the construct validity of
    page time as a measure of insufficient effort responding to surveys. *Organizational
    Research Methods*, 26(2), 323-352. doi:10.1177/10944281211056520
    """
    require_frame(timings, "timings")
    require_columns(timings, [response, page, seconds, n_items], "timings")
    if seconds_per_item <= 0:
        raise ValueError("seconds_per_item must be positive")
    if timings.duplicated([response, page]).any():
        raise ValueError("timings has more than one row for some (response, page)")
    sec = pd.to_numeric(timings[seconds], errors="raise").astype(float)
    k = pd.to_numeric(timings[n_items], errors="raise").astype(float)
    if (sec < 0).any():
        raise ValueError("page times must be non-negative")
    if (k <= 0).any() or k.isna().any():
        raise ValueError("n_items must be a positive count on every page")
    # one row per response (sorted, as groupby), its pages in their order in ``timings``
    codes, responses = pd.factorize(timings[response], sort=True)
    known = codes >= 0  # a missing response id belongs to no response
    codes, sec_v, k_v = codes[known], sec.to_numpy()[known], k.to_numpy()[known]
    order = np.argsort(codes, kind="stable")
    codes = codes[order]
    starts = np.searchsorted(codes, codes, side="left")
    position = np.arange(codes.size) - starts
    width = int(position.max()) + 1 if codes.size else 0
    sec_m = np.full((len(responses), width), np.nan)
    k_m = np.full((len(responses), width), np.nan)
    sec_m[codes, position] = sec_v[order]
    k_m[codes, position] = k_v[order]
    speed = _page_speed_x(sec_m, k_m, seconds_per_item)
    out = pd.DataFrame(
        {
            "n_pages": speed["n_pages"],
            "n_items": speed["n_items"],
            "total_seconds": speed["total_seconds"],
            "seconds_per_item": speed["seconds_per_item"],
            "n_fast_pages": speed["n_fast_pages"],
            "share_fast_pages": speed["share_fast_pages"],
        },
        index=pd.Index(responses, name=response),
    )
    return out


def _page_speed_x(
    seconds: np.ndarray, n_items: np.ndarray, seconds_per_item: float
) -> dict[str, np.ndarray]:
    """The columns of :func:`page_speed` from a response × page layout: ``seconds`` and
    ``n_items`` of each page (``n_items`` NaN where the response has no such page row,
    ``seconds`` NaN where the row has no time). Sums are compensated (Kahan), page by
    page in their order."""
    present = ~np.isnan(n_items)
    timed = ~np.isnan(seconds)
    n_pages = present.sum(axis=1)
    total = _compensated_row_sums(seconds)
    total[~timed.any(axis=1)] = np.nan  # min_count=1: no time at all is missing, not 0
    items = _compensated_row_sums(n_items)
    with np.errstate(invalid="ignore", divide="ignore"):
        n_fast = ((seconds / n_items < seconds_per_item) & timed).sum(axis=1)
        return {
            "n_pages": n_pages,
            "n_items": items,
            "total_seconds": total,
            "seconds_per_item": total / items,
            "n_fast_pages": n_fast,
            "share_fast_pages": n_fast / n_pages,
        }


def _compensated_row_sums(values: np.ndarray) -> np.ndarray:
    """Row sums skipping NaN, with Kahan compensation, column by column.

    (Before, ``page_speed`` summed with pandas' grouped ``sum``, which is compensated too
    but adds a group's rows in an order of its own: the totals can differ from those in
    the last digit, never a count or a flag.)"""
    total = np.zeros(values.shape[0])
    compensation = np.zeros(values.shape[0])
    for j in range(values.shape[1]):
        value = values[:, j]
        ok = ~np.isnan(value)
        y = value - compensation
        t = total + y
        c = (t - total) - y
        c[np.isnan(c)] = 0.0  # an infinite value: keep the sum infinite, not NaN
        compensation = np.where(ok, c, compensation)
        total = np.where(ok, t, total)
    return total


def device_bursts(
    submissions: pd.DataFrame,
    *,
    response: str = "response_id",
    device: str = "device_id",
    time: str = "answered_at",
    window_seconds: float = 120.0,
    min_count: int = 5,
) -> pd.DataFrame:
    """Detect bursts of submissions from one device (e.g. one person tapping a kiosk).

    Parameters
    ----------
    submissions : DataFrame
        One row per response with its device id (missing for QR/web responses) and its
        submission time (datetime-like or seconds).
    response, device, time : str
        Column names.
    window_seconds : float, default 120
        Length W of the sliding time window.
    min_count : int, default 5
        A burst is ``min_count`` or more submissions from the same device within W seconds.

    Returns
    -------
    DataFrame
        Index = response ids; columns ``burst_size`` (largest number of same-device
        submissions in any window of length W that contains this one; NaN without a
        device) and ``in_burst`` (``burst_size >= min_count``).

    Notes
    -----
    Definition used by this project (not from a published source): with a device's
    submission times sorted, :math:`t_1 \\le \\dots \\le t_m`, let
    :math:`c_a = \\#\\{b : t_a \\le t_b \\le t_a + W\\}` be the size of the window opened at
    :math:`t_a`. Response b's burst size is :math:`\\max\\{c_a : a \\le b,\\ t_b - t_a \\le
    W\\}`. The defaults (5 in 2 minutes, i.e. at most 24 s per questionnaire including the
    hand-over to the next visitor) are deliberately strict; tune them per instrument length.
    A burst is one piece of evidence, combined with others by :func:`screen_responses`.
    """
    require_frame(submissions, "submissions")
    require_columns(submissions, [response, device, time], "submissions")
    if window_seconds <= 0:
        raise ValueError("window_seconds must be positive")
    if min_count < 2:
        raise ValueError("min_count must be at least 2")
    if submissions[response].duplicated().any():
        raise ValueError("submissions has duplicated response ids")
    t = submissions[time]
    if pd.api.types.is_datetime64_any_dtype(t):
        tt = t.dt.tz_localize(None) if getattr(t.dt, "tz", None) is not None else t
        secs = (tt - pd.Timestamp("1970-01-01")).dt.total_seconds().to_numpy(dtype=float)
    else:
        secs = pd.to_numeric(t, errors="raise").to_numpy(dtype=float)
    dev = submissions[device]
    size = np.full(len(submissions), np.nan)
    has = dev.notna().to_numpy() & ~np.isnan(secs)
    idx = np.flatnonzero(has)
    if idx.size:
        codes, _ = pd.factorize(dev.to_numpy()[idx])
        for code in np.unique(codes):
            rows = idx[codes == code]
            order = np.argsort(secs[rows], kind="stable")
            rows = rows[order]
            ts = secs[rows]
            ends = np.searchsorted(ts, ts + window_seconds, side="right")
            counts = (ends - np.arange(ts.size)).astype(float)
            starts = np.searchsorted(ts, ts - window_seconds, side="left")
            size[rows] = _range_max(counts, starts, np.arange(ts.size))
    out = pd.DataFrame(
        {"burst_size": size, "in_burst": np.nan_to_num(size, nan=0.0) >= min_count},
        index=pd.Index(submissions[response].to_numpy(), name=response),
    )
    return out


def _range_max(values: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Maximum of ``values[lo[i] : hi[i] + 1]`` for every i (sparse table, vectorised)."""
    table = [values]
    width = 1
    while 2 * width <= values.size:
        prev = table[-1]
        table.append(np.maximum(prev[:-width], prev[width:]))
        width *= 2
    length = hi - lo + 1
    level = np.floor(np.log2(length)).astype(int)
    out = np.empty(values.size)
    for k in np.unique(level):
        sel = level == k
        t = table[k]
        out[sel] = np.maximum(t[lo[sel]], t[hi[sel] - (1 << k) + 1])
    return out


# --------------------------------------------------------------------------- policy


@dataclass(frozen=True, slots=True)
class ScreeningPolicy:
    """Cut-offs for the careless-responding flags (see :func:`screen_responses`).

    Every threshold can be ``None`` to report the index without flagging on it.
    """

    #: flag ``longstr >= longstring_min``; None -> half the items, rounded up
    longstring_min: int | None = None
    #: flag ``irv <= irv_max``; None -> no flag (no source-backed absolute cut-off)
    irv_max: float | None = None
    #: chi-square quantile for the Mahalanobis flag (careless default)
    mahad_confidence: float | None = 0.99
    #: critical item correlation defining psychometric synonyms (careless default)
    psychsyn_critval: float = 0.60
    #: flag ``psychsyn < psychsyn_max`` (negative within-person r: synonyms answered oppositely)
    psychsyn_max: float | None = 0.0
    #: flag ``evenodd > evenodd_min`` (consistency below .30, Johnson 2005)
    evenodd_min: float | None = -0.30
    #: page-time rule: a page is fast below this many seconds per item
    seconds_per_item: float = 2.0
    #: flag when at least this many pages were fast
    min_fast_pages: int | None = 1
    #: device-burst window and size (see :func:`device_bursts`)
    burst_window_seconds: float = 120.0
    burst_min_count: int | None = 5
    #: a response is ``flagged`` when at least this many indices flag it (Curran 2016)
    min_flags: int = 2

    def __post_init__(self) -> None:
        if self.min_flags < 1:
            raise ValueError("min_flags must be at least 1")
        if self.mahad_confidence is not None and not 0 < self.mahad_confidence < 1:
            raise ValueError("mahad_confidence must be in (0, 1)")
        if self.longstring_min is not None and self.longstring_min < 2:
            raise ValueError("longstring_min must be at least 2")


def screen_responses(
    data: pd.DataFrame,
    *,
    items: Sequence[str] | None = None,
    scales: Mapping[str, Sequence[str]] | None = None,
    reverse_keyed: Sequence[str] = (),
    item_range: tuple[float, float] | Mapping[str, tuple[float, float]] | None = None,
    timings: pd.DataFrame | None = None,
    submissions: pd.DataFrame | None = None,
    response: str = "response_id",
    policy: ScreeningPolicy | None = None,
) -> pd.DataFrame:
    """Compute every careless-responding index and flag responses (never drop them).

    Parameters
    ----------
    data : DataFrame
        Wide item matrix of raw answers, one row per response, index = response id (use
        :func:`items_wide` for long answers).
    items : sequence of str, optional
        Item columns in questionnaire order (default: all columns of ``data``).
    scales : mapping, optional
        Scales for even-odd consistency (>= 2 scales); without it even-odd is skipped.
    reverse_keyed, item_range
        Reverse keying for even-odd (see :func:`evenodd`); the other indices use raw answers.
    timings : DataFrame, optional
        Page timings for :func:`page_speed` (columns ``response``, ``page``, ``seconds``,
        ``n_items``).
    submissions : DataFrame, optional
        Device submissions for :func:`device_bursts` (columns ``response``,
        ``device_id``, ``answered_at``).
    response : str, default "response_id"
        Name of the response id column in ``timings`` and ``submissions``.
    policy : ScreeningPolicy, optional
        Cut-offs; defaults to ``ScreeningPolicy()``.

    Returns
    -------
    DataFrame
        Index of ``data``. Index columns ``longstr``, ``avgstr``, ``irv``, ``mahad_d2``,
        ``psychsyn``, ``psychsyn_pairs`` and, when available, ``evenodd``,
        ``n_fast_pages``, ``seconds_per_item``, ``burst_size``; one boolean ``*_flag``
        column per index evaluated (``longstr_flag``, ``irv_flag``, ``mahad_flag``,
        ``psychsyn_flag``, ``evenodd_flag``, ``speed_flag``, ``burst_flag``); ``n_flags``
        and ``flagged`` (``n_flags >= policy.min_flags``). A missing index value never
        flags; ``mahad_d2`` is all missing when the item covariance matrix is singular
        (e.g. fewer responses than items).

    Notes
    -----
    Multiple-hurdle policy (Curran 2016): no single index is trusted alone; a response is
    flagged when at least ``min_flags`` (default 2) independent indices flag it. Default
    cut-offs: longstring >= k/2; Mahalanobis :math:`D^2 > \\chi^2_{.99}(k)`; psychometric
    synonyms (critval .60) r < 0; even-odd > -.30; >= 1 page under 2 s/item;
    >= 5 submissions from one device within 120 s. The IRV is reported but not flagged
    unless ``irv_max`` is set.

    References
    ----------
    Curran, P. G. (2016). Methods for the detection of carelessly invalid responses in
    survey data. *Journal of Experimental Social Psychology*, 66, 4-19.
    doi:10.1016/j.jesp.2015.07.006

    Meade, A. W., & Craig, S. B. (2012). Identifying careless responses in survey data.
    *Psychological Methods*, 17(3), 437-455.
    """
    pol = ScreeningPolicy() if policy is None else policy
    if not isinstance(pol, ScreeningPolicy):
        raise TypeError("policy must be a ScreeningPolicy")
    cols, x = _item_matrix(data, items)
    values = _response_indices(x, pol)
    out = pd.DataFrame(values, index=data.index)
    if scales is not None:
        eo = evenodd(data, scales=scales, reverse_keyed=reverse_keyed, item_range=item_range)
        out["evenodd"] = eo["evenodd"]
        values["evenodd"] = out["evenodd"].to_numpy(dtype=float)
    if timings is not None:
        sp = page_speed(timings, response=response, seconds_per_item=pol.seconds_per_item)
        sp = sp.reindex(data.index)
        out["n_fast_pages"] = sp["n_fast_pages"]
        out["seconds_per_item"] = sp["seconds_per_item"]
        values["n_fast_pages"] = out["n_fast_pages"].to_numpy(dtype=float)
    if submissions is not None:
        bursts = device_bursts(
            submissions,
            response=response,
            window_seconds=pol.burst_window_seconds,
            min_count=pol.burst_min_count or 2,
        ).reindex(data.index)
        out["burst_size"] = bursts["burst_size"]
        values["burst_size"] = out["burst_size"].to_numpy(dtype=float)
    for name, flag in _flags(values, pol, len(cols)).items():
        out[name] = flag
    return out


def screen_matrix(
    x: np.ndarray,
    *,
    page_seconds: np.ndarray | None = None,
    page_items: Sequence[float] | np.ndarray | None = None,
    policy: ScreeningPolicy | None = None,
) -> dict[str, np.ndarray]:
    """:func:`screen_responses` on an item matrix: the same indices and flags, as arrays.

    For a caller that already holds the answers as numbers (the database stream of a
    report run): no frame is built and no column converted. The statistics are those of
    :func:`screen_responses`, computed by the same functions.

    Parameters
    ----------
    x : ndarray
        n × k float matrix of raw answers (NaN = missing), items in questionnaire order.
    page_seconds : ndarray, optional
        n × p seconds spent on each of p pages (NaN: no time for that page); with
        ``page_items``, the page-speed index (as :func:`page_speed` on the rows of the
        timed pages).
    page_items : sequence of float, optional
        Number of items on each of the p pages (positive).
    policy : ScreeningPolicy, optional
        Cut-offs; defaults to ``ScreeningPolicy()``.

    Returns
    -------
    dict of str to ndarray
        The columns of :func:`screen_responses` without scales or submissions, in its
        order: ``longstr``, ``avgstr``, ``irv``, ``mahad_d2``, ``psychsyn``,
        ``psychsyn_pairs``, with page times ``n_fast_pages`` and ``seconds_per_item``
        (float; NaN for a response without any page time), then the flags, ``n_flags``
        and ``flagged``.
    """
    pol = ScreeningPolicy() if policy is None else policy
    if not isinstance(pol, ScreeningPolicy):
        raise TypeError("policy must be a ScreeningPolicy")
    matrix = np.asarray(x)
    if matrix.ndim != 2 or matrix.shape[1] < 2:
        raise ValueError("x must be an n × k matrix with at least two items")
    if not np.issubdtype(matrix.dtype, np.number):
        raise TypeError("x must be numeric")
    # any layout: the indices read it in column-major blocks of rows (_by_rows), as they
    # read a frame's matrix in screen_responses
    matrix = np.asarray(matrix, dtype=float)
    values = _response_indices(matrix, pol)
    if (page_seconds is None) != (page_items is None):
        raise ValueError("page_seconds and page_items go together")
    if page_seconds is not None and page_items is not None:
        sec = np.asarray(page_seconds, dtype=float)
        sizes = np.asarray(page_items, dtype=float).reshape(-1)
        if sec.ndim != 2 or sec.shape != (matrix.shape[0], sizes.size):
            raise ValueError("page_seconds must be n × (number of pages)")
        if (sec < 0).any():
            raise ValueError("page times must be non-negative")
        if not (sizes > 0).all():
            raise ValueError("page_items must be positive counts")
        if pol.seconds_per_item <= 0:
            raise ValueError("seconds_per_item must be positive")
        # a page without a time has no timing row (as a response's timings are stored)
        speed = _page_speed_x(sec, np.where(np.isnan(sec), np.nan, sizes), pol.seconds_per_item)
        untimed = speed["n_pages"] == 0
        fast = speed["n_fast_pages"].astype(float)
        fast[untimed] = np.nan
        values["n_fast_pages"] = fast
        values["seconds_per_item"] = speed["seconds_per_item"]
    values.update(_flags(values, pol, matrix.shape[1]))
    return values


def _response_indices(x: np.ndarray, pol: ScreeningPolicy) -> dict[str, np.ndarray]:
    """Longstring, IRV, Mahalanobis D² and psychometric synonyms of every row of ``x``,
    with one pass over the rows for the item moments both D² and the synonyms need."""
    empty = np.isnan(x).all(axis=1)
    longest, avg = _longstring_x(x, empty)
    # the moments of every row; rows with every cell missing add nothing to them, but
    # D² takes the moments of the other rows alone, as mahalanobis() does
    moments = _pairwise(x)
    try:
        d2 = _mahalanobis_x(x, empty, _pairwise(x[~empty]) if empty.any() else moments)
    except ValueError:
        # too few responses (or collinear items) for an invertible covariance matrix:
        # report the index as missing rather than fail the whole screening
        d2 = np.full(x.shape[0], np.nan)
    synonym, pairs = _psychsyn_x(x, moments, pol.psychsyn_critval, False)
    return {
        "longstr": longest,
        "avgstr": avg,
        "irv": _irv_x(x),
        "mahad_d2": d2,
        "psychsyn": synonym,
        "psychsyn_pairs": pairs,
    }


def _flags(values: Mapping[str, np.ndarray], pol: ScreeningPolicy, k: int) -> dict[str, np.ndarray]:
    """The per-index flags of the indices in ``values``, ``n_flags`` and ``flagged``.
    A missing index never flags (comparisons with NaN are false)."""
    flags: dict[str, np.ndarray] = {}
    with np.errstate(invalid="ignore"):
        ls_min = math.ceil(k / 2) if pol.longstring_min is None else pol.longstring_min
        flags["longstr_flag"] = values["longstr"] >= ls_min
        if pol.irv_max is not None:
            flags["irv_flag"] = values["irv"] <= pol.irv_max
        if pol.mahad_confidence is not None:
            flags["mahad_flag"] = values["mahad_d2"] > _chi2_quantile(pol.mahad_confidence, k)
        if pol.psychsyn_max is not None:
            flags["psychsyn_flag"] = values["psychsyn"] < pol.psychsyn_max
        if "evenodd" in values and pol.evenodd_min is not None:
            flags["evenodd_flag"] = values["evenodd"] > pol.evenodd_min
        if "n_fast_pages" in values and pol.min_fast_pages is not None:
            flags["speed_flag"] = values["n_fast_pages"] >= pol.min_fast_pages
        if "burst_size" in values and pol.burst_min_count is not None:
            flags["burst_flag"] = values["burst_size"] >= pol.burst_min_count
    n_flags = np.asarray(np.sum(list(flags.values()), axis=0, dtype=np.int64))
    flagged: np.ndarray = n_flags >= pol.min_flags
    return {**flags, "n_flags": n_flags, "flagged": flagged}


def with_and_without(
    fn: Callable[..., Any],
    data: pd.DataFrame,
    flags: pd.DataFrame | pd.Series,
    *,
    response: str | None = None,
    flag: str = "flagged",
    **kwargs: Any,
) -> pd.DataFrame:
    """Compute a statistic on all responses and again without the flagged ones.

    Parameters
    ----------
    fn : callable
        ``fn(data, **kwargs)`` returning a DataFrame, Series, scalar or an object with
        ``.to_frame()`` (e.g. a result dataclass).
    data : DataFrame
        Input to ``fn``.
    flags : DataFrame or Series
        Output of :func:`screen_responses` (column ``flag``) or a boolean Series, indexed by
        response id.
    response : str, optional
        Column of ``data`` holding the response id (for long data). Default: match on the
        index of ``data``.
    flag : str, default "flagged"
        Column of ``flags`` to use when ``flags`` is a DataFrame.
    **kwargs
        Passed to ``fn``.

    Returns
    -------
    DataFrame
        The two results stacked, with leading columns ``sample`` (``"all"`` /
        ``"unflagged"``) and ``n_excluded`` (responses removed from ``data``).
    """
    if not callable(fn):
        raise TypeError("fn must be callable")
    require_frame(data)
    if isinstance(flags, pd.DataFrame):
        require_columns(flags, [flag], "flags")
        mask = flags[flag]
    elif isinstance(flags, pd.Series):
        mask = flags
    else:
        raise TypeError("flags must be a DataFrame or a boolean Series")
    bad = set(mask.index[mask.fillna(False).astype(bool).to_numpy()])
    if response is None:
        keys = data.index
    else:
        require_columns(data, [response])
        keys = pd.Index(data[response])
    drop = keys.isin(list(bad))
    pieces: list[pd.DataFrame] = []
    for label, subset, n_ex in (("all", data, 0), ("unflagged", data.loc[~drop], int(drop.sum()))):
        res = fn(subset, **kwargs)
        if hasattr(res, "to_frame") and not isinstance(res, pd.Series | pd.DataFrame):
            frame = res.to_frame()
        elif isinstance(res, pd.Series):
            frame = res.to_frame().T.reset_index(drop=True)
        elif isinstance(res, pd.DataFrame):
            frame = res.reset_index()
            if "index" in frame.columns and frame["index"].equals(pd.Series(range(len(frame)))):
                frame = frame.drop(columns="index")
        else:
            frame = pd.DataFrame({"value": [res]})
        frame = frame.copy()
        frame.insert(0, "n_excluded", n_ex)
        frame.insert(0, "sample", label)
        pieces.append(frame)
    return pd.concat(pieces, ignore_index=True)
