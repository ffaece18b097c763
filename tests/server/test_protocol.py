"""The wire schemas alone (no server), and docs/protocol.md kept complete."""

from __future__ import annotations

import dataclasses
import json
import typing
from pathlib import Path

import pytest

from server.queue.exceptions import QueueError
from tests.server.protocol_doc import json_objects
from wire import protocol as p
from wire.events import EVENT_TYPES
from wire.types import RatingReason

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


def test_parse_accepts_a_rating_and_its_reasons() -> None:
    msg = p.parse_client_message(
        '{"type": "rate", "id": "r", "ticket": "20261122-A001", "score": 2, "reasons": ["rude", "other"]}'
    )
    assert isinstance(msg, p.Rate)
    assert (msg.ticket, msg.score, msg.reasons) == (
        "20261122-A001",
        2,
        (RatingReason.RUDE, RatingReason.OTHER),
    )
    bare = p.parse_client_message('{"type": "rate", "id": "r", "ticket": "20261122-A001", "score": 5}')
    assert isinstance(bare, p.Rate)
    assert bare.reasons == ()


@pytest.mark.parametrize(
    ("frame", "code", "rid"),
    [
        ("{", "bad_json", None),
        ('{"type": "rate", "id": "r1", "ticket": "T", "score": 0}', "invalid_message", "r1"),
        ('{"type": "rate", "id": "r2", "ticket": "T", "score": 6}', "invalid_message", "r2"),
        ('{"type": "rate", "id": "r3", "ticket": "T", "score": "5"}', "invalid_message", "r3"),
        ('{"type": "rate", "id": "r4", "ticket": "T", "score": 4.5}', "invalid_message", "r4"),
        ('{"type": "rate", "id": "r5", "ticket": "T", "score": true}', "invalid_message", "r5"),
        (
            '{"type": "rate", "id": "r6", "ticket": "T", "score": 3, "reasons": ["slow"]}',
            "invalid_message",
            "r6",
        ),
        ('{"type": "rate", "id": "r7", "ticket": "T"}', "invalid_message", "r7"),
        ("[1, 2]", "invalid_message", None),
        ('{"type": "teleport", "id": "7"}', "unknown_type", "7"),
        ('{"type": "issue", "id": "8"}', "invalid_message", "8"),
        ('{"type": "issue", "id": "9", "service": "X", "extra": 1}', "invalid_message", "9"),
        ('{"type": "transfer", "id": "10", "to_counter": 0}', "invalid_message", "10"),
        ('{"type": "issue", "id": "' + "x" * 65 + '", "service": "X"}', "invalid_message", None),
        ("x" * (p.MAX_MESSAGE_BYTES + 1), "too_large", None),
        ('{"type": ["call_next"], "id": "11"}', "invalid_message", "11"),
        ('{"type": {"call_next": 1}, "id": "12"}', "invalid_message", "12"),
        ('{"type": 5, "id": "13"}', "invalid_message", "13"),
        ('{"id": "14"}', "invalid_message", "14"),
        ("[" * 1000 + "]" * 1000, "invalid_message", None),
        (
            '{"type": "sync", "id": "15", "resume_from": ' + "[" * 999 + "]" * 999 + "}",
            "invalid_message",
            None,
        ),
        ('{"type": "sync", "id": "16", "resume_from": ' + "9" * 5000 + "}", "invalid_message", None),
        ('{"type": "sync", "id": "17", "resume_from": NaN}', "bad_json", None),
        ('{"type": "sync", "id": "18", "resume_from": -Infinity}', "bad_json", None),
        ('{"type": "issue", "id": "19", "service": "A\\u0000"}', "invalid_message", None),
        ('{"type": "issue", "id": "20", "service": "\\udfff"}', "invalid_message", None),
        ('{"type": "issue", "id": "21", "\\ud800": "x"}', "invalid_message", None),
        ('{"type": "hello", "role": "kiosk", "device": "kiosk-1"}', "invalid_message", None),
        ('{"type": "hello", "role": "display", "token": "t"}', "invalid_message", None),
        ('{"type": "hello", "role": "supervisor", "login": "s"}', "invalid_message", None),
        (
            '{"type": "hello", "id": "22", "role": "kiosk", "device": "k", "token": "t", "protocol": 2}',
            "invalid_message",
            "22",
        ),
    ],
)
def test_parse_refuses_bad_frames_with_a_code(frame: str, code: str, rid: str | None) -> None:
    with pytest.raises(p.ProtocolError) as caught:
        p.parse_client_message(frame)
    assert caught.value.code == code
    assert caught.value.request_id == rid


