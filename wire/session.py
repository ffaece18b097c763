"""A device's session with the hall server, without Qt: what every app does the same way.

An app is a view-model (Qt-free, :class:`HallModel`) and a window. The session joins the
view-model to a :class:`~wire.client.HallClient` built from the device file:

* it introduces the device with the file's role, code, token and language;
* every server message (typed, ``wire.messages``) and every change of the connection
  reaches the view-model through ``post``, in the view-model's own thread (the Qt GUI
  thread in an app, see ``shell``; a :class:`CallQueue` in tests and benchmarks);
* health reports of the device's parts (printer, board, audio) are sent when they
  change, wait for the connection while it is down, and are sent again after every
  reconnection (the server may have restarted), so the supervisor always learns the
  last state;
* ``now()`` is the server's clock in the center's time zone.
"""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable
from concurrent.futures import Future
from datetime import datetime
from functools import partial
from typing import Any, Protocol

from .client import ClientOptions, ConnState, HallClient, RequestFailed, Result
from .device import DeviceConfig
from .messages import ServerMessage

log = logging.getLogger("novbe.session")

Post = Callable[[Callable[[], None]], None]
"""Runs a callable in the view-model's thread."""

HEALTH_TIMEOUT_S = 3600.0
"""A health report made while offline waits this long for the connection to come back."""


class HallModel(Protocol):
    """What a view-model offers its session."""

    def on_message(self, message: ServerMessage) -> None: ...

    def on_connection(self, state: ConnState) -> None: ...


class Requester(Protocol):
    """What a view-model needs to ask the server: a :class:`Session` or a test's fake."""

    def request(self, kind: str, /, *, timeout: float = ..., **fields: Any) -> Future[Result]: ...


class CallQueue:
    """Callables posted from any thread, run by whoever calls :meth:`drain` (code without
    Qt: tests and benchmarks)."""

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


def hello_of(config: DeviceConfig, lang: str | None = None) -> dict[str, Any]:
    """The ``hello`` fields of a device file (the counter's device is its number)."""
    device = str(config.counter) if config.role == "counter" and config.counter is not None else config.code
    return {"role": config.role, "device": device, "token": config.token, "lang": lang or config.lang}


class Session:
    """One device's connection, feeding one view-model.

    Args:
        config: the device file.
        model: the view-model; its callbacks run through ``post``.
        post: runs a callable in the model's thread.
        server_url: instead of the device file's.
        lang: the language of the server's texts, instead of the device file's.
    """

    def __init__(
        self,
        config: DeviceConfig,
        model: HallModel,
        *,
        post: Post,
        server_url: str | None = None,
        lang: str | None = None,
        options: ClientOptions | None = None,
    ) -> None:
        self.config = config
        self._post = post
        self._model = model
        self._health: dict[str, tuple[str, str | None]] = {}
        self._sent_health: dict[str, tuple[str, str | None]] = {}
        self.client = HallClient(
            server_url or config.server_url,
            hello_of(config, lang),
            on_message=lambda message: post(partial(model.on_message, message)),
            on_state=self._on_state,
            options=options,
        )

    # --- life cycle -----------------------------------------------------------------

    def start(self) -> None:
        self.client.start()

    def stop(self) -> None:
        self.client.stop()

    @property
    def online(self) -> bool:
        return self.client.state is ConnState.ONLINE

    def _on_state(self, state: ConnState) -> None:
        if state is ConnState.ONLINE:
            # The server may have restarted since it last heard: it hears every part again.
            self._sent_health.clear()
            self._flush_health()
        if state is ConnState.REFUSED:
            log.error(
                "the server refused this device (%s %s): check its device file's token",
                self.config.role,
                self.config.code,
            )
        self._post(partial(self._model.on_connection, state))

    # --- requests -------------------------------------------------------------------

    def request(self, kind: str, /, *, timeout: float = 10.0, **fields: Any) -> Future[Result]:
        """Send a request (see :meth:`HallClient.request`); thread-safe."""
        return self.client.request(kind, timeout=timeout, **fields)

    def now(self) -> datetime:
        """Now by the server's clock, in the center's time zone."""
        return self.client.server_now()

    # --- health ---------------------------------------------------------------------

    def report_health(self, component: str, status: str, detail: str | None = None) -> None:
        """The state of one of this device's parts (``printer``, ``board``, ``audio``,
        ``app``). Sent when it changes, and again after each reconnect. Thread-safe."""
        self._health[component] = (status, detail[:500] if detail else None)
        self._flush_health()

    def _flush_health(self) -> None:
        if not self.online:
            return  # sent when the connection is back (_on_state)
        for component, state in list(self._health.items()):
            if self._sent_health.get(component) == state:
                continue
            self._sent_health[component] = state
            status, detail = state
            future = self.client.request(
                "report_health", timeout=HEALTH_TIMEOUT_S, component=component, status=status, detail=detail
            )
            future.add_done_callback(partial(self._health_sent, component, state))

    def _health_sent(self, component: str, state: tuple[str, str | None], future: Future[Result]) -> None:
        try:
            future.result()
        except RequestFailed as exc:
            log.warning("health report of %s not recorded: %s", component, exc.message)
            if self._sent_health.get(component) == state:
                del self._sent_health[component]
