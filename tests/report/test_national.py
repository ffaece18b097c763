"""The national report: every center's own report, their figures pooled and the sum of
theirs, the agency index over the pool, each center's standing."""

from __future__ import annotations

import csv
import dataclasses
import math
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest

from report.build import build_report, read_period
from report.html import render_national
from report.index import DELIVERY_WEIGHT, PRIOR_RATINGS
from report.national import CenterPart, NationalReport, national_report
from report.periods import Period, span
from report.tables import write_matrix_csv, write_national_csv
from report.text import NationalWords
from server.center import Center
from server.simulate.run import FIRST_DAY, center_setup
from server.simulate.store import open_store_dir, run_days_to_store
from server.store import EventStore
from server.tally.facts import Facts, concat_days, day_starts, pack_facts, read_facts, unpack_facts
from server.tally.figures import Columns, compute
from tests.central.figures import assert_national_is_the_sum, assert_same_figures

from .conftest import Simulated

PERIOD = span(FIRST_DAY, FIRST_DAY + timedelta(days=4))

# One worker simulates the second center (make test: --dist loadgroup).
pytestmark = pytest.mark.xdist_group("national")


@pytest.fixture(scope="module")
def ganja(tmp_path_factory: pytest.TempPathFactory, reference: Center) -> Simulated:
    """A second center, its own code and a stricter wait standard (10 minutes), open two
    days from the day after the first center's first."""
    center = reference.model_copy(
        update={
            "code": "GANJA1",
            "name": reference.name.model_copy(update={"az": "Gəncə ASAN xidmət mərkəzi"}),
            "rules": reference.rules.model_copy(update={"wait_standard_min": 10.0}),
        }
    )
    folder = tmp_path_factory.mktemp("ganja")
    store = open_store_dir(folder, center)
    try:
        run = run_days_to_store(center_setup(center), 2, 9, store, first_day=FIRST_DAY + timedelta(days=1))
    finally:
        store.close()
    return Simulated(folder, center, run)


def part_of(sim: Simulated, period: Period = PERIOD) -> CenterPart:
    with EventStore(sim.url) as store:
        starts = day_starts(store)
        facts = read_period(store, sim.center, period, starts=starts)
    return CenterPart.of(sim.center.code, facts, sim.center, period, (starts[0][1], starts[-1][1]))


@pytest.fixture(scope="module")
def national(simulated: Simulated, ganja: Simulated) -> NationalReport:
    return national_report([part_of(ganja), part_of(simulated)], PERIOD)


def test_national_report_holds_each_center_s_own_report(
    national: NationalReport, simulated: Simulated, ganja: Simulated
) -> None:
    assert national.codes == ["BAKU1", "GANJA1"]
    for sim in (simulated, ganja):
        with EventStore(sim.url) as store:
            own = build_report(store, sim.center, PERIOD)
        mine = national.centers[national.codes.index(sim.center.code)]
        assert_same_figures(mine.figures, own.figures)
        assert mine.index == own.index


def test_national_figures_are_the_sums_of_the_centers_own(national: NationalReport) -> None:
    """Counts add up (each center judged by its own standard), means are over every citizen."""
    assert national.standard_min is None, "the two centers have different standards"
    assert_national_is_the_sum(national.figures, [r.figures for r in national.centers])
    assert national.figures.days == [FIRST_DAY + timedelta(days=n) for n in range(4)]


def test_national_index_is_the_formula_over_every_center(national: NationalReport) -> None:
    nation = national.figures.center
    prior = nation.satisfied_share
    assert prior is not None
    rows = {r.key: r for r in national.figures.rows["agency"]}
    for i in national.index:
        row = rows[i.agency]
        assert row.within_share is not None
        s = (row.satisfied + PRIOR_RATINGS * prior) / (row.ratings + PRIOR_RATINGS)
        assert i.index == pytest.approx(
            100 * (DELIVERY_WEIGHT * row.within_share + (1 - DELIVERY_WEIGHT) * s)
        )
    assert [i.rank for i in national.index] == list(range(1, len(national.index) + 1))
    centers = {r.key: r for r in national.center_rows()}
    for i in national.standing:
        row = centers[i.agency]
        assert row.within_share is not None
        assert i.delivery == row.within_share
        assert i.satisfaction == pytest.approx(
            (row.satisfied + PRIOR_RATINGS * prior) / (row.ratings + PRIOR_RATINGS)
        )
    assert {i.agency for i in national.standing} == {"BAKU1", "GANJA1"}
    at = national.index_at()
    din = at["DIN"]
    assert set(din) == {"BAKU1", "GANJA1"}
    assert din["GANJA1"] == next(i for i in national.centers[1].index if i.agency == "DIN")


