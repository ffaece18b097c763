"""The configuration of one center: ``center.toml``.

The file describes the hall (zones, agencies and their services, counters, displays, kiosks),
who may connect to it (operators with argon2 password hashes, devices with SHA-256 token
hashes), when it is open and the queue rules. docs/configuration.md documents every field.

:func:`load_center` reads and checks the file. A wrong file is refused as a whole, with one
line per problem naming the place (``counters[12] (number 13): service "DIN-XYZ" is not
defined``): an administrator fixing a hall of 81 counters should see every mistake at once,
not one per restart. Checks come in two layers:

* pydantic checks each value on its own (types, ranges, HH:MM times, URL schemes,
  translations);
* :func:`_cross_check` checks references and uniqueness across the file (a counter's service
  must exist, prefixes must not clash). It reads the raw data and tolerates broken values, so
  that it can run, and report, even when the first layer failed.

:meth:`Center.to_hall` gives the queue engine its plain values.
"""

from __future__ import annotations

import difflib
import json
import re
import tomllib
import zoneinfo
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import time
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple, TypeVar
from urllib.parse import urlsplit

import tomli_w
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
from server.queue.hall import CounterDef, Hall, RoutingPolicy, ServiceDef
from wire.device import (
    BOARD_SCHEMES,
    PRINTER_SCHEMES,
    ClockTime,
    DeviceRole,
    QuietPeriod,
    check_server_url,
    check_url_scheme,
    format_loc,
    spoken_languages,
)
from wire.types import LANGS, Lang, PriorityMode, Selection

__all__ = [
    "DAYS",
    "Agency",
    "BoardLine",
    "Center",
    "CenterExists",
    "ConfigError",
    "Counter",
    "Device",
    "Display",
    "Hours",
    "Kiosk",
    "Names",
    "Operator",
    "Problem",
    "Routing",
    "RoutingOverride",
    "Rules",
    "Service",
    "Zone",
    "center_from_reference",
    "dump_center",
    "format_center_data",
    "load_center",
    "parse_center",
    "validate_center",
]

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
    timezone: str = "Asia/Baku"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f'unknown time zone "{value}" (an IANA name such as "Asia/Baku")') from None
        return value

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

    @field_validator("board")
    @classmethod
    def _board_url(cls, value: str | None) -> str | None:
        return None if value is None else _board_line_url(value, "number board")


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
    languages: list[Lang] = Field(default_factory=spoken_languages, min_length=1)
    """Languages in which calls are spoken, in order."""
    volume: int = Field(default=80, ge=0, le=100)
    quiet_hours: list[QuietPeriod] = Field(default_factory=list)
    """Periods when calls are shown but not spoken."""


class Kiosk(_Frozen):
    code: Code
    zone: Code
    printer: str | None = None
    """Printer URL, e.g. "serial:///dev/ttyUSB0?baudrate=115200". None: the kiosk has no
    printer; it shows tickets on screen only and says so. "virtual://DIR" draws tickets to
    picture files, for the demo and the tests."""
    paper_mm: Literal[80, 58] = 80

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
    """The kiosk's or display's code, the counter's number, or any name for a supervisor desk."""
    token_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


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

    @field_validator("server_url")
    @classmethod
    def _server_url(cls, value: str | None) -> str | None:
        return None if value is None else check_server_url(value)

    @model_validator(mode="after")
    def _references(self, info: ValidationInfo) -> Center:
        # load_center runs _cross_check itself, on the raw data, so that it can report these
        # problems together with pydantic's; here it guards direct construction.
        if isinstance(info.context, dict) and info.context.get(_CROSS_CHECKED):
            return self
        problems = _cross_check(self.model_dump(mode="json"))
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
            )
            for c in self.counters
        }
        return Hall(
            services=services,
            counters=counters,
            opens=self.hours.open,
            closes=self.hours.close,
            recall_limit=self.rules.recall_limit,
            last_ticket_margin_min=self.rules.last_ticket_margin_min,
            rating_window_min=self.rules.rating_window_min,
        )


def _find(items: Iterable[_T], match: Callable[[_T], bool], key: object) -> _T:
    for item in items:
        if match(item):
            return item
    raise KeyError(key)


# ---------------------------------------------------------------------------------------------
# Errors

_CROSS_CHECKED = "novbe.cross_checked"

