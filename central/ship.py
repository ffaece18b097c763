"""``novbe ship``: copy a center's event log to the central record as it is written.

A shipper runs beside each hall server (or on the mobile unit's laptop) and only reads the
hall's log, a page at a time, each read its own short query: the hall server never waits on
it, and a shipper that is stopped, killed or cut off costs the hall nothing. It asks the
central side where the center's chain ends there (the head), sends the events after it in
batches, one transaction each, and takes the head the central side answers as its next
starting point. So it keeps no state of its own: after any outage, crash or failover it
starts again from what the central side has, and sending an event twice changes nothing.

Back-pressure is the log itself: the shipper reads the next batch only once the central
side has committed the last one, so a slow or absent central database leaves the backlog in
the hall's log (durable, where it was anyway), never in memory.

What the central side refuses (a broken or forked chain) is logged here as an error and
recorded there as an alert; the shipper tries again now and then, and ships nothing past
the refusal.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any, Protocol

from server.center import ConfigError, load_center
from server.store import EventStore, StoreError
from wire import cli
from wire.cli import UsageError

from .exceptions import CentralError, CentralUnavailable, ChainRefused, NotRegistered
from .record import CentralRecord, public_config

log = logging.getLogger("novbe.ship")

BATCH = 2000
"""Events per batch (about 400 KB): a day of a busy center in eight round trips."""
POLL_S = 0.5
"""How often an idle shipper looks for new events in the hall's log."""
RETRY_S = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0)
"""Waits between attempts while the central database is unreachable."""
REFUSED_RETRY_S = 60.0
"""Wait before trying again after a refusal (it holds until someone repairs the cause)."""


class Shipper:
    """Ships one center's log (``store``) to the central record, as center ``code``.

    Call :meth:`ship_pending` to send everything there is now, or :meth:`run` to keep
    shipping until told to stop.
    """

    def __init__(
        self,
        store: EventStore,
        record: CentralRecord,
        code: str,
        *,
        batch: int = BATCH,
        poll: float = POLL_S,
        config: ConfigSource | None = None,
    ) -> None:
        self.store = store
        self.record = record
        self.code = code
        self.batch = batch
        self.poll = poll
        self.config = config
        """The center's configuration to publish, when it changes and at every resume (the
        central side may have lost it with the last commits of a primary that failed)."""
        self.shipped = 0
        """Events the central side accepted from this shipper."""
        self._head: int | None = None
        """The head of the chain centrally, as last answered; None: ask first."""
        self._compared = 0
        """How far a log shorter than the central copy has been compared with it."""

    def _resume(self) -> int:
        """Ask the central side for the head, and publish the configuration; return the head."""
        head = self.record.head(self.code).seq
        if self.config is not None:
            document = self.config(again=True)
            if document is not None:
                self.record.publish_config(self.code, document)
        self._compared = 0
        return head

    def _compare_short_log(self, head: int) -> None:
        """The hall's log does not reach the central head: it was restored from an older copy,
        or replaced. Send what it has to be compared (a batch at a time), so that a log that
        is no longer the one shipped is refused and alerted on at once."""
        rows = self.store.rows(self._compared, self.batch)
        if not rows:
            return
        if not self._compared:
            log.warning(
                json.dumps(
                    {
                        "msg": "the central record holds more of this center's log than the log itself:"
                        " was it restored from an older copy?",
                        "center": self.code,
                        "central_head": head,
                    }
                )
            )
        self.record.ship(self.code, rows)
        self._compared = rows[-1].seq

    def step(self) -> int:
        """Send one batch, if the log has new events; return how many (0: none).

        Every batch starts with the event at the central head, which the central side
        already has: it is compared, and the next one must link to it, so that an event
        missing from the hall's log right after the head is seen as the gap it is.

        Raises:
            CentralError: As :meth:`CentralRecord.ship`; the next step asks for the head again.
            StoreError: The hall's log could not be read.
        """
        try:
            if self._head is None:
                self._head = self._resume()
            elif self.config is not None:
                document = self.config()
                if document is not None:
                    self.record.publish_config(self.code, document)
            head = self._head
            rows = self.store.rows(max(0, head - 1), self.batch + 1)
            new = sum(1 for r in rows if r.seq > head)
            if not new:
                if head and not rows:
                    self._compare_short_log(head)
                return 0
            shipped = self.record.ship(self.code, rows)
        except CentralError:
            self._head = None
            raise
        self.shipped += shipped.accepted
        self._head = shipped.head.seq
        # The central side answers a lower head when it lost commits (a failover): reading
        # resumes from there. It never leaves the head where it was after new events.
        return new if shipped.head.seq != head else 0

    def ship_pending(self) -> int:
        """Ship every event the log holds now; return how many the central side accepted."""
        before = self.shipped
        while self.step():
            pass
        return self.shipped - before

    def run(self, stop: threading.Event) -> None:
        """Ship until ``stop`` is set, waiting out outages; a batch in flight is finished."""
        failures = 0
        while not stop.is_set():
            try:
                sent = self.step()
            except CentralUnavailable as exc:
                wait = RETRY_S[min(failures, len(RETRY_S) - 1)]
                failures += 1
                log.warning(json.dumps({"msg": str(exc), "center": self.code, "retry_in_s": wait}))
                self.record.reconnect()
                stop.wait(wait)
                continue
            except (ChainRefused, NotRegistered) as exc:
                log.error(
                    json.dumps(
                        {
                            "msg": f"refused by the central record: {exc}",
                            "center": self.code,
                            "retry_in_s": REFUSED_RETRY_S,
                        },
                        ensure_ascii=False,
                    )
                )
                stop.wait(REFUSED_RETRY_S)
                continue
            except (CentralError, StoreError) as exc:
                log.error(json.dumps({"msg": str(exc), "center": self.code}, ensure_ascii=False))
                stop.wait(RETRY_S[-1])
                continue
            if failures:
                log.info(json.dumps({"msg": "the central record is reachable again", "center": self.code}))
                failures = 0
            if sent:
                log.debug(json.dumps({"msg": "shipped", "center": self.code, "head": self._head}))
            else:
                stop.wait(self.poll)


