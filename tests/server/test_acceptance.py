"""docs/protocol.md, checked from outside.

These tests know the server only through the document: a plain websocket client sends the
document's own JSON examples and checks the answers the document states. They import
nothing of the server or of wire/ (the harness only starts the server and reads the
device tokens a center's folder holds). When the document and the server disagree, one
of them is wrong.
"""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import socket
import sqlite3
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

from tests.server.harness import (
    DEMO_PASSWORD,
    TIMEOUT,
    ServerProcess,
    WsClient,
    counter,
    kiosk,
    make_home,
    rating,
    supervisor,
)
from tests.server.protocol_doc import (
    CLIENT_TYPES,
    DOC,
    code_spans,
    documented_error_codes,
    json_objects,
    section,
    table,
)

REFUSED = section("Refused messages")
EXAMPLES_TEXT = DOC.replace(REFUSED, "")
"""The document without its table of deliberately wrong messages."""

SERVER_TYPES = {
    kind for row in table(section("Messages in general").split("###")[0]) for kind in code_spans(row[0])
}


def client_examples() -> list[dict[str, Any]]:
    return [m for m in json_objects(EXAMPLES_TEXT) if m.get("type") in CLIENT_TYPES]


def example_key(message: dict[str, Any]) -> str:
    """``issue k1-0001``; a hello is named by its role."""
    return f"{message['type']} {message.get('id') or message.get('role')}"


def doc_answers() -> dict[str, tuple[str, str | None]]:
    """Request id -> (answer type, error code) for every answer the document shows."""
    answers: dict[str, tuple[str, str | None]] = {}
    head = re.compile(r'\{"type":\s*"(reply|error|welcome)",\s*"id":\s*"([^"]+)"')
    for found in head.finditer(EXAMPLES_TEXT):
        rest = EXAMPLES_TEXT[found.end() : found.end() + 200]
        code = re.match(r',\s*"ok":\s*false,\s*"code":\s*"(\w+)"', rest)
        answers[found.group(2)] = (found.group(1), code.group(1) if code else None)
    return answers


def full_doc_answers() -> dict[str, dict[str, Any]]:
    """The answers the document writes out whole (no …), by id."""
    return {m["id"]: m for m in json_objects(EXAMPLES_TEXT) if m.get("type") in SERVER_TYPES and m.get("id")}


def same_shape(documented: Any, actual: Any, where: str = "") -> None:
    """The answer has the fields the document shows, and no others. A documented object
    with a "…" key is abbreviated: only its listed fields are checked."""
    if isinstance(documented, dict):
        assert isinstance(actual, dict), f"{where}: {actual!r} is not an object"
        abbreviated = "…" in documented
        listed = set(documented) - {"…"}
        if abbreviated:
            assert listed <= set(actual), f"{where}: {listed - set(actual)} missing"
        else:
            assert set(actual) == listed, f"{where}: fields {set(actual) ^ listed} differ from the document"
        for key in listed:
            same_shape(documented[key], actual[key], f"{where}.{key}")
    elif isinstance(documented, list) and documented and isinstance(actual, list) and actual:
        same_shape(documented[0], actual[0], f"{where}[0]")


# --- a plain client's helpers -----------------------------------------------------------


def answer_to(client: WsClient, rid: str | None) -> dict[str, Any]:
    """The reply, error or welcome that answers request ``rid`` (events may come first)."""
    return client.recv_until(lambda m: m.get("type") in ("reply", "error", "welcome") and m.get("id") == rid)


def send_raw(client: WsClient, frame: str | bytes) -> dict[str, Any]:
    """Send one frame; return the next reply, error or welcome."""
    client.ws.send(frame)
    return client.recv_until(lambda m: m.get("type") in ("reply", "error", "welcome"))


def still_open(client: WsClient) -> None:
    """The connection still answers: a sync (or, before hello, an error) comes back."""
    rid = f"alive-{time.monotonic_ns()}"
    client.send({"type": "sync", "id": rid})
    answer = answer_to(client, rid)
    assert answer["type"] == "welcome" or answer["code"] == "not_authenticated", answer


def close_code(client: WsClient, timeout: float = TIMEOUT) -> int:
    """Read until the server closes; return the close code it sent."""
    deadline = time.monotonic() + timeout
    with pytest.raises(ConnectionClosed) as closed:  # noqa: PT012 - read until it closes
        while time.monotonic() < deadline:
            client.ws.recv(max(0.01, deadline - time.monotonic()))
    assert closed.value.rcvd is not None, "the server closed without a close frame"
    return closed.value.rcvd.code


