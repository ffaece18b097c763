"""A throwaway PostgreSQL cluster for tests and benchmarks.

``initdb`` + ``pg_ctl start`` on a temporary directory, listening on 127.0.0.1 on a
free port, trust authentication. PostgreSQL refuses to run as root: as root we
run the binaries as the ``postgres`` user.

:meth:`Cluster.start_standby` makes a streaming-replication standby of a running cluster
(``pg_basebackup``), which :meth:`Cluster.promote` turns into a primary.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

BINDIR = Path(os.environ.get("NOVBE_PG_BINDIR", "/usr/lib/postgresql/15/bin"))


def available() -> bool:
    """Whether the PostgreSQL server binaries are installed."""
    return all((BINDIR / name).is_file() for name in ("initdb", "pg_ctl", "postgres"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Cluster:
    """A PostgreSQL cluster in a temporary directory; ``start()`` then ``stop()``."""

    def __init__(self, *, durable: bool = False) -> None:
        self.primary: Cluster | None = None
        """The cluster this one is a standby of (:meth:`start_standby`)."""
        self.durable = durable
        """False turns fsync off: fine for tests, wrong for benchmarks."""
        self.as_postgres = os.geteuid() == 0
        self.root = Path(tempfile.mkdtemp(prefix="novbe-pg-"))
        self.data = self.root / "data"
        self.port = 0
        self.user = "postgres" if self.as_postgres else os.environ.get("USER", "postgres")

    def _run(self, *args: str) -> None:
        cmd = [str(BINDIR / args[0]), *args[1:]]
        if self.as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        result = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            output = result.stdout + result.stderr
            raise RuntimeError(f"{' '.join(cmd)} failed ({result.returncode}):\n{output}")

    def _own_root(self) -> None:
        if self.as_postgres:
            # mkdtemp makes a 0700 directory owned by root: postgres must own it.
            self.root.chmod(0o755)
            shutil.chown(self.root, "postgres", "postgres")

    def start(self) -> None:
        self._own_root()
        self._run("initdb", "-D", str(self.data), "-U", self.user, "-A", "trust", "-E", "UTF8", "--no-sync")
        settings = [
            "listen_addresses = '127.0.0.1'",
            f"unix_socket_directories = '{self.root}'",
            "max_connections = 50",
            "shared_buffers = 32MB",
        ]
        if not self.durable:
            settings += ["fsync = off", "full_page_writes = off", "synchronous_commit = off"]
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write("\n".join(settings) + "\n")
        self._listen()

    def start_standby(self, primary: Cluster) -> None:
        """Start as a streaming-replication standby of ``primary`` (read-only until promoted).

        ``pg_basebackup -R`` copies the primary's data and writes the connection to it into
        the copy; the standby then follows the primary's WAL as it is written.
        """
        self.primary = primary
        self.user = primary.user
        self._own_root()
        self._run(
            "pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port), "-U", primary.user,
            "-D", str(self.data), "-R", "-X", "stream", "--no-sync",
        )  # fmt: skip
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(f"unix_socket_directories = '{self.root}'\n")
        self._listen()

    def promote(self) -> None:
        """Make this standby a primary (``pg_ctl promote``), waiting until it takes writes."""
        self._run("pg_ctl", "-D", str(self.data), "-w", "-t", "30", "promote")

    def kill(self) -> None:
        """Stop at once, as a crash would (``pg_ctl stop -m immediate``): no checkpoint."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def _listen(self) -> None:
        # Another process may take the port between our probe and the bind: retry.
        for attempt in range(5):
            self.port = _free_port()
            try:
                self._run(
                    "pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-w", "-t", "30",
                    "-o", f"-p {self.port}", "start",
                )  # fmt: skip
                return
            except RuntimeError:
                if attempt == 4:
                    raise

    def halt(self) -> None:
        """Stop the server, keeping its data (``resume()`` starts it again on the same port).

        ``immediate`` is how a crash or a power cut looks to the clients: connections drop
        with no goodbye."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def resume(self) -> None:
        """Start the server halted by ``halt()`` again, on the same port."""
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-w", "-t", "30",
            "-o", f"-p {self.port}", "start",
        )  # fmt: skip

    @contextmanager
    def frozen(self) -> Iterator[None]:
        """The server and its backends stopped (SIGSTOP) for the block, then continued: the
        connections stay open and nothing answers on them, as on a database host that hangs
        (not one that crashed). No backend is started meanwhile: the postmaster is stopped too."""
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        children = Path(f"/proc/{postmaster}/task/{postmaster}/children").read_text().split()
        pids = [postmaster, *map(int, children)]
        stopped: list[int] = []
        try:
            for pid in pids:
                os.kill(pid, signal.SIGSTOP)
                stopped.append(pid)
            yield
        finally:
            for pid in stopped:
                os.kill(pid, signal.SIGCONT)

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL of ``database`` in this cluster."""
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"


@contextmanager
def running_cluster(*, durable: bool = False) -> Iterator[Cluster]:
    """Start a throwaway cluster; stop it and delete its files afterwards."""
    cluster = Cluster(durable=durable)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


def _conninfo(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def create_database(admin_url: str, prefix: str = "t") -> str:
    """Create a fresh, uniquely named database next to ``admin_url``'s; return its URL."""
    from sqlalchemy.engine import make_url

    name = f"{prefix}_{uuid.uuid4().hex}"
    with psycopg.connect(_conninfo(admin_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, url: str) -> None:
    """Drop the database of ``url``, even if connections are left open."""
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    with psycopg.connect(_conninfo(admin_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
