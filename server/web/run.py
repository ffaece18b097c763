"""``novbe web``: the citizens' pages, beside the hall server (docs/phone.md).

Reads the center file (its ``[public]`` section: the pages' address and the key of the
tickets' tokens) and the web process's device file, follows the hall server's events as the
``web`` role, and serves plain HTTP on its own port for a reverse proxy with TLS to put on
the internet.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
from pathlib import Path

from websockets.asyncio.server import Server, serve

from wire import cli
from wire.cli import UsageError
from wire.device import DeviceConfig

from ..center import Center
from ..run import check_can_listen, listen_error, setup_logging
from .app import WebApp, WebOptions, close_all, follow_hub

log = logging.getLogger("novbe.web")

PAGE_FRAME_MAX = 1024
"""A page's websocket only listens: anything bigger than this from a phone closes it."""


def _parser() -> argparse.ArgumentParser:
    from ..center.provision import default_home

    parser = argparse.ArgumentParser(
        prog="novbe web",
        description="Serve the citizens' pages: each ticket's live page (its QR code) and the hall's queues.",
    )
    parser.add_argument("--dir", type=Path, default=default_home(), help="folder holding center.toml")
    parser.add_argument(
        "--device", type=Path, help="the web process's device file (default: DIR/devices/web-1.toml)"
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: for a proxy on this machine)",
    )
    parser.add_argument("--server-url", help="the hall server's URL (default: the device file's)")
    parser.add_argument("--port", type=cli.port, default=8080, help="port to listen on (default 8080)")
    parser.add_argument(
        "--behind-proxy",
        action="store_true",
        help="take the citizen's address from X-Forwarded-For (only behind a proxy that sets it)",
    )
    parser.add_argument(
        "--burst", type=int, default=60, help="requests one address may make at once (default 60)"
    )
    parser.add_argument(
        "--per-second",
        type=float,
        default=2.0,
        help="requests per second per address after the burst (default 2)",
    )
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    return parser


def _load(home: Path) -> Center:
    from ..center import ConfigError, load_center

    path = home / "center.toml"
    if not path.is_file():
        raise UsageError(f"there is no center file {path}", "give --dir the folder novbe init wrote")
    try:
        center = load_center(path)
    except ConfigError as exc:
        raise UsageError(str(exc).splitlines()[0], "correct center.toml (docs/configuration.md)") from None
    if center.public is None:
        raise UsageError(
            f"{path} has no [public] section",
            "run novbe init --force --public-url https://HOST (docs/phone.md)",
        )
    return center


async def serve_web(center: Center, device: DeviceConfig, options: WebOptions) -> None:
    """Follow the hub and serve the pages until SIGTERM/SIGINT."""
    app = WebApp(center, options)
    check_can_listen(options.host, options.port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    feed = asyncio.create_task(follow_hub(app, device), name="hub")
    ticker = asyncio.create_task(app.tick(), name="tick")
    try:
        listening: Server = await serve(
            app.handler,
            options.host,
            options.port,
            process_request=app.process_request,
            compression=None,
            max_size=PAGE_FRAME_MAX,
            max_queue=4,
            ping_interval=25,
            ping_timeout=25,
            close_timeout=2,
            logger=logging.getLogger("novbe.websockets"),
        )
    except OSError as exc:
        feed.cancel()
        ticker.cancel()
        raise listen_error(options.host, options.port, exc) from None
    async with listening as server:
        port = next(iter(server.sockets)).getsockname()[1]
        public = center.public.base_url if center.public else ""
        print(  # noqa: T201 - the line an operator (and the tests) read to find the port
            f"novbe web: serving http://{options.host}:{port} for {public}"
            f" (center {center.code}, following {device.server_url})",
            flush=True,
        )
        log.info(json.dumps({"msg": "serving", "port": port}))
        await stop.wait()
        feed.cancel()
        ticker.cancel()
        await close_all(app)
    print("novbe web: stopped", flush=True)  # noqa: T201


@cli.command("novbe web")
def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    center = _load(args.dir)
    if args.burst < 1 or args.per_second <= 0:
        raise UsageError("--burst must be 1 or more and --per-second above 0", "give positive limits")
    options = WebOptions(
        host=args.host,
        port=args.port,
        behind_proxy=args.behind_proxy,
        burst=args.burst,
        per_second=args.per_second,
    )
    device = cli.device_file(args.device or args.dir / "devices" / "web-1.toml", "web")
    if args.server_url:
        device = device.model_copy(update={"server_url": args.server_url})
    setup_logging(args.log_level)
    # A line per page loaded would drown the log (and the disk) on a busy day.
    logging.getLogger("novbe.websockets").setLevel(logging.WARNING)
    asyncio.run(serve_web(center, device, options))
    return 0


if __name__ == "__main__":
    sys.exit(main())
