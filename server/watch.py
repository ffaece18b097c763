"""The queues a supervisor must look at, decided once on the server for every supervisor.

Per service (:func:`breach_in_min`, :func:`stranded`, part of the ``queues`` figures) and
as alerts (:class:`QueueWatch`, the ``queue_alerts`` notice):

* **over the standard**: someone has waited longer than the center's standard
  (``rules.wait_standard_min``);
* **forecast**: at this rate someone will, within :data:`FORECAST_HORIZON_MIN`. The
  engine's own estimator says when a ticket taken now would be called; the citizens
  already waiting are called before it, in their order, so the one at place ``k`` of
  ``n`` is expected about ``(k + 1) / (n + 1)`` of that time from now;
* **stranded**: citizens wait whom no open or paused counter would call (their
  service has none, or the counter they were sent to by name has closed).

Pure functions of a (committed) engine; no I/O.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from wire.messages import QueueAlert, QueueFigures
from wire.types import CounterState, Priority

if TYPE_CHECKING:
    from .queue import QueueEngine, Ticket

FORECAST_HORIZON_MIN = 30
"""A forecast breach is an alert when it is expected within this many minutes."""

CLEAR_AFTER = timedelta(minutes=2)
"""An alert ends when its reason has been gone this long: a queue hovering at the
standard raises one alert, not one a minute."""

AlertKind = Literal["over_standard", "forecast", "stranded"]


def breach_in_min(engine: QueueEngine, service: str, waiting: list[Ticket], at: datetime) -> int | None:
    """In about how many whole minutes a citizen's wait in ``service`` passes the standard
    at this rate: 0 if one's has already, None if nobody's is expected to (or nobody
    serves the service: that is :func:`stranded`).

    Args:
        waiting: ``engine.waiting(service)``, the tickets in the order they will be called.
    """
    standard = engine.hall.wait_standard_min
    waited = [(at - t.issued_at).total_seconds() / 60 for t in waiting]
    if any(w >= standard for w in waited):
        return 0
    if not engine.staffed(service):
        return None
    # A ticket taken now is called after everyone waiting: in about `est` minutes.
    est = engine.estimate(service, Priority.NONE, at).est_min
    n = len(waiting)
    soonest = standard if est > standard else math.inf
    for k, w in enumerate(waited):
        if w + est * (k + 1) / (n + 1) > standard:
            soonest = min(soonest, standard - w)
    return None if soonest == math.inf else max(1, math.ceil(soonest))


def stranded(engine: QueueEngine, service: str, waiting: list[Ticket]) -> int:
    """How many of ``waiting`` no open or paused counter would call."""
    staffed = engine.staffed(service) > 0
    counters = engine.counters
    return sum(
        1
        for t in waiting
        if (
            counters[t.target_counter].state is CounterState.CLOSED
            if t.target_counter is not None
            else not staffed
        )
    )


class QueueWatch:
    """The queue alerts of the hall, kept from one second to the next (each keeps the
    moment it began; it ends :data:`CLEAR_AFTER` after its reason went away)."""

    def __init__(self) -> None:
        self._since: dict[tuple[str, AlertKind], datetime] = {}
        self._last_seen: dict[tuple[str, AlertKind], datetime] = {}

    def update(self, figures: dict[str, QueueFigures], at: datetime) -> tuple[QueueAlert, ...]:
        """The alerts now, from this second's queue figures."""
        for service, fig in figures.items():
            for kind in _reasons(fig):
                key = (service, kind)
                self._since.setdefault(key, at)
                self._last_seen[key] = at
        for key, seen in list(self._last_seen.items()):
            if at - seen >= CLEAR_AFTER:
                del self._last_seen[key]
                del self._since[key]
        return self.alerts()

    def alerts(self) -> tuple[QueueAlert, ...]:
        """The alerts as last updated, oldest first."""
        ordered = sorted(self._since.items(), key=lambda item: (item[1], item[0]))
        return tuple(QueueAlert(service=s, kind=k, since=since) for (s, k), since in ordered)

    def clear(self) -> None:
        """Forget every alert (a new day)."""
        self._since.clear()
        self._last_seen.clear()


def _reasons(fig: QueueFigures) -> list[AlertKind]:
    reasons: list[AlertKind] = []
    if fig.stranded:
        reasons.append("stranded")
    if fig.breach_in_min == 0:
        reasons.append("over_standard")
    elif fig.breach_in_min is not None and fig.breach_in_min <= FORECAST_HORIZON_MIN:
        reasons.append("forecast")
    return reasons
