"""Secrets: operator passwords, device tokens and the tokens of the tickets' public pages.

Two kinds of secret, two kinds of hash:

* An operator's password is chosen by a person and may be weak, so it is stored as an argon2id
  hash, which is slow on purpose to make guessing expensive if center.toml leaks.
* A device token is 256 random bits made by :func:`new_token`. Nobody can guess it, so a slow
  hash would add nothing but delay to every connection a device opens; it is stored as its
  SHA-256 in hex and compared in constant time.

A ticket's page token (:func:`ticket_token`) is no stored secret: it is an HMAC of the
ticket's id under the center's own secret (``[public] secret`` in center.toml), so the server
that issues the ticket and the web process that serves its page compute it alike, and no
table of tokens is stored to leak (each keeps today's in memory, :class:`TicketTokens`).
"""

from __future__ import annotations

import base64
import collections
import contextlib
import dataclasses
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from typing import Any

from argon2 import Parameters, PasswordHasher, extract_parameters
from argon2.exceptions import InvalidHashError, VerificationError

from wire.events import DayOpened, Event, TicketIssued

__all__ = [
    "TICKET_TOKEN_CHARS",
    "TicketTokens",
    "decoy_hash",
    "hash_demo_password",
    "hash_password",
    "hash_token",
    "new_password",
    "new_token",
    "normalize_ticket_token",
    "password_needs_rehash",
    "ticket_token",
    "verify_password",
    "verify_token",
]

# OWASP's minimum for argon2id (19 MiB, 2 passes, 1 lane). argon2-cffi's default (64 MiB,
# 3 passes, 4 lanes) takes ~170 ms a hash on a 2-core hall server, so `novbe init` for the
# reference center (82 operators) would take 14 s; these take ~35 ms, ~3 s for all of them.
# The parameters are written into each hash, so raising them later keeps old hashes valid
# and password_needs_rehash() tells the login code to store a new hash.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)

# The demo password is published in the docs, so a slow hash of it protects nothing; a cheap
# one keeps `novbe init --demo` quick. password_needs_rehash() flags these hashes.
_DEMO_HASHER = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)


def hash_password(password: str) -> str:
    """Hash a password for storage (argon2id, salt and parameters included in the string)."""
    return _HASHER.hash(password)


def hash_demo_password(password: str) -> str:
    """Hash a published demo password with cheap argon2id parameters (see :func:`hash_password`)."""
    return _DEMO_HASHER.hash(password)


def decoy_hash(hashes: Iterable[str]) -> str:
    """A hash of a random password made with the parameters most of ``hashes`` use (the
    current ones if none can be read).

    Checking a password against it takes as long as against a real hash of the same
    parameters: a login that doesn't exist is answered as slowly as a wrong password, so
    the time of the answer doesn't tell which logins exist.
    """
    found: collections.Counter[tuple[Any, ...]] = collections.Counter()
    for value in hashes:
        with contextlib.suppress(InvalidHashError, ValueError):
            found[dataclasses.astuple(extract_parameters(value))] += 1
    if not found:
        return _HASHER.hash(secrets.token_urlsafe(16))
    hasher = PasswordHasher.from_parameters(Parameters(*found.most_common(1)[0][0]))
    return hasher.hash(secrets.token_urlsafe(16))