def health(server: ServerProcess, path: str = "/health") -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}{path}", timeout=TIMEOUT) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as refused:
        return refused.code, {}


def service_of(center: dict[str, Any], agency: str) -> tuple[int, str]:
    """The first counter of ``agency`` and the first service it serves."""
    desk = next(c for c in center["counters"] if c["agency"] == agency)
    return desk["number"], desk["services"][0]


# --- the document's examples, sent as written ---------------------------------------------


@dataclass
class Walk:
    """Sends the document's examples one by one and checks each answer against it."""

    server: ServerProcess
    day: str = ""
    sent: set[str] = field(default_factory=set)
    examples: dict[str, dict[str, Any]] = field(default_factory=dict)
    answers: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    whole: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for message in client_examples():
            key = example_key(message)
            assert key not in self.examples, f"two examples are {key}: give them different ids"
            self.examples[key] = message
        self.answers = doc_answers()
        self.whole = full_doc_answers()

    def fill(self, value: Any) -> Any:
        """The example with what a document can't print: the real secrets and today's date."""
        if isinstance(value, dict):
            filled = {k: self.fill(v) for k, v in value.items()}
            if "token" in filled and "…" in str(value["token"]):
                role, code = value["role"], value["device"]
                filled["token"] = self.server.home.token(role, code)
            if "password" in filled and value["password"] == "…":
                filled["password"] = DEMO_PASSWORD
            return filled
        if isinstance(value, str):
            return value.replace("20261122-", f"{self.day}-")
        return value

    def send(self, client: WsClient, key: str) -> dict[str, Any]:
        """Send example ``key`` and check its answer against the one the document shows."""
        example = self.examples[key]
        self.sent.add(key)
        client.send(self.fill(example))
        rid = example.get("id")
        answer = answer_to(client, rid)
        if example["type"] == "hello":
            assert answer["type"] == "welcome", answer
            return answer
        assert rid in self.answers, f"docs/protocol.md shows no answer to {key}"
        kind, code = self.answers[rid]
        assert (answer["type"], answer.get("code")) == (kind, code), (key, answer)
        if rid in self.whole:
            same_shape(self.whole[rid], answer, key)
        return answer


