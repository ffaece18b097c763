"""``novbe server`` and a missing, damaged or unwritable log: one line, no traceback, and
never a new empty log where the center has history (ticket numbers are never issued twice).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from datetime import datetime

from server.store import MARKER_NAME, Commit, EventStore
from tests.server.harness import Home, ServerProcess, kiosk, run_novbe
from tests.store.faults import unwritable
from wire import events as ev

LOG_DAMAGED = 4


def _start(home: Home, *python: str) -> subprocess.CompletedProcess[str]:
    """``novbe server`` on the home, expected to refuse (it would serve until stopped)."""
    return run_novbe("server", "--dir", str(home.path), "--port", "0", python=python)


def _one_line(done: subprocess.CompletedProcess[str]) -> str:
    """The one line saying why the server did not start. A refusal found while the log is
    replayed comes after the server's own log lines (JSON, one per line)."""
    assert "Traceback" not in done.stderr
    *logged, line = done.stderr.splitlines()
    for entry in logged:
        json.loads(entry)
    assert line.startswith("novbe server: "), line
    return line


def _issue(home: Home, count: int) -> list[str]:
    """Start the server, issue ``count`` tickets, stop it cleanly; return their numbers."""
    server = ServerProcess(home).start()
    try:
        k = kiosk(server)
        numbers = [k.request("issue", service="DIN-ID")["result"]["ticket"]["number"] for _ in range(count)]
        k.close()
    finally:
        assert server.stop() == 0
    return numbers


def _sql(home: Home, *statements: str) -> None:
    db = sqlite3.connect(home.path / "novbe.db")
    with db:
        for statement in statements:
            db.execute(statement)
    db.close()


def test_a_deleted_log_is_refused_and_no_number_is_issued_twice(home: Home) -> None:
    """The issue's case: novbe.db* deleted while the server ran. The tickets asked for after
    that are refused, not acknowledged; the next start is refused, naming the fix; the
    saved copy put back, the day goes on with the next number."""
    server = ServerProcess(home).start()
    try:
        k = kiosk(server)
        issued = [k.request("issue", service="DIN-ID")["result"]["ticket"]["number"] for _ in range(3)]
        for path in home.path.glob("novbe.db*"):
            path.unlink()
        after = [k.request("issue", service="DIN-ID") for _ in range(3)]
        k.close()
    finally:
        server.stop()
    assert issued == ["A001", "A002", "A003"]
    assert [answer["type"] for answer in after] == ["error"] * 3, after
    assert not (home.path / "novbe.db").exists(), "no empty log made in its place"

    line = _one_line(refused := _start(home))
    assert (refused.returncode, refused.stderr.count("\n")) == (2, 1), "a refusal before any log line"
    assert f"there is no event log {home.path / 'novbe.db'}, but {home.path / MARKER_NAME}" in line
    assert "restore the latest backup" in line
    assert not (home.path / "novbe.db").exists()

    rescued = list(home.path.glob("novbe.db.rescued-*"))
    assert len(rescued) == 1, list(home.path.iterdir())
    rescued[0].rename(home.path / "novbe.db")
    assert _issue(home, 1) == ["A004"]


def test_an_edited_event_stops_the_start_naming_it(home: Home) -> None:
    """An event edited in today's log: one line naming it, exit 4 (not a KeyError)."""
    _issue(home, 5)
    _sql(home, "UPDATE events SET payload = replace(payload, 'A003', 'A009') WHERE seq = 4")
    done = _start(home)
    assert done.returncode == LOG_DAMAGED
    assert _one_line(done) == (
        "novbe server: the event log is damaged: event 4: hash does not match its content;"
        " restore the latest backup, as docs/operations.md says, or run novbe audit verify"
    )


