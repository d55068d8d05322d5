"""Charts of the library page as SVG: drawn on the server with matplotlib (Agg), nothing else.

One job: turn the already computed page data (:mod:`survey_app.services.library_report`)
into SVG text. No statistic is computed here. Every chart carries its title and is
readable printed in black and white: categories differ by hatching and carry their
numbers as text, not by colour alone. The Agg backend, the shared style and the
deterministic SVG (text as paths, so no font is needed; no date) come from
:mod:`.chart_svg`. The page shows each chart with ``<img>`` next to a data table holding
the same numbers (the text alternative).

``labels`` carries every word a chart shows, already translated by the caller.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from typing import TYPE_CHECKING
from typing import Any

from survey_app.services import chart_svg

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["HATCHES", "render"]

#: hatch patterns and grey levels of the answer categories, from the lowest to the highest
HATCHES = ("xxx", "///", "", "\\\\\\", "---", "|||", "+++")
GREYS = ("#5a5a5a", "#9a9a9a", "#ffffff", "#c8c8c8", "#e8e8e8", "#f4f4f4", "#ffffff")
_WRAP = 38


def _short(text: str, width: int = _WRAP) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _svg(figure: Figure) -> str:
    return chart_svg.to_svg(figure).decode("utf-8")


def _number(value: float, digits: int = 0) -> str:
    return f"{value:.{digits}f}".replace(".", ",")


def likert(page: Mapping[str, Any], labels: Mapping[str, str]) -> str | None:
    """Diverging stacked bars: the share of each answer, the middle answer centred on 0."""
    groups = page.get("likert") or []
    items = [(g, item) for g in groups for item in g["items"] if item["n"]]
    if not items:
        return None
    figure = chart_svg.figure(8.0, 0.9 + 0.42 * len(items))
    axes = figure.add_subplot()
    values = groups[0]["values"]
    k = len(values)
    middle = k // 2 if k % 2 else None
    for row, (_group, item) in enumerate(reversed(items)):
        shares = [100.0 * (s or 0.0) for s in item["shares"]]
        low = k // 2
        left = -sum(shares[:low]) - (shares[middle] / 2 if middle is not None else 0.0)
        for j, share in enumerate(shares):
            if share <= 0:
                continue
            axes.barh(
                row,
                share,
                left=left,
                height=0.7,
                color=GREYS[j % len(GREYS)],
                hatch=HATCHES[j % len(HATCHES)],
                edgecolor="black",
                linewidth=0.5,
                label=str(values[j]) if row == 0 else None,
            )
            if share >= 9:
                axes.text(
                    left + share / 2,
                    row,
                    _number(share),
                    ha="center",
                    va="center",
                    fontsize=7,
                    bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none"},
                )
            left += share
    axes.axvline(0, color="black", linewidth=0.8)
    axes.set_yticks(range(len(items)))
    axes.set_yticklabels(
        [f"{_short(item['title'])} (n={item['n']})" for _g, item in reversed(items)]
    )
    axes.set_xlabel(labels["likert_axis"])
    axes.set_xlim(-100, 100)
    axes.set_xticks([-100, -50, 0, 50, 100])
    axes.set_xticklabels(["100", "50", "0", "50", "100"])
    anchors = groups[0].get("anchors") or {}
    handles, names = axes.get_legend_handles_labels()
    order = sorted(range(len(names)), key=lambda i: int(names[i]))
    axes.legend(
        [handles[i] for i in order],
        [f"{names[i]} {_short(anchors.get(names[i], ''), 24)}".strip() for i in order],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.12 - 0.25 / max(1, len(items))),
        ncol=min(k, 3),
        frameon=False,
        fontsize=7.5,
    )
    axes.set_title(labels["likert_title"], loc="left", fontweight="bold")
    return _svg(figure)


def gap(page: Mapping[str, Any], labels: Mapping[str, str]) -> str | None:
    """Per item: the zone of tolerance (minimum to desired) as a hatched band, perceived as
    a black diamond."""
    rows = [r for r in page.get("gap") or [] if r["minimum"] is not None]
    if not rows:
        return None
    figure = chart_svg.figure(8.0, 1.0 + 0.36 * len(rows))
    axes = figure.add_subplot()
    for y, row in enumerate(reversed(rows)):
        low, high = row["minimum"], row["desired"]
        axes.barh(
            y,
            max(high - low, 0.02),
            left=low,
            height=0.55,
            color="#e0e0e0",
            hatch="///",
            edgecolor="black",
            linewidth=0.5,
            label=labels["gap_zone"] if y == 0 else None,
        )
        if row["perceived"] is not None:
            axes.plot(
                row["perceived"],
                y,
                marker="D",
                color="black",
                markersize=5,
                linestyle="none",
                label=labels["gap_perceived"] if y == 0 else None,
            )
    axes.set_yticks(range(len(rows)))
    axes.set_yticklabels([f"{_short(r['title'])}" for r in reversed(rows)])
    bounds = rows[0].get("range") or []
    if len(bounds) == 2:
        axes.set_xlim(bounds[0] - 0.2, bounds[1] + 0.2)  # the declared scale, not the data
    axes.set_xlabel(labels["gap_axis"])
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=2, frameon=False)
    axes.set_title(labels["gap_title"], loc="left", fontweight="bold")
    return _svg(figure)


def _interval_bars(
    rows: list[tuple[str, float, float | None, float | None]],
    title: str,
    axis: str,
    digits: int,
    limits: tuple[float, float] | None = None,
) -> str:
    figure = chart_svg.figure(7.0, 0.9 + 0.42 * len(rows))
    axes = figure.add_subplot()
    for y, (_label, value, low, high) in enumerate(reversed(rows)):
        axes.barh(y, value, height=0.6, color="#d0d0d0", hatch="//", edgecolor="black", lw=0.5)
        if low is not None and high is not None:
            axes.errorbar(
                value,
                y,
                xerr=[[value - low], [high - value]],
                color="black",
                capsize=3,
                linewidth=1,
            )
        axes.text(
            (high if high is not None else value) + 0.01 * (limits[1] if limits else value or 1),
            y,
            _number(value, digits),
            va="center",
            fontsize=8,
        )
    axes.set_yticks(range(len(rows)))
    axes.set_yticklabels([_short(label) for label, *_ in reversed(rows)])
    if limits:
        axes.set_xlim(*limits)
    axes.set_xlabel(axis)
    axes.set_title(title, loc="left", fontweight="bold")
    return _svg(figure)


def nok(page: Mapping[str, Any], labels: Mapping[str, str]) -> str | None:
    """NOK K1–K5 and the total (0–100) with their bootstrap intervals."""
    block = page.get("nok") or {}
    if not block.get("available"):
        return None
    rows = [
        (labels.get(c["name"], c["name"]), c["value"], c["low"], c["high"])
        for c in block["criteria"]
        if c["value"] is not None
    ]
    if not rows:
        return None
    return _interval_bars(rows, labels["nok_title"], labels["nok_axis"], 2, (0.0, 110.0))


def channels(page: Mapping[str, Any], labels: Mapping[str, str]) -> str | None:
    """The page's breakdown indicator per channel (small channels left out)."""
    family = str(page.get("breakdown_indicator") or "").partition(":")[0]
    scale = 100.0 if family == "share_satisfied" else 1.0
    rows = [
        (
            f"{labels.get('channel:' + r['value'], r['value'])} (n={r['n']})",
            r["estimate"] * scale,
            None if r["ci_low"] is None else r["ci_low"] * scale,
            None if r["ci_high"] is None else r["ci_high"] * scale,
        )
        for r in page.get("channels") or []
        if not r["suppressed"] and r.get("estimate") is not None
    ]
    if not rows:
        return None
    limits = (0.0, 110.0) if scale == 100.0 else None
    digits = 1 if scale == 100.0 else 2
    return _interval_bars(rows, labels["channels_title"], labels["channels_axis"], digits, limits)


