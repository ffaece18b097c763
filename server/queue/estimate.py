"""Wait estimates for a new ticket: the figure printed on it and the "full" check.

The predictor is deliberately simple and isolated behind :data:`Estimator`, a
function of a read-only :class:`QueueView`, so that a better one (measured with
the simulator) can replace it without touching the engine:
``QueueEngine(hall, estimator=better_estimate)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from .hall import Hall
from .types import Priority, ServiceCode

LOW_FACTOR = 0.7
HIGH_FACTOR = 1.3
"""The printed range around the point estimate. Service times in the reference
workload have a coefficient of variation of 0.6; +-30 % keeps most waits inside
the range at the queue lengths a hall sees, without printing a useless spread."""


@dataclass(frozen=True, slots=True)
class Estimate:
    ahead: int
    """Citizens expected to be called before this one."""
    low_min: float
    est_min: float
    high_min: float


class QueueView(Protocol):
    """What an estimator may look at. :class:`QueueEngine` provides it."""

    @property
    def hall(self) -> Hall: ...

    def ahead_of(self, service: ServiceCode, priority: Priority) -> int:
        """Return how many waiting tickets a new ticket would be called after."""
        ...

    def staffed(self, service: ServiceCode) -> int:
        """Return how many open or paused counters serve ``service``."""
        ...


Estimator = Callable[[QueueView, ServiceCode, Priority, datetime], Estimate]
"""``(view, service, priority, at) -> Estimate``."""


def queue_length_estimate(
    view: QueueView, service: ServiceCode, priority: Priority, at: datetime
) -> Estimate:
    """Estimate the wait as the work ahead shared among the counters.

    ``(ahead + 1) * mean_service_min / servers``, where ``servers`` counts the
    open or paused counters serving the service, or all configured ones while
    none is open (before the morning opening, tickets still get a figure).
    ``at`` is unused by this model.
    """
    hall = view.hall
    ahead = view.ahead_of(service, priority)
    servers = view.staffed(service) or sum(1 for c in hall.counters.values() if service in c.services)
    est = (ahead + 1) * hall.services[service].mean_service_min / max(1, servers)
    return Estimate(ahead=ahead, low_min=est * LOW_FACTOR, est_min=est, high_min=est * HIGH_FACTOR)
