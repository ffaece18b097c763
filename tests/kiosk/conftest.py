"""Kiosk tests: Qt runs offscreen (set before anything imports Qt), and fakes of the
server session and the printer for the view-model tests. The fake server answers with the
typed messages of ``wire.messages``, as the real session delivers them."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest

from hardware.printer import PrinterStatus, PrintResult
from hardware.ticket import TicketView
from kiosk.viewmodel import KioskViewModel, Timings
from novbe.screenshots.kiosk import ISSUED_AT, Quiet, issued, sample_center, sample_welcome
from wire.client import Result
from wire.messages import Welcome
from wire.types import WaitRange


@dataclass
class Sent:
    kind: str
    request_id: str | None
    fields: dict[str, Any]
    future: Future[Result]


class FakeServer:
    """Records requests and health reports; the test answers requests through their futures."""

    def __init__(self) -> None:
        self.sent: list[Sent] = []
        self.center = sample_center()

    def request(
        self, kind: str, /, *, timeout: float = 10.0, request_id: str | None = None, **fields: Any
    ) -> Future[Result]:
        future: Future[Result] = Future()
        self.sent.append(Sent(kind, request_id, fields, future))
        return future

    def report_health(self, component: str, status: str, detail: str | None = None) -> None:
        future: Future[Result] = Future()
        self.sent.append(
            Sent("report_health", None, {"component": component, "status": status, "detail": detail}, future)
        )

    def of(self, kind: str) -> list[Sent]:
        return [s for s in self.sent if s.kind == kind]

    def answer_issue(self, sent: Sent, number: str = "A001") -> None:
        """The server issued ticket ``number``: 3 people ahead, a wait of 4.2 to 9.6 minutes."""
        answer = issued(
            self.center,
            number,
            sent.fields["service"],
            lang=sent.fields["lang"],
            priority=sent.fields["priority"],
            ahead=3,
            wait=WaitRange.promise(4.2, 9.6),
        )
        sent.future.set_result(answer)


@dataclass
class FakePrinter:
    """Prints at once (or fails with ``error``); status answers ``state``."""

    state: PrinterStatus = PrinterStatus.OK
    error: BaseException | None = None
    hold: bool = False
    printed: list[TicketView] = field(default_factory=list)
    held: list[Future[Any]] = field(default_factory=list)
    polls: int = 0

    def print_ticket(self, view: TicketView) -> Future[Any]:
        future: Future[Any] = Future()
        if self.hold:
            self.held.append(future)
            return future
        if self.error is not None:
            future.set_exception(self.error)
        else:
            self.printed.append(view)
            future.set_result(PrintResult(view.number, 100, 0.01, self.state, 3, 2))
        return future

    def status(self) -> Future[PrinterStatus]:
        self.polls += 1
        future: Future[PrinterStatus] = Future()
        future.set_result(self.state)
        return future


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Rig:
    model: KioskViewModel
    server: FakeServer
    printer: FakePrinter
    clock: Clock
    changes: list[int]
    voice: Quiet
    """What the model asked its voice to say (when it has one)."""
    wall: list[datetime]
    """The wall clock the model reads: ``wall[0]``."""

    def step(self, seconds: float = 0.5) -> None:
        self.clock.advance(seconds)
        self.model.tick()


@pytest.fixture
def rig() -> Callable[..., Rig]:
    def make(
        *,
        online: bool = True,
        welcome: Welcome | None = None,
        no_printer: bool = False,
        printer_note: str | None = None,
        speaker: bool = True,
        now: datetime = ISSUED_AT,
        **timings: Any,
    ) -> Rig:
        """A model and its fakes; ``no_printer``: a kiosk whose file names no printer;
        ``speaker``: whether it has a voice; ``now``: the wall clock's time."""
        server, printer, clock, voice, wall = FakeServer(), FakePrinter(), Clock(), Quiet(), [now]
        model = KioskViewModel(
            server,
            None if no_printer else printer,
            printer_note=printer_note,
            device="kiosk-1",
            clock=clock,
            post=lambda fn: fn(),
            timings=Timings(**timings),
            speaker=voice if speaker else None,
            now=lambda: wall[0],
        )
        changes: list[int] = []
        model.changed.connect(lambda: changes.append(1))
        if online:
            model.on_connection("online")
            model.on_message(welcome or sample_welcome())
        return Rig(model, server, printer, clock, changes, voice, wall)

    return make