def test_every_client_example_of_the_document_gets_the_answer_it_shows(server: ServerProcess) -> None:
    walk = Walk(server)
    assert len(walk.examples) >= 16, sorted(walk.examples)

    # The hello examples, as written: their placeholder secrets are wrong ones.
    for key in [k for k in walk.examples if k.startswith("hello ")]:
        stranger = WsClient(server.url)
        stranger.send(walk.examples[key])
        refused = stranger.recv()
        # A device is "not recognised"; a person at the supervisor's desk typed a wrong password.
        code = "wrong_password" if key == "hello supervisor" else "auth_failed"
        assert (refused["type"], refused["code"], refused["id"]) == ("error", code, None)
        assert close_code(stranger) == 4001
    # The reference center has no shared board line: tests/boards introduces a real
    # ``novbe boards`` process with this hello.
    walk.sent.add("hello boards")

    # And with the center's real secrets.
    kiosk_1 = WsClient(server.url)
    welcome = walk.send(kiosk_1, "hello kiosk")
    walk.day = welcome["snapshot"]["day"].replace("-", "")
    assert (welcome["role"], welcome["device"], welcome["protocol"], welcome["resumed"]) == (
        "kiosk",
        "kiosk-1",
        1,
        False,
    )
    walk.send(WsClient(server.url), "hello counter")
    walk.send(WsClient(server.url), "hello rating")
    lobby = WsClient(server.url)
    shown = walk.send(lobby, "hello display")
    assert shown["resumed"] is False, "resume_from 5120 is ahead of a new server: a fresh snapshot"
    assert shown["snapshot"] is not None
    boss = WsClient(server.url)
    walk.send(boss, "hello supervisor")
    # The citizens' pages: events from the day's opening, never a snapshot.
    web = walk.send(WsClient(server.url), "hello web")
    assert (web["role"], web["resumed"], web["snapshot"]) == ("web", False, None)

    desk = counter(server, 1, login=False)
    issued = walk.send(kiosk_1, "issue k1-0001")["result"]["ticket"]
    assert (issued["number"], issued["state"], issued["service"]) == ("A001", "waiting", "DIN-ID")
    assert walk.send(desk, "login c1-1")["result"]["counter"]["state"] == "open"
    called = walk.send(desk, "call_next c1-2")
    assert called["result"]["ticket"]["state"] == "called"
    # A transfer needs a counter that would take the citizen: open the bank's (77).
    assert boss.request("open_counter", counter=77)["type"] == "reply"
    moved = walk.send(desk, "transfer c1-5")["result"]["ticket"]
    assert (moved["service"], moved["state"], moved["return_to"]) == ("BANK-FEE", "waiting", 1)

    assert kiosk_1.request("issue", service="DIN-ID")["result"]["ticket"]["number"] == "A002"
    assert walk.send(desk, "call_ticket c1-8")["result"]["ticket"]["number"] == "A002"
    assert desk.request("start")["type"] == "reply"
    assert desk.request("finish")["type"] == "reply"
    # The citizen rates the visit at the counter's terminal; once only.
    terminal = rating(server, 1)
    told = terminal.recv_until(lambda m: m.get("type") == "counter" and m["visit"] is not None)
    assert (told["visit"]["number"], told["operator"]["login"]) == ("A002", "op1")
    rated = walk.send(terminal, "rate r1-1")["result"]["rating"]
    assert (rated["number"], rated["score"], rated["operator"], rated["source"]) == (
        "A002",
        4,
        "op1",
        "counter",
    )
    assert walk.send(terminal, "rate r1-2")["details"]["reason"] == "already_rated"
    closed = walk.send(desk, "logout c1-13")["result"]["counter"]
    assert (closed["state"], closed["operator"]) == ("closed", None)

    opened = walk.send(boss, "open_counter s-1")["result"]["events"]
    assert [(e["type"], e["counter"]) for e in opened] == [("CounterOpened", 5)]
    assert walk.send(boss, "close_counter s-2")["result"]["events"] == []

    for number in range(3, 8):
        assert kiosk_1.request("issue", service="DIN-ID")["result"]["ticket"]["number"] == f"A00{number}"
    cancelled = walk.send(boss, "cancel s-4")["result"]["events"]
    assert [(e["type"], e["number"], e["by"]) for e in cancelled] == [
        ("TicketCancelled", "A007", "supervisor")
    ]
    services = walk.send(boss, "set_counter_services s-7")["result"]["events"]
    assert [(e["type"], e["counter"], e["services"]) for e in services] == [
        ("CounterServicesSet", 5, ["DIN-ID", "DIN-PASS"])
    ]
    moved = walk.send(boss, "move_ticket s-8")["result"]["events"]
    assert [(e["type"], e["number"], e["to_service"]) for e in moved] == [("TicketMoved", "A006", "DIN-PASS")]
    figures = walk.send(boss, "figures s-9")["result"]
    assert (figures["day"], figures["center"]["served"]) == (
        f"{walk.day[:4]}-{walk.day[4:6]}-{walk.day[6:]}",
        1,
    )

    text = walk.send(boss, "set_message s-3")["result"]["text"]
    assert lobby.recv_until(lambda m: m.get("type") == "message")["text"] == text
    # A code no booking has; the check-in of a booking (k1-0003) needs a center that takes
    # bookings: tests/server/test_check_in.py checks its answer against the document's.
    refused = walk.send(kiosk_1, "check_in k1-0005")
    assert (refused["details"]["reason"], refused["details"]["service"]) == ("unknown", None)
    walk.sent.add("check_in k1-0003")
    walk.send(kiosk_1, "report_health k1-3")
    alert = boss.recv_until(lambda m: m.get("type") == "alert")
    assert (alert["device"], alert["status"]["status"]) == ("kiosk:kiosk-1/printer", "paper_out")

    resumed = walk.send(lobby, "sync d-1")
    assert (resumed["resumed"], resumed["snapshot"]) == (True, None)
    replayed = lobby.recv_until(lambda m: m.get("type") == "event")
    assert replayed["seq"] > 3

    ended = walk.send(boss, "close_day s-5")["result"]["events"]
    assert ended[0]["type"] == "DayClosed"
    assert f"{walk.day}-A003" in ended[0]["unserved"]
    walk.send(boss, "open_day s-6")

    assert walk.sent == set(walk.examples), f"examples never sent: {set(walk.examples) - walk.sent}"


@dataclass
class Hall:
    """A server shared by the error scenarios, and a way to start one of their own."""

    server: ServerProcess
    tmp: Path
    center: dict[str, Any]

    def own_server(self, *extra_args: str) -> ServerProcess:
        home = make_home(self.tmp / f"own-{time.monotonic_ns()}")
        return ServerProcess(home, extra_args=list(extra_args)).start()


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hall]:
    tmp = tmp_path_factory.mktemp("hall")
    proc = ServerProcess(make_home(tmp / "center")).start()
    center = WsClient(proc.url).hello(
        role="kiosk", device="kiosk-1", token=proc.home.token("kiosk", "kiosk-1")
    )
    yield Hall(proc, tmp, center["center"])
    # Its many clients stopped reading long ago and would not answer a closing handshake:
    # a clean stop would wait for each (tests of the clean stop start their own server).
    proc.kill()


