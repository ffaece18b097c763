"""Who is connecting, and which operator logs in where: devices by their token, supervisors
and operators by their password.

A password check is argon2, slow on purpose (~35 ms of a core). The checks run on a thread
of their own, :data:`PASSWORD_THREADS` at a time with at most :data:`PASSWORD_QUEUE` waiting,
never in the pool of the database's commits, so a burst of guesses can't delay a ticket. An
unknown login is checked against a hash made at start-up with the same parameters, so the
answer takes as long as for a known login with a wrong password. Failed attempts are counted
per login and per address (:mod:`.throttle`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures

from websockets.asyncio.server import ServerConnection

from wire import protocol as p
from wire.types import CounterNo

from ..center import Center, Operator
from ..security import decoy_hash, verify_password
from .clients import Client
from .gate import peer_address
from .throttle import Throttle

PASSWORD_THREADS = 1
"""Password checks running at once: one core at most, whatever comes in."""

PASSWORD_QUEUE = 64
"""Password checks waiting at most; past that an attempt is refused at once (try again in a
second). A hall's whole staff logging in at opening time fits (64 checks of ~35 ms wait
about 2 s at most); a longer queue is someone guessing."""

REFUSAL_PAUSE_S = 1.0
"""How long a refused attempt waits for its answer (it holds only a connection, which the
gate caps)."""


class TooManyAttempts(p.ProtocolError):
    """Refused without checking the password: too many failures, or too many checks waiting."""

    def __init__(self, retry_after_s: int, request_id: str | None) -> None:
        super().__init__(
            p.ErrorCode.TOO_MANY_ATTEMPTS,
            f"too many failed password attempts; try again in {retry_after_s} s",
            request_id,
            details={"retry_after_s": retry_after_s},
        )
        self.retry_after_s = retry_after_s


class Auth:
    """The center's devices and people, as the hub checks them."""

    def __init__(self, center: Center) -> None:
        self.center = center
        by_zone: dict[str, frozenset[CounterNo]] = {}
        for counter in center.counters:
            by_zone[counter.zone] = by_zone.get(counter.zone, frozenset()) | {counter.number}
        self._counters_by_zone = by_zone
        self.throttle = Throttle()
        self._unknown = decoy_hash(operator.password_hash for operator in center.operators)
        self._checks = concurrent.futures.ThreadPoolExecutor(
            max_workers=PASSWORD_THREADS, thread_name_prefix="novbe-passwords"
        )
        self._waiting = 0

    def close(self) -> None:
        self._checks.shutdown(wait=False, cancel_futures=True)

    async def hello(self, ws: ServerConnection, hello: p.Hello) -> Client | None:
        """The client a ``hello`` introduces, or None if its token or password is wrong.

        Raises:
            TooManyAttempts: A supervisor's password was not checked (see :mod:`.throttle`).
        """
        role = hello.role
        if role is p.Role.SUPERVISOR:
            operator = await self._operator(
                hello.login or "", hello.password or "", peer_address(ws), hello.id
            )
            if operator is None or not operator.supervisor:
                return None
            return Client(ws, role, f"supervisor:{operator.login}", hello.lang, login=operator.login)
        device = self.center.device_by_token(hello.token or "")
        if device is None or device.role != role.value or device.code != hello.device:
            return None
        if role is p.Role.KIOSK:
            return Client(ws, role, f"kiosk:{device.code}", hello.lang)
        if role is p.Role.WEB:
            return Client(ws, role, f"web:{device.code}", hello.lang)
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

    async def operator(self, client: Client, login: p.Login) -> Operator:
        """The operator logging in at ``client``'s counter, if their password is right and
        they may work there. Whether the counter is free for them is the engine's to say.

        Raises:
            ProtocolError: ``wrong_password`` (unknown login and wrong password alike),
                ``too_many_attempts`` or ``operator_not_allowed``.
        """
        operator = await self._operator(login.login, login.password, peer_address(client.ws), login.id)
        if operator is None:
            raise p.ProtocolError(p.ErrorCode.WRONG_PASSWORD, "wrong login or password", login.id)
        counter = client.counter
        if operator.counters and counter not in operator.counters:
            raise p.ProtocolError(
                p.ErrorCode.OPERATOR_NOT_ALLOWED, f"{login.login} may not work at {counter}", login.id
            )
        return operator

    async def _operator(self, login: str, password: str, address: str, rid: str | None) -> Operator | None:
        """The operator whose password this is, or None (wrong password or unknown login).

        Raises:
            TooManyAttempts: Refused without checking the password.
        """
        wait = self.throttle.wait_s(login, address)
        if not wait and self._waiting >= PASSWORD_QUEUE:
            self.throttle.refused += 1
            wait = 1
        if wait:
            # Answered after a pause: a refusal sent at once would have a guesser reconnect
            # and ask again as fast as handshakes go, which costs the server more than a check.
            await asyncio.sleep(REFUSAL_PAUSE_S)
            raise TooManyAttempts(wait, rid)
        try:
            operator: Operator | None = self.center.operator(login)
        except KeyError:
            operator = None
        hashed = operator.password_hash if operator is not None else self._unknown
        self._waiting += 1
        try:
            loop = asyncio.get_running_loop()
            right = await loop.run_in_executor(self._checks, verify_password, hashed, password)
        finally:
            self._waiting -= 1
        if operator is None or not right:
            self.throttle.failed(login, address)
            return None
        self.throttle.succeeded(login)
        return operator
