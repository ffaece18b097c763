"""The log's identity, kept beside the database so that a missing or wrong one is noticed.

The database holds a random ``log_id`` (table ``log_identity``, made by the first
migration of a new database) and the code of the center whose log it is. The center's
folder holds a small JSON file, the *marker* (``log.json`` beside ``center.toml``),
written at the first start and kept up to date by the server::

    {"format": 1, "log_id": "9f1c…", "center": "BAKU1", "database": "sqlite:///…/novbe.db",
     "events": {"seq": 1234, "hash": "ab12…"}, "replies": {"pos": 567, "hash": "cd34…"},
     "updated": "2026-11-30T10:15:00+00:00"}

``events`` and ``replies`` are the heads of the two hash chains as this server last wrote
them. At start the store checks the database against the marker: same log, still
passing through those heads; and it verifies the chains from there on only, so the
check takes as long as the events written since the last stop, not the whole log.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .exceptions import DatabaseFilesError, LogMismatch

MARKER_NAME = "log.json"
"""The marker's file name in the center's folder."""

FORMAT = 1


@dataclass(frozen=True, slots=True)
class Head:
    """The end of a hash chain: the last event's seq (or reply's position) and its hash."""

    seq: int
    hash: str


@dataclass(frozen=True, slots=True)
class Marker:
    """What the center's folder says about its log."""

    log_id: str
    center: str
    database: str
    events: Head
    replies: Head
    updated: datetime

    def to_json(self) -> str:
        data = {
            "format": FORMAT,
            "log_id": self.log_id,
            "center": self.center,
            "database": self.database,
            "events": {"seq": self.events.seq, "hash": self.events.hash},
            "replies": {"pos": self.replies.seq, "hash": self.replies.hash},
            "updated": self.updated.isoformat(),
        }
        return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def read_marker(path: Path) -> Marker | None:
    """The marker at ``path``, or None if there is none.

    Raises:
        LogMismatch: The file is there but is not a marker (damaged, edited).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise DatabaseFilesError(
            f"cannot read {path}: {exc.strerror or exc}; give it to the user the server runs as"
        ) from None
    try:
        data: dict[str, Any] = json.loads(text)
        if data.get("format") != FORMAT:
            raise ValueError(f"format {data.get('format')!r}, not {FORMAT}")
        return Marker(
            log_id=str(data["log_id"]),
            center=str(data["center"]),
            database=str(data.get("database", "")),
            events=Head(int(data["events"]["seq"]), str(data["events"]["hash"])),
            replies=Head(int(data["replies"]["pos"]), str(data["replies"]["hash"])),
            updated=datetime.fromisoformat(data["updated"]),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise LogMismatch(
            f"{path} is not a log marker novbe wrote ({exc}); restore it from the backup, or move it"
            " away to take the database as it is (novbe audit verify checks it first)"
        ) from None


def write_marker(path: Path, marker: Marker) -> None:
    """Replace the marker at ``path`` atomically, readable by its owner only."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        fd = os.open(tmp, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, marker.to_json().encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError as exc:
        raise DatabaseFilesError(
            f"cannot write the log marker {path}: {exc.strerror or exc}; give the center's folder to"
            " the user the server runs as"
        ) from None


def now() -> datetime:
    return datetime.now(UTC)