def test_swapped_events_stop_the_start_naming_the_first(home: Home) -> None:
    """Two rows swapped whole (payload and hashes): the start names the first broken link."""
    _issue(home, 5)
    db = sqlite3.connect(home.path / "novbe.db")
    rows = {
        seq: (payload, prev, digest)
        for seq, payload, prev, digest in db.execute(
            "SELECT seq, payload, prev_hash, hash FROM events WHERE seq IN (4, 5)"
        )
    }
    with db:
        for seq, other in ((4, 5), (5, 4)):
            db.execute(
                "UPDATE events SET payload = ?, prev_hash = ?, hash = ? WHERE seq = ?", (*rows[other], seq)
            )
    db.close()
    done = _start(home)
    assert done.returncode == LOG_DAMAGED
    assert "the event log is damaged: event 4: previous-hash link broken" in _one_line(done)


def _contradicting_log(home: Home, *events: ev.Event) -> None:
    """Today's DayOpened and ``events``, chained as the store chains them (no marker yet:
    a log written by an older release, say)."""
    now = datetime.now().astimezone()
    store = EventStore(home.db_url)
    store.migrate()
    store.append([Commit([ev.DayOpened(day=now.date(), at=now), *events])])
    store.close()


def test_a_log_that_does_not_replay_stops_the_start_in_one_line(home: Home) -> None:
    """A log whose chain is whole but whose events contradict each other (written by a
    bug, or by hand): one line saying which event, and what to check."""
    now = datetime.now().astimezone()
    ticket = f"{now:%Y%m%d}-A001"
    issued = ev.TicketIssued(ticket=ticket, number="A001", service="DIN-ID", agency="DIN", at=now)
    _contradicting_log(home, issued, issued)
    done = _start(home)
    assert done.returncode == LOG_DAMAGED
    line = _one_line(done)
    assert line.startswith("novbe server: the event log does not replay: ")
    assert f"ticket {ticket} was issued already" in line
    assert "if center.toml changed today" in line


def test_the_start_checks_hold_under_python_optimize(home: Home) -> None:
    """The same refusal under ``python -O``, which would drop asserts."""
    now = datetime.now().astimezone()
    ticket = f"{now:%Y%m%d}-A007"
    _contradicting_log(home, ev.TicketCancelled(ticket=ticket, number="A007", at=now))
    done = _start(home, "-O")
    assert done.returncode == LOG_DAMAGED
    assert f"TicketCancelled: no ticket {ticket} was issued today" in _one_line(done)


def test_an_unwritable_wal_is_refused_at_start(home: Home) -> None:
    """The -wal file of the log can't be written: one line naming it, before anything else."""
    _issue(home, 1)
    keeper = sqlite3.connect(home.path / "novbe.db")  # keeps the -wal and -shm files there
    keeper.execute("SELECT count(*) FROM events").fetchall()
    wal = home.path / "novbe.db-wal"
    with unwritable(wal):
        done = _start(home)
    keeper.close()
    assert (done.returncode, done.stderr.count("\n")) == (2, 1)
    line = _one_line(done)
    assert line.startswith(f"novbe server: cannot write {wal}: ")
    assert "chown" in line


def test_the_log_files_are_the_owners_alone(home: Home) -> None:
    old = os.umask(0o022)
    try:
        _issue(home, 1)
    finally:
        os.umask(old)
    for path in (home.path / "novbe.db", home.path / MARKER_NAME):
        assert oct(path.stat().st_mode & 0o777) == "0o600", path


def test_audit_names_an_edited_reply(home: Home) -> None:
    """A stored reply edited in the table: the audit says the chain is broken there."""
    _issue(home, 2)
    _sql(home, "UPDATE replies SET reply = replace(reply, 'A001', 'A007') WHERE pos = 1")
    audit = run_novbe("audit", "verify", "--dir", str(home.path))
    assert audit.returncode == 1
    report = json.loads(audit.stdout)
    assert (report["first_bad_seq"], report["first_bad_reply"]) == (None, 1)
    assert "BROKEN at reply 1: reply 1 (" in audit.stderr
