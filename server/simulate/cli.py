"""``novbe simulate``: simulate days of a center on the real queue engine and report."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from tqdm import tqdm

from server.center import ConfigError
from server.store import StoreError
from wire import cli

from .bookings import compare_lane, markdown as bookings_markdown
from .compare import compare, markdown
from .day import Behaviour
from .plots import plot_queues, plot_waits
from .policies import DEFAULT, POLICIES
from .predict import format_prediction, measure
from .report import all_tickets, format_table, summarize, write_csv
from .run import ESTIMATORS, center_setup, read_center, run_days, with_load
from .store import StoreNotEmpty, open_store_dir, run_days_to_store
from .workload import Surge, WorkloadError


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")


def _err(text: str) -> None:
    sys.stderr.write(f"novbe simulate: {text}\n")


def clock(text: str) -> float:
    """``"13:30"`` -> 810.0, minutes after midnight.

    Raises:
        argparse.ArgumentTypeError: If ``text`` is not ``HH:MM``.
    """
    hours, sep, minutes = text.partition(":")
    try:
        h, m = int(hours), int(minutes)
    except ValueError:
        h, m = -1, -1
    if not sep or not (0 <= h <= 24 and 0 <= m < 60):
        raise argparse.ArgumentTypeError(f"not a time of day (HH:MM): {text!r}")
    return h * 60.0 + m


def counter_list(text: str) -> list[tuple[int, float | None]]:
    """``"12,41-43@14:00"`` -> [(12, None), (41, 840.0), (42, 840.0), (43, 840.0)]:
    counters closed all day (None), or from a time of day on."""
    numbers: list[tuple[int, float | None]] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        span, _, when = part.partition("@")
        first, _, last = span.partition("-")
        try:
            lo, hi = int(first), int(last or first)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a counter number or range: {part!r}") from None
        minute = clock(when) if when else None
        numbers.extend((n, minute) for n in range(lo, hi + 1))
    return numbers


def surge(text: str) -> Surge:
    """``"13:00-14:00x2"`` -> arrivals twice as fast from 13:00 to 14:00."""
    span, _, factor = text.partition("x")
    start, _, end = span.partition("-")
    try:
        return Surge(clock(start), clock(end), float(factor))
    except (ValueError, WorkloadError, argparse.ArgumentTypeError):
        raise argparse.ArgumentTypeError(f"not a surge HH:MM-HH:MMxFACTOR: {text!r}") from None


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="novbe simulate",
        description="Simulate whole days of a center on the real queue engine (see docs/simulation.md).",
    )
    p.add_argument("--center", type=Path, required=True, help="center.toml, or a reference center JSON")
    p.add_argument("--days", type=int, default=1, help="days to simulate (default 1)")
    p.add_argument("--seed", type=int, default=1, help="random seed; the same seed meets the same citizens")
    p.add_argument(
        "--policy",
        default=DEFAULT,
        choices=[DEFAULT, *POLICIES],
        help="routing for every counter (default: as the center configures it)",
    )
    p.add_argument(
        "--counters-closed",
        type=counter_list,
        nargs="*",
        default=[],
        metavar="N[-M][@HH:MM]",
        help="counters closed all day, e.g. 41 42 or 41-42,50, or from a time of day on: 41@14:00",
    )
    p.add_argument(
        "--surge",
        type=surge,
        action="append",
        default=[],
        metavar="HH:MM-HH:MMxF",
        help="arrivals F times as fast in that spell, e.g. 13:00-14:00x2 (repeatable)",
    )
    p.add_argument("--estimator", choices=ESTIMATORS, default="pool", help="wait predictor on the tickets")
    p.add_argument("--no-breaks", action="store_true", help="operators take no break")
    p.add_argument("--by-service", action="store_true", help="one row per service instead of per agency")
    p.add_argument(
        "--load",
        type=float,
        default=1.0,
        metavar="FACTOR",
        help="citizens per day times this (default 1: the center's workload)",
    )
    p.add_argument("--csv", type=Path, help="write the per-agency figures to this CSV file")
    p.add_argument("--plots", type=Path, help="write PNG plots into this folder")
    p.add_argument("--predictions", action="store_true", help="also report the wait predictions' accuracy")
    p.add_argument(
        "--store",
        type=Path,
        metavar="DIR",
        help="also write the days as an event log, DIR/novbe.db with DIR/center.toml, for novbe report",
    )
    p.add_argument(
        "--compare",
        action="store_true",
        help="compare every routing policy on the same days instead (a Markdown table)",
    )
    p.add_argument(
        "--bookings",
        action="store_true",
        help="measure the appointment lane instead: booked citizens' wait after their slot and "
        "what it costs walk-ins, with the lane and without it (a Markdown table)",
    )
    return p


@cli.command("novbe simulate")
def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    if args.days < 1:
        _err("--days must be at least 1")
        return 2
    if not 0 < args.load <= 20:
        _err("--load must be more than 0 and at most 20")
        return 2
    if args.plots is not None and args.plots.exists() and not args.plots.is_dir():
        raise cli.UsageError(
            f"--plots {args.plots} is a file", "give --plots a folder (it is created if missing)"
        )
    if args.csv is not None and args.csv.is_dir():
        raise cli.UsageError(f"--csv {args.csv} is a folder", "give --csv the name of the CSV file to write")
    named = [pair for group in args.counters_closed for pair in group]
    closed = frozenset(n for n, minute in named if minute is None)
    closing = {n: minute for n, minute in named if minute is not None and n not in closed}
    try:
        center = read_center(args.center)
        unknown = sorted({n for n, _ in named} - {c.number for c in center.counters})
        if unknown:
            _err(f"no counter {', '.join(map(str, unknown))} in {args.center}")
            return 2
        behaviour = Behaviour(breaks=not args.no_breaks, closed_counters=closed, closing=closing)
        setup = center_setup(
            center, policy=args.policy, behaviour=behaviour, estimator=args.estimator, surges=args.surge
        )
        setup = with_load(setup, args.load)
    except (ConfigError, WorkloadError, OSError, ValueError) as exc:
        _err(str(exc))
        return 2
    if args.compare and args.store:
        _err("--store writes the days of one policy: leave out --compare")
        return 2
    store = None
    if args.store:
        try:
            store = open_store_dir(args.store, center)
        except (StoreNotEmpty, StoreError, OSError) as exc:
            _err(str(exc))
            return 2
    if args.bookings:
        with tqdm(total=2 * args.days, unit="day", file=sys.stderr) as bar:
            with_lane, without = compare_lane(setup, args.days, args.seed, progress=bar.update)
        _say(bookings_markdown(with_lane, without))
        return 0
    if args.compare:
        with tqdm(total=args.days * len(POLICIES), unit="day", file=sys.stderr) as bar:
            rows = compare(
                center, args.days, args.seed, behaviour=behaviour, surges=args.surge, progress=bar.update
            )
        _say(markdown(rows))
        return 0
    began = time.perf_counter()
    with tqdm(total=args.days, unit="day", disable=args.days < 5, file=sys.stderr) as bar:
        if store is None:
            days = run_days(setup, args.days, args.seed, progress=bar.update)
        else:
            with store:
                days = run_days_to_store(setup, args.days, args.seed, store, progress=bar.update).days
                written = f"wrote {store.last_seq()} events to {args.store / 'novbe.db'}"
                _say(f"{written} (novbe report --dir {args.store})")
    took = time.perf_counter() - began
    stats = summarize(days, by_service=args.by_service)
    tickets = sum(len(d.tickets) for d in days)
    _say(
        f"{center.code}: {args.days} day(s), seed {args.seed}, policy {args.policy}, "
        f"{len(closed)} counter(s) closed, {len(closing)} closing during the day; "
        f"{tickets} tickets in {took:.1f} s"
    )
    _say(format_table(stats, args.days, by_service=args.by_service))
    if args.predictions:
        _say("")
        _say(format_prediction(measure(all_tickets(days))))
    if args.csv:
        write_csv(stats, args.csv, by_service=args.by_service)
        _say(f"wrote {args.csv}")
    if args.plots:
        opens = setup.hall.opens.hour * 60.0 + setup.hall.opens.minute
        plot_queues(days, opens, args.plots / "queues.png", setup.behaviour)
        plot_waits(days, args.plots / "waits.png")
        _say(f"wrote {args.plots / 'queues.png'} and {args.plots / 'waits.png'}")
    return 0
