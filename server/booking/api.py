"""The booking API: HTTP JSON in the hall server's process, for the booking system that
books citizens online (``novbe server --booking-port N``; docs/appointments.md has every
endpoint with examples).

Every request carries ``Authorization: Bearer <token>``, checked against ``[appointments]
token_sha256`` of the center file (``novbe appointments token`` makes one). A change (make,
move, cancel) is an engine command decided by the hub's live engine and committed by the hub's
one writer (:meth:`server.hub.Hub.change_bookings`), like a device's request: two requests for
the last place of a slot, one wins; a write that fails answers 503 ``store_unavailable`` and
keeps nothing. What is read comes from the committed engine: nothing a crash could take back.

A change sent with an ``Idempotency-Key`` header is answered once: the same key again (from the
same token, with the same method, path and body) gets the first answer, from the hub's stored
replies (:meth:`server.hub.Hub.answer_once`, the path a device's repeated request id takes),
kept in the log in the same transaction as the booking's event, so also after a restart.

Errors are ``{"error": CODE, "message": TEXT, "details": {...}}`` with the status of
:data:`STATUS`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Literal, TypeVar

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from server import security
from server.hub import Hub
from server.hub.writer import StoreUnavailable, WriterStopped
from server.queue import commands as c
from server.queue.book import CODE_DIGITS, Booking, BookingRefused, normal_code

from .qr import qr_png, qr_svg

log = logging.getLogger("novbe.server")

MAX_BODY = 16 * 1024
"""A request body longer than this many bytes is refused (413)."""

CODE_DRAWS = 20
"""How many random codes a new booking tries before giving up (each is 1 in 10^8 to be taken)."""

STATUS: dict[str, int] = {
    "bad_json": 400,
    "not_authenticated": 401,
    "not_found": 404,
    "unknown_booking": 404,
    "method_not_allowed": 405,
    "slot_full": 409,
    "booking_closed": 409,
    "code_taken": 409,
    "too_large": 413,
    "invalid_request": 422,
    "idempotency_key_reused": 422,
    "unknown_service": 422,
    "not_a_slot": 422,
    "bad_code": 422,
    "internal_error": 500,
    "store_unavailable": 503,
    "shutting_down": 503,
}
"""The HTTP status of each error code."""

IDEMPOTENCY_KEY = "Idempotency-Key"
"""The request header that makes a change answered once (docs/appointments.md)."""

KEY_LENGTH = 100
"""The longest idempotency key taken (printable ASCII, no spaces)."""

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Answer = tuple[int, dict[str, Any]]
"""An endpoint's answer: its status and its JSON body."""


@dataclass(frozen=True)
class Once:
    """A change sent with an idempotency key: the hub's request key (the token's identity, the
    key) and the fingerprint of what was asked (method, path, body)."""

    key: tuple[str, str]
    fingerprint: str

    def stored(self, status: int, body: dict[str, Any]) -> dict[str, Any]:
        """The answer as kept in the log's replies."""
        return {"request": self.fingerprint, "status": status, "body": body}


