"""``novbe central``: the central record's own commands (docs/deployment.md).

``init`` creates or upgrades its schema, ``add`` registers a center or a mobile unit,
``status`` and ``alerts`` say how shipping goes, ``verify`` checks every chain as stored
centrally, ``digest`` reads each complete day once for quick reports, and ``queues`` shows
every center's queues now. Reports are ``novbe report
--central`` (docs/reports.md).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sys
import threading
import time
from datetime import UTC, datetime, tzinfo
from html import escape
from pathlib import Path
from types import FrameType

from wire import cli
from wire.cli import UsageError
from wire.i18n import catalog

from .exceptions import CentralError, CentralUnavailable
from .queues import CenterQueues, NationalQueues
from .record import Alert, CentralRecord
from .ship import CENTRAL_FIX, RETRY_S, open_record

_CATALOG = catalog("central")

UNAVAILABLE = 3
"""Exit status when the central database cannot be reached."""

CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
"""A center's code, as center.toml allows it."""


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--central",
        default=os.environ.get("NOVBE_CENTRAL"),
        help="the central PostgreSQL URL (default: $NOVBE_CENTRAL)",
    )
    p = argparse.ArgumentParser(prog="novbe central", description="The central record of every center's log.")
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    sub.add_parser("init", parents=[common], help="create or upgrade the central schema")
    add = sub.add_parser("add", parents=[common], help="register a center or a mobile unit to ship here")
    add.add_argument("code", help="its code, as in its center.toml (BAKU1, BUS07)")
    add.add_argument("--role", help="the only database role allowed to ship for it")
    sub.add_parser("status", parents=[common], help="every center: how far it has shipped, alerts")
    alerts = sub.add_parser("alerts", parents=[common], help="the refusals recorded, newest first")
    alerts.add_argument("--code", help="one center's only")
    alerts.add_argument(
        "--follow",
        action="store_true",
        help="oldest first, then each new or repeated one as it is recorded, until Ctrl+C",
    )
    digest = sub.add_parser(
        "digest", parents=[common], help="read every complete day not read yet, for quick reports (nightly)"
    )
    digest.add_argument("--code", help="one center's only")
    export = sub.add_parser(
        "export",
        parents=[common],
        help="write a center's log, as shipped, into an empty hall log (a restore)",
    )
    export.add_argument("code", help="the center")
    export.add_argument(
        "--db", required=True, help="the hall's database URL, e.g. sqlite:////var/lib/novbe/center/novbe.db"
    )
    verify = sub.add_parser("verify", parents=[common], help="check every center's chain as stored here")
    verify.add_argument("--code", help="one center's only")
    queues = sub.add_parser("queues", parents=[common], help="every center's queues now")
    queues.add_argument("--lang", choices=("az", "ru", "en"), default="az", help="language (default az)")
    queues.add_argument("--agencies", action="store_true", help="also each agency of each center")
    queues.add_argument("--html", type=Path, help="also write the view to this HTML file")
    queues.add_argument("--watch", type=float, metavar="SECONDS", help="refresh every SECONDS until Ctrl+C")
    return p


@cli.command("novbe central")
def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    if args.action == "add" and not CODE_PATTERN.match(args.code):
        raise UsageError(
            f"{args.code!r} is not a center code",
            "give the code of the center's center.toml (letters, digits, - _ .)",
        )
    if args.action == "queues" and args.watch is not None and args.watch <= 0:
        raise UsageError("--watch must be a positive number of seconds", "give e.g. --watch 10")
    record = open_record(args.central, application="novbe-central")
    try:
        return _ACTIONS[args.action](record, args)
    except CentralError as exc:
        sys.stderr.write(f"novbe central: {exc}\n")
        return UNAVAILABLE
    finally:
        record.close()


def _init(record: CentralRecord, args: argparse.Namespace) -> int:
    before = record.schema_revision()
    record.migrate()
    after = record.schema_revision()
    what = "already at" if before == after else "migrated to"
    sys.stdout.write(f"novbe central: {record!r} {what} schema revision {after}\n")
    return 0


