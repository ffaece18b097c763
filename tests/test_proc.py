"""The test helper that reads a child's output to its end, buffered lines included."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

from tests.proc import finish

# Three lines in one write, then silence: the first readline() buffers all three.
CHILD = "import sys, time; sys.stdout.write('1\\n2\\n3\\n'); sys.stdout.flush(); time.sleep(60)"


def spawn(code: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_finish_keeps_the_lines_a_readline_buffered() -> None:
    child = spawn(CHILD)
    assert child.stdout is not None
    assert child.stdout.readline() == "1\n"
    child.send_signal(signal.SIGKILL)
    rest, errors = finish(child, timeout=10)
    assert (rest, errors) == ("2\n3\n", "")
    assert child.returncode == -signal.SIGKILL


def test_finish_reads_both_pipes_so_a_chatty_child_can_exit() -> None:
    """200 KB on stderr would fill its pipe and block a child nobody reads."""
    child = spawn("import sys; sys.stderr.write('x' * 200_000); print('done')")
    out, errors = finish(child, timeout=10)
    assert (out, len(errors), child.returncode) == ("done\n", 200_000, 0)


def test_finish_kills_a_child_that_does_not_end() -> None:
    child = spawn(CHILD)
    with pytest.raises(subprocess.TimeoutExpired):
        finish(child, timeout=0.5)
    assert child.returncode == -signal.SIGKILL
