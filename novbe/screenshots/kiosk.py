"""Pictures of every kiosk screen: ``python -m novbe.screenshots.kiosk OUT_DIR``.

Each screen in portrait (1080x1920) and landscape (1920x1080), in az, ru and en, drawn
offscreen from the reference center (no server, no printer) and saved at half size as
``kiosk-<screen>-<orientation>-<lang>.png``; ``assist-*`` are the same screens in the
accessible mode (high contrast, larger text, the controls low).

The kiosk is fed what the server would send it: :func:`sample_welcome` makes a kiosk's
``Welcome`` for a reference center with the server's own conversion and view, and made-up
queue figures; the kiosk's tests use it too.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from hardware.exceptions import PaperOut
from hardware.printer import PrinterStatus, PrintResult
from hardware.ticket import TicketView
from kiosk.speech import Say
from kiosk.viewmodel import KioskViewModel, Timings
from server.center import center_from_reference
from server.reference import reference_center
from server.views import center_info
from wire.client import ConnState, RequestFailed, Result
from wire.messages import (
    CenterInfo,
    IssuedTicket,
    IssueResult,
    QueueFigures,
    Snapshot,
    Welcome,
)
from wire.types import Lang, Priority, Source, TicketState, WaitRange

REFERENCE = reference_center()
ISSUED_AT = datetime.fromisoformat("2026-11-23T10:42:00+04:00")
"""When the sample tickets were issued (and the sample welcome sent): a Monday."""
CLOSED_AT = datetime.fromisoformat("2026-11-28T20:15:00+04:00")
"""When the sample closed center is seen: a Saturday evening (it opens again on Monday)."""
QUERY = "sexsiyyet"
"""What the sample search typed: "Şəxsiyyət" without its marks."""
PROMISED = WaitRange.promise(9.4, 17.8)
"""The wait a sample ticket is promised."""

SIZES = {"portrait": (1080, 1920), "landscape": (1920, 1080)}
SCREENS = (
    "start",
    "agencies",
    "search",
    "services",
    "priority",
    "ticket",
    "ticket-unprinted",
    "offline",
    "closed",
    "start-no-printer",
    "ticket-no-printer",
    "checkin",
    "refused",
    "refused-early",
    "ticket-booked",
    "assist-start",
    "assist-agencies",
    "assist-search",
    "assist-services",
    "assist-priority",
    "assist-ticket",
    "assist-closed",
    "assist-checkin",
)
"""``ticket-unprinted``: the printer failed; ``*-no-printer``: the kiosk has none configured;
``closed``: a Saturday evening; ``checkin``: a booking's code half typed; ``refused``: a late
check-in offered a walk-in ticket; ``refused-early``: told when the check-in opens;
``ticket-booked``: a booked citizen's ticket; ``assist-*``: the accessible mode."""

BOOKING = "48210937"
"""The sample booking's code: checked in, its ticket is booked for :data:`SLOT`."""
SLOT = datetime.fromisoformat("2026-11-23T10:45:00+04:00")
"""The sample booking's slot."""
LATE = "73015562"
"""A sample code checked in too late: refused, a walk-in ticket offered."""
EARLY = "19264038"
"""A sample code checked in too early: refused with the time its check-in opens."""

Closed = dict[str, Literal["closed", "full"]]
"""Services that take no ticket, and why."""


# --- what the server would send -------------------------------------------------------------


def sample_center(reference: Path = REFERENCE) -> CenterInfo:
    """The ``center`` of a welcome for the reference center file ``reference``, made by the
    same conversion and view the server uses, so the sample can't drift from the wire."""
    return center_info(center_from_reference(json.loads(reference.read_text(encoding="utf-8"))))


def closed_queues(center: CenterInfo) -> dict[str, QueueFigures]:
    """The figures of a closed center: no service takes a ticket."""
    return queues_for(center, dict.fromkeys((s.code for s in center.services), "closed"))


