"""``python -m novbe.screenshots.counter OUT_DIR``: the counter's screens in az, ru and en.

Runs the real thing offscreen: a new demo center (``novbe init --demo``), a server
process, a kiosk issuing a few tickets, and one counter window per language that logs
in, calls and starts a ticket, opens the transfer dialog and loses its server. Writes
``counter-{login,serving,transfer,offline}-{az,ru,en}.png``.
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
COUNTERS = {"az": 12, "ru": 13, "en": 14}
"""A counter per language (all of the Ministry of Internal Affairs in the reference center)."""


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

    def wait(condition: Callable[[], bool], timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError("the screen did not get there")
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)

    def save(widget: QWidget, name: str) -> None:
        app.processEvents()
        path = out / name
        widget.grab().save(str(path), "PNG")
        print(f"wrote {path}")  # noqa: T201 (the tool's output)

    def one(lang: str, number: int) -> None:
        device = load_device(home / "devices" / f"counter-{number}.toml")
        desk = CounterApp(device.model_copy(update={"board": None}), app, lang=lang, server_url=url)
        vm, window = desk.model, desk.window
        window.resize(1280, 800)
        window.show()
        desk.start()
        wait(lambda: vm.online and bool(vm.queues))
        window.login_name.setText(f"op{number}")
        window.login_password.setText(DEMO_PASSWORD)
        save(window, f"counter-login-{lang}.png")
        vm.login(f"op{number}", DEMO_PASSWORD)
        wait(lambda: vm.logged_in)
        # The queue figures that count this counter open (sent each second): the transfer
        # dialog greys out what they show closed.
        wait(lambda: (vm.open_counters(vm.my_services[0]) or 0) > 0)
        vm.call_next()
        wait(lambda: vm.current is not None and vm.pending is None)
        vm.start()
        wait(
            lambda: vm.current is not None and vm.current.state is TicketState.SERVING and vm.pending is None
        )
        save(window, f"counter-serving-{lang}.png")
        window.trigger("transfer")
        dialog = window.transfer_dialog
        assert dialog is not None
        dialog.choose_service("BANK-FEE")
        dialog.come_back.setChecked(True)
        save(dialog, f"counter-transfer-{lang}.png")
        dialog.reject()
        desk.session.stop()
        wait(lambda: window.banner.isVisible())
        save(window, f"counter-offline-{lang}.png")
        desk.stop()

    kiosk_device = load_device(home / "devices" / "kiosk-kiosk-1.toml")
    kiosk = HallClient(url, {"role": "kiosk", "device": kiosk_device.code, "token": kiosk_device.token})
    kiosk.start()
    try:
        assert kiosk.wait_online(10)
        for lang, number in COUNTERS.items():
            for service in ("DIN-ID", "DIN-PASS", "DIN-ID", "DIN-DRV", "DIN-ID", "DIN-CRIM"):
                kiosk.call("issue", service=service, lang=lang)
            one(lang, number)
    finally:
        kiosk.stop()


if __name__ == "__main__":
    sys.exit(main())