# --- refused messages -------------------------------------------------------------------


def refused_rows() -> list[tuple[str, str | bytes, str]]:
    """(row, frame, error code) for each row of the "Refused messages" table."""
    spelled = {
        "a binary frame": b'{"type": "sync", "id": "x-0"}',
        "over 16,384 bytes of UTF-8": json.dumps(
            {"type": "issue", "id": "x-0", "service": "DIN-ID", "appointment": "ə" * 9000}, ensure_ascii=False
        ),
        "arrays or objects nested more than 32 deep": '{"type": "sync", "id": "x-0", "resume_from": '
        + "[" * 1000
        + "]" * 1000
        + "}",
    }
    rows = []
    for first, second, *_ in table(REFUSED):
        code = code_spans(second)[0]
        frame: str | bytes = spelled[first] if first in spelled else code_spans(first)[0]
        rows.append((first, frame, code))
    return rows


def test_the_documented_center_has_the_fields_the_server_sends(hall: Hall) -> None:
    """The welcome's ``center`` example is the server's, field for field, down to its first
    zone, agency, service, counter, display and kiosk."""
    documented = [c for c in json_objects(section("center")) if "agencies" in c]
    assert len(documented) == 1
    same_shape(documented[0], hall.center, "center")
    week = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    for center in (documented[0], hall.center):
        assert center["days"], center
        assert set(center["days"]) <= set(week), center["days"]
    # The test center is made always open (make_home: novbe init --always-open).
    assert hall.center["days"] == week
    assert 0 < hall.center["services"][0]["share"] < 1


def test_refused_messages_table_is_read_whole() -> None:
    rows = refused_rows()
    assert len(rows) == len(table(REFUSED)) >= 18
    assert {code for _, _, code in rows} == {"bad_json", "too_large", "invalid_message", "unknown_type"}


@pytest.mark.parametrize("authenticated", [False, True], ids=["before-hello", "after-hello"])
def test_refused_messages_get_their_error_and_the_connection_stays(hall: Hall, authenticated: bool) -> None:
    server = hall.server
    client = kiosk(server) if authenticated else WsClient(server.url)
    for row, frame, code in refused_rows():
        answer = send_raw(client, frame)
        assert (answer["type"], answer["code"]) == ("error", code), (row, answer)
        assert answer["details"]["detail"], row
        # The id comes back when it could be read, else null: never another one.
        sent_id = re.search(r'"id": "(x-\d+)"', frame) if isinstance(frame, str) else None
        assert answer["id"] in (None, sent_id and sent_id.group(1)), (row, answer)
    still_open(client)


@pytest.mark.parametrize(
    "frame",
    [
        pytest.param('{"type": ["call_next"], "id": "q-1"}', id="type-list"),
        pytest.param('{"type": {"call_next": true}, "id": "q-1"}', id="type-object"),
        pytest.param('{"type": 7, "id": "q-1"}', id="type-number"),
        pytest.param('{"id": "q-1"}', id="type-missing"),
    ],
)
def test_a_type_that_is_no_string_is_invalid_and_answered_with_its_id(hall: Hall, frame: str) -> None:
    server = hall.server
    client = kiosk(server)
    answer = send_raw(client, frame)
    assert (answer["code"], answer["id"]) == ("invalid_message", "q-1")
    assert "type" in answer["details"]["detail"]
    still_open(client)


def test_no_python_error_text_reaches_a_client(hall: Hall) -> None:
    server = hall.server
    """A 5,000-digit number, NaN, a deep array: the error names the problem in our words."""
    client = kiosk(server)
    frames = [
        '{"type": "sync", "id": "p-1", "resume_from": ' + "9" * 5000 + "}",
        '{"type": "sync", "id": "p-2", "resume_from": 1e999999}',
        '{"type": "sync", "id": "p-3", "resume_from": NaN}',
        "[" * 1000 + "]" * 1000,
        '{"type": "sync", "id": "p-4"',
    ]
    for frame in frames:
        answer = send_raw(client, frame)
        assert answer["type"] == "error", answer
        text = json.dumps(answer)
        for python in ("sys.", "set_int_max_str_digits", "Exceeds the limit", "Traceback", "Error"):
            assert python not in text, answer
    still_open(client)


