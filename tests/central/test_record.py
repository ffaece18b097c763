"""The central record: the schema, shipping a batch, and what the central side refuses."""

from __future__ import annotations

import dataclasses
import json
import threading
from importlib import resources
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.config import Config
from alembic.script import ScriptDirectory

from central import Alert, CentralRecord, ChainRefused, Head, NotRegistered, public_config
from central.record import SCHEMA_REVISION, WITHHELD
from server.center import load_center
from server.store import GENESIS_HASH, Commit, EventStore, LogRow, chain_hash
from tests.server.harness import make_home
from tests.store.helpers import issued

from .conftest import HALL_EVENTS, wait_for

pytestmark = pytest.mark.postgres


def central_rows(url: str, center: str = "BAKU1") -> list[tuple[int, str, str, str, str]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            query = sa.text(
                "SELECT seq, type, payload, prev_hash, hash FROM events WHERE center = :c ORDER BY seq"
            )
            return [tuple(row) for row in conn.execute(query, {"c": center})]
    finally:
        engine.dispose()


def local_rows(store: EventStore) -> list[tuple[int, str, str, str, str]]:
    return [(r.seq, r.type, r.payload, r.prev_hash, r.hash) for r in store.rows(0, 100_000)]


def rehash(rows: list[LogRow], prev: str) -> list[LogRow]:
    """``rows`` chained again from ``prev``: a rewritten log that is a valid chain by itself."""
    out = []
    for row in rows:
        digest = chain_hash(prev, row.payload)
        out.append(dataclasses.replace(row, prev_hash=prev, hash=digest))
        prev = digest
    return out


def test_schema_revision_constant_is_alembic_head(central_url: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(resources.files("central") / "migrations"))
    assert ScriptDirectory.from_config(config).get_current_head() == SCHEMA_REVISION
    with CentralRecord(central_url) as record:
        assert record.schema_revision() == SCHEMA_REVISION
        record.migrate()  # at head: nothing to do
        assert record.schema_revision() == SCHEMA_REVISION


def test_record_accepts_a_batch_once_and_says_where_it_ends(record: CentralRecord, hall: EventStore) -> None:
    """A batch is inserted whole; sent again, or overlapping, nothing is added twice."""
    rows = hall.rows(0, 1000)
    assert record.head("BAKU1") == Head(0, GENESIS_HASH)
    first = record.ship("BAKU1", rows[:50])
    assert (first.head.seq, first.accepted) == (50, 50)
    again = record.ship("BAKU1", rows[:50])
    assert (again.head, again.accepted) == (first.head, 0)
    rest = record.ship("BAKU1", rows[30:])
    assert (rest.head, rest.accepted) == (Head(rows[-1].seq, rows[-1].hash), len(rows) - 50)
    assert central_rows(str(record.url.render_as_string(hide_password=False))) == local_rows(hall)
    assert record.verify("BAKU1").ok


def test_record_resends_from_its_head_when_a_batch_starts_past_it(
    record: CentralRecord, hall: EventStore
) -> None:
    """A shipper ahead of the central database (a standby promoted without the last commits)
    is told the head, and nothing is inserted with a hole before it."""
    rows = hall.rows(0, 1000)
    record.ship("BAKU1", rows[:10])
    answer = record.ship("BAKU1", rows[20:40])
    assert (answer.head.seq, answer.accepted) == (10, 0)
    assert record.alerts() == []


@pytest.mark.parametrize(
    ("change", "kind", "problem"),
    [
        ("payload", "hash", "event 61 of BAKU1: hash does not match its content"),
        ("prev_hash", "link", "event 61 of BAKU1: previous-hash link broken"),
        ("missing", "gap", "event 61 is missing from the log of BAKU1"),
        ("type", "type", "event 61 of BAKU1: its type column does not match its content"),
        ("not_json", "type", "event 61 of BAKU1: its type column does not match its content"),
    ],
)
def test_record_refuses_a_broken_chain_and_keeps_what_came_before(
    record: CentralRecord, hall: EventStore, change: str, kind: str, problem: str
) -> None:
    """A damaged event is refused with the ones after it; those before are kept; an alert
    names it, once however often it is sent."""
    rows = hall.rows(0, 1000)
    bad = rows[60]
    if change == "payload":
        rows[60] = dataclasses.replace(bad, payload=bad.payload.replace("A0", "A9"))
    elif change == "prev_hash":
        rows[60:] = rehash(rows[60:], "f" * 64)
    elif change == "missing":
        del rows[60]
    elif change == "type":
        rows[60] = dataclasses.replace(bad, type="TicketCancelled")
    else:
        rows[60:] = rehash([dataclasses.replace(bad, payload="{not json"), *rows[61:]], bad.prev_hash)
    for _ in range(3):
        with pytest.raises(ChainRefused) as refused:
            record.ship("BAKU1", rows)
        assert (str(refused.value), refused.value.seq, refused.value.head_seq) == (problem, 61, 60)
    assert record.head("BAKU1").seq == 60
    (alert,) = record.alerts()
    assert (alert.center, alert.kind, alert.seq, alert.detail, alert.times) == ("BAKU1", kind, 61, problem, 3)


def test_alerts_are_announced_as_they_are_recorded(record: CentralRecord, hall: EventStore) -> None:
    """A listener gets the alerts so far, then each refusal as it commits, a repeat with its
    count: the same alerts the table holds."""
    rows = hall.rows(0, 1000)
    rows[60] = dataclasses.replace(rows[60], payload=rows[60].payload.replace("A0", "A9"))
    with pytest.raises(ChainRefused):
        record.ship("BAKU1", rows)
    stop = threading.Event()
    heard: list[Alert] = []

    def listen() -> None:
        heard.extend(record.follow_alerts(stop, poll=0.1))

    listener = threading.Thread(target=listen)
    listener.start()
    try:
        wait_for(lambda: len(heard) == 1, what="the alert so far")
        with pytest.raises(ChainRefused):
            record.ship("BAKU1", rows)
        wait_for(lambda: len(heard) == 2, what="the repeated alert")
    finally:
        stop.set()
        listener.join(10)
    assert [(a.center, a.kind, a.seq, a.times) for a in heard] == [
        ("BAKU1", "hash", 61, 1),
        ("BAKU1", "hash", 61, 2),
    ]
    assert heard[1] == record.alerts()[0]


def test_record_refuses_a_rewritten_log(record: CentralRecord, hall: EventStore) -> None:
    """A log rewritten from an event already shipped, even as a valid chain of its own, is a
    fork: refused whether the rewritten events are sent again or only the new ones."""
    rows = hall.rows(0, 1000)
    record.ship("BAKU1", rows[:80])
    edited = dataclasses.replace(rows[40], payload=rows[40].payload.replace("A0", "A9"))
    forked = rows[:40] + rehash([edited, *rows[41:]], rows[39].hash)
    with pytest.raises(ChainRefused, match="event 41 is not the event BAKU1 shipped before"):
        record.ship("BAKU1", forked)
    with pytest.raises(ChainRefused, match="event 81 is not the event BAKU1 shipped before"):
        record.ship("BAKU1", forked[80:])
    assert central_rows(str(record.url.render_as_string(hide_password=False))) == local_rows(hall)[:80]
    assert {a.kind for a in record.alerts()} == {"fork"}


def test_record_refuses_a_second_hall_using_the_same_code(
    record: CentralRecord, hall: EventStore, tmp_path: Path
) -> None:
    """Two servers configured with one code: the second log forks at its first event."""
    record.ship("BAKU1", hall.rows(0, 1000))
    other = EventStore(f"sqlite:///{tmp_path / 'other.db'}")
    other.migrate()
    other.append([Commit([issued(n) for n in range(500, 700)])])
    with pytest.raises(ChainRefused, match="event 1 is not the event BAKU1 shipped before"):
        record.ship("BAKU1", other.rows(0, 1000))
    with pytest.raises(ChainRefused, match=f"event {HALL_EVENTS + 1} is not the event BAKU1 shipped before"):
        record.ship("BAKU1", other.rows(HALL_EVENTS, 1000))
    assert record.head("BAKU1").seq == HALL_EVENTS
    other.close()


def test_central_events_cannot_be_changed_or_deleted(record: CentralRecord, hall: EventStore) -> None:
    """The central record is append-only: UPDATE, DELETE and TRUNCATE of events fail."""
    record.ship("BAKU1", hall.rows(0, 1000))
    engine = sa.create_engine(record.url)
    try:
        for sql in (
            "UPDATE events SET payload = '{}' WHERE seq = 3",
            f"DELETE FROM events WHERE seq = {HALL_EVENTS}",
            "TRUNCATE events",
        ):
            with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
                conn.execute(sa.text(sql))
    finally:
        engine.dispose()
    assert record.verify("BAKU1").ok
    assert record.head("BAKU1").seq == HALL_EVENTS


def test_record_refuses_a_center_not_registered(record: CentralRecord, hall: EventStore) -> None:
    with pytest.raises(NotRegistered, match="center BAKU9 is not registered"):
        record.ship("BAKU9", hall.rows(0, 10))
    with pytest.raises(NotRegistered):
        record.publish_config("BAKU9", {})
    assert record.add_center("BAKU9") is True
    assert record.add_center("BAKU9") is False
    assert record.ship("BAKU9", hall.rows(0, 10)).accepted == 10


def test_record_lets_only_the_center_s_own_role_ship_for_it(central_url: str, hall: EventStore) -> None:
    """A center registered with a shipper role refuses every other role, and that role
    has no other right than shipping: it cannot touch the events."""
    admin = sa.create_engine(central_url)
    with admin.begin() as conn:
        conn.execute(sa.text("DROP ROLE IF EXISTS ship_baku1"))
        conn.execute(sa.text("CREATE ROLE ship_baku1 LOGIN"))
        conn.execute(sa.text("GRANT EXECUTE ON FUNCTION novbe_ship(text, jsonb) TO ship_baku1"))
        conn.execute(sa.text("GRANT EXECUTE ON FUNCTION novbe_publish(text, text) TO ship_baku1"))
    try:
        with CentralRecord(central_url) as owner:
            owner.add_center("BAKU1", shipper_role="ship_baku1")
            owner.add_center("GANJA1", shipper_role="someone_else")
            with pytest.raises(NotRegistered, match="may not ship for center BAKU1"):
                owner.ship("BAKU1", hall.rows(0, 10))
        as_role = sa.engine.make_url(central_url).set(username="ship_baku1")
        with CentralRecord(as_role.render_as_string(hide_password=False)) as shipper:
            assert shipper.ship("BAKU1", hall.rows(0, 10)).accepted == 10
            with pytest.raises(NotRegistered):
                shipper.ship("GANJA1", hall.rows(0, 10))
        role_engine = sa.create_engine(as_role)
        with pytest.raises(sa.exc.ProgrammingError, match="permission denied"), role_engine.begin() as conn:
            conn.execute(sa.text("SELECT count(*) FROM events"))
        role_engine.dispose()
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text("DROP OWNED BY ship_baku1"))
            conn.execute(sa.text("DROP ROLE ship_baku1"))
        admin.dispose()


def test_record_keeps_the_configuration_without_its_secrets(record: CentralRecord, tmp_path: Path) -> None:
    """Operators' password hashes and device tokens stay in the hall."""
    center = load_center(make_home(tmp_path / "center").path / "center.toml")
    assert center.operators
    assert center.devices
    record.publish_config("BAKU1", public_config(center))
    kept = record.config("BAKU1")
    assert kept is not None
    assert kept.devices == []
    assert {o.password_hash for o in kept.operators} == {WITHHELD}
    assert [o.login for o in kept.operators] == [o.login for o in center.operators]
    assert kept.agencies == center.agencies
    assert kept.hours == center.hours
    text = json.dumps(public_config(center))
    assert not any(o.password_hash in text for o in center.operators)
    assert not any(d.token_sha256 in text for d in center.devices)
