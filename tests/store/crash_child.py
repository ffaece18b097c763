"""Child process of the crash test: append batches forever, report each commit.

``python -m tests.store.crash_child URL``. After every append returns it prints
``<batch number> <last seq>``, flushed: a line printed is a batch reported as
committed to clients.
"""

from __future__ import annotations

import sys

from server.store import Commit, EventStore
from tests.store.helpers import issued


def batch_size(n: int) -> int:
    """Commits in batch ``n``: varied, so the kill lands in batches of all sizes."""
    return 1 + n % 7


def batch(n: int) -> list[Commit]:
    return [
        Commit(
            [issued(1000 * n + i), issued(1000 * n + 500 + i)], request=("crash", f"{n}-{i}"), reply={"n": n}
        )
        for i in range(batch_size(n))
    ]


def main(url: str) -> None:
    store = EventStore(url)
    n = 0
    while True:
        n += 1
        seqs = store.append(batch(n))
        print(n, seqs[-1][-1], flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
