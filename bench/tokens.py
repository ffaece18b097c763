"""A counter calls a ticket by the token of its QR code (``call_ticket`` with ``token``): how
the hub finds the ticket a token names, two ways.

* kept: the token of each ticket is computed once, at its issue (and again when the day is
  replayed at a start), and kept in a dict, token -> ticket (``server.security.TicketTokens``,
  what the hub does);
* computed: nothing kept; at each scan the token of every ticket of the day is computed
  until one matches.

For days of 3,000 tickets (the reference center), 10,000 and 30,000: the CPU of one issue
(kept), of one look-up (both ways), and the memory the dict holds.
"""

from __future__ import annotations

import secrets
import time
import tracemalloc
from datetime import date, datetime, timedelta, timezone

from server.security import TicketTokens, ticket_token
from wire.events import TicketIssued

DAYS = (3_000, 10_000, 30_000)
AT = datetime(2026, 11, 30, 9, tzinfo=timezone(timedelta(hours=4)))


def _ids(count: int) -> list[str]:
    day = date(2026, 11, 30).strftime("%Y%m%d")
    return [f"{day}-{'ABCDEFGH'[i % 8]}{i // 8 + 1:03d}" for i in range(count)]


def main() -> None:
    secret = secrets.token_urlsafe(32)
    for count in DAYS:
        ids = _ids(count)
        events = [TicketIssued(ticket=i, number=i[-4:], service="DIN-ID", agency="DIN", at=AT) for i in ids]
        tokens = TicketTokens(secret)
        started = time.perf_counter()
        for event in events:
            tokens.apply(event)
        issue_us = (time.perf_counter() - started) / count * 1e6

        tracemalloc.start()
        measured = TicketTokens(secret)
        for event in events:
            measured.apply(event)
        held, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()

        wanted = [ticket_token(secret, ids[k]) for k in range(0, count, max(1, count // 50))]
        started = time.perf_counter()
        for token in wanted:
            assert tokens.ticket_of(token) is not None
        kept_us = (time.perf_counter() - started) / len(wanted) * 1e6

        last = ticket_token(secret, ids[-1])  # the worst case: the day's newest ticket
        rounds = 5
        started = time.perf_counter()
        for _ in range(rounds):
            found = next(i for i in ids if ticket_token(secret, i) == last)
        computed_ms = (time.perf_counter() - started) / rounds * 1000
        assert found == ids[-1]
        print(
            f"   {count:6,} tickets: kept: {issue_us:4.1f} µs an issue, look-up {kept_us:4.1f} µs, "
            f"{held / 1024:6.0f} KiB ({held / count:3.0f} B a ticket); "
            f"computed: look-up {computed_ms:6.1f} ms"
        )


if __name__ == "__main__":
    main()
