"""Diagnostics of a center file: every problem at once, each naming its place and line.

A wrong file is refused as a whole, with one line per problem naming the place
(``counters[12] (number 13): service "DIN-XYZ" is not defined``): an administrator fixing a
hall of 81 counters should see every mistake at once, not one per restart. Checks come in two
layers:

* pydantic checks each value on its own (types, ranges, HH:MM times, URL schemes,
  translations); :func:`pydantic_problems` words its errors;
* :func:`cross_check` checks references and uniqueness across the file (a counter's service
  must exist, prefixes must not clash). It reads the raw data and tolerates broken values, so
  that it can run, and report, even when the first layer failed.

:func:`located` gives each problem its readable path and its line in the TOML text. This
module knows nothing of the schema (``model``), which builds on it.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from pydantic import ValidationError

from hardware.board import parse_board_url
from wire.device import format_loc
from wire.types import LANGS

CROSS_CHECKED = "novbe.cross_checked"
"""Validation context key: the caller runs :func:`cross_check` itself (see validate_center)."""

Loc = tuple[int | str, ...]


class Found(NamedTuple):
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


def pydantic_problems(exc: ValidationError) -> list[Found]:
    out: list[Found] = []
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
        out.append(Found(loc, msg))
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


def cross_check(data: Mapping[str, Any]) -> list[Found]:
    """References and uniqueness across the file, on raw data; broken values are skipped
    (pydantic reports them)."""
    problems: list[Found] = []

    def unique(key: str, field_name: str, what: str = "") -> dict[Any, Loc]:
        seen: dict[Any, Loc] = {}
        for i, item in _items(data, key):
            value = item.get(field_name)
            if not isinstance(value, int | str) or isinstance(value, bool):
                continue
            if value in seen:
                shown = value if isinstance(value, int) else f'"{value}"'
                problems.append(
                    Found(
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
                Found(loc, f'zone "{value}" is not defined{_suggest(value, map(str, zones))}', key)
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
                    Found(
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
                    Found(
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
                Found(
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
                    Found(loc, f'service "{s_code}" is not defined{_suggest(s_code, services)}', "services")
                )

    lines = _check_boards(data, unique("board_lines", "code"), problems)

    # Bookings: of services that exist.
    appointments = data.get("appointments")
    if isinstance(appointments, Mapping):
        for i, hours in _items(appointments, "services"):
            s_code = hours.get("service")
            if isinstance(s_code, str) and s_code not in services:
                problems.append(
                    Found(
                        ("appointments", "services", i),
                        f'service "{s_code}" is not defined{_suggest(s_code, services)}',
                        "service",
                    )
                )

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
                problems.append(Found(("operators", i), f"counter {n} is not defined", "counters"))

    # Devices: each must be a device the file describes, so that a token cannot outlive the
    # kiosk it was made for without anyone noticing.
    seen_devices: dict[tuple[Any, Any], int] = {}
    seen_tokens: dict[str, int] = {}
    targets: dict[str, set[str]] = {
        "kiosk": {str(k) for k in kiosks},
        "display": {str(d) for d in displays},
        "counter": {str(n) for n in numbers},
        "rating": {str(n) for n in numbers},
        "boards": {str(b) for b in lines},
    }
    for i, device in _items(data, "devices"):
        role, code = device.get("role"), device.get("code")
        if (role, code) in seen_devices:
            problems.append(
                Found(
                    ("devices", i),
                    f"{role} {code} is already listed at devices[{seen_devices[role, code]}]",
                    "code",
                )
            )
        else:
            seen_devices[role, code] = i
        if isinstance(role, str) and role in targets and isinstance(code, str) and code not in targets[role]:
            what = {"counter": "counter number", "rating": "counter number", "boards": "board line code"}.get(
                role, f"{role} code"
            )
            problems.append(Found(("devices", i), f'{what} "{code}" is not defined', "code"))
        token = device.get("token_sha256")
        if isinstance(token, str):
            if token in seen_tokens:
                problems.append(
                    Found(
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


def _check_boards(data: Mapping[str, Any], lines: dict[Any, Loc], problems: list[Found]) -> dict[Any, Loc]:
    """Number boards: each on its counter's own port or on one board line, at an address its
    line can carry, no two boards at one address of a line, and one owner for every port."""
    owners: dict[str, Loc] = {}
    for i, line in _items(data, "board_lines"):
        port = _port_of(line.get("url"))
        if port is None:
            continue
        if port in owners:
            problems.append(
                Found(
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
                Found(
                    loc,
                    "has both board and board_line: a board is on its own port or on a line",
                    "board_line",
                )
            )
            continue
        if isinstance(line_code, str) and line_code not in lines:
            problems.append(
                Found(
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
                Found(
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
                    Found(
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
    problems: list[Found],
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
        problems.append(Found(loc, f"{problem}{hint}", key))
    elif isinstance(line_code, str):
        other = addresses.setdefault((line_code, address), loc)
        if other != loc:
            problems.append(
                Found(
                    loc,
                    f'board address {address} on line "{line_code}" is already used by '
                    f"{_path(data, other)}{hint}",
                    key,
                )
            )


def located(data: Any, found: Iterable[Found], text: str | None = None) -> list[Problem]:
    """The problems ``found`` in ``data``, each with its readable path and, given the TOML
    ``text`` the data was parsed from, its line; in file order, so that fixing goes top to
    bottom (the sort is stable: ties keep the order in which they were found)."""
    lines = _Lines(text) if text is not None else None
    problems = [
        Problem(
            _path(data, f.loc),
            f.message,
            lines.line((*f.loc, f.key) if f.key else f.loc) if lines else None,
        )
        for f in found
    ]
    problems.sort(key=lambda p: p.line if p.line is not None else 1 << 30)
    return problems


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
