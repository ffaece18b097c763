"""The answers a repeated request gets: the last answers of each device, in memory, bounded.

A device repeats a request when the answer was lost with its connection, so only its last
few requests can come back. Memory is bounded by the center, not by the length of the day:
at most :data:`PER_DEVICE` answers of each device (devices and supervisors are the ones of
center.toml), none older than :data:`KEEP_FOR`. The log keeps every answer (the ``replies``
table): this is its cache. A device some of whose answers were dropped here
(:meth:`Replies.dropped_some`) has a request id that is not here looked up in the log, so that
an old id sent again is answered as before and never runs twice.
"""

from __future__ import annotations

import collections
from collections.abc import Iterable
from datetime import datetime, timedelta

PER_DEVICE = 32
"""Answers remembered per device (or supervisor login). An app sends one request at a time
and repeats only the ones it had in flight when its connection dropped, so a few would do;
32 leaves room for a client that pipelines. Small enough to fill within minutes of opening,
after which the cache no longer grows (docs/benchmarks.md, "Soak")."""

KEEP_FOR = timedelta(hours=24)
"""How long an answer is remembered, at most."""


class Replies:
    """``(device identity, request id)`` -> the answer sent, as its JSON text."""

    def __init__(self, per_device: int = PER_DEVICE, keep_for: timedelta = KEEP_FOR) -> None:
        self.per_device = per_device
        self.keep_for = keep_for
        self._by_device: dict[str, collections.OrderedDict[str, tuple[datetime, str]]] = {}
        self._dropped: set[str] = set()
        """Devices whose answers are not all here (dropped for room, or kept in the log only)."""

    def __len__(self) -> int:
        return sum(len(answers) for answers in self._by_device.values())

    def get(self, key: tuple[str, str], now: datetime) -> str | None:
        device, rid = key
        answers = self._by_device.get(device)
        found = answers.get(rid) if answers is not None else None
        if found is None or found[0] < now - self.keep_for:
            return None
        return found[1]

    def remember(self, key: tuple[str, str], answer: str, at: datetime) -> None:
        device, rid = key
        answers = self._by_device.setdefault(device, collections.OrderedDict())
        answers[rid] = (at, answer)
        answers.move_to_end(rid)
        while len(answers) > self.per_device:
            answers.popitem(last=False)
            self._dropped.add(device)
        # The oldest go first: they are at the front.
        too_old = at - self.keep_for
        while answers and next(iter(answers.values()))[0] < too_old:
            answers.popitem(last=False)
            self._dropped.add(device)

    def dropped_some(self, device: str) -> bool:
        """Whether an answer of ``device`` may be in the log and not here."""
        return device in self._dropped

    def load(self, stored: Iterable[tuple[str, str, str]], at: datetime) -> None:
        """Start again from ``(device, request id, answer)``, oldest first (the store's
        answers of the last :data:`KEEP_FOR`), remembered as of ``at``."""
        self._by_device.clear()
        self._dropped.clear()
        for device, rid, answer in stored:
            self.remember((device, rid), answer, at)
