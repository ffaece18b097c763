"""``python -m novbe.screenshots.counter OUT_DIR``: the counter's screens in az, ru and en.

Runs the real thing offscreen: a new demo center (``novbe init --demo``), a server
process, a kiosk issuing a few tickets (some with a priority right, in several languages), and
one counter window per language that logs in, calls a citizen with a priority right, starts,
finishes, meets a wrong number, opens the transfer dialog and loses its server. The working
screens are taken at the smallest and the largest screen a counter has (1024x768 and
1920x1080). Writes, for each of az, ru, en:

* ``counter-login-{lang}.png`` (1024x768);
* ``counter-called-{lang}-{1024x768,1920x1080}.png``: the citizen's priority right and language
  on the called ticket, and who waits;
* ``counter-booked-{lang}-1024x768.png``: a booked citizen, checked in at the kiosk, called
  with their slot ("Booked 10:30");
* ``counter-serving-{lang}-1024x768.png``, ``counter-error-{lang}-{1024x768,1920x1080}.png``
  (a number that is not waiting), ``counter-unknown-token-{lang}-1024x768.png`` (the QR code of
  another center's ticket scanned), ``counter-offline-{lang}-1920x1080.png``;
* the dialogs: ``counter-outcome-{lang}.png`` (how the visit ended), ``counter-confirm-{lang}.png``
  (no-show, "No" the default), ``counter-transfer-{lang}.png``.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from novbe.process import ServerProcess
from server.reference import reference_center
from wire.client import HallClient
from wire.device import load_device
from wire.messages import IssueResult
from wire.types import Lang

REFERENCE = reference_center()
DEMO_PASSWORD = "novbe-demo"
COUNTERS: dict[Lang, int] = {"az": 12, "ru": 13, "en": 14}
"""A counter per language (all of the Ministry of Internal Affairs in the reference center)."""
SMALL, LARGE = (1024, 768), (1920, 1080)
OTHER_CENTER_QR = "https://novbe.example.az/t/k7qmd2xw4n5tpa3hzr6ycebvfu"
"""A ticket's QR code from another center: the server knows no ticket of today by its token."""
"""The smallest and the largest counter screens."""
CITIZENS = (
    ("DIN-PASS", "ru", "elderly"),
    ("DIN-ID", "az", "none"),
    ("DIN-DRV", "en", "none"),
    ("DIN-ID", "az", "disabled"),
    ("DIN-CRIM", "ru", "none"),
    ("DIN-VEH", "az", "none"),
    ("DIN-ID", "az", "none"),
)
"""Who takes a ticket before each counter opens: service, language, priority right."""
BOOKINGS: dict[Lang, str] = {"az": "48210937", "ru": "26153390", "en": "73015562"}
"""The booking each counter's booked citizen checks in with."""
APPOINTMENTS = """
[appointments]
walk_in_if_refused = true

[[appointments.services]]
service = "DIN-ID"
hours = "00:00-23:55"
slot_min = 5
per_slot = 3
"""
"""The bookings of the pictures: DIN-ID all day, in slots of 5 minutes."""


def _book(home: Path) -> None:
    """Let the center book DIN-ID, and put a booking per counter in its log for the slot now
    (made yesterday, as a booking system would have)."""
    from server.store import Commit, EventStore
    from wire import events as ev

    path = home / "center.toml"
    # The file written by ``novbe init`` has an [appointments] table of its own: this replaces it.
    text = re.sub(r"(?m)^\[appointments\]\n(?:[^\[\n].*\n)*", "", path.read_text(encoding="utf-8"))
    path.write_text(text + APPOINTMENTS, encoding="utf-8")
    now = datetime.now(ZoneInfo("Asia/Baku"))
    slot = now.replace(minute=now.minute - now.minute % 5, second=0, microsecond=0)
    yesterday = now - timedelta(days=1)
    made = [
        ev.BookingMade(code=code, service="DIN-ID", slot_at=slot, at=yesterday, lang=lang)
        for lang, code in BOOKINGS.items()
    ]
    store = EventStore(f"sqlite:///{home / 'novbe.db'}")
    try:
        store.migrate()
        store.append(
            [
                Commit(
                    events=[
                        ev.DayOpened(day=yesterday.date(), at=yesterday),
                        *made,
                        ev.DayClosed(at=yesterday),
                    ]
                )
            ]
        )
    finally:
        store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m novbe.screenshots.counter")
    parser.add_argument("out", type=Path, help="folder for the PNG files")
    parser.add_argument("--reference", type=Path, default=REFERENCE, help="reference center JSON")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        init = [sys.executable, "-m", "novbe", "init", "--dir", str(home), "--demo"]
        if args.reference.exists():
            init += ["--from", str(args.reference)]
        subprocess.run(init, check=True, stdout=subprocess.DEVNULL)
        _book(home)
        server = ServerProcess(home).start()
        try:
            _shoot(home, server.url, args.out)
        finally:
            server.stop()
    return 0