def test_the_size_limit_counts_bytes(hall: Hall) -> None:
    server = hall.server
    """8,200 "ə" are 16,400 bytes of UTF-8: too large, though fewer than 16,384 characters."""
    client = kiosk(server)
    frame = json.dumps(
        {"type": "report_health", "id": "b-1", "component": "app", "status": "ok", "detail": "ə" * 8200},
        ensure_ascii=False,
    )
    assert len(frame) < 16384 < len(frame.encode())
    assert send_raw(client, frame)["code"] == "too_large"
    still_open(client)


# --- every error code, every close code --------------------------------------------------


def documented_close_codes() -> set[int]:
    return {int(row[0].strip("`")) for row in table(section("Connection")) if row[0].strip("`").isdigit()}


Scenario = Callable[[Hall], tuple[WsClient | None, dict[str, Any]]]
"""Provokes one error; returns the connection (None if closed) and the error."""


def logged_in(hall: Hall, agency: str) -> tuple[WsClient, str]:
    number, service = service_of(hall.center, agency)
    return counter(hall.server, number), service


def _auth_failed(hall: Hall) -> tuple[WsClient | None, dict[str, Any]]:
    client = WsClient(hall.server.url)
    answer = client.hello(role="kiosk", device="kiosk-1", token="wrong")
    assert close_code(client) == 4001
    return None, answer


def _counter_taken(hall: Hall) -> tuple[WsClient | None, dict[str, Any]]:
    counter(hall.server, 23)
    again = counter(hall.server, 23, login=False)
    return again, again.request("login", login="supervisor", password=DEMO_PASSWORD)


def _operator_elsewhere(hall: Hall) -> tuple[WsClient | None, dict[str, Any]]:
    first = counter(hall.server, 24, login=False)
    assert first.request("login", login="supervisor", password=DEMO_PASSWORD)["type"] == "reply"
    second = counter(hall.server, 25, login=False)
    return second, second.request("login", login="supervisor", password=DEMO_PASSWORD)


def _counter_not_open(hall: Hall) -> tuple[WsClient | None, dict[str, Any]]:
    desk, _ = logged_in(hall, "DVX")
    assert desk.request("pause")["type"] == "reply"
    return desk, desk.request("call_next")


def _counter_busy(hall: Hall) -> tuple[WsClient | None, dict[str, Any]]:
    desk, service = logged_in(hall, "EDL")
    assert kiosk(hall.server).request("issue", service=service)["type"] == "reply"
    assert desk.request("call_next")["type"] == "reply"
    return desk, desk.request("call_next")


def _nothing_to_call(hall: Hall) -> tuple[WsClient | None, dict[str, Any]]:
    desk, _ = logged_in(hall, "MAI")
    return desk, desk.request("call_next")


def _no_current_ticket(hall: Hall) -> tuple[WsClient | None, dict[str, Any]]:
    desk, _ = logged_in(hall, "DMX")
    return desk, desk.request("start")


def _invalid_transition(hall: Hall) -> tuple[WsClient | None, dict[str, Any]]:
    desk, _ = logged_in(hall, "EMDX")
    return desk, desk.request("resume")


def _no_open_counter(hall: Hall) -> tuple[WsClient | None, dict[str, Any]]:
    """A transfer to a counter that is closed: the citizen stays at this one."""
    desk, service = logged_in(hall, "DSMF")
    assert kiosk(hall.server).request("issue", service=service)["type"] == "reply"
    assert desk.request("call_next")["type"] == "reply"
    closed, _ = service_of(hall.center, "KOM")
    return desk, desk.request("transfer", to_counter=closed)


def _unknown_outcome(hall: Hall) -> tuple[WsClient | None, dict[str, Any]]:
    """A finish naming an outcome the center does not list: the citizen is still served."""
    desk, service = logged_in(hall, "EHSMN")
    assert kiosk(hall.server).request("issue", service=service)["type"] == "reply"
    assert desk.request("call_next")["type"] == "reply"
    assert desk.request("start")["type"] == "reply"
    answer = desk.request("finish", outcome="teleported")
    finished = desk.request("finish", outcome="served")  # it was still being served
    assert finished["result"]["ticket"]["state"] == "done", finished
    return desk, answer


def _service_unavailable(hall: Hall) -> tuple[WsClient | None, dict[str, Any]]:
    """Tickets for an agency whose counters are all closed: once the promised wait would
    end after closing time, the next one is refused as "full"."""
    client = kiosk(hall.server, "kiosk-2")
    _, service = service_of(hall.center, "MED")
    for n in range(1000):
        client.send({"type": "issue", "id": f"med-{n}", "service": service})
    for n in range(1000):
        answer = answer_to(client, f"med-{n}")
        if answer["type"] == "error":
            assert answer["details"]["reason"] in ("full", "closed")
            return client, answer
    raise AssertionError("1,000 tickets of one prefix were issued")


