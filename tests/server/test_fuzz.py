"""Thousands of random and mutated messages through a real server, from every role.

Each one must be answered, with a reply or a documented error code (never
``internal_error``), and no connection may be closed: a message a client got wrong costs
it an error, never its connection. The messages are drawn from a seeded generator, so a
failure names the seed and message that reproduce it (``NOVBE_FUZZ_SEED``,
``NOVBE_FUZZ_COUNT`` to explore further).
"""

from __future__ import annotations

import json
import os
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from websockets.exceptions import ConnectionClosed

from tests.server.harness import (
    DEMO_PASSWORD,
    ServerProcess,
    WsClient,
    counter,
    display,
    kiosk,
    make_home,
    supervisor,
)
from tests.server.protocol_doc import CLIENT_TYPES, documented_error_codes

SEED = int(os.environ.get("NOVBE_FUZZ_SEED", "20261122"))
COUNT = int(os.environ.get("NOVBE_FUZZ_COUNT", "3000"))

TEMPLATES: dict[str, list[dict[str, Any]]] = {
    "kiosk": [
        {"type": "issue", "service": "DIN-ID", "lang": "ru", "priority": "elderly"},
        {"type": "issue", "service": "EDL-POA", "appointment": "B-7731"},
        {"type": "report_health", "component": "printer", "status": "paper_low", "detail": "az qalıb"},
        {"type": "sync", "resume_from": 3},
    ],
    "counter": [
        {"type": "login", "login": "op1", "password": DEMO_PASSWORD},
        {"type": "call_next"},
        {"type": "recall"},
        {"type": "start"},
        {"type": "finish"},
        {"type": "no_show"},
        {"type": "park"},
        {"type": "pause"},
        {"type": "resume"},
        {"type": "logout"},
        {"type": "call_ticket", "ticket": "20261122-A002"},
        {"type": "transfer", "to_service": "BANK-FEE", "to_counter": 77, "return_to_me": True},
        {"type": "report_health", "component": "board", "status": "ok"},
        {"type": "sync"},
    ],
    "display": [
        {"type": "report_health", "component": "audio", "status": "offline"},
        {"type": "sync", "resume_from": 0},
    ],
    "supervisor": [
        {"type": "open_counter", "counter": 2},
        {"type": "pause_counter", "counter": 2},
        {"type": "resume_counter", "counter": 2},
        {"type": "close_counter", "counter": 2},
        {"type": "open_day"},
        {"type": "cancel", "ticket": "20261122-A001"},
        {"type": "set_message", "text": {"az": "Xoş gəlmisiniz", "ru": "Добро пожаловать", "en": "Welcome"}},
        {"type": "sync", "resume_from": 1},
    ],
    "stranger": [
        {"type": "hello", "role": "kiosk", "device": "kiosk-1", "token": "not-the-token"},
        {"type": "hello", "role": "supervisor", "login": "supervisor", "password": "wrong"},
        {"type": "hello", "role": "counter", "device": "1", "token": "x", "resume_from": 2, "protocol": 1},
        {"type": "issue", "service": "DIN-ID"},
    ],
}
"""Valid messages of each role, mutated below. ``close_day`` is left out: after it the day
can't be opened again and every later request would meet the same refusal."""

TYPES = sorted(CLIENT_TYPES - {"close_day"})

STRINGS = [
    "",
    "x",
    "DIN-ID",
    "A001",
    "20261122-A001",
    "ŞəxsiyyətİĞıÇöü",
    "Добро",
    "\u0000",
    "\ud800",
    "\udfff",
    "\u202e",
    "🙂",
    " " * 3,
    "x" * 65,
    "ə" * 600,
    "null",
    "{",
    "\\",
    '"',
]