def _add(record: CentralRecord, args: argparse.Namespace) -> int:
    _need_schema(record)
    if record.add_center(args.code, shipper_role=args.role):
        sys.stdout.write(
            f"novbe central: {args.code} registered; start its shipper: novbe ship --central ...\n"
        )
    else:
        sys.stdout.write(f"novbe central: {args.code} was registered already; nothing changed\n")
    return 0


def _need_schema(record: CentralRecord) -> None:
    if record.schema_revision() is None:
        raise UsageError(f"{record!r} holds no central record yet", "create it first: novbe central init")


def _when(value: datetime | None) -> str:
    return "-" if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _status(record: CentralRecord, args: argparse.Namespace) -> int:
    _need_schema(record)
    say = sys.stdout.write
    say(f"{'code':<10} {'events':>10}  {'last event (center clock)':<25}  {'last arrival':<25}")
    say("  config  alerts\n")
    for c in record.centers():
        config = "yes" if c.config_at else "no"
        say(
            f"{c.code:<10} {c.last_seq:>10}  {_when(c.last_recorded_at):<25}  {_when(c.last_shipped_at):<25}"
            f"  {config:<6}  {c.alerts}\n"
        )
    return 0


def _alert_line(a: Alert) -> str:
    fields = {
        "center": a.center,
        "kind": a.kind,
        "seq": a.seq,
        "detail": a.detail,
        "first_at": a.first_at.isoformat(),
        "last_at": a.last_at.isoformat(),
        "times": a.times,
    }
    return json.dumps(fields, ensure_ascii=False) + "\n"


def _alerts(record: CentralRecord, args: argparse.Namespace) -> int:
    _need_schema(record)
    if args.follow:
        return _follow_alerts(record, args.code)
    found = record.alerts(args.code)
    for a in found:
        sys.stdout.write(_alert_line(a))
    sys.stderr.write(f"novbe central: {len(found)} alert(s)\n")
    return 0


def _follow_alerts(record: CentralRecord, code: str | None) -> int:
    """Each alert once per count (``times``), as a JSON line, until SIGINT or SIGTERM; a lost
    connection is retried as the shipper does."""
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _stop)
    seen: set[tuple[str, str, int, int]] = set()
    failures = 0
    while not stop.is_set():
        try:
            sys.stderr.write("novbe central: following the alerts (Ctrl+C stops)\n")
            sys.stderr.flush()
            for a in record.follow_alerts(stop):
                failures = 0
                key = (a.center, a.kind, a.seq, a.times)
                if key in seen or (code is not None and a.center != code):
                    continue
                seen.add(key)
                sys.stdout.write(_alert_line(a))
                sys.stdout.flush()
        except CentralUnavailable as exc:
            wait = RETRY_S[min(failures, len(RETRY_S) - 1)]
            failures += 1
            sys.stderr.write(f"novbe central: {exc}; again in {wait:.0f} s\n")
            record.reconnect()
            stop.wait(wait)
    return 0


def _export(record: CentralRecord, args: argparse.Namespace) -> int:
    from sqlalchemy.exc import ArgumentError

    from server.store import EventStore, StoreError

    _need_schema(record)
    if args.code not in {c.code for c in record.centers()}:
        raise UsageError(f"no center {args.code} in the central record", "novbe central status lists them")
    try:
        store = EventStore(args.db)
    except (ArgumentError, ValueError) as exc:
        raise UsageError(
            f"--db {args.db!r} is not a database novbe can use ({exc})",
            "give a sqlite:/// or postgresql+psycopg:// URL",
        ) from None
    try:
        store.migrate()
        count = store.restore(record.log(args.code).rows())
    except StoreError as exc:
        sys.stderr.write(f"novbe central: {exc}\n")
        return 1
    finally:
        store.close()
    sys.stdout.write(
        f"novbe central: {count} events of {args.code} written to {store!r}; the chain verifies\n"
    )
    return 0


