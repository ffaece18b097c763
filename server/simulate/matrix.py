"""The wait printed on the ticket, measured over every kind of hall it must hold in.

Each :class:`Case` is a set-up the simulator plays through the real engine, with the
pool estimator on the tickets; :func:`measure_case` turns its tickets into a
:class:`CaseRow` per focus (the whole case, or a part of it such as one agency). The
goals (docs/prediction.md): bias within 5 %, the 80 % range holding 75-85 % of the
actual waits with at most 10 % above it, and a squared error no worse than the best
history baseline.

``python -m bench prediction`` runs the full matrix and prints the table of
docs/prediction.md; the tests run small seeded versions of the same cases.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import time
from typing import Any

from server.queue import CounterDef, Estimator, Hall, QueueEngine, ServiceDef
from server.queue.estimate import PoolEstimator
from server.reference import center_file

from .day import Behaviour, TicketOutcome
from .predict import PREDICTORS, measure
from .report import OVERALL, all_tickets
from .run import Setup, center_setup, read_center, run_days
from .theory import THEORY_BEHAVIOUR, pooled_hall, run_pooled, sinusoid
from .workload import Surge

EstimatorFactory = Callable[[float], Estimator]
"""``told_cv -> estimator``: what the cases put on the tickets, told a coefficient of variation."""


def pool_estimator(told_cv: float) -> Estimator:
    """The pool estimator told ``told_cv`` of the services and, as every simulated break
    lasts exactly its planned length, that breaks keep their length."""
    return PoolEstimator(service_cv=told_cv, break_cv=0.0)


Focus = Callable[[TicketOutcome], bool]


@dataclass(frozen=True, slots=True)
class Case:
    """One set-up of the matrix. Either a pooled hall (``servers`` > 0: one queue, every
    counter serves every citizen) or a center (``center`` builds its :class:`Setup`)."""

    name: str
    days: int
    """Days of the full run; the tests scale them down."""
    servers: int = 0
    load: float = 0.9
    """Offered load per counter (rho) of a pooled hall."""
    distribution: str = "exponential"
    cv: float = 1.0
    told_cv: float | None = None
    """The coefficient of variation the estimator is told; None: the truth."""
    wave: float = 0.0
    """Amplitude of sinusoidal arrivals (period 60 mean services) of a pooled hall."""
    surge: Surge | None = None
    priority_share: float = 0.0
    breaks: bool = False
    center: Callable[[], Setup] | None = None
    warmup_min: float = 240.0
    """Tickets issued earlier in the day are left out (a pooled day starts empty at 00:00)."""
    focus: Mapping[str, Focus] = field(default_factory=dict)
    """Parts of the case reported on their own rows, besides the whole."""
    test_days: int = 3
    """Days of the shorter run the tests make (tests/simulate/test_prediction.py)."""

    @property
    def true_cv(self) -> float:
        return 1.0 if self.distribution == "exponential" else self.cv

    def tickets(self, days: int, seed: int, make: EstimatorFactory = pool_estimator) -> list[TicketOutcome]:
        """Simulate ``days`` days of the case and return its tickets after the warm-up."""
        if self.center is not None:
            setup = self.center()
            told = self.told_cv if self.told_cv is not None else setup.workload.service_cv
            results = run_days(setup, days, seed, estimator=make(told))
            return [t for t in all_tickets(results) if t.issued_min >= self.warmup_min]
        told = self.told_cv if self.told_cv is not None else self.true_cv
        mean = pooled_mean(self.servers, self.load)
        hall = pooled_hall(self.servers, mean, lanes=26)
        base = self.load * self.servers / mean
        rate: Callable[[float], float] = lambda _t: base  # noqa: E731
        top = base
        if self.wave:
            rate = sinusoid(base, self.wave, 60 * mean)
            top = base * (1 + self.wave)
        if self.surge is not None:
            s = self.surge
            rate = lambda t: base * (s.factor if s.start_min <= t < s.end_min else 1.0)  # noqa: E731
            top = base * max(1.0, s.factor)
        behaviour = THEORY_BEHAVIOUR
        if self.breaks:
            behaviour = replace(THEORY_BEHAVIOUR, breaks=True, break_min=15 * mean)
        return run_pooled(
            hall,
            rate,
            top,
            days,
            random.Random(seed),
            engine=QueueEngine(hall, estimator=make(told)),
            warmup_min=self.warmup_min,
            distribution=self.distribution,
            cv=self.cv,
            priority_share=self.priority_share,
            behaviour=behaviour,
        )


def pooled_mean(servers: int, load: float) -> float:
    """A mean service time that gives a pooled day about 6,000 citizens (the time scale of a
    pooled hall is free; ticket numbers run out at 999 per prefix)."""
    return 21 * 60.0 * load * servers / 6000.0


@dataclass(frozen=True, slots=True)
class CaseRow:
    """How the printed wait held in one case (or one part of it)."""

    case: str
    focus: str
    waited: int
    """Citizens who had to wait (the others were called at once and told so)."""
    mean_wait: float
    rase: float
    bias: float
    baseline: str
    baseline_rase: float
    """The best history baseline (LES, HOL or AVG) on the same citizens."""
    inside: float
    above: float
    width: float
    """Mean width of the printed range, minutes."""
    relative_width: float

    @property
    def gain(self) -> float:
        """How much less squared error than the best baseline (0.3 = 30 % less)."""
        return 1.0 - self.rase / self.baseline_rase if self.baseline_rase > 0 else 0.0

    def problems(self) -> list[str]:
        """The goals this row misses."""
        out: list[str] = []
        if abs(self.bias) > 0.05:
            out.append(f"bias {100 * self.bias:+.1f}%")
        if not 0.75 <= self.inside <= 0.85:
            out.append(f"inside {100 * self.inside:.1f}%")
        if self.above > 0.10:
            out.append(f"above {100 * self.above:.1f}%")
        if self.rase > self.baseline_rase:
            out.append(f"RASE {self.rase:.3f} > {self.baseline} {self.baseline_rase:.3f}")
        return out


def measure_case(case: Case, tickets: Sequence[TicketOutcome]) -> list[CaseRow]:
    """A row for the whole case, then one per focus."""
    parts: dict[str, Sequence[TicketOutcome]] = {"all": tickets}
    for label, keep in case.focus.items():
        parts[label] = [t for t in tickets if keep(t)]
    rows: list[CaseRow] = []
    for label, group in parts.items():
        report = measure(group)
        acc = report.accuracy[OVERALL]
        fit = report.range_fit[OVERALL]
        best = min((p for p in PREDICTORS if p != "est"), key=lambda p: acc[p].rase)
        rows.append(
            CaseRow(
                case=case.name,
                focus=label,
                waited=acc["est"].n,
                mean_wait=acc["est"].mean_actual,
                rase=acc["est"].rase,
                bias=acc["est"].bias,
                baseline=best.upper(),
                baseline_rase=acc[best].rase,
                inside=fit.inside,
                above=fit.above,
                width=fit.mean_width,
                relative_width=fit.relative_width,
            )
        )
    return rows


# --- the centers -------------------------------------------------------------------------


def shipped_setup(name: str, behaviour: Behaviour | None = None, **workload: Any) -> Setup:
    """A center shipped in server/centers (``baku1.json``, ``sumqayit.json``), its workload
    changed by ``workload``."""
    setup = center_setup(read_center(center_file(name)), behaviour=behaviour)
    return replace(setup, workload=replace(setup.workload, **workload)) if workload else setup


SMALL_AGENCIES: dict[str, dict[str, float]] = {
    "DIN": {"DIN-ID": 8.0, "DIN-PASS": 10.0},
    "EDL": {"EDL-COPY": 7.0, "EDL-POA": 15.0},
    "KOM": {"KOM-ELEC": 8.0},
    "DSMF": {"DSMF-PENS": 18.0, "DSMF-INS": 7.0},
    "MED": {"MED-MEDC": 6.0},
    "BANK": {"BANK-FEE": 3.0},
}
"""Agency -> service -> mean minutes of :func:`small_setup`."""
SMALL_COUNTERS: dict[str, int] = {"DIN": 2, "EDL": 1, "KOM": 1, "DSMF": 1, "MED": 1, "BANK": 1}
SMALL_SHARES: dict[str, float] = {
    "DIN-ID": 0.18,
    "DIN-PASS": 0.12,
    "EDL-COPY": 0.12,
    "EDL-POA": 0.05,
    "KOM-ELEC": 0.14,
    "DSMF-PENS": 0.04,
    "DSMF-INS": 0.07,
    "MED-MEDC": 0.13,
    "BANK-FEE": 0.15,
}
"""Share of the day's visits; the bank's includes the fee payers, as in the reference."""


def small_setup() -> Setup:
    """A small center of seven counters: one for each agency but DIN (two), one bank
    counter; 250 visits a day with the reference's hourly shares, rights, appointments,
    no-shows, fee trips and breaks."""
    services: dict[str, ServiceDef] = {}
    counters: dict[int, CounterDef] = {}
    for i, (agency, means) in enumerate(SMALL_AGENCIES.items()):
        for code, mean in means.items():
            services[code] = ServiceDef(code=code, agency=agency, prefix="ABCDEF"[i], mean_service_min=mean)
        for _ in range(SMALL_COUNTERS[agency]):
            no = len(counters) + 1
            counters[no] = CounterDef(
                number=no, zone="hall", services=dict.fromkeys(means, 1.0), agency=agency
            )
    hall = Hall(services=services, counters=counters, opens=time(9, 0), closes=time(19, 0))
    reference = shipped_setup("baku1.json")
    fee = reference.workload.fee_share
    shares = dict(SMALL_SHARES)
    shares["BANK-FEE"] -= fee * sum(v for k, v in SMALL_SHARES.items() if k != "BANK-FEE")
    workload = replace(
        reference.workload,
        tickets_per_day=250.0 * sum(shares.values()),
        service_share=shares,
        mean_min={code: s.mean_service_min for code, s in services.items()},
    )
    return Setup(hall=hall, workload=workload, zone=reference.zone)


def _closing_counters() -> Behaviour:
    """Two of DIN's counters close at 14:00, one of EDL's and one of the bank's at 16:00."""
    return Behaviour(closing={1: 14 * 60.0, 2: 14 * 60.0, 19: 16 * 60.0, 79: 16 * 60.0})