@dataclass
class Generator:
    rng: random.Random
    number: int = 0

    def value(self, depth: int = 0) -> Any:
        choice = self.rng.randrange(12 if depth < 3 else 8)
        if choice == 0:
            return None
        if choice == 1:
            return self.rng.choice([True, False])
        if choice == 2:
            return self.rng.choice([0, -1, 1, 5, 77, 9999, 10000, 2**31, 2**63, -(2**63)])
        if choice == 3:
            return self.rng.choice([0.5, -0.0, 1e308, 3.0])
        if choice in (4, 5, 6, 7):
            return self.rng.choice(STRINGS)
        if choice in (8, 9):
            return [self.value(depth + 1) for _ in range(self.rng.randrange(4))]
        return {self.rng.choice([*STRINGS, "type", "id", "az"]): self.value(depth + 1) for _ in range(3)}

    def message(self, role: str) -> str | bytes:
        """One frame: a template of the role, mutated or not, as text or (rarely) binary."""
        self.number += 1
        data: dict[str, Any] = {**self.rng.choice(TEMPLATES[role]), "id": f"f-{self.number}"}
        if data["type"] == "hello":
            del data["id"]
        for _ in range(self.rng.choice([0, 1, 1, 2, 3])):
            self.mutate(data)
        text = json.dumps(data, ensure_ascii=self.rng.random() < 0.5 or _has_surrogate(data))
        return self.garble(text)

    def mutate(self, data: dict[str, Any]) -> None:
        kind = self.rng.randrange(6)
        keys = list(data)
        if kind == 0 and keys:
            data[self.rng.choice(keys)] = self.value()
        elif kind == 1 and keys:
            del data[self.rng.choice(keys)]
        elif kind == 2:
            data[self.rng.choice([*STRINGS, "counter", "text", "role", "token"])] = self.value()
        elif kind == 3:
            data["type"] = self.rng.choice(
                [*TYPES, *TYPES, None, 7, ["call_next"], {"type": "issue"}, "HELLO"]
            )
        elif kind == 4:
            data["id"] = self.rng.choice([*STRINGS, 1, None, ["f"], {"id": "f"}])
        else:
            key = self.rng.choice(keys) if keys else "type"
            data[key] = [data.get(key)] if self.rng.random() < 0.5 else {"v": data.get(key)}

    def garble(self, text: str) -> str | bytes:
        kind = self.rng.randrange(40)
        if kind == 0:
            return text.encode()
        if kind == 1:
            return text[: self.rng.randrange(len(text))]
        if kind == 2:
            at = self.rng.randrange(len(text))
            return (
                text[:at]
                + self.rng.choice(['"', "{", "]", ",", "\\", "ə", "\\u", "NaN", "1" * 30])
                + text[at:]
            )
        if kind == 3:
            depth = self.rng.choice([31, 32, 33, 200, 3000])
            return text[:-1] + ', "x": ' + "[" * depth + "]" * depth + "}"
        if kind == 4:
            return (
                text[:-1]
                + ', "x": '
                + self.rng.choice(["NaN", "-Infinity", "9" * 5000, "1e99999", "-0"])
                + "}"
            )
        if kind == 5:
            return text[:-1] + ', "x": "' + self.rng.choice(["ə", "x"]) * self.rng.choice([8190, 9000]) + '"}'
        if kind == 6:
            return self.rng.choice(["", " ", "null", "[]", "7", '"hello"', "{}", "\ufeff{}"])
        return text


def _has_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return any("\ud800" <= ch <= "\udfff" for ch in value)
    if isinstance(value, dict):
        return any(_has_surrogate(k) or _has_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_surrogate(v) for v in value)
    return False


def test_random_and_mutated_messages_get_documented_answers(tmp_path: Path) -> None:
    documented = documented_error_codes() - {"internal_error"}
    proc = ServerProcess(make_home(tmp_path / "center")).start()
    try:
        connections: dict[str, WsClient] = {
            "kiosk": kiosk(proc),
            "counter": counter(proc, 1),
            "display": display(proc, "lobby"),
            "supervisor": supervisor(proc),
            "stranger": WsClient(proc.url),
        }
        rng = random.Random(SEED)
        make = Generator(rng)
        seen: dict[str, int] = {}
        started = time.monotonic()
        for n in range(COUNT):
            role = rng.choice(list(connections))
            frame = make.message(role)
            where = f"seed {SEED}, message {n} ({role}): {frame[:300]!r}"
            client = connections[role]
            try:
                client.ws.send(frame)
                answer = client.recv_until(lambda m: m.get("type") in ("reply", "error", "welcome"))
            except ConnectionClosed as closed:
                raise AssertionError(f"connection closed ({closed.rcvd}) after {where}") from None
            outcome = answer.get("code", answer["type"])
            seen[outcome] = seen.get(outcome, 0) + 1
            if answer["type"] == "error":
                assert answer["code"] in documented, f"{answer} after {where}"
                assert answer["message"], where
            if outcome == "auth_failed" or (
                role == "stranger" and outcome in ("wrong_password", "too_many_attempts")
            ):
                # A refused hello closes the connection (4001): a new stranger comes.
                connections["stranger"] = WsClient(proc.url)
        elapsed = time.monotonic() - started
        for client in connections.values():
            client.send({"type": "sync", "id": "last"})
            assert client.recv_until(lambda m: m.get("type") in ("welcome", "error"))
        print(f"fuzz: {COUNT} messages in {elapsed:.1f} s, seed {SEED}: {dict(sorted(seen.items()))}")
        # Every kind of answer came up, valid requests too: the generator reaches deep enough.
        assert {"reply", "welcome", "bad_json", "invalid_message", "unknown_type", "too_large"} <= set(seen)
    finally:
        proc.stop()
    errors = [line for line in proc.logs().splitlines() if '"level": "error"' in line]
    assert not errors, errors[:3]
