"""Rating terminal tests: a fake session for the view-model (requests recorded, answered by
the test through their futures) and a clock that drives both the terminal's own timers and
the server's time. What the fake server says is built from ``wire.messages`` models
(``novbe.screenshots.rating``), as the real session delivers them."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest

from novbe.screenshots.rating import FINISHED_AT, rated, sample_welcome
from rating.viewmodel import RatingViewModel, Timings
from wire.client import ConnState, Result
from wire.messages import RatingResult, VisitView


@dataclass
class Sent:
    kind: str
    request_id: str | None
    timeout: float
    fields: dict[str, Any]
    future: Future[Result]


class FakeServer:
    """Records requests; the test answers them through their futures."""

    def __init__(self) -> None:
        self.sent: list[Sent] = []

    def request(
        self, kind: str, /, *, timeout: float = 10.0, request_id: str | None = None, **fields: Any
    ) -> Future[Result]:
        future: Future[Result] = Future()
        self.sent.append(Sent(kind, request_id, timeout, fields, future))
        return future

    def accept(self, sent: Sent, visit: VisitView, at: datetime) -> None:
        """The server recorded the rating ``sent`` of ``visit`` at ``at``."""
        event = rated(visit, sent.fields["score"], at, tuple(sent.fields["reasons"]))
        sent.future.set_result(RatingResult(rating=event))


class Clock:
    """Monotonic seconds for the terminal, and the server's time moving with them."""

    def __init__(self, start: datetime) -> None:
        self.seconds = 1000.0
        self.start = start

    def __call__(self) -> float:
        return self.seconds

    def server(self) -> datetime:
        return self.start + timedelta(seconds=self.seconds - 1000.0)


@dataclass
class Rig:
    model: RatingViewModel
    server: FakeServer
    clock: Clock
    changes: list[int]

    def step(self, seconds: float = 0.5) -> None:
        self.clock.seconds += seconds
        self.model.tick()

    @property
    def now(self) -> datetime:
        return self.clock.server()


@pytest.fixture
def rig() -> Callable[..., Rig]:
    def make(*, online: bool = True, start: datetime = FINISHED_AT, **timings: Any) -> Rig:
        """A terminal at counter 12 and its fakes; the server's clock starts at ``start``."""
        server, clock = FakeServer(), Clock(start)
        model = RatingViewModel(
            server,
            counter=12,
            default_lang="az",
            clock=clock,
            now=clock.server,
            post=lambda fn: fn(),
            timings=Timings(**timings),
        )
        changes: list[int] = []
        model.changed.connect(lambda: changes.append(1))
        if online:
            model.on_connection(ConnState.ONLINE)
            model.on_message(sample_welcome())
        return Rig(model, server, clock, changes)

    return make
