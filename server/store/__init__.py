"""The store: the append-only, hash-chained event log that is the server's
source of truth and audit trail (see docs/store.md).
"""

from __future__ import annotations

from .chain import GENESIS_HASH, AuditReport, ChainRow, canonical_json, chain_hash, verify_rows
from .exceptions import DatabaseFilesError, DatabaseVanished, LogCorrupt, LogMismatch, StoreError
from .health import StoreHealth
from .identity import MARKER_NAME, Head
from .store import Commit, EventStore, LogRow, OpenedLog, StoredEvent, verify_log

__all__ = [
    "GENESIS_HASH",
    "MARKER_NAME",
    "AuditReport",
    "ChainRow",
    "Commit",
    "DatabaseFilesError",
    "DatabaseVanished",
    "EventStore",
    "Head",
    "LogCorrupt",
    "LogMismatch",
    "LogRow",
    "OpenedLog",
    "StoreError",
    "StoreHealth",
    "StoredEvent",
    "canonical_json",
    "chain_hash",
    "verify_log",
    "verify_rows",
]
