"""The server attacked from the hall's network: password guessing, login names found by
timing, connections that never say hello, file descriptors used up, a client that stops
reading. A hub runs in-process on a real socket and a real SQLite file; the attackers are
plain sockets and websocket clients.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import extract_parameters
from websockets.asyncio.client import ClientConnection, connect
from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed

from server.center import load_center
from server.hub import Hub, auth as auth_module
from server.hub.gate import Gate
from server.hub.throttle import FREE_FAILURES, MAX_DELAY_S, MAX_TRACKED, Throttle
from server.security import decoy_hash, verify_password
from server.store import EventStore
from tests.server.harness import DEMO_PASSWORD, TIMEOUT, Home, make_home


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# --- the throttle -------------------------------------------------------------------------


def test_a_few_typing_mistakes_cost_nothing_then_each_failure_doubles_the_wait() -> None:
    clock = Clock()
    throttle = Throttle(clock)
    for _ in range(FREE_FAILURES):
        assert throttle.wait_s("op1", "10.0.0.5") == 0
        assert not throttle.failed("op1", "10.0.0.5")
    assert throttle.failed("op1", "10.0.0.5"), "the first delayed failure says someone may be guessing"
    waits = []
    for _ in range(12):
        waits.append(throttle.wait_s("op1", "10.0.0.5"))
        clock.now += waits[-1]
        throttle.failed("op1", "10.0.0.5")
    assert waits[:5] == [1, 2, 4, 8, 16]
    assert max(waits) == MAX_DELAY_S
    assert throttle.refused == 12


def test_the_right_password_clears_the_login_but_not_the_address() -> None:
    """Else an attacker who knows one password clears its count between guesses at another."""
    clock = Clock()
    throttle = Throttle(clock)
    for n in range(FREE_FAILURES + 1):
        throttle.failed(f"guess{n}" if n else "op1", "10.0.0.5")
    throttle.succeeded("op1")
    assert throttle.wait_s("op1", "10.0.0.9") == 0, "the login is free again, from elsewhere"
    assert throttle.wait_s("op2", "10.0.0.5") == 1, "the address still waits, for any login"
    clock.now += 901
    assert throttle.wait_s("op2", "10.0.0.5") == 0, "forgotten after 15 minutes without a failure"


def test_a_login_is_counted_from_every_address_and_loopback_by_login_only() -> None:
    clock = Clock()
    throttle = Throttle(clock)
    for n in range(FREE_FAILURES + 1):
        throttle.failed("Supervisor", f"10.0.{n}.1")
    assert throttle.wait_s("supervisor", "10.9.9.9") == 1, "guesses spread over addresses add up"
    for _ in range(20):
        throttle.failed("op7", "127.0.0.1")
    assert throttle.wait_s("op8", "127.0.0.1") == 0
    assert [key for key, _ in throttle.delayed()] == [("login", "op7"), ("login", "supervisor")]


def test_made_up_logins_cannot_fill_the_memory() -> None:
    throttle = Throttle(Clock())
    for n in range(MAX_TRACKED + 500):
        throttle.failed(f"user{n}", "10.0.0.5")
    assert len(throttle._counts) <= MAX_TRACKED
    assert throttle.wait_s("anyone", "10.0.0.5") > 0, "the address (failed last) is still counted"


def test_an_unknown_login_is_checked_against_a_hash_of_the_same_cost(tmp_path: Path) -> None:
    """The time of an answer must not tell which logins exist: a stand-in hash with the
    parameters the center's hashes use, not a skipped check (bench/passwords.py times it)."""
    center = load_center(make_home(tmp_path / "center").path / "center.toml")
    hashes = [operator.password_hash for operator in center.operators]
    assert extract_parameters(decoy_hash(hashes)) == extract_parameters(hashes[0])


# --- a hub on a socket --------------------------------------------------------------------


async def _hub(tmp_path: Path, gate: Gate | None = None) -> tuple[Hub, Home]:
    home = make_home(tmp_path / "center")
    store = EventStore(home.db_url)
    store.migrate()
    hall = Hub(load_center(home.path / "center.toml"), store, gate=gate)
    hall.load()
    await hall.start()
    return hall, home


