"""The hub: the websockets layer between the hall's devices and the queue engine.

One endpoint. Each connection introduces itself (``hello``) as a kiosk, counter,
display, board line, rating terminal or supervisor (:mod:`.auth`); after that every message
is validated (``wire/protocol.py``), checked against the role (and a rating against the
terminal's counter, :mod:`.rating`), turned into an engine command (:mod:`.dispatch`),
decided by the engine, committed to the event log (:mod:`.writer`), and
only then answered and fanned out to the clients that may see it (:mod:`.audience`).

Two engines run side by side: ``live`` decides (it is ahead of the log by the
commands whose commit is still in flight) and ``committed`` mirrors exactly what the
log holds. Snapshots, queue figures and resumes are read from ``committed``, so no
client is ever shown something that a crash could take back.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from websockets.asyncio.server import ServerConnection, broadcast
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from wire import events as ev, messages as m, protocol as p
from wire.i18n import tr
from wire.types import CounterState, Lang

from .. import security, views
from ..center import Center
from ..queue import QueueEngine, commands as c
from ..queue.book import BookingRefused
from ..queue.estimate import PoolEstimator
from ..queue.exceptions import CheckInRefused, QueueError, RatingRefused, ServiceUnavailable
from ..store import EventStore
from ..watch import QueueWatch
from . import audience, dispatch, health, rating
from .auth import Auth, TooManyAttempts
from .clients import Client, Clients, sockets
from .gate import Gate, is_local, peer_address
from .presence import COMPONENT as APP, DEFAULT_GRACE, Presence
from .replies import Replies
from .writer import StoreUnavailable, Writer, WriterStopped

log = logging.getLogger("novbe.server")

HALL_MESSAGE = "hall_message"
"""The store setting that keeps the displays' scrolling line across restarts."""

RING_SIZE = 2_000
"""Recent committed events kept in memory for clients that resume: at a large center's peak
(about 40 events a minute) the better part of an hour. A client away longer gets a fresh
snapshot, and the web process the day's events from the log, so nothing depends on the size;
a small ring fills within minutes of opening and then stops growing."""

CLOCK_EVERY_S = 30.0
"""How often the engine is told the time (``KeepDay``), to open and close the day."""

STOP_WAIT_S = 5.0
"""At SIGTERM, how long the requests in flight get to be committed and answered."""

WATCH_EVERY_S = 1.0
"""How often the server looks at its own parts (store, passwords, connections)."""

FIGURES_EVERY_S = 1.0
"""The queue figures go out at most this often, and this soon after a change."""

BOOKING_TYPES = frozenset(cls.__name__ for cls in ev.BOOKING_EVENTS)
"""The bookings' event types: replayed from the whole log, not only from today's."""

STOPPING = "the server is stopping; reconnect and send the request again (same id)"

Answer = dict[str, Any]
"""A ``reply`` or ``error`` as sent and stored (``wire.messages.reply`` / ``error``)."""


