"""Faults injected under a real ``novbe server`` under load: PostgreSQL stopped and started
again, the SQLite disk filling up (a small tmpfs, mounted as root), the SQLite files made
unwritable while the server has them open, the open-file limit of the documented systemd
unit reached. Each: the clients get clear errors (``store_unavailable``,
the supervisor an ``alert`` saying why), the server recovers without a restart, and nothing
acknowledged is lost or issued twice.

Three faults can't end so, and their tests say what the server owes instead: an unwritable
``-shm`` (the kernel ends the process), a disk the kernel turned read-only (writable again
only after a check and a new mount), PostgreSQL hanging (SIGTERM must still stop the server).

The load is two kiosks issuing tickets in threads, each request sent again with the same id
until it gets a reply, as the protocol says.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from server.store import EventStore
from tests import pg
from tests.server.harness import (
    CHECKOUT,
    TIMEOUT,
    ServerProcess,
    WsClient,
    kiosk,
    make_home,
    run_novbe,
    supervisor,
)
from tests.store.faults import ext4_disk, fill, immutable_files, immutable_mapping_faults, small_disk
from wire import events as ev


class Load:
    """Kiosks issuing tickets until stopped; ``acked`` holds every ticket they were given."""

    def __init__(self, url: str, token: Callable[[str], str], kiosks: int = 2) -> None:
        self.url = url
        self.token = token
        self.acked: dict[str, str] = {}
        self.errors: collections.Counter[str] = collections.Counter()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(f"kiosk-{n + 1}",)) for n in range(kiosks)]
        for thread in self.threads:
            thread.start()

    def _connect(self, code: str) -> tuple[WsClient, list[str]]:
        client = WsClient(self.url)
        welcome = client.hello(role="kiosk", device=code, token=self.token(code))
        assert welcome["type"] == "welcome", welcome
        return client, [s["code"] for s in welcome["center"]["services"]]

    def _run(self, code: str) -> None:
        client: WsClient | None = None
        services: list[str] = []
        n = 0
        while not self.stopping.is_set():
            rid = f"{code}-{n}"
            while not self.stopping.is_set():
                try:
                    if client is None:
                        client, services = self._connect(code)
                    answer = client.request("issue", rid=rid, service=services[n % len(services)])
                except Exception:  # noqa: BLE001 - the connection dropped: a new one, the same id
                    client = None
                    self.errors["connection"] += 1
                    time.sleep(0.2)
                    continue
                if answer["type"] == "reply":
                    self.acked[answer["result"]["ticket"]["id"]] = rid
                    break
                self.errors[answer["code"]] += 1
                time.sleep(0.1)
            n += 1
            time.sleep(0.02)
        if client is not None:
            client.close()

    def wait_for(self, what: Callable[[], bool], timeout: float, why: str) -> None:
        deadline = time.monotonic() + timeout
        while not what():
            assert time.monotonic() < deadline, f"{why}: acked {len(self.acked)}, errors {dict(self.errors)}"
            time.sleep(0.1)

    def more(self, count: int = 10, timeout: float = TIMEOUT) -> None:
        """Wait until ``count`` more tickets are acknowledged."""
        start = len(self.acked)
        self.wait_for(lambda: len(self.acked) >= start + count, timeout, "no tickets acknowledged")

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(3 * TIMEOUT)


def health(port: int) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=TIMEOUT) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read())


def nothing_lost(db_url: str, load: Load) -> None:
    store = EventStore(db_url)
    issued = [s.event.ticket for s in store.load() if isinstance(s.event, ev.TicketIssued)]
    store.close()
    assert set(load.acked) <= set(issued), "an acknowledged ticket is not in the log"
    assert len(issued) == len(set(issued)), "a ticket was issued twice"


def alerts(boss: WsClient, device: str) -> list[dict[str, Any]]:
    """The ``alert`` and ``recovered`` notices about ``device`` the supervisor has had."""
    with_pending = list(boss.seen)
    while True:
        try:
            with_pending.append(boss.recv(0.05))
        except TimeoutError:
            break
    return [m for m in with_pending if m["type"] in ("alert", "recovered") and m["device"] == device]


def writes_beside_the_log_are_answered(server: ServerProcess, boss: WsClient) -> None:
    """While the store fails: a device's health report (written beside the log) and the hall
    message (an event) are answered, ``store_unavailable`` or a reply if they were written
    after all; the same id sent again is answered too, and the connection serves the next
    request at once."""
    display = WsClient(server.url)
    welcome = display.hello(role="display", device="lobby", token=server.home.token("display", "lobby"))
    assert welcome["type"] == "welcome", welcome
    text = {"az": "Xoş gəlmisiniz", "ru": "Добро пожаловать", "en": "Welcome"}
    asks: list[tuple[WsClient, str, dict[str, Any]]] = [
        (display, "report_health", {"component": "audio", "status": "error"}),
        (boss, "set_message", {"text": text}),
    ]
    for client, kind, fields in asks:
        for _ in range(2):
            answer = client.request(kind, rid=f"{kind}-1", **fields)
            assert answer["type"] == "reply" or answer["code"] == "store_unavailable", answer
        client.send({"type": "sync", "id": f"{kind}-sync"})
        client.recv_until(lambda m, kind=kind: m["type"] == "welcome" and m.get("id") == f"{kind}-sync")
    display.close()


def _fault_cycle(
    server: ServerProcess, db_url: str, break_it: Callable[[], None], mend: Callable[[], None], state: str
) -> dict[str, Any]:
    """Load, break the store, see it said, mend it, see it recover without a restart, check
    the log. Returns the alert the supervisor got."""
    boss = supervisor(server)
    load = Load(server.url, lambda code: server.home.token("kiosk", code))
    try:
        load.more()
        break_it()
        load.wait_for(lambda: load.errors["store_unavailable"] > 0, 3 * TIMEOUT, "no store_unavailable")
        load.wait_for(lambda: health(server.port)[0] == 503, 3 * TIMEOUT, "/health still says ok")
        _, body = health(server.port)
        assert (body["status"], body["store"]["state"]) == ("degraded", state), body
        load.wait_for(lambda: bool(alerts(boss, "server/store")), 3 * TIMEOUT, "no alert")
        alert = alerts(boss, "server/store")[0]
        writes_beside_the_log_are_answered(server, boss)
        mend()
        load.wait_for(lambda: health(server.port)[0] == 200, 3 * TIMEOUT, "not recovered")
        load.more()
        recovered = lambda: alerts(boss, "server/store")[-1]["type"] == "recovered"  # noqa: E731
        load.wait_for(recovered, 3 * TIMEOUT, "the supervisor was not told it recovered")
    finally:
        load.stop()
        server.stop()
    nothing_lost(db_url, load)
    return alert


@pytest.mark.slow
def test_a_disk_that_fills_up_and_is_freed(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk", 16 * 1024) as disk:
        home = make_home(disk / "center")
        server = ServerProcess(home).start()

        def full() -> None:
            # The kiosks write meanwhile: the disk may fill before the ballast is all written.
            with contextlib.suppress(OSError):
                fill(disk, leave_kib=64)

        alert = _fault_cycle(
            server,
            home.db_url,
            full,
            (disk / "ballast").unlink,
            "read_only",
        )
        assert alert["status"]["status"] == "read_only"
        assert alert["status"]["detail"].startswith("disk full"), alert


@pytest.mark.slow
def test_database_files_made_unwritable_while_open_and_writable_again(tmp_path: Path) -> None:
    """``novbe.db`` and its ``-wal`` made immutable under the running server (the kernel then
    refuses every write through the descriptors it has open, root's too), then writable
    again: store_unavailable meanwhile, /health and the alert name the file, the server goes
    on by itself, and the log is whole (``novbe audit verify``).

    The ``-shm`` is left writable: SQLite maps it into memory, and the kernel ends a process
    that writes to a mapped page of an immutable file (SIGBUS); the next test.
    """
    home = make_home(tmp_path / "center")
    database = home.path / "novbe.db"
    with immutable_files(home.path) as flags:
        server = ServerProcess(home).start()
        alert = _fault_cycle(
            server,
            home.db_url,
            lambda: flags.set([database, database.with_name("novbe.db-wal")]),
            flags.clear,
            "read_only",
        )
    assert alert["status"]["status"] == "read_only"
    assert alert["status"]["detail"] == f"cannot write {database}: Operation not permitted", alert
    audit = run_novbe("audit", "verify", "--dir", str(home.path))
    assert audit.returncode == 0, audit.stdout + audit.stderr
    assert json.loads(audit.stdout)["ok"] is True, audit.stdout


@pytest.mark.slow
def test_an_shm_made_unwritable_while_open_ends_the_server_saying_so_and_loses_nothing(
    tmp_path: Path,
) -> None:
    """SQLite writes the ``-shm`` through a memory map: made immutable under the server, the
    kernel ends the process (SIGBUS), which no program can survive. What the server owes
    then: a line in its log, a start refused in one line naming the file while it stays
    unwritable (exit 2, so systemd waits for the administrator), and after the repair every
    acknowledged ticket in the log, the chain intact."""
    home = make_home(tmp_path / "center")
    shm = home.path / "novbe.db-shm"
    with immutable_files(home.path) as flags:
        if not immutable_mapping_faults(home.path):
            pytest.skip("this filesystem lets a mapped page of an immutable file be written")
        server = ServerProcess(home).start()
        load = Load(server.url, lambda code: server.home.token("kiosk", code))
        try:
            load.more()
            flags.set([shm])
            load.wait_for(lambda: not server.running, 3 * TIMEOUT, "the server wrote on")
        finally:
            load.stop()
            code = server.stop()
        assert code == -signal.SIGBUS, code
        assert "Fatal Python error: Bus error" in server.logs()
        refused = run_novbe("server", "--dir", str(home.path), "--port", "0")
        assert refused.returncode == 2, refused.stderr
        assert refused.stderr.startswith(f"novbe server: cannot write {shm}: Operation not permitted; "), (
            refused.stderr
        )
        flags.clear()
    again = ServerProcess(home).start()
    assert again.stop() == 0
    nothing_lost(home.db_url, load)
    audit = run_novbe("audit", "verify", "--dir", str(home.path))
    assert json.loads(audit.stdout)["ok"] is True, audit.stdout + audit.stderr


@pytest.mark.slow
def test_a_disk_the_kernel_turns_read_only_loses_nothing(tmp_path: Path) -> None:
    """A disk error under load: ext4 turns the filesystem read-only under the open files
    (errors=remount-ro). The server says so (store_unavailable, /health and the alert name
    the file) and stops cleanly when asked; such a filesystem is writable again only after a
    check and a new mount, and then the log has every acknowledged ticket, the chain intact."""
    with ext4_disk(tmp_path / "disk") as disk:
        home = make_home(disk.mountpoint / "center")
        os.sync()  # center.toml and the device files on the disk, as they long are in a center
        server = ServerProcess(home).start()
        boss = supervisor(server)
        load = Load(server.url, lambda code: server.home.token("kiosk", code))
        try:
            load.more()
            disk.fail()
            load.wait_for(lambda: load.errors["store_unavailable"] > 0, 3 * TIMEOUT, "no store_unavailable")
            load.wait_for(lambda: bool(alerts(boss, "server/store")), 3 * TIMEOUT, "no alert")
            alert = alerts(boss, "server/store")[0]
            status, body = health(server.port)
        finally:
            load.stop()
            code = server.stop()
        assert code == 0
        assert (status, body["store"]["state"]) == (503, "read_only"), body
        reason = f"cannot write {home.path / 'novbe.db'}: Read-only file system"
        assert body["store"]["reason"] == reason, body
        assert alert["status"]["detail"] == reason, alert
        disk.check()
        nothing_lost(home.db_url, load)
        audit = run_novbe("audit", "verify", "--dir", str(home.path))
        assert json.loads(audit.stdout)["ok"] is True, audit.stdout + audit.stderr
        again = ServerProcess(home).start()
        try:
            assert kiosk(again).request("issue", service="DIN-ID")["type"] == "reply"
        finally:
            assert again.stop() == 0


@pytest.mark.slow
@pytest.mark.postgres
def test_postgresql_stopped_and_started_again(tmp_path: Path) -> None:
    if not pg.available():
        pytest.skip(f"PostgreSQL server binaries not found in {pg.BINDIR}")
    with pg.running_cluster() as cluster:
        url = pg.create_database(cluster.url())
        home = make_home(tmp_path / "center", db_url=url)
        server = ServerProcess(home).start()
        alert = _fault_cycle(server, url, cluster.halt, cluster.resume, "failing")
        assert alert["status"]["status"] == "failing"
        assert "cannot reach the database" in alert["status"]["detail"], alert


@pytest.mark.slow
@pytest.mark.postgres
def test_sigterm_ends_the_server_while_postgresql_answers_nothing(tmp_path: Path) -> None:
    """PostgreSQL hangs under load (its processes stopped: the connections stay open and
    nothing answers): /health says the store is stalled, and SIGTERM still ends the server,
    exit 0, leaving the stuck call behind and saying so. Started again once the database
    answers, it has every acknowledged ticket."""
    if not pg.available():
        pytest.skip(f"PostgreSQL server binaries not found in {pg.BINDIR}")
    with pg.running_cluster() as cluster:
        url = pg.create_database(cluster.url())
        home = make_home(tmp_path / "center", db_url=url)
        server = ServerProcess(home).start()
        load = Load(server.url, lambda code: server.home.token("kiosk", code))
        try:
            load.more()
            with cluster.frozen():
                stalled = lambda: health(server.port)[1]["alerts"].get("store") == "stalled"  # noqa: E731
                load.wait_for(stalled, 3 * TIMEOUT, "/health does not say the store is stalled")
                code = server.stop()
        finally:
            load.stop()
            if server.running:
                server.kill()
        assert code == 0, server.logs()[-3000:]
        assert "not waiting for a stuck database call" in server.logs()
        again = ServerProcess(home).start()
        assert again.stop() == 0
        nothing_lost(url, load)


@pytest.fixture
def limited_server(tmp_path: Path) -> Iterator[tuple[int, subprocess.Popen[str], Any]]:
    """``novbe server`` under ``LimitNOFILE=300`` (soft and hard), as a unit could set it."""
    home = make_home(tmp_path / "center")
    log = (tmp_path / "server.log").open("w")

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (300, 300))

    proc = subprocess.Popen(
        [sys.executable, "-m", "novbe", "server", "--dir", str(home.path), "--port", "0"],
        cwd=CHECKOUT,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        preexec_fn=limit,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    found = re.search(r"listening on ws://[\d.]+:(\d+)", proc.stdout.readline())
    assert found is not None
    try:
        yield int(found.group(1)), proc, home
    finally:
        proc.terminate()
        proc.wait(TIMEOUT)
        log.close()
        text = (tmp_path / "server.log").read_text()
        assert "Too many open files" not in text


@pytest.mark.slow
def test_the_open_file_limit_reached_by_silent_connections(
    limited_server: tuple[int, subprocess.Popen[str], Any],
) -> None:
    """600 connections that say nothing against a limit of 300 files: the server resets the
    ones it has no room for, keeps its devices, and lets a new kiosk in."""
    port, _, home = limited_server
    url = f"ws://127.0.0.1:{port}"
    display = WsClient(url)
    assert (
        display.hello(role="display", device="lobby", token=home.token("display", "lobby"))["type"]
        == "welcome"
    )
    load = Load(url, lambda code: home.token("kiosk", code), kiosks=1)
    silent = []
    try:
        load.more()
        for _ in range(600):
            try:
                silent.append(socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT))
            except OSError:
                pass
        load.more()
        late = WsClient(url)
        assert (
            late.hello(role="kiosk", device="kiosk-2", token=home.token("kiosk", "kiosk-2"))["type"]
            == "welcome"
        )
        assert late.request("issue", service="DIN-ID")["type"] == "reply"
        display.send({"type": "sync", "id": "s-1"})
        display.recv_until(lambda m: m["type"] == "welcome" and m["id"] == "s-1")  # still connected
        status, body = health(port)
        assert status == 200
        assert body["gate"]["refused"] + body["gate"]["pushed_out"] > 0, body
        assert body["alerts"] == {"connections": "full"}, body
    finally:
        load.stop()
        for sock in silent:
            sock.close()
    assert load.errors["connection"] == 0, load.errors
