"""``novbe web``'s server: the citizens' pages over HTTP, each ticket's live websocket, and
the feed of the hall's events from the hub (docs/phone.md).

One asyncio loop, a process of its own beside the hall server: thousands of phones cost the
hub one connection (the web role's). A page's websocket is read-only and scoped to its one
ticket: the server sends, the phone only listens. The one thing a phone sends on is the
rating of its ticket's visit (``GET /t/TOKEN/rate``), which this process forwards to the hub
as a ``rate`` of the web role, for the ticket the token names only.
"""

from __future__ import annotations

import asyncio
import contextlib
import http
import json
import logging
import ssl
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from websockets.asyncio.client import ClientConnection, connect
from websockets.asyncio.server import ServerConnection, broadcast
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from wire.device import DeviceConfig
from wire.events import Event
from wire.messages import (
    BadServerMessage,
    ErrorMessage,
    EventMessage,
    QueuesNotice,
    Reply,
    Welcome,
    parse_server_message,
)
from wire.types import RatingReason, TicketId

from .. import security
from ..center import Center
from . import pages
from .replica import Replica, TicketPage

log = logging.getLogger("novbe.web")

__all__ = ["RateLimiter", "WebApp", "WebOptions", "follow_hub"]

TICK_S = 30.0
"""Every open page is looked at again this often: its wait moves with the clock too."""

CLOSE_GONE = 4404
"""Close code of a page's websocket when its ticket is gone (the next day opened): the page
reloads and shows why."""


@dataclass
class WebOptions:
    host: str = "127.0.0.1"
    port: int = 8080
    behind_proxy: bool = False
    """Take the citizen's address from ``X-Forwarded-For`` (the last address in it, the one
    the proxy saw). Only behind a reverse proxy that sets it: otherwise anyone could name
    any address and escape the rate limit."""
    burst: int = 60
    """Requests an address may make at once (page loads, live connections, JSON)."""
    per_second: float = 2.0
    """Requests an address may make per second after its burst."""
    max_live_per_address: int = 300
    """Open live pages from one address (a café's or a mobile network's shared address)."""


@dataclass
class RateLimiter:
    """A token bucket per address: ``burst`` at once, ``per_second`` after that."""

    burst: int
    per_second: float
    clock: Callable[[], float] = time.monotonic
    buckets: dict[str, tuple[float, float]] = field(default_factory=dict)
    """address -> (tokens, when last counted)."""

    def allow(self, address: str) -> bool:
        now = self.clock()
        tokens, then = self.buckets.get(address, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - then) * self.per_second)
        if tokens < 1.0:
            self.buckets[address] = (tokens, now)
            return False
        self.buckets[address] = (tokens - 1.0, now)
        return True

    def forget_idle(self) -> None:
        """Drop the buckets that have filled up again: the table holds only the busy."""
        now = self.clock()
        full = [
            a
            for a, (tokens, then) in self.buckets.items()
            if tokens + (now - then) * self.per_second >= self.burst
        ]
        for address in full:
            del self.buckets[address]


def _headers(content_type: str, body: bytes, *, cache: str = "no-store") -> Headers:
    return Headers(
        [
            ("Content-Type", content_type),
            ("Content-Length", str(len(body))),
            ("Cache-Control", cache),
            ("Content-Security-Policy", pages.CSP),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "no-referrer"),
            ("X-Frame-Options", "DENY"),
        ]
    )


def _response(status: http.HTTPStatus, content_type: str, body: bytes, **kw: Any) -> Response:
    headers = _headers(content_type, body, **kw)
    if status is http.HTTPStatus.TOO_MANY_REQUESTS:
        headers["Retry-After"] = "5"
    return Response(status.value, status.phrase, headers, body)


def _html(status: http.HTTPStatus, text: str) -> Response:
    return _response(status, "text/html; charset=utf-8", text.encode("utf-8"))


