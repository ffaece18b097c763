"""QtMultimedia, when it can be loaded: the apps that make sound (the hall display's calls,
the kiosk's spoken guidance) run silently without it and say so."""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger("novbe.sound")


def multimedia(purpose: str) -> Any:
    """The ``PySide6.QtMultimedia`` module, or None when it cannot be loaded (PySide6-Addons
    absent, or Debian's libpulse0 missing); ``purpose`` names what goes silent in the log."""
    try:
        from PySide6 import QtMultimedia
    except ImportError as exc:
        log.warning("no %s: QtMultimedia cannot be loaded (%s)", purpose, exc)
        return None
    return QtMultimedia