def queues_for(center: CenterInfo, unavailable: Closed | None = None) -> dict[str, QueueFigures]:
    """Plausible queue figures for every service; ``unavailable`` maps service codes to
    the reason they can't be issued (``closed`` or ``full``)."""
    unavailable = unavailable or {}
    out: dict[str, QueueFigures] = {}
    for i, service in enumerate(center.services):
        waiting = (i * 7) % 13
        reason = unavailable.get(service.code)
        out[service.code] = QueueFigures(
            waiting=waiting,
            oldest_wait_min=0.0,
            open_counters=0 if reason == "closed" else 2,
            available=reason is None,
            reason=reason,
            wait=None if reason else WaitRange(waiting // 2, waiting // 2 + 1 + waiting // 3),
        )
    return out


def sample_welcome(
    reference: Path = REFERENCE, unavailable: Closed | None = None, device: str = "kiosk-1"
) -> Welcome:
    """A kiosk's ``welcome`` for the reference center, the day open."""
    center = sample_center(reference)
    return Welcome(
        role="kiosk",
        device=device,
        seq=1,
        server_time=ISSUED_AT,
        center=center,
        snapshot=Snapshot(day=ISSUED_AT.date(), open=True, queues=queues_for(center, unavailable)),
    )


def issued(
    center: CenterInfo,
    number: str,
    service: str,
    *,
    lang: Lang = "az",
    priority: Priority = Priority.NONE,
    ahead: int = 7,
    wait: WaitRange = PROMISED,
    slot_at: datetime | None = None,
    appointment: str | None = None,
) -> IssueResult:
    """The server's answer to an ``issue`` request: ticket ``number`` for ``service``; with
    ``slot_at``, to a ``check_in`` (``appointment``: the booking's code)."""
    info = center.service(service)
    assert info is not None, f"{service} is not a service of {center.code}"
    agency = center.agency(info.agency)
    assert agency is not None, f"{info.agency} is not an agency of {center.code}"
    ticket = IssuedTicket(
        id=f"{ISSUED_AT:%Y%m%d}-{number}",
        number=number,
        service=service,
        agency=info.agency,
        state=TicketState.WAITING,
        lang=lang,
        priority=priority,
        issued_at=ISSUED_AT,
        ahead=ahead,
        wait=wait,
        zone=agency.zone,
        slot_at=slot_at,
        appointment=appointment,
        source=Source.APPOINTMENT if appointment else Source.KIOSK,
    )
    return IssueResult(ticket=ticket)


def check_in_refused(
    reason: str,
    *,
    walk_in: bool = True,
    service: str | None = "DIN-PASS",
    opens_at: datetime | None = None,
    closed_at: datetime | None = None,
) -> RequestFailed:
    """The server's ``check_in_refused`` error, as the kiosk's session raises it."""
    details: dict[str, Any] = {"reason": reason, "walk_in": walk_in, "service": service}
    if opens_at is not None:
        details["opens_at"] = opens_at.isoformat()
    if closed_at is not None:
        details["closed_at"] = closed_at.isoformat()
    return RequestFailed("check_in_refused", f"check-in refused: {reason}", details)


# --- the kiosk, brought to each screen ------------------------------------------------------


class _Server:
    """Answers every request at once: tickets are A015 with 7 people ahead; the check-in of
    :data:`BOOKING` gets A016 booked for :data:`SLOT`, :data:`LATE` and :data:`EARLY` are refused."""

    def __init__(self, center: CenterInfo) -> None:
        self.center = center

    def request(self, kind: str, /, *, timeout: float = 10.0, **fields: Any) -> Future[Result]:
        future: Future[Result] = Future()
        assert kind in ("issue", "check_in"), f"the kiosk asked for {kind}"
        if kind == "check_in":
            code = fields["code"]
            if code == LATE:
                future.set_exception(check_in_refused("late", closed_at=SLOT.replace(hour=9, minute=40)))
            elif code == EARLY:
                future.set_exception(check_in_refused("early", walk_in=False, opens_at=SLOT))
            else:
                answer = issued(self.center, "A016", "DIN-PASS", lang=fields["lang"], ahead=1)
                ticket = answer.ticket.model_copy(update={"slot_at": SLOT, "appointment": code})
                future.set_result(IssueResult(ticket=ticket))
            return future
        future.set_result(
            issued(self.center, "A015", fields["service"], lang=fields["lang"], priority=fields["priority"])
        )
        return future

    def report_health(self, component: str, status: str, detail: str | None = None) -> None:
        pass


class Quiet:
    """A voice that says nothing and remembers what it was asked to say."""

    def __init__(self) -> None:
        self.said: list[list[Say]] = []
        self.stopped = 0

    def say(self, parts: Sequence[Say]) -> None:
        self.said.append(list(parts))

    def stop(self) -> None:
        self.stopped += 1


class _Printer:
    def __init__(self, broken: bool) -> None:
        self.broken = broken

    def print_ticket(self, view: TicketView) -> Future[Any]:
        future: Future[Any] = Future()
        if self.broken:
            future.set_exception(PaperOut("the printer is out of paper"))
        else:
            future.set_result(PrintResult(view.number, 1, 0.1, PrinterStatus.OK, 1, 1))
        return future

    def status(self) -> Future[PrinterStatus]:
        future: Future[PrinterStatus] = Future()
        future.set_result(PrinterStatus.PAPER_OUT if self.broken else PrinterStatus.OK)
        return future


def staged_model(
    screen: str, lang: str, reference: Path = REFERENCE, *, live: bool = False
) -> KioskViewModel:
    """A view-model brought to ``screen`` the way a citizen would get there; ``live``: its
    clock runs on from there (for taps on a window), instead of standing still."""
    now = [0.0]
    started = time.monotonic()
    clock: Callable[[], float] = lambda: now[0] + (time.monotonic() - started if live else 0.0)  # noqa: E731
    welcome = sample_welcome(reference, unavailable={"DIN-VEH": "full", "DIN-CRIM": "closed"})
    assist = screen.startswith("assist-")
    screen = screen.removeprefix("assist-")
    if screen == "closed":
        snapshot = Snapshot(day=CLOSED_AT.date(), open=False, queues=closed_queues(welcome.center))
        welcome = welcome.model_copy(update={"snapshot": snapshot, "server_time": CLOSED_AT})
    model = KioskViewModel(
        _Server(welcome.center),
        None if screen.endswith("no-printer") else _Printer(broken=screen == "ticket-unprinted"),
        device="kiosk-1",
        default_lang=lang,
        clock=clock,
        post=lambda fn: fn(),
        timings=Timings(),
        speaker=Quiet(),
        now=lambda: CLOSED_AT if screen == "closed" else ISSUED_AT,
    )

    def step() -> None:
        now[0] += 1.0
        model.tick()

    screen, _, variant = screen.partition("-")  # the variants are reached the same way
    if screen == "offline":
        model.on_connection(ConnState.OFFLINE)
        step()
        return model
    model.on_connection(ConnState.ONLINE)
    model.on_message(welcome)
    step()
    if assist:
        model.switch_assist()
        step()
    if screen in ("start", "closed"):
        return model
    if screen in ("checkin", "refused") or (screen, variant) == ("ticket", "booked"):
        # A booked citizen: the start screen's appointment button, then the code.
        model.open_checkin()
        step()
        if screen == "checkin":
            for digit in BOOKING[:5]:
                model.type_digit(digit)
                step()
            return model
        for digit in {"early": EARLY, "booked": BOOKING}.get(variant, LATE):
            model.type_digit(digit)
            step()
        model.submit_code()
        return model
    model.choose_language(lang)
    step()
    if screen == "agencies":
        return model
    if screen == "search":
        model.open_search()
        for letter in QUERY.upper() if lang != "ru" else "ПАСП":
            step()
            model.type_letter(letter)
        return model
    model.choose_agency("DIN")
    step()
    if screen == "priority":
        model.open_priority()
        return model
    if screen == "services":
        return model
    model.choose_service("DIN-PASS")
    return model


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m novbe.screenshots.kiosk", description=__doc__)
    parser.add_argument("out", type=Path, help="folder for the PNG files")
    parser.add_argument("--reference", type=Path, default=REFERENCE, help="reference center JSON")
    parser.add_argument("--full-size", action="store_true", help="keep the screen's own size")
    parser.add_argument("--screen", action="append", choices=SCREENS, help="only this screen (repeatable)")
    parser.add_argument("--lang", action="append", choices=("az", "ru", "en"), help="only this language")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from PySide6.QtCore import QSize, Qt
    from PySide6.QtWidgets import QApplication

    from kiosk.qt_kiosk import KioskWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    args.out.mkdir(parents=True, exist_ok=True)
    for orientation, (width, height) in SIZES.items():
        for lang in args.lang or ("az", "ru", "en"):
            for screen in args.screen or SCREENS:
                model = staged_model(screen, lang, args.reference)
                window = KioskWindow(model, size=QSize(width, height))
                window.show()
                app.processEvents()
                picture = window.grab()
                if not args.full_size:
                    picture = picture.scaled(
                        width // 2,
                        height // 2,
                        Qt.AspectRatioMode.KeepAspectRatio,
                        Qt.TransformationMode.SmoothTransformation,
                    )
                path = args.out / f"kiosk-{screen}-{orientation}-{lang}.png"
                picture.save(str(path), "PNG")
                window.close()
                window.deleteLater()
                sys.stdout.write(f"{path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
