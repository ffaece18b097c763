"""``novbe counter --device HOME/devices/counter-12.toml [--windowed]``: the operator's app."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from shell.main import AppSpec, run
from wire.device import DeviceConfig

from . import FONT_FAMILY

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from .app import CounterApp


def _build(config: DeviceConfig, args: argparse.Namespace, qapp: QApplication) -> CounterApp:
    # Qt is imported only now, after the command line and the device file were checked.
    from .app import CounterApp

    return CounterApp(config, qapp, lang=args.lang)


APP = AppSpec(
    name="counter", description="The operator's counter app.", build=_build, font_family=FONT_FAMILY
)


def main(argv: list[str] | None = None) -> int:
    return run(APP, argv)


if __name__ == "__main__":
    sys.exit(main())