LUNCH = Surge(13 * 60.0, 14 * 60.0, 2.0)
"""A lunch hour at twice the rate."""


def _agency(code: str) -> Focus:
    return lambda t: t.agency == code


def _staff_away(t: TicketOutcome) -> bool:
    return t.staff_away


def _priority(t: TicketOutcome) -> bool:
    return t.priority


_LN, _G, _H2 = "lognormal", "gamma", "hyperexponential"

CASES: tuple[Case, ...] = (
    Case("M/M/10, rho 0.9", 30, servers=10, load=0.9),
    Case("M/M/5, rho 0.8", 30, servers=5, load=0.8),
    Case("M/M/10, arrivals +-25 % (sinusoid), rho 0.9", 30, servers=10, load=0.9, wave=0.25),
    Case("lognormal cv 1.5, c 10, rho 0.9", 30, servers=10, load=0.9, distribution=_LN, cv=1.5),
    Case("hyper-exponential cv 1.5, c 10, rho 0.9", 30, servers=10, load=0.9, distribution=_H2, cv=1.5),
    Case("lognormal cv 0.6, c 10, rho 0.9", 30, servers=10, load=0.9, distribution=_LN, cv=0.6),
    Case("lognormal cv 0.3, c 1, rho 0.5", 20, servers=1, load=0.5, distribution=_LN, cv=0.3, test_days=4),
    Case("gamma cv 0.6, c 1, rho 0.8", 20, servers=1, load=0.8, distribution=_G, cv=0.6),
    Case(
        "hyper-exponential cv 2, c 1, rho 0.95",
        40,
        servers=1,
        load=0.95,
        distribution=_H2,
        cv=2.0,
        test_days=6,
    ),
    Case("lognormal cv 2, c 3, rho 0.8", 30, servers=3, load=0.8, distribution=_LN, cv=2.0),
    Case("gamma cv 0.3, c 3, rho 0.95", 30, servers=3, load=0.95, distribution=_G, cv=0.3),
    Case(
        "hyper-exponential cv 2, c 3, rho 0.5", 30, servers=3, load=0.5, distribution=_H2, cv=2.0, test_days=4
    ),
    Case("gamma cv 1.5, c 10, rho 0.5", 40, servers=10, load=0.5, distribution=_G, cv=1.5, test_days=8),
    Case("lognormal cv 2, c 10, rho 0.95", 30, servers=10, load=0.95, distribution=_LN, cv=2.0),
    Case(
        "lognormal cv 0.3, c 50, rho 0.95", 30, servers=50, load=0.95, distribution=_LN, cv=0.3, test_days=2
    ),
    Case(
        "hyper-exponential cv 2, c 50, rho 0.8",
        40,
        servers=50,
        load=0.8,
        distribution=_H2,
        cv=2.0,
        test_days=3,
    ),
    Case("gamma cv 1, c 20, rho 0.7", 30, servers=20, load=0.7, distribution=_G, cv=1.0, test_days=4),
    Case(
        "lognormal cv 1.5 told 1.0, c 10, rho 0.9, from the 2nd hour",
        30,
        servers=10,
        load=0.9,
        distribution=_LN,
        cv=1.5,
        told_cv=1.0,
        warmup_min=60.0,
    ),
    Case(
        "a lunch hour at twice the rate, c 10, rho 0.6",
        30,
        servers=10,
        load=0.6,
        surge=Surge(540.0, 600.0, 2.0),
    ),
    Case(
        "breaks and 5 % priority rights, c 10, rho 0.85",
        30,
        servers=10,
        load=0.85,
        priority_share=0.05,
        breaks=True,
    ),
    Case(
        "reference center",
        20,
        center=lambda: shipped_setup("baku1.json"),
        warmup_min=0.0,
        focus={"BANK": _agency("BANK"), "priority rights": _priority},
        test_days=5,
    ),
    Case(
        "reference center, lognormal cv 1.5",
        20,
        center=lambda: shipped_setup("baku1.json", cv=1.5),
        warmup_min=0.0,
        test_days=4,
    ),
    Case(
        "reference center, cv 1.5 told 1.0, from 10:00",
        20,
        center=lambda: shipped_setup("baku1.json", cv=1.5),
        told_cv=1.0,
        warmup_min=600.0,
        test_days=4,
    ),
    Case(
        "reference center, lunch hour at twice the rate",
        20,
        center=lambda: shipped_setup("baku1.json", surges=(LUNCH,)),
        warmup_min=0.0,
        test_days=4,
    ),
    Case(
        "reference center, counters closing at 14:00 and 16:00",
        20,
        center=lambda: shipped_setup("baku1.json", behaviour=_closing_counters()),
        warmup_min=0.0,
        test_days=4,
    ),
    Case(
        "mixed center (sumqayit)",
        20,
        center=lambda: shipped_setup("sumqayit.json"),
        warmup_min=0.0,
        test_days=8,
    ),
    Case(
        "mixed center, lognormal cv 1.5",
        20,
        center=lambda: shipped_setup("sumqayit.json", cv=1.5),
        warmup_min=0.0,
        test_days=8,
    ),
    Case(
        "small center",
        60,
        center=small_setup,
        warmup_min=0.0,
        focus={"bank counter": _agency("BANK"), "its counter on a break": _staff_away},
        test_days=20,
    ),
)
"""Every case of docs/prediction.md, with the days of its full run and of its test run."""

