"""Real halls for the central record's tests: a center's folder, its ``novbe server``, its
``novbe ship`` process, and citizens and operators going through it meanwhile."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from server.center import dump_center, load_center
from server.store import EventStore
from tests.server.harness import Home, ServerProcess, WsClient, counter, kiosk, make_home, supervisor


def make_center(tmp: Path, code: str) -> Home:
    """A copy of the reference center (open around the clock) whose code is ``code``."""
    home = make_home(tmp / code)
    path = home.path / "center.toml"
    path.write_text(dump_center(load_center(path).model_copy(update={"code": code})), encoding="utf-8")
    return home


class Hall:
    """One center: its server, its shipper, and a loop of citizens and two operators."""

    def __init__(self, home: Home, central: str) -> None:
        self.home = home
        self.code = load_center(home.path / "center.toml").code
        self.central = central
        self.server: ServerProcess | None = None
        self.shipper: subprocess.Popen[str] | None = None
        self.shipper_log = home.path / "ship.log"
        self._stop = threading.Event()
        self._driver: threading.Thread | None = None
        self._desks = itertools.count(1)
        self.issued = 0
        self.errors: list[str] = []

    def start_server(self) -> None:
        self.server = ServerProcess(self.home).start()

    def start_shipper(self, *more: str) -> None:
        command = [sys.executable, "-m", "novbe", "ship", "--dir", str(self.home.path), "--central",
                   self.central, "--poll", "0.2", *more]  # fmt: skip
        log = self.shipper_log.open("a")
        self.shipper = subprocess.Popen(command, stdout=log, stderr=log, text=True)
        log.close()

    def kill_shipper(self) -> None:
        assert self.shipper is not None
        os.kill(self.shipper.pid, signal.SIGKILL)
        self.shipper.wait()

    def stop_shipper(self) -> None:
        if self.shipper is not None and self.shipper.poll() is None:
            self.shipper.terminate()
            self.shipper.wait(30)

    def kill_server(self) -> None:
        self.stop_driving()
        assert self.server is not None
        self.server.kill()

    def drive(self, services: list[str]) -> None:
        """Citizens take tickets and two operators serve them, a few a second, until stopped."""
        self._stop.clear()
        desks = [next(self._desks), next(self._desks)]
        self._driver = threading.Thread(target=self._drive, args=(services, desks), daemon=True)
        self._driver.start()

    def _drive(self, services: list[str], desks: list[int]) -> None:
        assert self.server is not None
        booth = kiosk(self.server)
        operators = [counter(self.server, n) for n in desks]
        for n in itertools.count():
            if self._stop.is_set():
                break
            reply = booth.request("issue", service=services[n % len(services)])
            if reply["type"] == "reply":
                self.issued += 1
            else:
                self.errors.append(str(reply))
            desk = operators[n % 2]
            if desk.request("call_next")["type"] == "reply":
                desk.request("start")
                desk.request("finish")
            time.sleep(0.15)
        for client in (booth, *operators):
            client.close()

    def stop_driving(self) -> None:
        self._stop.set()
        if self._driver is not None:
            self._driver.join(30)
            self._driver = None

    def snapshot(self) -> dict[str, object]:
        """What the hall's supervisor sees now."""
        assert self.server is not None
        boss: WsClient = supervisor(self.server)
        snap: dict[str, object] = boss.seen[0]["snapshot"]
        boss.close()
        return snap

    def close_day(self) -> None:
        assert self.server is not None
        boss = supervisor(self.server)
        assert boss.request("close_day")["type"] == "reply"
        boss.close()

    def log(self) -> EventStore:
        return EventStore(self.home.db_url)

    def last_seq(self) -> int:
        """The hall's head now (a store remembers the head it read: a new one each time)."""
        with self.log() as log:
            return log.last_seq()

    def stop(self) -> None:
        self.stop_driving()
        self.stop_shipper()
        if self.server is not None and self.server.running:
            self.server.stop()