class ConfigSource(Protocol):
    """Gives the center's configuration to publish, or None when it has not changed since
    the last time (``again``: whether or not it has)."""

    def __call__(self, *, again: bool = False) -> dict[str, Any] | None: ...


class ConfigWatch:
    """The center's configuration, secrets withheld, each time center.toml changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen: float | None = None

    def __call__(self, *, again: bool = False) -> dict[str, Any] | None:
        try:
            mtime = self.path.stat().st_mtime
        except OSError:
            return None
        if mtime == self._seen and not again:
            return None
        self._seen = mtime
        try:
            return public_config(load_center(self.path))
        except ConfigError as exc:
            log.warning(json.dumps({"msg": f"center configuration not sent: {exc}"}, ensure_ascii=False))
            return None


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="novbe ship",
        description="Copy this center's event log to the central record as it is written"
        " (docs/deployment.md).",
    )
    p.add_argument("--dir", type=Path, default=None, help="the center's folder (center.toml, novbe.db)")
    p.add_argument("--db", help="the hall's database URL (default: SQLite file DIR/novbe.db, or $NOVBE_DB)")
    p.add_argument("--center", type=Path, help="center file (default: DIR/center.toml)")
    p.add_argument(
        "--central",
        default=os.environ.get("NOVBE_CENTRAL"),
        help="the central PostgreSQL URL, hosts in failover order (default: $NOVBE_CENTRAL)",
    )
    p.add_argument("--batch", type=int, default=BATCH, help=f"events per transaction (default {BATCH})")
    p.add_argument(
        "--poll", type=float, default=POLL_S, help=f"seconds between looks at an idle log (default {POLL_S})"
    )
    p.add_argument("--once", action="store_true", help="ship what the log holds now, then stop")
    p.add_argument(
        "--log-level", default="INFO", type=str.upper, choices=("DEBUG", "INFO", "WARNING", "ERROR")
    )
    return p


CENTRAL_FIX = "give --central postgresql://USER@HOST/DBNAME (or set NOVBE_CENTRAL)"


def open_record(url: str | None, *, application: str) -> CentralRecord:
    """The central record at ``url``, or the one line that says why not."""
    if not url:
        raise UsageError("no central database given", CENTRAL_FIX)
    try:
        return CentralRecord(url, application=application)
    except ValueError as exc:
        raise UsageError(str(exc), CENTRAL_FIX) from None


@cli.command("novbe ship")
def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    from server.center.provision import database_url, default_home

    home: Path = args.dir or default_home()
    if args.batch < 1 or args.poll <= 0:
        raise UsageError("--batch and --poll must be positive", "give e.g. --batch 2000 --poll 0.5")
    center_path: Path = args.center or home / "center.toml"
    try:
        center = load_center(center_path)
    except ConfigError as exc:
        raise UsageError(
            f"{exc.source}: {exc.problems[0]}", "give --dir the center's folder, or --center"
        ) from None
    url = database_url(home, args.db)
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
        raise UsageError(
            f"no event log at {url.removeprefix('sqlite:///')}",
            "give --dir the center's folder (novbe server creates the log), or --db",
        )
    record = open_record(args.central, application=f"novbe-ship-{center.code}")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(cli.JsonLines())
    root = logging.getLogger("novbe")
    root.handlers[:] = [handler]
    root.setLevel(args.log_level)
    root.propagate = False
    store = EventStore(url)
    shipper = Shipper(
        store, record, center.code, batch=args.batch, poll=args.poll, config=ConfigWatch(center_path)
    )
    try:
        if args.once:
            return _once(shipper)
        stop = threading.Event()

        def _stop(signum: int, frame: FrameType | None) -> None:
            stop.set()

        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, _stop)
        log.info(json.dumps({"msg": "shipping", "center": center.code, "to": repr(record)}))
        shipper.run(stop)
        log.info(json.dumps({"msg": "stopped", "center": center.code, "shipped": shipper.shipped}))
        return 0
    finally:
        store.close()
        record.close()


def _once(shipper: Shipper) -> int:
    began = time.perf_counter()
    try:
        accepted = shipper.ship_pending()
    except CentralUnavailable as exc:
        sys.stderr.write(f"novbe ship: {exc}\n")
        return 3
    except (ChainRefused, NotRegistered) as exc:
        sys.stderr.write(f"novbe ship: refused by the central record: {exc}\n")
        return 1
    except (CentralError, StoreError) as exc:
        sys.stderr.write(f"novbe ship: {exc}\n")
        return 3
    sys.stdout.write(
        f"novbe ship: {shipper.code}: {accepted} events shipped in {time.perf_counter() - began:.1f} s\n"
    )
    return 0
