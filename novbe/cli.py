"""The ``novbe`` command (``python -m novbe``).

``novbe init``, ``novbe server``, ``novbe device`` and ``novbe audit verify`` are parsed here
and carried out by the server's modules, each imported by the command that needs it; the apps
and tools have their own argument parsers and are reached through :data:`DELEGATES`, so
``novbe server`` never imports Qt and ``novbe kiosk`` never imports the server.

Every command runs under :func:`wire.cli.run`: a mistake of the user, raised anywhere as
:exc:`wire.cli.UsageError`, is answered with one line naming the problem and the fix, and exit
status 2. A database that cannot be reached is status 3.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from wire import cli
from wire.cli import UsageError
from wire.device import DEFAULT_HOST, DEFAULT_PORT, server_url_for

if TYPE_CHECKING:
    from server.center import Center
    from server.store import EventStore, OpenedLog

DELEGATES = {
    "kiosk": ("kiosk.__main__", "the touchscreen kiosk"),
    "counter": ("counter.__main__", "the operator's counter app"),
    "display": ("display.__main__", "the hall display"),
    "rating": ("rating.__main__", "the citizen's rating terminal beside a counter"),
    "boards": ("boards.__main__", "drive the number boards of a shared serial line"),
    "web": (
        "server.web.run",
        "the citizens' pages: each ticket's live page (its QR code), the hall's queues",
    ),
    "supervisor": ("supervisor.__main__", "the supervisor's desk: the hall, queues, alerts, actions"),
    "simulate": ("server.simulate.cli", "simulate days of a center with the real engine"),
    "report": ("report.cli", "figures of a day, week or month from the event log (HTML, CSV, XLSX)"),
    "ship": ("central.ship", "copy this center's event log to the central record as it is written"),
    "central": ("central.cli", "the central record: set it up, register centers, status, alerts, queues"),
    "demo": ("novbe.demo", "the whole hall on this machine"),
}

DATABASE_UNAVAILABLE = 3
"""Exit status when the database cannot be opened (the server may be down)."""

LOG_DAMAGED = 4
"""Exit status when the event log is damaged: its chain is broken, or it does not replay."""

ROLES = ("kiosk", "counter", "display", "boards", "rating", "supervisor", "web")

DB_FIX = "give --db sqlite:///PATH/novbe.db or postgresql+psycopg://USER:PASSWORD@HOST/DBNAME"


def _parser() -> argparse.ArgumentParser:
    from server.center.provision import default_home

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
    init.add_argument(
        "--host",
        help=f"the server's address as the devices reach it (default {DEFAULT_HOST}: this machine only)",
    )
    init.add_argument("--port", type=cli.port, help=f"the server's port (default {DEFAULT_PORT})")
    init.add_argument(
        "--server-url",
        help="the URL devices connect to, instead of --host and --port (e.g. wss://hall.local)",
    )
    init.add_argument(
        "--public-url",
        help="the https:// address of the citizens' pages, novbe web (docs/phone.md); none: no pages",
    )
    init.add_argument(
        "--demo",
        action="store_true",
        help="published demo passwords, virtual printers, open around the clock",
    )
    init.add_argument(
        "--force", action="store_true", help="overwrite an existing center, keeping its passwords and tokens"
    )
    init.add_argument(
        "--new-secrets",
        action="store_true",
        help="with --force: new passwords and tokens for every operator and device",
    )

    server = sub.add_parser("server", help="run the hall server")
    server.add_argument("--dir", type=Path, default=default_home(), help="folder holding center.toml")
    server.add_argument("--center", type=Path, help="center file (default: DIR/center.toml)")
    server.add_argument("--db", help="database URL (default: SQLite file DIR/novbe.db)")
    server.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST})")
    server.add_argument(
        "--port",
        type=cli.port,
        help=f"port to listen on (default: the port of center.toml's server_url, else {DEFAULT_PORT})",
    )
    server.add_argument("--cert", type=Path, help="TLS certificate (PEM); serves wss:// when given")
    server.add_argument("--key", type=Path, help="TLS private key (PEM)")
    server.add_argument(
        "--ping-interval", type=cli.seconds, default=20.0, help="seconds between keep-alive pings"
    )
    server.add_argument(
        "--hello-timeout",
        type=cli.seconds,
        default=10.0,
        help="seconds a connection has to introduce itself before it is closed (default 10)",
    )
    server.add_argument(
        "--offline-after",
        type=float,
        default=60.0,
        help="seconds a device may be gone before the supervisors are told it is offline",
    )
    server.add_argument(
        "--booking-port",
        type=cli.port,
        help="serve the booking API (HTTP JSON, docs/appointments.md) on this port; off when not given",
    )
    server.add_argument(
        "--log-level", default="INFO", type=str.upper, choices=("DEBUG", "INFO", "WARNING", "ERROR")
    )

    device = sub.add_parser("device", help="the devices of a center: list them, give one a new token")
    device_sub = device.add_subparsers(dest="device_command", required=True, metavar="ACTION")
    listing = device_sub.add_parser("list", help="every device, and whether its file holds the right token")
    token = device_sub.add_parser(
        "token", help="issue a new token to one device (or its first): center.toml and its file"
    )
    rewrite = device_sub.add_parser(
        "file", help="write one device's file again from center.toml, keeping its token"
    )
    for each in (listing, token, rewrite):
        each.add_argument("--dir", type=Path, default=default_home(), help="the center's folder")
    for each in (token, rewrite):
        each.add_argument(
            "role", choices=ROLES, help="kiosk, counter, display, boards, rating, supervisor or web"
        )
        each.add_argument(
            "code", help="the kiosk's or display's code, or the counter's number (for a counter or a rating)"
        )
        each.add_argument("--server-url", help="the URL the device connects to (default: center.toml's)")

    appointments = sub.add_parser(
        "appointments",
        help="bookings: the booking API's token, list them, import a CSV (docs/appointments.md)",
    )
    appointments_sub = appointments.add_subparsers(
        dest="appointments_command", required=True, metavar="ACTION"
    )
    new_token = appointments_sub.add_parser(
        "token", help="a new token for the booking API: prints it, its hash goes into center.toml"
    )
    listed = appointments_sub.add_parser("list", help="the bookings in the event log")
    imported = appointments_sub.add_parser(
        "import", help="book every row of a CSV through the running server's booking API"
    )
    for each in (new_token, listed, imported):
        each.add_argument("--dir", type=Path, default=default_home(), help="the center's folder")
    listed.add_argument("--db", help="database URL (default: SQLite file DIR/novbe.db)")
    when = listed.add_mutually_exclusive_group()
    when.add_argument(
        "--day", type=_date, help="the bookings of one day, YYYY-MM-DD (default: today and later)"
    )
    when.add_argument("--all", action="store_true", help="every booking of the log, past ones too")
    listed.add_argument("--service", help="one service's bookings")
    imported.add_argument("file", type=Path, help="the CSV: service, date, time[, name, phone, lang]")
    imported.add_argument(
        "--url", required=True, help="the booking API, http://HOST:PORT (novbe server --booking-port PORT)"
    )
    imported.add_argument(
        "--token-file", type=Path, help="a file holding the API's token (default: $NOVBE_BOOKING_TOKEN)"
    )
    imported.add_argument("--out", type=Path, help="write the rows with their codes and results to this CSV")

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
    prog = f"novbe {argv[0]}" if argv and not argv[0].startswith("-") else "novbe"
    return cli.run(prog, lambda: _dispatch(argv))


def _dispatch(argv: list[str]) -> int:
    if argv and argv[0] in DELEGATES:
        module = importlib.import_module(DELEGATES[argv[0]][0])
        code: int = module.main(argv[1:])
        return code
    args = _parser().parse_args(argv)
    commands = {
        "init": _init,
        "server": _server,
        "device": _device,
        "appointments": _appointments,
        "audit": _audit,
    }
    return commands[args.command](args)


# --- what the user gave ---------------------------------------------------------------------


def _center(path: Path, home: Path, *, given: bool) -> Center:
    """center.toml, or the one line that says why not."""
    from server.center import ConfigError, load_center

    if not path.exists():
        if given:
            raise UsageError(f"there is no center file {path}", "give --center the center.toml to use")
        if not home.is_dir():
            raise UsageError(
                f"there is no folder {home}",
                f"give --dir the center's folder, or create a center there with: novbe init --dir {home}",
            )
        raise UsageError(
            f"{home} holds no center.toml",
            f"give --dir the center's folder, or create a center there with: novbe init --dir {home}",
        )
    try:
        return load_center(path)
    except ConfigError as exc:
        raise UsageError(str(exc), "correct it (docs/configuration.md describes every field)") from None


def _store(url: str, *, making: Path | None = None) -> EventStore:
    """An event store for ``url``, refusing a URL that names no database novbe can use
    (``making``: a folder the command creates, where a SQLite file may go)."""
    from sqlalchemy.exc import ArgumentError

    from server.store import EventStore

    try:
        store = EventStore(url)
    except (ArgumentError, ValueError, ImportError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UsageError(f'"{_shown(url)}" is not a database novbe can use ({reason})', DB_FIX) from None
    file = _sqlite_file(url)
    if file is not None and not file.parent.is_dir() and file.parent != (making and making.resolve()):
        raise UsageError(f"there is no folder {file.parent} for the database {file}", DB_FIX)
    return store


def _shown(url: str) -> str:
    """The URL without its password, if it has one."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:  # not a URL at all: shown as typed
        return url


