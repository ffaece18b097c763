"""Finding a service by what the citizen types, and the services most asked for.

Citizens think in services ("passport"), not in ministries, and type on a touchscreen
keyboard without the Azerbaijani letters' marks as often as with them: "sexsiyyet" must find
"Şəxsiyyət vəsiqəsinin verilməsi". Every word typed must be found in the service's names or
its agency's names, in any of the three languages, after both sides are folded
(:func:`fold`). Pure functions of the center's description and the queue figures.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from wire.messages import CenterInfo, QueueFigures, ServiceInfo

# "ё" is written "е" as often as not in Russian; "й" is a letter of its own and stays.
_FOLD = str.maketrans({"ə": "e", "ş": "s", "ç": "c", "ğ": "g", "ı": "i", "ö": "o", "ü": "u", "ё": "е"})
_WORD = re.compile(r"\w+")


def fold(text: str) -> str:
    """``text`` lowercased, with the Azerbaijani letters' marks dropped (ə->e, ş->s, ç->c,
    ğ->g, ı->i, İ->i, ö->o, ü->u, and any other Latin accent). Cyrillic is kept as it is, but
    for "ё", folded to "е" as Russian writing does."""
    # Lowercase first: "İ".lower() is "i" with a combining dot, which the next step drops.
    decomposed = unicodedata.normalize("NFD", text.lower().translate(_FOLD))
    kept: list[str] = []
    base = ""
    for char in decomposed:
        if not unicodedata.combining(char):
            base = char
        elif "LATIN" in unicodedata.name(base, ""):
            # A Latin letter's accent goes; Cyrillic keeps its marks: "й" is not "и".
            continue
        kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept))


@dataclass(frozen=True)
class _Entry:
    service: ServiceInfo
    own: tuple[str, ...]
    """The folded words of the service's own names, every language."""
    agency: tuple[str, ...]
    """The folded words of its agency's names."""
    order: int


class ServiceIndex:
    """The center's services, ready to be searched.

    Args:
        center: the center of the welcome.
    """

    def __init__(self, center: CenterInfo) -> None:
        self._entries: list[_Entry] = []
        for order, service in enumerate(center.services):
            agency = center.agency(service.agency)
            self._entries.append(
                _Entry(
                    service,
                    _words(service.name.values()),
                    _words(agency.name.values()) if agency is not None else (),
                    order,
                )
            )

    def search(self, query: str) -> list[ServiceInfo]:
        """The services every word of ``query`` is found in (at the start of a word of their
        names or their agency's, in any language), best first: those whose own name has every
        word, then those that match at word starts more, then the more requested."""
        words = _WORD.findall(fold(query))
        if not words:
            return []
        scored: list[tuple[tuple[float, ...], ServiceInfo]] = []
        for entry in self._entries:
            own = sum(_found(w, entry.own) for w in words)
            agency = sum(_found(w, entry.agency) for w in words)
            if not all(_found(w, entry.own) or _found(w, entry.agency) for w in words):
                continue
            whole = sum(w in entry.own or w in entry.agency for w in words)
            scored.append(
                (
                    (-float(own == len(words)), -own, -whole, -agency, -entry.service.share, entry.order),
                    entry.service,
                )
            )
        scored.sort(key=lambda pair: pair[0])
        return [service for _, service in scored]


def _words(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(w for name in names for w in _WORD.findall(fold(name)))


def _found(word: str, words: tuple[str, ...]) -> bool:
    """``word`` begins one of ``words``: "pasp" finds "pasportunun"."""
    return any(candidate.startswith(word) for candidate in words)


def most_requested(center: CenterInfo, queues: Mapping[str, QueueFigures], count: int) -> list[ServiceInfo]:
    """Up to ``count`` services a ticket can be taken for now, the most requested first: by the
    center's expected share of the day's tickets, then by how many wait now. Services with
    neither are left out (nothing says they are asked for)."""
    candidates = [
        (order, service, queues[service.code])
        for order, service in enumerate(center.services)
        if service.code in queues and queues[service.code].available
    ]
    ranked = sorted(
        (c for c in candidates if c[1].share > 0 or c[2].waiting > 0),
        key=lambda c: (-c[1].share, -c[2].waiting, c[0]),
    )
    return [service for _, service, _ in ranked[:count]]
