"""The schema of a center file (``center.toml``): what a hall is made of and who may connect.

The file describes the hall (zones, agencies and their services, counters, displays, kiosks),
who may connect to it (operators with argon2 password hashes, devices with SHA-256 token
hashes), when it is open and the queue rules. docs/configuration.md documents every field.

pydantic checks each value on its own; :func:`validate_center` adds the checks across the
file (``check``) and reports every problem at once. :meth:`Center.to_hall` gives the queue
engine its plain values.
"""

from __future__ import annotations

import ipaddress
import itertools
import zoneinfo
from collections.abc import Callable, Iterable, Mapping
from datetime import time
from functools import cached_property
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from hardware.board import parse_board_url
from server import security
from server.queue.hall import Bookings as HallBookings, CounterDef, Hall, RoutingPolicy, ServiceDef, SlotHours
from wire.device import (
    BOARD_SCHEMES,
    PRINTER_SCHEMES,
    ClockTime,
    DeviceRole,
    Languages,
    QuietPeriod,
    ScreenMode,
    TimeZoneName,
    check_server_url,
    check_url_scheme,
    format_loc,
    screen_languages,
    spoken_languages,
)
from wire.types import LANGS, Lang, PriorityMode, Selection

from .check import CROSS_CHECKED, ConfigError, Found, cross_check, located, pydantic_problems

DAYS: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

Day = Literal["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
Code = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
"""Codes of zones, agencies, services, displays and kiosks: letters, digits, - _ ."""
Prefix = Annotated[str, Field(pattern=r"^[A-Z]{1,3}$")]
"""A ticket prefix: one to three Latin capitals ("A", "DN"). No digits: numbers grow past 999
(A1000), so with a prefix "K2" the ticket "K21000" would read as K2 1000 and K 21000 alike."""
Login = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,31}$")]

_DEFAULT_POLICY = RoutingPolicy()


def _weekdays() -> list[Day]:
    return ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]


_T = TypeVar("_T")


class _Frozen(BaseModel):
    # extra="forbid": a misspelt key ("mean_servce_min") must be an error, not a silent default.
    model_config = ConfigDict(frozen=True, extra="forbid")


class Names(_Frozen):
    """A name in each language the kiosks offer. All three are required: a citizen who picked
    Russian must never meet an untranslated agency."""

    az: str = Field(min_length=1)
    ru: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        """The name in ``lang``; Azerbaijani for a language the center does not have."""
        return {"az": self.az, "ru": self.ru, "en": self.en}.get(lang, self.az)


class Hours(_Frozen):
    """When the center is open. Times are local to ``timezone``."""

    open: ClockTime = time(9, 0)
    close: ClockTime = time(19, 0)
    days: list[Day] = Field(default_factory=_weekdays, min_length=1)
    timezone: TimeZoneName = "Asia/Baku"

    @field_validator("days")
    @classmethod
    def _unique_days(cls, value: list[Day]) -> list[Day]:
        repeated = sorted({d for d in value if value.count(d) > 1}, key=DAYS.index)
        if repeated:
            raise ValueError(f"day listed twice: {', '.join(repeated)}")
        return value

    @model_validator(mode="after")
    def _close_after_open(self) -> Hours:
        if self.close <= self.open:
            raise ValueError(
                f"closing time {self.close:%H:%M} is not after opening time {self.open:%H:%M}"
                " (a center open past midnight is not supported)"
            )
        return self

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


class Outcome(_Frozen):
    """One way a visit can end, as the operator chooses it at the finish and reports count it."""

    code: Code
    name: Names


def _default_outcomes() -> list[Outcome]:
    def outcome(code: str, az: str, ru: str, en: str) -> Outcome:
        return Outcome(code=code, name=Names(az=az, ru=ru, en=en))

    return [
        outcome("served", "Xidmət göstərildi", "Обслужен", "Served"),
        outcome("documents_missing", "Sənəd çatışmır", "Не хватает документов", "Documents missing"),
        outcome("redirected", "Başqa yerə yönləndirildi", "Направлен в другое место", "Redirected elsewhere"),
        outcome("other", "Digər", "Другое", "Other"),
    ]


