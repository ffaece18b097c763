"""The store: the append-only, hash-chained event log that is the server's
source of truth and audit trail (see docs/store.md).
"""

from __future__ import annotations

from .chain import GENESIS_HASH, canonical_json, chain_hash
from .exceptions import StoreError
from .store import AuditReport, Commit, EventStore, StoredEvent, verify_log

__all__ = [
    "GENESIS_HASH",
    "AuditReport",
    "Commit",
    "EventStore",
    "StoreError",
    "StoredEvent",
    "canonical_json",
    "chain_hash",
    "verify_log",
]
