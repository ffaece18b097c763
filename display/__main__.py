"""``novbe display --device HOME/devices/display-lobby.toml [--windowed] [--size 1920x1080]``."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from pathlib import Path

from wire import cli


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="novbe display", description="The hall display: calls seen and heard."
    )
    parser.add_argument("--device", type=Path, required=True, help="the display's device file")
    parser.add_argument("--windowed", action="store_true", help="a window instead of the full screen")
    parser.add_argument("--size", type=cli.size, help="window size WIDTHxHEIGHT (implies --windowed)")
    parser.add_argument("--position", type=cli.position, help="window position X,Y (with --windowed)")
    parser.add_argument("--server", help="server URL, instead of the device file's server_url")
    parser.add_argument("--silent", action="store_true", help="show the calls without sound")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    return parser


@cli.command("novbe display")
def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    config = cli.device_file(args.device, "display")
    if config.voice_pack is not None and not config.voice_pack.is_dir():
        raise cli.UsageError(
            f"{args.device}: voice_pack {config.voice_pack} is not a folder",
            "give voice_pack the folder of recorded clips (docs/announcements.md),"
            " or remove it for the built-in voice",
        )
    cli.need_screen()

    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QFont
    from PySide6.QtWidgets import QApplication

    from display.app import DisplayApp
    from display.qt_display import FONT_FAMILY

    app = QApplication(sys.argv[:1])
    app.setApplicationName("novbe display")
    app.setFont(QFont(FONT_FAMILY))
    display = DisplayApp(config, server_url=args.server, multimedia=not args.silent)
    window = display.window
    if args.size:
        window.resize(*args.size)
        window.show()
    elif args.windowed or not config.fullscreen:
        window.resize(1280, 720)
        window.show()
    else:
        window.showFullScreen()
    if args.position and not window.isFullScreen():
        window.move(*args.position)
    display.start()

    # Qt's loop does not run Python's signal handlers; a short timer lets SIGTERM/Ctrl+C through.
    signal.signal(signal.SIGTERM, lambda *_: app.quit())
    signal.signal(signal.SIGINT, lambda *_: app.quit())
    wake = QTimer()
    wake.timeout.connect(lambda: None)
    wake.start(250)
    try:
        return app.exec()
    finally:
        display.stop()


if __name__ == "__main__":
    sys.exit(main())
