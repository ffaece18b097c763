"""Faults injected into a hub running in-process (on a real socket and a real SQLite
file): a bug in one of its functions, a store that refuses a write. The client gets an
answer (``internal_error``, ``store_unavailable``), keeps its connection, and nothing of the
failed request stays, in the log or in the engine.

A bug can't be provoked from outside, so these tests make one of the hub's functions fail;
tests/server/test_fault_suite.py fails the database itself under a real server process.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from websockets.asyncio.client import ClientConnection, connect
from websockets.asyncio.server import serve

from server import views
from server.center import load_center
from server.hub import Hub
from server.store import EventStore, StoreError
from tests.server.harness import DEMO_PASSWORD, Home, make_home


class Client:
    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws

    async def ask(self, message: dict[str, Any]) -> dict[str, Any]:
        await self.ws.send(json.dumps(message))
        while True:
            answer: dict[str, Any] = json.loads(await self.ws.recv())
            if answer["type"] in ("reply", "error", "welcome"):
                return answer


def _broken(*args: Any, **kwargs: Any) -> dict[str, Any]:
    raise RuntimeError("injected")


def _hello(home: Home, role: str, code: str, **fields: Any) -> dict[str, Any]:
    return {"type": "hello", "role": role, "device": code, "token": home.token(role, code), **fields}


@pytest.fixture
async def hub(tmp_path: Path) -> AsyncIterator[tuple[Hub, str, Home]]:
    home = make_home(tmp_path / "center")
    store = EventStore(home.db_url)
    store.migrate()
    hall = Hub(load_center(home.path / "center.toml"), store)
    hall.load()
    await hall.start()
    async with serve(hall.handler, "127.0.0.1", 0, process_request=hall.process_request) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        yield hall, f"ws://127.0.0.1:{port}", home
        await hall.stop()
    store.close()


async def test_a_bug_answers_internal_error_and_changes_nothing(
    hub: tuple[Hub, str, Home], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    hall, url, home = hub
    real = views.ticket_view

    async with connect(url) as ws:
        client = Client(ws)
        assert (await client.ask(_hello(home, "kiosk", "kiosk-1")))["type"] == "welcome"
        seq = hall.seq

        # The engine has issued A001 when the reply is built: the failure comes after.
        monkeypatch.setattr(views, "ticket_view", _broken)
        with caplog.at_level(logging.ERROR, logger="novbe.server"):
            failed = await client.ask({"type": "issue", "id": "k-1", "service": "DIN-ID"})
        assert (failed["code"], failed["id"]) == ("internal_error", "k-1")
        assert failed["details"]["detail"] == "the server failed on this request; nothing changed"
        assert "injected" not in json.dumps(failed)
        assert any("request failed" in r.getMessage() for r in caplog.records)
        monkeypatch.setattr(views, "ticket_view", real)

        # Nothing stayed: the same id runs again and gets the number nobody got. While the
        # hub reloads its engines from the log it answers store_unavailable: try again.
        again = await client.ask({"type": "issue", "id": "k-1", "service": "DIN-ID"})
        for _ in range(100):
            if again.get("code") != "store_unavailable":
                break
            await asyncio.sleep(0.05)
            again = await client.ask({"type": "issue", "id": "k-1", "service": "DIN-ID"})
        assert again["result"]["ticket"]["number"] == "A001", again
        assert [type(e.event).__name__ for e in hall.store.load(after_seq=seq)] == ["TicketIssued"]
        assert hall.live.tickets.keys() == hall.committed.tickets.keys()


async def test_a_bug_in_hello_answers_internal_error_and_keeps_the_connection(
    hub: tuple[Hub, str, Home], monkeypatch: pytest.MonkeyPatch
) -> None:
    hall, url, home = hub

    monkeypatch.setattr(hall, "_snapshot", _broken)
    async with connect(url) as ws:
        client = Client(ws)
        hello = _hello(home, "display", "lobby", id="h-1")
        failed = await client.ask(hello)
        assert (failed["code"], failed["id"]) == ("internal_error", "h-1")
        assert not hall.clients, "a connection without a welcome is not registered"
        assert (await client.ask({"type": "sync", "id": "s-1"}))["code"] == "not_authenticated"
        monkeypatch.undo()
        assert (await client.ask(hello))["type"] == "welcome"
        assert len(hall.clients) == 1


async def test_a_refused_commit_is_undone_without_reading_the_day_again(
    hub: tuple[Hub, str, Home], caplog: pytest.LogCaptureFixture
) -> None:
    """The database refuses a commit (a disk I/O error on its INSERT): the request is
    answered ``store_unavailable``, and the hub throws its decision away from what it holds
    (the log's head is known in memory): not one event of the day is read again, so this
    takes no longer in the evening than in the morning. The next citizen gets the number
    the refused one would have had. The log has the first failure whole and a line when
    commits go through again, not a traceback for each retry."""
    hall, url, home = hub
    engine = hall.store._engine
    statements: list[str] = []

    def refuse_inserts(conn: Any, clauseelement: object, *args: Any) -> None:
        statements.append(str(clauseelement))
        if "INSERT" in str(clauseelement):
            raise sa.exc.OperationalError("INSERT", {}, Exception("disk I/O error"))

    async with connect(url) as ws:
        client = Client(ws)
        assert (await client.ask(_hello(home, "kiosk", "kiosk-1")))["type"] == "welcome"
        for n in range(3):
            issued = await client.ask({"type": "issue", "id": f"k-{n}", "service": "DIN-ID"})
            assert issued["type"] == "reply", issued
        sa.event.listen(engine, "before_execute", refuse_inserts)
        try:
            with caplog.at_level(logging.INFO, logger="novbe.server"):
                for _ in range(3):
                    refused = await client.ask({"type": "issue", "id": "k-3", "service": "DIN-ID"})
                    assert (refused["code"], refused["id"]) == ("store_unavailable", "k-3"), refused
                    while hall.writer.broken:  # noqa: ASYNC110 - polls the hub
                        await asyncio.sleep(0.01)
        finally:
            sa.event.remove(engine, "before_execute", refuse_inserts)
        failed = [r for r in caplog.records if "commit failed" in r.getMessage()]
        assert len(failed) == 1, failed
        assert failed[0].exc_info is not None
        assert [s for s in statements if "FROM events" in s or "FROM replies" in s] == [], statements
        assert hall.live.tickets.keys() == hall.committed.tickets.keys()
        with caplog.at_level(logging.INFO, logger="novbe.server"):
            again = await client.ask({"type": "issue", "id": "k-3", "service": "DIN-ID"})
        assert again["result"]["ticket"]["number"] == "A004", again
        back = [json.loads(r.getMessage()) for r in caplog.records if "go through again" in r.getMessage()]
        assert back == [{"msg": "commits go through again", "failed": 3}], back


def _store_down(*args: Any, **kwargs: Any) -> None:
    raise StoreError("injected: the database is down")


async def test_writes_beside_the_log_answer_store_unavailable_and_their_retry_is_answered(
    hub: tuple[Hub, str, Home], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A device's health report is written outside the group commits; when that write fails
    the request is answered ``store_unavailable``, nothing changes, and the same id sent
    again is answered at once (not left waiting). The displays' line is an event in the log:
    its copy for a restart failing doesn't undo it."""
    hall, url, home = hub
    monkeypatch.setattr(hall.store, "set_setting", _store_down)
    monkeypatch.setattr(hall.store, "record_device_status", _store_down)
    text = {"az": "Xoş gəlmisiniz", "ru": "Добро пожаловать", "en": "Welcome"}
    async with connect(url) as boss_ws, connect(url) as kiosk_ws:
        boss, kiosk = Client(boss_ws), Client(kiosk_ws)
        hello = {"type": "hello", "role": "supervisor", "login": "supervisor", "password": DEMO_PASSWORD}
        assert (await boss.ask(hello))["type"] == "welcome"
        assert (await kiosk.ask(_hello(home, "kiosk", "kiosk-1")))["type"] == "welcome"
        message = {"type": "set_message", "id": "s-1", "text": text}
        report = {"type": "report_health", "id": "k-1", "component": "printer", "status": "paper_out"}
        for _ in range(2):
            failed = await asyncio.wait_for(kiosk.ask(report), 5)
            assert (failed["code"], failed["id"]) == ("store_unavailable", "k-1"), failed
        assert (hall.devices, hall.in_flight) == ({}, {})
        shown = await asyncio.wait_for(boss.ask(message), 5)
        assert shown["result"] == {"text": text}, shown
        assert hall.message == text
        # The connection serves the next request at once.
        assert (await kiosk.ask({"type": "issue", "id": "k-2", "service": "DIN-ID"}))["type"] == "reply"

        monkeypatch.undo()
        assert (await boss.ask(message | {"id": "s-2"}))["result"] == {"text": text}
        assert (await kiosk.ask(report))["result"] == {"recorded": True}
    assert hall.store.settings()["hall_message"] == {"text": text}


async def test_stop_answers_what_waits_on_a_stuck_database_and_returns(
    hub: tuple[Hub, str, Home], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A commit stuck in the database (it stopped answering) doesn't hold the stop: the
    request is answered ``shutting_down`` (send it again after the restart) and stop returns
    in about the time it allows."""
    hall, url, home = hub
    stuck = threading.Event()
    append = hall.store.append

    def hang(*args: Any, **kwargs: Any) -> Any:
        stuck.wait(30)
        return append(*args, **kwargs)

    monkeypatch.setattr(hall.store, "append", hang)
    async with connect(url) as ws:
        client = Client(ws)
        assert (await client.ask(_hello(home, "kiosk", "kiosk-1")))["type"] == "welcome"
        asking = asyncio.create_task(client.ask({"type": "issue", "id": "k-1", "service": "DIN-ID"}))
        while not hall.in_flight:  # noqa: ASYNC110 - polls the hub
            await asyncio.sleep(0.01)
        started = time.monotonic()
        await hall.stop(wait_s=0.5)
        assert time.monotonic() - started < 3
        answer = await asyncio.wait_for(asking, 5)
        assert (answer["code"], answer["id"]) == ("shutting_down", "k-1"), answer
    stuck.set()