class Hub:
    """Owns the engines, the store, the connections and the writer."""

    def __init__(
        self,
        center: Center,
        store: EventStore,
        *,
        now: Callable[[], datetime] | None = None,
        gate: Gate | None = None,
        offline_after: timedelta = DEFAULT_GRACE,
    ) -> None:
        self.center = center
        self.store = store
        self.tz = ZoneInfo(center.hours.timezone)
        self._now = now or (lambda: datetime.now(self.tz))
        self.hall = center.to_hall()
        # The wait printed on each ticket: the pool estimator, measured with the simulator
        # (docs/prediction.md), with the service-time spread of the center's workload.
        cv = float(((center.workload or {}).get("service_time") or {}).get("cv", 0.6))
        self.estimator = PoolEstimator(service_cv=cv)
        self.live = self._new_engine()
        self.committed = self._new_engine()
        self.seq = 0
        self.day_start = 0
        """The seq of the current service day's ``DayOpened`` (0: none yet): where the web
        process's replay starts."""
        self.info = views.center_info(center)
        self.auth = Auth(center)
        self.gate = gate or Gate()
        self.clients = Clients(self.hall.counters)
        self.writer = Writer(store, publish=self._publish, reload=self.load, rollback=self._rollback)
        self.ring: collections.deque[tuple[int, ev.Event, str | None]] = collections.deque(maxlen=RING_SIZE)
        """Recent committed events and their frames (made when first needed)."""
        self.replies = Replies()
        """The answers a repeated request gets."""
        self.in_flight: dict[tuple[str, str], asyncio.Future[str]] = {}
        """Requests being answered, by (device, request id): a repeat waits for the answer."""
        self.message: dict[str, str] | None = None
        self.devices: dict[str, tuple[str, dict[str, Any], datetime]] = {}
        """Each device component's last health report: name -> (role, status, at)."""
        self.server_health: dict[str, tuple[str, dict[str, Any], datetime]] = {}
        """The server's own parts (``server/store``, ...) once one went wrong, as ``devices``."""
        self.stats = health.Stats()
        self._maintaining = False
        """A call of ``store.maintain()`` waits or runs on the writer's thread."""
        self._closing = False
        self._tasks: list[asyncio.Task[None]] = []
        self._background: set[asyncio.Task[None]] = set()
        self._last_queues = ""
        self._waiting_seq = -1
        """The log position of the last ``waiting`` notices: they change only with the log."""
        self._state_changed = asyncio.Event()
        """Set by each commit: the queue figures are due."""
        self.watch = QueueWatch()
        """The queues the supervisors must look at (``server/watch.py``)."""
        self._last_alerts: tuple[m.QueueAlert, ...] = ()
        self._watched_day: date | None = None
        self.presence = Presence(grace=offline_after)
        """Which devices are connected; one gone too long is reported ``offline``."""
        self._today: m.FiguresResult | None = None
        """Today's figures as last computed (for the log up to their ``seq``)."""
        self._service_agency = {s.code: a.code for a in center.agencies for s in a.services}
        self.tokens = security.TicketTokens(center.public.secret if center.public is not None else None)
        """The page tokens of the committed day's tickets: a counter calls a ticket by the
        address its QR code holds (``call_ticket`` with ``token``)."""

    # --- life cycle ---------------------------------------------------------------------

    def load(self) -> int:
        """Rebuild both engines from the log. Returns the number of events replayed.

        A service day starts from nothing (``DayOpened`` clears the tickets, the numbering
        and the counters), so only the events since the last one are replayed: start-up
        takes as long as today's log, however many days the log holds.
        """
        live, committed = self._new_engine(), self._new_engine()
        self.ring.clear()
        self.tokens.clear()
        start = self.store.last_seq_of("DayOpened")
        count = 0
        if start:
            # The bookings are not of one day: those made, moved or ended before today's
            # opening are read by their types (an index on the type, docs/appointments.md).
            for _seq, _kind, payload in self.store.payloads(0, start - 1, types=BOOKING_TYPES):
                event = ev.event_from_dict(json.loads(payload))
                live.apply(event)
                committed.apply(event)
                count += 1
        for stored in self.store.load(after_seq=start - 1 if start else 0):
            live.apply(stored.event)
            committed.apply(stored.event)
            self.tokens.apply(stored.event)
            self.ring.append((stored.seq, stored.event, None))
            count += 1
        self.live, self.committed, self.seq = live, committed, self.store.last_seq()
        self.day_start = start or 0
        now, replies = self.now(), Replies()
        answers = self.store.replies_since(now - replies.keep_for)
        replies.load(((device, rid, m.dumps(reply)) for device, rid, reply in answers), now)
        self.replies = replies
        self.devices = self.store.device_statuses()
        # A device seen before (it has a health record) is expected back: away until it connects.
        started = self.now()
        for name, (role, _status, _at) in self.devices.items():
            if role != p.Role.SUPERVISOR:
                self.presence.known(name.split("/", 1)[0], role, started)
        text = self.store.settings().get(HALL_MESSAGE, {}).get("text")
        self.message = text if isinstance(text, dict) else None
        return count

    def _new_engine(self) -> QueueEngine:
        return QueueEngine(self.hall, estimator=self.estimator)

    async def _rollback(self) -> None:
        """After a failed append: throw away the decisions that are not in the log, in time
        that doesn't grow with the day (docs/store.md, "After a failed commit").

        Raises:
            StoreUnavailable: The commit was in doubt and the database can't say yet what
                landed (the writer tries again every second).
        """
        head = await self.writer.call(self.store.head)
        if head.seq > self.seq:
            # An append in doubt landed after all: its events are in the log, so the
            # clients are told, and its answers are what a retry must get.
            landed = await self.writer.call(self.store.events_between, self.seq, head.seq)
            since = self.now() - self.replies.keep_for
            answers = await self.writer.call(self.store.replies_since, since)
            for stored in landed:
                self._publish([stored.event], [stored.seq])
            self.replies.load(((device, rid, m.dumps(reply)) for device, rid, reply in answers), self.now())
        self.live = self.committed.clone()

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self.writer.run(), name="writer"),
            asyncio.create_task(self._figures(), name="figures"),
            asyncio.create_task(self._clock(), name="clock"),
            asyncio.create_task(self.gate.run(), name="gate"),
            asyncio.create_task(self._watch(), name="watch"),
        ]
        await self._keep_day()

    async def stop(self, wait_s: float = STOP_WAIT_S) -> None:
        """Stop taking requests and the background tasks, within about ``wait_s``
        whatever the database does.

        The requests in flight get ``wait_s`` to be committed and answered; those still
        waiting then (a commit stuck in a database that stopped answering) are answered
        ``shutting_down``, and the writer's thread is let go without waiting for it.
        """
        self._closing = True
        if self.in_flight:
            await asyncio.wait([asyncio.ensure_future(f) for f in self.in_flight.values()], timeout=wait_s)
        self.writer.stop()
        self.auth.close()
        tasks = [*self._tasks, *self._background]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def now(self) -> datetime:
        return self._now()

    # --- HTTP ---------------------------------------------------------------------------

    def process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        """Answer plain HTTP ``GET /health`` on the websocket port: the status alone to
        anyone, the figures only to a caller on this machine (a monitoring agent)."""
        if not health.asks_for_health(request):
            return None
        components = self._server_components()
        ok = components["store"][0] == "ok"
        figures: dict[str, Any] = {"status": "ok" if ok else "degraded"}
        if not is_local(peer_address(connection)):
            return health.response(figures, ok=ok)
        figures |= {
            "store": self.store.health().as_dict() | {"stalled_s": round(self.writer.stalled_s(), 1)},
            "alerts": {name: status for name, (status, _) in components.items() if status != "ok"},
            "center": self.center.code,
            "seq": self.seq,
            "day": self.committed.day.isoformat() if self.committed.day else None,
            "open": self.committed.is_open,
            "connections": len(self.clients),
            "gate": self.gate.figures(),
            "passwords": {"failed": self.auth.throttle.failures, "refused": self.auth.throttle.refused},
            "requests": self.stats.requests,
            "errors": self.stats.errors,
            "fanout_ms": self.stats.fanout(),
            "uptime_s": self.stats.uptime_s(),
        }
        return health.response(figures, ok=ok)

    # --- connections --------------------------------------------------------------------

    async def handler(self, ws: ServerConnection) -> None:
        client: Client | None = None
        try:
            async for raw in ws:
                started = time.perf_counter()
                kind = "?"
                rid: str | None = None
                outcome = "ok"
                try:
                    msg = p.parse_client_message(raw)
                    kind, rid = msg.type, msg.id
                    if isinstance(msg, p.Hello):
                        if client is not None:
                            raise p.ProtocolError(
                                p.ErrorCode.ALREADY_AUTHENTICATED, "already introduced", msg.id
                            )
                        client = await self._hello(ws, msg)
                        if client is None:
                            outcome = p.ErrorCode.AUTH_FAILED
                            await ws.close(4001, "authentication failed")
                            break
                        self.gate.welcomed(ws)
                    elif client is None:
                        raise p.ProtocolError(p.ErrorCode.NOT_AUTHENTICATED, "send hello first", rid)
                    else:
                        outcome = await self._request(client, msg)
                except p.ProtocolError as exc:
                    outcome = exc.code
                    rid = exc.request_id or rid
                    lang = client.lang if client else "az"
                    await self._send(ws, self._error(exc.code, lang, rid, exc.message, **exc.details))
                except Exception:
                    # A bug (in hello or sync, which change nothing): answer, keep the connection.
                    device = client.identity if client else None
                    log.exception(
                        json.dumps({"msg": "request failed", "device": device, "type": kind, "id": rid})
                    )
                    outcome = p.ErrorCode.INTERNAL_ERROR
                    await self._send(ws, self._internal_error(client.lang if client else "az", rid))
                finally:
                    self.stats.requests += 1
                    self._log_request(client, kind, rid, outcome, started)
        except ConnectionClosed:
            pass
        finally:
            if client is not None:
                self._forget(client)

    async def _send(self, ws: ServerConnection, message: Answer) -> None:
        await self._send_text(ws, m.dumps(message))

    async def _send_text(self, ws: ServerConnection, text: str) -> None:
        with contextlib.suppress(ConnectionClosed):
            await ws.send(text)

    async def _hello(self, ws: ServerConnection, hello: p.Hello) -> Client | None:
        """Authenticate a connection. Sends ``welcome``, or an error: ``wrong_password`` to a
        supervisor (unknown login and wrong password alike) or ``too_many_attempts``,
        ``auth_failed`` to a device."""
        try:
            client = await self.auth.hello(ws, hello)
        except TooManyAttempts as exc:
            await self._send(ws, self._error(exc.code, hello.lang, hello.id, exc.message, **exc.details))
            return None
        if client is None:
            code = p.ErrorCode.WRONG_PASSWORD if hello.role is p.Role.SUPERVISOR else p.ErrorCode.AUTH_FAILED
            await self._send(ws, m.error(code, tr(f"error.{code}", hello.lang), hello.id))
            return None
        if client.counter is not None:
            # A counter app that reconnects replaces its old, possibly half-dead connection.
            for old in list(self.clients.at_counter[client.counter]):
                self._forget(old)
                with contextlib.suppress(Exception):
                    await old.ws.close(4000, "replaced by a new connection")
        if client.role is p.Role.WEB:
            await self._web_welcome(client, hello.id, hello.resume_from)
            return client
        self.clients.add(client)
        try:
            self._welcome(client, hello.id, hello.resume_from)
        except Exception:
            self._forget(client)  # the connection stays, unauthenticated
            raise
        await self._arrived(client)
        return client

    def _forget(self, client: Client) -> None:
        self.clients.discard(client)
        if client.role is not p.Role.SUPERVISOR:
            again = any(other.identity == client.identity for other in self.clients)
            self.presence.disconnected(client.identity, str(client.role), self.now(), still_here=again)

    async def _arrived(self, client: Client) -> None:
        """A device connected: it is here; if it was reported offline, it has recovered."""
        if client.role is p.Role.SUPERVISOR:
            return
        self.presence.connected(client.identity)
        known = self.devices.get(f"{client.identity}/{APP}")
        if known is not None and known[1].get("status") != "ok":
            await self._record_health(client.identity, str(client.role), APP, "ok", None, self.now())

    def _welcome(self, client: Client, rid: str | None, resume_from: int | None) -> None:
        """Send ``welcome``: a snapshot, or the events missed since ``resume_from`` followed
        by what a snapshot would have said that is not in the events (the queue figures, the
        hall's message line) as they are now.

        Runs without an ``await`` between reading the committed state and the client
        being registered for fan-out (done before), so nothing falls between the two.
        """
        replay = self._missed(client, resume_from)
        welcome = m.Welcome(
            id=rid,
            role=str(client.role),
            device=client.device,
            seq=self.seq,
            server_time=self.now(),
            center=self.info,
            resumed=replay is not None,
            snapshot=None if replay is not None else self._snapshot(client),
        )
        frames = [m.dumps(welcome)]
        if replay is not None:
            frames.extend(replay)
            # The figures of the moment: the last ones sent went out while this client was
            # away, and unchanged figures are not sent again.
            frames.append(m.dumps(m.QueuesNotice(services=views.queue_stats(self.committed, self.now()))))
            if audience.sees_hall_message(client):
                frames.append(m.dumps(m.MessageNotice(text=self.message)))
            if client.role is p.Role.SUPERVISOR:
                # What a supervisor's snapshot holds besides the events: the queue alerts and
                # every device's health now (a failure while away is no event).
                frames.append(m.dumps(m.QueueAlertsNotice(alerts=self.watch.alerts())))
                frames.extend(
                    m.dumps(
                        m.DeviceStatusNotice(
                            device=name, role=health.role, status=health.status, at=health.at
                        )
                    )
                    for name, health in self._device_healths().items()
                )
        if client.counter is not None:
            # Who waits for this counter now; later changes come with the queue figures.
            client.waiting_sent = ""
            frames.extend(self._waiting_frames([client]).values())
        if client.terminal_of is not None:
            # What a rating terminal shows (the operator's name, the visit to rate) is in no
            # snapshot and no event: it is told now, and after every change at its counter.
            frames.append(m.dumps(views.counter_notice(self.committed, self.center, client.terminal_of)))
        # Written in one go, without yielding to the event loop: a live event published
        # meanwhile would otherwise reach this client between the replayed ones.
        for frame in frames:
            broadcast([client.ws], frame)

    async def _web_welcome(self, client: Client, rid: str | None, resume_from: int | None) -> None:
        """The web process's welcome: never a snapshot, always events, so that it can keep a
        replica of the day's engine (docs/protocol.md, "The web process").

        ``resumed`` true: the events after ``resume_from`` follow. False: the events of the
        current service day follow, from its ``DayOpened``: the web starts from nothing. Read
        from the log when the ring of recent events no longer holds them (a whole day may be
        more than the ring), then registered for fan-out without an ``await`` between the
        replay's end and the registration, as :meth:`_welcome`.
        """
        day_from = max(self.day_start - 1, 0)
        resumed = resume_from is not None and day_from <= resume_from <= self.seq
        start = resume_from if resumed and resume_from is not None else day_from
        replay = self._missed(client, start)
        while replay is None:
            stored = await asyncio.to_thread(self._stored_events, start)
            # Committed but not yet published events are left to the fan-out.
            stored = [(seq, event) for seq, event in stored if seq <= self.seq]
            last = stored[-1][0] if stored else start
            if last < self.seq and (not self.ring or self.ring[0][0] > last + 1):
                continue  # the ring moved on while the log was read: read again
            replay = [m.event_frame(seq, event) for seq, event in stored if audience.may_see(client, event)]
            replay += [
                frame if frame is not None else m.event_frame(seq, event)
                for seq, event, frame in self.ring
                if seq > last and audience.may_see(client, event)
            ]
        self.clients.add(client)
        welcome = m.Welcome(
            id=rid,
            role=str(client.role),
            device=client.device,
            seq=self.seq,
            server_time=self.now(),
            center=self.info,
            resumed=resumed,
            snapshot=None,
        )
        frames = [m.dumps(welcome), *replay]
        frames.append(m.dumps(m.QueuesNotice(services=views.queue_stats(self.committed, self.now()))))
        for frame in frames:
            broadcast([client.ws], frame)

    def _stored_events(self, after: int) -> list[tuple[int, ev.Event]]:
        return [(stored.seq, stored.event) for stored in self.store.load(after_seq=after)]

    def _missed(self, client: Client, resume_from: int | None) -> list[str] | None:
        """Frames of the events after ``resume_from`` this client may see, or None if it
        needs a fresh snapshot (too old, from another log, or nothing to resume)."""
        if resume_from is None or resume_from > self.seq:
            return None
        if resume_from == self.seq:
            return []
        if not self.ring or self.ring[0][0] > resume_from + 1:
            return None
        return [
            frame if frame is not None else m.event_frame(seq, event)
            for seq, event, frame in self.ring
            if seq > resume_from and audience.may_see(client, event)
        ]

    def _device_healths(self) -> dict[str, m.DeviceHealth]:
        return {
            name: m.DeviceHealth(role=role, status=m.HealthStatus.model_validate(status), at=at)
            for name, (role, status, at) in (self.devices | self.server_health).items()
        }

    def _snapshot(self, client: Client) -> m.Snapshot:
        supervisor = client.role is p.Role.SUPERVISOR
        return views.snapshot(
            self.committed,
            role=str(client.role),
            counters=client.counters,
            counter=client.counter if client.counter is not None else client.terminal_of,
            at=self.now(),
            message=self.message,
            devices=self._device_healths() if supervisor else None,
            queue_alerts=self.watch.alerts() if supervisor else (),
        )

    # --- requests -----------------------------------------------------------------------

    async def _request(self, client: Client, msg: p.ClientRequest) -> str:
        """Answer one request; returns its outcome for the log (``ok`` or an error code).

        A request that gets this far is answered exactly once, whatever happens: its entry
        in ``in_flight`` (which a repeat of it waits for) is resolved in every case, also
        when the store fails or the server stops under it.
        """
        kind, rid = msg.type, msg.id
        if kind not in p.ROLE_REQUESTS[client.role]:
            raise p.ProtocolError(p.ErrorCode.FORBIDDEN, f"a {client.role} may not send {kind}", rid)
        key = (client.identity, rid)
        if isinstance(msg, p.Sync):
            if client.role is p.Role.WEB:
                # Off the fan-out while its replay is read: the replay holds what it misses.
                self._forget(client)
                await self._web_welcome(client, rid, msg.resume_from)
            else:
                self._welcome(client, rid, msg.resume_from)
            return "ok"
        known = await self.known_reply(key)
        if known is not None:
            await self._send_text(client.ws, known)
            return "repeat"
        if self._closing:
            raise p.ProtocolError(p.ErrorCode.SHUTTING_DOWN, "the server is stopping", rid)
        if self.writer.broken:
            raise p.ProtocolError(p.ErrorCode.STORE_UNAVAILABLE, "the store is being recovered", rid)
        answer: Answer | None = None

        async def produce() -> tuple[str, bool]:
            nonlocal answer
            answer, remember = await self._answer(client, msg, key)
            return m.dumps(answer), remember

        def stopping() -> str:
            return m.dumps(self._error(p.ErrorCode.SHUTTING_DOWN, client.lang, rid, STOPPING))

        text = await self.answer_once(key, produce, stopping)
        await self._send_text(client.ws, text)
        if answer is None:  # a repeat that came in while the first looked in the log
            return "repeat"
        return "ok" if answer.get("ok") else str(answer.get("code"))

    async def answer_once(
        self,
        key: tuple[str, str],
        produce: Callable[[], Awaitable[tuple[str, bool]]],
        stopping: Callable[[], str],
    ) -> str:
        """The answer to the request ``key`` (client identity, request id) whose earlier
        answer :meth:`known_reply` did not find: ``produce()`` gives it (its JSON text, and
        whether a repeat gets it too) while a repeat arriving meanwhile waits for it. A
        request cancelled under it (the server stops) answers ``stopping()``, not remembered.
        Every request with an id goes through here: a device's, the booking API's."""
        # Looked at again with no wait before the request is registered: while this one
        # looked in the log, a copy of it may have started, or even been answered.
        answered = self.replies.get(key, self.now())
        if answered is not None:
            return answered
        running = self.in_flight.get(key)
        if running is not None:
            return await asyncio.shield(running)
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.in_flight[key] = future
        text: str | None = None
        remember = False
        try:
            text, remember = await produce()
        finally:
            if text is None:  # cancelled: the server is stopping
                text, remember = stopping(), False
            if remember:
                self.replies.remember(key, text, self.now())
            del self.in_flight[key]
            future.set_result(text)
        return text

    async def _answer(
        self, client: Client, msg: p.ClientRequest, key: tuple[str, str]
    ) -> tuple[Answer, bool]:
        """The answer to a request, and whether a repeat of it gets the same answer (not
        after a failure that changed nothing: the repeat runs again)."""
        rid = key[1]
        try:
            return await self._execute(client, msg, key), True
        except TooManyAttempts as exc:
            # Nothing was checked: the same id may be sent again once the wait is over.
            return self._error(exc.code, client.lang, rid, exc.message, **exc.details), False
        except p.ProtocolError as exc:
            return self._error(exc.code, client.lang, rid, exc.message, **exc.details), True
        except QueueError as exc:
            # A check-in's refusal is read by the citizen at the kiosk, in the language chosen.
            lang = msg.lang if isinstance(msg, p.CheckIn) else client.lang
            return self._queue_error(exc, lang, rid), True
        except WriterStopped:
            return self._error(p.ErrorCode.SHUTTING_DOWN, client.lang, rid, STOPPING), False
        except StoreUnavailable:
            detail = "the database write failed; nothing was kept"
            return self._error(p.ErrorCode.STORE_UNAVAILABLE, client.lang, rid, detail), False
        except Exception:
            # A bug. The live engine may hold a decision that will never be committed:
            # throw away every uncommitted one, as after a failed write.
            log.exception(
                json.dumps({"msg": "request failed", "device": client.identity, "type": msg.type, "id": rid})
            )
            self.writer.reload_soon()
            return self._internal_error(client.lang, rid), False

    async def known_reply(self, key: tuple[str, str]) -> str | None:
        """The answer already given to this request id, or the one it is about to get."""
        cached = self.replies.get(key, self.now())
        if cached is not None:
            return cached
        running = self.in_flight.get(key)
        if running is not None:
            return await asyncio.shield(running)
        if self.replies.dropped_some(key[0]):
            # An id older than the answers kept here: the log has every answer.
            stored = await self.writer.call(self.store.find_reply, *key)
            if stored is not None:
                text = m.dumps(stored)
                self.replies.remember(key, text, self.now())
                return text
        return None

    async def _execute(self, client: Client, msg: p.ClientRequest, key: tuple[str, str]) -> Answer:
        """Run one request; returns the reply (already committed when it changed state)."""
        at = self.now()
        rid = key[1]
        if isinstance(msg, p.ReportHealth):
            return await self._report_health(client, msg, at)
        if isinstance(msg, p.Figures):
            return m.reply(rid, await self._today_figures())
        desk = client.counter
        operator: m.OperatorInfo | None = None
        if desk is not None:
            if isinstance(msg, p.Login):
                found = await self.auth.operator(client, msg)
                operator = m.OperatorInfo(login=found.login, name=found.full_name)
            elif not self.live.counters[desk].operator:
                raise p.ProtocolError(p.ErrorCode.NOT_LOGGED_IN, "log in first", rid)
        if isinstance(msg, p.CallTicket) and msg.token is not None:
            msg = self._by_token(msg, rid)
        if isinstance(msg, p.Rate) and client.role is p.Role.RATING:
            assert client.terminal_of is not None, "a rating terminal that stands beside no counter"
            rating.check_terminal(self.live, msg.ticket, client.terminal_of)
        cmd = dispatch.command(msg, at, desk if desk is not None else client.terminal_of, client.login)
        if cmd is None:
            raise p.ProtocolError(p.ErrorCode.FORBIDDEN, f"{msg.type} changes no queue", rid)
        before = self.live.counters[desk].current if desk is not None else None
        events = self.live.handle(cmd)
        if isinstance(msg, p.SetMessage):
            (line,) = events
            assert isinstance(line, ev.HallMessageSet), f"set_message decided {line!r}"
            answer = m.reply(rid, m.MessageResult(text=line.text))
        else:
            answer = m.reply(rid, self._result(client, events, before, operator))
        await self.writer.commit(events, key, answer)
        if isinstance(msg, p.SetMessage):
            await self._show_message(events, at)
        return answer

    def _by_token(self, msg: p.CallTicket, rid: str) -> p.CallTicket:
        """``msg`` naming the ticket its token names; the engine then decides as by id."""
        assert msg.token is not None
        ticket = self.tokens.ticket_of(msg.token)
        if ticket is None:
            detail = "no ticket of today at this center has this token"
            raise p.ProtocolError(p.ErrorCode.UNKNOWN_TICKET_TOKEN, detail, rid)
        return msg.model_copy(update={"ticket": ticket, "token": None})

    def _result(
        self, client: Client, events: list[ev.Event], before: str | None, operator: m.OperatorInfo | None
    ) -> m.IssueResult | m.CounterResult | m.EventsResult | m.RatingResult:
        """What a request that went through the engine answers (``wire.messages.RESULTS``)."""
        engine = self.live
        if client.role is p.Role.KIOSK:
            issued = next(e for e in events if isinstance(e, ev.TicketIssued))
            url = self.center.ticket_url(issued.ticket)
            return m.IssueResult(ticket=views.issued_ticket(engine, issued, url))
        if client.role in (p.Role.RATING, p.Role.WEB):
            return m.RatingResult(rating=next(e for e in events if isinstance(e, ev.VisitRated)))
        if client.counter is not None:
            counter = views.counter_view(engine, client.counter)
            if operator is not None:
                return m.CounterResult(operator=operator, counter=counter)
            shown = engine.counters[client.counter].current or before
            ticket = views.ticket_view(engine.tickets[shown]) if shown is not None else None
            return m.CounterResult(counter=counter, ticket=ticket)
        return m.EventsResult(events=tuple(events))

    async def _show_message(self, events: list[ev.Event], at: datetime) -> None:
        """The displays' line, once its ``HallMessageSet`` is in the log: kept in the
        settings across restarts and days, and sent to the displays and supervisors."""
        (event,) = events
        assert isinstance(event, ev.HallMessageSet), f"set_message decided {event!r}"
        self.message = event.text
        frame = m.dumps(m.MessageNotice(text=self.message))
        broadcast(sockets(audience.of_hall_message(self.clients)), frame)
        try:
            await self.writer.call(self.store.set_setting, HALL_MESSAGE, {"text": self.message}, at)
        except StoreUnavailable as exc:
            # The line is in the log and on the screens: the request succeeded. Only the copy
            # a restart starts from is missing until the next change of the line.
            log.error("the displays' line is in the log but not kept for a restart: %s", exc)

    async def _today_figures(self) -> m.FiguresResult:
        """Today's figures, by the report's own code over today's log (a tenth of a second
        for a reference day, off the event loop); the same log gets the same figures."""
        from .. import tally  # numpy and the report's code: loaded when first asked

        known = self._today
        if known is not None and known.seq == self.seq and known.day == self.committed.day:
            return known
        self._today = await asyncio.to_thread(
            tally.today,
            self.store,
            self.committed.day,
            tz=self.tz,
            standard_min=self.center.rules.wait_standard_min,
            service_agency=self._service_agency,
            seq=self.seq,
        )
        return self._today

    async def _report_health(self, client: Client, msg: p.ReportHealth, at: datetime) -> Answer:
        await self._record_health(
            client.identity, str(client.role), msg.component, msg.status, msg.detail, at
        )
        return m.reply(msg.id, m.HealthResult(recorded=True))

    async def _record_health(
        self, identity: str, role: str, component: str, status: str, detail: str | None, at: datetime
    ) -> None:
        """Keep a device part's health and tell the supervisors: its status, and an alert
        or a recovery when it got worse or better (``health.health_change``)."""
        report = {"component": component, "status": status, "detail": detail}
        name = f"{identity}/{component}"
        previous = self.devices.get(name)
        await self.writer.call(self.store.record_device_status, name, role, report, at)
        self.devices[name] = (role, report, at)
        was = str(previous[1].get("status")) if previous is not None else "ok"
        self._tell_health(name, role, report, was, at)

    def _tell_health(self, name: str, role: str, status: dict[str, Any], was: str, at: datetime) -> None:
        """Tell the supervisors a component's health: ``device_status``, then ``alert`` or
        ``recovered`` if it changed from ``was`` (and log the change)."""
        shown = m.HealthStatus.model_validate(status)
        frames = [m.dumps(m.DeviceStatusNotice(device=name, role=role, status=shown, at=at))]
        change = health.health_change(was, shown.status)
        if change is not None:
            notice = m.AlertNotice if change == "alert" else m.RecoveredNotice
            frames.append(m.dumps(notice(device=name, status=shown, was=was, at=at)))
            what = "device failed" if change == "alert" else "device recovered"
            line = json.dumps({"msg": what, "device": name, "was": was} | status, ensure_ascii=False)
            log.log(logging.WARNING if change == "alert" else logging.INFO, line)
        supervisors = sockets(audience.of_device_health(self.clients))
        for frame in frames:
            broadcast(supervisors, frame)

    # --- the server's own health ----------------------------------------------------------

    def _server_components(self) -> dict[str, tuple[str, str | None]]:
        """The server's own parts, as the supervisors are told of them: ``name -> (status,
        detail)``."""
        return {
            "store": health.store_state(self.store.health(), self.writer),
            "passwords": health.password_state(self.auth.throttle),
            "connections": health.connection_state(self.gate),
        }

    async def _watch(self) -> None:
        """Every second: the store's housekeeping (``maintain``, on the writer's thread), and
        the supervisors told when a part of the server itself goes wrong or recovers
        (``alert`` and ``recovered`` of device ``server/<part>``)."""
        while True:
            await asyncio.sleep(WATCH_EVERY_S)
            if not self._maintaining and not self.writer.stopped:
                self._maintaining = True
                maintaining = asyncio.create_task(self._maintain())
                self._background.add(maintaining)
                maintaining.add_done_callback(self._background.discard)
            try:
                self._check_server()
            except Exception:
                log.exception("server health check failed")

    async def _maintain(self) -> None:
        # One at a time: while the database hangs, calls must not pile up behind it.
        try:
            await self.writer.call(self.store.maintain)
        except StoreUnavailable:
            pass  # the store's health says why
        except Exception:
            log.exception("store maintenance failed")
        finally:
            self._maintaining = False

    def _check_server(self) -> None:
        for component, (status, detail) in self._server_components().items():
            name = f"server/{component}"
            previous = self.server_health.get(name)
            was = str(previous[1]["status"]) if previous is not None else "ok"
            if status == was:
                continue
            at = self.now()
            record: dict[str, Any] = {"component": component, "status": status, "detail": detail}
            self.server_health[name] = ("server", record, at)
            self._tell_health(name, "server", record, was, at)

    async def _check_presence(self) -> None:
        """Report ``offline`` the devices gone longer than the grace, while it matters."""
        now = self.now()
        for identity, role in self.presence.overdue(now):
            known = self.devices.get(f"{identity}/{APP}")
            if known is not None and known[1].get("status") == "offline":
                continue
            if self._absence_matters(identity, role):
                detail = "no connection to the server"
                await self._record_health(identity, role, APP, "offline", detail, now)

    def _absence_matters(self, identity: str, role: str) -> bool:
        """A device is missed while the day is open; a counter app, while its counter is
        open or paused (nobody works at a closed counter)."""
        engine = self.committed
        if not engine.is_open:
            return False
        if role == p.Role.COUNTER:
            code = identity.split(":", 1)[1]
            status = engine.counters.get(int(code)) if code.isdigit() else None
            return status is not None and status.state is not CounterState.CLOSED
        return True

    # --- error replies ------------------------------------------------------------------

    def _error(self, code: str, lang: Lang, rid: str | None, detail: str, **values: Any) -> Answer:
        """An error reply: the text in the client's language, the English detail, and
        ``values`` (which the text may name) as details."""
        text = tr(f"error.{code}", lang, detail=detail, **values)
        return m.error(code, text, rid, detail=detail, **values)

    def _internal_error(self, lang: Lang, rid: str | None) -> Answer:
        detail = "the server failed on this request; nothing changed"
        return m.error(p.ErrorCode.INTERNAL_ERROR, tr("error.internal_error", lang), rid, detail=detail)

    def _queue_error(self, exc: QueueError, lang: Lang, rid: str | None) -> Answer:
        """An engine's refusal, with its code and its details (who works at the counter, the
        service, ...) for the client to show."""
        details = {
            k: v for k, v in exc.details.items() if isinstance(v, str | int | float | bool) or v is None
        }
        shown = exc.message
        if isinstance(exc, ServiceUnavailable):
            reason = str(exc.details.get("reason", "closed"))
            shown = tr(f"error.service_{reason}", lang) if reason in ("closed", "full") else exc.message
        elif isinstance(exc, CheckInRefused):
            # The reason in the kiosk's language, with the window's time of day.
            reason = str(exc.details.get("reason"))
            when = exc.details.get("opens_at") or exc.details.get("closed_at")
            clock = datetime.fromisoformat(str(when)).strftime("%H:%M") if when else ""
            shown = tr(f"error.check_in_{reason}", lang, time=clock)
        elif isinstance(exc, RatingRefused):
            # The rule in the terminal's language; the English detail keeps the times.
            shown = tr(f"error.rating_{exc.details.get('reason')}", lang)
        text = tr(f"error.{exc.code}", lang, **{**details, "detail": shown})
        return m.error(exc.code, text, rid, detail=exc.message, **details)

    # --- commits and fan-out ------------------------------------------------------------

    def _publish(self, events: Sequence[ev.Event], seqs: list[int]) -> None:
        """Mirror committed events into ``committed`` and fan them out, in log order."""
        for event, seq in zip(events, seqs, strict=True):
            self.committed.apply(event)
            self.tokens.apply(event)
            self.seq = seq
            if isinstance(event, ev.DayOpened):
                self.day_start = seq
            frame = m.event_frame(seq, event)
            self.ring.append((seq, event, frame))
            started = time.perf_counter()
            targets = audience.of_event(self.clients, event)
            if targets:
                broadcast(sockets(targets), frame)
                self.stats.fanout_ms.append((time.perf_counter() - started) * 1000)
        for number, terminals in audience.terminals_told(self.clients, events).items():
            notice = views.counter_notice(self.committed, self.center, number)
            broadcast(sockets(terminals), m.dumps(notice))
        self._state_changed.set()

    # --- background ---------------------------------------------------------------------

    async def _figures(self) -> None:
        """The ``queues`` notice to everyone, when the figures changed: within a second of
        a commit, and at most once a second (waits and the oldest wait change as time passes)."""
        sent = 0.0
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._state_changed.wait(), FIGURES_EVERY_S)
            self._state_changed.clear()
            pause = sent + FIGURES_EVERY_S - time.monotonic()
            if pause > 0:
                await asyncio.sleep(pause)
            sent = time.monotonic()
            try:
                if not self.writer.broken:
                    self._send_queues()
                    await self._check_presence()
            except Exception:
                log.exception("queue figures failed")

    def _send_queues(self) -> None:
        """The ``queues`` notice to everyone and the ``queue_alerts`` to the supervisors,
        each when it changed. The alerts are kept whoever listens: their ``since`` holds."""
        now = self.now()
        figures = views.queue_stats(self.committed, now)
        if self.committed.day != self._watched_day:
            self._watched_day = self.committed.day
            self.watch.clear()  # yesterday's queues are no one's concern
        alerts = self.watch.update(figures, now)
        text = m.dumps(m.QueuesNotice(services=figures))
        if text != self._last_queues and self.clients:
            self._last_queues = text
            broadcast(sockets(self.clients.everyone), text)
        # After the figures: an alert comes with the figures it speaks of.
        if alerts != self._last_alerts:
            self._last_alerts = alerts
            frame = m.dumps(m.QueueAlertsNotice(alerts=alerts))
            broadcast(sockets(audience.of_device_health(self.clients)), frame)
        if self._waiting_seq != self.seq:
            self._waiting_seq = self.seq
            for client, frame in self._waiting_frames(self.clients.by_role[p.Role.COUNTER]).items():
                broadcast([client.ws], frame)

    def _waiting_frames(self, clients: Iterable[Client]) -> dict[Client, str]:
        """The ``waiting`` notice of each counter app in ``clients`` whose list changed since
        it was last sent one (and marks it sent)."""
        desks = [client for client in clients if client.counter is not None]
        lists = views.waiting_lists(self.committed, {client.counter for client in desks if client.counter})
        frames: dict[Client, str] = {}
        for client in desks:
            assert client.counter is not None
            text = m.dumps(lists[client.counter])
            if text != client.waiting_sent:
                client.waiting_sent = frames[client] = text
        return frames

    async def _clock(self) -> None:
        """Tell the engine the time every little while: it opens and closes the day."""
        while True:
            await asyncio.sleep(CLOCK_EVERY_S)
            try:
                if not self.writer.broken:
                    await self._keep_day()
            except Exception:
                log.exception("day keeping failed")

    async def _keep_day(self) -> None:
        """Open or close the service day as the engine's day rules say (``KeepDay``)."""
        events = self.live.handle(c.KeepDay(at=self.now()))
        if events:
            with contextlib.suppress(StoreUnavailable):
                await self.writer.commit(events, None, None)

    # --- bookings -----------------------------------------------------------------------

    async def change_bookings(
        self,
        cmd: c.Command,
        request: tuple[str, str] | None = None,
        reply: Callable[[], dict[str, Any]] | None = None,
    ) -> list[ev.Event]:
        """Decide a booking command of the booking API (server/booking) and commit its events
        through the one writer of the log, as a device's request is: decided by the live
        engine one at a time on the event loop (two requests for the last place of a slot: the
        second sees it taken), answered once durable.

        Raises:
            BookingRefused, QueueError: The rules refuse it; nothing changed.
            StoreUnavailable: The write failed (or the store is being recovered): nothing was
                kept. ``WriterStopped`` (a subclass) while the server stops.
        """
        if self._closing:
            raise WriterStopped()
        if self.writer.broken:
            raise StoreUnavailable("the store is being recovered")
        try:
            events = self.live.handle(cmd)
        except (BookingRefused, QueueError):
            raise
        except Exception:
            # A bug: the live engine may hold a half decision; rebuild it from the log.
            self.writer.reload_soon()
            raise
        if request is not None and reply is not None:
            # The answer is in the same transaction as the events: a retry after a restart
            # finds both or neither.
            await self.writer.commit(events, request, reply())
        elif events:
            await self.writer.commit(events, None, None)
        return events

    async def keep_reply(self, request: tuple[str, str], reply: dict[str, Any]) -> None:
        """Keep in the log the answer to a request that changed nothing (a refusal), so that
        a retry of it gets the same answer, also after a restart.

        Raises:
            StoreUnavailable: The write failed (or the store is being recovered).
        """
        if self._closing:
            raise WriterStopped()
        if self.writer.broken:
            raise StoreUnavailable("the store is being recovered")
        await self.writer.commit([], request, reply)

    # --- logging ------------------------------------------------------------------------

    def _log_request(
        self, client: Client | None, kind: str, rid: str | None, outcome: str, started: float
    ) -> None:
        if outcome not in ("ok", "repeat"):
            self.stats.errors += 1
        if not log.isEnabledFor(logging.INFO):
            return
        line = {
            "msg": "request",
            "device": client.identity if client else None,
            "type": kind,
            "id": rid,
            "outcome": str(outcome),
            "ms": round((time.perf_counter() - started) * 1000, 2),
        }
        log.info(json.dumps(line, ensure_ascii=False))
