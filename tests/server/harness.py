"""Real servers and plain websocket clients for the server's tests.

``ServerProcess`` runs ``novbe server`` as a separate process on a free loopback port;
``WsClient`` is a plain synchronous websocket client that speaks the protocol as
docs/protocol.md describes it, with no help from the apps' client library.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

from novbe import process
from server.center.provision import init_center
from server.reference import reference_center
from wire.device import load_device

CHECKOUT = Path(__file__).resolve().parents[2]

REFERENCE = reference_center()
DEMO_PASSWORD = "novbe-demo"
TIMEOUT = 10.0 * float(os.environ.get("NOVBE_TEST_TIME_SCALE", "1"))


@dataclass
class Home:
    """A center's folder made by ``novbe init``: center.toml, devices/, the database."""

    path: Path
    db_url: str

    def token(self, role: str, code: str) -> str:
        return load_device(self.path / "devices" / f"{role}-{code}.toml").token


_TEMPLATES: dict[bool, Path] = {}


def make_home(tmp: Path, *, db_url: str | None = None, reference: bool = True) -> Home:
    """A fresh center folder in ``tmp``, open around the clock, demo passwords.

    ``novbe init`` hashes 82 passwords; it runs once per test process and each test gets
    a copy of that folder.
    """
    template = _TEMPLATES.get(reference)
    if template is None:
        template = Path(tempfile.mkdtemp(prefix="novbe-home-"))
        init_center(template, reference=REFERENCE if reference else None, demo=True, always_open=True)
        _TEMPLATES[reference] = template
    shutil.copytree(template, tmp, dirs_exist_ok=True)
    return Home(tmp, db_url or f"sqlite:///{tmp / 'novbe.db'}")


def run_novbe(
    *args: str, python: tuple[str, ...] = (), env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python [PYTHON...] -m novbe ARGS`` from the checkout, its output captured."""
    return subprocess.run(
        [sys.executable, *python, "-m", "novbe", *args],
        cwd=CHECKOUT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
        check=False,
    )


class ServerProcess(process.ServerProcess):
    """A real `novbe server` on a test's center folder, remembering the folder's tokens."""

    def __init__(self, home: Home, *, port: int = 0, extra_args: list[str] | None = None) -> None:
        super().__init__(home.path, home.db_url, port, extra_args or [], timeout=3 * TIMEOUT)
        self.home = home


class WsClient:
    """A plain websocket client: send dicts, receive dicts."""

    def __init__(self, url: str) -> None:
        self._opened = connect(url, open_timeout=TIMEOUT, compression=None, max_size=None)
        self.ws: ClientConnection = self._opened.__enter__()
        self.seen: list[dict[str, Any]] = []

    def send(self, message: dict[str, Any] | str) -> None:
        self.ws.send(message if isinstance(message, str) else json.dumps(message, ensure_ascii=False))

    def recv(self, timeout: float = TIMEOUT) -> dict[str, Any]:
        message: dict[str, Any] = json.loads(self.ws.recv(timeout))
        self.seen.append(message)
        return message

    def recv_until(self, predicate: Any, timeout: float = TIMEOUT) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no matching message")
            message = self.recv(left)
            if predicate(message):
                return message

    def hello(self, **fields: Any) -> dict[str, Any]:
        self.send({"type": "hello", **fields})
        return self.recv()

    def request(self, kind: str, rid: str | None = None, **fields: Any) -> dict[str, Any]:
        rid = rid or uuid.uuid4().hex[:12]
        self.send({"type": kind, "id": rid, **fields})
        return self.recv_until(lambda m: m.get("type") in ("reply", "error") and m.get("id") == rid)

    def close(self) -> None:
        self.ws.close()


def kiosk(server: ServerProcess, code: str = "kiosk-1", **hello: Any) -> WsClient:
    client = WsClient(server.url)
    welcome = client.hello(role="kiosk", device=code, token=server.home.token("kiosk", code), **hello)
    assert welcome["type"] == "welcome", welcome
    return client


def counter(server: ServerProcess, number: int, *, login: bool = True, **hello: Any) -> WsClient:
    client = WsClient(server.url)
    welcome = client.hello(
        role="counter", device=str(number), token=server.home.token("counter", str(number)), **hello
    )
    assert welcome["type"] == "welcome", welcome
    if login:
        reply = client.request("login", login=f"op{number}", password=DEMO_PASSWORD)
        assert reply["type"] == "reply", reply
    return client


def display(server: ServerProcess, code: str = "lobby", **hello: Any) -> WsClient:
    client = WsClient(server.url)
    welcome = client.hello(role="display", device=code, token=server.home.token("display", code), **hello)
    assert welcome["type"] == "welcome", welcome
    return client


def rating(server: ServerProcess, number: int, **hello: Any) -> WsClient:
    """The rating terminal of counter ``number``, introduced."""
    client = WsClient(server.url)
    welcome = client.hello(
        role="rating", device=str(number), token=server.home.token("rating", str(number)), **hello
    )
    assert welcome["type"] == "welcome", welcome
    return client


def supervisor(server: ServerProcess) -> WsClient:
    client = WsClient(server.url)
    welcome = client.hello(role="supervisor", login="supervisor", password=DEMO_PASSWORD)
    assert welcome["type"] == "welcome", welcome
    return client
