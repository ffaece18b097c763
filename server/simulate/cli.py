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
from .workload import WorkloadError


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")


def _err(text: str) -> None:
    sys.stderr.write(f"novbe simulate: {text}\n")


def counter_list(text: str) -> list[int]:
    """``"12,41-43"`` -> [12, 41, 42, 43]."""
    numbers: list[int] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        first, _, last = part.partition("-")
        try:
            lo, hi = int(first), int(last or first)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a counter number or range: {part!r}") from None
        numbers.extend(range(lo, hi + 1))
    return numbers


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
        metavar="N[-M]",
        help="counters closed all day, e.g. 41 42 or 41-42,50",
    )
    p.add_argument("--estimator", choices=ESTIMATORS, default="pool", help="wait predictor on the tickets")
    p.add_argument("--no-breaks", action="store_true", help="operators take no break")
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
    closed = frozenset(n for group in args.counters_closed for n in group)
    try:
        center = read_center(args.center)
        unknown = sorted(closed - {c.number for c in center.counters})
        if unknown:
            _err(f"no counter {', '.join(map(str, unknown))} in {args.center}")
            return 2
        behaviour = Behaviour(breaks=not args.no_breaks, closed_counters=closed)
        setup = center_setup(center, policy=args.policy, behaviour=behaviour, estimator=args.estimator)
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
            rows = compare(center, args.days, args.seed, behaviour=behaviour, progress=bar.update)
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
    stats = summarize(days)
    tickets = sum(len(d.tickets) for d in days)
    _say(
        f"{center.code}: {args.days} day(s), seed {args.seed}, policy {args.policy}, "
        f"{len(closed)} counter(s) closed; {tickets} tickets in {took:.1f} s"
    )
    _say(format_table(stats, args.days))
    if args.predictions:
        _say("")
        _say(format_prediction(measure(all_tickets(days))))
    if args.csv:
        write_csv(stats, args.csv)
        _say(f"wrote {args.csv}")
    if args.plots:
        opens = setup.hall.opens.hour * 60.0 + setup.hall.opens.minute
        plot_queues(days, opens, args.plots / "queues.png", setup.behaviour)
        plot_waits(days, args.plots / "waits.png")
        _say(f"wrote {args.plots / 'queues.png'} and {args.plots / 'waits.png'}")
    return 0
