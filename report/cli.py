"""``novbe report``: the figures of a day, a week, a month or any range, from the event log."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

from tqdm import tqdm

from server.center import Center, ConfigError, load_center
from server.store import EventStore, StoreError
from server.tally.facts import day_starts
from wire import cli

from .build import NoDays, Report, build_report, events_in, report_of
from .html import render, render_national
from .national import NationalReport
from .periods import Period, PeriodError, day, parse_date, parse_month, parse_week, span
from .tables import write_csv, write_hours_csv, write_matrix_csv, write_national_csv, write_xlsx
from .text import NationalWords, Words

FORMATS = ("html", "csv", "xlsx")

PROGRESS_FROM = 100_000
"""Events; a shorter read shows no progress bar."""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="novbe report",
        description="Figures of a center from its event log: HTML with plots, CSV, XLSX (docs/reports.md).",
    )
    p.add_argument("--dir", type=Path, default=None, help="the center's folder (center.toml, novbe.db)")
    p.add_argument("--db", help="database URL (default: SQLite file DIR/novbe.db, or $NOVBE_DB)")
    p.add_argument("--center", type=Path, help="center file (default: DIR/center.toml)")
    when = p.add_mutually_exclusive_group()
    when.add_argument("--day", metavar="YYYY-MM-DD", help="one service day (default: the last in the log)")
    when.add_argument("--week", metavar="YYYY-Www", help="an ISO week, or any date in it")
    when.add_argument("--month", metavar="YYYY-MM", help="a calendar month")
    when.add_argument("--from", dest="first", metavar="YYYY-MM-DD", help="first day of a range (with --to)")
    p.add_argument("--to", dest="last", metavar="YYYY-MM-DD", help="last day of a range (with --from)")
    p.add_argument("--lang", choices=("az", "ru", "en"), help="language (default: the center's first)")
    p.add_argument(
        "--format",
        default="html,csv,xlsx",
        help="comma-separated: html, csv, xlsx (default: all three)",
    )
    p.add_argument("--out", type=Path, help="folder for the files (default: DIR/reports)")
    p.add_argument(
        "--central",
        metavar="URL",
        help="read the central record instead of a hall's log: one center with --code, else every center",
    )
    p.add_argument("--code", help="with --central: the center to report on (BAKU1, BUS07)")
    return p


def _err(text: str) -> int:
    sys.stderr.write(f"novbe report: {text}\n")
    return 2


def _period(args: argparse.Namespace, starts: list[tuple[int, date]]) -> Period:
    if args.first or args.last:
        if not (args.first and args.last):
            raise PeriodError("a range needs both --from and --to")
        return span(parse_date(args.first), parse_date(args.last))
    if args.week:
        return parse_week(args.week)
    if args.month:
        return parse_month(args.month)
    if args.day:
        return day(parse_date(args.day))
    return day(starts[-1][1])


def write_files(report: Report, w: Words, out: Path, formats: list[str]) -> list[Path]:
    """Write the report in ``formats`` into ``out``; return the files written."""
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"report-{report.period.slug}-{w.lang}"
    written = []
    if "html" in formats:
        path = stem.with_suffix(".html")
        path.write_text(render(report, w), encoding="utf-8")
        written.append(path)
    if "csv" in formats:
        path = stem.with_suffix(".csv")
        write_csv(report, w, path)
        hours = stem.with_name(stem.name + "-hours.csv")
        write_hours_csv(report, hours)
        written += [path, hours]
    if "xlsx" in formats:
        path = stem.with_suffix(".xlsx")
        write_xlsx(report, w, path)
        written.append(path)
    return written


@cli.command("novbe report")
def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    from server.center.provision import database_url, default_home

    home: Path = args.dir or default_home()
    formats = [f.strip() for f in args.format.split(",") if f.strip()]
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown or not formats:
        return _err(f"unknown format {', '.join(unknown) or '(none)'}: choose from {', '.join(FORMATS)}")
    if args.code and not args.central:
        return _err("--code names a center of the central record: give --central URL with it")
    if args.central:
        return _central(args, home, formats)
    center_path = args.center or home / "center.toml"
    try:
        center: Center = load_center(center_path)
    except ConfigError as exc:
        more = f" (and {len(exc.problems) - 1} more)" if len(exc.problems) > 1 else ""
        return _err(f"{exc.source}: {exc.problems[0]}{more} (give --dir or --center)")
    url = database_url(home, args.db)
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
        return _err(f"no event log at {url.removeprefix('sqlite:///')} (give --dir or --db)")
    began = time.perf_counter()
    try:
        with EventStore(url) as store:
            starts = day_starts(store)
            if not starts:
                return _err(f"the event log at {store!r} has no service day yet")
            period = _period(args, starts)
            total = events_in(store, starts, period.previous().first, period.last)
            with tqdm(
                total=total, unit="event", unit_scale=True, disable=total < PROGRESS_FROM, file=sys.stderr
            ) as bar:
                report = build_report(store, center, period, progress=bar.update, starts=starts)
    except PeriodError as exc:
        return _err(str(exc))
    except NoDays:
        first, last = starts[0][1], starts[-1][1]
        return _err(f"no service day of the log falls in {period.slug}; the log has {first} to {last}")
    except StoreError as exc:
        sys.stderr.write(f"novbe report: cannot read the event log: {exc}\n")
        return 3
    w = Words(args.lang or center.languages[0], center)
    for path in write_files(report, w, args.out or home / "reports", formats):
        sys.stdout.write(f"wrote {path}\n")
    fig = report.figures
    sys.stdout.write(
        f"{report.period.slug}: {len(fig.days)} day(s), {fig.center.tickets} tickets, "
        f"{report.events} events read in {time.perf_counter() - began:.1f} s\n"
    )
    return 0


# --- from the central record (docs/reports.md, "Reports from the central record") -----------


def _central(args: argparse.Namespace, home: Path, formats: list[str]) -> int:
    from central import CentralError, CentralRecord
    from central.reports import all_day_starts, read_centers, read_days

    from .national import national_report
    from .text import NationalWords

    try:
        record = CentralRecord(args.central, application="novbe-report")
    except ValueError as exc:
        return _err(f"{exc} (give --central postgresql://USER@HOST/DBNAME)")
    out: Path = args.out or home / "reports"
    began = time.perf_counter()
    try:
        with record:
            if args.code:
                if args.code not in {c.code for c in record.centers()}:
                    return _err(
                        f"no center {args.code} in the central record (novbe central status lists them)"
                    )
                center = load_center(args.center) if args.center else record.config(args.code)
                if center is None:
                    return _err(
                        f"the central record has no configuration of {args.code} yet (its shipper sends it):"
                        " give --center its center.toml"
                    )
                starts = day_starts(record.log(args.code))
                if not starts:
                    return _err(f"{args.code} has shipped no service day yet")
                period = _period(args, starts)
                if not any(day in period for _, day in starts):
                    raise NoDays(period)
                facts, _ = read_days(
                    record, args.code, center, period.previous().first, period.last, starts=starts
                )
                report = report_of(facts, center, period, log_days=(starts[0][1], starts[-1][1]))
                w = Words(args.lang or center.languages[0], center)
                for path in write_files(report, w, out / args.code, formats):
                    sys.stdout.write(f"wrote {path}\n")
                fig = report.figures
                sys.stdout.write(
                    f"{args.code} {period.slug}: {len(fig.days)} day(s), {fig.center.tickets} tickets, "
                    f"{report.events} events read in {time.perf_counter() - began:.1f} s\n"
                )
                return 0
            if "xlsx" in formats and args.format != _default_formats():
                return _err("the national report is written as html and csv: give --format html,csv")
            starts_of = {code: s for code, s in all_day_starts(record).items() if s}
            if not starts_of:
                return _err("no center has shipped a service day yet")
            every = sorted({(seq, day) for s in starts_of.values() for seq, day in s}, key=lambda x: x[1])
            period = _period(args, every)
            codes = sorted(starts_of)
            url = record.url.render_as_string(hide_password=False)
            with tqdm(total=len(codes), unit="center", disable=len(codes) < 2, file=sys.stderr) as bar:
                parts = read_centers(url, codes, period, done=lambda _: bar.update(1))
            national = national_report([part for part, _ in parts], period)
            digested = sum(how.digested for _, how in parts)
            read = sum(how.read for _, how in parts)
    except ConfigError as exc:
        return _err(f"{exc.source}: {exc.problems[0]} (give --center a center.toml)")
    except PeriodError as exc:
        return _err(str(exc))
    except NoDays:
        who = args.code or "no center"
        return _err(
            f"{who} shipped no service day in {period.slug}"
            if args.code
            else f"{who} shipped a service day in {period.slug}"
        )
    except CentralError as exc:
        sys.stderr.write(f"novbe report: cannot read the central record: {exc}\n")
        return 3
    w_national = NationalWords(
        args.lang or "az", {r.center.code: r.center for r in national.centers}, national.standard_min
    )
    for path in write_national(national, w_national, out, [f for f in formats if f != "xlsx"]):
        sys.stdout.write(f"wrote {path}\n")
    fig = national.figures
    sys.stdout.write(
        f"all centers {period.slug}: {len(national.codes)} center(s), {len(fig.days)} day(s),"
        f" {fig.center.tickets} tickets, {national.events} events; center-days: {digested} from their"
        f" digests, {read} read from the events; {time.perf_counter() - began:.1f} s\n"
    )
    return 0


def _default_formats() -> str:
    default: str = _parser().get_default("format")
    return default


def write_national(report: NationalReport, w: NationalWords, out: Path, formats: list[str]) -> list[Path]:
    """Write the national report in ``formats`` (html, csv) into ``out``; return the files."""
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"report-national-{report.period.slug}-{w.lang}"
    written = []
    if "html" in formats:
        path = stem.with_suffix(".html")
        path.write_text(render_national(report, w), encoding="utf-8")
        written.append(path)
    if "csv" in formats:
        path = stem.with_suffix(".csv")
        write_national_csv(report, w, path)
        matrix = stem.with_name(stem.name + "-matrix.csv")
        write_matrix_csv(report, matrix)
        written += [path, matrix]
    return written
