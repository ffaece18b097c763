"""``novbe counter --device HOME/devices/counter-12.toml [--windowed]``: the operator's app."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from wire import cli


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="novbe counter", description="The operator's counter app.")
    parser.add_argument("--device", type=Path, required=True, help="the counter's device file")
    parser.add_argument("--windowed", action="store_true", help="a window instead of full screen")
    parser.add_argument("--position", type=cli.position, help="window position X,Y (with --windowed)")
    parser.add_argument(
        "--lang", choices=("az", "ru", "en"), help="starting language (default: the device's)"
    )
    return parser


@cli.command("novbe counter")
def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    device = cli.device_file(args.device, "counter")
    cli.need_screen()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    # Qt is imported only here, so that a wrong command line answers fast and without a screen.
    from PySide6.QtGui import QFont
    from PySide6.QtWidgets import QApplication

    from .app import CounterApp
    from .qt_counter import FONT_FAMILY

    app = QApplication(sys.argv[:1])
    app.setFont(QFont(FONT_FAMILY, 11))
    counter = CounterApp(device, app, lang=args.lang)
    counter.start(fullscreen=False if args.windowed else None)
    if args.position:
        counter.window.move(*args.position)
    try:
        return app.exec()
    finally:
        counter.stop()


if __name__ == "__main__":
    sys.exit(main())
