"""What the hall hears at the reference center's peak, and how fast an announcement is made.

Throughput: whole days of the reference center (``server.simulate``, the real engine: calls,
recalls of absent citizens, trips to the bank and back) give the calls of the lobby display, which
shows every zone. Each call goes through the display's ``AnnouncementQueue`` and ``Composer``
with the espeak-ng voice, in simulated time: an announcement lasts as long as its real WAV, and
the next one starts ``RESTART_S`` after it ends (the display's player restart). For each call:
the delay from the call to the start of its announcement, or that it was never heard. Reported
for the whole day and for the busiest hour, for a language mix (the reference gives none, so it
is assumed: ``MIX``) and for the worst case, every citizen in Russian; and, to compare, the
same calls said in Azerbaijani and Russian every time with a chime each (the rule before).

Speed: compose and render an az+ru announcement to a WAV file. Cold: a fresh pack object, so
every clip is read from disk, as after a display starts; warm: clips in memory.
"""

from __future__ import annotations

import logging
import random
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from display.announce import (
    AnnouncementQueue,
    Call,
    Composer,
    VoicePack,
    build_pack,
    compose,
    espeak_available,
)
from server.queue import Command, Estimator, Event, Hall, QueueEngine, TicketCalled, TicketRecalled
from server.reference import reference_center
from server.simulate.day import service_pools, simulate_day
from server.simulate.run import FIRST_DAY, center_setup, day_rng, make_estimator, read_center
from server.simulate.workload import draw_citizens
from wire.types import Lang

SEEDS = (1, 2, 3)
WITHIN = timedelta(seconds=30)
RESTART_S = 0.05
"""From the end of one WAV to the start of the next: the display's 40 ms timer and the render."""
MIX: tuple[tuple[Lang, float], ...] = (("az", 0.75), ("ru", 0.22), ("en", 0.03))
"""Assumed share of each language among the tickets (the reference center gives none)."""
ALL_RU: tuple[tuple[Lang, float], ...] = (("ru", 1.0),)


class _Recording(QueueEngine):
    """The engine, keeping the calls and recalls of the day."""

    def __init__(self, hall: Hall, *, estimator: Estimator) -> None:
        super().__init__(hall, estimator=estimator)
        self.calls: list[TicketCalled | TicketRecalled] = []

    def handle(self, command: Command) -> list[Event]:
        events = super().handle(command)
        self.calls += [e for e in events if isinstance(e, TicketCalled | TicketRecalled)]
        return events


def day_calls(seed: int) -> list[TicketCalled | TicketRecalled]:
    """Every call and recall of a simulated reference day, in order: the lobby display's calls."""
    setup = center_setup(read_center(reference_center()))
    engine = _Recording(setup.hall, estimator=make_estimator(setup.estimator, setup.workload))
    simulate_day(
        engine,
        draw_citizens(setup.workload, day_rng(seed, 0)),
        FIRST_DAY,
        setup.zone,
        setup.behaviour,
        fee_service=setup.workload.fee_service,
        pools=service_pools(setup.hall),
    )
    return engine.calls


@dataclass
class Heard:
    """What became of the calls of one run."""

    calls: list[datetime] = field(default_factory=list)
    """When each call was made."""
    delays: dict[int, float] = field(default_factory=dict)
    """Index of a call -> seconds from the call to the start of its announcement."""
    lost: set[int] = field(default_factory=set)
    """Indexes of the calls never heard."""
    lengths: list[float] = field(default_factory=list)
    foreign: int = 0
    """Announcements of tickets taken in Russian or English."""
    foreign_cut: int = 0
    """Of those, said in Azerbaijani only (the hall was behind)."""
    stats: Counter[str] = field(default_factory=Counter)


