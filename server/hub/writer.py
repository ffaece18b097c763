"""The one writer of the event log: group commits, and recovery after a failed one.

Requests hand their events (and the reply they produced) to :meth:`Writer.commit` and wait;
the writer appends everything that arrived while the previous transaction was being written
in one transaction, then hands the events to ``publish`` in log order and wakes the requests.
A failed write throws away every decision not yet in the log: ``reload`` rebuilds the state
from the log, and until it has, the writer is ``broken`` and the hub refuses requests.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from wire.events import Event

from ..store import Commit, EventStore, StoreError

log = logging.getLogger("novbe.server")


class StoreUnavailable(Exception):
    """A commit failed; nothing of the request was kept."""


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
        reload: Rebuilds the hub's state from the log (runs in a worker thread); raises
            ``StoreError`` while the store is still unavailable.
    """

    def __init__(
        self,
        store: EventStore,
        *,
        publish: Callable[[Sequence[Event], list[int]], None],
        reload: Callable[[], object],
    ) -> None:
        self.store = store
        self._publish = publish
        self._reload = reload
        self._pending: list[_Pending] = []
        self._wake = asyncio.Event()
        self._generation = 0
        self._reload_requested = False
        self.broken = False
        """A write failed and the state is being rebuilt from the log."""

    async def commit(
        self, events: Sequence[Event], request: tuple[str, str] | None, reply: dict[str, Any] | None
    ) -> None:
        """Write ``events`` (and ``reply``, remembered for ``request``) in the next group
        commit; return once they are durable and published.

        Raises:
            StoreUnavailable: The commit failed, or the state was rebuilt before it ran.
        """
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

    async def run(self) -> None:
        """Write until cancelled."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            if self._reload_requested:
                self._reload_requested = False
                await self._recover()
                continue
            batch, self._pending = self._pending, []
            stale = [item for item in batch if item.generation != self._generation]
            batch = [item for item in batch if item.generation == self._generation]
            for item in stale:
                item.future.set_exception(StoreUnavailable())
            if not batch:
                continue
            try:
                seqs = await asyncio.to_thread(self.store.append, [item.commit for item in batch])
            except StoreError:
                log.exception("commit failed; rebuilding state from the log")
                for item in batch:
                    item.future.set_exception(StoreUnavailable())
                await self._recover()
                continue
            for item, item_seqs in zip(batch, seqs, strict=True):
                self._publish(item.commit.events, item_seqs)
                item.future.set_result(item_seqs)

    async def _recover(self) -> None:
        """Fail what waits, and reload from the log until the store answers."""
        self.broken = True
        self._generation += 1
        for item in self._pending:
            item.future.set_exception(StoreUnavailable())
        self._pending = []
        while True:
            try:
                await asyncio.to_thread(self._reload)
                break
            except StoreError:
                log.exception("store still unavailable")
                await asyncio.sleep(1.0)
        self.broken = False
