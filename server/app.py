"""The hub: the websockets layer between the hall's devices and the queue engine.

One endpoint. Each connection introduces itself (``hello``) as a kiosk, counter,
display or supervisor; after that every message is validated (wire/protocol.py),
checked against the role, handed to the engine, committed to the event log, and only
then answered and fanned out to the clients that may see it.

Two engines run side by side: ``live`` decides (it is ahead of the log by the
commands whose commit is still in flight) and ``committed`` mirrors exactly what the
log holds. Snapshots, queue figures and resumes are read from ``committed``, so no
client is ever shown something that a crash could take back. Commits are grouped:
the requests that arrive while one transaction is being written go into the next one.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import http
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from websockets.asyncio.server import Server, ServerConnection, broadcast
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from wire import events as ev, messages as m, protocol as p
from wire.i18n import tr
from wire.types import CounterNo, Priority, Source

from . import views
from .center import Center, Operator
from .queue import QueueEngine, commands as c
from .queue.estimate import PoolEstimator
from .queue.exceptions import QueueError, ServiceUnavailable
from .security import verify_password
from .store import Commit, EventStore, StoreError

log = logging.getLogger("novbe.server")

HALL_MESSAGE = "hall_message"
"""The store setting that keeps the displays' scrolling line across restarts."""

RING_SIZE = 20_000
"""Recent committed events kept in memory for clients that resume."""

AUTO_CLOSE_AFTER = timedelta(hours=2)
"""The day is closed this long after closing time: citizens in the hall at closing are
still served; whoever still waits then ends as "not served, center closed"."""

REPLY_MEMORY = timedelta(hours=24)
"""How long a request id is recognised when it is sent again. A center day is a few
thousand tickets and a few tens of thousands of requests: they all fit in memory."""


@dataclass(eq=False)
class Client:
    """One authenticated connection."""

    ws: ServerConnection
    role: p.Role
    identity: str
    """``kiosk:kiosk-1``, ``counter:12``, ``display:lobby``, ``supervisor:login``: the
    key under which this device's request ids are remembered."""
    lang: str = "az"
    counter: CounterNo | None = None
    counters: frozenset[CounterNo] | None = None
    """For a display: the counters of its zones (None: all); for a board line: the counters
    whose boards are on it."""
    login: str | None = None


class StoreUnavailable(Exception):
    """A commit failed; nothing of the request was kept."""


@dataclass
class _Pending:
    commit: Commit
    future: asyncio.Future[list[int]]
    generation: int


@dataclass
class Stats:
    started: float = field(default_factory=time.monotonic)
    requests: int = 0
    errors: int = 0
    fanout_ms: collections.deque[float] = field(default_factory=lambda: collections.deque(maxlen=1000))
    """How long handing each of the last 1,000 events to its audience's sockets took."""

    def fanout(self) -> dict[str, float]:
        ordered = sorted(self.fanout_ms)
        if not ordered:
            return {"n": 0}

        def pick(q: float) -> float:
            return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)

        return {"n": len(ordered), "p50": pick(0.5), "p99": pick(0.99), "max": round(ordered[-1], 2)}