def hear(
    calls: Sequence[TicketCalled | TicketRecalled],
    packs: list[VoicePack],
    mix: Sequence[tuple[Lang, float]],
    *,
    seed: int,
    before: bool = False,
) -> Heard:
    """Play ``calls`` through the display's queue in simulated time.

    ``before``: every call in az and ru with its own chime, as the display did before.
    """
    rng = random.Random(seed)
    langs = [lang for lang, _ in mix]
    shares = [share for _, share in mix]
    lang_of: dict[str, Lang] = {}
    composer = Composer(packs=packs, languages=["az", "ru"] if before else ["az", "ru", "en"])
    queue = AnnouncementQueue(composer)
    if before:
        queue.chain_within = timedelta(-1)  # a chime for every call
        queue.bilingual_within = timedelta(days=1)  # both languages, however late
    heard = Heard()
    index: dict[tuple[str, int], list[int]] = {}

    def unheard(key: tuple[str, int]) -> list[int]:
        return [n for n in index.get(key, []) if n not in heard.delays and n not in heard.lost]

    def lost(call: Call, why: str) -> None:
        # The call and every repeat of it merged into it while it waited.
        heard.lost.update(unheard((call.number, call.counter)))

    queue.on_drop = lost
    playing_until: datetime | None = None
    i = 0
    while i < len(calls) or queue.playing is not None:
        due = calls[i].at if i < len(calls) else None
        if queue.playing is not None and playing_until is not None and (due is None or playing_until <= due):
            now = playing_until
            queue.done(now)
            now += timedelta(seconds=RESTART_S)
        else:
            assert due is not None
            event = calls[i]
            ticket_lang = lang_of.setdefault(event.ticket, rng.choices(langs, shares)[0])
            call = Call(
                event.number,
                event.counter,
                recall=isinstance(event, TicketRecalled),
                lang=None if before else ticket_lang,
            )
            index.setdefault((call.number, call.counter), []).append(len(heard.calls))
            heard.calls.append(event.at)
            queue.push(call, event.at)
            now = event.at
            i += 1
        if queue.playing is None:
            announcement = queue.next_to_play(now)
            if announcement is not None:
                key = (announcement.call.number, announcement.call.counter)
                # It says every call of that ticket and counter not heard yet (a recall made
                # while the call waited is said with it).
                for n in unheard(key):
                    heard.delays[n] = (now - heard.calls[n]).total_seconds()
                heard.lengths.append(announcement.duration)
                if announcement.call.lang not in (None, "az"):
                    heard.foreign += 1
                    heard.foreign_cut += list(announcement.words) == ["az"]
                playing_until = now + timedelta(seconds=announcement.duration)
    heard.stats = queue.stats
    return heard


def _pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _busiest_hour(calls: Sequence[datetime]) -> tuple[datetime, datetime]:
    best, start, j = 0, calls[0], 0
    for i, at in enumerate(calls):
        while at - calls[j] > timedelta(hours=1):
            j += 1
        if i - j + 1 > best:
            best, start = i - j + 1, calls[j]
    return start, start + timedelta(hours=1)


def _line(name: str, runs: list[Heard], *, peak: bool) -> str:
    total = spoken = within = 0
    delays: list[float] = []
    for run in runs:
        low, high = _busiest_hour(run.calls) if peak else (run.calls[0], run.calls[-1])
        chosen = [n for n, at in enumerate(run.calls) if low <= at <= high]
        total += len(chosen)
        said = [run.delays[n] for n in chosen if n in run.delays]
        spoken += len(said)
        within += sum(d <= WITHIN.total_seconds() for d in said)
        delays += said
    minutes = 60 if peak else None
    rate = f", {total / len(runs) / minutes:.1f} calls a minute" if minutes else ""
    return (
        f"   {name}, {'busiest hour' if peak else 'whole day'} ({total} calls{rate}): "
        f"{100 * within / total:.2f} % spoken within 30 s; delay p50 {statistics.median(delays):.1f} s, "
        f"p95 {_pct(delays, 0.95):.1f} s, max {max(delays):.1f} s; not spoken {total - spoken}"
    )


