"""``novbe simulate --store DIR``: a real event log that the audit, the server and the
engine accept."""

from __future__ import annotations

from pathlib import Path

import pytest

from novbe.cli import main as novbe
from server.center import load_center
from server.hub import Hub
from server.queue import DayClosed, DayOpened, QueueEngine, VisitRated
from server.simulate.cli import main
from server.store import EventStore


def test_store_writes_a_log_the_audit_the_server_and_the_engine_accept(
    reference_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "center"
    assert main(["--center", str(reference_path), "--days", "2", "--seed", "4", "--store", str(folder)]) == 0
    assert f"(novbe report --dir {folder})" in capsys.readouterr().out
    assert novbe(["audit", "verify", "--dir", str(folder)]) == 0
    center = load_center(folder / "center.toml")
    with EventStore(f"sqlite:///{folder / 'novbe.db'}") as store:
        events = [s.event for s in store.load()]
        # The whole log replays on a fresh engine (every applier asserts what it trusts).
        engine = QueueEngine(center.to_hall())
        for event in events:
            engine.apply(event)
        hub = Hub(center, store)
        assert 0 < hub.load() < len(events)
        assert hub.committed.day == engine.day
    assert [type(e) for e in events if isinstance(e, DayOpened | DayClosed)] == [DayOpened, DayClosed] * 2
    assert sum(isinstance(e, VisitRated) for e in events) > 1000


def test_store_refuses_a_folder_that_has_a_log(
    reference_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "center"
    assert main(["--center", str(reference_path), "--store", str(folder)]) == 0
    capsys.readouterr()
    assert main(["--center", str(reference_path), "--store", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err == f"novbe simulate: {folder / 'novbe.db'} already holds an event log; use an empty folder\n"


def test_store_and_compare_do_not_go_together(
    reference_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--center", str(reference_path), "--compare", "--store", str(tmp_path)]) == 2
    assert "leave out --compare" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())
