"""
Render sample tickets to PNG with the virtual printer.

``python -m hardware.render_samples docs/tickets`` writes ``ticket-az.png``,
``ticket-ru.png`` and ``ticket-en.png``, and ``ticket-priority-<lang>.png``: a senior
citizen's ticket with nobody ahead and a wait under a minute, and ``ticket-booked-<lang>.png``: a
booked citizen's ticket with its slot. With ``--center FILE`` (a center
description like the reference ``center-baku1.json``) it renders one ticket per
agency and language instead, named ``<prefix>-<lang>.png``.

"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import shutil
import sys
import tempfile
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from wire.types import WaitRange

from .printer import open_printer
from .ticket import TicketView

__all__ = ["booked_view", "center_views", "main", "priority_view", "sample_url", "sample_view"]

SAMPLE_SECRET = b"sample tickets only"


def sample_url(ticket_id: str) -> str:
    """A page address as a center's would be: a 130-bit HMAC token of the ticket's id
    (``server.security.ticket_token``, made here alike: hardware does not import the server)."""
    digest = hmac.new(SAMPLE_SECRET, ticket_id.encode(), hashlib.sha256).digest()
    return "https://novbe.example.az/t/" + base64.b32encode(digest).decode().lower()[:26]


LANGS = ("az", "ru", "en")
ISSUED = datetime(2026, 11, 23, 10, 42)
SLOT = datetime(2026, 11, 23, 10, 45)
"""The sample booked citizen's slot."""
SAMPLE_WAIT = WaitRange(10, 20)

_SAMPLE: dict[str, Mapping[str, str]] = {
    "center": {
        "az": "Bakı 1 nömrəli ASAN xidmət mərkəzi",
        "ru": "Центр ASAN xidmət № 1 г. Баку",
        "en": "Baku ASAN service center No. 1",
    },
    "agency": {
        "az": "Daxili İşlər Nazirliyi",
        "ru": "Министерство внутренних дел",
        "en": "Ministry of Internal Affairs",
    },
    "service": {
        "az": "Şəxsiyyət vəsiqəsinin verilməsi",
        "ru": "Выдача удостоверения личности",
        "en": "Identity card issuance",
    },
    "zone": {"az": "1-ci mərtəbə", "ru": "1-й этаж", "en": "Floor 1"},
}


def sample_view(
    lang: str,
    number: str = "A015",
    *,
    ahead: int = 7,
    wait: WaitRange = SAMPLE_WAIT,
    priority: str | None = None,
    slot_at: datetime | None = None,
) -> TicketView:
    """A ticket of the reference center: an identity card at the Ministry of Internal Affairs."""
    ticket_id = f"{ISSUED:%Y%m%d}-{number}"
    return TicketView(
        center_name=_SAMPLE["center"],
        agency_name=_SAMPLE["agency"],
        service_name=_SAMPLE["service"],
        number=number,
        issued_at=ISSUED,
        lang=lang,
        ahead=ahead,
        wait=wait,
        zone_name=_SAMPLE["zone"],
        ticket_id=ticket_id,
        qr_data=sample_url(ticket_id),
        priority=priority,
        slot_at=slot_at,
    )


def booked_view(lang: str) -> TicketView:
    """A booked citizen's ticket: checked in at the kiosk for the 10:45 slot."""
    return sample_view(lang, "A017", ahead=1, wait=WaitRange(2, 6), slot_at=SLOT)


def priority_view(lang: str) -> TicketView:
    """A senior citizen's ticket with nobody ahead: the paper's priority and "nobody ahead" words."""
    return sample_view(lang, "A016", ahead=0, wait=WaitRange(0, 1), priority="elderly")


def center_views(center: Mapping[str, Any], lang: str) -> Iterator[TicketView]:
    """One ticket per agency of a center description, for its first service."""
    zones = {zone["code"]: zone["name"] for zone in center["zones"]}
    for index, agency in enumerate(center["agencies"]):
        number = f"{agency['prefix']}{15 + index:03d}"
        ticket_id = f"{ISSUED:%Y%m%d}-{number}"
        yield TicketView(
            center_name=center["center"]["name"],
            agency_name=agency["name"],
            service_name=agency["services"][0]["name"],
            number=number,
            issued_at=ISSUED,
            lang=lang,
            ahead=index % 9,
            wait=WaitRange(5 + index, 15 + 2 * index),
            zone_name=zones[agency["zone"]],
            ticket_id=ticket_id,
            qr_data=sample_url(ticket_id),
        )


def render(views: list[tuple[str, TicketView]], out_dir: Path, paper_mm: int = 80) -> list[Path]:
    """Print ``views`` on a virtual printer; save each picture as ``out_dir/<name>.png``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with tempfile.TemporaryDirectory() as scratch:
        printer = open_printer(f"virtual://{scratch}", paper_mm=paper_mm)
        for name, view in views:
            result = printer.print_ticket(view)
            assert result.png_path is not None, "the virtual printer always returns a picture"
            target = out_dir / f"{name}.png"
            shutil.move(result.png_path, target)
            written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hardware.render_samples", description=__doc__)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--center", type=Path, help="center description (JSON): one ticket per agency")
    parser.add_argument("--paper", type=int, choices=(58, 80), default=80)
    args = parser.parse_args(argv)
    if args.center:
        center = json.loads(args.center.read_text(encoding="utf-8"))
        views = [(f"{view.number[0]}-{lang}", view) for lang in LANGS for view in center_views(center, lang)]
    else:
        views = [(f"ticket-{lang}", sample_view(lang)) for lang in LANGS]
        views += [(f"ticket-priority-{lang}", priority_view(lang)) for lang in LANGS]
        views += [(f"ticket-booked-{lang}", booked_view(lang)) for lang in LANGS]
    for path in render(views, args.out_dir, args.paper):
        sys.stdout.write(f"{path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
