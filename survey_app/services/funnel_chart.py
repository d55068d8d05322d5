"""Server-rendered charts of a report run (SVG, matplotlib's Agg backend, no display).

The funnel plot of the dashboard: each library's main index against its number of
responses, with the 95 % and 99.8 % control limits of :mod:`analysis.funnel` around the
regional value. Drawn to be read in black and white: limits differ by line style (solid
centre, dashed 95 %, dotted 99.8 %) and libraries by marker shape (circle inside the
limits, triangle outside 95 %, square outside 99.8 %). Each chart carries its title, and
:class:`FunnelChart` gives the numbers behind it for the page's text alternative.

Charts are cached per run, scope and filter in the process (a run never changes once done).
"""

from __future__ import annotations

import math
import textwrap
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import pandas as pd

import analysis
from survey_app.services import chart_svg
from survey_app.services import dashboard as dashboards

__all__ = ["FunnelChart", "FunnelPoint", "funnel_chart", "funnel_svg"]

#: indicator families drawn as proportions (binomial funnel); the others as means
_PROPORTIONS = frozenset({"share_satisfied"})
#: charts kept in memory (they are a few tens of kB each)
_CACHE_SIZE = 64
_cache: OrderedDict[tuple[object, ...], FunnelChart] = OrderedDict()
_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class FunnelPoint:
    """One library on the funnel plot."""

    code: str
    name: str
    n: int
    value: float
    lower_95: float
    upper_95: float
    lower_998: float
    upper_998: float
    #: where the library is: its system and address (tells same-named libraries apart)
    place: str = ""

    @property
    def position(self) -> str:
        """``inside``, ``outside_95`` or ``outside_998`` (beyond the outer limits)."""
        if not self.lower_998 <= self.value <= self.upper_998:
            return "outside_998"
        if not self.lower_95 <= self.value <= self.upper_95:
            return "outside_95"
        return "inside"


@dataclass(frozen=True, slots=True)
class FunnelChart:
    """A funnel plot and what it shows (or why it cannot be drawn)."""

    title: str
    #: why there is no plot (already translated); None when there is one
    reason: str | None
    #: the centre line (regional value) and the libraries drawn
    target: float | None
    points: tuple[FunnelPoint, ...]
    #: the fitted limits (None when there is no plot)
    fit: analysis.FunnelResult | None = None

    def outside(self, position: str) -> list[FunnelPoint]:
        """The libraries at this position (``outside_95``, ``outside_998``)."""
        return [p for p in self.points if p.position == position]


def _frame(view: dashboards.Dashboard, proportion: bool) -> pd.DataFrame:
    rows = []
    for row in view.rows:
        if row.estimate is None or row.n < 1:
            continue
        record: dict[str, object] = {
            "library_id": row.library_id,
            "code": row.code,
            "name": row.name,
            "place": ", ".join(part for part in (row.system, row.address) if part),
            "n": row.n,
            "value": row.estimate,
        }
        if proportion:
            record["successes"] = round(row.estimate * row.n)
        else:
            if row.ci_low is None or row.ci_high is None or row.n < 2:
                continue
            se = float(analysis.se_from_interval(row.ci_low, row.ci_high)[0])
            if not math.isfinite(se):
                continue
            record["mean"] = row.estimate
            record["var"] = (se * math.sqrt(row.n)) ** 2
        rows.append(record)
    return pd.DataFrame(rows)


def funnel_chart(view: dashboards.Dashboard, *, title: str, reasons: dict[str, str]) -> FunnelChart:
    """The funnel plot of a dashboard's main index over every library its filters keep.

    ``reasons`` gives the translated reasons for no plot (``no_run``, ``too_few``,
    ``no_interval``). Nothing is drawn here (the page needs only the numbers):
    :func:`funnel_svg` draws. The dashboard has already applied the caller's scope.
    """
    run = view.state.shown
    if run is None or not view.indicator:
        return FunnelChart(title, reasons["no_run"], None, ())
    key = (run.id, view.shown_indicator, title, tuple(row.library_id for row in view.rows))
    with _lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
    proportion = view.indicator_family in _PROPORTIONS
    frame = _frame(view, proportion)
    if len(frame) < 3:
        chart = FunnelChart(title, reasons["too_few"], None, ())
    else:
        try:
            if proportion:
                result = analysis.funnel_proportions(frame)
            else:
                result = analysis.funnel_means(frame)
        except ValueError:
            chart = FunnelChart(title, reasons["no_interval"], None, ())
        else:
            chart = _fitted(title, frame, result)
    with _lock:
        _cache[key] = chart
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return chart


