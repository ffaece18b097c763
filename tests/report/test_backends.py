"""The same days on SQLite and PostgreSQL give the same report, and the simulator's figures."""

from __future__ import annotations

import dataclasses

from report.build import build_report
from report.periods import day
from server.center import Center
from server.simulate.run import FIRST_DAY, center_setup
from server.simulate.store import run_days_to_store
from server.store import EventStore

from .truth import truth


def test_report_on_each_backend_matches_the_simulator(store_url: str, reference: Center) -> None:
    with EventStore(store_url) as store:
        store.migrate()
        run = run_days_to_store(center_setup(reference), 1, 11, store)
        report = build_report(store, reference, day(FIRST_DAY))
    expected = truth(run.days, run.records, [FIRST_DAY], 15.0, reference.hours.tz).rows
    for level in ("center", "agency", "counter"):
        got = {r.key: dataclasses.asdict(r) for r in report.figures.rows[level]}
        assert set(got) == set(expected[level])
        for key, want in expected[level].items():
            for name, value in want.items():
                have = got[key][name]
                if isinstance(value, float):
                    assert abs(have - value) < 1e-6, (level, key, name)
                else:
                    assert have == value, (level, key, name)
