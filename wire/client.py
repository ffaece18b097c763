"""The one client connection every app uses to talk to the hall server.

It runs its own asyncio loop in a background thread (Qt's event loop and asyncio don't
share a thread well; see the stack notes), reconnects by itself with backoff, resumes
from the last event it saw, and resends unanswered requests with their original ids,
so a request sent twice takes effect once. Callbacks are called from the client's
thread: a Qt app hands them to its GUI thread through ``wire.qt_bridge``.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import json
import logging
import ssl
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from .messages import (
    RESULTS,
    BadServerMessage,
    CounterResult,
    ErrorMessage,
    EventMessage,
    EventsResult,
    HealthResult,
    IssueResult,
    MessageResult,
    RatingResult,
    Reply,
    ServerMessage,
    SyncResult,
    Welcome,
    parse_server_message,
)

log = logging.getLogger("novbe.client")

Result = IssueResult | CounterResult | EventsResult | MessageResult | HealthResult | SyncResult | RatingResult
"""What a request's future resolves to: the model of its ``result`` (``messages.RESULTS``)."""


class ConnState(enum.StrEnum):
    CONNECTING = "connecting"
    ONLINE = "online"
    OFFLINE = "offline"
    REFUSED = "refused"
    """The server refused our credentials; we keep retrying, slowly."""
    STOPPED = "stopped"


class RequestFailed(Exception):
    """The server answered with an ``error``. ``code`` is a wire error code."""

    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}


class RequestTimeout(RequestFailed):
    """No answer in time (the server is unreachable). The request may still have been
    applied if the reply was lost; repeating it with the same id is always safe."""

    def __init__(self, message: str = "no answer from the server") -> None:
        super().__init__("timeout", message)


@dataclass
class _Pending:
    kind: str
    frame: str
    future: Future[Result]
    deadline: float
    sent_on: int = -1


@dataclass
class ClientOptions:
    open_timeout: float = 3.0
    backoff_min: float = 0.2
    backoff_max: float = 3.0
    ping_interval: float | None = 10.0
    ping_timeout: float | None = 10.0
    ssl_context: ssl.SSLContext | None = None
    extra_hello: dict[str, Any] = field(default_factory=dict)


