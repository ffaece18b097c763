"""The hash chain: the exact bytes behind every event's hash.

``hash(n) = sha256(utf8(prev_hash(n) + payload(n)))`` as lowercase hex, where
``prev_hash(1)`` is :data:`GENESIS_HASH`, ``prev_hash(n) = hash(n - 1)`` and
``payload`` is :func:`canonical_json` of the event's dict. The store keeps the
payload text exactly as hashed, so an auditor needs only ``hashlib`` and the
``events`` table (see docs/store.md).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from server.queue.events import Event, event_from_dict, event_to_dict

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


@dataclass(frozen=True)
class AuditReport:
    """The result of checking a chain (:meth:`EventStore.verify`, :func:`verify_rows`).

    ``checked`` counts the events found intact before the first problem (all of
    them when ``ok``). ``first_bad_seq`` is the first broken or missing event.
    """

    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str | None = None


ChainRow = tuple[int, str, str, str, str]
"""``(seq, type, payload, prev_hash, hash)`` of one stored event."""


def verify_rows(rows: Iterable[ChainRow]) -> AuditReport:
    """Check a whole chain, rows in seq order from the first, and name the first problem.

    Checks, in seq order: no seq is missing, each ``prev_hash`` is the hash of the
    event before, each hash matches its payload, and each payload is a well-formed
    event of the type in its row. A center's own log (:meth:`EventStore.verify`) and
    its copy in the central record are checked by this one function.
    """
    checked = 0
    prev = GENESIS_HASH
    for seq, type_name, payload, prev_hash, digest in rows:
        expected = checked + 1
        if seq != expected:
            where = f"log starts at {seq}" if expected == 1 else f"log jumps from {checked} to {seq}"
            return AuditReport(False, checked, expected, f"event {expected} missing: {where}")
        if prev_hash != prev:
            return AuditReport(False, checked, seq, f"event {seq}: previous-hash link broken")
        if chain_hash(prev_hash, payload) != digest:
            return AuditReport(False, checked, seq, f"event {seq}: hash does not match its content")
        try:
            content_type = type(event_from_dict(json.loads(payload))).__name__
        except (KeyError, ValueError, TypeError) as exc:
            return AuditReport(False, checked, seq, f"event {seq}: content is not a valid event ({exc})")
        if content_type != type_name:
            problem = f"event {seq}: type column says {type_name}, content is {content_type}"
            return AuditReport(False, checked, seq, problem)
        prev = digest
        checked += 1
    return AuditReport(True, checked)