class Hub:
    """Owns the engines, the store, the connections and the group-commit writer."""

    def __init__(
        self, center: Center, store: EventStore, *, now: Callable[[], datetime] | None = None
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
        self.info = views.center_info(center)
        self.clients: set[Client] = set()
        self.by_role: dict[p.Role, set[Client]] = {role: set() for role in p.Role}
        self.counter_clients: dict[CounterNo, set[Client]] = collections.defaultdict(set)
        self.display_clients: dict[CounterNo, set[Client]] = collections.defaultdict(set)
        """The displays and board lines watching each counter."""
        self.ring: collections.deque[tuple[int, ev.Event, str | None]] = collections.deque(maxlen=RING_SIZE)
        """Recent committed events and their frames (made when first needed)."""
        self.replies: dict[tuple[str, str], dict[str, Any]] = {}
        self.in_flight: dict[tuple[str, str], asyncio.Future[dict[str, Any]]] = {}
        self.message: dict[str, str] | None = None
        self.devices: dict[str, tuple[str, dict[str, Any], datetime]] = {}
        """Each device component's last health report: name -> (role, status, at)."""
        self.stats = Stats()
        self._pending: list[_Pending] = []
        self._wake = asyncio.Event()
        self._generation = 0
        self._broken = False
        self._reload_requested = False
        """A request failed on a bug: the writer reloads the engines from the log."""
        self._closing = False
        self._tasks: list[asyncio.Task[None]] = []
        self._last_queues = ""
        self._counters_by_zone: dict[str, frozenset[CounterNo]] = {}
        for counter in center.counters:
            zone = counter.zone
            self._counters_by_zone[zone] = self._counters_by_zone.get(zone, frozenset()) | {counter.number}

    # --- life cycle ---------------------------------------------------------------------

    def load(self) -> int:
        """Rebuild both engines from the log. Returns the number of events replayed.

        A service day starts from nothing (``DayOpened`` clears the tickets, the numbering
        and the counters), so only the events since the last one are replayed: start-up
        takes as long as today's log, however many days the log holds.
        """
        live, committed = self._new_engine(), self._new_engine()
        self.ring.clear()
        start = self.store.last_seq_of("DayOpened")
        count = 0
        for stored in self.store.load(after_seq=start - 1 if start else 0):
            live.apply(stored.event)
            committed.apply(stored.event)
            self.ring.append((stored.seq, stored.event, None))
            count += 1
        self.live, self.committed, self.seq = live, committed, self.store.last_seq()
        since = self.now() - REPLY_MEMORY
        self.replies = {(client, rid): reply for client, rid, reply in self.store.replies_since(since)}
        self.devices = self.store.device_statuses()
        text = self.store.settings().get(HALL_MESSAGE, {}).get("text")
        self.message = text if isinstance(text, dict) else None
        return count

    def _new_engine(self) -> QueueEngine:
        return QueueEngine(self.hall, estimator=self.estimator)

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._writer(), name="writer"),
            asyncio.create_task(self._ticker(), name="ticker"),
        ]
        await self._keep_day()

    async def stop(self) -> None:
        """Stop taking requests, finish what is in flight, stop the background tasks."""
        self._closing = True
        if self.in_flight:
            # Requests already handed to the engine are finished and committed.
            await asyncio.wait([asyncio.ensure_future(f) for f in self.in_flight.values()], timeout=10)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def now(self) -> datetime:
        return self._now()

    # --- HTTP ---------------------------------------------------------------------------

    def process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        """Answer plain HTTP ``GET /health`` on the websocket port."""
        if request.path.split("?")[0] != "/health":
            return None
        body = json.dumps(
            {
                "status": "degraded" if self._broken else "ok",
                "center": self.center.code,
                "seq": self.seq,
                "day": self.committed.day.isoformat() if self.committed.day else None,
                "open": self.committed.is_open,
                "connections": len(self.clients),
                "requests": self.stats.requests,
                "errors": self.stats.errors,
                "fanout_ms": self.stats.fanout(),
                "uptime_s": round(time.monotonic() - self.stats.started, 1),
            }
        ).encode()
        status = http.HTTPStatus.SERVICE_UNAVAILABLE if self._broken else http.HTTPStatus.OK
        headers = Headers([("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return Response(status.value, status.phrase, headers, body)

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
                    kind = str(getattr(msg, "type", "?"))
                    rid = getattr(msg, "id", None)
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
                    elif client is None:
                        raise p.ProtocolError(p.ErrorCode.NOT_AUTHENTICATED, "send hello first", rid)
                    else:
                        outcome = await self._request(client, msg)
                except p.ProtocolError as exc:
                    outcome = exc.code
                    rid = exc.request_id or rid
                    lang = client.lang if client else "az"
                    await self._send(
                        ws,
                        m.error(exc.code, self._text(exc.code, lang, exc.message), rid, detail=exc.message),
                    )
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

    async def _send(self, ws: ServerConnection, message: dict[str, Any]) -> None:
        with contextlib.suppress(ConnectionClosed):
            await ws.send(m.dumps(message))

    def _text(self, code: str, lang: str, detail: str = "", **values: Any) -> str:
        return tr(f"error.{code}", lang, detail=detail, **values)

    async def _hello(self, ws: ServerConnection, hello: p.Hello) -> Client | None:
        """Authenticate a connection. Sends ``welcome``, or an error: ``wrong_password`` to a
        supervisor (unknown login and wrong password alike), ``auth_failed`` to a device."""
        client = await self._authenticate(ws, hello)
        if client is None:
            code = p.ErrorCode.WRONG_PASSWORD if hello.role is p.Role.SUPERVISOR else p.ErrorCode.AUTH_FAILED
            await self._send(ws, m.error(code, self._text(code, hello.lang), hello.id))
            return None
        if client.role is p.Role.COUNTER and client.counter is not None:
            # A counter app that reconnects replaces its old, possibly half-dead connection.
            for old in list(self.counter_clients[client.counter]):
                self._forget(old)
                with contextlib.suppress(Exception):
                    await old.ws.close(4000, "replaced by a new connection")
        self._register(client)
        try:
            self._welcome(client, hello.id, hello.resume_from)
        except Exception:
            self._forget(client)  # the connection stays, unauthenticated
            raise
        return client

    async def _authenticate(self, ws: ServerConnection, hello: p.Hello) -> Client | None:
        role = hello.role
        if role is p.Role.SUPERVISOR:
            try:
                operator = self.center.operator(hello.login or "")
            except KeyError:
                return None
            if not operator.supervisor:
                return None
            if not await asyncio.to_thread(verify_password, operator.password_hash, hello.password or ""):
                return None
            return Client(ws, role, f"supervisor:{operator.login}", hello.lang, login=operator.login)
        device = self.center.device_by_token(hello.token or "")
        if device is None or device.role != role.value or device.code != hello.device:
            return None
        if role is p.Role.KIOSK:
            return Client(ws, role, f"kiosk:{device.code}", hello.lang)
        if role is p.Role.DISPLAY:
            display = self.center.display(device.code)
            shown: frozenset[CounterNo] = frozenset().union(
                *(self._counters_by_zone.get(z, frozenset()) for z in display.zones)
            )
            return Client(ws, role, f"display:{device.code}", hello.lang, counters=shown)
        if role is p.Role.BOARDS:
            driven = frozenset(self.center.boards_on_line(device.code))
            return Client(ws, role, f"boards:{device.code}", hello.lang, counters=driven)
        number = int(device.code)
        return Client(ws, role, f"counter:{number}", hello.lang, counter=number)

    def _register(self, client: Client) -> None:
        self.clients.add(client)
        self.by_role[client.role].add(client)
        if client.counter is not None:
            self.counter_clients[client.counter].add(client)
        if client.role in _WATCHERS:
            for number in client.counters if client.counters is not None else self.hall.counters:
                self.display_clients[number].add(client)

    def _forget(self, client: Client) -> None:
        self.clients.discard(client)
        self.by_role[client.role].discard(client)
        if client.counter is not None:
            self.counter_clients[client.counter].discard(client)
        if client.role in _WATCHERS:
            for number in client.counters if client.counters is not None else self.hall.counters:
                self.display_clients[number].discard(client)

    def _welcome(self, client: Client, rid: str | None, resume_from: int | None) -> None:
        """Send ``welcome``: a snapshot, or the events missed since ``resume_from``.

        Runs without an ``await`` between reading the committed state and the client
        being registered for fan-out (done before), so nothing falls between the two.
        """
        replay = self._missed(client, resume_from)
        welcome = m.Welcome(
            id=rid,
            role=str(client.role),
            device=client.identity.split(":", 1)[1],
            seq=self.seq,
            server_time=self.now(),
            center=self.info,
            resumed=replay is not None,
            snapshot=None if replay is not None else self._snapshot(client),
        )
        frames = [m.dumps(welcome)]
        if replay is not None:
            frames.extend(replay)
        # Written in one go, without yielding to the event loop: a live event published
        # meanwhile would otherwise reach this client between the replayed ones.
        for frame in frames:
            broadcast([client.ws], frame)

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
            if seq > resume_from and self._may_see(client, event)
        ]

    def _snapshot(self, client: Client) -> m.Snapshot:
        devices = None
        if client.role is p.Role.SUPERVISOR:
            devices = {
                name: m.DeviceHealth(role=role, status=m.HealthStatus.model_validate(status), at=at)
                for name, (role, status, at) in self.devices.items()
            }
        return views.snapshot(
            self.committed,
            role=str(client.role),
            counters=client.counters,
            counter=client.counter,
            at=self.now(),
            message=self.message,
            devices=devices,
        )

    # --- requests -----------------------------------------------------------------------

    async def _request(self, client: Client, msg: BaseModel) -> str:
        """Answer one request; returns its outcome for the log (``ok`` or an error code)."""
        kind: str = msg.type  # type: ignore[attr-defined]
        rid: str = msg.id  # type: ignore[attr-defined]
        if kind not in p.ROLE_REQUESTS[client.role]:
            raise p.ProtocolError(p.ErrorCode.FORBIDDEN, f"a {client.role} may not send {kind}", rid)
        key = (client.identity, rid)
        if kind == "sync":
            assert isinstance(msg, p.Sync)
            self._welcome(client, rid, msg.resume_from)
            return "ok"
        known = await self._known_reply(key)
        if known is not None:
            await self._send(client.ws, known)
            return "repeat"
        if self._closing:
            raise p.ProtocolError(p.ErrorCode.SHUTTING_DOWN, "the server is stopping", rid)
        if self._broken:
            raise p.ProtocolError(p.ErrorCode.STORE_UNAVAILABLE, "the store is being recovered", rid)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.in_flight[key] = future
        try:
            answer = await self._execute(client, msg, key)
        except p.ProtocolError as exc:
            answer = m.error(
                exc.code, self._text(exc.code, client.lang, exc.message), rid, detail=exc.message
            )
        except QueueError as exc:
            answer = self._queue_error(exc, client.lang, rid)
        except StoreUnavailable:
            text = self._text("store_unavailable", client.lang)
            detail = "the database write failed; nothing was kept"
            answer = m.error(p.ErrorCode.STORE_UNAVAILABLE, text, rid, detail=detail)
            return await self._send_unremembered(client, key, future, answer)
        except Exception:
            # A bug. The live engine may hold a decision that will never be committed:
            # throw away every uncommitted one, as after a failed write.
            log.exception(
                json.dumps({"msg": "request failed", "device": client.identity, "type": kind, "id": rid})
            )
            self._reload_requested = True
            self._wake.set()
            return await self._send_unremembered(client, key, future, self._internal_error(client.lang, rid))
        self._remember(key, answer)
        future.set_result(answer)
        del self.in_flight[key]
        await self._send(client.ws, answer)
        return "ok" if answer.get("ok") else str(answer.get("code"))

    async def _send_unremembered(
        self,
        client: Client,
        key: tuple[str, str],
        future: asyncio.Future[dict[str, Any]],
        answer: dict[str, Any],
    ) -> str:
        """Send an answer after which nothing changed: a retry with the same id runs again."""
        future.set_result(answer)
        del self.in_flight[key]
        await self._send(client.ws, answer)
        return str(answer["code"])

    def _internal_error(self, lang: str, rid: str | None) -> dict[str, Any]:
        detail = "the server failed on this request; nothing changed"
        return m.error(p.ErrorCode.INTERNAL_ERROR, self._text("internal_error", lang), rid, detail=detail)

    def _queue_error(self, exc: QueueError, lang: str, rid: str | None) -> dict[str, Any]:
        detail = exc.message
        if isinstance(exc, ServiceUnavailable):
            reason = str(exc.details.get("reason", "closed"))
            detail = tr(f"error.service_{reason}", lang) if reason in ("closed", "full") else exc.message
        details = {
            k: v for k, v in exc.details.items() if isinstance(v, str | int | float | bool) or v is None
        }
        return m.error(exc.code, self._text(exc.code, lang, detail), rid, detail=exc.message, **details)

    async def _known_reply(self, key: tuple[str, str]) -> dict[str, Any] | None:
        cached = self.replies.get(key)
        if cached is not None:
            return cached
        running = self.in_flight.get(key)
        if running is not None:
            return await asyncio.shield(running)
        # Replies of the last REPLY_MEMORY were loaded at start-up and every new one is
        # remembered, so there is nothing to look up in the database.
        return None

    def _remember(self, key: tuple[str, str], answer: dict[str, Any]) -> None:
        self.replies[key] = answer

    async def _execute(self, client: Client, msg: BaseModel, key: tuple[str, str]) -> dict[str, Any]:
        """Run one request; returns the reply (already committed when it changed state)."""
        at = self.now()
        rid = key[1]
        if isinstance(msg, p.Issue):
            cmd: c.Command = c.IssueTicket(
                service=msg.service,
                lang=msg.lang,
                priority=Priority(msg.priority),
                source=Source.APPOINTMENT if msg.appointment else Source.KIOSK,
                appointment=msg.appointment,
                at=at,
            )
            events = self.live.handle(cmd)
            issued = next(e for e in events if isinstance(e, ev.TicketIssued))
            result = m.IssueResult(ticket=views.issued_ticket(self.live, issued))
            return await self._commit(events, key, m.reply(rid, result))
        if isinstance(msg, p.ReportHealth):
            return await self._report_health(client, msg, at)
        if isinstance(msg, p.SetMessage):
            self.message = {str(k): v for k, v in msg.text.items()} if msg.text else None
            await asyncio.to_thread(self.store.set_setting, HALL_MESSAGE, {"text": self.message}, at)
            frame = m.dumps(m.MessageNotice(text=self.message))
            broadcast(self._conns(self.by_role[p.Role.DISPLAY] | self.by_role[p.Role.SUPERVISOR]), frame)
            return m.reply(rid, m.MessageResult(text=self.message))
        if client.role is p.Role.COUNTER:
            return await self._counter_request(client, msg, key, at)
        return await self._supervisor_request(msg, key, at)

    async def _counter_request(
        self, client: Client, msg: BaseModel, key: tuple[str, str], at: datetime
    ) -> dict[str, Any]:
        number = client.counter
        assert number is not None, "counter connection without a counter"
        rid = key[1]
        status = self.live.counters[number]
        if isinstance(msg, p.Login):
            try:
                operator: Operator | None = self.center.operator(msg.login)
            except KeyError:
                operator = None
            ok = operator is not None and await asyncio.to_thread(
                verify_password, operator.password_hash, msg.password
            )
            if not ok or operator is None:
                raise p.ProtocolError(p.ErrorCode.WRONG_PASSWORD, "wrong login or password", rid)
            if operator.counters and number not in operator.counters:
                raise p.ProtocolError(
                    p.ErrorCode.OPERATOR_NOT_ALLOWED, f"{msg.login} may not work at {number}", rid
                )
            status = self.live.counters[number]  # re-read: the password check awaited
            # These two name who or where in their text and details; a ProtocolError can
            # only fill {detail}, and the texts' {operator} and {counter} stayed raw.
            if status.operator and status.operator != operator.login:
                text = self._text("counter_taken", client.lang, operator=status.operator)
                detail = f"counter {number} is taken by {status.operator}"
                return m.error(p.ErrorCode.COUNTER_TAKEN, text, rid, detail=detail, operator=status.operator)
            for other, st in self.live.counters.items():
                if other != number and st.operator == operator.login:
                    text = self._text("operator_elsewhere", client.lang, counter=other)
                    detail = f"{operator.login} works at counter {other}"
                    return m.error(p.ErrorCode.OPERATOR_ELSEWHERE, text, rid, detail=detail, counter=other)
            who = m.OperatorInfo(login=operator.login, name=operator.full_name)
            if status.operator == operator.login and str(status.state) != "closed":
                return m.reply(
                    rid, m.CounterResult(operator=who, counter=views.counter_view(self.live, number))
                )
            events = self.live.handle(c.OpenCounter(counter=number, operator=operator.login, at=at))
            logged_in = m.CounterResult(operator=who, counter=views.counter_view(self.live, number))
            return await self._commit(events, key, m.reply(rid, logged_in))
        if not status.operator:
            raise p.ProtocolError(p.ErrorCode.NOT_LOGGED_IN, "log in first", rid)
        cmd: c.Command
        kind: str = msg.type  # type: ignore[attr-defined]
        if isinstance(msg, p.Logout):
            cmd = c.CloseCounter(counter=number, at=at)
        elif isinstance(msg, p.CallTicket):
            cmd = c.CallTicket(counter=number, ticket=msg.ticket, at=at)
        elif isinstance(msg, p.Transfer):
            cmd = c.Transfer(
                counter=number,
                to_service=msg.to_service,
                to_counter=msg.to_counter,
                return_to_me=msg.return_to_me,
                at=at,
            )
        else:
            cmd = _COUNTER_ACTIONS[kind](counter=number, at=at)
        before = status.current
        events = self.live.handle(cmd)
        after = self.live.counters[number].current
        shown = after or before
        result = m.CounterResult(
            counter=views.counter_view(self.live, number),
            ticket=views.ticket_view(self.live.tickets[shown]) if shown is not None else None,
        )
        return await self._commit(events, key, m.reply(rid, result))

    async def _supervisor_request(self, msg: BaseModel, key: tuple[str, str], at: datetime) -> dict[str, Any]:
        rid = key[1]
        cmd: c.Command
        if isinstance(msg, p.SupervisorCounter):
            kinds: dict[str, Any] = {
                "open_counter": c.OpenCounter,
                "close_counter": c.CloseCounter,
                "pause_counter": c.PauseCounter,
                "resume_counter": c.ResumeCounter,
            }
            cmd = kinds[msg.type](counter=msg.counter, at=at)
        elif isinstance(msg, p.DayAction):
            cmd = c.OpenDay(day=at.date(), at=at) if msg.type == "open_day" else c.CloseDay(at=at)
        elif isinstance(msg, p.Cancel):
            cmd = c.CancelTicket(ticket=msg.ticket, at=at)
        else:
            raise p.ProtocolError(p.ErrorCode.FORBIDDEN, "not a supervisor request", rid)
        events = self.live.handle(cmd)
        return await self._commit(events, key, m.reply(rid, m.EventsResult(events=tuple(events))))

    async def _report_health(self, client: Client, msg: p.ReportHealth, at: datetime) -> dict[str, Any]:
        status = {"component": msg.component, "status": msg.status, "detail": msg.detail}
        name = f"{client.identity}/{msg.component}"
        previous = self.devices.get(name)
        await asyncio.to_thread(self.store.record_device_status, name, str(client.role), status, at)
        self.devices[name] = (str(client.role), status, at)
        health = m.HealthStatus(component=msg.component, status=msg.status, detail=msg.detail)
        frames = [m.dumps(m.DeviceStatusNotice(device=name, role=str(client.role), status=health, at=at))]
        was = str(previous[1].get("status")) if previous is not None else "ok"
        change = health_change(was, msg.status)
        if change is not None:
            notice = m.AlertNotice if change == "alert" else m.RecoveredNotice
            frames.append(m.dumps(notice(device=name, status=health, was=was, at=at)))
            what = "device failed" if change == "alert" else "device recovered"
            line = json.dumps({"msg": what, "device": name, "was": was} | status, ensure_ascii=False)
            log.log(logging.WARNING if change == "alert" else logging.INFO, line)
        for frame in frames:
            broadcast(self._conns(self.by_role[p.Role.SUPERVISOR]), frame)
        return m.reply(msg.id, m.HealthResult(recorded=True))

    # --- commits and fan-out ------------------------------------------------------------

    async def _commit(
        self, events: list[ev.Event], key: tuple[str, str] | None, answer: dict[str, Any] | None
    ) -> dict[str, Any]:
        """Queue events (and the reply they produced) for the next group commit; return
        the reply once it is durable. Raises StoreUnavailable if the commit failed."""
        future: asyncio.Future[list[int]] = asyncio.get_running_loop().create_future()
        self._pending.append(
            _Pending(Commit(events=events, request=key, reply=answer), future, self._generation)
        )
        self._wake.set()
        await future
        return answer or {}

    async def _writer(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            if self._reload_requested:
                self._reload_requested = False
                await self._recover()
                continue
            batch, self._pending = self._pending, []
            if not batch:
                continue
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
        """Throw away the live engine's uncommitted decisions and reload from the log."""
        self._broken = True
        self._generation += 1
        for item in self._pending:
            item.future.set_exception(StoreUnavailable())
        self._pending = []
        while True:
            try:
                await asyncio.to_thread(self.load)
                break
            except StoreError:
                log.exception("store still unavailable")
                await asyncio.sleep(1.0)
        self._broken = False

    def _publish(self, events: Sequence[ev.Event], seqs: list[int]) -> None:
        """Mirror committed events into ``committed`` and fan them out, in log order."""
        for event, seq in zip(events, seqs, strict=True):
            self.committed.apply(event)
            self.seq = seq
            frame = m.event_frame(seq, event)
            self.ring.append((seq, event, frame))
            started = time.perf_counter()
            targets = self._audience(event)
            if targets:
                broadcast(self._conns(targets), frame)
                self.stats.fanout_ms.append((time.perf_counter() - started) * 1000)

    @staticmethod
    def _conns(clients: set[Client]) -> list[ServerConnection]:
        return [client.ws for client in clients]

    def _audience(self, event: ev.Event) -> set[Client]:
        audience = set(self.by_role[p.Role.SUPERVISOR])
        if isinstance(event, ev.DayOpened | ev.DayClosed):
            return audience | self.clients
        counters: list[CounterNo] = []
        if isinstance(event, ev.TicketTransferred):
            counters.append(event.from_counter)
            if event.to_counter is not None:
                counters.append(event.to_counter)
        else:
            number = getattr(event, "counter", None)
            if isinstance(number, int):
                counters.append(number)
        for number in counters:
            audience |= self.counter_clients.get(number, set())
            audience |= self.display_clients.get(number, set())
        return audience

    def _may_see(self, client: Client, event: ev.Event) -> bool:
        return client in self._audience(event)

    # --- background ---------------------------------------------------------------------

    async def _ticker(self) -> None:
        """Once a second: queue figures to everyone when they changed; the day's clock."""
        tick = 0
        while True:
            await asyncio.sleep(1.0)
            tick += 1
            try:
                if not self._broken:
                    self._send_queues()
                    if tick % 30 == 0:
                        await self._keep_day()
            except Exception:
                log.exception("background tick failed")

    def _send_queues(self) -> None:
        if not self.clients:
            return
        text = m.dumps(m.QueuesNotice(services=views.queue_stats(self.committed, self.now())))
        if text != self._last_queues:
            self._last_queues = text
            broadcast(self._conns(self.clients), text)

    async def _keep_day(self) -> None:
        """Open the service day in the morning and close it at night, by the center's hours."""
        now = self.now()
        today = now.date()
        working = now.strftime("%a") in self.center.hours.days
        opens_at = datetime.combine(today, self.center.hours.open, self.tz) - timedelta(hours=1)
        closes_at = datetime.combine(today, self.center.hours.close, self.tz) + AUTO_CLOSE_AFTER
        events: list[ev.Event] = []
        try:
            if self.live.is_open and (self.live.day != today or now >= closes_at):
                events += self.live.handle(c.CloseDay(at=now))
            if working and not self.live.is_open and self.live.day != today and opens_at <= now < closes_at:
                events += self.live.handle(c.OpenDay(day=today, at=now))
        except QueueError:
            log.exception("day keeping failed")
        if events:
            with contextlib.suppress(StoreUnavailable):
                await self._commit(events, None, None)

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


def health_change(was: str, now: str) -> Literal["alert", "recovered"] | None:
    """What to tell the supervisors when a component's health goes from ``was`` to ``now``.

    ``alert`` on every change into a worse state: a higher level of
    :data:`wire.protocol.HEALTH_SEVERITY` (ok -> paper_low -> paper_out), or another status
    of the same level (offline -> paper_out: someone must now do something else).
    ``recovered`` on a lower level; None when nothing changed. A status the table doesn't
    know (a report stored by an older version) counts as the worst.
    """
    if was == now:
        return None
    worst = max(p.HEALTH_SEVERITY.values())
    if p.HEALTH_SEVERITY.get(now, worst) < p.HEALTH_SEVERITY.get(was, worst):
        return "recovered"
    return "alert"


_WATCHERS = frozenset({p.Role.DISPLAY, p.Role.BOARDS})
"""Roles that see the calls of a set of counters: displays (by zone), board lines (their boards)."""

_COUNTER_ACTIONS: dict[str, Any] = {
    "call_next": c.CallNext,
    "recall": c.Recall,
    "start": c.StartService,
    "finish": c.FinishService,
    "no_show": c.MarkNoShow,
    "park": c.Park,
    "pause": c.PauseCounter,
    "resume": c.ResumeCounter,
}


__all__ = ["Client", "Hub", "Server", "health_change"]
