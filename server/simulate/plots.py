"""PNG plots of simulated days: queue length over the day per agency, and the waits."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display, and no GUI toolkit imported

import matplotlib.pyplot as plt
import numpy as np

from .day import Behaviour, DayResult


def plot_queues(days: Sequence[DayResult], opens_min: float, path: Path, behaviour: Behaviour) -> None:
    """Citizens waiting per agency over the day: the mean over the days, and the
    range the middle 80 % of days fell in."""
    agencies = list(days[0].queue_samples)
    cols = 4
    rows = -(-len(agencies) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(12, 2.3 * rows + 0.6), sharex=True, squeeze=False)
    step = behaviour.sample_every_min
    for ax, agency in zip(axes.flat, agencies, strict=False):
        length = min(len(d.queue_samples[agency]) for d in days)
        data = np.array([d.queue_samples[agency][:length] for d in days], dtype=float)
        hours = (opens_min + step * np.arange(length)) / 60.0
        ax.plot(hours, data.mean(axis=0), color="tab:blue", lw=1.5)
        if len(days) > 1:
            lo, hi = np.percentile(data, [10, 90], axis=0)
            ax.fill_between(hours, lo, hi, color="tab:blue", alpha=0.2, lw=0)
        ax.set_title(agency, fontsize=10)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=8)
    for ax in list(axes.flat)[len(agencies) :]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("hour of day", fontsize=9)
    fig.suptitle(f"Citizens waiting, per agency (mean of {len(days)} day(s); band: 10-90 % of days)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80)
    plt.close(fig)


def plot_waits(days: Sequence[DayResult], path: Path) -> None:
    """The distribution of waits: a histogram for the whole center, and per agency the
    median, 90th percentile and longest wait."""
    visits = [v for d in days for v in d.visits]
    waits = np.array([v.wait for v in visits if v.wait is not None], dtype=float)
    agencies = sorted({v.agency for v in visits})
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.2), gridspec_kw={"width_ratios": [1, 1.3]})
    top = max(30.0, float(np.percentile(waits, 99.5)) if waits.size else 30.0)
    left.hist(waits, bins=np.arange(0, top + 1, 1.0), color="tab:blue")
    left.set_yscale("log")
    for limit in (10, 15, 30):
        share = float((waits <= limit).mean()) if waits.size else 0.0
        left.axvline(limit, color="tab:red", ls="--", lw=1)
        left.text(limit, left.get_ylim()[1] * 0.5, f" {100 * share:.1f}%\n <= {limit}", fontsize=8)
    left.set_xlabel("wait (minutes)")
    left.set_ylabel("citizens (log scale)")
    left.set_title("All waits")
    # An agency where nobody was served gets no bars (not bars of zero): its citizens are unserved.
    per = [
        np.array([v.wait for v in visits if v.agency == agency and v.wait is not None]) for agency in agencies
    ]
    x = np.arange(len(agencies))
    right.bar(x - 0.27, [np.median(p) if p.size else np.nan for p in per], 0.27, label="median")
    right.bar(x, [np.percentile(p, 90) if p.size else np.nan for p in per], 0.27, label="90th percentile")
    right.bar(x + 0.27, [p.max() if p.size else np.nan for p in per], 0.27, label="longest")
    right.axhline(15, color="tab:red", ls="--", lw=1)
    right.set_xticks(x, agencies, rotation=45, fontsize=8)
    right.set_ylabel("wait (minutes)")
    right.set_title("Per agency")
    right.legend(fontsize=8)
    right.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80)
    plt.close(fig)
