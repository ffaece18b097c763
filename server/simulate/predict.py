"""How good is the wait printed on the ticket? Measured against the actual wait.

For every ticket the simulator keeps the engine's estimate at issue (point and
range) and three history-based baselines computed at the same moment from the
same pool of counters (see :class:`~server.simulate.day.TicketOutcome`):

* LES: the wait of the last citizen called;
* HOL: how long the citizen now first in line has waited;
* AVG: the mean of the last ten waits.

The figures follow Ibrahim and Whitt's measures of delay predictors, over the
citizens who had to wait (whose ticket found no free counter; the others are
called at once and every predictor that knows it is exact):

* bias: mean(predicted - actual) / mean(actual);
* MAE: mean |predicted - actual|, minutes;
* RASE: mean((predicted - actual)^2) / mean(actual)^2, the relative average
  squared error. For the queue-length predictor of one pooled M/M/c queue it is
  1 - rho.

Tickets never called (not served by closing) have no actual wait and are left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .day import TicketOutcome
from .report import OVERALL

PREDICTORS: tuple[str, ...] = ("est", "les", "hol", "avg")
NAMES = {"est": "ticket", "les": "LES", "hol": "HOL", "avg": "AVG"}


@dataclass(frozen=True, slots=True)
class Accuracy:
    n: int
    mean_actual: float
    bias: float
    mae: float
    rase: float


@dataclass(frozen=True, slots=True)
class RangeFit:
    """How the printed range held the actual waits of the citizens who had to wait.

    A citizen who finds a free counter is told 0 and called at once: counting them
    would make any range look better calibrated than it is."""

    n: int
    inside: float
    above: float
    below: float
    mean_width: float
    """Minutes between the low and the high end, on average over the waiting citizens."""
    relative_width: float
    """Mean width / mean estimate, over the waiting citizens."""


@dataclass(frozen=True, slots=True)
class PredictionReport:
    accuracy: dict[str, dict[str, Accuracy]]
    """Agency (and :data:`OVERALL`) -> predictor -> accuracy."""
    range_fit: dict[str, RangeFit]


def accuracy(actual: Sequence[float], predicted: Sequence[float]) -> Accuracy:
    n = len(actual)
    if n == 0:
        return Accuracy(0, 0.0, 0.0, 0.0, 0.0)
    mean_actual = sum(actual) / n
    err = [p - a for p, a in zip(predicted, actual, strict=True)]
    scale = mean_actual if mean_actual > 0 else 1.0
    return Accuracy(
        n=n,
        mean_actual=mean_actual,
        bias=sum(err) / n / scale,
        mae=sum(abs(e) for e in err) / n,
        rase=sum(e * e for e in err) / n / (scale * scale),
    )


def range_fit(tickets: Sequence[TicketOutcome]) -> RangeFit:
    pairs = [(t.wait, t) for t in tickets if t.wait is not None and t.wait > 0]
    n = len(pairs) or 1
    est_sum = sum(t.est for _, t in pairs) or 1.0
    return RangeFit(
        n=len(pairs),
        inside=sum(1 for w, t in pairs if t.low <= w <= t.high) / n,
        above=sum(1 for w, t in pairs if w > t.high) / n,
        below=sum(1 for w, t in pairs if w < t.low) / n,
        mean_width=sum(t.high - t.low for _, t in pairs) / n,
        relative_width=sum(t.high - t.low for _, t in pairs) / est_sum,
    )


def measure(tickets: Iterable[TicketOutcome], *, warmup_min: float = 0.0) -> PredictionReport:
    """Accuracy of each predictor per agency and overall; ``warmup_min`` drops the
    tickets issued earlier than that many minutes after midnight."""
    chosen = [t for t in tickets if t.issued_min >= warmup_min and t.wait is not None]
    groups: dict[str, list[TicketOutcome]] = {}
    for t in chosen:
        groups.setdefault(t.agency, []).append(t)
    groups = {a: groups[a] for a in sorted(groups)}
    groups[OVERALL] = chosen
    acc: dict[str, dict[str, Accuracy]] = {}
    fit: dict[str, RangeFit] = {}
    for agency, group in groups.items():
        waited = [t for t in group if t.wait is not None and t.wait > 0]
        actual = [t.wait for t in waited if t.wait is not None]
        acc[agency] = {p: accuracy(actual, [getattr(t, p) for t in waited]) for p in PREDICTORS}
        fit[agency] = range_fit(group)
    return PredictionReport(accuracy=acc, range_fit=fit)


def format_prediction(report: PredictionReport) -> str:
    """A table: per agency, each predictor's bias, MAE and RASE; the printed range's fit."""
    head = f"{'agency':<8} {'waited':>7} {'mean':>6} " + " ".join(
        f"{NAMES[p] + ' bias':>10} {'MAE':>5} {'RASE':>6}" for p in PREDICTORS
    )
    head += f" {'inside':>7} {'above':>6} {'width':>6}"
    lines = [head, "-" * len(head)]
    for agency, accs in report.accuracy.items():
        fit = report.range_fit[agency]
        row = f"{agency:<8} {accs['est'].n:>7} {accs['est'].mean_actual:>6.2f} "
        row += " ".join(f"{100 * a.bias:>+9.1f}% {a.mae:>5.2f} {a.rase:>6.3f}" for a in accs.values())
        row += f" {100 * fit.inside:>6.1f}% {100 * fit.above:>5.1f}% {fit.mean_width:>6.1f}"
        lines.append(row)
    lines.append(
        "(citizens who had to wait; mean wait, MAE and range width in minutes; RASE = "
        "mean squared error / mean wait squared)"
    )
    return "\n".join(lines)