def _summary(runs: list[Heard]) -> str:
    stats: Counter[str] = Counter()
    for run in runs:
        stats.update(run.stats)
    lengths = [length for run in runs for length in run.lengths]
    foreign = sum(run.foreign for run in runs)
    cut = sum(run.foreign_cut for run in runs)
    return (
        f"     announcements {stats['played']}, mean {statistics.mean(lengths):.1f} s; "
        f"without the chime {stats['chained']}; ru/en tickets said in az only {cut} of {foreign}; "
        f"never heard {stats['dropped']} (too late {stats['stale']}, "
        f"counter moved on {stats['superseded']}, queue full {stats['overflow']}); "
        f"a call and its recall said once {stats['duplicate']}"
    )


def throughput(root: Path) -> None:
    packs = [VoicePack.load(root / lang, lang) for lang in ("az", "ru", "en")]
    started = time.perf_counter()
    days = [day_calls(seed) for seed in SEEDS]
    print(
        f"   {len(days)} simulated reference days (seeds {', '.join(map(str, SEEDS))}): "
        f"{statistics.mean(len(d) for d in days):.0f} calls and recalls a day, "
        f"{time.perf_counter() - started:.1f} s"
    )
    cases = [
        ("az 75 % / ru 22 % / en 3 % (assumed)", MIX, False),
        ("every citizen in ru (worst case)", ALL_RU, False),
        ("before: az and ru for every call, a chime each", MIX, True),
    ]
    for name, mix, before in cases:
        runs = [
            hear(calls, packs, mix, seed=seed, before=before) for seed, calls in zip(SEEDS, days, strict=True)
        ]
        print(_line(name, runs, peak=True))
        print(_line(name, runs, peak=False))
        print(_summary(runs))


def _report(name: str, seconds: list[float]) -> None:
    ms = [s * 1000 for s in seconds]
    print(
        f"   {name}: p50 {statistics.median(ms):.1f} ms, p95 {_pct(ms, 0.95):.1f} ms, "
        f"max {max(ms):.1f} ms ({len(ms)} runs)"
    )


def speed(root: Path) -> None:
    cold = []
    packs: list[VoicePack] = []
    for _ in range(20):
        packs = [VoicePack.load(root / "az"), VoicePack.load(root / "ru")]
        t = time.perf_counter()
        compose(Call("A015", 12), packs, ["az", "ru"]).render_wav(root / "out.wav")
        cold.append(time.perf_counter() - t)
    _report("compose+render A015 -> 12, az+ru, cold", cold)

    rng = random.Random(1)
    warm = []
    for _ in range(300):
        call = Call(f"{rng.choice('ABCDEFGH')}{rng.randint(1, 999):03d}", rng.randint(1, 99))
        t = time.perf_counter()
        compose(call, packs, ["az", "ru"]).render_wav(root / "out.wav")
        warm.append(time.perf_counter() - t)
    _report("compose+render random calls, az+ru, warm", warm)


def main() -> None:
    # Each call never heard is a warning in a display's log; here they are counted instead.
    logging.getLogger("display.announce").setLevel(logging.ERROR)
    if not espeak_available():
        print("   skipped: espeak-ng is not installed (Debian package espeak-ng)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "voices"
        started = time.perf_counter()
        for lang in ("az", "ru", "en"):
            build_pack(root, lang)
        print(f"   building the az, ru and en packs with espeak-ng: {time.perf_counter() - started:.1f} s")
        a015 = {
            lang: compose(Call("A015", 12), [VoicePack.load(root / lang)], [lang]).duration
            for lang in ("az", "ru")
        }
        both = compose(
            Call("A015", 12), [VoicePack.load(root / "az"), VoicePack.load(root / "ru")], ["az", "ru"]
        )
        print(
            f"   A015 -> 12 lasts {a015['az']:.1f} s in az, {a015['ru']:.1f} s in ru, "
            f"{both.duration:.1f} s in az and ru (chime included)"
        )
        throughput(root)
        speed(root)
