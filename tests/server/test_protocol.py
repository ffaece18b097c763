"""The wire schemas alone (no server), and docs/protocol.md kept complete."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wire import protocol as p
from wire.events import EVENT_TYPES

DOC = (Path(__file__).resolve().parents[2] / "docs" / "protocol.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("code", [c.value for c in p.ErrorCode])
def test_protocol_doc_explains_every_error_code(code: str) -> None:
    assert f"`{code}`" in DOC


@pytest.mark.parametrize("kind", sorted(p.CLIENT_TYPES))
def test_protocol_doc_explains_every_request(kind: str) -> None:
    assert f"`{kind}`" in DOC or kind in DOC


@pytest.mark.parametrize("event", sorted(EVENT_TYPES))
def test_protocol_doc_explains_every_event(event: str) -> None:
    assert f"`{event}`" in DOC


def test_every_request_type_is_allowed_to_some_role() -> None:
    allowed = set().union(*p.ROLE_REQUESTS.values())
    assert allowed | {"hello"} == set(p.CLIENT_TYPES)


def test_parse_accepts_a_valid_issue() -> None:
    msg = p.parse_client_message(json.dumps({"type": "issue", "id": "1", "service": "DIN-ID", "lang": "ru"}))
    assert isinstance(msg, p.Issue)
    assert (msg.service, msg.lang, msg.priority) == ("DIN-ID", "ru", "none")


@pytest.mark.parametrize(
    ("frame", "code", "rid"),
    [
        ("{", "bad_json", None),
        ("[1, 2]", "invalid_message", None),
        ('{"type": "teleport", "id": "7"}', "unknown_type", "7"),
        ('{"type": "issue", "id": "8"}', "invalid_message", "8"),
        ('{"type": "issue", "id": "9", "service": "X", "extra": 1}', "invalid_message", "9"),
        ('{"type": "transfer", "id": "10", "to_counter": 0}', "invalid_message", "10"),
        ('{"type": "issue", "id": "' + "x" * 65 + '", "service": "X"}', "invalid_message", None),
        ("x" * (p.MAX_MESSAGE_BYTES + 1), "too_large", None),
    ],
)
def test_parse_refuses_bad_frames_with_a_code(frame: str, code: str, rid: str | None) -> None:
    with pytest.raises(p.ProtocolError) as caught:
        p.parse_client_message(frame)
    assert caught.value.code == code
    assert caught.value.request_id == rid


def test_client_types_are_the_documented_ones() -> None:
    """A new message type is a protocol change: it must be added here and to the document."""
    assert set(p.CLIENT_TYPES) == {
        "hello",
        "issue",
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
        "open_counter",
        "close_counter",
        "pause_counter",
        "resume_counter",
        "open_day",
        "close_day",
        "cancel",
        "set_message",
        "report_health",
        "sync",
    }
