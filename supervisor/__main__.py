"""``novbe supervisor --device HOME/devices/supervisor-1.toml [--windowed]``: the floor manager's desk."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from shell.main import AppSpec, run
from wire.device import DeviceConfig

from . import FONT_FAMILY

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from .app import SupervisorApp


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--mute", action="store_true", help="no chime for new alerts")


def _build(config: DeviceConfig, args: argparse.Namespace, qapp: QApplication) -> SupervisorApp:
    # Qt is imported only now, after the command line and the device file were checked.
    from .app import SupervisorApp

    return SupervisorApp(config, qapp, lang=args.lang, sound=not args.mute)


APP = AppSpec(
    name="supervisor",
    description="The supervisor's desk: the hall, the queues, the alerts and today's figures.",
    build=_build,
    add_arguments=_arguments,
    window_size=(1920, 1080),
    font_family=FONT_FAMILY,
)


def main(argv: list[str] | None = None) -> int:
    return run(APP, argv)


if __name__ == "__main__":
    sys.exit(main())