def _facts(code: str, day: date, counter: int, operator: str, wait: float) -> tuple[str, Facts]:
    """A center's facts of one ticket, called at ``counter`` after ``wait`` minutes, served."""
    f = Facts(days=[day], closed=[True], still_open=[0])
    f.t_day, f.t_hour, f.t_service, f.t_agency, f.t_visit = [0], [9], ["DIN-ID"], ["DIN"], [0]
    f.t_low, f.t_high, f.t_slot = [0.0], [10.0], [math.nan]
    f.v_day, f.v_hour, f.v_start, f.v_service, f.v_agency = [0], [9], [0.0], ["DIN-ID"], ["DIN"]
    f.v_wait, f.v_end, f.v_counter, f.v_operator = [wait], [0], [counter], [operator]
    f.o_kind, f.o_day, f.o_service, f.o_agency = ["served"], [0], ["DIN-ID"], ["DIN"]
    f.o_counter, f.o_operator, f.o_minutes, f.o_visit = [counter], [operator], [5.0], ["served"]
    f.events = 5
    return code, f


def test_pooled_columns_keep_each_center_s_counters_and_operators_apart() -> None:
    """Counter 1 and operator op1 of one center are not those of another; each visit is
    judged by its own center's standard."""
    day = FIRST_DAY
    parts = [_facts("BAKU1", day, 1, "op1", 3.0), _facts("GANJA1", day + timedelta(days=1), 1, "op1", 12.0)]
    pooled = Columns.pooled(
        [(code, Columns(f, standard).slim()) for (code, f), standard in zip(parts, (15.0, 10.0), strict=True)]
    )
    assert pooled.facts.days == [day, day + timedelta(days=1)]
    fig = compute(pooled, pooled.facts.days)
    assert [r.key for r in fig.rows["operator"]] == ["BAKU1/op1", "GANJA1/op1"]
    assert len(fig.rows["counter"]) == 2
    assert [r.served for r in fig.rows["counter"]] == [1, 1]
    assert [r.key for r in fig.rows["agency"]] == ["DIN"]
    assert fig.center.within == 1, "12 minutes is over GANJA1's 10"
    assert fig.center.wait_mean == pytest.approx(7.5)
    assert pooled.facts.events == 10


def test_days_read_one_at_a_time_are_the_period_read_at_once(simulated: Simulated) -> None:
    """What the central record's day digests rely on; packed and unpacked on the way."""
    with EventStore(simulated.url) as store:
        starts = day_starts(store)
        whole = read_facts(store, starts[0][1], starts[-1][1], simulated.center.hours.tz, starts=starts)
        days = [
            unpack_facts(pack_facts(read_facts(store, d, d, simulated.center.hours.tz, starts=starts)))
            for _, d in starts
        ]
    joined = concat_days(days)
    for field in dataclasses.fields(Facts):
        got, want = getattr(joined, field.name), getattr(whole, field.name)
        if field.name in ("v_wait", "o_minutes", "t_low", "t_high", "t_slot"):  # NaN is not NaN
            assert np.array_equal(np.asarray(got), np.asarray(want), equal_nan=True), field.name
        else:
            assert got == want, field.name


def test_a_center_without_a_day_in_the_period_is_named(simulated: Simulated, ganja: Simulated) -> None:
    period = span(FIRST_DAY, FIRST_DAY)
    report = national_report([part_of(simulated, period), part_of(ganja, period)], period)
    assert (report.codes, report.missing) == (["BAKU1"], ["GANJA1"])


@pytest.fixture
def words(national: NationalReport) -> NationalWords:
    return NationalWords("az", {r.center.code: r.center for r in national.centers}, national.standard_min)


def test_national_html_names_every_center_and_agency(national: NationalReport, words: NationalWords) -> None:
    page = render_national(national, words)
    assert "Bütün mərkəzlər: hesabat" in page
    assert "Gəncə ASAN xidmət mərkəzi" in page
    assert "Mərkəzlərin yeri" in page and "Hər qurum hər mərkəzdə" in page  # noqa: PT018
    assert "hər mərkəzin öz standartı" in page
    for i in national.index:
        assert f"<td>{i.agency}</td>" in page
    for lang in ("ru", "en"):
        other = NationalWords(lang, words.centers, national.standard_min)
        assert render_national(national, other).count("<table>") == page.count("<table>")


def test_national_csv_has_the_nation_the_centers_and_the_agencies(
    national: NationalReport, words: NationalWords, tmp_path: Path
) -> None:
    path = tmp_path / "national.csv"
    write_national_csv(national, words, path)
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert rows[0]["level"] == "nation"
    assert int(rows[0]["tickets"]) == national.figures.center.tickets
    centers = [r for r in rows if r["level"] == "center"]
    assert [r["key"] for r in centers] == ["BAKU1", "GANJA1"]
    assert sum(int(r["tickets"]) for r in centers) == int(rows[0]["tickets"])
    assert {r["index_rank"] for r in centers} == {"1", "2"}
    agencies = [r for r in rows if r["level"] == "agency"]
    assert {r["key"] for r in agencies} == {i.agency for i in national.index}
    matrix = tmp_path / "matrix.csv"
    write_matrix_csv(national, matrix)
    cells = list(csv.DictReader(matrix.open(encoding="utf-8")))
    assert {(c["agency"], c["center"]) for c in cells} == {
        (a, c) for a, at in national.index_at().items() for c in at
    }
