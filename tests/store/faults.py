"""Real faults for the store tests: a small filesystem that fills up, a file that can't be
written (before it is opened, or while it is open: ``chattr +i``), an ext4 disk the kernel
turns read-only after an error. They need root (mount, chattr, loop devices) or, for a file
unwritable before it is opened, a user other than root (chmod); a test that can have
neither is skipped, saying why."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
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


class Ext4Disk:
    """A small ext4 filesystem in an image file, mounted on a loop device with
    ``errors=remount-ro``, as a server's data disk usually is."""

    def __init__(self, image: Path, mountpoint: Path) -> None:
        self.image = image
        self.mountpoint = mountpoint
        self.device = ""

    def mount(self) -> None:
        self.mountpoint.mkdir(parents=True, exist_ok=True)
        done = _run("mount", "-o", "loop,errors=remount-ro", str(self.image), str(self.mountpoint))
        assert done.returncode == 0, done.stderr
        self.device = _run("findmnt", "-n", "-o", "SOURCE", str(self.mountpoint)).stdout.strip()

    def fail(self) -> None:
        """A disk error as the kernel meets one: ext4 aborts its journal and turns the
        filesystem read-only under every open file (until it is checked and mounted again)."""
        Path(f"/sys/fs/ext4/{Path(self.device).name}/trigger_fs_error").write_text("1")

    def check(self) -> None:
        """Unmount, ``e2fsck`` as an administrator would, mount again read-write."""
        done = _run("umount", str(self.mountpoint))
        assert done.returncode == 0, done.stderr
        checked = _run("e2fsck", "-fy", str(self.image))
        assert checked.returncode in (0, 1), checked.stdout + checked.stderr  # 1: errors corrected
        self.mount()


@contextmanager
def ext4_disk(path: Path, size_mib: int = 64) -> Iterator[Ext4Disk]:
    """An :class:`Ext4Disk` of ``size_mib`` mounted at ``path`` for the block (its image
    beside it). Skips, saying why, where loop devices or ext4's error trigger are missing."""
    if os.geteuid() != 0 or shutil.which("mkfs.ext4") is None:
        pytest.skip("an ext4 disk on a loop device needs root and mkfs.ext4")
    image = path.with_name(path.name + ".img")
    with image.open("wb") as out:
        out.truncate(size_mib * 1024 * 1024)
    made = _run("mkfs.ext4", "-q", str(image))
    assert made.returncode == 0, made.stderr
    disk = Ext4Disk(image, path)
    try:
        try:
            disk.mount()
        except AssertionError as exc:
            pytest.skip(f"cannot mount an ext4 image on a loop device here: {exc}")
        if not Path(f"/sys/fs/ext4/{Path(disk.device).name}/trigger_fs_error").exists():
            pytest.skip("this kernel's ext4 has no trigger_fs_error")
        yield disk
    finally:
        _run("umount", "-l", str(path))
        image.unlink(missing_ok=True)


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


_MAPPED_WRITE = """
import mmap, os, subprocess, sys
fd = os.open(sys.argv[1], os.O_RDWR)
page = mmap.mmap(fd, 4096)
page[0] = 1
subprocess.run(["chattr", "+i", sys.argv[1]], check=True)
page[0] = 2
"""


def immutable_mapping_faults(folder: Path) -> bool:
    """Whether writing to a memory-mapped page of a file made immutable ends the process with
    SIGBUS in ``folder`` (as SQLite writes its ``-shm``): ext4 does; a filesystem that lets the
    write through would not."""
    probe = folder / ".novbe-mapped-probe"
    probe.write_bytes(b"\0" * 4096)
    try:
        done = subprocess.run(
            [sys.executable, "-c", _MAPPED_WRITE, str(probe)], capture_output=True, check=False
        )
        return done.returncode == -signal.SIGBUS
    finally:
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