class Rules(_Frozen):
    """Queue rules that hold for the whole hall."""

    recall_limit: int = Field(default=3, ge=1, le=20)
    """A citizen recalled this many times without coming may be marked no-show."""
    last_ticket_margin_min: float = Field(default=0.0, ge=0)
    """Refuse a new ticket whose estimated call comes later than closing minus this."""
    wait_standard_min: float = Field(default=15.0, gt=0, le=480)
    """The center's standard: a citizen should be called within this many minutes. Reports
    give the share called within it, and the agency index scores delivery against it."""
    rating_window_min: float = Field(default=5.0, gt=0, le=120)
    """A counter's rating terminal takes the rating of its last visit this long after the finish."""


class Routing(_Frozen):
    """How counters pick the next citizen (``server.queue.hall.RoutingPolicy``), for all
    counters unless a counter overrides a field. See docs/routing.md."""

    returning_first: bool = _DEFAULT_POLICY.returning_first
    priority_mode: PriorityMode = _DEFAULT_POLICY.priority_mode
    head_start_min: float = Field(default=_DEFAULT_POLICY.head_start_min, ge=0)
    selection: Selection = _DEFAULT_POLICY.selection
    max_wait_min: float | None = Field(default=_DEFAULT_POLICY.max_wait_min, gt=0)

    def to_policy(self) -> RoutingPolicy:
        return RoutingPolicy(
            returning_first=self.returning_first,
            priority_mode=self.priority_mode,
            head_start_min=self.head_start_min,
            selection=self.selection,
            max_wait_min=self.max_wait_min,
        )


class RoutingOverride(_Frozen):
    """A counter's changes to the hall's ``[routing]``; a field left out is inherited."""

    returning_first: bool | None = None
    priority_mode: PriorityMode | None = None
    head_start_min: float | None = Field(default=None, ge=0)
    selection: Selection | None = None
    max_wait_min: float | None = Field(default=None, gt=0)


class Zone(_Frozen):
    """A part of the hall (a floor, a wing) with its own counters and displays."""

    code: Code
    name: Names


def _minute(clock: time) -> float:
    return clock.hour * 60.0 + clock.minute


def _day_periods(periods: list[QuietPeriod], what: str) -> list[QuietPeriod]:
    for period in periods:
        if period.end < period.start:
            raise ValueError(
                f"{what} {period} ends before it starts (a period past midnight is not supported)"
            )
    return periods