def _sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for another database or an in-memory one)."""
    from sqlalchemy.exc import ArgumentError

    from server.store.db import sqlite_file

    try:
        return sqlite_file(url)
    except ArgumentError:  # _store reports it
        return None


def _damaged(prog: str, exc: Exception) -> int:
    """One line for a log that is damaged (LogCorrupt) or does not replay (InconsistentEvent)."""
    from server.queue import InconsistentEvent
    from server.store.exceptions import RESTORE

    if isinstance(exc, InconsistentEvent):
        message = (
            f"the event log does not replay: {exc}; if center.toml changed today (a counter or service"
            f" removed), put it back until the day is closed; otherwise {RESTORE}, or run novbe audit verify"
        )
    else:
        message = str(exc)
    sys.stderr.write(f"{prog}: {message}\n")
    return LOG_DAMAGED


def _opening(store: EventStore, home: Path, center: Center) -> OpenedLog:
    """Open the center's log for its server (see EventStore.open_log).

    Raises:
        UsageError: The log's files can't be written, or the database is not this center's
            log (missing, empty, another, shorter).
    """
    from server.store import MARKER_NAME, DatabaseFilesError, LogMismatch

    try:
        return store.open_log(home / MARKER_NAME, center.code)
    except (DatabaseFilesError, LogMismatch) as exc:
        store.close()
        raise UsageError(str(exc)) from None


def _log_opened(opened: OpenedLog, home: Path) -> None:
    """The server's log lines about the log it opened."""
    import logging

    log = logging.getLogger("novbe.server")
    fields = {
        "msg": "log opened",
        "log_id": opened.log_id,
        "seq": opened.events.seq,
        "replies": opened.replies.seq,
        "checked": opened.checked,
        "replies_checked": opened.replies_checked,
    }
    log.info(json.dumps(fields))
    if opened.adopted:
        note = "log adopted: it had no marker, its whole chain was checked and the marker written"
        log.warning(json.dumps({"msg": note, "dir": str(home)}))
    if opened.private:
        note = "log files were readable by others: now 0600"
        log.warning(json.dumps({"msg": note, "files": [str(p) for p in opened.private]}))