def _rating_refused(hall: Hall) -> tuple[WsClient | None, dict[str, Any]]:
    """A terminal rates a visit finished at the counter beside it."""
    desk, service = logged_in(hall, "EHSMN")
    issued = kiosk(hall.server).request("issue", service=service)["result"]["ticket"]
    for step in ("call_next", "start", "finish"):
        assert desk.request(step)["type"] == "reply", step
    neighbour = rating(hall.server, service_of(hall.center, "EHSMN")[0] + 1)
    return neighbour, neighbour.request("rate", ticket=issued["id"], score=5)


def _check_in_refused(hall: Hall) -> tuple[WsClient | None, dict[str, Any]]:
    """A kiosk checks in a code no booking has (tests/server/test_check_in.py: every reason)."""
    client = kiosk(hall.server)
    return client, client.request("check_in", code="1234 5678", lang="en")


def _day_not_open(hall: Hall) -> tuple[WsClient | None, dict[str, Any]]:
    own = hall.own_server()
    try:
        assert supervisor(own).request("close_day")["type"] == "reply"
        client = kiosk(own)
        answer = client.request("issue", service="DIN-ID")
        still_open(client)
        return None, answer
    finally:
        own.stop()


def _locked(own: ServerProcess) -> sqlite3.Connection:
    """Take the database's write lock, as another program could."""
    lock = sqlite3.connect(own.home.db_url.removeprefix("sqlite:///"), isolation_level=None)
    lock.execute("BEGIN IMMEDIATE")
    return lock


def _store_unavailable(hall: Hall) -> tuple[WsClient | None, dict[str, Any]]:
    """The write lock is held past the server's wait: nothing is kept, the same id works later."""
    own = hall.own_server()
    try:
        client = kiosk(own)
        lock = _locked(own)
        answer = client.request("issue", rid="k-1", service="DIN-ID")
        lock.execute("ROLLBACK")
        lock.close()
        deadline = time.monotonic() + TIMEOUT
        while health(own)[0] != 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        again = client.request("issue", rid="k-1", service="DIN-ID")
        assert (again["type"], again["result"]["ticket"]["number"]) == ("reply", "A001"), again
        return None, answer
    finally:
        own.stop()


def _shutting_down(hall: Hall) -> tuple[WsClient | None, dict[str, Any]]:
    """A request that arrives while the server finishes the ones in flight before stopping."""
    own = hall.own_server()
    try:
        first, second = kiosk(own), kiosk(own, "kiosk-2")
        lock = _locked(own)
        first.send({"type": "issue", "id": "k-1", "service": "DIN-ID"})
        time.sleep(0.3)  # the issue is in flight, waiting for the lock
        assert own.proc is not None
        own.proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        answer = second.request("issue", rid="k-2", service="DIN-ID")
        lock.execute("ROLLBACK")
        lock.close()
        finished = answer_to(first, "k-1")
        assert (finished["type"], finished["result"]["ticket"]["number"]) == ("reply", "A001"), finished
        assert close_code(second) == 1001
        return None, answer
    finally:
        own.stop()


def _too_many_attempts(hall: Hall) -> tuple[WsClient | None, dict[str, Any]]:
    """Five wrong passwords for a login cost nothing; the sixth makes the next attempt wait,
    and one made before then is refused without looking at the password."""
    client = counter(hall.server, 30, login=False)
    for n in range(6):
        assert client.request("login", login="op30", password=f"guess-{n}")["code"] == "wrong_password"
    answer = client.request("login", rid="l-right", login="op30", password=DEMO_PASSWORD)
    assert answer["details"]["retry_after_s"] >= 1, answer
    return client, answer


def ask(client: WsClient, kind: str, **fields: Any) -> tuple[WsClient | None, dict[str, Any]]:
    return client, client.request(kind, **fields)


