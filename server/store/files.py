"""The files of a SQLite log: who may read them, whether they can be written, whether
the one the server has open is still the one at its path.

A log holds priority rights (disabled, pregnant, martyr family) and appointment codes:
its files are the owner's alone (0600, like ``center.toml``). SQLite gives the ``-wal``
and ``-shm`` files the mode of the database file, so creating that one 0600 is enough.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from .exceptions import DatabaseFilesError

PRIVATE = 0o600

SIDE_FILES = ("-wal", "-shm")
"""SQLite's companions of a database in WAL mode: the log of recent commits, its index."""


@dataclass(frozen=True, slots=True)
class FileId:
    """What tells one file from another at the same path."""

    device: int
    inode: int

    @classmethod
    def of(cls, path: Path) -> FileId | None:
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return None
        return cls(st.st_dev, st.st_ino)


def files_of(database: Path) -> list[Path]:
    """The database file and its ``-wal`` and ``-shm`` files (whether they exist or not)."""
    return [database, *(database.with_name(database.name + suffix) for suffix in SIDE_FILES)]


def create_private(path: Path) -> None:
    """Create ``path`` empty with mode 0600, whatever the umask (SQLite accepts an empty
    file as a new database, and copies its mode to the ``-wal`` and ``-shm``)."""
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE)
    try:
        os.fchmod(fd, PRIVATE)
    finally:
        os.close(fd)


def make_private(database: Path) -> list[Path]:
    """Take away group and other access from the log's files that this user owns.

    A log created by an older release is 0644. Returns the files changed.
    """
    changed = []
    for path in files_of(database):
        try:
            st = os.stat(path)
        except FileNotFoundError:
            continue
        if st.st_mode & 0o077 and st.st_uid == os.geteuid():
            os.chmod(path, stat.S_IMODE(st.st_mode) & ~0o077)
            changed.append(path)
    return changed


def unwritable(database: Path) -> str | None:
    """Why SQLite could not write the log at ``database``, or None if it can.

    Opens each existing file for writing (as SQLite will; a permission check alone
    misses a read-only mount) and checks that the folder takes new files (SQLite
    creates the ``-wal`` and ``-shm`` there).
    """
    for path in files_of(database):
        try:
            fd = os.open(path, os.O_RDWR)
        except FileNotFoundError:
            continue
        except OSError as exc:
            return f"cannot write {path}: {exc.strerror or exc}"
        os.close(fd)
    folder = database.parent
    effective = os.access in os.supports_effective_ids
    if not folder.is_dir():
        return f"there is no folder {folder}"
    if not os.access(folder, os.W_OK | os.X_OK, effective_ids=effective):
        why = "read-only file system" if _read_only_mount(folder) else "permission denied"
        return f"cannot create files in {folder}: {why}"
    return None


def check_writable(database: Path) -> None:
    """Refuse, in one line, a log whose files this process can't write.

    SQLite would open such a log read-only (every write fails later), and an unwritable
    ``-shm`` has been seen to end the process with a bus error and no log line.

    Raises:
        DatabaseFilesError: With the file, the reason and the fix.
    """
    problem = unwritable(database)
    if problem is not None:
        raise DatabaseFilesError(
            f"{problem}; SQLite writes {database.name} and its -wal and -shm files: give them and"
            f" their folder to the user the server runs as (chown), or mount the folder read-write"
        )


def free_bytes(database: Path) -> int | None:
    """Bytes free for this user on the log's filesystem, or None if unknown."""
    try:
        st = os.statvfs(database.parent)
    except OSError:
        return None
    return st.f_bavail * st.f_frsize


def _read_only_mount(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def rescue_path(database: Path, stamp: str) -> Path:
    """Where a copy of a vanished log is written: beside where it was, or in /tmp."""
    name = f"{database.name}.rescued-{stamp}"
    return database.parent / name if database.parent.is_dir() else Path("/tmp") / name
