"""The audit: the hash chain verifies, and tampering is named at the exact event."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from server.store import AuditReport, Commit, EventStore, chain_hash, verify_log

from .helpers import ALL_EVENTS, issued

TOTAL = len(ALL_EVENTS) + 4


@pytest.fixture
def store(store_url: str) -> Iterator[EventStore]:
    """A log of TOTAL events: every event type, then four tickets."""
    store = EventStore(store_url)
    store.migrate()
    store.append([Commit(ALL_EVENTS[:8]), Commit(ALL_EVENTS[8:])])
    store.append([Commit([issued(n)]) for n in range(1, 5)])
    yield store
    store.close()


def tamper(url: str, sql: str, **params: object) -> None:
    """Change the log behind the store's back, as someone with database access could."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            assert conn.execute(sa.text(sql), params).rowcount == 1
    finally:
        engine.dispose()


def test_audit_accepts_an_intact_log(store_url: str, store: EventStore) -> None:
    """An untouched log verifies, with every event counted."""
    assert store.verify() == AuditReport(ok=True, checked=TOTAL, first_bad_seq=None, problem=None)
    assert verify_log(store_url) == AuditReport(True, TOTAL)


def test_audit_accepts_an_empty_log(store_url: str) -> None:
    """A new log has nothing to check and nothing wrong."""
    with EventStore(store_url) as store:
        store.migrate()
        assert store.verify() == AuditReport(True, 0)


def test_audit_names_an_edited_payload(store_url: str, store: EventStore) -> None:
    """Changing an event's content breaks its own hash."""
    payload = json.loads(_payload(store_url, 5))
    payload["number"] = "B999"
    tamper(
        store_url,
        "UPDATE events SET payload = :p WHERE seq = 5",
        p=json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False),
    )
    assert store.verify() == AuditReport(False, 4, 5, "event 5: hash does not match its content")


def test_audit_names_a_rehashed_edit_at_the_next_link(store_url: str, store: EventStore) -> None:
    """Editing an event and recomputing its hash breaks the next event's link."""
    original = _payload(store_url, 9)
    payload = original.replace('"number":"A015"', '"number":"A016"')
    assert payload != original
    tamper(
        store_url,
        "UPDATE events SET payload = :p, hash = :h WHERE seq = 9",
        p=payload,
        h=chain_hash(store.events_between(7, 8)[0].hash, payload),
    )
    assert store.verify() == AuditReport(False, 9, 10, "event 10: previous-hash link broken")


def test_audit_names_a_broken_previous_hash_link(store_url: str, store: EventStore) -> None:
    """A prev_hash that isn't the hash of the event before is a broken link."""
    tamper(store_url, "UPDATE events SET prev_hash = :h WHERE seq = 7", h="0" * 64)
    assert store.verify() == AuditReport(False, 6, 7, "event 7: previous-hash link broken")


def test_audit_names_a_deleted_event(store_url: str, store: EventStore) -> None:
    """A seq gap is a missing event."""
    tamper(store_url, "DELETE FROM events WHERE seq = 12")
    assert store.verify() == AuditReport(False, 11, 12, "event 12 missing: log jumps from 11 to 13")


def test_audit_names_a_deleted_first_event(store_url: str, store: EventStore) -> None:
    """The log must start at 1."""
    tamper(store_url, "DELETE FROM events WHERE seq = 1")
    assert store.verify() == AuditReport(False, 0, 1, "event 1 missing: log starts at 2")


def test_audit_names_a_changed_type_column(store_url: str, store: EventStore) -> None:
    """The type column must agree with the hashed content."""
    tamper(store_url, "UPDATE events SET type = 'TicketFinished' WHERE seq = 3")
    report = store.verify()
    assert (report.ok, report.first_bad_seq) == (False, 3)
    assert report.problem == "event 3: type column says TicketFinished, content is TicketIssued"


def test_audit_by_the_writer_names_a_truncated_tail(store_url: str, store: EventStore) -> None:
    """Deleting the last events leaves a valid chain; the process that wrote them notices."""
    tamper(store_url, "DELETE FROM events WHERE seq = :seq", seq=TOTAL)
    assert store.verify() == AuditReport(
        False, TOTAL - 1, TOTAL, f"event {TOTAL} missing: log ends at {TOTAL - 1}, but {TOTAL} were written"
    )


def test_auditor_recomputes_the_chain_with_hashlib_alone(store_url: str, store: EventStore) -> None:
    """The chain is sha256(prev_hash + payload), as docs/store.md tells an auditor."""
    engine = sa.create_engine(store_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT seq, payload, prev_hash, hash FROM events ORDER BY seq")
            ).all()
    finally:
        engine.dispose()
    prev = "0" * 64
    for expected_seq, (seq, payload, prev_hash, digest) in enumerate(rows, start=1):
        assert (seq, prev_hash) == (expected_seq, prev)
        assert hashlib.sha256((prev + payload).encode("utf-8")).hexdigest() == digest
        prev = digest
    assert len(rows) == TOTAL
    assert "Əli Şükürov" in rows[1][1], "non-ASCII text is stored as is, not \\u-escaped"


def _payload(url: str, seq: int) -> str:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            text: str = conn.execute(
                sa.text("SELECT payload FROM events WHERE seq = :s"), {"s": seq}
            ).scalar_one()
            return text
    finally:
        engine.dispose()