@pytest.fixture
async def running(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[tuple[Hub, str, Home]]:
    gate: Gate = getattr(request, "param", None) or Gate()
    hall, home = await _hub(tmp_path, gate)
    async with serve(
        hall.handler,
        "127.0.0.1",
        0,
        process_request=hall.process_request,
        create_connection=gate.connection,
        compression=None,
    ) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        yield hall, f"ws://127.0.0.1:{port}", home
        await hall.stop()
    hall.store.close()


async def ask(ws: ClientConnection, message: dict[str, Any]) -> dict[str, Any]:
    await ws.send(json.dumps(message))
    while True:
        answer: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
        if answer["type"] in ("reply", "error", "welcome") and answer.get("id") == message.get("id"):
            return answer


def _hello(home: Home, role: str, code: str) -> dict[str, Any]:
    return {"type": "hello", "id": "h", "role": role, "device": code, "token": home.token(role, code)}


async def test_password_checks_wait_on_their_own_thread_and_never_hold_a_commit(
    running: tuple[Hub, str, Home], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Password checks stuck (as under a flood of guesses): tickets are still issued, and
    past the queue's bound a guess is refused at once instead of waiting."""
    hall, url, home = running
    release = threading.Event()

    def slow(hashed: str, password: str) -> bool:
        release.wait(TIMEOUT)
        return verify_password(hashed, password)

    monkeypatch.setattr(auth_module, "verify_password", slow)
    guessers = [await connect(url) for _ in range(auth_module.PASSWORD_QUEUE + 1)]
    try:
        hello = {"type": "hello", "id": "h", "role": "supervisor", "login": "supervisor", "password": "x"}
        guesses = [asyncio.create_task(ask(ws, hello)) for ws in guessers[:-1]]
        while hall.auth._waiting < auth_module.PASSWORD_QUEUE:  # noqa: ASYNC110 - polls the hub
            await asyncio.sleep(0.01)
        refused = await ask(guessers[-1], hello)
        assert (refused["code"], refused["details"]["retry_after_s"]) == ("too_many_attempts", 1)

        async with connect(url) as kiosk:
            assert (await ask(kiosk, _hello(home, "kiosk", "kiosk-1")))["type"] == "welcome"
            issued = await ask(kiosk, {"type": "issue", "id": "k-1", "service": "DIN-ID"})
            assert issued["result"]["ticket"]["number"] == "A001"
        release.set()
        answers = await asyncio.gather(*guesses)
        assert {a["code"] for a in answers} <= {"wrong_password", "too_many_attempts"}
    finally:
        release.set()
        for ws in guessers:
            await ws.close()


async def test_an_unknown_login_costs_the_same_check_and_gets_the_same_answer(
    running: tuple[Hub, str, Home], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unknown login and a known one with a wrong password: each is one argon2 check of a
    hash with the same parameters (the decoy's), and both are answered alike: the server's
    work, not only its stand-in hash, can't tell them apart."""
    hall, url, home = running
    checked: list[str] = []

    def counted(hashed: str, password: str) -> bool:
        checked.append(hashed)
        return verify_password(hashed, password)

    monkeypatch.setattr(auth_module, "verify_password", counted)
    answers = []
    async with connect(url) as desk:
        assert (await ask(desk, _hello(home, "counter", "3")))["type"] == "welcome"
        for n, login in enumerate(("op3", "nobody-here")):
            answer = await ask(desk, {"type": "login", "id": f"l-{n}", "login": login, "password": "guess"})
            answers.append({k: v for k, v in answer.items() if k != "id"})
    assert answers[0] == answers[1], answers
    assert answers[0]["code"] == "wrong_password"
    assert len(checked) == 2
    assert checked[0] == hall.center.operator("op3").password_hash
    assert extract_parameters(checked[1]) == extract_parameters(checked[0])


async def test_guessing_an_operator_password_is_slowed_and_the_supervisor_alerted(
    running: tuple[Hub, str, Home],
) -> None:
    _, url, home = running
    async with connect(url) as boss, connect(url) as desk:
        hello = {
            "type": "hello",
            "id": "h",
            "role": "supervisor",
            "login": "supervisor",
            "password": DEMO_PASSWORD,
        }
        assert (await ask(boss, hello))["type"] == "welcome"
        assert (await ask(desk, _hello(home, "counter", "3")))["type"] == "welcome"
        for n in range(FREE_FAILURES + 1):
            wrong = await ask(desk, {"type": "login", "id": f"l-{n}", "login": "op3", "password": f"g{n}"})
            assert wrong["code"] == "wrong_password"
        right = await ask(desk, {"type": "login", "id": "l-right", "login": "op3", "password": DEMO_PASSWORD})
        assert right["code"] == "too_many_attempts", "the right password is refused while the login waits"
        alert = await _notice(boss, "alert")
        assert (alert["device"], alert["status"]["status"]) == ("server/passwords", "guessing")
        assert "login op3 (6 failed)" in alert["status"]["detail"]
        # After the wait, the same request id is checked (a refusal is not its answer).
        await asyncio.sleep(right["details"]["retry_after_s"] + 0.1)
        again = await ask(desk, {"type": "login", "id": "l-right", "login": "op3", "password": DEMO_PASSWORD})
        assert again["type"] == "reply", again


async def _notice(ws: ClientConnection, kind: str) -> dict[str, Any]:
    while True:
        message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
        if message["type"] == kind:
            return message


def _raw(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)


def _reset(sock: socket.socket) -> bool:
    """Whether the server has reset or closed ``sock``."""
    sock.settimeout(TIMEOUT)
    try:
        return sock.recv(1) == b""
    except (ConnectionResetError, TimeoutError):
        return True


@pytest.mark.parametrize("running", [Gate(open_files=64 + 128 + 40)], indirect=True)
async def test_connections_that_say_nothing_cannot_lock_a_device_out(running: tuple[Hub, str, Home]) -> None:
    """More silent connections than the open-file limit allows: the newest are reset as
    they arrive, the oldest waiting are pushed out, and a kiosk still connects and works."""
    hall, url, home = running
    gate = hall.gate
    port = int(url.rsplit(":", 1)[1])
    async with connect(url) as display:
        assert (await ask(display, _hello(home, "display", "lobby")))["type"] == "welcome"
        silent = []
        for _ in range(gate.budget + 20):
            silent.append(await asyncio.to_thread(_raw, port))
        await asyncio.sleep(0.2)
        assert gate.refused + gate.pushed_out >= 20, gate.figures()
        assert gate.waiting <= gate.max_waiting
        async with connect(url) as kiosk:
            assert (await ask(kiosk, _hello(home, "kiosk", "kiosk-1")))["type"] == "welcome"
            assert (await ask(kiosk, {"type": "issue", "id": "k-1", "service": "DIN-ID"}))["type"] == "reply"
        assert (await ask(display, {"type": "sync", "id": "s"}))["type"] == "welcome", "the display stayed"
        for sock in silent:
            sock.close()
    hall._check_server()
    assert hall.server_health["server/connections"][1]["status"] == "full"


@pytest.mark.parametrize("running", [Gate(hello_timeout=0.5)], indirect=True)
async def test_a_connection_without_hello_is_closed_in_time(running: tuple[Hub, str, Home]) -> None:
    hall, url, _ = running
    port = int(url.rsplit(":", 1)[1])
    before_handshake = await asyncio.to_thread(_raw, port)
    async with connect(url) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), TIMEOUT)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 4002
    assert await asyncio.to_thread(_reset, before_handshake)
    assert (hall.gate.timed_out, hall.gate.waiting) == (2, 0)


@pytest.mark.parametrize("running", [Gate(write_timeout=1.0)], indirect=True)
async def test_a_client_that_stops_reading_is_dropped_without_stalling_the_others(
    running: tuple[Hub, str, Home],
) -> None:
    """A supervisor's desk that stops reading (its link hangs, its app froze) while tickets
    are issued: its events pile up, it is dropped, and the kiosk and the display it shares
    the server with are answered and fed all along."""
    hall, url, home = running
    port = int(url.rsplit(":", 1)[1])
    small = socket.socket()
    small.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # fills after a few events
    small.connect(("127.0.0.1", port))
    async with connect(url, sock=small, max_size=None) as frozen:
        # The frozen desk: a real client whose socket is then never read again.
        hello = {
            "type": "hello",
            "id": "h",
            "role": "supervisor",
            "login": "supervisor",
            "password": DEMO_PASSWORD,
        }
        assert (await ask(frozen, hello))["type"] == "welcome"
        frozen.transport.pause_reading()
        async with connect(url) as kiosk, connect(url) as display:
            welcome = await ask(kiosk, _hello(home, "kiosk", "kiosk-1"))
            services = [s["code"] for s in welcome["center"]["services"]]
            assert (await ask(display, _hello(home, "display", "lobby")))["type"] == "welcome"
            n = 0
            while hall.gate.dropped == 0:
                n += 1
                assert n < 20_000, "the frozen desk was never dropped"
                service = services[n % len(services)]
                reply = await ask(kiosk, {"type": "issue", "id": f"k-{n}", "service": service})
                assert reply["type"] == "reply", reply
            print(f"dropped after {n} tickets, {hall.gate.figures()}")
            assert len(hall.clients) == 2
            assert (await ask(display, {"type": "sync", "id": "s"}))["seq"] == hall.seq