def test_size_limit_counts_utf8_bytes() -> None:
    """9,000 "ə" are 9,000 characters but 18,000 bytes: over the limit."""
    text = json.dumps({"type": "set_message", "id": "1", "text": {"az": "ə" * 9000}}, ensure_ascii=False)
    assert len(text) < p.MAX_MESSAGE_BYTES < len(text.encode())
    with pytest.raises(p.ProtocolError) as caught:
        p.parse_client_message(text)
    assert caught.value.code == "too_large"
    assert str(len(text.encode())) in caught.value.message
    # At the limit exactly, measured in bytes, a message passes the size check.
    filler = p.MAX_MESSAGE_BYTES - len(text.encode()) + 2 * 9000
    assert filler % 2 == 0
    at_limit = text.replace("ə" * 9000, "ə" * (filler // 2))
    assert len(at_limit.encode()) == p.MAX_MESSAGE_BYTES
    with pytest.raises(p.ProtocolError) as caught:
        p.parse_client_message(at_limit)
    assert caught.value.code == "invalid_message"  # 500 characters per language at most


def test_nesting_up_to_the_limit_is_parsed() -> None:
    """The depth check counts brackets outside strings only, and allows MAX_DEPTH."""
    deep = "[" * (p.MAX_DEPTH - 1) + "]" * (p.MAX_DEPTH - 1)
    with pytest.raises(p.ProtocolError) as caught:
        p.parse_client_message('{"type": "sync", "id": "1", "resume_from": ' + deep + "}")
    assert (caught.value.code, caught.value.request_id) == ("invalid_message", "1")
    assert "resume_from" in caught.value.message
    brackets = json.dumps({"type": "set_message", "id": "2", "text": {"az": "[{" * 200 + '\\"]'}})
    assert isinstance(p.parse_client_message(brackets), p.SetMessage)


def test_binary_frames_are_refused() -> None:
    with pytest.raises(p.ProtocolError) as caught:
        p.parse_client_message(b'{"type": "sync", "id": "1"}')
    assert caught.value.code == "bad_json"


@pytest.mark.parametrize(
    "frame",
    [
        '{"type": "sync", "id": "1", "resume_from": ' + "9" * 5000 + "}",
        '{"type": "sync", "id": "1", "resume_from": 1e999999}',
        "{" * 40,
        '{"type": "sync", "id": "1"} trailing',
        "\ufeff{}",
    ],
)
def test_no_python_message_reaches_the_client(frame: str) -> None:
    with pytest.raises(p.ProtocolError) as caught:
        p.parse_client_message(frame)
    for python_words in ("sys.", "set_int_max_str_digits", "Exceeds the limit", "Traceback", "Error:"):
        assert python_words not in caught.value.message


def test_hello_names_only_protocol_one() -> None:
    assert typing.get_args(p.Hello.model_fields["protocol"].annotation) == (p.PROTOCOL_VERSION,)
    hello = p.parse_client_message('{"type": "hello", "role": "supervisor", "login": "s", "password": "x"}')
    assert isinstance(hello, p.Hello)
    assert hello.protocol == p.PROTOCOL_VERSION


def test_every_queue_refusal_has_a_wire_code() -> None:
    """The engine's refusals go out with their own code, and each is a documented one."""
    codes = {cls.code for cls in QueueError.__subclasses__()}
    assert codes <= {c.value for c in p.ErrorCode}
    assert len(codes) == len(QueueError.__subclasses__())


def test_client_types_are_the_documented_ones() -> None:
    """A new message type is a protocol change: it must be added here and to the document."""
    assert set(p.CLIENT_TYPES) == {
        "hello",
        "issue",
        "check_in",
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
        "set_counter_services",
        "move_ticket",
        "figures",
        "set_message",
        "report_health",
        "rate",
        "sync",
    }


def test_every_event_example_has_the_fields_the_server_writes() -> None:
    """An outside client is written from the document: its events show every field, and only those."""
    examples = [m["event"] for m in json_objects(DOC) if m.get("type") == "event"]
    assert examples
    for event in examples:
        fields = {f.name for f in dataclasses.fields(EVENT_TYPES[event["type"]])}
        assert set(event) - {"type"} == fields, event["type"]
