"""The audit: the hash chain verifies, and tampering is named at the exact event."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa

from server.store import AuditReport, Commit, EventStore, LogCorrupt, chain_hash, verify_log
from server.store.chain import reply_payload

from .helpers import ALL_EVENTS, T0, issued

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


# --- stored replies: a chain of their own ------------------------------------------------


@pytest.fixture
def answered(store: EventStore) -> EventStore:
    """The log above, then three requests with their replies."""
    store.append(
        [
            Commit([issued(10)], request=("kiosk:kiosk-1", "k-1"), reply={"ticket": "A010", "ok": True}),
            Commit([], request=("counter:12", "c-1"), reply={"error": "nothing_to_call"}),
            Commit([issued(11)], request=("kiosk:kiosk-1", "k-2"), reply={"ticket": "A011", "ok": True}),
        ]
    )
    return store


def test_audit_covers_the_stored_replies(answered: EventStore) -> None:
    assert answered.verify() == AuditReport(True, TOTAL + 2, replies=3)


def test_an_edited_reply_is_named_and_never_returned_to_a_retry(store_url: str, answered: EventStore) -> None:
    """A reply edited in the table: the audit names it, a retry gets an error instead of it."""
    tamper(store_url, "UPDATE replies SET reply = :r WHERE pos = 1", r='{"ok":true,"ticket":"A099"}')
    report = answered.verify()
    assert (report.ok, report.first_bad_seq, report.first_bad_reply) == (False, None, 1)
    assert report.problem == "reply 1 (kiosk:kiosk-1 k-1): hash does not match its content"
    assert report.checked == TOTAL + 2, "the events are intact"
    with pytest.raises(LogCorrupt) as caught:
        answered.find_reply("kiosk:kiosk-1", "k-1")
    assert caught.value.reply == 1
    assert answered.find_reply("counter:12", "c-1") == {"error": "nothing_to_call"}
    with pytest.raises(LogCorrupt, match="reply 1"):
        list(answered.replies_since(T0 - timedelta(days=1)))


def test_a_rehashed_reply_breaks_the_next_link(store_url: str, answered: EventStore) -> None:
    """Editing a reply and recomputing its hash breaks the link of the reply after it."""
    engine = sa.create_engine(store_url)
    with engine.connect() as conn:
        prev = conn.execute(sa.text("SELECT prev_hash FROM replies WHERE pos = 2")).scalar_one()
    engine.dispose()
    forged = '{"error":"nothing_waiting"}'
    digest = chain_hash(prev, reply_payload("counter:12", "c-1", None, None, forged))
    tamper(store_url, "UPDATE replies SET reply = :r, hash = :h WHERE pos = 2", r=forged, h=digest)
    report = answered.verify()
    assert (report.first_bad_reply, report.problem) == (
        3,
        "reply 3 (kiosk:kiosk-1 k-2): previous-hash link broken",
    )
    with pytest.raises(LogCorrupt, match="reply 3: previous-hash link broken"):
        answered.find_reply("counter:12", "c-1")
    with pytest.raises(LogCorrupt, match=r"reply 3 \(kiosk:kiosk-1 k-2\): previous-hash link broken"):
        list(answered.replies_since(T0 - timedelta(days=1)))


def test_audit_names_a_deleted_reply(store_url: str, answered: EventStore) -> None:
    tamper(store_url, "DELETE FROM replies WHERE pos = 2")
    report = answered.verify()
    assert (report.first_bad_reply, report.problem) == (2, "reply 2 missing: log jumps from 1 to 3")


def test_audit_names_a_reply_to_events_not_in_the_log(store_url: str, answered: EventStore) -> None:
    tamper(store_url, "DELETE FROM events WHERE seq = :seq", seq=TOTAL + 2)
    answered._head = None  # as another process would see it: the tail is just shorter
    report = answered.verify()
    assert report.problem == f"reply 3 (kiosk:kiosk-1 k-2): names event {TOTAL + 2}, beyond the log's end"


# --- replay reads only what the chain vouches for --------------------------------------------


def test_load_stops_at_an_edited_event(store_url: str, store: EventStore) -> None:
    """load() checks each event it hands out: an edit is a LogCorrupt naming it, never a
    replayed lie."""
    payload = _payload(store_url, 5).replace("20261122", "20261123")
    tamper(store_url, "UPDATE events SET payload = :p WHERE seq = 5", p=payload)
    got: list[int] = []
    with pytest.raises(LogCorrupt) as caught:
        got.extend(stored.seq for stored in store.load())
    assert got == [1, 2, 3, 4]
    assert caught.value.seq == 5
    assert str(caught.value) == (
        "the event log is damaged: event 5: hash does not match its content;"
        " restore the latest backup, as docs/operations.md says, or run novbe audit verify"
    )
    with pytest.raises(LogCorrupt, match="event 5"):
        store.events_between(3, 6)
    assert [s.seq for s in store.events_between(5, 7)] == [6, 7], "after the edit, the links hold"


def test_load_stops_at_swapped_events(store_url: str, store: EventStore) -> None:
    """Two events swapped (payload and hashes moved together) break the links."""
    engine = sa.create_engine(store_url)
    with engine.begin() as conn:
        rows = {
            seq: (payload, prev, digest)
            for seq, payload, prev, digest in conn.execute(
                sa.text("SELECT seq, payload, prev_hash, hash FROM events WHERE seq IN (3, 4)")
            )
        }
        for seq, other in ((3, 4), (4, 3)):
            payload, prev, digest = rows[other]
            conn.execute(
                sa.text("UPDATE events SET payload = :p, prev_hash = :ph, hash = :h WHERE seq = :s"),
                {"p": payload, "ph": prev, "h": digest, "s": seq},
            )
    engine.dispose()
    with pytest.raises(LogCorrupt, match="event 3: previous-hash link broken"):
        list(store.load())
    with pytest.raises(LogCorrupt, match="event 3: previous-hash link broken"):
        list(store.load(after_seq=2))


def test_load_after_a_seq_checks_the_link_to_it(store_url: str, store: EventStore) -> None:
    """A stream that starts mid-log is linked to the event before it."""
    tamper(store_url, "UPDATE events SET hash = :h WHERE seq = 6", h="e" * 64)
    with pytest.raises(LogCorrupt, match="event 7: previous-hash link broken"):
        list(store.load(after_seq=6))
    tamper(store_url, "DELETE FROM events WHERE seq = 10")
    with pytest.raises(LogCorrupt, match="event 10 missing"):
        list(store.load(after_seq=8))