def _unavailable(prog: str, url: str, exc: Exception) -> int:
    reason = str(exc).splitlines()[0]
    sys.stderr.write(
        f"{prog}: cannot open the database {_shown(url)}: {reason}; check that it is running and that"
        " --db names it with the right user and password\n"
    )
    return DATABASE_UNAVAILABLE


# --- novbe init -----------------------------------------------------------------------------


def _init(args: argparse.Namespace) -> int:
    from server.center import CenterExists, ConfigError
    from server.center.provision import database_url, init_center
    from server.store import MARKER_NAME, LogCorrupt, StoreError

    home: Path = args.dir
    if args.new_secrets and not args.force:
        raise UsageError("--new-secrets replaces the secrets of an existing center", "give it with --force")
    if home.exists() and not home.is_dir():
        raise UsageError(f"{home} is a file, not a folder", "give --dir a folder (it is created if missing)")
    if args.server_url and (args.host or args.port is not None):
        raise UsageError(
            "--server-url says the host and port already", "give either --server-url or --host/--port"
        )
    url: str | None = args.server_url
    if url is None and (args.host or args.port is not None):
        url = server_url_for(args.host or DEFAULT_HOST, DEFAULT_PORT if args.port is None else args.port)
    if url is not None:
        from wire.device import check_server_url

        try:
            check_server_url(url)
        except ValueError as exc:
            raise UsageError(
                str(exc), "give --server-url as ws://HOST:PORT, or wss://HOST:PORT with TLS"
            ) from None
    if args.public_url is not None:
        from server.center.model import check_public_url

        try:
            check_public_url(args.public_url)
        except ValueError as exc:
            raise UsageError(str(exc), "give --public-url as https://HOST (a path may follow)") from None
    if args.reference is not None and not args.reference.is_file():
        raise UsageError(
            f"there is no reference file {args.reference}",
            "give --from a reference center JSON (like server/centers/baku1.json),"
            " or leave it out for a small example",
        )
    db = database_url(home, args.db)
    store = _store(db, making=home)  # a wrong --db is refused before anything is written
    try:
        result = init_center(
            home,
            reference=args.reference,
            server_url=url,
            public_url=args.public_url,
            demo=args.demo,
            always_open=args.demo,
            force=args.force,
            new_secrets=args.new_secrets,
        )
    except CenterExists:
        raise UsageError(
            f"{home / 'center.toml'} already exists",
            "give --force to write a new center over it (its passwords and tokens are kept),"
            " or another --dir",
        ) from None
    except ConfigError as exc:
        fix = (
            "correct the file it names, or give --force --new-secrets"
            if args.force
            else "give --from a reference center JSON (like server/centers/baku1.json)"
        )
        raise UsageError(str(exc), fix) from None
    except OSError as exc:
        raise UsageError(
            f"cannot write in {home}: {exc.strerror or exc}", "give --dir a folder you may write in"
        ) from None
    center = result.center
    try:
        opened = _opening(store, home, center)
    except LogCorrupt as exc:
        return _damaged("novbe init", exc)
    except StoreError as exc:
        return _unavailable("novbe init", db, exc)
    finally:
        store.close()
    devices_dir = result.center_path.parent / "devices"
    say = sys.stdout.write
    say(f"novbe init: wrote {result.center_path}\n")
    say(f"  devices:     {len(result.device_paths)} files in {devices_dir}\n")
    say(f"  server URL:  {center.server_url} (in center.toml and every device file)\n")
    if center.public is not None:
        say(f"  public URL:  {center.public.base_url} (the citizens' pages: novbe web, docs/phone.md)\n")
    else:
        say("  note: no public pages (the QR code on tickets holds the ticket's id); give --public-url\n")
    say(f"  credentials: {result.credentials_path}\n")
    say(f"  database:    {_shown(db)}\n")
    if not opened.created:
        say(f"  log:         {opened.events.seq} events kept, chain checked (marker {home / MARKER_NAME})\n")
    for path in opened.private:
        say(f"  note: {path} was readable by others; it is now the owner's alone (0600)\n")
    if result.kept_passwords or result.kept_tokens:
        say(
            f"  kept:        {len(result.kept_passwords)} passwords and {len(result.kept_tokens)}"
            " device tokens of the center it replaced (--new-secrets makes new ones)\n"
        )
    for role, code in result.not_here:
        say(f"  note: {role} {code} keeps its token, but its file is not in {devices_dir}: not rewritten\n")
    for role, code in result.removed:
        say(f"  note: {role} {code} is not in the new center: its token no longer works\n")
    host = urlsplit(center.server_url or "").hostname or ""
    if host in ("127.0.0.1", "localhost", "::1"):
        say(
            f"  note: devices reach the server at {center.server_url}, which works on this machine only;"
            " for the hall's network give --host NAME or --server-url\n"
        )
    unprinted = [k.code for k in center.kiosks if k.printer is None]
    if unprinted:
        say(
            f"  note: no printer for kiosk {', '.join(unprinted)}: set printer under [[kiosks]] in"
            " center.toml, then run novbe device file kiosk CODE (docs/configuration.md)\n"
        )
    return 0