def _verify(record: CentralRecord, args: argparse.Namespace) -> int:
    _need_schema(record)
    codes = [args.code] if args.code else [c.code for c in record.centers()]
    broken = 0
    for code in codes:
        report = record.verify(code)
        if report.ok:
            sys.stdout.write(f"{code}: chain intact, {report.checked} events checked\n")
        else:
            broken += 1
            sys.stdout.write(f"{code}: BROKEN at event {report.first_bad_seq}: {report.problem}\n")
    return 1 if broken else 0


def _digest(record: CentralRecord, args: argparse.Namespace) -> int:
    from concurrent.futures import ProcessPoolExecutor

    from .reports import digest_center

    _need_schema(record)
    codes = [args.code] if args.code else [c.code for c in record.centers() if c.config_at is not None]
    url = record.url.render_as_string(hide_password=False)
    with ProcessPoolExecutor(max(1, min(len(codes), os.cpu_count() or 1))) as pool:
        for code, how in zip(codes, pool.map(digest_center, [url] * len(codes), codes), strict=True):
            sys.stdout.write(
                f"{code}: {how.read} day(s) read, {how.kept} digested, {how.digested} digested before\n"
            )
    return 0


# --- the national view of the queues --------------------------------------------------------


def _t(key: str, lang: str, **values: object) -> str:
    return _CATALOG.tr(key, lang, **values)


def _local(value: datetime | None, tz: tzinfo | None, lang: str, now: datetime) -> str:
    """``14:05`` today, ``28.11.2026 18:00`` another day (in the center's time zone)."""
    if value is None:
        return "-"
    shown = value.astimezone(tz) if tz is not None else value
    if shown.date() == now.astimezone(tz).date():
        return f"{shown:%H:%M}"
    return f"{_t('date', lang, d=shown.day, m=shown.month, y=shown.year)} {shown:%H:%M}"


COLUMNS = ("col.code", "col.center", "col.day", "col.state", "col.waiting", "col.oldest", "col.in_service",
           "col.counters", "col.issued", "col.served", "col.as_of", "col.alerts")  # fmt: skip


def queue_rows(centers: list[CenterQueues], lang: str, now: datetime) -> list[list[str]]:
    """The table of the national view: one row per center, then the total, as text."""

    rows = []
    for c in centers:
        tz = c.center.hours.tz if c.center is not None else None
        name = c.center.name.get(lang) if c.center is not None else ""
        if c.problem is not None or c.day is None:
            state = _t("state.none", lang)
        else:
            state = _t("state.open" if c.open else "state.closed", lang)
        day = _t("date", lang, d=c.day.day, m=c.day.month, y=c.day.year) if c.day else "-"
        rows.append(
            [
                c.code, name, day, state, str(c.waiting), _minutes(c.oldest_wait_min, lang),
                str(c.in_service),
                f"{c.counters_open + c.counters_paused}/{c.counters}", str(c.issued), str(c.served),
                _local(c.as_of, tz, lang, now), str(c.alerts),
            ]
        )  # fmt: skip
    waits = [c.oldest_wait_min for c in centers if c.oldest_wait_min is not None]
    rows.append(
        [
            "", _t("total", lang), "", "", str(sum(c.waiting for c in centers)),
            _minutes(max(waits) if waits else None, lang),
            str(sum(c.in_service for c in centers)),
            f"{sum(c.counters_open + c.counters_paused for c in centers)}/{sum(c.counters for c in centers)}",
            str(sum(c.issued for c in centers)), str(sum(c.served for c in centers)), "",
            str(sum(c.alerts for c in centers)),
        ]
    )  # fmt: skip
    return rows


def _table(head: list[str], rows: list[list[str]], numeric: set[int]) -> list[str]:
    """Lines of a text table, numbers to the right."""
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in numeric else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return [line(head), *(line(r) for r in rows)]


def _minutes(value: float | None, lang: str) -> str:
    return "-" if value is None else _t("minutes", lang, n=round(value))


