"""The store: the append-only, hash-chained event log that is the server's
source of truth and audit trail (see docs/store.md).
"""

from __future__ import annotations

from .chain import GENESIS_HASH, AuditReport, ChainRow, canonical_json, chain_hash, verify_rows
from .exceptions import StoreError
from .store import Commit, EventStore, LogRow, StoredEvent, verify_log

__all__ = [
    "GENESIS_HASH",
    "AuditReport",
    "ChainRow",
    "Commit",
    "EventStore",
    "LogRow",
    "StoreError",
    "StoredEvent",
    "canonical_json",
    "chain_hash",
    "verify_log",
    "verify_rows",
]
