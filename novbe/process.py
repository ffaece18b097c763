"""``novbe server`` as a child process: start it on a free port, read where it listens,
stop it. The demo, the apps' screenshot scripts, the benchmarks and the tests use it."""

from __future__ import annotations

import atexit
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Self

_RUNNING: list[subprocess.Popen[str]] = []


@atexit.register
def _stop_leftovers() -> None:
    """A caller that failed half-way must not leave a server running."""
    for proc in _RUNNING:
        if proc.poll() is None:
            proc.kill()


@dataclass
class ServerProcess:
    directory: Path
    """The center's folder (center.toml, devices/); its log is written there too."""
    db_url: str | None = None
    """The database (default: the server's, a SQLite file in ``directory``)."""
    port: int = 0
    """0: a free port, read back from the server's first line."""
    extra_args: list[str] = field(default_factory=list)
    timeout: float = 30.0
    proc: subprocess.Popen[str] | None = None
    url: str = ""
    banner: str = ""
    """The server's "listening on ..." line."""
    log_path: Path = field(init=False)

    BANNER: ClassVar[str] = r"listening on (wss?://[\d.]+:(\d+))"
    """The line that says where it listens: the URL, then the port."""

    def __post_init__(self) -> None:
        self.log_path = self.directory / f"{self.NAME}-{uuid.uuid4().hex[:6]}.log"

    NAME: ClassVar[str] = "server"

    def _args(self) -> list[str]:
        args = [sys.executable, "-m", "novbe", "server", "--dir", str(self.directory)]
        if self.db_url:
            args += ["--db", self.db_url]
        return [*args, "--port", str(self.port), *self.extra_args]

    def start(self) -> Self:
        """Start the server and return once it listens. Raises RuntimeError with the end of
        its log if it exits or doesn't listen within ``timeout``."""
        args = self._args()
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self._log = self.log_path.open("a")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self._log, text=True, env=env)
        _RUNNING.append(self.proc)
        assert self.proc.stdout is not None
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                self.proc.wait()  # reaped: no zombie left behind for whoever started us
                raise RuntimeError(f"the {self.NAME} exited: {self.logs()[-3000:]}")
            found = re.search(self.BANNER, line)
            if found:
                self.banner = line.strip()
                self.url = found.group(1)
                self.port = int(found.group(2))
                return self
        self.proc.kill()
        self.proc.wait()
        raise RuntimeError(
            f"the {self.NAME} did not listen within {self.timeout:.0f} s: {self.logs()[-3000:]}"
        )

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Signal the server (SIGTERM: a clean stop) and wait for it; returns its exit code."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        code = self.proc.wait(self.timeout)
        self._log.close()
        return code

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def logs(self) -> str:
        return self.log_path.read_text()


@dataclass
class WebProcess(ServerProcess):
    """``novbe web`` (the citizens' pages) on a free port, following the hall server at
    ``server_url``. ``url`` is its ``http://`` address."""

    server_url: str = ""

    BANNER: ClassVar[str] = r"serving (https?://[\d.]+:(\d+))"
    NAME: ClassVar[str] = "web"

    def wait_ready(self) -> Self:
        """Return once its ``/health`` says it has the day's events from the hall server.
        Raises RuntimeError with the end of its log otherwise, the process stopped (as
        :meth:`start`: whoever gets the error has nothing left to stop)."""
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=5) as answer:
                    if answer.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.05)
        logs = self.logs()[-3000:]
        self.kill()
        raise RuntimeError(f"the web process did not get the hall's events in time: {logs}")

    def _args(self) -> list[str]:
        args = [sys.executable, "-m", "novbe", "web", "--dir", str(self.directory), "--port", str(self.port)]
        if self.server_url:
            args += ["--server-url", self.server_url]
        return [*args, *self.extra_args]