def agency_rows(centers: list[CenterQueues], lang: str) -> list[list[str]]:
    """Each agency of each center with citizens waiting or a counter open."""
    rows = []
    for c in centers:
        names = {a.code: a.name.get(lang) for a in c.center.agencies} if c.center is not None else {}
        for a in c.agencies:
            if a.waiting or a.counters_open:
                rows.append(
                    [c.code, a.agency, names.get(a.agency, a.agency), str(a.waiting),
                     _minutes(a.oldest_wait_min, lang), str(a.counters_open)]
                )  # fmt: skip
    return rows


AGENCY_COLUMNS = ("col.code", "col.agency", "col.name", "col.waiting", "col.oldest", "col.counters")


def _text(centers: list[CenterQueues], lang: str, agencies: bool, now: datetime) -> str:
    out = [
        f"{_t('queues.title', lang)} · {_t('queues.updated', lang, when=_local(now, None, lang, now))}",
        "",
    ]
    out += _table([_t(k, lang) for k in COLUMNS], queue_rows(centers, lang, now), {4, 5, 6, 7, 8, 9, 11})
    if agencies:
        out += ["", _t("queues.agencies", lang), ""]
        out += _table([_t(k, lang) for k in AGENCY_COLUMNS], agency_rows(centers, lang), {3, 4, 5})
    out += [""] + [_t("queues.problem", lang, code=c.code, problem=c.problem) for c in centers if c.problem]
    out.append(_t("queues.as_of_note", lang))
    return "\n".join(out) + "\n"


def queues_html(centers: list[CenterQueues], lang: str, now: datetime, refresh: float | None = None) -> str:
    """The national view as one self-contained HTML page (refreshing itself every ``refresh`` s)."""
    head = "".join(f"<th>{escape(_t(key, lang))}</th>" for key in COLUMNS)
    rows = queue_rows(centers, lang, now)
    body = "".join(
        ("<tr class='total'>" if i == len(rows) - 1 else "<tr>")
        + "".join(f"<td>{escape(c)}</td>" for c in r)
        + "</tr>"
        for i, r in enumerate(rows)
    )
    meta = f'<meta http-equiv="refresh" content="{max(1, round(refresh))}">' if refresh else ""
    title = escape(_t("queues.title", lang))
    problems = "".join(
        f"<li>{escape(_t('queues.problem', lang, code=c.code, problem=c.problem))}</li>"
        for c in centers
        if c.problem
    )
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">{meta}<title>{title}</title>'
        "<style>body{font-family:'DejaVu Sans',Arial,sans-serif;margin:16px}table{border-collapse:collapse}"
        "th,td{border:1px solid #cbd5e0;padding:3px 6px}th{background:#edf2f7;text-align:left}"
        "tr.total td{font-weight:bold}</style></head><body>"
        f"<h1>{title}</h1><p>{escape(_t('queues.updated', lang, when=_local(now, None, lang, now)))}</p>"
        f"<table><tr>{head}</tr>{body}</table><ul>{problems}</ul>"
        f"<p>{escape(_t('queues.as_of_note', lang))}</p></body></html>\n"
    )


def _queues(record: CentralRecord, args: argparse.Namespace) -> int:
    _need_schema(record)
    view = NationalQueues(record)
    while True:
        centers = view.refresh()
        now = datetime.now().astimezone()
        sys.stdout.write(_text(centers, args.lang, args.agencies, now))
        sys.stdout.flush()
        if args.html is not None:
            args.html.write_text(queues_html(centers, args.lang, now, args.watch), encoding="utf-8")
        if args.watch is None:
            return 0
        time.sleep(args.watch)
        sys.stdout.write("\n")


_ACTIONS = {
    "init": _init,
    "add": _add,
    "status": _status,
    "alerts": _alerts,
    "verify": _verify,
    "export": _export,
    "digest": _digest,
    "queues": _queues,
}

__all__ = ["CENTRAL_FIX", "main", "queue_rows", "queues_html"]