def _shoot(home: Path, url: str, out: Path) -> None:
    from PySide6.QtCore import QEventLoop
    from PySide6.QtGui import QFont
    from PySide6.QtWidgets import QApplication, QWidget

    from counter import FONT_FAMILY
    from counter.app import CounterApp
    from wire.types import TicketState

    app = QApplication(sys.argv[:1])
    app.setFont(QFont(FONT_FAMILY, 11))

    def wait(condition: Callable[[], bool], timeout: float = 15.0, what: str = "") -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError(f"the screen did not get there {what}".strip())
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)

    def save(widget: QWidget, name: str) -> None:
        app.processEvents()
        path = out / name
        widget.grab().save(str(path), "PNG")
        print(f"wrote {path}")  # noqa: T201 (the tool's output)

    def size(widget: QWidget, wh: tuple[int, int]) -> str:
        widget.resize(*wh)
        app.processEvents()
        wait(lambda: widget.width() == wh[0], what=f"{widget.width()}x{widget.height()} -> {wh}")
        return f"{wh[0]}x{wh[1]}"

    def one(lang: Lang, number: int) -> None:
        device = load_device(home / "devices" / f"counter-{number}.toml")
        desk = CounterApp(device.model_copy(update={"board": None}), app, lang=lang, server_url=url)
        vm, window = desk.model, desk.window
        size(window, SMALL)
        window.show()
        desk.start()
        wait(lambda: vm.online and bool(vm.queues))
        window.login_name.setText(f"op{number}")
        window.login_password.setText(DEMO_PASSWORD)
        save(window, f"counter-login-{lang}.png")
        vm.login(f"op{number}", DEMO_PASSWORD)
        wait(lambda: vm.logged_in and len(vm.waiting) >= len(CITIZENS))
        # The queue figures that count this counter open (sent each second): the transfer
        # dialog greys out what they show closed.
        wait(lambda: (vm.open_counters(vm.my_services[0]) or 0) > 0)
        vm.call_next()  # the citizen with a priority right, in Russian, comes first
        wait(
            lambda: (
                vm.current is not None
                and vm.pending is None
                and vm.current.id not in {t.id for t in vm.waiting}
            )
        )
        for wh in (SMALL, LARGE):
            save(window, f"counter-called-{lang}-{size(window, wh)}.png")
        size(window, SMALL)
        window.trigger("no_show")
        assert window.confirm_box is not None
        save(window.confirm_box, f"counter-confirm-{lang}.png")
        window.confirm_box.reject()
        vm.start()
        wait(
            lambda: vm.current is not None and vm.current.state is TicketState.SERVING and vm.pending is None
        )
        save(window, f"counter-serving-{lang}-{size(window, SMALL)}.png")
        window.trigger("transfer")
        dialog = window.transfer_dialog
        assert dialog is not None
        dialog.choose_service("BANK-FEE")
        dialog.come_back.setChecked(True)
        save(dialog, f"counter-transfer-{lang}.png")
        dialog.reject()
        window.trigger("finish")
        assert window.outcome_dialog is not None
        save(window.outcome_dialog, f"counter-outcome-{lang}.png")
        window.outcome_dialog.choose("served")
        wait(lambda: vm.current is None and vm.pending is None)
        window.code.setText("A999")
        window.code.returnPressed.emit()
        wait(lambda: vm.error is not None)
        for wh in (SMALL, LARGE):
            save(window, f"counter-error-{lang}-{size(window, wh)}.png")
        vm.dismiss()
        window.code.setText(OTHER_CENTER_QR)  # the page address another center's ticket holds
        window.code.returnPressed.emit()
        wait(lambda: vm.error is not None and vm.pending is None)
        save(window, f"counter-unknown-token-{lang}-{size(window, SMALL)}.png")
        vm.dismiss()
        window.code.clear()
        # A booked citizen checks in at the kiosk, and is called by their number.
        booked = kiosk.call("check_in", code=BOOKINGS[lang], lang=lang)
        assert isinstance(booked, IssueResult), booked
        wait(lambda: any(t.number == booked.ticket.number for t in vm.waiting), what="booked waiting")
        window.code.setText(booked.ticket.number)
        window.code.returnPressed.emit()
        wait(
            lambda: vm.current is not None and vm.current.slot_at is not None and vm.pending is None,
            what=f"booked called ({vm.current}, {vm.error})",
        )
        save(window, f"counter-booked-{lang}-{size(window, SMALL)}.png")
        window.code.clear()
        desk.session.stop()
        wait(lambda: window.banner.isVisible())
        save(window, f"counter-offline-{lang}-{size(window, LARGE)}.png")
        desk.stop()

    kiosk_device = load_device(home / "devices" / "kiosk-kiosk-1.toml")
    kiosk = HallClient(url, {"role": "kiosk", "device": kiosk_device.code, "token": kiosk_device.token})
    kiosk.start()
    try:
        assert kiosk.wait_online(10)
        for lang, number in COUNTERS.items():
            for service, citizen_lang, priority in CITIZENS:
                kiosk.call("issue", service=service, lang=citizen_lang, priority=priority)
            one(lang, number)
    finally:
        kiosk.stop()


if __name__ == "__main__":
    sys.exit(main())
