"""The hash chain: the exact bytes behind every event's hash.

``hash(n) = sha256(utf8(prev_hash(n) + payload(n)))`` as lowercase hex, where
``prev_hash(1)`` is :data:`GENESIS_HASH`, ``prev_hash(n) = hash(n - 1)`` and
``payload`` is :func:`canonical_json` of the event's dict. The store keeps the
payload text exactly as hashed, so an auditor needs only ``hashlib`` and the
``events`` table (see docs/store.md).

Stored replies form a second chain of the same shape, in the order of their ``pos``,
over :func:`reply_payload`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from wire.events import Event, event_from_dict, event_to_dict

from .identity import Head

GENESIS_HASH = "0" * 64
"""The ``prev_hash`` of the first event of a log."""


def canonical_json(data: dict[str, Any]) -> str:
    """One JSON text per value: sorted keys, no spaces, non-ASCII kept as is."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_payload(event: Event) -> str:
    """The canonical JSON of ``event``, as stored and hashed."""
    return canonical_json(event_to_dict(event))


def chain_hash(prev_hash: str, payload: str) -> str:
    """The hash of an event whose canonical JSON is ``payload``."""
    return hashlib.sha256((prev_hash + payload).encode("utf-8")).hexdigest()


def reply_payload(
    client: str, request_id: str, first_seq: int | None, last_seq: int | None, reply: str
) -> str:
    """The text hashed for a stored reply: its key, its events' seqs and the reply's JSON text."""
    return canonical_json(
        {
            "client": client,
            "first_seq": first_seq,
            "last_seq": last_seq,
            "reply": reply,
            "request_id": request_id,
        }
    )


@dataclass(frozen=True)
class AuditReport:
    """The result of checking a chain (:meth:`EventStore.verify`, :func:`verify_rows`).

    ``checked`` counts the events found intact before the first problem (all of
    them when ``ok``). ``first_bad_seq`` is the first broken or missing event;
    ``first_bad_reply`` the position of the first broken stored reply, ``replies``
    how many replies were found intact.
    """

    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str | None = None
    replies: int = 0
    first_bad_reply: int | None = None


_GENESIS = Head(0, GENESIS_HASH)


class ChainCheck:
    """Checks the rows of a hash chain in order, from a known head.

    ``check`` returns None for a good row, else the problem in the words of
    docs/store.md; ``count`` is the rows found good, ``bad`` the first bad position.
    """

    __slots__ = ("bad", "count", "expected", "kind", "prev")

    def __init__(self, kind: str, start: Head = _GENESIS) -> None:
        self.kind = kind
        self.expected = start.seq + 1
        self.prev = start.hash
        self.count = 0
        self.bad: int | None = None

    def check(self, seq: int, prev_hash: str, payload: str, digest: str, about: str = "") -> str | None:
        expected = self.expected
        if seq != expected:
            self.bad = expected
            where = f"log starts at {seq}" if expected == 1 else f"log jumps from {expected - 1} to {seq}"
            return f"{self.kind} {expected} missing: {where}"
        if prev_hash != self.prev:
            self.bad = seq
            return f"{self.kind} {seq}{about}: previous-hash link broken"
        if chain_hash(prev_hash, payload) != digest:
            self.bad = seq
            return f"{self.kind} {seq}{about}: hash does not match its content"
        self.prev = digest
        self.expected = seq + 1
        self.count += 1
        return None


ChainRow = tuple[int, str, str, str, str]
"""``(seq, type, payload, prev_hash, hash)`` of one stored event."""


def verify_rows(rows: Iterable[ChainRow]) -> AuditReport:
    """Check a whole chain of events, rows in seq order from the first, and name the first
    problem.

    Checks, in seq order: no seq is missing, each ``prev_hash`` is the hash of the
    event before, each hash matches its payload, and each payload is a well-formed
    event of the type in its row. A center's own log (:meth:`EventStore.verify`) and
    its copy in the central record are checked by this one function.
    """
    chain = ChainCheck("event")
    for seq, type_name, payload, prev_hash, digest in rows:
        problem = chain.check(seq, prev_hash, payload, digest)
        if problem is not None:
            return AuditReport(False, chain.count, chain.bad, problem)
        try:
            content_type = type(event_from_dict(json.loads(payload))).__name__
        except (KeyError, ValueError, TypeError) as exc:
            problem = f"event {seq}: content is not a valid event ({exc})"
            return AuditReport(False, chain.count - 1, seq, problem)
        if content_type != type_name:
            problem = f"event {seq}: type column says {type_name}, content is {content_type}"
            return AuditReport(False, chain.count - 1, seq, problem)
    return AuditReport(True, chain.count)