HUB_ANSWER_S = 5.0
"""How long a rating waits for the hub's answer before the page says to try again."""

RATED_WAIT_S = 2.0
RATED_WAIT_STEPS = 100
"""After the hub's yes, how long the answer waits for the replica to have the rating (the
event follows the reply on the same connection: at once, unless the hub is slow)."""


def _see_other(location: str) -> Response:
    headers = _headers("text/plain; charset=utf-8", b"")
    headers["Location"] = location
    return Response(http.HTTPStatus.SEE_OTHER.value, http.HTTPStatus.SEE_OTHER.phrase, headers, b"")


@dataclass(frozen=True)
class _RateAsked:
    """A rating from a ticket's page, checked and ready for the hub."""

    ticket: TicketId
    score: int
    reasons: tuple[RatingReason, ...]
    lang: str
    back: Response
    """Where the citizen goes after it: the ticket's page."""


@dataclass
class _Live:
    lang: str
    address: str


class WebApp:
    """The pages, the live connections and the replica they read."""

    def __init__(
        self,
        center: Center,
        options: WebOptions | None = None,
        *,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.center = center
        self.options = options or WebOptions()
        tz = ZoneInfo(center.hours.timezone)
        self.now = now or (lambda: datetime.now(tz))
        self.replica = Replica(center)
        self.ready = False
        """The hub's events of the day are in: until then pages say "starting"."""
        self.catching_up = True
        """Between the hub's welcome and the figures that follow its replay: open pages wait
        for the whole replay before they are told anything."""
        self.limiter = RateLimiter(self.options.burst, self.options.per_second)
        self.live: dict[TicketId, dict[ServerConnection, _Live]] = {}
        self.per_address: dict[str, int] = {}
        self.shown: dict[TicketId, TicketPage] = {}
        """What each ticket with an open page was last shown as."""
        self._pending: list[Event] = []
        self._flush_scheduled = False
        self.pushes = 0
        self.refused = 0
        self.hub: ClientConnection | None = None
        """The connection to the hub while it is up: the ratings go to it."""
        self._asked: dict[str, asyncio.Future[ErrorMessage | Reply]] = {}
        """Requests sent to the hub, by id, waiting for their answer."""
        self._closing: set[asyncio.Future[None]] = set()

    # --- the hub's events -----------------------------------------------------------------

    def on_welcome(self, welcome: Welcome) -> None:
        self.catching_up = True
        if not welcome.resumed:
            self.replica.reset()
            self.shown.clear()

    def on_caught_up(self) -> None:
        """The hub's replay is in (it sends the queue figures after it): serve, and tell
        every open page where its ticket is now."""
        self.ready = True
        if self.catching_up:
            self.catching_up = False
            self._pending.clear()
            self._schedule()

    def _schedule(self) -> None:
        if not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self.flush)

    def on_event(self, seq: int, event: Event) -> None:
        if seq <= self.replica.seq:
            return  # sent again after a resume
        self.replica.apply(seq, event)
        if not self.catching_up:
            # The events of one commit arrive in one go: one look at the pages for them all.
            self._pending.append(event)
            self._schedule()

    def flush(self) -> None:
        """Tell every open page its ticket's news, if it has any."""
        self._flush_scheduled = False
        if self.catching_up:
            return
        events, self._pending = self._pending, []
        services = self.replica.services_of(events) if events else None
        named = {getattr(e, "ticket", None) for e in events}
        at = self.now()
        # The tickets the events name first (the one called hears it before the others in
        # its line hear that they moved up).
        order = [t for t in self.live if t in named] + [t for t in self.live if t not in named]
        for ticket in order:
            if self.replica.engine.tickets.get(ticket) is None or not self._current(ticket):
                self._drop(ticket)
                continue
            service = self.replica.engine.tickets[ticket].service
            if services is not None and ticket not in named and service not in services:
                continue
            self._push(ticket, at)

    def _current(self, ticket: TicketId) -> bool:
        return self.replica.ticket_of(self.replica.token_of(ticket)) == ticket

    def _drop(self, ticket: TicketId) -> None:
        for ws in self.live.pop(ticket, {}):
            task = asyncio.ensure_future(ws.close(CLOSE_GONE, "the ticket's day is over"))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)
        self.shown.pop(ticket, None)

    def _push(self, ticket: TicketId, at: datetime, *, force: bool = False) -> None:
        page = self.replica.page(ticket, at)
        if not force and self.shown.get(ticket) == page:
            return
        self.shown[ticket] = page
        by_lang: dict[str, list[ServerConnection]] = {}
        for ws, live in self.live.get(ticket, {}).items():
            by_lang.setdefault(live.lang, []).append(ws)
        for lang, sockets in by_lang.items():
            broadcast(sockets, self._frame(ticket, page, lang, at))
            self.pushes += len(sockets)

    def _rate_action(self, ticket: TicketId) -> str:
        """Where a ticket's rating form goes, relative to its page ``/t/TOKEN``."""
        return f"{self.replica.token_of(ticket)}/rate"

    def _frame(self, ticket: TicketId, page: TicketPage, lang: str, at: datetime) -> str:
        return json.dumps(
            {
                "state": page.state,
                "title": pages.ticket_title(page, lang),
                "html": pages.ticket_fragment(page, lang, self._rate_action(ticket)),
                "status": pages.text("updated", lang, time=at.strftime("%H:%M:%S")),
            },
            ensure_ascii=False,
        )

    async def tick(self) -> None:
        """Every :data:`TICK_S`: every open page again (the wait moves with the clock), and
        the rate limiter's idle addresses forgotten."""
        while True:
            await asyncio.sleep(TICK_S)
            self.limiter.forget_idle()
            at = self.now()
            for ticket in list(self.live):
                if ticket in self.replica.engine.tickets and self._current(ticket):
                    self._push(ticket, at)

    # --- HTTP -----------------------------------------------------------------------------

    def address(self, connection: ServerConnection, request: Request) -> str:
        if self.options.behind_proxy:
            forwarded = request.headers.get("X-Forwarded-For")
            if forwarded:
                return forwarded.split(",")[-1].strip()
        peer = connection.remote_address
        return str(peer[0]) if peer else "?"

    async def process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        """Answer a plain HTTP request; None lets a page's websocket through."""
        answer = self.answer(connection, request)
        if isinstance(answer, _RateAsked):
            return await self._rate(answer)
        return answer

    def answer(self, connection: ServerConnection, request: Request) -> Response | _RateAsked | None:
        """What :meth:`process_request` answers, but a rating to send to the hub."""
        parts = urlsplit(request.path)
        query = parse_qs(parts.query)
        asked = next(iter(query.get("lang") or []), None)
        accept = request.headers.get("Accept-Language")
        path = parts.path
        if path == "/health":
            return self._health()
        address = self.address(connection, request)
        if not self.limiter.allow(address):
            self.refused += 1
            lang = pages.pick_lang(asked, accept, "")
            return _html(http.HTTPStatus.TOO_MANY_REQUESTS, pages.error_page("too_many", lang, None))
        if path == "/favicon.ico":
            return Response(204, "No Content", _headers("image/x-icon", b"", cache="max-age=86400"), b"")
        hall_href = self._hall_href(path)
        if not self.ready:
            lang = pages.pick_lang(asked, accept, "")
            return _html(http.HTTPStatus.SERVICE_UNAVAILABLE, pages.error_page("starting", lang, None))
        if path in ("/", ""):
            return self._hall(pages.pick_lang(asked, accept, ""))
        if path == "/api/queues":
            return self._queues_json()
        segments = path.strip("/").split("/")
        if segments[0] == "t" and len(segments) in (2, 3):
            token = security.normalize_ticket_token(segments[1])
            ticket = self.replica.ticket_of(token) if token is not None else None
            live = len(segments) == 3 and segments[2] == "live"
            if ticket is not None and len(segments) == 3 and segments[2] == "rate":
                return self._rate_asked(ticket, query, asked, accept)
            if ticket is not None and (len(segments) == 2 or live):
                if live:
                    if "websocket" not in request.headers.get("Upgrade", "").lower():
                        return self._not_found(asked, accept, hall_href)
                    if self.per_address.get(address, 0) >= self.options.max_live_per_address:
                        self.refused += 1
                        return _html(http.HTTPStatus.TOO_MANY_REQUESTS, "")
                    return None
                return self._ticket(ticket, asked, accept, hall_href)
        return self._not_found(asked, accept, hall_href)

    @staticmethod
    def _hall_href(path: str) -> str:
        """The hall page relative to ``path``: the pages work under any prefix a proxy gives."""
        depth = path.count("/") - 1
        return "../" * depth if depth > 0 else "./"

    def _not_found(self, asked: str | None, accept: str | None, hall_href: str) -> Response:
        lang = pages.pick_lang(asked, accept, "")
        return _html(http.HTTPStatus.NOT_FOUND, pages.error_page("not_found", lang, hall_href))

    def _ticket(self, ticket: TicketId, asked: str | None, accept: str | None, hall_href: str) -> Response:
        at = self.now()
        page = self.replica.page(ticket, at)
        lang = pages.pick_lang(asked, accept, page.lang)
        name, action = self._center_name(lang), self._rate_action(ticket)
        body = pages.ticket_page(page, lang, name, hall_href, at, action)
        return _html(http.HTTPStatus.OK, body)

    # --- a rating from a ticket's page -----------------------------------------------------

    def _rate_asked(
        self, ticket: TicketId, query: dict[str, list[str]], asked: str | None, accept: str | None
    ) -> Response | _RateAsked:
        """``GET /t/TOKEN/rate?score=N[&reason=R...][&send=1]``: the rating form's answer
        (docs/phone.md). The ticket is the one the token names, never one the query names."""
        page = self.replica.page(ticket, self.now())
        lang = pages.pick_lang(asked, accept, page.lang)
        back = _see_other(f"../{self.replica.token_of(ticket)}?lang={lang}")
        score_text = next(iter(query.get("score") or []), "")
        score = int(score_text) if score_text in ("1", "2", "3", "4", "5") else None
        try:
            reasons = tuple(dict.fromkeys(RatingReason(r) for r in query.get("reason", [])))
        except ValueError:
            return back
        if score is None or page.rating != "ask":
            return back  # rated already, not done, too late, or a mistyped address: the page says which
        if score < pages.SCORES[-1] and "send" not in query:
            body = pages.rating_reasons_page(page, lang, self._center_name(lang), score)
            return _html(http.HTTPStatus.OK, body)
        return _RateAsked(ticket, score, reasons, lang, back)

    async def _rate(self, asked: _RateAsked) -> Response:
        """Send the rating to the hub; once the replica has it, back to the ticket's page
        (which thanks). Refused (rated meanwhile, the day closed): back to the page too,
        which says why it no longer asks. The hub unreachable: a page to try again."""
        try:
            answer = await self.ask_hub(
                {"type": "rate", "ticket": asked.ticket, "score": asked.score, "reasons": list(asked.reasons)}
            )
        except (ConnectionError, TimeoutError):
            return _html(http.HTTPStatus.SERVICE_UNAVAILABLE, pages.error_page("not_sent", asked.lang, None))
        if isinstance(answer, ErrorMessage):
            log.info(json.dumps({"msg": "rating refused", "code": answer.code, "details": answer.details}))
            return asked.back
        # The hub sends the web role the event just after its reply: wait for the replica.
        for _ in range(RATED_WAIT_STEPS):
            if self.replica.rating(asked.ticket) != "ask":
                break
            await asyncio.sleep(RATED_WAIT_S / RATED_WAIT_STEPS)
        return asked.back

    async def ask_hub(self, request: dict[str, Any]) -> ErrorMessage | Reply:
        """A request of the web role to the hub, and its answer.

        Raises:
            ConnectionError: The hub is not connected (or the connection dropped).
            TimeoutError: No answer within :data:`HUB_ANSWER_S`.
        """
        hub = self.hub
        if hub is None:
            raise ConnectionError("not connected to the hub")
        rid = uuid.uuid4().hex
        answer: asyncio.Future[ErrorMessage | Reply] = asyncio.get_running_loop().create_future()
        self._asked[rid] = answer
        try:
            await hub.send(json.dumps({**request, "id": rid}))
            return await asyncio.wait_for(answer, HUB_ANSWER_S)
        except ConnectionClosed as exc:
            raise ConnectionError("the hub connection dropped") from exc
        finally:
            self._asked.pop(rid, None)

    def on_answer(self, message: ErrorMessage | Reply) -> bool:
        """An answer of the hub to one of :meth:`ask_hub`'s requests (False: to none)."""
        waiting = self._asked.get(message.id or "")
        if waiting is None or waiting.done():
            return False
        waiting.set_result(message)
        return True

    def on_hub_lost(self) -> None:
        self.hub = None
        for waiting in self._asked.values():
            if not waiting.done():
                waiting.set_exception(ConnectionError("the hub connection dropped"))

    def _center_name(self, lang: str) -> str:
        names = dict(self.center.name)
        return names.get(lang) or names.get("az") or self.center.code

    def _hall(self, lang: str) -> Response:
        at = self.now()
        hours = self.center.hours
        body = pages.hall_page(
            self.replica.hall_rows(at),
            {a.code: dict(a.name) for a in self.center.agencies},
            lang,
            self._center_name(lang),
            is_open=self.replica.engine.is_open,
            days=list(hours.days),
            opens=f"{hours.open:%H:%M}",
            closes=f"{hours.close:%H:%M}",
            at=at,
        )
        return _response(http.HTTPStatus.OK, "text/html; charset=utf-8", body.encode(), cache="max-age=10")

    def queues(self) -> dict[str, Any]:
        """The body of ``GET /api/queues`` (docs/phone.md)."""
        at = self.now()
        hours = self.center.hours
        agencies: list[dict[str, Any]] = []
        by_code: dict[str, dict[str, Any]] = {}
        for row in self.replica.hall_rows(at):
            if row.agency not in by_code:
                agency = self.center.agency(row.agency)
                by_code[row.agency] = {"code": agency.code, "name": dict(agency.name), "services": []}
                agencies.append(by_code[row.agency])
            f = row.figures
            by_code[row.agency]["services"].append(
                {
                    "code": row.service,
                    "name": dict(row.name),
                    "open": f.available,
                    "reason": f.reason,
                    "waiting": f.waiting,
                    "open_counters": f.open_counters,
                    "wait": {"low_min": f.wait.low_min, "high_min": f.wait.high_min} if f.wait else None,
                }
            )
        return {
            "center": self.center.code,
            "name": dict(self.center.name),
            "at": at.isoformat(timespec="seconds"),
            "open": self.replica.engine.is_open,
            "hours": {
                "days": list(hours.days),
                "open": f"{hours.open:%H:%M}",
                "close": f"{hours.close:%H:%M}",
            },
            "agencies": agencies,
        }

    def _queues_json(self) -> Response:
        body = json.dumps(self.queues(), ensure_ascii=False).encode("utf-8")
        response = _response(http.HTTPStatus.OK, "application/json", body, cache="max-age=10")
        response.headers["Access-Control-Allow-Origin"] = "*"  # for other sites and apps: public figures
        return response

    def _health(self) -> Response:
        body = json.dumps(
            {
                "status": "ok" if self.ready else "starting",
                "seq": self.replica.seq,
                "pages": sum(len(v) for v in self.live.values()),
            }
        ).encode()
        status = http.HTTPStatus.OK if self.ready else http.HTTPStatus.SERVICE_UNAVAILABLE
        return Response(status.value, status.phrase, Headers([("Content-Type", "application/json")]), body)

    # --- a page's websocket ---------------------------------------------------------------

    async def handler(self, ws: ServerConnection) -> None:
        """A page's live connection: its ticket's state now and at every change; read-only."""
        request = ws.request
        assert request is not None
        parts = urlsplit(request.path)
        token = security.normalize_ticket_token(parts.path.strip("/").split("/")[1])
        ticket = self.replica.ticket_of(token) if token is not None else None
        if ticket is None:
            await ws.close(CLOSE_GONE, "no such ticket")
            return
        at = self.now()
        page = self.replica.page(ticket, at)
        lang = pages.pick_lang(next(iter(parse_qs(parts.query).get("lang") or []), None), None, page.lang)
        address = self.address(ws, request)
        self.live.setdefault(ticket, {})[ws] = _Live(lang, address)
        self.per_address[address] = self.per_address.get(address, 0) + 1
        try:
            await ws.send(self._frame(ticket, page, lang, at))
            async for _ in ws:
                await ws.close(1008, "this connection only listens")
                break
        except ConnectionClosed:
            pass
        finally:
            self.live.get(ticket, {}).pop(ws, None)
            if not self.live.get(ticket):
                self.live.pop(ticket, None)
                self.shown.pop(ticket, None)
            left = self.per_address.get(address, 1) - 1
            if left > 0:
                self.per_address[address] = left
            else:
                self.per_address.pop(address, None)


