"""What a ticket says: the values the kiosk hands to the printer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from wire.types import WaitRange

__all__ = ["FALLBACK_LANG", "TicketView", "localized"]

FALLBACK_LANG = "az"
"""Every name in the reference data has an Azerbaijani form; it is the last resort."""


def localized(names: Mapping[str, str], lang: str) -> str:
    """
    Pick the name in ``lang``, falling back to Azerbaijani, then to any name.

    A center may leave a translation out; printing the Azerbaijani name is
    better than printing nothing.

    """
    if names.get(lang):
        return names[lang]
    if names.get(FALLBACK_LANG):
        return names[FALLBACK_LANG]
    return next((value for value in names.values() if value), "")


@dataclass(frozen=True)
class TicketView:
    """
    Everything printed on one queue ticket.

    Names are dictionaries keyed by language (``"az"``, ``"ru"``, ``"en"``).
    The ticket is printed in ``lang``; the layout adds the Azerbaijani text
    underneath when ``lang`` isn't Azerbaijani.

    """

    center_name: Mapping[str, str]
    agency_name: Mapping[str, str]
    service_name: Mapping[str, str]
    number: str
    """The display number, e.g. ``"A015"``."""
    issued_at: datetime
    """Local time of the center; printed as it is, without conversion."""
    lang: str
    ahead: int
    """People waiting before this ticket for the same service."""
    wait: WaitRange
    """The wait the server promised, printed as every screen shows it (``wire.i18n.wait_words``)."""
    zone_name: Mapping[str, str]
    ticket_id: str
    qr_data: str
    """What the QR code carries: the ticket's status URL or id."""
    footer: Mapping[str, str] = field(default_factory=dict)
    priority: str | None = None
    """A priority right (``"elderly"``, ``"disabled"``, ...); ``None`` or ``"none"`` for none."""
    slot_at: datetime | None = None
    """A booked citizen's slot, local time of the center (printed as it is); ``None`` for a
    walk-in."""

    def __post_init__(self) -> None:
        assert self.number, "a ticket needs a number"
