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

from ..store import StoreHealth
from .gate import Gate
from .throttle import Throttle
from .writer import Writer


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


STALLED_AFTER_S = 5.0
"""A call into the database running longer than this is reported: nothing can be committed
meanwhile."""


def store_state(store: StoreHealth, writer: Writer) -> tuple[str, str | None]:
    """The event log's health: the store's own (``ok``, ``read_only``, ``failing``: what the
    last commit or probe found, docs/store.md "Health"), or ``stalled`` while a call into the
    database hangs, ``recovering`` while the writer throws away what a failed commit
    decided. ``(status, detail)``."""
    stalled = writer.stalled_s()
    if stalled > STALLED_AFTER_S:
        return "stalled", f"a call into the database has been running for {stalled:.0f} s"
    if not store.ok:
        return store.state, store.reason
    if writer.broken:
        return "recovering", "a write failed; waiting for the database to say what the log holds"
    return "ok", None


def password_state(throttle: Throttle) -> tuple[str, str | None]:
    """``guessing`` while failed passwords delay attempts (see :mod:`.throttle`)."""
    delayed = throttle.delayed()
    if not delayed:
        return "ok", None
    shown = ", ".join(f"{kind} {name} ({failures} failed)" for (kind, name), failures in delayed[:5])
    more = f" and {len(delayed) - 5} more" if len(delayed) > 5 else ""
    return "guessing", f"password attempts delayed: {shown}{more}"


def connection_state(gate: Gate) -> tuple[str, str | None]:
    """``full`` for a minute after connections were refused or pushed out (see :mod:`.gate`)."""
    trouble = gate.trouble()
    return ("full", trouble) if trouble else ("ok", None)
