"""Who is connecting, and which operator logs in where: devices by their token, supervisors
and operators by their password (checked off the event loop: argon2 is slow on purpose)."""

from __future__ import annotations

import asyncio

from websockets.asyncio.server import ServerConnection

from wire import protocol as p
from wire.types import CounterNo

from ..center import Center, Operator
from ..security import verify_password
from .clients import Client


class Auth:
    """The center's devices and people, as the hub checks them."""

    def __init__(self, center: Center) -> None:
        self.center = center
        by_zone: dict[str, frozenset[CounterNo]] = {}
        for counter in center.counters:
            by_zone[counter.zone] = by_zone.get(counter.zone, frozenset()) | {counter.number}
        self._counters_by_zone = by_zone

    async def hello(self, ws: ServerConnection, hello: p.Hello) -> Client | None:
        """The client a ``hello`` introduces, or None if its token or password is wrong."""
        role = hello.role
        if role is p.Role.SUPERVISOR:
            operator = await self._operator(hello.login or "", hello.password or "")
            if operator is None or not operator.supervisor:
                return None
            return Client(ws, role, f"supervisor:{operator.login}", hello.lang, login=operator.login)
        device = self.center.device_by_token(hello.token or "")
        if device is None or device.role != role.value or device.code != hello.device:
            return None
        if role is p.Role.KIOSK:
            return Client(ws, role, f"kiosk:{device.code}", hello.lang)
        if role is p.Role.DISPLAY:
            zones = self.center.display(device.code).zones
            shown: frozenset[CounterNo] = frozenset().union(
                *(self._counters_by_zone.get(z, frozenset()) for z in zones)
            )
            return Client(ws, role, f"display:{device.code}", hello.lang, counters=shown)
        if role is p.Role.BOARDS:
            driven = frozenset(self.center.boards_on_line(device.code))
            return Client(ws, role, f"boards:{device.code}", hello.lang, counters=driven)
        number = int(device.code)
        if role is p.Role.RATING:
            return Client(ws, role, f"rating:{number}", hello.lang, terminal_of=number)
        return Client(ws, role, f"counter:{number}", hello.lang, counter=number)

    async def operator(self, counter: CounterNo, login: p.Login) -> Operator:
        """The operator logging in at ``counter``, if their password is right and they may
        work there. Whether the counter is free for them is the engine's to say.

        Raises:
            ProtocolError: ``wrong_password`` (unknown login and wrong password alike) or
                ``operator_not_allowed``.
        """
        operator = await self._operator(login.login, login.password)
        if operator is None:
            raise p.ProtocolError(p.ErrorCode.WRONG_PASSWORD, "wrong login or password", login.id)
        if operator.counters and counter not in operator.counters:
            raise p.ProtocolError(
                p.ErrorCode.OPERATOR_NOT_ALLOWED, f"{login.login} may not work at {counter}", login.id
            )
        return operator

    async def _operator(self, login: str, password: str) -> Operator | None:
        try:
            operator = self.center.operator(login)
        except KeyError:
            return None
        if not await asyncio.to_thread(verify_password, operator.password_hash, password):
            return None
        return operator
