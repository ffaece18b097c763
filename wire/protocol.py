"""The wire protocol between the hall server and its devices: one JSON object per
websocket text frame. docs/protocol.md documents every message with an example.

The server and the apps both import this module, so they cannot disagree about a field.
Client messages are validated with pydantic; a message that doesn't fit gets an
``error`` reply and the connection stays open.
"""

from __future__ import annotations

import json
import re
import typing
from enum import StrEnum
from typing import Annotated, Any, Final, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator
from pydantic_core import PydanticCustomError

# The counter's requests, by name (defined with the hall's plain values, re-exported here).
from .types import CounterActionType as CounterActionType, RatingReason

PROTOCOL_VERSION: Final = 1

MAX_MESSAGE_BYTES = 16 * 1024
"""A client message longer than this many UTF-8 bytes gets a ``too_large`` error reply."""

MAX_DEPTH = 32
"""Arrays and objects nested deeper than this get ``invalid_message``. The deepest
message of the protocol has 2 levels; the limit keeps the JSON parser's recursion
far from Python's."""

MAX_DIGITS = 20
"""An integer of more digits gets ``invalid_message``; the protocol's largest number, an
event ``seq``, has far fewer."""

Lang = Literal["az", "ru", "en"]
RequestId = Annotated[str, Field(min_length=1, max_length=64)]
Code = Annotated[str, Field(min_length=1, max_length=32)]


class Role(StrEnum):
    KIOSK = "kiosk"
    COUNTER = "counter"
    DISPLAY = "display"
    BOARDS = "boards"
    """The process that owns a shared line of counters' number boards (``novbe boards``)."""
    SUPERVISOR = "supervisor"
    WEB = "web"
    """The citizens' web pages (``novbe web``): sees every event of the hall, changes nothing."""
    RATING = "rating"
    """The citizen-facing rating terminal beside a counter (``novbe rating``)."""


class ErrorCode(StrEnum):
    """Stable error codes of ``error`` replies. docs/protocol.md explains each."""

    BAD_JSON = "bad_json"
    INVALID_MESSAGE = "invalid_message"
    UNKNOWN_TYPE = "unknown_type"
    TOO_LARGE = "too_large"
    NOT_AUTHENTICATED = "not_authenticated"
    ALREADY_AUTHENTICATED = "already_authenticated"
    AUTH_FAILED = "auth_failed"
    FORBIDDEN = "forbidden"
    WRONG_PASSWORD = "wrong_password"
    TOO_MANY_ATTEMPTS = "too_many_attempts"
    OPERATOR_NOT_ALLOWED = "operator_not_allowed"
    COUNTER_TAKEN = "counter_taken"
    OPERATOR_ELSEWHERE = "operator_elsewhere"
    NOT_LOGGED_IN = "not_logged_in"
    STORE_UNAVAILABLE = "store_unavailable"
    SHUTTING_DOWN = "shutting_down"
    INTERNAL_ERROR = "internal_error"
    # Queue engine errors (server/queue/exceptions.py), passed through with their code:
    INVALID_TRANSITION = "invalid_transition"
    UNKNOWN_TICKET = "unknown_ticket"
    UNKNOWN_SERVICE = "unknown_service"
    UNKNOWN_COUNTER = "unknown_counter"
    COUNTER_NOT_OPEN = "counter_not_open"
    COUNTER_BUSY = "counter_busy"
    NO_CURRENT_TICKET = "no_current_ticket"
    NOTHING_TO_CALL = "nothing_to_call"
    DAY_NOT_OPEN = "day_not_open"
    SERVICE_UNAVAILABLE = "service_unavailable"
    NO_OPEN_COUNTER = "no_open_counter"
    RATING_REFUSED = "rating_refused"
    UNKNOWN_OUTCOME = "unknown_outcome"
    CHECK_IN_REFUSED = "check_in_refused"


