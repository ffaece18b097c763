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
from typing import Any

from wire.events import Event, event_to_dict

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
