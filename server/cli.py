"""The ``novbe`` command.

``novbe init``, ``novbe server`` and ``novbe audit verify`` live here; the apps and
tools have their own argument parsers and are reached through :data:`DELEGATES`, so
``novbe server`` never imports Qt.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import sys
from pathlib import Path

DELEGATES = {
    "kiosk": ("kiosk.__main__", "the touchscreen kiosk"),
    "counter": ("counter.__main__", "the operator's counter app"),
    "display": ("display.__main__", "the hall display"),
    "boards": ("boards.__main__", "drive the number boards of a shared serial line"),
    "simulate": ("server.simulate.cli", "simulate days of a center with the real engine"),
    "report": ("report.cli", "figures of a day, week or month from the event log (HTML, CSV, XLSX)"),
    "demo": ("server.demo", "the whole hall on this machine"),
}


def default_home() -> Path:
    return Path(os.environ.get("NOVBE_HOME", "var"))


def database_url(home: Path, url: str | None) -> str:
    """The store's URL: ``--db``, else $NOVBE_DB, else a SQLite file in the home folder."""
    return url or os.environ.get("NOVBE_DB") or f"sqlite:///{(home / 'novbe.db').resolve()}"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="novbe", description="Queue management for public-service center halls."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    init = sub.add_parser("init", help="create a center configuration and its database")
    init.add_argument(
        "--dir", type=Path, default=default_home(), help="folder for center.toml, devices/ and the database"
    )
    init.add_argument("--from", dest="reference", type=Path, help="a reference center JSON to convert")
    init.add_argument("--db", help="database URL (default: SQLite file novbe.db in --dir)")
    init.add_argument("--server-url", default="ws://127.0.0.1:8765", help="the URL devices will connect to")
    init.add_argument("--demo", action="store_true", help="fixed demo passwords, open around the clock")
    init.add_argument("--force", action="store_true", help="overwrite an existing configuration")

    server = sub.add_parser("server", help="run the hall server")
    server.add_argument("--dir", type=Path, default=default_home(), help="folder holding center.toml")
    server.add_argument("--center", type=Path, help="center file (default: DIR/center.toml)")
    server.add_argument("--db", help="database URL (default: SQLite file DIR/novbe.db)")
    server.add_argument("--host", default="127.0.0.1")
    server.add_argument("--port", type=int, default=8765)
    server.add_argument("--cert", type=Path, help="TLS certificate (PEM); serves wss:// when given")
    server.add_argument("--key", type=Path, help="TLS private key (PEM)")
    server.add_argument("--ping-interval", type=float, default=20.0, help="seconds between keep-alive pings")
    server.add_argument("--log-level", default="INFO")

    audit = sub.add_parser("audit", help="check the event log")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    verify = audit_sub.add_parser(
        "verify", help="verify the hash chain; names the first broken or missing link"
    )
    verify.add_argument("--dir", type=Path, default=default_home())
    verify.add_argument("--db", help="database URL")

    for name, (_, text) in DELEGATES.items():
        sub.add_parser(name, help=text, add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in DELEGATES:
        module = importlib.import_module(DELEGATES[argv[0]][0])
        code: int = module.main(argv[1:])
        return code
    args = _parser().parse_args(argv)
    if args.command == "init":
        return _init(args)
    if args.command == "server":
        return _server(args)
    return _audit(args)


def _init(args: argparse.Namespace) -> int:
    from .center import ConfigError, init_center
    from .store import EventStore

    try:
        result = init_center(
            args.dir,
            reference=args.reference,
            server_url=args.server_url,
            demo=args.demo,
            always_open=args.demo,
            force=args.force,
        )
    except ConfigError as exc:
        print(f"novbe init: {exc}", file=sys.stderr)
        return 2
    store = EventStore(database_url(args.dir, args.db))
    store.migrate()
    store.close()
    print(f"novbe init: wrote {result.center_path}")
    print(f"  devices:     {len(result.device_paths)} files in {result.center_path.parent / 'devices'}")
    print(f"  credentials: {result.credentials_path}")
    print(f"  database:    {database_url(args.dir, args.db)}")
    return 0


def _server(args: argparse.Namespace) -> int:
    from .center import ConfigError, load_center
    from .run import ServerOptions, serve_hall, setup_logging
    from .store import EventStore, StoreError

    setup_logging(args.log_level)
    center_path = args.center or args.dir / "center.toml"
    try:
        center = load_center(center_path)
    except ConfigError as exc:
        print(f"novbe server: the configuration is refused:\n{exc}", file=sys.stderr)
        return 2
    try:
        store = EventStore(database_url(args.dir, args.db))
        store.migrate()
    except StoreError as exc:
        print(f"novbe server: cannot open the database: {exc}", file=sys.stderr)
        return 3
    options = ServerOptions(
        host=args.host, port=args.port, certfile=args.cert, keyfile=args.key, ping_interval=args.ping_interval
    )
    asyncio.run(serve_hall(center, store, options))
    return 0


def _audit(args: argparse.Namespace) -> int:
    from .store import EventStore

    store = EventStore(database_url(args.dir, args.db))
    report = store.verify()
    store.close()
    print(
        json.dumps(
            {
                "ok": report.ok,
                "checked": report.checked,
                "first_bad_seq": report.first_bad_seq,
                "problem": report.problem,
            },
            ensure_ascii=False,
        )
    )
    if report.ok:
        print(f"novbe audit: chain intact, {report.checked} events checked", file=sys.stderr)
        return 0
    print(f"novbe audit: BROKEN at event {report.first_bad_seq}: {report.problem}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