Loc = tuple[int | str, ...]


class _Found(NamedTuple):
    loc: Loc
    """Where the problem is reported."""
    message: str
    key: str | None = None
    """The field of the item at ``loc`` whose line to show, for problems reported at an item."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in a configuration file."""

    path: str
    """Where: ``counters[12] (number 13)``, ``hours.close``; empty for the file as a whole."""
    message: str
    line: int | None = None

    def __str__(self) -> str:
        text = f"{self.path}: {self.message}" if self.path else self.message
        return f"{text} (line {self.line})" if self.line else text


class ConfigError(Exception):
    """A center configuration is wrong. ``str()`` is the whole message, one problem a line,
    each starting with the file's name."""

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        super().__init__(source, list(problems))
        self.source = source
        self.problems = list(problems)

    def __str__(self) -> str:
        return "\n".join(f"{self.source}: {p}" for p in self.problems)


class CenterExists(ConfigError, FileExistsError):
    """``init_center`` found a center.toml and was not told to overwrite it. Both a ConfigError
    (the CLI reports it like any configuration problem) and a FileExistsError."""


def _at(data: Any, loc: Loc) -> Any:
    """The raw value at ``loc``, or None if the path does not lead anywhere."""
    for part in loc:
        if isinstance(part, int):
            if not isinstance(data, list) or not 0 <= part < len(data):
                return None
        elif not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


def _path(data: Any, loc: Loc) -> str:
    """A readable path; an item of a list is followed by what identifies it, e.g. ``(number 13)``."""
    text = format_loc(loc)
    if loc and isinstance(loc[-1], int):
        item = _at(data, loc)
        if isinstance(item, dict):
            if isinstance(item.get("role"), str) and isinstance(item.get("code"), str):
                return f'{text} ({item["role"]} "{item["code"]}")'
            for key in ("number", "code", "login"):
                value = item.get(key)
                if isinstance(value, int | str) and not isinstance(value, bool):
                    shown = value if isinstance(value, int) else f'"{value}"'
                    return f"{text} ({key} {shown})"
    return text


def _pydantic_problems(exc: ValidationError) -> list[_Found]:
    out: list[_Found] = []
    for err in exc.errors(include_url=False):
        loc: Loc = tuple(err["loc"])
        kind = err["type"]
        msg = str(err["msg"]).removeprefix("Value error, ")
        if (
            loc
            and loc[-1] in LANGS
            and len(loc) >= 2
            and loc[-2] == "name"
            and kind in ("missing", "string_too_short")
        ):
            loc, msg = loc[:-1], f'missing translation "{loc[-1]}"'
        elif len(loc) == 4 and loc[0] == "counters" and loc[2] == "services" and isinstance(loc[3], str):
            service = loc[3]
            loc, msg = (
                loc[:3],
                f'weight of service "{service}": {msg[:1].lower()}{msg[1:]}, got {err["input"]!r}',
            )
        elif kind == "extra_forbidden":
            msg = "unknown field (misspelt, or in the wrong table?)"
        elif kind == "missing":
            msg = "required field is missing"
        elif kind in (
            "literal_error",
            "enum",
            "too_short",
            "greater_than",
            "less_than_equal",
            "greater_than_equal",
        ):
            msg = f"{msg}, got {json.dumps(err['input'], ensure_ascii=False, default=str)}"
        elif kind == "string_pattern_mismatch":
            msg = f"{json.dumps(err['input'], ensure_ascii=False)} {_PATTERN_HINTS.get(str(loc[-1]), msg)}"
        out.append(_Found(loc, msg))
    return out


_PATTERN_HINTS = {
    "prefix": "is not a ticket prefix (one to three Latin capitals A-Z, no digits)",
    "login": "is not a login (lowercase letters, digits, . _ -; up to 32)",
    "password_hash": 'is not an argon2 hash (make one with "python -m server.security password")',
    "token_sha256": "is not a SHA-256 in hex (64 digits 0-9a-f)",
}


