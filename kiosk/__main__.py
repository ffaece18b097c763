"""``novbe kiosk --device HOME/devices/kiosk-kiosk-1.toml [--windowed] [--size 1080x1920]``."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from shell.main import AppSpec, run
from wire.device import DeviceConfig

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from .app import KioskApp

STARTED = time.perf_counter()

PORTRAIT = (1080, 1920)
"""The window's size with ``--windowed`` and no ``--size``: a kiosk's screen stands upright."""


def _cache_escpos_profiles() -> None:
    """Keep python-escpos's parsed printer database between starts.

    Unless told where, python-escpos parses its YAML printer database into a fresh
    temporary folder on every start: over a second of a kiosk's start-up, and a folder
    left behind each time.
    """
    if "ESCPOS_CAPABILITIES_PICKLE_DIR" in os.environ:
        return
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    folder = base / "novbe" / "escpos"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return
    os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"] = str(folder)


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--quit-after-first-screen",
        action="store_true",
        help="print the start-up time once the first screen is drawn, then quit (for benchmarks)",
    )


def _build(config: DeviceConfig, args: argparse.Namespace, qapp: QApplication) -> KioskApp:
    from PySide6.QtCore import QSize, QTimer

    from .app import KioskApp

    _cache_escpos_profiles()
    # The window's layout follows its size, so the size is known before it is built: the
    # given one, portrait in a window, else the screen's.
    size = QSize(*args.size) if args.size else (QSize(*PORTRAIT) if args.windowed else None)
    kiosk = KioskApp(config, size=size, lang=args.lang)

    def first_screen() -> None:
        sys.stdout.write(f"novbe kiosk: first screen after {time.perf_counter() - STARTED:.3f} s\n")
        sys.stdout.flush()
        if args.quit_after_first_screen:
            # Let the paint finish before the loop stops.
            QTimer.singleShot(0, qapp.quit)

    kiosk.window.first_paint.connect(first_screen)
    return kiosk


SPEC = AppSpec(
    name="kiosk",
    description="The touchscreen ticket kiosk.",
    build=_build,
    add_arguments=_arguments,
    window_size=PORTRAIT,
)


def main(argv: list[str] | None = None) -> int:
    return run(SPEC, argv)


if __name__ == "__main__":
    sys.exit(main())
