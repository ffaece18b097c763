"""Pictures of every kiosk screen: ``python -m kiosk.screenshots OUT_DIR``.

Each screen in portrait (1080x1920) and landscape (1920x1080), in az, ru and en, drawn
offscreen from the reference center (no server, no printer) and saved at half size as
``kiosk-<screen>-<orientation>-<lang>.png``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from hardware.exceptions import PaperOut
from hardware.printer import PrinterStatus, PrintResult
from hardware.ticket import TicketView

from .sample import REFERENCE, sample_welcome
from .viewmodel import KioskViewModel, Timings

SIZES = {"portrait": (1080, 1920), "landscape": (1920, 1080)}
SCREENS = (
    "start",
    "agencies",
    "services",
    "priority",
    "ticket",
    "ticket-unprinted",
    "offline",
    "start-no-printer",
    "ticket-no-printer",
)
"""``ticket-unprinted``: the printer failed; ``*-no-printer``: the kiosk has none configured."""


class _Server:
    """Answers every request at once: tickets are A015 with 7 people ahead."""

    def request(
        self, kind: str, /, *, timeout: float = 10.0, request_id: str | None = None, **fields: Any
    ) -> Future[dict[str, Any]]:
        future: Future[dict[str, Any]] = Future()
        if kind == "issue":
            ticket = {
                "id": "20261123-A015",
                "number": "A015",
                "service": fields["service"],
                "issued_at": "2026-11-23T10:42:00+04:00",
                "priority": fields["priority"],
                "ahead": 7,
                "wait_low_min": 9.4,
                "wait_high_min": 17.8,
                "zone": "floor-1",
            }
            future.set_result({"ticket": ticket})
        else:
            future.set_result({})
        return future


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


def staged_model(screen: str, lang: str, reference: Path = REFERENCE) -> KioskViewModel:
    """A view-model brought to ``screen`` the way a citizen would get there."""
    now = [0.0]
    clock: Callable[[], float] = lambda: now[0]  # noqa: E731
    model = KioskViewModel(
        _Server(),
        None if screen.endswith("no-printer") else _Printer(broken=screen == "ticket-unprinted"),
        device="kiosk-1",
        default_lang=lang,
        clock=clock,
        post=lambda fn: fn(),
        timings=Timings(),
    )

    def step() -> None:
        now[0] += 1.0
        model.tick()

    screen = screen.split("-")[0]  # the variants are reached the same way
    if screen == "offline":
        model.on_connection("offline")
        step()
        return model
    model.on_connection("online")
    model.on_message(sample_welcome(reference, unavailable={"DIN-VEH": "full", "DIN-CRIM": "closed"}))
    step()
    if screen == "start":
        return model
    model.choose_language(lang)
    step()
    if screen == "agencies":
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
    parser = argparse.ArgumentParser(prog="python -m kiosk.screenshots", description=__doc__)
    parser.add_argument("out", type=Path, help="folder for the PNG files")
    parser.add_argument("--reference", type=Path, default=REFERENCE, help="reference center JSON")
    parser.add_argument("--full-size", action="store_true", help="keep the screen's own size")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from PySide6.QtCore import QSize, Qt
    from PySide6.QtWidgets import QApplication

    from .qt_kiosk import KioskWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    args.out.mkdir(parents=True, exist_ok=True)
    for orientation, (width, height) in SIZES.items():
        for lang in ("az", "ru", "en"):
            for screen in SCREENS:
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
