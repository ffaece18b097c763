"""The booking API: HTTP JSON in the hall server's process, for the booking system that
books citizens online (``novbe server --booking-port N``; docs/appointments.md has every
endpoint with examples).

Every request carries ``Authorization: Bearer <token>``, checked against ``[appointments]
token_sha256`` of the center file (``novbe appointments token`` makes one). A change (make,
move, cancel) is an engine command decided by the hub's live engine and committed by the hub's
one writer (:meth:`server.hub.Hub.change_bookings`), like a device's request: two requests for
the last place of a slot, one wins; a write that fails answers 503 ``store_unavailable`` and
keeps nothing. What is read comes from the committed engine: nothing a crash could take back.

Errors are ``{"error": CODE, "message": TEXT, "details": {...}}`` with the status of
:data:`STATUS`.
"""

from __future__ import annotations

import json
import logging
import secrets
import socket
from collections.abc import Awaitable, Callable
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
    "unknown_service": 422,
    "not_a_slot": 422,
    "bad_code": 422,
    "internal_error": 500,
    "store_unavailable": 503,
    "shutting_down": 503,
}
"""The HTTP status of each error code."""

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


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
        except ApiError as exc:
            return _error(exc.code, exc.message, **exc.details)
        except BookingRefused as exc:
            return _error(exc.code, exc.message, **exc.details)
        except WriterStopped:
            return _error("shutting_down", "the server is stopping; send the request again later")
        except StoreUnavailable:
            return _error("store_unavailable", "the database write failed; nothing was kept: try again")
        except web.HTTPRequestEntityTooLarge:
            return _error("too_large", f"the body is larger than {MAX_BODY} bytes")
        except web.HTTPMethodNotAllowed as exc:
            allowed = sorted(exc.allowed_methods)
            return _error("method_not_allowed", f"{request.method} is not allowed here", allowed=allowed)
        except web.HTTPNotFound:
            return _error("not_found", f"no such endpoint: {request.path} (docs/appointments.md lists them)")
        except web.HTTPException:
            raise
        except Exception:
            log.exception(json.dumps({"msg": "booking request failed", "path": request.path}))
            return _error("internal_error", "the server failed on this request")

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
        body = _parse(NewBooking, await _json(request))
        self._known_service(body.service)
        slot_at = self._local(body.slot_at)
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
                await self.hub.change_bookings(command)
            except BookingRefused as exc:
                if exc.code == "code_taken":
                    continue
                raise
            shown = booking_json(self._booking(code))
            return web.json_response(shown | {"qr_svg": qr_svg(code)}, status=201)
        raise ApiError("internal_error", "no free booking code was found; try again")

    async def move(self, request: web.Request) -> web.Response:
        code = self._code(request)
        body = _parse(MovedBooking, await _json(request))
        await self.hub.change_bookings(
            c.MoveBooking(code=code, slot_at=self._local(body.slot_at), at=self.hub.now(), by=body.by)
        )
        return web.json_response(booking_json(self._booking(code)))

    async def cancel(self, request: web.Request) -> web.Response:
        code = self._code(request)
        await self.hub.change_bookings(c.CancelBooking(code=code, at=self.hub.now()))
        return web.json_response(booking_json(self._booking(code)))

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


def _error(code: str, message: str, **details: Any) -> web.Response:
    status = STATUS.get(code, 422)
    response = web.json_response({"error": code, "message": message, "details": details}, status=status)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="novbe bookings"'
    return response
