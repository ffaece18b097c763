"""The configuration file of one device: a kiosk, a counter, a display, a board line, a
counter's rating terminal, a supervisor desk or the citizens' web pages (``novbe web``).

``novbe init`` writes one such file per device (``devices/<role>-<code>.toml``); the device's
app reads it at start with :func:`load_device`. It names the server, holds the device's token in
clear (so the file is created with mode 0600) and the settings of the hardware attached to it.

This module is imported by the apps, so it must not import anything from ``server``. The
clock-time and quiet-hours types are defined here and reused by ``server.center``, which may
import ``wire``.
"""

from __future__ import annotations

import re
import tomllib
import zoneinfo
from datetime import time
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import tomli_w
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)

__all__ = [
    "BOARD_SCHEMES",
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "PRINTER_SCHEMES",
    "ClockTime",
    "DeviceConfig",
    "DeviceConfigError",
    "DeviceRole",
    "Languages",
    "QuietPeriod",
    "ScreenMode",
    "TimeZoneName",
    "check_server_url",
    "check_timezone",
    "check_url_scheme",
    "dump_device",
    "format_loc",
    "format_validation_error",
    "load_device",
    "screen_languages",
    "server_url_for",
    "spoken_languages",
]

DeviceRole = Literal["kiosk", "counter", "display", "boards", "supervisor", "rating", "web"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
"""The hall server's port unless told otherwise: ``novbe server`` listens on it and
``novbe init`` writes it into the device files."""


def server_url_for(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, *, tls: bool = False) -> str:
    """The URL devices use to reach a server at ``host`` and ``port``: ``ws://host:port``."""
    shown = f"[{host}]" if ":" in host else host  # an IPv6 address
    return f"{'wss' if tls else 'ws'}://{shown}:{port}"


PRINTER_SCHEMES: tuple[str, ...] = ("virtual", "serial", "usb", "tcp", "file")
"""How a kiosk reaches its ticket printer:

* ``virtual:///var/lib/novbe/tickets`` -- no printer: tickets are drawn to picture files in
  that directory. For the demo and the tests only: nothing comes out on paper;
* ``serial:///dev/ttyUSB0?baudrate=115200`` -- a serial printer;
* ``usb://04b8:0202`` -- a USB printer by vendor:product id;
* ``tcp://192.0.2.10:9100`` -- a network printer (raw port 9100);
* ``file:///dev/usb/lp0`` -- a character device written as a file.
"""

BOARD_SCHEMES: tuple[str, ...] = ("serial", "loop", "socket", "rfc2217")
"""How a counter, or a board line's process, reaches number boards:
``serial:///dev/ttyUSB1?baudrate=9600``, or one of pyserial's URL handlers (``loop://`` for
tests, ``socket://host:port``, ``rfc2217://host:port`` for a serial-over-network converter)."""

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def _parse_clock(value: Any) -> Any:
    """Accept "HH:MM" (or a TOML local time with zero seconds); anything else is an error.

    pydantic's own time parser would also take "9:00:30.5" or a number of seconds; a hall's
    opening hours are whole minutes, and a strict format catches "25:00" and "9.00".
    """
    if isinstance(value, time):
        if value.second or value.microsecond or value.tzinfo is not None:
            raise ValueError(f"must be a time of day as HH:MM, got {value.isoformat()}")
        return value
    if isinstance(value, str):
        m = _HHMM.match(value.strip())
        if m is None:
            raise ValueError(f'must be a time of day as HH:MM (00:00 to 23:59), got "{value}"')
        return time(int(m.group(1)), int(m.group(2)))
    raise ValueError(f"must be a time of day as a string HH:MM, got {value!r}")


def _format_clock(value: time) -> str:
    return value.strftime("%H:%M")


ClockTime = Annotated[time, BeforeValidator(_parse_clock), PlainSerializer(_format_clock, return_type=str)]
"""A time of day written "HH:MM" in configuration files."""


class QuietPeriod(BaseModel):
    """A period of the day when a display does not speak its calls (it still shows them).

    Written ``"HH:MM-HH:MM"``. A period may wrap midnight (``"22:00-07:00"``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: ClockTime
    end: ClockTime

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, data: Any) -> Any:
        if isinstance(data, str):
            start, sep, end = data.partition("-")
            if not sep:
                raise ValueError(f'must be a period "HH:MM-HH:MM", got "{data}"')
            return {"start": start.strip(), "end": end.strip()}
        return data

    @model_validator(mode="after")
    def _not_empty(self) -> QuietPeriod:
        if self.start == self.end:
            raise ValueError(f"period {self} starts and ends at the same time")
        return self

    @model_serializer
    def _to_text(self) -> str:
        return str(self)

    def __str__(self) -> str:
        return f"{_format_clock(self.start)}-{_format_clock(self.end)}"

    def contains(self, at: time) -> bool:
        """Tell whether the time of day ``at`` falls in this period (start included, end not)."""
        if self.start < self.end:
            return self.start <= at < self.end
        return at >= self.start or at < self.end


def check_url_scheme(url: str, schemes: tuple[str, ...], what: str) -> str:
    """Return ``url`` if its scheme is one of ``schemes``; else raise ValueError naming them."""
    parts = urlsplit(url)
    if parts.scheme not in schemes:
        allowed = ", ".join(f"{s}://" for s in schemes)
        got = f'scheme "{parts.scheme}://"' if parts.scheme else "no scheme"
        raise ValueError(f'{what} URL "{url}" has {got}; expected one of {allowed}')
    if not (parts.netloc or parts.path):
        raise ValueError(f'{what} URL "{url}" names no device')
    return url


def check_server_url(url: str) -> str:
    """Return ``url`` if it is a websocket URL with a host (and a valid port, if any); else
    raise ValueError saying what it should look like."""
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - raises ValueError for a port out of range or not a number
    except ValueError:
        raise ValueError(f'server URL "{url}" has a wrong port (a number from 1 to 65535)') from None
    if parts.scheme not in ("ws", "wss") or not parts.hostname:
        raise ValueError(f'server URL must look like "ws://host:port" or "wss://host", got "{url}"')
    return url


def check_timezone(value: str) -> str:
    """Return ``value`` if it is a time zone this machine knows (an IANA name); else raise
    ValueError saying what it should look like."""
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f'unknown time zone "{value}" (an IANA name such as "Asia/Baku")') from None
    return value


TimeZoneName = Annotated[str, AfterValidator(check_timezone)]
"""An IANA time zone name ("Asia/Baku") in configuration files."""

Lang = Literal["az", "ru", "en"]


def _once_each(value: list[Lang]) -> list[Lang]:
    repeated = sorted({lang for lang in value if value.count(lang) > 1})
    if repeated:
        raise ValueError(f"language listed twice: {', '.join(repeated)}")
    return value


Languages = Annotated[list[Lang], Field(min_length=1), AfterValidator(_once_each)]
"""Languages in order, each at most once."""

ScreenMode = Literal["alternate", "pair"]
"""How a display shows its screen languages: one at a time, taking turns, or all together."""


def spoken_languages() -> list[Lang]:
    """The default languages of spoken calls: Azerbaijani for every call, and Russian or
    English for a citizen who took the ticket in it."""
    return ["az", "ru", "en"]


def screen_languages() -> list[Lang]:
    """The default languages of a display's own words: Azerbaijani and Russian, taking turns."""
    return ["az", "ru"]


class DeviceConfig(BaseModel):
    """Everything one device's app needs to start."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: DeviceRole
    code: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    """The device's code in center.toml: a kiosk's, display's or board line's code, a counter's
    number (for the counter's app and for its rating terminal)."""
    server_url: str
    token: str = Field(min_length=16)
    """The device's secret, in clear. The server keeps only its SHA-256."""
    lang: Lang = "az"
    """Language the screen starts in."""
    fullscreen: bool = True

    # Kiosk
    printer: str | None = None
    """The ticket printer's URL. None: the kiosk has no printer, shows every ticket on screen
    only, and says so on screen and to the supervisor."""
    paper_mm: Literal[80, 58] = 80

    # Counter, its rating terminal, board line
    counter: int | None = Field(default=None, ge=1)
    board: str | None = None
    """Serial URL of the number board above the counter, if it has one on a port of its own PC;
    for a board line, the line's URL."""
    board_address: int | None = Field(default=None, ge=0, le=255)
    """Address of this counter's board on its line."""
    boards: dict[Annotated[int, Field(ge=1)], Annotated[int, Field(ge=0, le=255)]] | None = None
    """Board line: counter number -> address of its board on the line."""
    scanner: str | None = None
    """Counter or kiosk: serial URL of a QR and barcode scanner that sends one code per line
    (``serial:///dev/ttyACM0?baudrate=9600``): a ticket's code at a counter, a booking's at a
    kiosk. None: no scanner, or a keyboard-wedge one, which types into the counter's number
    field (the kiosk's check-in) and needs no setting."""

    # Display
    languages: Languages = Field(default_factory=spoken_languages)
    """Languages calls are spoken in: the first for every call, each other one for a call
    whose ticket was taken in it."""
    volume: int = Field(default=80, ge=0, le=100)
    quiet_hours: list[QuietPeriod] = Field(default_factory=list)
    voice_pack: Path | None = None
    """Directory of recorded voice clips; None uses the built-in voice."""
    screen_languages: Languages = Field(default_factory=screen_languages)
    """Languages of the screen's own words (headings, date, names), in order."""
    screen_mode: ScreenMode = "alternate"
    """``alternate``: one language at a time, the next every ``screen_every_s``;
    ``pair``: all of them together."""
    screen_every_s: int = Field(default=10, ge=3, le=600)
    idle_images: Path | None = None
    """Folder of pictures shown in turn when no call is on the screen; None: the queues' figures."""
    timezone: TimeZoneName | None = None
    """The center's time zone, for the clock until the server first answers (it then sends it)."""

    @field_validator("server_url")
    @classmethod
    def _check_server_url(cls, value: str) -> str:
        return check_server_url(value)

    @field_validator("printer")
    @classmethod
    def _check_printer(cls, value: str | None) -> str | None:
        return None if value is None else check_url_scheme(value, PRINTER_SCHEMES, "printer")

    @field_validator("board")
    @classmethod
    def _check_board(cls, value: str | None) -> str | None:
        return None if value is None else check_url_scheme(value, BOARD_SCHEMES, "number board")

    @field_validator("scanner")
    @classmethod
    def _check_scanner(cls, value: str | None) -> str | None:
        # The same pyserial URLs as a number board's (hardware.scanner).
        return None if value is None else check_url_scheme(value, BOARD_SCHEMES, "scanner")

    @model_validator(mode="after")
    def _role_needs(self) -> DeviceConfig:
        # A counter screen without its number would start and then fail at the first
        # request; refuse the file instead. (A kiosk without a printer works, and says so.)
        if self.role == "counter" and self.counter is None:
            raise ValueError('a counter needs "counter", the number of its counter')
        if self.role == "rating" and self.counter is None:
            raise ValueError('a rating terminal needs "counter", the number of the counter it stands at')
        if self.role == "boards" and (self.board is None or not self.boards):
            raise ValueError(
                'a board line needs "board", the line\'s URL, and "boards", its counters\' board addresses'
            )
        return self


class DeviceConfigError(Exception):
    """A device file cannot be read or is wrong. ``str()`` names the file and every problem."""

    def __init__(self, source: str, problems: list[str]) -> None:
        super().__init__(source, problems)
        self.source = source
        self.problems = problems

    def __str__(self) -> str:
        return "\n".join(f"{self.source}: {p}" for p in self.problems)


def format_loc(loc: tuple[int | str, ...]) -> str:
    """Turn a pydantic error location into a readable path: ``agencies[3].services[1].name``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", part):
            out += f".{part}" if out else part
        else:
            out += f'["{part}"]'
    return out


def format_validation_error(exc: ValidationError) -> list[str]:
    """One readable line per pydantic error: ``path: message``."""
    lines = []
    for err in exc.errors(include_url=False):
        path = format_loc(tuple(err["loc"]))
        msg = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown field (misspelt, or in the wrong table?)"
        elif err["type"] == "missing":
            msg = "required field is missing"
        lines.append(f"{path}: {msg}" if path else msg)
    return lines


def load_device(path: Path) -> DeviceConfig:
    """Read and check a device file.

    Raises:
        DeviceConfigError: The file is missing, is not TOML, or has wrong or missing fields;
            the message names each problem.
    """
    source = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DeviceConfigError(source, [f"cannot read: {exc.strerror or exc}"]) from exc
    except tomllib.TOMLDecodeError as exc:
        raise DeviceConfigError(source, [f"not valid TOML: {exc}"]) from exc
    except UnicodeDecodeError as exc:
        raise DeviceConfigError(source, [f"not UTF-8 text: {exc}"]) from exc
    try:
        return DeviceConfig.model_validate(data)
    except ValidationError as exc:
        raise DeviceConfigError(source, format_validation_error(exc)) from None


_DISPLAY_KEYS = ("languages", "volume", "quiet_hours", "screen_languages", "screen_mode", "screen_every_s")
"""Fields with a default that only a display's file holds."""


def dump_device(cfg: DeviceConfig) -> str:
    """The TOML text of a device file; fields that do not apply to the role are left out."""
    data = cfg.model_dump(mode="json", exclude_none=True)
    if cfg.role != "kiosk":
        data.pop("paper_mm", None)
    if cfg.role == "boards":
        data.pop("fullscreen", None)  # no screen
    if cfg.role != "display":
        for key in _DISPLAY_KEYS:
            data.pop(key, None)
    if not data.get("quiet_hours"):
        data.pop("quiet_hours", None)
    head = (
        f"# novbe {cfg.role} {cfg.code}. Holds a secret token: keep this file readable by its owner only.\n"
    )
    # One line per key, lists inline: easier to read and edit than tomli_w's multi-line arrays.
    return head + "".join(f"{key} = {_toml_value(value)}\n" for key, value in data.items())


def _toml_value(value: Any) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{key} = {_toml_value(v)}" for key, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    # tomli_w knows TOML's escaping; borrow it for one value.
    return tomli_w.dumps({"v": value}).removeprefix("v = ").rstrip("\n")