# --- novbe server ---------------------------------------------------------------------------


def _server(args: argparse.Namespace) -> int:
    from server.center.provision import database_url
    from server.queue import InconsistentEvent
    from server.run import (
        ServerOptions,
        check_booking_api,
        check_can_listen,
        run_hall,
        setup_logging,
        tls_context,
    )
    from server.store import LogCorrupt, StoreError

    center = _center(args.center or args.dir / "center.toml", args.dir, given=args.center is not None)
    port = args.port
    if port is None:
        port = (urlsplit(center.server_url).port if center.server_url else None) or DEFAULT_PORT
    options = ServerOptions(
        host=args.host,
        port=port,
        certfile=args.cert,
        keyfile=args.key,
        ping_interval=args.ping_interval,
        hello_timeout=args.hello_timeout,
        offline_after=args.offline_after,
        booking_port=args.booking_port,
    )
    check_booking_api(center, options)
    tls_context(options)  # a wrong --cert or --key is refused before the log is read
    setup_logging(args.log_level)
    db = database_url(args.dir, args.db)
    store = _store(db)
    # A port already taken is said before the log is opened and checked.
    check_can_listen(options.host, options.port)
    try:
        opened = _opening(store, args.dir, center)
    except LogCorrupt as exc:
        return _damaged("novbe server", exc)
    except StoreError as exc:
        return _unavailable("novbe server", db, exc)
    _log_opened(opened, args.dir)
    try:
        run_hall(center, store, options)
    except (LogCorrupt, InconsistentEvent) as exc:
        # Found replaying today's events: named by seq (LogCorrupt) or by the event.
        return _damaged("novbe server", exc)
    return 0


