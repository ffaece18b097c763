"""The server's own health over plain HTTP (``GET /health`` on the websocket port), its
request figures, and how a device's health report changes what the supervisors are told."""

from __future__ import annotations

import collections
import http
import json
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from wire.protocol import HEALTH_SEVERITY


@dataclass
class Stats:
    started: float = field(default_factory=time.monotonic)
    requests: int = 0
    errors: int = 0
    fanout_ms: collections.deque[float] = field(default_factory=lambda: collections.deque(maxlen=1000))
    """How long handing each of the last 1,000 events to its audience's sockets took."""

    def fanout(self) -> dict[str, float]:
        ordered = sorted(self.fanout_ms)
        if not ordered:
            return {"n": 0}

        def pick(q: float) -> float:
            return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)

        return {"n": len(ordered), "p50": pick(0.5), "p99": pick(0.99), "max": round(ordered[-1], 2)}

    def uptime_s(self) -> float:
        return round(time.monotonic() - self.started, 1)


def asks_for_health(request: Request) -> bool:
    return request.path.split("?")[0] == "/health"


def response(figures: dict[str, Any], *, ok: bool) -> Response:
    """The ``/health`` answer: ``figures`` as JSON, 200 if ``ok``, else 503."""
    body = json.dumps(figures).encode()
    status = http.HTTPStatus.OK if ok else http.HTTPStatus.SERVICE_UNAVAILABLE
    headers = Headers([("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return Response(status.value, status.phrase, headers, body)


def health_change(was: str, now: str) -> Literal["alert", "recovered"] | None:
    """What to tell the supervisors when a component's health goes from ``was`` to ``now``.

    ``alert`` on every change into a worse state: a higher level of
    :data:`wire.protocol.HEALTH_SEVERITY` (ok -> paper_low -> paper_out), or another status
    of the same level (offline -> paper_out: someone must now do something else).
    ``recovered`` on a lower level; None when nothing changed. A status the table doesn't
    know (a report stored by an older version) counts as the worst.
    """
    if was == now:
        return None
    worst = max(HEALTH_SEVERITY.values())
    if HEALTH_SEVERITY.get(now, worst) < HEALTH_SEVERITY.get(was, worst):
        return "recovered"
    return "alert"
