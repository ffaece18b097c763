"""A writer killed with SIGKILL mid-stream loses nothing it reported and breaks nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from server.store import EventStore
from tests.proc import finish

from .crash_child import batch_size

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_store_survives_a_killed_writer(store_url: str) -> None:
    """After kill -9: the chain verifies, seqs are contiguous, every reported batch is whole."""
    with EventStore(store_url) as store:
        store.migrate()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.store.crash_child", store_url],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    reported: list[tuple[int, int]] = []
    deadline = time.monotonic() + 30
    try:
        while len(reported) < 40 and time.monotonic() < deadline:
            line = child.stdout.readline()
            if not line:
                break
            n, seq = map(int, line.split())
            reported.append((n, seq))
    finally:
        # The child is in the middle of its next append, or about to start it.
        child.send_signal(signal.SIGKILL)
        # Not communicate(): it would miss the lines readline() has already buffered.
        rest, errors = finish(child, timeout=10)
    assert child.returncode == -signal.SIGKILL, errors
    # Lines the child flushed before dying were reported too.
    reported += [(int(n), int(seq)) for n, seq in (line.split() for line in rest.splitlines() if line)]
    assert len(reported) >= 40, errors

    with EventStore(store_url) as store:
        report = store.verify()
        assert report.ok, report.problem
        seqs = [stored.seq for stored in store.load()]
        assert seqs == list(range(1, len(seqs) + 1))
        last_n, last_seq = reported[-1]
        assert store.last_seq() >= last_seq
        for n, _ in reported:
            for i in range(batch_size(n)):
                assert store.find_reply("crash", f"{n}-{i}") == {"n": n}
        # Group commit is atomic: the log holds whole batches only (2 events per commit).
        total = store.last_seq()
        complete = 0
        n = 0
        while complete < total:
            n += 1
            complete += 2 * batch_size(n)
        assert complete == total, "a batch was cut in half"
        assert n in (last_n, last_n + 1), "at most the batch in flight when killed is extra"