class _Msg(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Request(_Msg):
    id: RequestId
    """Chosen by the client, unique per device. Sending the same id again (after a lost
    reply) returns the first answer and changes nothing."""


# --- client -> server ----------------------------------------------------------------


class Hello(_Msg):
    """First message on every connection: who is this?"""

    type: Literal["hello"]
    id: RequestId | None = None
    role: Role
    device: Code | None = None
    """Kiosk, display, board line or web process code, or the counter number ("12") for a
    counter or its rating terminal. Not used by supervisors."""
    token: Annotated[str, Field(max_length=256)] | None = None
    login: Annotated[str, Field(max_length=64)] | None = None
    password: Annotated[str, Field(max_length=256)] | None = None
    lang: Lang = "az"
    resume_from: Annotated[int, Field(ge=0)] | None = None
    """The last event ``seq`` this client saw; the server sends what came after it."""
    protocol: Literal[1] = PROTOCOL_VERSION
    """The only version this module speaks (``PROTOCOL_VERSION``); any other is refused."""

    @model_validator(mode="after")
    def _credentials_of_the_role(self) -> Self:
        needed = ("login", "password") if self.role is Role.SUPERVISOR else ("device", "token")
        for name in needed:
            if getattr(self, name) is None:
                raise PydanticCustomError(
                    "missing",
                    "{field}: Field required for a {role}",
                    {"field": name, "role": self.role.value},
                )
        return self


class Issue(_Request):
    type: Literal["issue"]
    service: Code
    lang: Lang = "az"
    priority: Literal["none", "elderly", "disabled", "pregnant", "veteran", "martyr_family"] = "none"
    appointment: Annotated[str, Field(max_length=32)] | None = None


class CheckIn(_Request):
    """A booked citizen at the kiosk: the booking's code, typed or scanned (its QR code).

    Answered like ``issue`` (the ticket, in the appointment lane, with ``appointment`` and
    ``slot_at``), or ``check_in_refused`` with ``details.reason`` (docs/protocol.md)."""

    type: Literal["check_in"]
    code: Annotated[str, Field(min_length=1, max_length=32)]
    """The booking's 8 digits; spaces and dashes are ignored."""
    lang: Lang = "az"


class Login(_Request):
    type: Literal[CounterActionType.LOGIN]
    login: Annotated[str, Field(min_length=1, max_length=64)]
    password: Annotated[str, Field(max_length=256)]


class Logout(_Request):
    type: Literal[CounterActionType.LOGOUT]


class CounterAction(_Request):
    """The counter's own actions on its current ticket or on itself that carry nothing but
    their type. Every counter request's ``type`` (these, ``login``, ``logout``, ``finish``,
    ``call_ticket``, ``transfer``) is a :class:`CounterActionType`."""

    type: Literal[
        CounterActionType.CALL_NEXT,
        CounterActionType.RECALL,
        CounterActionType.START,
        CounterActionType.NO_SHOW,
        CounterActionType.PARK,
        CounterActionType.PAUSE,
        CounterActionType.RESUME,
    ]


class Finish(_Request):
    """Finish the visit at the counter, saying how it ended."""

    type: Literal[CounterActionType.FINISH]
    outcome: Code | None = None
    """One of the center's outcomes (``CenterInfo.outcomes``); None records none."""


class CallTicket(_Request):
    type: Literal[CounterActionType.CALL_TICKET]
    ticket: Annotated[str, Field(min_length=1, max_length=32)]


class Transfer(_Request):
    type: Literal[CounterActionType.TRANSFER]
    to_service: Code | None = None
    to_counter: Annotated[int, Field(ge=1, le=9999)] | None = None
    return_to_me: bool = False


class SupervisorCounter(_Request):
    type: Literal["open_counter", "close_counter", "pause_counter", "resume_counter"]
    counter: Annotated[int, Field(ge=1, le=9999)]


class DayAction(_Request):
    type: Literal["open_day", "close_day"]


class Cancel(_Request):
    type: Literal["cancel"]
    ticket: Annotated[str, Field(min_length=1, max_length=32)]


class SetCounterServices(_Request):
    """The services a counter serves until the day closes, in order of preference."""

    type: Literal["set_counter_services"]
    counter: Annotated[int, Field(ge=1, le=9999)]
    services: Annotated[list[Code], Field(min_length=1, max_length=64)]


class MoveTicket(_Request):
    """Move a waiting ticket to another service's queue; it keeps its place by arrival."""

    type: Literal["move_ticket"]
    ticket: Annotated[str, Field(min_length=1, max_length=32)]
    to_service: Code


class Figures(_Request):
    """Today's figures per agency and operator, computed as the reports compute them."""

    type: Literal["figures"]


class SetMessage(_Request):
    """The scrolling message line of the hall displays; ``null`` removes it."""

    type: Literal["set_message"]
    text: dict[Lang, Annotated[str, Field(max_length=500)]] | None = None


HealthStatus = Literal["ok", "paper_low", "paper_out", "cover_open", "offline", "error"]

HEALTH_SEVERITY: dict[str, int] = {
    "ok": 0,
    "paper_low": 1,
    "paper_out": 2,
    "cover_open": 2,
    "offline": 2,
    "error": 2,
}
"""How bad each health status is: 0 works; 1 works but needs someone soon (the roll is
ending); 2 doesn't work. The server alerts the supervisors on every change into a worse
state (a higher level, or another failure: ``offline`` -> ``paper_out``) and tells them when
a component recovers (a lower level). docs/protocol.md, "report_health"."""


class ReportHealth(_Request):
    """A device's own health: its printer, its number board."""

    type: Literal["report_health"]
    component: Literal["printer", "board", "audio", "app", "scanner"]
    status: HealthStatus
    detail: Annotated[str, Field(max_length=500)] | None = None


class Rate(_Request):
    """A citizen's rating of a finished visit: from the rating terminal beside the counter
    (and, with the same fields, from the phone page of the ticket). The server knows who
    sends it and when; the message says only which ticket, the score and the reasons."""

    type: Literal["rate"]
    ticket: Annotated[str, Field(min_length=1, max_length=32)]
    score: Annotated[int, Field(strict=True, ge=1, le=5)]
    """1 (very unhappy) to 5 (very satisfied)."""
    reasons: Annotated[tuple[RatingReason, ...], Field(max_length=len(RatingReason))] = ()
    """What went wrong, from the fixed set (none: nothing said)."""


class Sync(_Request):
    """Ask again for what was missed (``resume_from``) or for a fresh snapshot."""

    type: Literal["sync"]
    resume_from: Annotated[int, Field(ge=0)] | None = None


ClientRequest = (
    Issue
    | CheckIn
    | Login
    | Logout
    | CounterAction
    | Finish
    | CallTicket
    | Transfer
    | SupervisorCounter
    | DayAction
    | Cancel
    | SetCounterServices
    | MoveTicket
    | Figures
    | SetMessage
    | ReportHealth
    | Rate
    | Sync
)
"""Every message after ``hello``: each has a request ``id``."""

ClientMessage = Annotated[Hello | ClientRequest, Field(discriminator="type")]

_client_adapter: TypeAdapter[ClientMessage] = TypeAdapter(ClientMessage)

CLIENT_TYPES: frozenset[str] = frozenset(
    kind
    for model in typing.get_args(Hello | ClientRequest)
    for kind in typing.get_args(model.model_fields["type"].annotation)
)
"""Every ``type`` a client may send, read off the schemas above."""

ROLE_REQUESTS: dict[Role, frozenset[str]] = {
    Role.KIOSK: frozenset({"issue", "check_in", "report_health", "sync"}),
    Role.COUNTER: frozenset({*CounterActionType, "report_health", "sync"}),
    Role.DISPLAY: frozenset({"report_health", "sync"}),
    Role.BOARDS: frozenset({"report_health", "sync"}),
    Role.WEB: frozenset({"sync"}),
    Role.RATING: frozenset({"rate", "report_health", "sync"}),
    Role.SUPERVISOR: frozenset(
        {
            "open_counter",
            "close_counter",
            "pause_counter",
            "resume_counter",
            "open_day",
            "close_day",
            "cancel",
            "set_counter_services",
            "move_ticket",
            "set_message",
            "figures",
            "sync",
        }
    ),
}
"""What each role may ask for; anything else is ``forbidden``."""


class ProtocolError(Exception):
    """A client message that can't be accepted. ``code`` is an :class:`ErrorCode`."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        request_id: str | None = None,
        *,
        details: dict[str, str | int | float | bool | None] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.request_id = request_id
        self.details = details or {}
        """What the error's ``details`` hold besides ``detail`` (e.g. ``retry_after_s``)."""


def _request_id_of(data: dict[str, Any]) -> str | None:
    rid = data.get("id")
    if isinstance(rid, str) and 0 < len(rid) <= 64:
        return rid
    return None


class _TooLong(ValueError):
    """An integer literal of more than MAX_DIGITS digits."""


def _parse_int(literal: str) -> int:
    if len(literal.lstrip("-")) > MAX_DIGITS:
        raise _TooLong(f"a number of {len(literal.lstrip('-'))} digits; at most {MAX_DIGITS} are accepted")
    return int(literal)


class _NotJson(ValueError):
    """NaN, Infinity and -Infinity: Python's json reads them, but they are not JSON."""


def _not_a_json_constant(name: str) -> None:
    raise _NotJson(f"not JSON: {name} is not a JSON value")


_DECODER = json.JSONDecoder(parse_int=_parse_int, parse_constant=_not_a_json_constant)

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKET = re.compile(r"[\[\]{}]")
# A string that may hold NUL or a lone surrogate: neither can be stored or sent on
# (UTF-8 has no surrogates; PostgreSQL text takes no NUL). Only written as escapes.
_SUSPECT_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")


def _too_deep(text: str) -> bool:
    """Whether arrays and objects nest deeper than MAX_DEPTH, read off the text before
    parsing it (the parser would recurse as deep)."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return False  # every message of the protocol: no scan needed
    depth = 0
    for bracket in _BRACKET.findall(_STRING.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        if depth > MAX_DEPTH:
            return True
    return False


def _bad_string(data: object) -> str | None:
    """Describe the first string (value or key) holding NUL or a lone surrogate."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            if "\x00" in item:
                return "a string holds \\u0000 (NUL), which is refused"
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return (
                    "a string holds half of a surrogate pair (\\ud800-\\udfff alone), which is no character"
                )
    return None


def parse_client_message(text: str | bytes) -> ClientMessage:
    """Validate one client frame: a text frame (``str``) holding one JSON object.

    Returns:
        The message as its own model (``Hello``, ``Issue``, ...): match on the class.

    Raises:
        ProtocolError: with ``too_large``, ``bad_json``, ``unknown_type`` or
            ``invalid_message``, and the request id when one could be read. The
            message names the problem in English; it never carries a Python error text.
    """
    if isinstance(text, bytes):
        raise ProtocolError(ErrorCode.BAD_JSON, "a binary frame: send the JSON message in a text frame")
    # A character is 1 to 4 bytes of UTF-8: short texts need no encoding to be measured.
    size = len(text) if len(text) <= MAX_MESSAGE_BYTES // 4 else len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_MESSAGE_BYTES:
        raise ProtocolError(ErrorCode.TOO_LARGE, f"message of {size} bytes, limit {MAX_MESSAGE_BYTES}")
    if _too_deep(text):
        raise ProtocolError(ErrorCode.INVALID_MESSAGE, f"arrays and objects nested deeper than {MAX_DEPTH}")
    try:
        data = _DECODER.decode(text)
    except _TooLong as exc:
        raise ProtocolError(ErrorCode.INVALID_MESSAGE, str(exc)) from None
    except _NotJson as exc:
        raise ProtocolError(ErrorCode.BAD_JSON, str(exc)) from None
    except json.JSONDecodeError as exc:
        raise ProtocolError(
            ErrorCode.BAD_JSON, f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    if _SUSPECT_ESCAPE.search(text):
        problem = _bad_string(data)
        if problem is not None:
            raise ProtocolError(ErrorCode.INVALID_MESSAGE, problem)
    if not isinstance(data, dict):
        raise ProtocolError(ErrorCode.INVALID_MESSAGE, "a message must be a JSON object")
    rid = _request_id_of(data)
    kind = data.get("type")
    if kind is None:
        raise ProtocolError(ErrorCode.INVALID_MESSAGE, "type: Field required", rid)
    if not isinstance(kind, str):
        raise ProtocolError(ErrorCode.INVALID_MESSAGE, "type: Input should be a valid string", rid)
    if kind not in CLIENT_TYPES:
        raise ProtocolError(ErrorCode.UNKNOWN_TYPE, f"unknown message type {kind!r}", rid)
    try:
        message = _client_adapter.validate_python(data)
    except ValidationError as exc:
        problems = "; ".join(_problem(err["loc"][1:], err["msg"]) for err in exc.errors())
        raise ProtocolError(ErrorCode.INVALID_MESSAGE, problems, rid) from None
    return message


def _problem(where: tuple[int | str, ...], what: str) -> str:
    """``"lang: Input should be 'az', 'ru' or 'en'"``; a rule on the whole message
    (Hello's credentials) names its field in ``what`` already."""
    return f"{'.'.join(str(part) for part in where)}: {what}" if where else what