def _suggest(value: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(value, list(known), n=1, cutoff=0.65)
    return f' (did you mean "{close[0]}"?)' if close else ""


def _items(data: Mapping[str, Any], key: str) -> list[tuple[int, dict[str, Any]]]:
    value = data.get(key)
    if not isinstance(value, list):
        return []
    return [(i, x) for i, x in enumerate(value) if isinstance(x, dict)]


def _cross_check(data: Mapping[str, Any]) -> list[_Found]:
    """References and uniqueness across the file, on raw data; broken values are skipped
    (pydantic reports them)."""
    problems: list[_Found] = []

    def unique(key: str, field_name: str, what: str = "") -> dict[Any, Loc]:
        seen: dict[Any, Loc] = {}
        for i, item in _items(data, key):
            value = item.get(field_name)
            if not isinstance(value, int | str) or isinstance(value, bool):
                continue
            if value in seen:
                shown = value if isinstance(value, int) else f'"{value}"'
                problems.append(
                    _Found(
                        (key, i),
                        f"{what or field_name} {shown} is already used by {format_loc(seen[value])}",
                        field_name,
                    )
                )
            else:
                seen[value] = (key, i)
        return seen

    zones = unique("zones", "code")

    def zone_ref(loc: Loc, value: Any, key: str = "zone") -> None:
        if isinstance(value, str) and value not in zones:
            problems.append(
                _Found(loc, f'zone "{value}" is not defined{_suggest(value, map(str, zones))}', key)
            )

    # Agencies, services, prefixes.
    agencies = unique("agencies", "code")
    services: dict[str, Loc] = {}
    prefix_owner: dict[str, str] = {}
    for i, agency in _items(data, "agencies"):
        zone_ref(("agencies", i), agency.get("zone"))
        code = agency.get("code")
        prefixes = {agency.get("prefix")} | {s.get("prefix") for _, s in _items(agency, "services")}
        for prefix in sorted(p for p in prefixes if isinstance(p, str)):
            owner = prefix_owner.setdefault(prefix, str(code))
            if owner != str(code):
                # Two agencies sharing a prefix would share a numbering sequence and print
                # the same ticket numbers for different queues.
                problems.append(
                    _Found(
                        ("agencies", i),
                        f'ticket prefix "{prefix}" is already used by agency "{owner}"',
                        "prefix",
                    )
                )
        for j, service in _items(agency, "services"):
            s_code = service.get("code")
            if not isinstance(s_code, str):
                continue
            if s_code in services:
                problems.append(
                    _Found(
                        ("agencies", i, "services", j),
                        f'code "{s_code}" is already used by {format_loc(services[s_code])}',
                        "code",
                    )
                )
            else:
                services[s_code] = ("agencies", i, "services", j)

    # Counters.
    numbers = unique("counters", "number")
    for i, counter in _items(data, "counters"):
        loc: Loc = ("counters", i)
        zone_ref(loc, counter.get("zone"))
        staffed_by = counter.get("agency")
        if isinstance(staffed_by, str) and staffed_by not in agencies:
            problems.append(
                _Found(
                    loc,
                    f'agency "{staffed_by}" is not defined{_suggest(staffed_by, map(str, agencies))}',
                    "agency",
                )
            )
        served = counter.get("services")
        codes = served if isinstance(served, list) else list(served) if isinstance(served, dict) else []
        for s_code in codes:
            if isinstance(s_code, str) and s_code not in services:
                problems.append(
                    _Found(loc, f'service "{s_code}" is not defined{_suggest(s_code, services)}', "services")
                )

    lines = _check_boards(data, unique("board_lines", "code"), problems)

    # Displays and kiosks.
    displays = unique("displays", "code")
    for i, display in _items(data, "displays"):
        shown = display.get("zones")
        for z in shown if isinstance(shown, list) else []:
            zone_ref(("displays", i), z, "zones")
    kiosks = unique("kiosks", "code")
    for i, kiosk in _items(data, "kiosks"):
        zone_ref(("kiosks", i), kiosk.get("zone"))

    # Operators.
    unique("operators", "login")
    for i, operator in _items(data, "operators"):
        allowed = operator.get("counters")
        for n in allowed if isinstance(allowed, list) else []:
            if isinstance(n, int) and n not in numbers:
                problems.append(_Found(("operators", i), f"counter {n} is not defined", "counters"))

    # Devices: each must be a device the file describes, so that a token cannot outlive the
    # kiosk it was made for without anyone noticing.
    seen_devices: dict[tuple[Any, Any], int] = {}
    seen_tokens: dict[str, int] = {}
    targets: dict[str, set[str]] = {
        "kiosk": {str(k) for k in kiosks},
        "display": {str(d) for d in displays},
        "counter": {str(n) for n in numbers},
        "boards": {str(b) for b in lines},
    }
    for i, device in _items(data, "devices"):
        role, code = device.get("role"), device.get("code")
        if (role, code) in seen_devices:
            problems.append(
                _Found(
                    ("devices", i),
                    f"{role} {code} is already listed at devices[{seen_devices[role, code]}]",
                    "code",
                )
            )
        else:
            seen_devices[role, code] = i
        if isinstance(role, str) and role in targets and isinstance(code, str) and code not in targets[role]:
            what = {"counter": "counter number", "boards": "board line code"}.get(role, f"{role} code")
            problems.append(_Found(("devices", i), f'{what} "{code}" is not defined', "code"))
        token = device.get("token_sha256")
        if isinstance(token, str):
            if token in seen_tokens:
                problems.append(
                    _Found(
                        ("devices", i),
                        f"token is the same as devices[{seen_tokens[token]}]'s",
                        "token_sha256",
                    )
                )
            else:
                seen_tokens[token] = i
    return problems


_NETWORK_PORTS = ("socket", "rfc2217")


def _port_of(url: Any) -> str | None:
    """The port a board URL opens (``/dev/ttyUSB1``, ``socket://10.0.0.21:4001``), or None
    for a broken URL (reported elsewhere) and for ``loop://``, which is never shared."""
    if not isinstance(url, str):
        return None
    try:
        port, _, _, _ = parse_board_url(url)
    except ValueError:
        return None
    if port.startswith("loop://"):
        return None
    return port.split("?", 1)[0]


def _check_boards(data: Mapping[str, Any], lines: dict[Any, Loc], problems: list[_Found]) -> dict[Any, Loc]:
    """Number boards: each on its counter's own port or on one board line, at an address its
    line can carry, no two boards at one address of a line, and one owner for every port."""
    owners: dict[str, Loc] = {}
    for i, line in _items(data, "board_lines"):
        port = _port_of(line.get("url"))
        if port is None:
            continue
        if port in owners:
            problems.append(
                _Found(
                    ("board_lines", i),
                    f"port {port} is already the line of {format_loc(owners[port])}: one process must "
                    "own a port, so put all its boards on one line (give each USB adapter a stable "
                    "name, docs/hardware.md)",
                    "url",
                )
            )
        else:
            owners[port] = ("board_lines", i)
    own_ports: dict[str, Loc] = {}
    addresses: dict[tuple[Any, int], Loc] = {}
    for i, counter in _items(data, "counters"):
        loc: Loc = ("counters", i)
        board, line_code = counter.get("board"), counter.get("board_line")
        if board is not None and line_code is not None:
            problems.append(
                _Found(
                    loc,
                    "has both board and board_line: a board is on its own port or on a line",
                    "board_line",
                )
            )
            continue
        if isinstance(line_code, str) and line_code not in lines:
            problems.append(
                _Found(
                    loc,
                    f'board line "{line_code}" is not defined{_suggest(line_code, map(str, lines))}',
                    "board_line",
                )
            )
            continue
        url = _at(data, (*lines[line_code], "url")) if isinstance(line_code, str) else board
        port = _port_of(board)
        if port is not None and port in owners:
            problems.append(
                _Found(
                    loc,
                    f"board port {port} is the line of {_path(data, owners[port])}: "
                    f'write board_line = "{_at(data, (*owners[port], "code"))}" instead of board, so that '
                    "only the line's process opens the port",
                    "board",
                )
            )
        elif port is not None and port.split(":", 1)[0] in _NETWORK_PORTS:
            # A network port is the same line whichever PC opens it. (A device path such as
            # /dev/ttyUSB0 names a different adapter on each counter's PC.)
            if port in own_ports:
                problems.append(
                    _Found(
                        loc,
                        f"board port {port} is already used by {format_loc(own_ports[port])}: boards "
                        "sharing a line go on a [[board_lines]] line, driven by one process",
                        "board",
                    )
                )
            else:
                own_ports[port] = loc
        _check_address(data, loc, counter, url, line_code, addresses, problems)
    return lines


def _check_address(
    data: Mapping[str, Any],
    loc: Loc,
    counter: Mapping[str, Any],
    url: Any,
    line_code: Any,
    addresses: dict[tuple[Any, int], Loc],
    problems: list[_Found],
) -> None:
    """The counter's board address fits its line's frame format and is its own on the line."""
    number, explicit = counter.get("number"), counter.get("board_address")
    address = explicit if explicit is not None else number
    if not isinstance(url, str) or not isinstance(address, int) or isinstance(address, bool):
        return
    key = "board_address" if explicit is not None else "number"
    try:
        _, _, fmt, _ = parse_board_url(url)
    except ValueError:
        return  # reported at the URL
    hint = (
        ""
        if explicit is not None
        else " (the default board address is the counter number: set board_address)"
    )
    problem = fmt.address_problem(address)
    if address == 0:
        problem = "board address 0 is the broadcast every board obeys"
    if problem is not None:
        problems.append(_Found(loc, f"{problem}{hint}", key))
    elif isinstance(line_code, str):
        other = addresses.setdefault((line_code, address), loc)
        if other != loc:
            problems.append(
                _Found(
                    loc,
                    f'board address {address} on line "{line_code}" is already used by '
                    f"{_path(data, other)}{hint}",
                    key,
                )
            )


def validate_center(data: Any, source: str, text: str | None = None) -> Center:
    """Check raw center data (as parsed from TOML) with both layers of checks.

    Args:
        data: The raw data.
        source: What to call it in messages (the file's name).
        text: The TOML text it was parsed from, to give each problem its line.

    Raises:
        ConfigError: Every problem found, in file order.
    """
    found: list[_Found] = []
    center: Center | None = None
    try:
        center = Center.model_validate(data, context={_CROSS_CHECKED: True})
    except ValidationError as exc:
        found += _pydantic_problems(exc)
    if isinstance(data, Mapping):
        found += _cross_check(data)
    if found or center is None:
        lines = _locate(text) if text is not None else None
        problems = [
            Problem(
                _path(data, f.loc),
                f.message,
                lines.line((*f.loc, f.key) if f.key else f.loc) if lines else None,
            )
            for f in found
        ]
        # In file order, so that fixing goes top to bottom (sorted() is stable: ties keep the
        # order in which they were found).
        problems.sort(key=lambda p: p.line if p.line is not None else 1 << 30)
        raise ConfigError(source, problems)
    return center


class _Lines:
    """Finds the line of a place in a TOML text written the usual way (``[[counters]]``
    headers, ``key = value`` lines). A best effort: None where it cannot tell."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.headers: dict[str, list[int]] = {}
        for n, line in enumerate(self.lines):
            # Arrays of tables, and plain tables (which only end an item).
            m = re.match(r"^\s*\[\[\s*([A-Za-z0-9_.]+)\s*\]\]", line) or re.match(
                r"^\s*\[\s*([A-Za-z0-9_.]+)\s*\]", line
            )
            if m:
                self.headers.setdefault(m.group(1), []).append(n)

    def line(self, loc: Loc) -> int | None:
        start, end = 0, len(self.lines)
        table = ""
        rest = list(loc)
        # Walk down arrays of tables: ("agencies", 3, "services", 1, ...).
        while len(rest) >= 2 and isinstance(rest[0], str) and isinstance(rest[1], int):
            name = f"{table}.{rest[0]}" if table else rest[0]
            candidates = [n for n in self.headers.get(name, []) if start <= n < end]
            if not candidates:
                break  # an inline array such as `zones = [...]`: look for its key below
            if rest[1] >= len(candidates):
                return None
            table, start = name, candidates[rest[1]]
            # The item ends at the next header that is not one of its own sub-tables.
            after = [
                n for t, hs in self.headers.items() if not t.startswith(table + ".") for n in hs if n > start
            ]
            end = min([*after, end])
            rest = rest[2:]
        if not rest:
            return start + 1 if table else None
        key = rest[0]
        if not isinstance(key, str):
            return None
        if not table:
            # A top-level key, or a key inside a [table] such as [hours].
            header = re.compile(rf"^\s*\[\s*{re.escape(key)}\s*\]")
            for n, text in enumerate(self.lines):
                if re.match(rf"^{re.escape(key)}\s*=", text):
                    return n + 1
                if header.match(text):
                    sub = rest[1] if len(rest) > 1 and isinstance(rest[1], str) else None
                    for m in range(n + 1, len(self.lines)):
                        if self.lines[m].lstrip().startswith("["):
                            break
                        if sub is not None and re.match(rf"^\s*{re.escape(sub)}\s*=", self.lines[m]):
                            return m + 1
                    return n + 1
            return None
        for n in range(start + 1, end):
            if re.match(rf"^\s*{re.escape(key)}\s*=", self.lines[n]):
                return n + 1
        return start + 1


def _locate(text: str) -> _Lines:
    return _Lines(text)


# ---------------------------------------------------------------------------------------------
# Reading and writing


def load_center(path: Path) -> Center:
    """Read and check a center.toml.

    Raises:
        ConfigError: The file cannot be read, is not TOML, or breaks any rule; the message
            lists every problem found.
    """
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(source, [Problem("", f"cannot read: {exc.strerror or exc}")]) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(source, [Problem("", f"not UTF-8 text: {exc}")]) from exc
    return parse_center(text, source)


def parse_center(text: str, source: str) -> Center:
    """Check the text of a center.toml, as :func:`load_center` does for a file.

    Raises:
        ConfigError: The text is not TOML, or breaks any rule.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(source, [Problem("", f"not valid TOML: {exc}")]) from exc
    return validate_center(data, source, text)


def center_from_reference(data: object, source: str = "reference") -> Center:
    """Convert a reference center description (server/centers/baku1.json).

    The reference has no operators and no devices. A kiosk keeps the reference's ``printer``,
    or has none. Sizing figures (``peak_offered_erlangs``, agencies' ``counters``) are
    derived data and dropped.

    Args:
        data: The parsed JSON.
        source: What to call it in error messages (the file's name).

    Raises:
        ConfigError: The description is not one, or is incomplete or inconsistent.
    """
    problems: list[Problem] = []

    def table(parent: Mapping[str, Any], key: str, where: Loc) -> Mapping[str, Any]:
        value = parent.get(key, {})
        if isinstance(value, Mapping):
            return value
        problems.append(Problem(format_loc((*where, key)), f"must be an object, got {_json_type(value)}"))
        return {}

    def items(parent: Mapping[str, Any], key: str, where: Loc = ()) -> list[Mapping[str, Any]]:
        value = parent.get(key, [])
        if not isinstance(value, list):
            problems.append(Problem(format_loc((*where, key)), f"must be a list, got {_json_type(value)}"))
            return []
        for i, item in enumerate(value):
            if not isinstance(item, Mapping):
                problems.append(
                    Problem(format_loc((*where, key, i)), f"must be an object, got {_json_type(item)}")
                )
        return [item for item in value if isinstance(item, Mapping)]

    if not isinstance(data, Mapping):
        raise ConfigError(
            source,
            [
                Problem(
                    "",
                    f"not a center description: expected a JSON object with center, zones, agencies"
                    f" and counters, got {_json_type(data)}",
                )
            ],
        )
    info = table(data, "center", ())
    agencies = items(data, "agencies")
    raw: dict[str, Any] = {
        "code": info.get("code"),
        "name": info.get("name"),
        "languages": info.get("languages", list(LANGS)),
        "hours": {
            "open": info.get("open", "09:00"),
            "close": info.get("close", "19:00"),
            "days": info.get("days", list(DAYS[:6])),
            "timezone": info.get("timezone", "Asia/Baku"),
        },
        "zones": [{"code": z.get("code"), "name": z.get("name")} for z in items(data, "zones")],
        "agencies": [
            {
                "code": a.get("code"),
                "prefix": a.get("prefix"),
                "zone": a.get("zone"),
                "name": a.get("name"),
                "services": [
                    {k: s[k] for k in ("code", "name", "mean_service_min", "share", "prefix") if k in s}
                    for s in items(a, "services", ("agencies", i))
                ],
            }
            for i, a in enumerate(agencies)
        ],
        "counters": [
            {
                k: c[k]
                for k in ("number", "zone", "agency", "services", "board", "board_line", "board_address")
                if k in c
            }
            for c in items(data, "counters")
        ],
        "board_lines": [{"code": b.get("code"), "url": b.get("url")} for b in items(data, "board_lines")],
        "displays": [{"code": d.get("code"), "zones": d.get("zones")} for d in items(data, "displays")],
        "kiosks": [
            {k: v for k in ("code", "zone", "printer", "paper_mm") if (v := k_.get(k)) is not None}
            for k_ in items(data, "kiosks")
        ],
    }
    if problems:
        raise ConfigError(source, problems)
    if "workload" in data:
        raw["workload"] = data["workload"]
    return validate_center(raw, source)


def _json_type(value: object) -> str:
    """What a JSON value is, in JSON's words: "a list", "a number"."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "a list" if isinstance(value, list) else "an object"


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key, ensure_ascii=False)


def _toml_value(value: Any) -> str:
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    # tomli_w knows TOML's escaping and float spelling; borrow it for one scalar.
    return tomli_w.dumps({"v": value}).removeprefix("v = ").rstrip("\n")


def _emit(lines: list[str], header: str, item: Mapping[str, Any], nested: str | None = None) -> None:
    lines.append(header)
    for key, value in item.items():
        if key != nested and value is not None:
            lines.append(f"{_toml_key(key)} = {_toml_value(value)}")


_SECTION_NOTES = {
    "zones": "Zones: parts of the hall (floors). Every counter, display and kiosk is in one.",
    "agencies": "Agencies and their services. Services share the agency's ticket prefix unless they set one.",
    "counters": "Counters: services = list (weight 1 each) or { code = weight }; policy overrides [routing].",
    "board_lines": "Board lines: serial lines shared by counters' number boards; novbe boards drives each.",
    "displays": "Displays: zones shown, spoken languages, volume 0-100, quiet hours (no speech).",
    "kiosks": "Kiosks: printer URL (serial://, usb://, tcp://, file://; virtual:// in demos); paper 80/58.",
    "operators": "Operators: argon2 password hashes; counters = [] means any counter.",
    "devices": "Devices: SHA-256 of each device's token; the token itself is in the device's own file.",
}


def dump_center(center: Center) -> str:
    """The TOML text of ``center``, in the order a person reads it; :func:`load_center` of the
    text gives back an equal Center."""
    return format_center_data(center.model_dump(mode="json", exclude_none=True))


def format_center_data(data: Mapping[str, Any]) -> str:
    """The TOML text of raw center data (as in center.toml), in the file's usual layout.

    Unlike :func:`dump_center` it takes data that may be wrong, for tools that edit a center
    file and then check it with :func:`load_center`. Keys it does not know go at the end.
    """
    name = data.get("name")
    title = name.get("en") if isinstance(name, dict) else None
    lines = [
        f"# novbe center configuration: {title or '(no name)'} ({data.get('code', '?')}).",
        "# Every field is described in docs/configuration.md.",
        "",
    ]
    done = {"workload"}
    for key in ("code", "name", "languages", "server_url"):
        if key in data:
            lines.append(f"{key} = {_toml_value(data[key])}")
            done.add(key)
    for key in ("hours", "rules", "routing"):
        if isinstance(data.get(key), dict):
            lines.append("")
            _emit(lines, f"[{key}]", data[key])
            done.add(key)
    for key in ("zones", "agencies", "counters", "board_lines", "displays", "kiosks", "operators", "devices"):
        items = data.get(key)
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            continue
        done.add(key)
        if not items:
            continue
        lines += ["", f"# {_SECTION_NOTES[key]}"]
        for item in items:
            item = dict(item)
            lines.append("")
            services = item.get("services")
            if key == "counters" and isinstance(services, dict) and all(w == 1.0 for w in services.values()):
                item["services"] = list(services)
            # Defaults left out keep the file short; they load back to the same values.
            for empty in ("policy", "quiet_hours"):
                if not item.get(empty, True):
                    del item[empty]
            if key == "operators" and item.get("supervisor") is False:
                del item["supervisor"]
            nested = (
                key == "agencies"
                and isinstance(services, list)
                and all(isinstance(s, dict) for s in services)
            )
            _emit(lines, f"[[{key}]]", item, nested="services" if nested else None)
            if nested and isinstance(services, list):
                for service in services:
                    lines.append("")
                    _emit(lines, "[[agencies.services]]", service)
    rest = {k: v for k, v in data.items() if k not in done}
    if rest:
        lines += ["", tomli_w.dumps(rest).rstrip("\n")]
    workload = data.get("workload")
    if workload is not None:
        lines += ["", "# The reference day of work, for the simulator.", ""]
        lines.append(tomli_w.dumps({"workload": workload}).rstrip("\n"))
    return "\n".join(lines) + "\n"
