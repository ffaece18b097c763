"""A bug in the hub, injected: the client gets ``internal_error``, keeps its connection,
and nothing of the failed request stays, in the log or in the engine.

A bug can't be provoked from outside, so this test runs the hub in-process (on a real
socket and a real SQLite file) and makes one of its functions fail.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.asyncio.server import serve

from server import views
from server.center import load_center
from server.hub import Hub
from server.store import EventStore
from tests.server.harness import Home, make_home


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
