"""``python -m novbe.screenshots.supervisor OUT_DIR``: the supervisor's screens in az, ru and en.

Runs the real thing offscreen: a new demo center (``novbe init --demo``), a server process, a
hall in mid-morning made by plain clients (counters open, calling, serving, on a break, one
whose number board is down; citizens waiting, a queue heading over the standard, a citizen
whom no open counter would call, a kiosk out of paper, a few citizens served), and one desk
per language. Writes ``supervisor-SCREEN-LANG.png`` for the screens login, hall, queues,
figures, services, message, confirm and offline in az, ru and en.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from novbe.process import ServerProcess
from server.reference import reference_center
from wire.client import HallClient
from wire.device import load_device

REFERENCE = reference_center()
DEMO_PASSWORD = "novbe-demo"
LANGS = ("az", "ru", "en")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m novbe.screenshots.supervisor")
    parser.add_argument("out", type=Path, help="folder for the PNG files")
    parser.add_argument("--reference", type=Path, default=REFERENCE, help="reference center JSON")
    parser.add_argument("--size", type=_size, default=(1920, 1080), help="the window's WxH (1920x1080)")
    parser.add_argument("--suffix", default="", help="added to each file's name before the language")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        init = [sys.executable, "-m", "novbe", "init", "--dir", str(home), "--demo"]
        if args.reference.exists():
            init += ["--from", str(args.reference)]
        subprocess.run(init, check=True, stdout=subprocess.DEVNULL)
        _bookings(home)
        server = ServerProcess(home).start()
        try:
            hall = _morning(home, server.url)
            _shoot(home, server, args.out, args.size, args.suffix)
            for client in hall:
                client.stop()
        finally:
            if server.proc is not None and server.proc.poll() is None:
                server.stop()
    return 0


def _size(text: str) -> tuple[int, int]:
    width, sep, height = text.partition("x")
    if not (sep and width.isdigit() and height.isdigit()):
        raise argparse.ArgumentTypeError(f"{text!r} is no size; write it WxH, e.g. 1366x768")
    return int(width), int(height)


def _device(home: Path, url: str, role: str, code: str) -> HallClient:
    config = load_device(home / "devices" / f"{role}-{code}.toml")
    client = HallClient(url, {"role": role, "device": code, "token": config.token})
    client.start()
    assert client.wait_online(10), f"{role} {code} did not connect"
    return client


BOOKED = ("48210937", "11112222", "33334444")
"""Bookings of DIN-ID at the next quarter hour; the first two check in (the queues' booked count)."""


def _bookings(home: Path) -> None:
    """DIN-ID takes bookings in the center file, and the log holds three for the next quarter."""
    import re
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from server.center import load_center
    from server.center.provision import database_url
    from server.store import Commit, EventStore
    from wire import events as ev

    path = home / "center.toml"
    text = re.sub(r"(?m)^\[appointments\]\n(?:[^\[\n].*\n)*", "", path.read_text(encoding="utf-8"))
    text += '\n[appointments]\n\n[[appointments.services]]\nservice = "DIN-ID"\nhours = "00:00-23:45"\n'
    text += "slot_min = 15\nper_slot = 4\n"
    path.write_text(text, encoding="utf-8")
    now = datetime.now(ZoneInfo(load_center(path).hours.timezone))
    slot = now.replace(second=0, microsecond=0) + timedelta(minutes=15 - now.minute % 15)
    store = EventStore(database_url(home, None))
    try:
        store.migrate()
        made = now - timedelta(days=1)
        store.append(
            [Commit([ev.BookingMade(code=c, service="DIN-ID", slot_at=slot, at=made) for c in BOOKED])]
        )
    finally:
        store.close()


def _morning(home: Path, url: str) -> list[HallClient]:
    """The hall in mid-morning, made through the protocol as the hall's devices make it."""
    booth = _device(home, url, "kiosk", "kiosk-1")
    desks: dict[int, HallClient] = {}
    for n in (1, 2, 3, 4, 5, 6, 19, 20, 21, 36, 45, 57, 72, 77, 80):
        desks[n] = _device(home, url, "counter", str(n))
        desks[n].call("login", login=f"op{n}", password=DEMO_PASSWORD)
    for service, count in (("DIN-ID", 9), ("DIN-PASS", 4), ("EDL-CONT", 3), ("KOM-ELEC", 2), ("BANK-FEE", 1)):
        for _ in range(count):
            booth.call("issue", service=service)
    booth.call("issue", service="MAI-ARCH")  # nobody at the archive's counters yet
    for code in BOOKED[:2]:
        booth.call("check_in", code=code)
    # A few citizens served already: today's figures have something to show.
    for n in (1, 2, 3):
        desks[n].call("call_next")
        desks[n].call("start")
        desks[n].call("finish")
    for n in (1, 2, 19, 72):
        desks[n].call("call_next")
    for n in (1, 19):
        desks[n].call("start")
    desks[4].call("pause")
    desks[20].call("pause")
    desks[6].call("report_health", component="board", status="offline", detail="no answer on the serial line")
    # A war veteran just came in: the waiting list marks the priority beside the booked slots.
    booth.call("issue", service="DIN-ID", priority="veteran")
    other = _device(home, url, "kiosk", "kiosk-2")
    other.call("report_health", component="printer", status="paper_out", detail="paper end sensor")
    return [booth, other, *desks.values()]


def _shoot(home: Path, server: ServerProcess, out: Path, size: tuple[int, int], suffix: str) -> None:
    from PySide6.QtCore import QEventLoop
    from PySide6.QtGui import QFont
    from PySide6.QtWidgets import QApplication, QWidget

    from supervisor import FONT_FAMILY
    from supervisor.app import SupervisorApp
    from supervisor.qt_supervisor import ConfirmDialog

    app = QApplication(sys.argv[:1])
    app.setFont(QFont(FONT_FAMILY, 10))

    def wait(condition: Callable[[], bool], timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError("the screen did not get there")
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)

    def settle(seconds: float = 0.3) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)

    def save(widget: QWidget, name: str) -> None:
        settle()
        screen, _, lang = name.removesuffix(".png").rpartition("-")
        path = out / f"{screen}{suffix}-{lang}.png"
        widget.grab().save(str(path), "PNG")
        print(f"wrote {path}")  # noqa: T201 (the tool's output)

    config = load_device(home / "devices" / "supervisor-1.toml")

    def one(lang: str) -> SupervisorApp:
        desk = SupervisorApp(config, app, lang=lang, server_url=server.url, sound=False)
        window, vm = desk.window, desk.model
        window.resize(*size)
        window.show()
        window.login_name.setText("supervisor")
        window.login_password.setText("••••••••••")
        save(window, f"supervisor-login-{lang}.png")
        vm.sign_in("supervisor", DEMO_PASSWORD)
        wait(lambda: vm.online and len(window.tiles) == 81 and bool(vm.queues))
        wait(lambda: vm.figures is not None)
        settle(2.5)  # the queue alerts of the first seconds
        window.tabs.setCurrentIndex(0)
        save(window, f"supervisor-hall-{lang}.png")
        window.tabs.setCurrentIndex(1)
        window.select_service("DIN-ID")
        save(window, f"supervisor-queues-{lang}.png")
        window.tabs.setCurrentIndex(2)
        save(window, f"supervisor-figures-{lang}.png")
        window.tabs.setCurrentIndex(0)
        window.ask_services(5)
        assert window.dialog is not None
        save(window.dialog, f"supervisor-services-{lang}.png")
        window.dialog.reject()
        window.ask_message()
        assert window.dialog is not None
        window.dialog.fields["az"].setText("Şənbə günü mərkəz 10:00-dan 16:00-dək işləyir")  # type: ignore[attr-defined]
        window.dialog.fields["ru"].setText("В субботу центр работает с 10:00 до 16:00")  # type: ignore[attr-defined]
        window.dialog.fields["en"].setText("On Saturday the center is open 10:00-16:00")  # type: ignore[attr-defined]
        save(window.dialog, f"supervisor-message-{lang}.png")
        window.dialog.reject()
        window.counter_menu(4).actions()[4].trigger()  # "Resume" of the counter on a break
        assert isinstance(window.dialog, ConfirmDialog)
        save(window.dialog, f"supervisor-confirm-{lang}.png")
        window.dialog.reject()
        return desk

    desks = [one(lang) for lang in LANGS]
    server.kill()
    for lang, desk in zip(LANGS, desks, strict=True):
        banner = desk.window.banner
        wait(banner.isVisible)
        save(desk.window, f"supervisor-offline-{lang}.png")
    for desk in desks:
        desk.stop()


if __name__ == "__main__":
    sys.exit(main())
