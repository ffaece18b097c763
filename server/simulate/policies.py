"""The routing policies the simulator compares, by name (``novbe simulate --policy``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from server.queue import CounterDef, Hall, PriorityMode, RoutingPolicy, Selection

MAX_WAIT_MIN = 15.0
"""The maximum-wait rule's threshold in the policies named ``...+max15``."""


def _policy(selection: Selection, priority: PriorityMode, max_wait: float | None = None) -> RoutingPolicy:
    return RoutingPolicy(selection=selection, priority_mode=priority, max_wait_min=max_wait)


_O, _W, _S = Selection.OLDEST_FIRST, Selection.WEIGHTED, Selection.STRICT_ORDER
_STRICT, _HEAD = PriorityMode.STRICT, PriorityMode.HEAD_START

POLICIES: dict[str, RoutingPolicy] = {
    "per-service": _policy(_S, _STRICT),
    "per-service+max15": _policy(_S, _STRICT, MAX_WAIT_MIN),
    "oldest-first": _policy(_O, _STRICT),
    "oldest-first+max15": _policy(_O, _STRICT, MAX_WAIT_MIN),
    "weighted": _policy(_W, _STRICT),
    "weighted+max15": _policy(_W, _STRICT, MAX_WAIT_MIN),
    "head-start": _policy(_O, _HEAD),
    "head-start+max15": _policy(_O, _HEAD, MAX_WAIT_MIN),
}
"""Name -> policy. ``per-service`` is strict per-service queues (a counter empties its
first service's queue before looking at the next); ``weighted`` weighs each wait by
the counter's weight for the service, which these set-ups make inversely proportional
to the service's mean time (short errands first, within limits); ``head-start`` gives
priority rights a ten-minute head start instead of strict precedence."""

DEFAULT = "center"
"""Keep the routing the center's configuration gives each counter."""


def with_policy(hall: Hall, name: str) -> Hall:
    """Return ``hall`` with every counter on policy ``name`` (``center`` leaves it as is).

    Raises:
        KeyError: If there is no such policy.
    """
    if name == DEFAULT:
        return hall
    policy = POLICIES[name]
    weigh: Callable[[CounterDef], dict[str, float]] = (
        (lambda c: _inverse_time_weights(hall, c)) if policy.selection is _W else (lambda c: dict(c.services))
    )
    counters = {
        no: dataclasses.replace(c, policy=policy, services=weigh(c)) for no, c in hall.counters.items()
    }
    return dataclasses.replace(hall, counters=counters)


def _inverse_time_weights(hall: Hall, counter: CounterDef) -> dict[str, float]:
    """Weights that favour short services: the counter's mean service time / the service's."""
    means = {code: hall.services[code].mean_service_min for code in counter.services}
    typical = sum(means.values()) / len(means)
    return {code: typical / mean for code, mean in means.items()}
