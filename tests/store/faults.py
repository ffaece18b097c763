"""Real faults for the store tests: a small filesystem that fills up, a file that can't be
written. Both need root (mount) or, for the second, a user other than root (chmod); a
test that can have neither is skipped, saying why."""

from __future__ import annotations

import os
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
