"""The one writer of the event log: group commits, the writes beside the log, and recovery
after a failed commit.

Requests hand their events (and the reply they produced) to :meth:`Writer.commit` and wait;
the writer appends everything that arrived while the previous transaction was being written
in one transaction, then hands the events to ``publish`` in log order and wakes the requests.
A failed write throws away every decision not yet in the log: ``rollback`` brings the state
back to what the log holds (docs/store.md, "After a failed commit": milliseconds, however long
the day), and until it has, the writer is ``broken`` and the hub refuses requests. After a bug
``reload`` rebuilds the state from the log instead.

Every call into the store runs on the writer's own thread (:meth:`Writer.call`), never in a
pool shared with other work: a burst of password checks can't delay a commit, and writes to
the database happen one at a time, in the order they were asked for.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from wire.events import Event

from ..store import Commit, EventStore, StoreError

log = logging.getLogger("novbe.server")

T = TypeVar("T")

RETRY_EVERY_S = 1.0
"""How often a broken writer tries the store again."""

FAILED_COMMITS_EVERY_S = 30.0
"""While commits keep failing, how often the log says so again (the first failure is
logged whole, with the database error's traceback; a database unwritable for an hour, with
every device retrying, is not thousands of tracebacks in a journal that may share its disk)."""


class StoreUnavailable(Exception):
    """A write failed; nothing of the request was kept."""


class WriterStopped(StoreUnavailable):
    """The server stopped while the write waited or ran: it may or may not have landed
    (a retry with the same request id after the restart gets the stored answer if it did)."""


@dataclass
class _Pending:
    commit: Commit
    future: asyncio.Future[list[int]]
    generation: int


class Writer:
    """Group commits to ``store``.

    Args:
        store: The event log.
        publish: Called with each committed request's events and their seqs, in log order,
            before the request is woken.
        reload: Rebuilds the hub's state from the log (runs on the writer's thread); raises
            ``StoreError`` while the store is still unavailable.
        rollback: Brings the hub's state back to what the log holds after a failed append
            (a coroutine; raises :class:`StoreUnavailable` while the store can't say).
    """

    def __init__(
        self,
        store: EventStore,
        *,
        publish: Callable[[Sequence[Event], list[int]], None],
        reload: Callable[[], object],
        rollback: Callable[[], Awaitable[None]],
    ) -> None:
        self.store = store
        self._publish = publish
        self._reload = reload
        self._rollback = rollback
        self._pending: list[_Pending] = []
        self._writing: list[_Pending] = []
        """The batch now being appended."""
        self._wake = asyncio.Event()
        self._generation = 0
        self._reload_requested = False
        self._thread = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="novbe-writer")
        self._busy_since: float | None = None
        """When the store call now running started (None: the writer's thread is idle)."""
        self.broken = False
        """A write failed and the state is being rebuilt from the log."""
        self.stopped = False
        self._failed_commits = 0
        """Commits failed since the last one that went through."""
        self._failures_logged = 0.0
        """When the log last said that commits fail (monotonic)."""

    async def call(self, function: Callable[..., T], *args: Any) -> T:
        """Run ``function(*args)`` (a store call) on the writer's thread.

        Raises:
            StoreUnavailable: It raised ``StoreError``, or the writer was stopped.
        """
        if self.stopped:
            raise WriterStopped()
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._thread, functools.partial(self._timed, function, *args))
        except StoreError as exc:
            raise StoreUnavailable(str(exc)) from exc
        except RuntimeError as exc:  # the executor was shut down under us
            raise WriterStopped() from exc

    def _timed(self, function: Callable[..., T], *args: Any) -> T:
        self._busy_since = time.monotonic()
        try:
            return function(*args)
        finally:
            self._busy_since = None

    def stalled_s(self) -> float:
        """How long the store call now running has been running (0 when idle)."""
        since = self._busy_since
        return 0.0 if since is None else time.monotonic() - since

    async def commit(
        self, events: Sequence[Event], request: tuple[str, str] | None, reply: dict[str, Any] | None
    ) -> None:
        """Write ``events`` (and ``reply``, remembered for ``request``) in the next group
        commit; return once they are durable and published.

        Raises:
            StoreUnavailable: The commit failed, or the state was rebuilt before it ran.
            WriterStopped: The server stopped before the commit was known to be durable.
        """
        if self.stopped:
            raise WriterStopped()
        future: asyncio.Future[list[int]] = asyncio.get_running_loop().create_future()
        self._pending.append(
            _Pending(Commit(events=events, request=request, reply=reply), future, self._generation)
        )
        self._wake.set()
        await future

    def reload_soon(self) -> None:
        """Throw away every uncommitted decision and rebuild from the log (after a bug)."""
        self._reload_requested = True
        self._wake.set()

    def stop(self) -> None:
        """Fail every commit that waits or runs with :class:`WriterStopped` and let go of the
        writer's thread without waiting for it (a call stuck in the database stays stuck,
        but nobody waits for it any more)."""
        self.stopped = True
        for item in [*self._writing, *self._pending]:
            if not item.future.done():
                item.future.set_exception(WriterStopped())
        self._writing, self._pending = [], []
        self._thread.shutdown(wait=False, cancel_futures=True)

    async def run(self) -> None:
        """Write until cancelled."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            if self._reload_requested:
                self._reload_requested = False
                await self._recover(self._reload_state)
                continue
            batch, self._pending = self._pending, []
            stale = [item for item in batch if item.generation != self._generation]
            batch = [item for item in batch if item.generation == self._generation]
            for item in stale:
                item.future.set_exception(StoreUnavailable())
            if not batch:
                continue
            self._writing = batch
            try:
                seqs = await self.call(self.store.append, [item.commit for item in batch])
            except StoreUnavailable as exc:
                self._commit_failed(exc)
                for item in batch:
                    if not item.future.done():
                        item.future.set_exception(StoreUnavailable())
                self._writing = []
                await self._recover(self._rollback)
                continue
            self._writing = []
            if self._failed_commits:
                log.info(json.dumps({"msg": "commits go through again", "failed": self._failed_commits}))
                self._failed_commits = 0
            for item, item_seqs in zip(batch, seqs, strict=True):
                self._publish(item.commit.events, item_seqs)
                if not item.future.done():
                    item.future.set_result(item_seqs)

    def _commit_failed(self, exc: StoreUnavailable) -> None:
        """Log a failed commit: the first of a run whole (the database error's traceback),
        then a line every :data:`FAILED_COMMITS_EVERY_S` with how many failed meanwhile."""
        self._failed_commits += 1
        now = time.monotonic()
        if self._failed_commits == 1:
            log.error("commit failed; throwing away the decisions not in the log", exc_info=exc)
        elif now - self._failures_logged >= FAILED_COMMITS_EVERY_S:
            line = {"msg": "commits still failing", "failed": self._failed_commits, "error": str(exc)}
            log.warning(json.dumps(line))
        else:
            return
        self._failures_logged = now

    async def _reload_state(self) -> None:
        await self.call(self._reload)

    async def _recover(self, step: Callable[[], Awaitable[None]]) -> None:
        """Fail what waits, and run ``step`` until the store answers."""
        self.broken = True
        self._generation += 1
        for item in self._pending:
            item.future.set_exception(StoreUnavailable())
        self._pending = []
        attempts = 0
        while True:
            try:
                await step()
                break
            except StoreUnavailable as exc:
                # Once, then every half minute: a database down for an hour is not 3,600 lines.
                if attempts % 30 == 0:
                    log.warning(
                        json.dumps(
                            {"msg": "store still unavailable", "tries": attempts + 1, "error": str(exc)}
                        )
                    )
                attempts += 1
                await asyncio.sleep(RETRY_EVERY_S)
        self.broken = False
