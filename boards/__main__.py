"""``novbe boards --device HOME/devices/boards-CODE.toml``: the process that owns a board line.

It opens the line's serial port, the only process that does, and drives the number board of
every counter on it from the calls the server sends. No screen: it runs on any PC of the
hall the line's adapter is plugged into, until SIGINT or SIGTERM.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from wire import cli


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="novbe boards", description="Drive the counters' number boards on one shared serial line."
    )
    parser.add_argument(
        "--device", type=Path, required=True, help="the line's device file (devices/boards-CODE.toml)"
    )
    return parser


@cli.command("novbe boards")
def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    device = cli.device_file(args.device, "boards")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    from .app import BoardsApp

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    app = BoardsApp(device)
    app.start()
    logging.getLogger("novbe.boards").info(
        "driving %d boards on %s for %s", len(device.boards or {}), device.board, device.server_url
    )
    try:
        stop.wait()
    finally:
        app.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