class HallClient:
    """A device's connection to the hall server.

    Args:
        url: ``ws://host:port`` or ``wss://...``.
        hello: the ``hello`` fields (role, device, token, lang; login/password for a
            supervisor). ``type``, ``id`` and ``resume_from`` are added here.
        on_message: called with every server message (typed, ``wire.messages``) that is
            not the answer to one of our requests: ``Welcome``, ``EventMessage``,
            ``QueuesNotice``, ``MessageNotice``, ...
        on_state: called when the connection state changes.
    """

    def __init__(
        self,
        url: str,
        hello: dict[str, Any],
        *,
        on_message: Callable[[ServerMessage], None] | None = None,
        on_state: Callable[[ConnState], None] | None = None,
        options: ClientOptions | None = None,
    ) -> None:
        self.url = url
        self.hello = dict(hello)
        self.on_message = on_message or (lambda message: None)
        self.on_state = on_state or (lambda state: None)
        self.options = options or ClientOptions()
        self.state = ConnState.STOPPED
        self.last_seq: int | None = None
        self.welcome: Welcome | None = None
        self.clock_offset = timedelta(0)
        """The server's clock minus ours, as of the last welcome."""
        self._pending: dict[str, _Pending] = {}
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ws: ClientConnection | None = None
        self._connection_no = 0
        self._stopping = False
        self._stopped = threading.Event()
        self._tasks: set[asyncio.Future[None]] = set()

    # --- life cycle -------------------------------------------------------------------

    def start(self) -> None:
        """Start connecting in the background. Returns at once."""
        if self._thread is not None:
            return
        self._stopping = False
        self._stopped.clear()
        self._thread = threading.Thread(
            target=self._run, name=f"hall-client-{self.hello.get('role')}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 3.0) -> None:
        """Close the connection and stop the thread. Pending requests fail."""
        self._stopping = True
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._cancel_main)
        if self._thread is not None:
            self._thread.join(timeout)
        self._thread = None
        self._fail_all(RequestFailed("stopped", "the client was stopped"))

    def wait_online(self, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.state is ConnState.ONLINE:
                return True
            time.sleep(0.01)
        return self.state is ConnState.ONLINE

    # --- requests ---------------------------------------------------------------------

    def server_now(self) -> datetime:
        """Now by the server's clock, in the center's time zone (UTC before the first
        welcome)."""
        now = datetime.now(UTC) + self.clock_offset
        return now.astimezone(self.welcome.center.tz) if self.welcome is not None else now

    def request(
        self, kind: str, /, *, timeout: float = 10.0, request_id: str | None = None, **fields: Any
    ) -> Future[Result]:
        """Send a request; the future gets its typed ``result`` (the model
        ``messages.RESULTS[kind]``) or raises RequestFailed.

        Thread-safe. While the connection is down the request waits and is sent (with
        the same id) as soon as it is back, until ``timeout``.
        """
        rid = request_id or uuid.uuid4().hex[:20]
        frame = json.dumps({"type": kind, "id": rid, **fields}, ensure_ascii=False)
        future: Future[Result] = Future()
        with self._lock:
            self._pending[rid] = _Pending(kind, frame, future, time.monotonic() + timeout)
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._flush)
        return future

    def call(self, kind: str, /, *, timeout: float = 10.0, **fields: Any) -> Result:
        """Blocking :meth:`request` (not from the GUI thread)."""
        return self.request(kind, timeout=timeout, **fields).result(timeout + 1.0)

    # --- the client thread ------------------------------------------------------------

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            self._main_task = loop.create_task(self._main())
            with contextlib.suppress(asyncio.CancelledError):
                loop.run_until_complete(self._main_task)
        finally:
            loop.close()
            self._set_state(ConnState.STOPPED)
            self._stopped.set()

    def _cancel_main(self) -> None:
        self._main_task.cancel()

    def _set_state(self, state: ConnState) -> None:
        if state is not self.state:
            self.state = state
            try:
                self.on_state(state)
            except Exception:
                log.exception("on_state callback failed")

    async def _main(self) -> None:
        reaper = asyncio.create_task(self._reap())
        backoff = self.options.backoff_min
        try:
            while not self._stopping:
                self._set_state(ConnState.CONNECTING if self.state is not ConnState.REFUSED else self.state)
                try:
                    async with connect(
                        self.url,
                        open_timeout=self.options.open_timeout,
                        ping_interval=self.options.ping_interval,
                        ping_timeout=self.options.ping_timeout,
                        compression=None,
                        max_size=4 * 1024 * 1024,
                        ssl=self.options.ssl_context,
                    ) as ws:
                        refused = await self._session(ws)
                        backoff = self.options.backoff_min if not refused else self.options.backoff_max
                except (OSError, TimeoutError, InvalidHandshake, ConnectionClosed, InvalidURI) as exc:
                    log.debug("connection failed: %s", exc)
                if self._stopping:
                    break
                if self.state is not ConnState.REFUSED:
                    self._set_state(ConnState.OFFLINE)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.options.backoff_max)
        finally:
            reaper.cancel()

    async def _session(self, ws: ClientConnection) -> bool:
        """One connection: hello, welcome, then messages until it drops. Returns True
        if the server refused our credentials."""
        hello = {"type": "hello", **self.hello, **self.options.extra_hello}
        if self.last_seq is not None:
            hello["resume_from"] = self.last_seq
        await ws.send(json.dumps(hello, ensure_ascii=False))
        first = _read(await ws.recv())
        if not isinstance(first, Welcome):
            log.warning("server refused the hello: %s", getattr(first, "message", first))
            self._set_state(ConnState.REFUSED)
            return True
        self._ws = ws
        self._connection_no += 1
        self._dispatch(first)
        self._set_state(ConnState.ONLINE)
        await self._send_pending()
        try:
            async for raw in ws:
                message = _read(raw)
                if message is not None:
                    self._dispatch(message)
        finally:
            self._ws = None
        return False

    def _dispatch(self, message: ServerMessage) -> None:
        if isinstance(message, Reply | ErrorMessage | Welcome) and message.id:
            with self._lock:
                pending = self._pending.pop(message.id, None)
            if pending is not None:
                self._answer(pending, message)
                if not isinstance(message, Welcome):
                    return
                # The answer to a ``sync`` is a welcome, which the app also needs to see.
        if isinstance(message, Welcome):
            self.welcome = message
            self.clock_offset = message.server_time - datetime.now(UTC)
            # A snapshot restarts the count; a resume continues from where we were.
            if not message.resumed or self.last_seq is None:
                self.last_seq = message.seq
        elif isinstance(message, EventMessage):
            self.last_seq = message.seq if self.last_seq is None else max(self.last_seq, message.seq)
        try:
            self.on_message(message)
        except Exception:
            log.exception("on_message callback failed")

    @staticmethod
    def _answer(pending: _Pending, message: Reply | ErrorMessage | Welcome) -> None:
        if isinstance(message, ErrorMessage):
            pending.future.set_exception(RequestFailed(message.code, message.message, message.details))
            return
        try:
            if isinstance(message, Welcome):
                result: Result = SyncResult(welcome=message)
            else:
                model = RESULTS.get(pending.kind)
                if model is None:
                    raise BadServerMessage(f"no result model for {pending.kind!r}")
                result = cast("Result", model.model_validate(message.result))
        except ValueError as exc:
            log.warning("a reply to %s doesn't fit the protocol: %s", pending.kind, exc)
            pending.future.set_exception(RequestFailed("bad_reply", str(exc)))
            return
        pending.future.set_result(result)

    def _flush(self) -> None:
        if self._ws is not None:
            task = asyncio.ensure_future(self._send_pending())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _send_pending(self) -> None:
        ws = self._ws
        if ws is None:
            return
        with self._lock:
            todo = [p for p in self._pending.values() if p.sent_on != self._connection_no]
            for pending in todo:
                pending.sent_on = self._connection_no
        for pending in todo:
            try:
                await ws.send(pending.frame)
            except ConnectionClosed:
                pending.sent_on = -1
                return

    async def _reap(self) -> None:
        """Fail requests whose time is up."""
        while True:
            await asyncio.sleep(0.1)
            now = time.monotonic()
            with self._lock:
                late = [rid for rid, p in self._pending.items() if p.deadline <= now]
                expired = [self._pending.pop(rid) for rid in late]
            for pending in expired:
                if not pending.future.done():
                    pending.future.set_exception(RequestTimeout())

    def _fail_all(self, exc: RequestFailed) -> None:
        with self._lock:
            pending, self._pending = list(self._pending.values()), {}
        for item in pending:
            if not item.future.done():
                item.future.set_exception(exc)


def _read(raw: str | bytes) -> ServerMessage | None:
    """A server frame, typed; None (logged) if it doesn't fit the protocol."""
    try:
        return parse_server_message(raw)
    except BadServerMessage as exc:
        log.warning("%s", exc)
        return None
