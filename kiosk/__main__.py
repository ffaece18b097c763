"""``novbe kiosk --device HOME/devices/kiosk-kiosk-1.toml [--windowed] [--size 1080x1920]``."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

from wire import cli

STARTED = time.perf_counter()


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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="novbe kiosk", description="The touchscreen ticket kiosk.")
    parser.add_argument(
        "--device", type=Path, required=True, help="the kiosk's device file (devices/kiosk-CODE.toml)"
    )
    parser.add_argument("--windowed", action="store_true", help="a window instead of full screen")
    parser.add_argument(
        "--size",
        type=cli.size,
        help="window size WIDTHxHEIGHT (default: the screen's; 1080x1920 is portrait)",
    )
    parser.add_argument("--position", type=cli.position, help="window position X,Y (with --windowed)")
    parser.add_argument(
        "--quit-after-first-screen",
        action="store_true",
        help="print the start-up time once the first screen is drawn, then quit (for benchmarks)",
    )
    parser.add_argument("--log-level", default="INFO")
    return parser


@cli.command("novbe kiosk")
def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    _cache_escpos_profiles()
    config = cli.device_file(args.device, "kiosk")
    cli.need_screen()

    from PySide6.QtCore import QSize, QTimer
    from PySide6.QtWidgets import QApplication

    from .app import KioskApp

    app = QApplication.instance() or QApplication(sys.argv[:1])
    size = QSize(*args.size) if args.size else (QSize(1080, 1920) if args.windowed else None)
    kiosk = KioskApp(config, size=size)

    def first_screen() -> None:
        sys.stdout.write(f"novbe kiosk: first screen after {time.perf_counter() - STARTED:.3f} s\n")
        sys.stdout.flush()
        if args.quit_after_first_screen:
            # Let the paint finish before the loop stops.
            QTimer.singleShot(0, app.quit)

    kiosk.window.first_paint.connect(first_screen)
    kiosk.start(fullscreen=False if args.windowed else None)
    if args.position:
        kiosk.window.move(*args.position)

    try:
        return int(app.exec())
    finally:
        kiosk.stop()


if __name__ == "__main__":
    sys.exit(main())
