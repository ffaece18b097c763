"""``novbe rating --device HOME/devices/rating-12.toml [--windowed] [--size 800x480]``."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from shell.main import AppSpec, run
from wire.device import DeviceConfig

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from .app import RatingApp

SCREEN = (800, 480)
"""The window's size with ``--windowed`` and no ``--size``: a 7" landscape touchscreen."""


def _build(config: DeviceConfig, args: argparse.Namespace, qapp: QApplication) -> RatingApp:
    from PySide6.QtCore import QSize

    from .app import RatingApp

    # The layout follows the window's size, so it is known before the window is built.
    size = QSize(*args.size) if args.size else (QSize(*SCREEN) if args.windowed else None)
    return RatingApp(config, size=size, lang=args.lang)


SPEC = AppSpec(
    name="rating",
    description="The citizen's rating terminal beside a counter.",
    build=_build,
    window_size=SCREEN,
)


def main(argv: list[str] | None = None) -> int:
    return run(SPEC, argv)


if __name__ == "__main__":
    sys.exit(main())
