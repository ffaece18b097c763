"""A welcome message made from a reference center file, without a server.

The screenshots and the view-model tests show the kiosk as the server would feed it; this
builds the ``welcome`` message's ``center`` (with the server's own conversion and view)
and a kiosk ``snapshot`` with made-up queue figures.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from server.reference import reference_center

REFERENCE = reference_center()


def center_from_reference(data: dict[str, Any]) -> dict[str, Any]:
    """The ``center`` part of a welcome for the reference center ``data``, made by the
    same conversion and view the server uses, so the sample can't drift from the wire."""
    from server.center import center_from_reference as convert
    from server.views import center_info

    return center_info(convert(data))


def queues_for(center: dict[str, Any], unavailable: dict[str, str] | None = None) -> dict[str, Any]:
    """Plausible queue figures for every service; ``unavailable`` maps service codes to
    the reason they can't be issued (``closed`` or ``full``)."""
    unavailable = unavailable or {}
    out: dict[str, Any] = {}
    for i, service in enumerate(center["services"]):
        code = service["code"]
        waiting = (i * 7) % 13
        reason = unavailable.get(code)
        out[code] = {
            "waiting": waiting,
            "oldest_wait_min": 0.0,
            "open_counters": 0 if reason == "closed" else 2,
            "available": reason is None,
            "reason": reason,
            "wait_low_min": None if reason else waiting // 2,
            "wait_high_min": None if reason else waiting // 2 + 1 + waiting // 3,
        }
    return out


def sample_welcome(
    reference: Path = REFERENCE, unavailable: dict[str, str] | None = None, device: str = "kiosk-1"
) -> dict[str, Any]:
    """A kiosk's ``welcome`` for the reference center."""
    center = center_from_reference(json.loads(reference.read_text(encoding="utf-8")))
    return {
        "type": "welcome",
        "role": "kiosk",
        "device": device,
        "seq": 1,
        "center": center,
        "snapshot": {"day": None, "open": True, "queues": queues_for(center, unavailable)},
    }
