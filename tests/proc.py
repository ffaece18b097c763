"""Child processes in tests: read the rest of their output without losing any of it.

``Popen.communicate()`` after ``readline()`` on a text pipe loses lines. ``readline()``
reads the pipe in blocks and keeps whatever follows the line in the file object's buffer;
``communicate()`` with a timeout, or with two pipes, reads the raw file descriptors and
never sees that buffer. :func:`finish` reads through the file objects instead.
"""

from __future__ import annotations

import subprocess
import threading
import time
from typing import IO


def finish(proc: subprocess.Popen[str], timeout: float) -> tuple[str, str]:
    """Wait for ``proc`` to exit; return the rest of its stdout and stderr ("" if not piped).

    Both pipes are read to their end in threads, so a child blocked on a full pipe can
    still exit, and through their file objects, so lines a ``readline()`` already
    buffered are part of the answer.

    Raises:
        subprocess.TimeoutExpired: If the process or its pipes don't end within
            ``timeout`` seconds. The process is killed first.

    """
    rest: dict[str, str] = {}

    def read(name: str, pipe: IO[str]) -> None:
        rest[name] = pipe.read()

    pipes = [(name, pipe) for name, pipe in (("stdout", proc.stdout), ("stderr", proc.stderr)) if pipe]
    readers = [threading.Thread(target=read, args=pair, daemon=True) for pair in pipes]
    for reader in readers:
        reader.start()
    deadline = time.monotonic() + timeout
    try:
        proc.wait(timeout)
        for reader in readers:
            reader.join(max(0.0, deadline - time.monotonic()))
            if reader.is_alive():
                raise subprocess.TimeoutExpired(proc.args, timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise
    return rest.get("stdout", ""), rest.get("stderr", "")