ERRORS: dict[str, Scenario] = {
    "bad_json": lambda h: ((c := kiosk(h.server)), send_raw(c, "{not json")),
    "invalid_message": lambda h: ask(kiosk(h.server), "issue", service="DIN-ID", priority="vip"),
    "unknown_type": lambda h: ask(kiosk(h.server), "teleport"),
    "too_large": lambda h: (
        (c := kiosk(h.server)),
        send_raw(c, json.dumps({"type": "sync", "id": "s", "x": "x" * 20000})),
    ),
    "not_authenticated": lambda h: ask(WsClient(h.server.url), "issue", service="DIN-ID"),
    "already_authenticated": lambda h: (
        (c := kiosk(h.server)),
        c.hello(id="h-2", role="kiosk", device="kiosk-1", token=h.server.home.token("kiosk", "kiosk-1")),
    ),
    "auth_failed": _auth_failed,
    "forbidden": lambda h: ask(kiosk(h.server), "call_next"),
    "wrong_password": lambda h: ask(counter(h.server, 20, login=False), "login", login="op20", password="no"),
    "too_many_attempts": _too_many_attempts,
    "operator_not_allowed": lambda h: ask(
        counter(h.server, 21, login=False), "login", login="op22", password=DEMO_PASSWORD
    ),
    "counter_taken": _counter_taken,
    "operator_elsewhere": _operator_elsewhere,
    "not_logged_in": lambda h: ask(counter(h.server, 28, login=False), "call_next"),
    "store_unavailable": _store_unavailable,
    "shutting_down": _shutting_down,
    "invalid_transition": _invalid_transition,
    "unknown_ticket": lambda h: ask(supervisor(h.server), "cancel", ticket="19990101-Z999"),
    "unknown_service": lambda h: ask(kiosk(h.server), "issue", service="NOPE"),
    "unknown_counter": lambda h: ask(supervisor(h.server), "open_counter", counter=9999),
    "counter_not_open": _counter_not_open,
    "counter_busy": _counter_busy,
    "no_current_ticket": _no_current_ticket,
    "nothing_to_call": _nothing_to_call,
    "day_not_open": _day_not_open,
    "service_unavailable": _service_unavailable,
    "no_open_counter": _no_open_counter,
    "unknown_outcome": _unknown_outcome,
    "rating_refused": _rating_refused,
    "check_in_refused": _check_in_refused,
}
NOT_FROM_OUTSIDE = {
    "internal_error": "a bug: tests/server/test_faults.py injects one",
}


def test_every_documented_error_code_has_a_scenario() -> None:
    assert documented_error_codes() == set(ERRORS) | set(NOT_FROM_OUTSIDE)


@pytest.mark.parametrize("code", sorted(ERRORS))
def test_every_documented_error_code(hall: Hall, code: str) -> None:
    client, answer = ERRORS[code](hall)
    assert (answer["type"], answer["ok"], answer["code"]) == ("error", False, code), answer
    assert answer["message"]
    assert "detail" in answer["details"] or code == "auth_failed"
    if client is not None:
        still_open(client)


def _close_1001(hall: Hall) -> int:
    own = hall.own_server()
    client = kiosk(own)
    own.stop()
    return close_code(client)


def _close_1002(hall: Hall) -> int:
    client = kiosk(hall.server)
    client.ws.socket.sendall(b"\x81\x02{}")  # a client frame without a mask
    return close_code(client)


def _close_1007(hall: Hall) -> int:
    client = kiosk(hall.server)
    client.ws.send(b'{"type": "sync", "id": "\xff"}', text=True)
    return close_code(client)


def _close_1009(hall: Hall) -> int:
    client = kiosk(hall.server)
    client.send("x" * (1024 * 1024 + 1))
    return close_code(client)


