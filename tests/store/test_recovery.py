"""After a failed commit, a server goes on without replaying the day: the recipe of
docs/store.md ("After a failed commit"), run against a real store and the real engine."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from server.queue import CallNext, IssueTicket, OpenCounter, OpenDay, QueueEngine, replay
from server.store import Commit, EventStore, StoreError
from tests.queue.builders import DAY, at, fingerprint, make_hall


class Server:
    """The part of a hub that matters here: a committed engine (what the log holds) and a
    live one (which also holds decisions on their way to the log)."""

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.committed = QueueEngine(make_hall())
        self.seq = replay(store.load(), self.committed)
        self.live = self.committed.clone()

    def request(self, command: object) -> list[int]:
        events = self.live.handle(command)  # type: ignore[arg-type]
        try:
            seqs = self.store.append([Commit(events)])
        except StoreError:
            self.recover()
            raise
        for event in events:
            self.committed.apply(event)
        self.seq = seqs[0][-1] if seqs[0] else self.seq
        return seqs[0]

    def recover(self) -> None:
        """The recipe: ask the store what is durable, catch the committed engine up with an
        in-doubt commit that landed, and copy it into a new live engine."""
        head = self.store.head()
        if head.seq > self.seq:
            self.seq = replay(self.store.events_between(self.seq, head.seq), self.committed) + self.seq
        self.live = self.committed.clone()


@pytest.fixture
def server(store_url: str) -> Iterator[Server]:
    store = EventStore(store_url)
    store.migrate()
    hall = Server(store)
    hall.request(OpenDay(day=DAY, at=at(-60)))
    hall.request(OpenCounter(counter=1, at=at(-60)))
    yield hall
    store.close()


def test_a_failed_commit_is_forgotten_without_reading_the_log(server: Server) -> None:
    """The ticket decided but not committed is dropped; the next citizen gets its number;
    recovering reads nothing from the database."""
    server.request(IssueTicket(service="ID", at=at(1)))
    statements: list[str] = []

    def fail_writes_and_count(conn: sa.Connection, clauseelement: object, *args: object) -> None:
        statements.append(str(clauseelement))
        if "INSERT" in str(clauseelement):
            raise sa.exc.OperationalError("INSERT", {}, Exception("disk I/O error"))

    sa.event.listen(server.store._engine, "before_execute", fail_writes_and_count)
    with pytest.raises(StoreError) as caught:
        server.request(IssueTicket(service="ID", at=at(2)))
    sa.event.remove(server.store._engine, "before_execute", fail_writes_and_count)
    assert caught.value.in_doubt is False
    assert [s for s in statements if "INSERT" not in s] == [], "recovery read nothing"
    assert [t.number for t in server.live.tickets.values()] == ["A001"]

    assert server.request(IssueTicket(service="ID", at=at(3)))
    assert [t.number for t in server.live.tickets.values()] == ["A001", "A002"]
    rebuilt = QueueEngine(make_hall())
    replay(server.store.load(), rebuilt)
    assert fingerprint(rebuilt) == fingerprint(server.committed) == fingerprint(server.live)


def test_a_commit_in_doubt_that_landed_is_caught_up(server: Server) -> None:
    """The database committed but the answer was lost: the store reads its head again, and
    the committed engine takes the events it missed, not the whole day."""
    server.request(IssueTicket(service="ID", at=at(1)))
    events = server.live.handle(IssueTicket(service="ID", at=at(2)))
    server.store.append([Commit(events)])  # it landed...
    server.store._head = None  # ...but the connection dropped in COMMIT: in doubt
    server.recover()
    assert server.seq == server.store.last_seq()
    assert [t.number for t in server.committed.tickets.values()] == ["A001", "A002"]
    assert fingerprint(server.live) == fingerprint(server.committed)
    server.request(CallNext(counter=1, at=at(3)))
    assert server.live.counters[1].current == f"{DAY:%Y%m%d}-A001"
