"""``novbe appointments``: the booking API's token, the bookings in the log, and a CSV of
bookings imported through the running server's booking API (docs/appointments.md).

The import goes through the API, not into the database: each row is decided by the running
server's engine and written by its one writer, with the very rules (and the same answers) as
the booking system's requests.
"""

from __future__ import annotations

import csv
import io
import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from server import security
from server.center import Center, parse_center
from server.center.provision import write_secret
from server.queue import QueueEngine
from server.queue.book import Booking
from server.store import EventStore
from wire.cli import UsageError
from wire.events import BOOKING_EVENTS, event_from_dict

COLUMNS = ("service", "date", "time")
"""The columns a CSV of bookings must have; ``name``, ``phone`` and ``lang`` are optional."""

OPTIONAL = ("name", "phone", "lang")

TIMEOUT_S = 30.0

TOKEN_ENV = "NOVBE_BOOKING_TOKEN"
"""The environment variable that may hold the booking API's token for the import."""

_TABLE = re.compile(r"(?m)^\[appointments\][ \t]*\n")
_TOKEN_LINE = re.compile(r'(?m)^token_sha256[ \t]*=[ \t]*"[^"\n]*"[ \t]*\n?')


# --- token ---------------------------------------------------------------------------------


def new_api_token(center_path: Path) -> tuple[str, str]:
    """Give the booking API a new token: its SHA-256 into ``[appointments] token_sha256`` of
    center.toml (the old token stops counting at the server's next start). Returns the token and
    its hash.

    Raises:
        ConfigError: center.toml is wrong (before or after the change).
    """
    text = center_path.read_text(encoding="utf-8")
    parse_center(text, str(center_path))  # a broken file is said as it is, before any change
    token = security.new_token()
    digest = security.hash_token(token)
    line = f'token_sha256 = "{digest}"\n'
    table = _TABLE.search(text)
    if table is None:
        text = text.rstrip("\n") + f"\n\n[appointments]\n{line}"
    else:
        # The table's own lines run to the next table header.
        end = text.find("\n[", table.end())
        end = len(text) if end < 0 else end + 1
        body = _TOKEN_LINE.sub("", text[table.end() : end])
        text = text[: table.end()] + line + body + text[end:]
    parse_center(text, str(center_path))
    write_secret(center_path, text)
    return token, digest


# --- list ----------------------------------------------------------------------------------


def logged_bookings(store: EventStore, center: Center) -> list[Booking]:
    """Every booking of the log, as the server knows them (its events replayed, in order)."""
    engine = QueueEngine(center.to_hall())
    names = sorted(cls.__name__ for cls in BOOKING_EVENTS)
    for _seq, _kind, payload in store.payloads(types=names):
        engine.apply(event_from_dict(json.loads(payload)))
    return engine.book.bookings()


def booking_lines(bookings: Iterable[Booking], tz: ZoneInfo) -> Iterator[str]:
    yield f"{'code':<9} {'service':<12} {'slot':<16} {'state':<11} {'ticket':<15} name, phone"
    for b in bookings:
        slot = b.slot_at.astimezone(tz)
        who = ", ".join(x for x in (b.name, b.phone) if x)
        state, ticket = b.state.value, b.ticket or ""
        yield f"{b.code:<9} {b.service:<12} {slot:%Y-%m-%d %H:%M} {state:<11} {ticket:<15} {who}"


# --- import --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Row:
    line: int
    """The row's line in the file (the header is line 1)."""
    values: dict[str, str]


@dataclass(frozen=True, slots=True)
class Outcome:
    row: Row
    code: str | None
    """The booking's code; None when refused."""
    error: str | None = None
    """Why it was refused: ``slot_full: the slot ... is full``."""


