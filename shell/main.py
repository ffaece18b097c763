"""The one ``main()`` of the desktop apps.

``novbe kiosk``, ``novbe counter``, ``novbe display`` (and every later app) differ only in
what they build from their device file; the rest is here: the common arguments, reading
the device file (a mistake is one line on stderr and exit status 2, never a traceback),
logging, the QApplication, showing the window (full screen, or a window of a given size
and place), stopping cleanly on Ctrl+C and SIGTERM.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from wire import cli
from wire.device import DeviceConfig, DeviceRole

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication, QWidget


class RunningApp(Protocol):
    """What an app's builder returns: its main window, and how to start and stop it."""

    @property
    def window(self) -> QWidget: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...


@dataclass(frozen=True)
class AppSpec:
    """One app, as ``main()`` needs to know it."""

    name: DeviceRole
    """The command's name after ``novbe`` (``kiosk``) and the device file's role."""
    description: str
    build: Callable[[DeviceConfig, argparse.Namespace, QApplication], RunningApp]
    """Makes the app (in the GUI thread, after the QApplication); not yet started."""
    add_arguments: Callable[[argparse.ArgumentParser], None] | None = None
    window_size: tuple[int, int] = (1280, 800)
    """The window's size with ``--windowed`` and no ``--size``."""
    font_family: str | None = None


def parser(spec: AppSpec) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"novbe {spec.name}", description=spec.description)
    parser.add_argument(
        "--device", type=Path, required=True, help=f"the device file (devices/{spec.name}-CODE.toml)"
    )
    parser.add_argument("--windowed", action="store_true", help="a window instead of full screen")
    parser.add_argument("--size", type=cli.size, help="window size WIDTHxHEIGHT (implies --windowed)")
    parser.add_argument("--position", type=cli.position, help="window position X,Y (with --windowed)")
    parser.add_argument(
        "--lang", choices=("az", "ru", "en"), help="the language (default: the device file's)"
    )
    parser.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING or ERROR")
    if spec.add_arguments is not None:
        spec.add_arguments(parser)
    return parser


def run(spec: AppSpec, argv: list[str] | None = None) -> int:
    """Parse ``argv``, build the app, run it until its window closes or a signal comes.

    A mistake of the person starting it (a missing or wrong device file, no screen) is one
    line on stderr and exit status 2 (``wire.cli``)."""
    return cli.run(f"novbe {spec.name}", lambda: _run(spec, argv))


def _run(spec: AppSpec, argv: list[str] | None) -> int:
    args = parser(spec).parse_args(sys.argv[1:] if argv is None else argv)
    config = cli.device_file(args.device, spec.name)
    cli.need_screen()
    logging.basicConfig(
        level=str(args.log_level).upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    # Qt is imported only here, so that a wrong command line answers fast and without a screen.
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QFont
    from PySide6.QtWidgets import QApplication

    qapp = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(qapp, QApplication)
    qapp.setApplicationName(f"novbe {spec.name}")
    if spec.font_family:
        qapp.setFont(QFont(spec.font_family, 11))
    app = spec.build(config, args, qapp)
    window = app.window
    if args.size or args.windowed or not config.fullscreen:
        window.resize(*(args.size or spec.window_size))
        window.show()
        if args.position:
            window.move(*args.position)
    else:
        window.showFullScreen()
    app.start()

    # Qt's loop does not run Python's signal handlers; a short timer lets SIGTERM/Ctrl+C through.
    signal.signal(signal.SIGTERM, lambda *_: qapp.quit())
    signal.signal(signal.SIGINT, lambda *_: qapp.quit())
    wake = QTimer()
    wake.timeout.connect(lambda: None)
    wake.start(250)
    try:
        return int(qapp.exec())
    finally:
        app.stop()
