"""Joins a counter view-model to the hall server.

The hall client runs its own asyncio loop in a background thread (see wire/client.py);
the view-model must only be touched from its own thread. This module is the one place
that hands the client's callbacks over:

* :func:`connect_qt` for the app: through ``wire.qt_bridge`` into the Qt GUI thread;
* :class:`CallQueue` for code without Qt (tests, the benchmark): callbacks wait in a
  queue until the owning thread drains it.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from wire.client import ClientOptions, HallClient

from .viewmodel import CounterViewModel, Post

if TYPE_CHECKING:
    from PySide6.QtCore import QObject


class CallQueue:
    """Callables posted from any thread, run by whoever calls :meth:`drain`."""

    def __init__(self) -> None:
        self._calls: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()

    def post(self, fn: Callable[[], None]) -> None:
        self._calls.put(fn)

    def drain(self, timeout: float = 0.0) -> int:
        """Run what is queued, waiting up to ``timeout`` for the first call. Returns how many ran."""
        ran = 0
        try:
            fn = self._calls.get(timeout=timeout) if timeout > 0 else self._calls.get_nowait()
        except queue.Empty:
            return 0
        while True:
            fn()
            ran += 1
            try:
                fn = self._calls.get_nowait()
            except queue.Empty:
                return ran

    def run_until(self, condition: Callable[[], bool], timeout: float = 10.0) -> bool:
        """Drain until ``condition()`` holds; False if it did not within ``timeout``."""
        deadline = time.monotonic() + timeout
        while not condition():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.drain(min(left, 0.05))
        return True


@dataclass(frozen=True)
class Endpoint:
    """Where and who: the parts of a counter's device file the connection needs."""

    url: str
    counter: int
    token: str


def counter_client(
    endpoint: Endpoint,
    vm: CounterViewModel,
    *,
    on_message: Callable[[dict[str, Any]], None],
    on_state: Callable[[Any], None],
    options: ClientOptions | None = None,
) -> HallClient:
    """A hall client that introduces itself as the counter and serves ``vm``'s requests."""
    hello = {"role": "counter", "device": str(endpoint.counter), "token": endpoint.token, "lang": vm.lang}
    client = HallClient(endpoint.url, hello, on_message=on_message, on_state=on_state, options=options)
    vm.attach(client)
    return client


def connect_queued(
    endpoint: Endpoint, vm: CounterViewModel, calls: CallQueue, *, options: ClientOptions | None = None
) -> HallClient:
    """Wire ``vm`` to a new client whose callbacks wait in ``calls``; the client is started."""
    client = counter_client(
        endpoint,
        vm,
        on_message=lambda message: calls.post(partial(vm.on_message, message)),
        on_state=lambda state: calls.post(partial(vm.on_state, state)),
        options=options,
    )
    client.start()
    return client


def qt_poster(parent: QObject) -> tuple[Post, Any]:
    """A ``post`` that runs callables in ``parent``'s (the GUI) thread, and the bridge object
    that must be kept alive with it."""
    from wire.qt_bridge import QtClientBridge

    bridge = QtClientBridge(lambda message: None, lambda state: None, parent)
    post: Post = bridge.call_in_gui(_call)
    return post, bridge


def connect_qt(
    endpoint: Endpoint, vm: CounterViewModel, parent: QObject, *, options: ClientOptions | None = None
) -> HallClient:
    """Wire ``vm`` to a new client whose callbacks run in the Qt GUI thread; started."""
    from wire.qt_bridge import QtClientBridge

    bridge = QtClientBridge(vm.on_message, vm.on_state, parent)
    client = counter_client(
        endpoint, vm, on_message=bridge.on_message, on_state=bridge.on_state, options=options
    )
    client.start()
    return client


def _call(fn: Callable[[], None]) -> None:
    fn()