async def follow_hub(app: WebApp, device: DeviceConfig, *, ssl_context: ssl.SSLContext | None = None) -> None:
    """Keep the replica up to date: connect to the hub as the web role, take the day's events,
    then every event as it happens; reconnect (resuming) whenever the connection drops."""
    backoff = 0.5
    while True:
        try:
            async with connect(
                device.server_url, compression=None, ssl=ssl_context, open_timeout=10, max_size=2**24
            ) as hub:
                hello = {
                    "type": "hello",
                    "role": "web",
                    "device": device.code,
                    "token": device.token,
                    "resume_from": app.replica.seq if app.ready else None,
                }
                await hub.send(json.dumps(hello))
                async for raw in hub:
                    try:
                        message = parse_server_message(raw)
                    except BadServerMessage as exc:
                        log.warning(json.dumps({"msg": "bad frame from the hub", "error": str(exc)}))
                        continue
                    if isinstance(message, Welcome):
                        app.on_welcome(message)
                        app.hub = hub
                        backoff = 0.5
                        log.info(json.dumps({"msg": "following the hub", "seq": message.seq}))
                    elif isinstance(message, EventMessage):
                        app.on_event(message.seq, message.event)
                    elif isinstance(message, QueuesNotice):
                        app.on_caught_up()
                    elif isinstance(message, Reply):
                        app.on_answer(message)
                    elif isinstance(message, ErrorMessage) and not app.on_answer(message):
                        log.error(json.dumps({"msg": "the hub refused", "code": message.code}))
        except (OSError, ConnectionClosed, TimeoutError) as exc:
            log.warning(json.dumps({"msg": "hub connection lost", "error": str(exc) or type(exc).__name__}))
        except asyncio.CancelledError:
            app.on_hub_lost()
            raise
        app.on_hub_lost()
        await asyncio.sleep(backoff)
        backoff = min(backoff * 2, 10.0)


async def close_all(app: WebApp) -> None:
    for sockets in list(app.live.values()):
        for ws in list(sockets):
            with contextlib.suppress(Exception):
                await ws.close(1001, "the server is stopping")
