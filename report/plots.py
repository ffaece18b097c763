"""The report's plots, as inline SVG: the HTML needs nothing beside itself.

Text is drawn as paths (matplotlib's default), so Azerbaijani and Russian letters look the
same in any browser whatever fonts it has.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from server.tally.figures import Row

from .build import Report
from .text import Words

matplotlib.rcParams["svg.hashsalt"] = "novbe-report"  # the same report gives the same file
matplotlib.rcParams["font.family"] = "DejaVu Sans"

BLUE, ORANGE, RED, GREEN, GREY = "#2b6cb0", "#dd6b20", "#c53030", "#2f855a", "#a0aec0"


def _svg(fig: Figure) -> str:
    buf = io.StringIO()
    # The figures lay themselves out (layout="constrained"): one drawing, not the two of
    # bbox_inches="tight".
    fig.savefig(buf, format="svg", metadata={"Date": None})
    text = buf.getvalue()
    return text[text.index("<svg") :]


def _hours_shown(report: Report) -> list[int]:
    """The opening hours, widened to any hour that had arrivals."""
    center = report.center
    first, last = center.hours.open.hour, center.hours.close.hour
    busy = [h.hour for h in report.figures.hours if h.arrivals]
    if busy:
        first, last = min(first, *busy), max(last - 1 if center.hours.close.minute == 0 else last, *busy)
    return list(range(first, max(first, last) + 1))


def hours_plot(report: Report, w: Words) -> str:
    """Arrivals per hour (bars) and the mean wait of the visits started in that hour (line)."""
    hours = _hours_shown(report)
    rows = {h.hour: h for h in report.figures.hours}
    fig = Figure(figsize=(10, 3.4), layout="constrained")
    ax = fig.add_subplot()
    ax.bar(hours, [rows[h].arrivals for h in hours], color=GREY, label=w("plot.arrivals"))
    ax.set_xlabel(w("plot.hour"))
    ax.set_ylabel(w("plot.arrivals"))
    ax.set_xticks(hours, [f"{h:02d}" for h in hours])
    right = ax.twinx()
    waits = np.array([np.nan if rows[h].wait_mean is None else rows[h].wait_mean for h in hours], dtype=float)
    right.plot(hours, waits, color=BLUE, marker="o", lw=2, label=w("plot.wait_mean"))
    standard = report.figures.standard_min
    right.axhline(standard, color=RED, ls="--", lw=1, label=w("plot.standard", standard=w.standard()))
    right.set_ylabel(w("plot.wait_mean"))
    right.set_ylim(
        0, max(standard * 1.15, float(np.nanmax(waits)) * 1.15 if not np.all(np.isnan(waits)) else 0)
    )
    handles = ax.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    labels = ax.get_legend_handles_labels()[1] + right.get_legend_handles_labels()[1]
    fig.legend(handles, labels, loc="outside lower center", ncols=3, fontsize=8, frameon=False)
    ax.spines[["top"]].set_visible(False)
    right.spines[["top"]].set_visible(False)
    return _svg(fig)


def agencies_plot(report: Report, w: Words) -> str:
    """The agencies side by side: waits (mean, 90th percentile) against the standard,
    the share called within it, the share satisfied, the index."""
    rows: Sequence[Row] = [r for r in report.figures.rows["agency"] if r.visits or r.ratings]
    if not rows:
        return ""
    index = {i.agency: i.index for i in report.index}
    codes = [r.key for r in rows]
    y = np.arange(len(rows))[::-1]
    fig = Figure(figsize=(10, 0.32 * len(rows) + 1.4), layout="constrained")
    axes = fig.subplots(1, 4, sharey=True, gridspec_kw={"width_ratios": [1.6, 1, 1, 1]})
    waits, within, satisfied, score = axes
    nan = np.nan
    mean = [r.wait_mean if r.wait_mean is not None else nan for r in rows]
    p90 = [r.wait_p90 if r.wait_p90 is not None else nan for r in rows]
    waits.barh(y + 0.18, mean, 0.36, color=BLUE, label=w("plot.mean"))
    waits.barh(y - 0.18, p90, 0.36, color=ORANGE, label=w("plot.p90"))
    waits.axvline(report.figures.standard_min, color=RED, ls="--", lw=1)
    waits.set_title(w("plot.waits"), fontsize=10)
    waits.legend(fontsize=7, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.06), ncols=2)
    for ax, values, title, color in (
        (within, [100 * r.within_share if r.within_share is not None else nan for r in rows],
         w("plot.within", standard=w.standard()), GREEN),
        (satisfied, [100 * r.satisfied_share if r.satisfied_share is not None else nan for r in rows],
         w("plot.satisfied"), GREEN),
        (score, [index.get(c, nan) for c in codes], w("plot.index"), BLUE),
    ):  # fmt: skip
        ax.barh(y, values, 0.6, color=color)
        low = np.nanmin(values) if not np.all(np.isnan(values)) else 0.0
        ax.set_xlim(max(0.0, min(90.0, float(low) - 2)), 100)
        ax.set_title(title, fontsize=10)
    waits.set_yticks(y, codes)
    for ax in axes:
        ax.tick_params(labelsize=8)
        ax.grid(axis="x", alpha=0.3)
        ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig)


def heatmap(report: Report, w: Words) -> str:
    """Mean wait by day (rows) and hour (columns); blank where nobody was called."""
    grid = report.figures.grid_wait
    if not grid.size:
        return ""
    hours = _hours_shown(report)
    data = grid[:, hours[0] : hours[-1] + 1]
    days = report.figures.days
    fig = Figure(figsize=(10, 0.22 * len(days) + 1.6), layout="constrained")
    ax = fig.add_subplot()
    standard = report.figures.standard_min
    top = standard if np.all(np.isnan(data)) else max(standard, float(np.nanmax(data)))
    image = ax.imshow(
        np.ma.masked_invalid(data), aspect="auto", cmap="YlOrRd", vmin=0, vmax=top, interpolation="nearest"
    )
    ax.set_xticks(range(len(hours)), [f"{h:02d}" for h in hours], fontsize=8)
    step = max(1, len(days) // 31 + 1) if len(days) > 31 else 1
    ax.set_yticks(range(0, len(days), step), [w.date(d) for d in days[::step]], fontsize=7)
    ax.set_xlabel(w("plot.hour"))
    bar = fig.colorbar(image, ax=ax, pad=0.01)
    bar.set_label(w("plot.wait_mean"))
    return _svg(fig)
