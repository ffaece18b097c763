"""``novbe display --device HOME/devices/display-lobby.toml [--windowed] [--size 1920x1080]``."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from display import FONT_FAMILY
from shell.main import AppSpec, run
from wire import cli
from wire.device import DeviceConfig

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from display.app import DisplayApp


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--server", help="server URL, instead of the device file's server_url")
    parser.add_argument("--silent", action="store_true", help="show the calls without sound")
    # A display logs only its warnings unless asked for more.
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_const",
        dest="log_level",
        const="INFO",
        help="log more: as --log-level INFO (a display logs only its warnings by default)",
    )
    parser.set_defaults(log_level="WARNING")


def _build(config: DeviceConfig, args: argparse.Namespace, qapp: QApplication) -> DisplayApp:
    if config.voice_pack is not None and not config.voice_pack.is_dir():
        raise cli.UsageError(
            f"{args.device}: voice_pack {config.voice_pack} is not a folder",
            "give voice_pack the folder of recorded clips (docs/announcements.md),"
            " or remove it for the built-in voice",
        )
    if config.idle_images is not None and not config.idle_images.is_dir():
        raise cli.UsageError(
            f"{args.device}: idle_images {config.idle_images} is not a folder",
            "give idle_images the folder of pictures to show between calls (docs/display.md),"
            " or remove it for the queues' figures",
        )
    from display.app import DisplayApp

    return DisplayApp(config, server_url=args.server, lang=args.lang, multimedia=not args.silent)


SPEC = AppSpec(
    name="display",
    description="The hall display: calls seen and heard.",
    build=_build,
    add_arguments=_add_arguments,
    window_size=(1280, 720),
    font_family=FONT_FAMILY,
)


def main(argv: list[str] | None = None) -> int:
    return run(SPEC, argv)


if __name__ == "__main__":
    sys.exit(main())