# --- novbe device ---------------------------------------------------------------------------


def _device(args: argparse.Namespace) -> int:
    from server.center import ConfigError
    from server.center.provision import issue_token, list_devices, rewrite_device_file

    home: Path = args.dir
    _center(home / "center.toml", home, given=False)
    say = sys.stdout.write
    if args.device_command == "list":
        rows = list_devices(home)
        say(f"{'role':<11} {'code':<14} {'file':<12} server_url\n")
        for row in rows:
            say(f"{row.role:<11} {row.code:<14} {row.state:<12} {row.server_url or ''}\n")
        bad = [r for r in rows if r.state != "ok"]
        if bad:
            say(
                f"{len(bad)} of {len(rows)} devices need care: `novbe device token ROLE CODE` gives one a new"
                " token and file\n"
            )
        return 0
    try:
        if args.device_command == "token":
            done = issue_token(home, args.role, args.code, server_url=args.server_url)
        else:
            done = rewrite_device_file(home, args.role, args.code, server_url=args.server_url)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    if args.device_command == "file":
        say(f"novbe device: rewrote {done.path} (same token, connects to {done.server_url})\n")
        say("  copy it to the device and restart its app\n")
        return 0
    what = "a first token" if done.issued else "a new token"
    say(f"novbe device: {args.role} {args.code} has {what}: {done.path} (connects to {done.server_url})\n")
    say("  center.toml holds its hash; no other device's token changed\n")
    say("  restart novbe server for it to count, then copy the file to the device and restart its app\n")
    return 0


# --- novbe appointments ---------------------------------------------------------------------


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'a day is YYYY-MM-DD, not "{text}"') from None