def _fitted(title: str, frame: pd.DataFrame, result: analysis.FunnelResult) -> FunnelChart:
    table = result.to_frame()
    points = tuple(
        FunnelPoint(
            code=str(code),
            name=str(name),
            n=int(n),
            value=float(value),
            lower_95=float(lo95),
            upper_95=float(hi95),
            lower_998=float(lo998),
            upper_998=float(hi998),
            place=str(place),
        )
        for code, name, place, n, value, lo95, hi95, lo998, hi998 in zip(
            frame["code"],
            frame["name"],
            frame["place"],
            frame["n"],
            table["value"],
            table["lower_95"],
            table["upper_95"],
            table["lower_998"],
            table["upper_998"],
            strict=True,
        )
    )
    return FunnelChart(title, None, float(result.target), points, result)


_svg_cache: OrderedDict[tuple[object, ...], bytes] = OrderedDict()


def funnel_svg(chart: FunnelChart, labels: dict[str, str]) -> bytes | None:
    """Draw a fitted funnel plot as an SVG document (None when there is nothing to draw).

    ``labels`` gives the translated axis and legend texts (``x``, ``y``, ``centre``,
    ``limit95``, ``limit998``, ``inside``, ``outside95``, ``outside998``).
    """
    result = chart.fit
    if result is None or not chart.points:
        return None
    key = (chart.title, chart.target, chart.points, tuple(sorted(labels.items())))
    with _lock:
        found = _svg_cache.get(key)
        if found is not None:
            return found
    with chart_svg.drawing():
        svg = _draw(chart, result, labels)
    with _lock:
        _svg_cache[key] = svg
        while len(_svg_cache) > _CACHE_SIZE:
            _svg_cache.popitem(last=False)
    return svg


def _draw(chart: FunnelChart, result: analysis.FunnelResult, labels: dict[str, str]) -> bytes:
    title = chart.title
    points = chart.points
    sizes = [p.n for p in points]
    n_max = float(max(sizes))
    grid = np.linspace(max(1.0, float(min(sizes)) * 0.8), n_max * 1.05, 200)
    curve = analysis.funnel_curve(result, grid)
    figure = chart_svg.figure(7.0, 4.4)
    axes = figure.add_subplot()
    axes.axhline(result.target, color="black", linewidth=1.2, label=labels["centre"])
    axes.plot(grid, curve["lower_95"], color="black", linestyle="--", linewidth=1.0)
    axes.plot(
        grid,
        curve["upper_95"],
        color="black",
        linestyle="--",
        linewidth=1.0,
        label=labels["limit95"],
    )
    axes.plot(grid, curve["lower_998"], color="black", linestyle=":", linewidth=1.3)
    axes.plot(
        grid,
        curve["upper_998"],
        color="black",
        linestyle=":",
        linewidth=1.3,
        label=labels["limit998"],
    )
    styles = {
        "inside": ("o", "white", labels["inside"]),
        "outside_95": ("^", "#555555", labels["outside95"]),
        "outside_998": ("s", "black", labels["outside998"]),
    }
    for position, (marker, face, label) in styles.items():
        chosen = [p for p in points if p.position == position]
        if not chosen:
            continue
        axes.scatter(
            [p.n for p in chosen],
            [p.value for p in chosen],
            marker=marker,
            s=36,
            facecolors=face,
            edgecolors="black",
            linewidths=1.0,
            label=label,
            zorder=3,
        )
    # a long title wraps rather than running past the figure's edges
    axes.set_title("\n".join(textwrap.wrap(title, 72)), fontsize=11)
    axes.set_xlabel(labels["x"])
    axes.set_ylabel(labels["y"])
    axes.grid(True, color="#dddddd", linewidth=0.5)
    axes.legend(fontsize=8, loc="lower right", frameon=True)
    figure.tight_layout()
    return chart_svg.to_svg(figure, title=title)