def _close_1011(hall: Hall) -> int:
    """A client that reads but never answers a ping: the server gives up on it."""
    own = hall.own_server("--ping-interval", "0.3")
    try:
        raw = socket.create_connection(("127.0.0.1", own.port), timeout=TIMEOUT)
        key = base64.b64encode(os.urandom(16)).decode()
        raw.sendall(
            (
                f"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        received = b""
        while b"\r\n\r\n" not in received:
            received += raw.recv(4096)
        assert received.startswith(b"HTTP/1.1 101"), received
        frames = received.split(b"\r\n\r\n", 1)[1]
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            while len(frames) >= 2:
                opcode, length = frames[0] & 0x0F, frames[1] & 0x7F
                if len(frames) < 2 + length:
                    break
                payload, frames = frames[2 : 2 + length], frames[2 + length :]
                if opcode == 0x8:
                    raw.close()
                    return int.from_bytes(payload[:2], "big")
            chunk = raw.recv(4096)
            if not chunk:
                break
            frames += chunk
        raise AssertionError("the server kept a client that answers no ping")
    finally:
        own.stop()


def _close_4000(hall: Hall) -> int:
    older = counter(hall.server, 40, login=False)
    counter(hall.server, 40, login=False)
    return close_code(older)


def _close_4001(hall: Hall) -> int:
    client = WsClient(hall.server.url)
    assert client.hello(role="kiosk", device="kiosk-1", token="wrong")["code"] == "auth_failed"
    return close_code(client)


def _close_4002(hall: Hall) -> int:
    """A connection that never says hello is closed when its time is up."""
    own = hall.own_server("--hello-timeout", "0.5")
    try:
        return close_code(WsClient(own.url))
    finally:
        own.stop()


CLOSES: dict[int, Callable[[Hall], int]] = {
    1001: _close_1001,
    1002: _close_1002,
    1007: _close_1007,
    1009: _close_1009,
    1011: _close_1011,
    4000: _close_4000,
    4001: _close_4001,
    4002: _close_4002,
}


def test_every_documented_close_code_has_a_scenario() -> None:
    assert documented_close_codes() == set(CLOSES)


@pytest.mark.parametrize("code", sorted(CLOSES))
def test_every_documented_close_code(hall: Hall, code: int) -> None:
    assert CLOSES[code](hall) == code


# --- requests that change nothing, binary frames, /health --------------------------------


def test_a_request_that_changes_nothing_writes_nothing(hall: Hall) -> None:
    server = hall.server
    boss = supervisor(server)
    assert boss.request("open_counter", counter=6)["result"]["events"][0]["type"] == "CounterOpened"
    seq = health(server)[1]["seq"]
    assert boss.request("open_counter", counter=6)["result"] == {"events": []}
    assert boss.request("close_counter", counter=7)["result"] == {"events": []}
    assert health(server)[1]["seq"] == seq

    # The supervisor's "open" at a counter where an operator works keeps them logged in.
    desk = counter(server, 8)
    assert boss.request("open_counter", counter=8)["result"] == {"events": []}
    assert desk.request("pause")["type"] == "reply"
    resumed = boss.request("open_counter", counter=8)["result"]["events"]
    assert [(e["type"], e["operator"]) for e in resumed] == [("CounterOpened", "op8")]
    assert desk.request("pause")["type"] == "reply", "the operator is still logged in"

    assert boss.request("close_counter", counter=6)["result"]["events"][0]["type"] == "CounterClosed"
    assert boss.request("close_counter", counter=6)["result"] == {"events": []}


def test_a_binary_frame_is_refused_and_not_processed(hall: Hall) -> None:
    server = hall.server
    client = kiosk(server)
    before = client.request("issue", service="DIN-ID")["result"]["ticket"]["number"]
    answer = send_raw(client, b'{"type": "issue", "id": "bin-1", "service": "DIN-ID"}')
    assert (answer["code"], answer["id"]) == ("bad_json", None)
    after = client.request("issue", service="DIN-ID")["result"]["ticket"]["number"]
    assert int(after[1:]) == int(before[1:]) + 1, "the binary frame issued no ticket"


def test_health_answers_the_documented_fields(server: ServerProcess) -> None:
    status, body = health(server)
    assert status == 200
    documented = {name for row in table(section("HTTP GET /health")) for name in code_spans(row[0])}
    assert set(body) == documented
    anonymous, local = (
        json.loads(line) for line in re.findall(r"^\{.*\}$", section("HTTP GET /health"), re.M)
    )
    assert set(anonymous) == {"status"}
    assert set(local) == documented
    assert set(body["store"]) == set(local["store"])
    assert set(body["gate"]) == set(local["gate"])
    assert body["fanout_ms"] == {"n": 0}
    supervisor(server)  # the audience of a TicketIssued
    kiosk(server).request("issue", service="DIN-ID")
    assert set(health(server)[1]["fanout_ms"]) == {"n", "p50", "p99", "max"}
    assert health(server, "/")[0] == 426


def _outside_address() -> str | None:
    """This machine's address on its network (not loopback), or None (no route out)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks a route
        except OSError:
            return None
        address: str = probe.getsockname()[0]
    return None if address.startswith("127.") else address


def test_health_tells_a_caller_from_elsewhere_the_status_alone(tmp_path: Path) -> None:
    """Who asks from the network learns whether the server is well, not its center, its
    figures or which software answers; a monitoring agent on the machine gets the figures."""
    address = _outside_address()
    if address is None:
        pytest.skip("this machine has no network address besides loopback")
    own = ServerProcess(make_home(tmp_path / "center"), extra_args=["--host", "0.0.0.0"]).start()
    try:
        with urllib.request.urlopen(f"http://{address}:{own.port}/health", timeout=TIMEOUT) as response:
            assert json.loads(response.read()) == {"status": "ok"}
            assert response.headers.get("Server") is None
        status, body = health(own)
        assert (status, body["center"]) == (200, "BAKU1")
    finally:
        own.stop()