def _appointments(args: argparse.Namespace) -> int:
    from zoneinfo import ZoneInfo

    from server.booking import tools
    from server.center import ConfigError
    from server.center.provision import database_url
    from server.store import StoreError

    home: Path = args.dir
    center_path = home / "center.toml"
    center = _center(center_path, home, given=False)
    tz = ZoneInfo(center.hours.timezone)
    say = sys.stdout.write
    if args.appointments_command == "token":
        try:
            token, digest = tools.new_api_token(center_path)
        except ConfigError as exc:
            raise UsageError(str(exc)) from None
        say(f"{token}\n")
        sys.stderr.write(
            f"novbe appointments: the booking API's new token is above; center.toml holds its hash {digest}\n"
            "  give it to the booking system (Authorization: Bearer TOKEN) and restart novbe server\n"
        )
        return 0
    if args.appointments_command == "list":
        url = database_url(home, args.db)
        file = _sqlite_file(url)
        if file is not None and not file.is_file():
            raise UsageError(
                f"there is no event log {file}", "give --dir the center's folder, or --db its URL"
            )
        store = _store(url)
        try:
            found = tools.logged_bookings(store, center)
        except StoreError as exc:
            return _unavailable("novbe appointments", url, exc)
        finally:
            store.close()
        today = datetime.now(tz).date()
        shown = [
            b
            for b in found
            if (args.service is None or b.service == args.service)
            and (
                args.all
                or (
                    b.slot_at.astimezone(tz).date() == args.day
                    if args.day
                    else b.slot_at.astimezone(tz).date() >= today
                )
            )
        ]
        for line in tools.booking_lines(shown, tz):
            say(line + "\n")
        sys.stderr.write(f"novbe appointments: {len(shown)} bookings\n")
        return 0
    token = _booking_token(args.token_file, tools.TOKEN_ENV)
    rows = tools.read_rows(args.file)
    outcomes = []
    for outcome in tools.import_rows(tools.Api(args.url, token), rows, tz):
        outcomes.append(outcome)
        where = f"line {outcome.row.line}"
        if outcome.code:
            v = outcome.row.values
            say(f"{where}: booked {outcome.code} {v['service']} {v['date']} {v['time']}\n")
        else:
            say(f"{where}: refused: {outcome.error}\n")
    if args.out:
        tools.write_outcomes(args.out, outcomes)
    refused = sum(1 for o in outcomes if o.code is None)
    sys.stderr.write(
        f"novbe appointments: {len(outcomes)} rows, {len(outcomes) - refused} booked, {refused} refused\n"
    )
    return 1 if refused else 0


def _booking_token(path: Path | None, env: str) -> str:
    import os

    if path is not None:
        try:
            token = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise UsageError(
                f"cannot read the token file {path}: {exc.strerror}", "give --token-file"
            ) from None
    else:
        token = os.environ.get(env, "").strip()
    if not token:
        raise UsageError(
            "no token for the booking API",
            f"give --token-file FILE or set ${env} (novbe appointments token makes one)",
        )
    return token


# --- novbe audit ----------------------------------------------------------------------------


def _audit(args: argparse.Namespace) -> int:
    from server.center.provision import database_url
    from server.store import StoreError

    url = database_url(args.dir, args.db)
    file = _sqlite_file(url)
    if file is not None and not file.is_file():
        raise UsageError(
            f"there is no event log {file}",
            "give --dir the center's folder (the one holding novbe.db), or --db the database's URL",
        )
    store = _store(url)
    try:
        report = store.verify()
    except StoreError as exc:
        return _unavailable("novbe audit", url, exc)
    finally:
        store.close()
    print(
        json.dumps(
            {
                "ok": report.ok,
                "checked": report.checked,
                "first_bad_seq": report.first_bad_seq,
                "problem": report.problem,
                "replies": report.replies,
                "first_bad_reply": report.first_bad_reply,
            },
            ensure_ascii=False,
        )
    )
    if report.ok:
        print(
            f"novbe audit: chain intact, {report.checked} events and {report.replies} stored replies checked",
            file=sys.stderr,
        )
        return 0
    where = (
        f"event {report.first_bad_seq}"
        if report.first_bad_seq is not None
        else f"reply {report.first_bad_reply}"
    )
    print(f"novbe audit: BROKEN at {where}: {report.problem}", file=sys.stderr)
    return 1
