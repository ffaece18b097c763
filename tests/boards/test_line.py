"""A board line through a real server: `novbe boards` owns a pty with 20 acknowledging boards
on it (tests/hardware/rs485_bus.py), counters call, the boards follow."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from boards.app import BoardsApp
from novbe.cli import main as novbe
from server.center.provision import init_center
from server.reference import reference_center
from tests.hardware.rs485_bus import Rs485Bus, Seen
from tests.server.harness import TIMEOUT, Home, ServerProcess, WsClient, counter, kiosk, supervisor
from wire.client import ClientOptions
from wire.device import dump_device, load_device

LINE = "floor-1"
ON_LINE = range(1, 21)
"""Counters 1-20 have their boards on the line; board 7 answers to address 70."""
ADDRESS = {n: 70 if n == 7 else n for n in ON_LINE}


def _home(tmp: Path, port_url: str) -> Home:
    """The reference center, with the boards of counters 1-20 on one line at ``port_url``."""
    data = json.loads(reference_center().read_text(encoding="utf-8"))
    data["board_lines"] = [{"code": LINE, "url": port_url}]
    for item in data["counters"]:
        if item["number"] in ON_LINE:
            item["board_line"] = LINE
            if ADDRESS[item["number"]] != item["number"]:
                item["board_address"] = ADDRESS[item["number"]]
    reference = tmp / "reference.json"
    reference.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    init_center(tmp / "center", reference=reference, demo=True, always_open=True)
    return Home(tmp / "center", f"sqlite:///{tmp / 'center' / 'novbe.db'}")


def _device_file(home: Home, server: ServerProcess) -> Path:
    """The line's device file, pointed at the test's server."""
    path = home.path / "devices" / f"boards-{LINE}.toml"
    path.write_text(
        dump_device(load_device(path).model_copy(update={"server_url": server.url})), encoding="utf-8"
    )
    return path


@pytest.fixture
def bus() -> Iterator[Rs485Bus]:
    line = Rs485Bus(ADDRESS.values())
    yield line
    line.close()


@pytest.fixture
def line_server(tmp_path: Path, bus: Rs485Bus) -> Iterator[ServerProcess]:
    home = _home(tmp_path, f"serial://{bus.path}?ack=06&timeout=2")
    server = ServerProcess(home).start()
    yield server
    server.stop()


def test_a_counter_call_shows_on_its_board_on_the_shared_line(
    line_server: ServerProcess, bus: Rs485Bus
) -> None:
    """`novbe boards` drives board 70 of counter 7: blinking when called, steady, then blank."""
    device = _device_file(line_server.home, line_server)
    log = (line_server.home.path / "boards.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "novbe", "boards", "--device", str(device)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        # At start every board of the line is blanked: the line's process owns them all.
        assert bus.wait(lambda: all(bus.seen.get(a) for a in ADDRESS.values()), TIMEOUT)
        assert all(bus.shown(a) == Seen(a, "clear", "") for a in ADDRESS.values())
        kiosk(line_server).request("issue", service="DIN-ID")
        desk = counter(line_server, 7)
        called = desk.request("call_next")
        number = called["result"]["ticket"]["number"]
        assert bus.wait(lambda: bus.shown(70) == Seen(70, "blink", number), TIMEOUT)
        desk.request("start")
        assert bus.wait(lambda: bus.shown(70) == Seen(70, "show", number), TIMEOUT)
        desk.request("finish")
        assert bus.wait(lambda: bus.shown(70) == Seen(70, "clear", ""), TIMEOUT)
        assert bus.rejected == 0
        assert all(len(bus.seen[a]) == 1 for a in ADDRESS.values() if a != 70)  # the others untouched
        boss = supervisor(line_server)
        health = boss.seen[0]["snapshot"]["devices"][f"boards:{LINE}/board"]["status"]
        assert health == {"component": "board", "status": "ok", "detail": None}
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(TIMEOUT)
        log.close()
    assert code == 0, (line_server.home.path / "boards.log").read_text()


def test_a_dead_board_on_the_line_alerts_the_supervisor_and_recovers(
    line_server: ServerProcess, bus: Rs485Bus
) -> None:
    """Board 3 stops answering: one alert naming counter 3; when it answers again, recovered."""
    bus.dead = frozenset({3})
    boss = supervisor(line_server)
    config = load_device(_device_file(line_server.home, line_server))
    app = BoardsApp(config, options=ClientOptions(backoff_min=0.05, backoff_max=0.3), retry=0.3)
    app.start()
    try:
        alert = boss.recv_until(lambda m: m.get("type") == "alert")
        assert alert["device"] == f"boards:{LINE}/board"
        assert alert["status"]["status"] == "offline"
        assert alert["status"]["detail"].startswith("boards of counters 3: board 3 didn't acknowledge")
        others = [a for a in ADDRESS.values() if a != 3]
        assert bus.wait(lambda: all(bus.shown(a) == Seen(a, "clear", "") for a in others), TIMEOUT)
        bus.dead = frozenset()
        recovered = boss.recv_until(lambda m: m.get("type") == "recovered")
        assert (recovered["was"], recovered["status"]["status"]) == ("offline", "ok")
        assert bus.shown(3) == Seen(3, "clear", "")
    finally:
        app.stop()


def test_a_board_line_sees_the_counters_of_its_boards_and_may_only_report(line_server: ServerProcess) -> None:
    """The protocol as docs/protocol.md gives it: role "boards", a display-like snapshot."""
    client = WsClient(line_server.url)
    token = load_device(line_server.home.path / "devices" / f"boards-{LINE}.toml").token
    welcome = client.hello(role="boards", device=LINE, token=token)
    assert welcome["type"] == "welcome", welcome
    assert welcome["device"] == LINE
    assert sorted(int(n) for n in welcome["snapshot"]["counters"]) == list(ON_LINE)
    assert welcome["snapshot"]["tickets"] == []
    refused = client.request("call_next")
    assert (refused["type"], refused["code"]) == ("error", "forbidden")
    assert client.request("report_health", component="board", status="ok")["type"] == "reply"
    kiosk(line_server).request("issue", service="DIN-ID")
    counter(line_server, 7).request("call_next")
    event = client.recv_until(lambda m: m.get("type") == "event" and m["event"]["type"] == "TicketCalled")
    assert event["event"]["counter"] == 7
    client.close()


def test_boards_refuses_a_counters_device_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "counter-3.toml"
    path.write_text(
        'role = "counter"\ncode = "3"\nserver_url = "ws://127.0.0.1:1"\n'
        'token = "0123456789abcdef0123"\ncounter = 3\n',
        encoding="utf-8",
    )
    assert novbe(["boards", "--device", str(path)]) == 2
    assert "not of a board line" in capsys.readouterr().err
    assert novbe(["boards", "--device", str(tmp_path / "nothing.toml")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_a_board_line_file_needs_its_boards(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "boards-x.toml"
    path.write_text(
        'role = "boards"\ncode = "x"\nserver_url = "ws://127.0.0.1:1"\ntoken = "0123456789abcdef0123"\n',
        encoding="utf-8",
    )
    assert novbe(["boards", "--device", str(path)]) == 2
    assert 'a board line needs "board"' in capsys.readouterr().err