def _heat(page: Mapping[str, Any], labels: Mapping[str, str], which: str) -> str | None:
    block = page.get("heatmap")
    if not block:
        return None
    counts = block["n"]
    values = counts if which == "n" else block["mean"]
    if which != "n" and not any(v is not None for row in values for v in row):
        return None
    family = str(block.get("indicator") or "").partition(":")[0]
    share = family == "share_satisfied"
    numbers = [
        [
            float("nan")
            if (v is None or (which == "n" and v <= 0))
            else (100.0 * v if share and which != "n" else float(v))
            for v in row
        ]
        for row in values
    ]
    figure = chart_svg.figure(9.0, 3.2)
    axes = figure.add_subplot()
    image = axes.imshow(numbers, cmap="Greys", aspect="auto", vmin=0)
    image.cmap.set_bad("white")
    finite = [v for row in numbers for v in row if v == v]
    top = max(finite) if finite else 1.0
    for d in range(7):
        for h in range(24):
            if counts[d][h] == -1:
                axes.text(h, d, "<", ha="center", va="center", fontsize=6)
                continue
            v = numbers[d][h]
            if v == v:
                text = _number(v, 0 if which == "n" or share else 1)
                dark = v > 0.6 * top
                axes.text(
                    h,
                    d,
                    text,
                    ha="center",
                    va="center",
                    fontsize=6,
                    color="white" if dark else "black",
                )
    axes.set_xticks(range(0, 24, 2))
    axes.set_xticklabels([f"{h:02d}" for h in range(0, 24, 2)])
    axes.set_yticks(range(7))
    axes.set_yticklabels([labels[f"day{d}"] for d in range(7)])
    axes.set_xlabel(labels["hour_axis"])
    axes.set_title(labels[f"heat_{which}_title"], loc="left", fontweight="bold")
    return _svg(figure)


_CHARTS: dict[str, Callable[[Mapping[str, Any], Mapping[str, str]], str | None]] = {
    "likert": likert,
    "gap": gap,
    "nok": nok,
    "channels": channels,
    "heatmap-n": lambda page, labels: _heat(page, labels, "n"),
    "heatmap-index": lambda page, labels: _heat(page, labels, "index"),
}


def render(name: str, page: Mapping[str, Any], labels: Mapping[str, str]) -> str | None:
    """The SVG of chart ``name`` of a computed library page (None: no data for it)."""
    chart = _CHARTS.get(name)
    if chart is None:
        return None
    with chart_svg.drawing():
        return chart(page, labels)