def verify_password(hash: str, password: str) -> bool:
    """Tell whether ``password`` matches ``hash``.

    Never raises: a wrong password, an empty one and a damaged hash all give False. The
    comparison is argon2's own, which is constant-time.
    """
    try:
        return _HASHER.verify(hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(hash: str) -> bool:
    """Tell whether ``hash`` was made with other parameters than the current ones.

    Call it after a successful :func:`verify_password`; if True, hash the password again and
    store the new hash (the demo passwords, for example, are hashed with cheaper parameters).
    A damaged hash needs rehashing too.
    """
    try:
        return _HASHER.check_needs_rehash(hash)
    except (InvalidHashError, ValueError):
        return True


def new_password() -> str:
    """A random password to hand to a new operator (about 96 bits, URL-safe characters)."""
    return secrets.token_urlsafe(12)


def new_token() -> str:
    """A new device token: 256 random bits, URL-safe text."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """The form in which center.toml stores a device token: SHA-256, 64 lowercase hex digits."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def verify_token(hash: str, token: str) -> bool:
    """Tell whether ``token`` is the one whose SHA-256 is ``hash``, in constant time."""
    # Bytes, because compare_digest refuses non-ASCII str and a damaged file must not raise.
    return hmac.compare_digest(hash_token(token).encode(), hash.lower().encode("utf-8", "replace"))


TICKET_TOKEN_BITS = 130
"""Bits of HMAC a ticket's token keeps: 26 base32 characters (5 bits each)."""

TICKET_TOKEN_CHARS = TICKET_TOKEN_BITS // 5

_TOKEN_INPUT = re.compile(r"[^a-z2-7]")


def ticket_token(secret: str, ticket_id: str) -> str:
    """The token of a ticket's public page: HMAC-SHA256 of the ticket's id under the center's
    ``[public] secret``, cut to 130 bits, in lowercase base32 (``a``-``z``, ``2``-``7``).

    Nobody without the secret can make the token of another ticket from one they hold, nor
    tell a ticket's id or number from its token. Base32 has no 0, 1, 8 or 9 and one case, so
    a citizen typing it from the paper cannot mistake O for 0 or l for 1.
    """
    digest = hmac.new(secret.encode("utf-8"), ticket_id.encode("utf-8"), hashlib.sha256).digest()
    return base64.b32encode(digest).decode("ascii").lower()[:TICKET_TOKEN_CHARS]


def normalize_ticket_token(text: str) -> str | None:
    """A token as typed (any case, with spaces or dashes between groups) in its canonical
    form, or None if it can't be one."""
    if len(text) > 2 * TICKET_TOKEN_CHARS:
        return None
    token = text.strip().lower().replace("-", "").replace(" ", "")
    if len(token) != TICKET_TOKEN_CHARS or _TOKEN_INPUT.search(token):
        return None
    return token


class TicketTokens:
    """The page tokens of one service day's tickets, token -> ticket id: which ticket the QR
    code ``BASE_URL/t/TOKEN`` names, for the web process serving its page and for the hub when
    a counter, which has no secret, sends the token it scanned.

    Filled as tickets are issued (and as the day is replayed), emptied when a day opens, so
    yesterday's tokens name nothing. One HMAC per ticket at its issue and about 100 bytes
    kept, bounded by one day's tickets; computing every ticket's token at each scan instead
    would hold the hub's event loop tens of milliseconds a scan (docs/benchmarks.md, "Ticket
    tokens").
    """

    def __init__(self, secret: str | None) -> None:
        self.secret = secret
        """The center's ``[public] secret``; None when the center has no public pages (no
        ticket then carries a token, and every token names nothing)."""
        self._tickets: dict[str, str] = {}
        self._tokens: dict[str, str] = {}
        """The other way round: the web process pushes to thousands of pages per call."""

    def __len__(self) -> int:
        return len(self._tickets)

    def apply(self, event: Event) -> None:
        """Follow the log: an issued ticket's token is kept; a new day forgets the old ones."""
        if isinstance(event, TicketIssued):
            if self.secret is not None:
                token = ticket_token(self.secret, event.ticket)
                self._tickets[token] = event.ticket
                self._tokens[event.ticket] = token
        elif isinstance(event, DayOpened):
            self.clear()

    def clear(self) -> None:
        """Forget every token (the day is about to be replayed from its opening)."""
        self._tickets.clear()
        self._tokens.clear()

    def ticket_of(self, text: str) -> str | None:
        """The id of the day's ticket whose token ``text`` is (as typed: any case, dashes or
        spaces between groups), or None."""
        token = normalize_ticket_token(text)
        return self._tickets.get(token) if token is not None else None

    def token_of(self, ticket_id: str) -> str:
        """The token of ``ticket_id`` (a center with public pages only)."""
        assert self.secret is not None, "a ticket token asked of a center without public pages"
        token = self._tokens.get(ticket_id)
        return token if token is not None else ticket_token(self.secret, ticket_id)


def main(argv: list[str] | None = None) -> int:
    """``python -m server.security password|token``: make a secret for center.toml by hand.

    ``password`` asks for a password twice (without echo) and prints its argon2 hash, for an
    operator's ``password_hash``. ``token`` prints a new device token and, on the next line,
    its SHA-256, for ``token_sha256``.
    """
    import getpass
    import sys

    args = sys.argv[1:] if argv is None else argv
    if args == ["password"]:
        first = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != first or not first:
            sys.stderr.write("passwords differ or are empty; nothing done\n")
            return 1
        sys.stdout.write(hash_password(first) + "\n")
        return 0
    if args == ["token"]:
        token = new_token()
        sys.stdout.write(f"token = {token}\ntoken_sha256 = {hash_token(token)}\n")
        return 0
    sys.stderr.write("usage: python -m server.security password|token\n")
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
