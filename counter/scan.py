"""What the operator typed or scanned to call a ticket: a QR code's text or a ticket number.

A ticket's QR code holds the address of its phone page, ``BASE_URL/t/TOKEN``
(``wire.links``), or, at a center without public pages, ``NOVBE:<center code>:<ticket id>``.
A keyboard-wedge scanner types it as keys, so on a PC whose keyboard is switched to Russian
"NOVBE:BAKU1:20261122-A007" arrives as "ТЩМИУЖИФЛГ1Ж20261122-Ф007" and
"https://novbe.example.az/t/k7qm…" as "реезыЖ..тщмиуюучфьздуюфя.е.л7йь…": the characters
of the same keys. An operator may also type the number by hand: "A7", "a007", "A 007", or
the Cyrillic look-alike "А7". :func:`readings` gives every way to read the text, most likely
first; the view-model takes the first that names a ticket waiting for (or parked at) its
counter, and sends a page's token to the server, which alone knows the ticket it names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from wire.links import link_token

_RU_KEYS = dict(
    zip(
        "йцукенгшщзхъфывапролджэячсмитьбю.,ЖЭХЪБЮ",
        "qwertyuiop[]asdfghjkl;'zxcvbnm,./?:\"{}<>",
        strict=True,
    )
)
"""A key's character on the Russian layout -> the same key's on the Latin one (ЙЦУКЕН vs
QWERTY): the letters (either case: a scanner sends capitals with Shift), the "." and ","
of the key that is "/" and "?" on the Latin layout, and the capitals whose shifted Latin key
is no letter (Shift+Ж is ":")."""

_LOOKALIKES = dict(zip("АВСЕНКМОРТХ", "ABCEHKMOPTX", strict=True))
"""Cyrillic capitals that look like Latin ones: an operator typing "А7" means A7."""

_QR = re.compile(r"^NOVBE[:;](?P<center>[^:;]+)[:;](?P<id>\S+)$", re.IGNORECASE)
_NUMBER = re.compile(r"^(?P<prefix>[A-Z]{0,3})\s*-?\s*(?P<digits>\d{1,6})$")


@dataclass(frozen=True)
class TicketId:
    """A ticket named by its id (from a QR code) and the center the code names."""

    id: str
    center: str


@dataclass(frozen=True)
class TicketNumber:
    """A ticket named by its number: the prefix and the number's value ("A7" is A007)."""

    prefix: str
    value: int

    def matches(self, number: str) -> bool:
        """Whether ``number`` (as the server writes it, "A007") is this one."""
        found = _NUMBER.match(number.upper())
        return found is not None and found["prefix"] == self.prefix and int(found["digits"]) == self.value


@dataclass(frozen=True)
class TicketToken:
    """A ticket named by its phone page's token (``BASE_URL/t/TOKEN`` in its QR code)."""

    token: str


Reading = TicketId | TicketNumber | TicketToken


def _by_key(text: str) -> str:
    return "".join(_RU_KEYS.get(ch, _RU_KEYS.get(ch.lower(), ch)) for ch in text)


def _variants(text: str) -> list[str]:
    text = text.strip()
    variants = [text]
    for variant in ("".join(_LOOKALIKES.get(ch.upper(), ch) for ch in text), _by_key(text)):
        if variant not in variants:
            variants.append(variant)
    return variants


def readings(text: str) -> list[Reading]:
    """Every way to read ``text`` as a ticket, most likely first (none when it is no ticket)."""
    found: list[Reading] = []
    for variant in _variants(text):
        token = link_token(variant)
        qr = _QR.match(variant)
        if token is not None:
            reading: Reading = TicketToken(token)
        elif qr is not None:
            reading = TicketId(id=qr["id"].upper(), center=qr["center"].upper())
        else:
            number = _NUMBER.match(variant.upper())
            if number is None:
                continue
            reading = TicketNumber(prefix=number["prefix"], value=int(number["digits"]))
        if reading not in found:
            found.append(reading)
    return found