class ApiError(Exception):
    def __init__(self, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NewBooking(_Body):
    service: Annotated[str, Field(min_length=1, max_length=32)]
    slot_at: datetime
    """The slot's start: ISO 8601; without an offset, the center's local time."""
    name: Annotated[str, Field(max_length=100)] | None = None
    phone: Annotated[str, Field(max_length=32)] | None = None
    lang: Literal["az", "ru", "en"] = "az"
    by: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    """Who made it, for the log (``novbe appointments import`` sends ``import``)."""


class MovedBooking(_Body):
    slot_at: datetime
    by: Annotated[str, Field(min_length=1, max_length=64)] | None = None


def booking_json(booking: Booking) -> dict[str, Any]:
    """A booking as the API shows it."""
    return {
        "code": booking.code,
        "service": booking.service,
        "slot_at": booking.slot_at.isoformat(),
        "state": booking.state.value,
        "lang": booking.lang,
        "name": booking.name,
        "phone": booking.phone,
        "made_at": booking.made_at.isoformat(),
        "ticket": booking.ticket,
        "changed_at": booking.changed_at.isoformat() if booking.changed_at else None,
        "qr": {
            "text": booking.code,
            "svg": f"/bookings/{booking.code}/qr.svg",
            "png": f"/bookings/{booking.code}/qr.png",
        },
    }


class BookingApi:
    """The booking API of one hub; :meth:`start` listens, :meth:`stop` stops."""

    def __init__(self, hub: Hub, token_sha256: str) -> None:
        self.hub = hub
        self._token_sha256 = token_sha256
        self._identity = f"booking:{token_sha256[:16]}"
        """Whose requests these are, for the hub's stored replies: the token's."""
        self._runner: web.AppRunner | None = None
        self.app = web.Application(client_max_size=MAX_BODY, middlewares=[self._errors, self._authenticated])
        self.app.add_routes(
            [
                web.get("/bookings", self.list_bookings),
                web.post("/bookings", self.create),
                web.get("/bookings/{code}", self.get_one),
                web.patch("/bookings/{code}", self.move),
                web.delete("/bookings/{code}", self.cancel),
                web.get("/bookings/{code}/qr.svg", self.qr_svg),
                web.get("/bookings/{code}/qr.png", self.qr_png),
                web.get("/slots", self.free_slots),
            ]
        )

    async def start(self, host: str, port: int) -> int:
        """Listen on ``host``:``port`` (0: a free port); returns the port."""
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await self._runner.setup()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        listening = socket.socket(family, socket.SOCK_STREAM)
        try:
            listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listening.bind((host, port))
        except OSError:
            listening.close()
            await self._runner.cleanup()
            raise
        await web.SockSite(self._runner, listening).start()
        return int(listening.getsockname()[1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # --- middlewares --------------------------------------------------------------------

    @web.middleware
    async def _errors(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPRequestEntityTooLarge:
            return _error("too_large", f"the body is larger than {MAX_BODY} bytes")
        except web.HTTPMethodNotAllowed as exc:
            allowed = sorted(exc.allowed_methods)
            return _error("method_not_allowed", f"{request.method} is not allowed here", allowed=allowed)
        except web.HTTPNotFound:
            return _error("not_found", f"no such endpoint: {request.path} (docs/appointments.md lists them)")
        except web.HTTPException:
            raise
        except KNOWN as exc:
            return _respond(_failure(exc))
        except Exception:
            log.exception(json.dumps({"msg": "booking request failed", "path": request.path}))
            return _respond(INTERNAL)

    @web.middleware
    async def _authenticated(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        given = request.headers.get("Authorization", "")
        scheme, _, token = given.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError("not_authenticated", "send the API token: Authorization: Bearer <token>")
        if not security.verify_token(self._token_sha256, token.strip()):
            raise ApiError("not_authenticated", "wrong API token")
        return await handler(request)

    # --- endpoints ----------------------------------------------------------------------

    async def create(self, request: web.Request) -> web.Response:
        data = await _json(request)
        body = _parse(NewBooking, data)
        self._known_service(body.service)
        slot_at = self._local(body.slot_at)

        async def run(once: Once | None) -> Answer:
            for _ in range(CODE_DRAWS):
                code = self._new_code()
                command = c.MakeBooking(
                    code=code,
                    service=body.service,
                    slot_at=slot_at,
                    at=self.hub.now(),
                    lang=body.lang,
                    name=body.name,
                    phone=body.phone,
                    by=body.by,
                )
                try:
                    return await self._change(command, code, 201, once, qr=True)
                except BookingRefused as exc:
                    if exc.code == "code_taken":
                        continue
                    raise
            raise ApiError("internal_error", "no free booking code was found; try again")

        return await self._once(request, data, run)

    async def move(self, request: web.Request) -> web.Response:
        code = self._code(request)
        data = await _json(request)
        body = _parse(MovedBooking, data)
        slot_at = self._local(body.slot_at)

        async def run(once: Once | None) -> Answer:
            command = c.MoveBooking(code=code, slot_at=slot_at, at=self.hub.now(), by=body.by)
            return await self._change(command, code, 200, once)

        return await self._once(request, data, run)

    async def cancel(self, request: web.Request) -> web.Response:
        code = self._code(request)

        async def run(once: Once | None) -> Answer:
            return await self._change(c.CancelBooking(code=code, at=self.hub.now()), code, 200, once)

        return await self._once(request, None, run)

    async def get_one(self, request: web.Request) -> web.Response:
        return web.json_response(booking_json(self._booking(self._code(request))))

    async def list_bookings(self, request: web.Request) -> web.Response:
        day = self._day(request)
        service = request.query.get("service")
        if service is not None:
            self._known_service(service)
        found = self.hub.committed.book.bookings(day, service)
        return web.json_response(
            {"day": day.isoformat(), "service": service, "bookings": [booking_json(b) for b in found]}
        )

    async def free_slots(self, request: web.Request) -> web.Response:
        """The slots of a day that can still be booked: not begun, not full."""
        day = self._day(request)
        wanted = request.query.get("service")
        if wanted is not None:
            self._known_service(wanted)
        book = self.hub.committed.book
        services = [wanted] if wanted else sorted({h.service for h in self.hub.hall.bookings.slots})
        now = self.hub.now()
        slots = [
            {
                "service": slot.service,
                "start": slot.start.isoformat(),
                "minutes": slot.minutes,
                "capacity": slot.capacity,
                "booked": slot.booked,
                "free": slot.free,
            }
            for service in services
            for slot in book.slots(service, day, now)
            if slot.start > now and slot.free > 0
        ]
        slots.sort(key=lambda s: (s["start"], s["service"]))
        return web.json_response({"day": day.isoformat(), "service": wanted, "slots": slots})

    async def qr_svg(self, request: web.Request) -> web.Response:
        code = self._booking(self._code(request)).code
        return web.Response(text=qr_svg(code), content_type="image/svg+xml")

    async def qr_png(self, request: web.Request) -> web.Response:
        code = self._booking(self._code(request)).code
        return web.Response(body=qr_png(code), content_type="image/png")

    # --- answered once -----------------------------------------------------------------

    async def _change(
        self, command: c.Command, code: str, status: int, once: Once | None, qr: bool = False
    ) -> Answer:
        """Decide and commit ``command``; the answer shows booking ``code`` as the command
        left it (with a key, the answer is committed with the events)."""
        shown: dict[str, Any] = {}

        def answer() -> dict[str, Any]:
            booking = self.hub.live.book.get(code)
            assert booking is not None, f"booking {code} is not there after {command!r}"
            shown.update(booking_json(booking) | ({"qr_svg": qr_svg(code)} if qr else {}))
            assert once is not None
            return once.stored(status, shown)

        if once is None:
            await self.hub.change_bookings(command)
            answer_now = booking_json(self._booking(code)) | ({"qr_svg": qr_svg(code)} if qr else {})
            return status, answer_now
        await self.hub.change_bookings(command, once.key, answer)
        return status, shown

    async def _once(
        self,
        request: web.Request,
        body: dict[str, Any] | None,
        run: Callable[[Once | None], Awaitable[Answer]],
    ) -> web.Response:
        """``run``'s answer; with an ``Idempotency-Key``, the first answer to that key."""
        given = request.headers.get(IDEMPOTENCY_KEY)
        if given is None:
            return _respond(await run(None))
        once = Once(key=(self._identity, _idempotency_key(given)), fingerprint=_fingerprint(request, body))

        async def produce() -> tuple[str, bool]:
            try:
                return _text(once.stored(*await run(once))), True
            except BookingRefused as exc:
                # Kept like a booking: a retry is refused alike, also after a restart.
                refused = once.stored(STATUS[exc.code], _body(exc.code, exc.message, **exc.details))
                try:
                    await self.hub.keep_reply(once.key, refused)
                except StoreUnavailable as failed:
                    return _text(once.stored(*_failure(failed))), False
                return _text(refused), True
            except KNOWN as exc:
                # Nothing was kept (a failed write): a retry runs again.
                return _text(once.stored(*_failure(exc))), False
            except Exception:
                log.exception(json.dumps({"msg": "booking request failed", "path": request.path}))
                return _text(once.stored(*INTERNAL)), False

        text = await self.hub.known_reply(once.key)
        if text is None:

            def stopping() -> str:
                return _text(once.stored(*_failure(WriterStopped())))

            text = await self.hub.answer_once(once.key, produce, stopping)
        first = json.loads(text)
        if first.get("request") != once.fingerprint:
            raise ApiError(
                "idempotency_key_reused",
                f"the {IDEMPOTENCY_KEY} {given!r} was sent before with another request; "
                "a new request needs a new key",
                key=given,
            )
        return _respond((int(first["status"]), first["body"]))

    # --- helpers ------------------------------------------------------------------------

    def _new_code(self) -> str:
        """8 random digits no booking has."""
        book = self.hub.live.book
        while True:
            code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
            if code not in book:
                return code

    def _booking(self, code: str) -> Booking:
        booking = self.hub.committed.book.get(code)
        if booking is None:
            raise ApiError("unknown_booking", f"no booking {code}", booking=code)
        return booking

    def _code(self, request: web.Request) -> str:
        return normal_code(request.match_info["code"])

    def _known_service(self, service: str) -> None:
        if service not in self.hub.hall.services:
            raise ApiError("unknown_service", f"no service {service} in this center", service=service)

    def _local(self, when: datetime) -> datetime:
        """An aware time: a time without an offset is the center's local time."""
        return when.replace(tzinfo=self.hub.tz) if when.tzinfo is None else when.astimezone(self.hub.tz)

    def _day(self, request: web.Request) -> date:
        text = request.query.get("day")
        if text is None:
            return self.hub.now().date()
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise ApiError("invalid_request", f"day: {text!r} is not a date (YYYY-MM-DD)") from None


async def _json(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError("bad_json", f"the body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ApiError("bad_json", "the body must be a JSON object")
    return data


_M = TypeVar("_M", bound=_Body)


def _parse(model: type[_M], data: dict[str, Any]) -> _M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'body'}: {err['msg']}" for err in exc.errors()
        )
        raise ApiError("invalid_request", problems) from None


def _idempotency_key(given: str) -> str:
    key = given.strip()
    if not 0 < len(key) <= KEY_LENGTH or not all("!" <= ch <= "~" for ch in key):
        raise ApiError(
            "invalid_request",
            f"{IDEMPOTENCY_KEY}: 1 to {KEY_LENGTH} printable ASCII characters without spaces "
            "(a UUID will do)",
        )
    return key


def _fingerprint(request: web.Request, body: dict[str, Any] | None) -> str:
    """What a request asks, as a hash: the same key is answered again only for the same one.
    The body is compared as JSON (the order of its keys and its spacing do not count)."""
    asked = {"method": request.method, "path": request.path, "body": body}
    text = json.dumps(asked, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


KNOWN = (ApiError, BookingRefused, StoreUnavailable)
"""What a request may fail with and be answered for (anything else is a bug: 500)."""


def _failure(exc: ApiError | BookingRefused | StoreUnavailable) -> Answer:
    """The answer to a request refused or failed with ``exc``."""
    if isinstance(exc, WriterStopped):
        message = "the server is stopping; send the request again later"
        return STATUS["shutting_down"], _body("shutting_down", message)
    if isinstance(exc, StoreUnavailable):
        message = "the database write failed; nothing was kept: try again"
        return STATUS["store_unavailable"], _body("store_unavailable", message)
    return STATUS.get(exc.code, 422), _body(exc.code, exc.message, **exc.details)


INTERNAL: Answer = (
    STATUS["internal_error"],
    {"error": "internal_error", "message": "the server failed on this request", "details": {}},
)
"""The answer to a request that failed on a bug (logged)."""


def _text(answer: dict[str, Any]) -> str:
    return json.dumps(answer, ensure_ascii=False, separators=(",", ":"))


def _body(code: str, message: str, **details: Any) -> dict[str, Any]:
    return {"error": code, "message": message, "details": details}


def _respond(answer: Answer) -> web.Response:
    status, body = answer
    response = web.json_response(body, status=status)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="novbe bookings"'
    return response


def _error(code: str, message: str, **details: Any) -> web.Response:
    return _respond((STATUS.get(code, 422), _body(code, message, **details)))
