"""The wire protocol between the hall server and its devices: one JSON object per
websocket text frame. docs/protocol.md documents every message with an example.

The server and the apps both import this module, so they cannot disagree about a field.
Client messages are validated with pydantic; a message that doesn't fit gets an
``error`` reply and the connection stays open.
"""

from __future__ import annotations

import json
import typing
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

PROTOCOL_VERSION = 1

MAX_MESSAGE_BYTES = 16 * 1024
"""A client message longer than this gets a ``too_large`` error reply."""

Lang = Literal["az", "ru", "en"]
RequestId = Annotated[str, Field(min_length=1, max_length=64)]
Code = Annotated[str, Field(min_length=1, max_length=32)]


class Role(StrEnum):
    KIOSK = "kiosk"
    COUNTER = "counter"
    DISPLAY = "display"
    SUPERVISOR = "supervisor"


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
    QUEUE_ERROR = "queue_error"


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
    """Kiosk or display code, or the counter number ("12"). Not used by supervisors."""
    token: Annotated[str, Field(max_length=256)] | None = None
    login: Annotated[str, Field(max_length=64)] | None = None
    password: Annotated[str, Field(max_length=256)] | None = None
    lang: Lang = "az"
    resume_from: Annotated[int, Field(ge=0)] | None = None
    """The last event ``seq`` this client saw; the server sends what came after it."""
    protocol: int = PROTOCOL_VERSION


class Issue(_Request):
    type: Literal["issue"]
    service: Code
    lang: Lang = "az"
    priority: Literal["none", "elderly", "disabled", "pregnant", "veteran", "martyr_family"] = "none"
    appointment: Annotated[str, Field(max_length=32)] | None = None


class Login(_Request):
    type: Literal["login"]
    login: Annotated[str, Field(min_length=1, max_length=64)]
    password: Annotated[str, Field(max_length=256)]


class Logout(_Request):
    type: Literal["logout"]


class CounterAction(_Request):
    """The counter's own actions on its current ticket or on itself."""

    type: Literal["call_next", "recall", "start", "finish", "no_show", "park", "pause", "resume"]


class CallTicket(_Request):
    type: Literal["call_ticket"]
    ticket: Annotated[str, Field(min_length=1, max_length=32)]


class Transfer(_Request):
    type: Literal["transfer"]
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


class SetMessage(_Request):
    """The scrolling message line of the hall displays; ``null`` removes it."""

    type: Literal["set_message"]
    text: dict[Lang, Annotated[str, Field(max_length=500)]] | None = None


class ReportHealth(_Request):
    """A device's own health: its printer, its number board."""

    type: Literal["report_health"]
    component: Literal["printer", "board", "audio", "app"]
    status: Literal["ok", "paper_low", "paper_out", "cover_open", "offline", "error"]
    detail: Annotated[str, Field(max_length=500)] | None = None


class Sync(_Request):
    """Ask again for what was missed (``resume_from``) or for a fresh snapshot."""

    type: Literal["sync"]
    resume_from: Annotated[int, Field(ge=0)] | None = None


ClientMessage = Annotated[
    Hello
    | Issue
    | Login
    | Logout
    | CounterAction
    | CallTicket
    | Transfer
    | SupervisorCounter
    | DayAction
    | Cancel
    | SetMessage
    | ReportHealth
    | Sync,
    Field(discriminator="type"),
]

_client_adapter: TypeAdapter[Any] = TypeAdapter(ClientMessage)

CLIENT_TYPES: frozenset[str] = frozenset(
    kind
    for model in typing.get_args(typing.get_args(ClientMessage)[0])
    for kind in typing.get_args(model.model_fields["type"].annotation)
)
"""Every ``type`` a client may send, read off the schemas above."""

ROLE_REQUESTS: dict[Role, frozenset[str]] = {
    Role.KIOSK: frozenset({"issue", "report_health", "sync"}),
    Role.COUNTER: frozenset(
        {
            "login",
            "logout",
            "call_next",
            "recall",
            "start",
            "finish",
            "no_show",
            "park",
            "pause",
            "resume",
            "call_ticket",
            "transfer",
            "report_health",
            "sync",
        }
    ),
    Role.DISPLAY: frozenset({"report_health", "sync"}),
    Role.SUPERVISOR: frozenset(
        {
            "open_counter",
            "close_counter",
            "pause_counter",
            "resume_counter",
            "open_day",
            "close_day",
            "cancel",
            "set_message",
            "sync",
        }
    ),
}
"""What each role may ask for; anything else is ``forbidden``."""


class ProtocolError(Exception):
    """A client message that can't be accepted. ``code`` is an :class:`ErrorCode`."""

    def __init__(self, code: ErrorCode, message: str, request_id: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.request_id = request_id


def _request_id_of(data: object) -> str | None:
    if isinstance(data, dict):
        rid = data.get("id")
        if isinstance(rid, str) and 0 < len(rid) <= 64:
            return rid
    return None


def parse_client_message(text: str | bytes) -> BaseModel:
    """Validate one client frame.

    Raises:
        ProtocolError: with ``too_large``, ``bad_json``, ``unknown_type`` or
            ``invalid_message``, and the request id when one could be read.
    """
    if len(text) > MAX_MESSAGE_BYTES:
        raise ProtocolError(ErrorCode.TOO_LARGE, f"message of {len(text)} bytes, limit {MAX_MESSAGE_BYTES}")
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError(ErrorCode.BAD_JSON, f"not JSON: {exc}") from None
    rid = _request_id_of(data)
    if not isinstance(data, dict):
        raise ProtocolError(ErrorCode.INVALID_MESSAGE, "a message must be a JSON object")
    kind = data.get("type")
    if kind not in CLIENT_TYPES:
        raise ProtocolError(ErrorCode.UNKNOWN_TYPE, f"unknown message type {kind!r}", rid)
    try:
        message: BaseModel = _client_adapter.validate_python(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'][1:]) or 'message'}: {err['msg']}" for err in exc.errors()
        )
        raise ProtocolError(ErrorCode.INVALID_MESSAGE, problems, rid) from None
    return message


# --- server -> client ----------------------------------------------------------------
# The server builds these as plain dicts for speed (see server/app.py); the helpers
# below are the one place their shape is written down, and the apps use them to read.


def reply(request_id: str, result: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"type": "reply", "id": request_id, "ok": True, "result": result or {}}


def error(code: str, message: str, request_id: str | None = None, **details: Any) -> dict[str, Any]:
    return {
        "type": "error",
        "id": request_id,
        "ok": False,
        "code": code,
        "message": message,
        "details": details,
    }


def event_message(seq: int, event: dict[str, Any]) -> dict[str, Any]:
    return {"type": "event", "seq": seq, "event": event}


def dumps(message: dict[str, Any]) -> str:
    """Compact JSON with Azerbaijani and Russian text kept readable."""
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))
