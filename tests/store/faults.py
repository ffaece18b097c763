"""Real faults for the store tests: a small filesystem that fills up, a file that can't be
written (before it is opened, or while it is open). They need root (mount, chattr) or, for
a file unwritable before it is opened, a user other than root (chmod); a test that can have
neither is skipped, saying why."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, check=False)


@contextmanager
def small_disk(path: Path, size_kib: int) -> Iterator[Path]:
    """A tmpfs of ``size_kib`` mounted at ``path`` (made if missing) for the block."""
    path.mkdir(parents=True, exist_ok=True)
    done = _run("mount", "-t", "tmpfs", "-o", f"size={size_kib}k,mode=0755", "novbe-test", str(path))
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {done.stderr.strip()}")
    try:
        yield path
    finally:
        _run("umount", "-l", str(path))


def fill(disk: Path, leave_kib: int) -> Path:
    """Fill ``disk`` with a ballast file until only ``leave_kib`` are free; return the file."""
    st = os.statvfs(disk)
    free = st.f_bavail * st.f_frsize
    ballast = disk / "ballast"
    with ballast.open("ab") as out:
        out.write(b"\0" * max(0, free - leave_kib * 1024))
    return ballast


def _enforces_immutable(folder: Path) -> str | None:
    """Why ``chattr +i`` in ``folder`` would not stop writes through a file already open,
    or None if it does (ext4, xfs, btrfs do; tmpfs takes the flag and ignores it there)."""
    if shutil.which("chattr") is None:
        return "chattr is not installed"
    probe = folder / ".novbe-immutable-probe"
    probe.write_bytes(b"\0")
    fd = os.open(probe, os.O_RDWR)
    try:
        done = _run("chattr", "+i", str(probe))
        if done.returncode != 0:
            return f"chattr +i fails here: {done.stderr.strip()}"
        try:
            os.pwrite(fd, b"x", 0)
        except PermissionError:
            return None
        return "this filesystem ignores the immutable flag for a file already open"
    finally:
        os.close(fd)
        _run("chattr", "-i", str(probe))
        probe.unlink()


class Immutable:
    """Files made unwritable even through the descriptors a running process already has open
    (``chattr +i``: the kernel then refuses every write to them, root's too).

    Modes and read-only bind mounts can't do this: both are checked only when a file is
    opened, and a server keeps its database open.
    """

    def __init__(self) -> None:
        self.paths: list[Path] = []

    def set(self, paths: list[Path]) -> None:
        for path in paths:
            done = _run("chattr", "+i", str(path))
            assert done.returncode == 0, done.stderr
            self.paths.append(path)

    def clear(self) -> None:
        while self.paths:
            _run("chattr", "-i", str(self.paths.pop()))


@contextmanager
def immutable_files(folder: Path) -> Iterator[Immutable]:
    """An :class:`Immutable` for files in ``folder``; every flag it set is cleared when the
    block ends. Skips, saying why, where the flag would not stop writes to open files."""
    if os.geteuid() != 0:
        pytest.skip("making a file immutable needs root (chattr +i)")
    why = _enforces_immutable(folder)
    if why is not None:
        pytest.skip(why)
    flags = Immutable()
    try:
        yield flags
    finally:
        flags.clear()


@contextmanager
def unwritable(path: Path) -> Iterator[None]:
    """``path`` can't be written by this process for the block, whoever it runs as.

    As root, permissions don't stop us: the file is bind-mounted read-only over itself.
    Otherwise it is made read-only (chmod).
    """
    if os.geteuid() != 0:
        mode = path.stat().st_mode
        path.chmod(0o444)
        try:
            yield
        finally:
            path.chmod(mode)
        return
    done = _run("mount", "--bind", str(path), str(path))
    if done.returncode != 0:
        pytest.skip(f"cannot bind-mount {path} read-only here: {done.stderr.strip()}")
    try:
        remount = _run("mount", "-o", "remount,ro,bind", str(path))
        if remount.returncode != 0:
            pytest.skip(f"cannot remount {path} read-only here: {remount.stderr.strip()}")
        yield
    finally:
        _run("umount", str(path))