def read_rows(path: Path) -> list[Row]:
    """The rows of a CSV of bookings (comma or semicolon separated, UTF-8, a header line).

    Raises:
        UsageError: No such file, not UTF-8, or a header without the needed columns.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UsageError(f"there is no file {path}", "give the CSV file of bookings to import") from None
    except UnicodeDecodeError:
        raise UsageError(
            f"{path} is not UTF-8 text", "save the CSV as UTF-8 (docs/appointments.md)"
        ) from None
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}", "give a CSV file you may read") from None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    missing = [name for name in COLUMNS if name not in header]
    if missing:
        found = ", ".join(header)
        raise UsageError(
            f"{path}: the first line names the columns; {', '.join(missing)} missing (found: {found})",
            "the columns are service, date, time, and optionally name, phone, lang (docs/appointments.md)",
        )
    unknown = [name for name in header if name not in (*COLUMNS, *OPTIONAL)]
    if unknown:
        raise UsageError(
            f"{path}: unknown column {', '.join(unknown)}",
            "the columns are service, date, time, and optionally name, phone, lang",
        )
    rows = []
    for record in reader:
        number = reader.line_num
        values = {
            str(k).strip().lower(): (v or "").strip()
            for k, v in record.items()
            if k is not None and not isinstance(v, list)
        }
        if any(values.values()):
            rows.append(Row(number, values))
    return rows


class Api:
    """A client of the booking API (for the import)."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url.rstrip("/")
        self.token = token

    def post(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """POST ``body``; returns the status and the JSON answer.

        Raises:
            UsageError: The API can't be reached, or refuses the token.
        """
        request = urllib.request.Request(
            self.url + path,
            data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as refused:
            answer = _answer(refused.read())
            if refused.code == 401:
                raise UsageError(
                    f"the booking API at {self.url} refused the token ({answer.get('message', '')})",
                    f"give the token of novbe appointments token with --token-file or ${TOKEN_ENV}",
                ) from None
            return refused.code, answer
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise UsageError(
                f"cannot reach the booking API at {self.url}: {reason}",
                "start novbe server with --booking-port PORT and give --url http://HOST:PORT",
            ) from None


def _answer(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except ValueError:
        return {"error": "bad_answer", "message": raw[:200].decode("utf-8", "replace")}
    return data if isinstance(data, dict) else {"error": "bad_answer", "message": str(data)[:200]}


def import_rows(api: Api, rows: Iterable[Row], tz: ZoneInfo) -> Iterator[Outcome]:
    """Book each row through the API, in order; yields what became of it."""
    for row in rows:
        body, problem = _booking_body(row, tz)
        if problem is not None:
            yield Outcome(row, None, problem)
            continue
        status, answer = api.post("/bookings", body)
        if status == 201:
            yield Outcome(row, str(answer["code"]))
        else:
            yield Outcome(row, None, f"{answer.get('error', status)}: {answer.get('message', '')}")


def _booking_body(row: Row, tz: ZoneInfo) -> tuple[dict[str, Any], str | None]:
    v = row.values
    if not v.get("service"):
        return {}, "invalid_request: no service"
    try:
        day = date.fromisoformat(v.get("date", ""))
    except ValueError:
        return {}, f"invalid_request: date {v.get('date')!r} is not YYYY-MM-DD"
    try:
        clock = time.fromisoformat(v.get("time", ""))
    except ValueError:
        return {}, f"invalid_request: time {v.get('time')!r} is not HH:MM"
    body: dict[str, Any] = {
        "service": v["service"],
        "slot_at": datetime.combine(day, clock, tz).isoformat(),
        "by": "import",
    }
    for name in OPTIONAL:
        if v.get(name):
            body[name] = v[name]
    return body, None


def write_outcomes(path: Path, outcomes: Iterable[Outcome]) -> None:
    """The rows with what became of them: ``code`` (empty when refused) and ``result``."""
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["line", *COLUMNS, *OPTIONAL, "code", "result"])
        for o in outcomes:
            v = o.row.values
            result = "booked" if o.code else f"refused: {o.error}"
            writer.writerow(
                [o.row.line, *(v.get(k, "") for k in (*COLUMNS, *OPTIONAL)), o.code or "", result]
            )