class BookingHours(_Frozen):
    """Bookings of one service for part of the day: ``slot_min``-minute slots from ``start``
    to ``end``, each taking ``per_slot`` citizens."""

    service: Code
    hours: QuietPeriod
    """``"HH:MM-HH:MM"``: the first slot starts at the start, the last ends by the end."""
    slot_min: int = Field(default=15, ge=5, le=240)
    per_slot: int = Field(default=1, ge=1, le=100)

    @field_validator("hours")
    @classmethod
    def _same_day(cls, value: QuietPeriod) -> QuietPeriod:
        return _day_periods([value], "booking hours")[0]

    def slot_starts(self) -> list[time]:
        """The start of every slot, in order."""
        start, end = _minute(self.hours.start), _minute(self.hours.end)
        count = int((end - start) // self.slot_min)
        return [time(int(m // 60), int(m % 60)) for m in (start + k * self.slot_min for k in range(count))]


class Appointments(_Frozen):
    """Booked visits: which services take bookings and when, and the rules at the kiosk and in the
    queue. See docs/appointments.md."""

    services: list[BookingHours] = Field(default_factory=list)
    """A service may be listed several times, for periods of the day that do not overlap."""
    before_min: float = Field(default=30.0, ge=0, le=240)
    """A booked citizen may check in from this long before the slot ..."""
    after_min: float = Field(default=10.0, ge=0, le=240)
    """... until this long after it."""
    hold_max_min: float = Field(default=15.0, gt=0, le=240)
    in_a_row: int = Field(default=2, ge=1, le=20)
    """Once a walk-in has waited ``hold_max_min``, a counter calls at most ``in_a_row`` booked
    citizens in a row before the next walk-in."""
    promise_min: float = Field(default=5.0, gt=0, le=60)
    """A booked citizen is promised a call from the slot time to this many minutes after it."""
    walk_in_if_refused: bool = True
    """An early, late, unknown or used code at the kiosk is offered a walk-in ticket."""
    token_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    """SHA-256 of the booking API's token (``novbe appointments token``); none: no booking API."""

    @model_validator(mode="after")
    def _no_overlap(self) -> Appointments:
        by_service: dict[str, list[BookingHours]] = {}
        for hours in self.services:
            by_service.setdefault(hours.service, []).append(hours)
        for service, periods in by_service.items():
            periods.sort(key=lambda h: h.hours.start)
            for before, after in itertools.pairwise(periods):
                if after.hours.start < before.hours.end:
                    raise ValueError(
                        f"the booking hours {before.hours} and {after.hours} of {service} overlap"
                    )
        return self

    def to_rules(self) -> HallBookings:
        return HallBookings(
            before_min=self.before_min,
            after_min=self.after_min,
            hold_max_min=self.hold_max_min,
            in_a_row=self.in_a_row,
            promise_min=self.promise_min,
            walk_in_if_refused=self.walk_in_if_refused,
            slots=tuple(
                SlotHours(
                    service=h.service,
                    start_min=int(_minute(h.hours.start)),
                    end_min=int(_minute(h.hours.end)),
                    slot_min=h.slot_min,
                    per_slot=h.per_slot,
                )
                for h in self.services
            ),
        )


class Service(_Frozen):
    code: Code
    name: Names
    mean_service_min: float = Field(gt=0, le=480)
    """Mean time at the counter, for wait estimates and the simulator."""
    share: float = Field(default=0.0, ge=0, le=1)
    """Share of the day's tickets, for the simulator."""
    prefix: Prefix | None = None
    """Own ticket prefix (and numbering); by default the agency's."""


class Agency(_Frozen):
    code: Code
    prefix: Prefix
    """Ticket prefix shared by the agency's services: one numbering sequence per prefix."""
    zone: Code
    name: Names
    services: list[Service] = Field(min_length=1)


def _weights(value: Any) -> Any:
    # `services = ["A", "B"]` is the common case (weight 1.0 each); `services = { A = 2.0 }`
    # gives weights. Normalising here avoids a Union, whose errors pydantic reports twice.
    if isinstance(value, list):
        return dict.fromkeys(value, 1.0) if all(isinstance(v, str) for v in value) else value
    return value


class Counter(_Frozen):
    number: int = Field(ge=1, le=9999)
    zone: Code
    agency: Code | None = None
    """The agency staffing the counter; by default the agency of its services, if only one."""
    services: Annotated[dict[str, Annotated[float, Field(gt=0)]], BeforeValidator(_weights)] = Field(
        min_length=1
    )
    """Service code -> weight, in order (the order matters for ``selection = "strict_order"``)."""
    policy: RoutingOverride = RoutingOverride()
    board: str | None = None
    """Serial URL of the number board above the counter, on a port of the counter's own PC."""
    board_line: Code | None = None
    """The shared board line (``[[board_lines]]``) the counter's board is on, instead of ``board``."""
    board_address: int | None = Field(default=None, ge=0, le=255)
    """The board's address on its line; by default the counter's number."""
    scanner: str | None = None
    """Serial URL of the counter's QR scanner (one code per line); none for a keyboard-wedge
    scanner, which needs no setting."""
    reserved: list[QuietPeriod] = Field(default_factory=list)
    """Periods (``"HH:MM-HH:MM"``) when the counter is reserved for booked citizens: it calls
    them first, and walk-ins only when no booked citizen waits."""

    @field_validator("reserved")
    @classmethod
    def _reserved_same_day(cls, value: list[QuietPeriod]) -> list[QuietPeriod]:
        return _day_periods(value, "reserved period")

    @field_validator("board")
    @classmethod
    def _board_url(cls, value: str | None) -> str | None:
        return None if value is None else _board_line_url(value, "number board")

    @field_validator("scanner")
    @classmethod
    def _scanner_url(cls, value: str | None) -> str | None:
        return None if value is None else _board_line_url(value, "scanner")


class BoardLine(_Frozen):
    """A serial line with the number boards of several counters on it (RS-485), driven by one
    ``novbe boards`` process: the only one that opens the port."""

    code: Code
    url: str
    """Board line URL: ``serial:///dev/novbe-boards-1?baudrate=9600&ack=06`` (docs/hardware.md)."""

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _board_line_url(value, "board line")


def _board_line_url(value: str, what: str) -> str:
    """``value`` if it is a board URL whose options the boards' driver accepts."""
    check_url_scheme(value, BOARD_SCHEMES, what)
    parse_board_url(value)
    return value


class Display(_Frozen):
    code: Code
    zones: list[Code] = Field(min_length=1)
    """Zones whose calls the display shows (a lobby display lists every zone)."""
    languages: Languages = Field(default_factory=spoken_languages)
    """Languages calls are spoken in: the first for every call, each other one for a call
    whose ticket was taken in it."""
    volume: int = Field(default=80, ge=0, le=100)
    quiet_hours: list[QuietPeriod] = Field(default_factory=list)
    """Periods when calls are shown but not spoken."""
    screen_languages: Languages = Field(default_factory=screen_languages)
    """Languages of the screen's own words, in order."""
    screen_mode: ScreenMode = "alternate"
    """``alternate``: one language at a time, the next every ``screen_every_s``; ``pair``: all together."""
    screen_every_s: int = Field(default=10, ge=3, le=600)


class Kiosk(_Frozen):
    code: Code
    zone: Code
    printer: str | None = None
    """Printer URL, e.g. "serial:///dev/ttyUSB0?baudrate=115200". None: the kiosk has no
    printer; it shows tickets on screen only and says so. "virtual://DIR" draws tickets to
    picture files, for the demo and the tests."""
    paper_mm: Literal[80, 58] = 80
    scanner: str | None = None
    """Serial URL of the kiosk's QR and barcode scanner (one code per line), which reads the
    QR code of a booking for its check-in; none for a keyboard-wedge scanner, which needs no
    setting."""

    @field_validator("scanner")
    @classmethod
    def _scanner_url(cls, value: str | None) -> str | None:
        return None if value is None else _board_line_url(value, "scanner")

    @field_validator("printer")
    @classmethod
    def _printer_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        check_url_scheme(value, PRINTER_SCHEMES, "printer")
        if urlsplit(value).query:
            # Options (profile, baudrate, layout...) are checked as the kiosk will read them.
            # Imported here: python-escpos takes half a second to load.
            from hardware.printer import parse_printer_url

            parse_printer_url(value)
        return value


class Operator(_Frozen):
    login: Login
    full_name: str = Field(min_length=1)
    password_hash: str = Field(pattern=r"^\$argon2(id|i|d)\$")
    """argon2 hash made by ``python -m server.security password`` (server.security.hash_password)."""
    counters: list[int] = Field(default_factory=list)
    """Counters the operator may log in at; empty means any."""
    supervisor: bool = False


class Device(_Frozen):
    role: DeviceRole
    code: Code
    """The kiosk's or display's code, the counter's number (for a counter or its rating
    terminal), or any name for a supervisor desk."""
    token_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_public_url(value: str) -> str:
    """``value`` without a trailing slash, if it is an address for the citizens' pages: https,
    or http on this machine only. Raises ValueError saying what it should look like."""
    parts = urlsplit(value)
    try:
        parts.port  # noqa: B018 - raises ValueError for a port out of range or not a number
    except ValueError:
        raise ValueError(f'public URL "{value}" has a wrong port (a number from 1 to 65535)') from None
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(f'public URL must look like "https://novbe.example.az", got "{value}"')
    if parts.scheme == "http" and not _loopback(parts.hostname):
        raise ValueError(
            f'public URL "{value}" is http://: phones reach it over the internet, so give an'
            " https:// address (http:// only for 127.0.0.1, this machine)"
        )
    return value.rstrip("/")


class Public(_Frozen):
    """The citizens' pages on the internet, served by ``novbe web`` (docs/phone.md): each
    ticket's live page, which its QR code opens, and the hall's queues."""

    base_url: str
    """The address citizens reach the pages at, e.g. ``"https://novbe.example.az"`` (a path
    is allowed: ``"https://asan.example.az/novbe/baku1"``). A ticket's page is
    ``BASE_URL/t/TOKEN``. ``http://`` only for this machine (``http://127.0.0.1:8080``, the
    demo and the tests): phones reach a center over the internet, through TLS."""
    secret: str = Field(min_length=32, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")
    """The key of the tickets' page tokens (HMAC-SHA256 of the ticket's id, see
    ``server.security.ticket_token``). Written by ``novbe init``; whoever holds it can make
    the page address of any ticket, so center.toml stays readable by its owner only.
    Changing it makes the addresses printed on today's tickets stop working."""

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        return check_public_url(value)

    def ticket_url(self, ticket_id: str) -> str:
        """The address of a ticket's page: what its QR code holds."""
        return f"{self.base_url}/t/{security.ticket_token(self.secret, ticket_id)}"


class Center(_Frozen):
    """A validated center.toml. Build it with :func:`load_center`, :func:`center_from_reference`
    or ``Center.model_validate(data)``; all check the same rules."""

    code: Code
    name: Names
    languages: list[Lang] = Field(default_factory=lambda: list[Lang](LANGS), min_length=1)
    """Languages the kiosks offer, in order."""
    server_url: str | None = None
    """The URL devices reach the server at ("ws://10.0.0.2:8765"); written into their device
    files. ``novbe server`` listens on its port unless given ``--port``."""
    hours: Hours = Hours()
    rules: Rules = Rules()
    routing: Routing = Routing()
    outcomes: list[Outcome] = Field(default_factory=_default_outcomes, min_length=1, max_length=9)
    """How a visit can end, in the order the counter offers them (the first is the default,
    and each has a digit key: at most nine)."""
    public: Public | None = None
    """The citizens' pages (``novbe web``); None: tickets carry no page address."""
    appointments: Appointments = Appointments()
    zones: list[Zone] = Field(min_length=1)
    agencies: list[Agency] = Field(min_length=1)
    counters: list[Counter] = Field(min_length=1)
    board_lines: list[BoardLine] = Field(default_factory=list)
    displays: list[Display] = Field(default_factory=list)
    kiosks: list[Kiosk] = Field(default_factory=list)
    operators: list[Operator] = Field(default_factory=list)
    devices: list[Device] = Field(default_factory=list)
    workload: dict[str, Any] | None = None
    """The reference's day of work, kept verbatim for the simulator."""

    @field_validator("outcomes")
    @classmethod
    def _unique_outcomes(cls, value: list[Outcome]) -> list[Outcome]:
        codes = [o.code for o in value]
        repeated = sorted({c for c in codes if codes.count(c) > 1})
        if repeated:
            raise ValueError(f"outcome listed twice: {', '.join(repeated)}")
        return value

    @field_validator("server_url")
    @classmethod
    def _server_url(cls, value: str | None) -> str | None:
        return None if value is None else check_server_url(value)

    @model_validator(mode="after")
    def _references(self, info: ValidationInfo) -> Center:
        # validate_center runs cross_check itself, on the raw data, so that it can report these
        # problems together with pydantic's; here it guards direct construction.
        if isinstance(info.context, dict) and info.context.get(CROSS_CHECKED):
            return self
        problems = cross_check(self.model_dump(mode="json"))
        if problems:
            raise ValueError("; ".join(f"{format_loc(p.loc)}: {p.message}" for p in problems))
        return self

    # Look-ups. cached_property is safe on a frozen model: it writes the instance __dict__
    # directly, and pydantic compares and dumps fields only.

    @cached_property
    def _services(self) -> dict[str, tuple[Service, Agency]]:
        return {s.code: (s, a) for a in self.agencies for s in a.services}

    @cached_property
    def _counters(self) -> dict[int, Counter]:
        return {c.number: c for c in self.counters}

    @cached_property
    def _tokens(self) -> dict[str, Device]:
        return {d.token_sha256: d for d in self.devices}

    def all_services(self) -> list[Service]:
        """Every service of every agency, in file order."""
        return [s for s, _ in self._services.values()]

    def service(self, code: str) -> Service:
        """The service ``code``. Raises KeyError if there is none."""
        return self._services[code][0]

    def agency_of(self, service_code: str) -> Agency:
        """The agency offering ``service_code``. Raises KeyError if there is no such service."""
        return self._services[service_code][1]

    def agency(self, code: str) -> Agency:
        return _find(self.agencies, lambda a: a.code == code, code)

    def prefix_of(self, service_code: str) -> str:
        """The ticket prefix of a service: its own, or its agency's."""
        service, agency = self._services[service_code]
        return service.prefix or agency.prefix

    def counter(self, number: int) -> Counter:
        return self._counters[number]

    def zone_of_counter(self, number: int) -> str:
        return self._counters[number].zone

    def agency_of_counter(self, number: int) -> str:
        """The counter's agency: as configured, else the one agency of all its services, else ""."""
        counter = self._counters[number]
        if counter.agency is not None:
            return counter.agency
        agencies = {self._services[s][1].code for s in counter.services}
        return agencies.pop() if len(agencies) == 1 else ""

    def display(self, code: str) -> Display:
        return _find(self.displays, lambda d: d.code == code, code)

    def board_line(self, code: str) -> BoardLine:
        return _find(self.board_lines, lambda b: b.code == code, code)

    def boards_on_line(self, code: str) -> dict[int, int]:
        """Counter number -> board address of every counter whose board is on line ``code``."""
        return {
            c.number: c.board_address if c.board_address is not None else c.number
            for c in self.counters
            if c.board_line == code
        }

    def kiosk(self, code: str) -> Kiosk:
        return _find(self.kiosks, lambda k: k.code == code, code)

    def operator(self, login: str) -> Operator:
        return _find(self.operators, lambda o: o.login == login, login)

    def zone(self, code: str) -> Zone:
        return _find(self.zones, lambda z: z.code == code, code)

    def device(self, role: str, code: str) -> Device:
        return _find(self.devices, lambda d: d.role == role and d.code == code, f"{role} {code}")

    def device_by_token(self, token: str) -> Device | None:
        """The device whose token this is, or None. One SHA-256 and a dict look-up, so a hall
        of a hundred devices reconnecting at once costs nothing."""
        device = self._tokens.get(security.hash_token(token))
        if device is None or not security.verify_token(device.token_sha256, token):
            return None
        return device

    def ticket_url(self, ticket_id: str) -> str | None:
        """The address of a ticket's public page, or None if the center has no ``[public]``."""
        return self.public.ticket_url(ticket_id) if self.public is not None else None

    def counter_policy(self, number: int) -> RoutingPolicy:
        """The counter's routing: the hall's ``[routing]`` with the counter's overrides."""
        counter = self._counters[number]
        merged = self.routing.model_copy(update=counter.policy.model_dump(exclude_none=True))
        return merged.to_policy()

    def to_hall(self) -> Hall:
        """The engine's view of this center."""
        services = {
            s.code: ServiceDef(
                code=s.code,
                agency=a.code,
                prefix=s.prefix or a.prefix,
                mean_service_min=s.mean_service_min,
                zone=a.zone,
            )
            for a in self.agencies
            for s in a.services
        }
        counters = {
            c.number: CounterDef(
                number=c.number,
                zone=c.zone,
                services=dict(c.services),
                policy=self.counter_policy(c.number),
                agency=self.agency_of_counter(c.number),
                reserved=tuple((_minute(p.start), _minute(p.end)) for p in c.reserved),
            )
            for c in self.counters
        }
        return Hall(
            services=services,
            counters=counters,
            opens=self.hours.open,
            closes=self.hours.close,
            days=frozenset(DAYS.index(day) for day in self.hours.days),
            recall_limit=self.rules.recall_limit,
            last_ticket_margin_min=self.rules.last_ticket_margin_min,
            rating_window_min=self.rules.rating_window_min,
            outcomes=tuple(o.code for o in self.outcomes),
            wait_standard_min=self.rules.wait_standard_min,
            bookings=self.appointments.to_rules(),
        )


def _find(items: Iterable[_T], match: Callable[[_T], bool], key: object) -> _T:
    for item in items:
        if match(item):
            return item
    raise KeyError(key)


def validate_center(data: Any, source: str, text: str | None = None) -> Center:
    """Check raw center data (as parsed from TOML) with both layers of checks.

    Args:
        data: The raw data.
        source: What to call it in messages (the file's name).
        text: The TOML text it was parsed from, to give each problem its line.

    Raises:
        ConfigError: Every problem found, in file order.
    """
    found: list[Found] = []
    center: Center | None = None
    try:
        center = Center.model_validate(data, context={CROSS_CHECKED: True})
    except ValidationError as exc:
        found += pydantic_problems(exc)
    if isinstance(data, Mapping):
        found += cross_check(data)
    if found or center is None:
        raise ConfigError(source, located(data, found, text))
    return center