GOAL_GAIN = 0.30
"""Where the centers must beat the best baseline by this much (the reference and the mixed one)."""
GAIN_CASES = ("reference center", "mixed center (sumqayit)")


def run_matrix(
    cases: Sequence[Case] = CASES,
    *,
    test: bool = False,
    seed: int = 1,
    make: EstimatorFactory = pool_estimator,
) -> list[CaseRow]:
    """Run ``cases`` for their days (``test``: their test days) and measure them."""
    rows: list[CaseRow] = []
    for case in cases:
        rows += measure_case(case, case.tickets(case.test_days if test else case.days, seed, make))
    return rows


def row_name(row: CaseRow) -> str:
    """How a row is named in the tables: the case, and the part of it after a colon."""
    return row.case if row.focus == "all" else f"{row.case}: {row.focus}"


def noise_table(
    runs: Mapping[tuple[str, str], Sequence[CaseRow]], spread: Callable[[list[float]], float]
) -> str:
    """The spread of each figure over ``runs`` (several seeds of each row), in percentage points."""
    by_name = {case.name: case for case in CASES}
    lines = [
        "| case | test days | waited | bias | inside | above | gain |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for (case, _), rows in runs.items():
        name = row_name(rows[0])
        waited = sum(r.waited for r in rows) / len(rows)

        def sd(values: list[float]) -> str:
            return f"{100 * spread(values):.1f}"

        figures = " | ".join(sd([getattr(r, f) for r in rows]) for f in ("bias", "inside", "above", "gain"))
        lines.append(f"| {name} | {by_name[case].test_days} | {waited:,.0f} | {figures} |")
    return "\n".join(lines)


def markdown(rows: Sequence[CaseRow]) -> str:
    """The matrix as a Markdown table (docs/prediction.md)."""
    lines = [
        "| case | waited | mean wait | RASE | bias | best baseline | gain | inside | above | width |",
        "|---|---:|---:|---:|---:|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        name = row_name(r)
        lines.append(
            f"| {name} | {r.waited:,} | {r.mean_wait:.2f} | {r.rase:.3f} | {100 * r.bias:+.1f}% "
            f"| {r.baseline} {r.baseline_rase:.3f} | {100 * r.gain:.0f}% | {100 * r.inside:.1f}% "
            f"| {100 * r.above:.1f}% | {r.width:.1f} ({100 * r.relative_width:.0f}%) |"
        )
    return "\n".join(lines)
