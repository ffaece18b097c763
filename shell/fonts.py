"""The font of the citizen-facing screens (kiosk, rating terminal).

DejaVu Sans has every letter of Azerbaijani (ə ğ ı İ ş ç ö ü) and Russian; it is loaded from
its files explicitly, so a machine image without fontconfig defaults still renders them.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QApplication

FONT_FAMILY = "DejaVu Sans"
FONT_FILES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
)


def install_fonts() -> str:
    """Load the font into Qt and return its family (Qt's default one when the files are
    missing)."""
    family = FONT_FAMILY
    for path in FONT_FILES:
        if Path(path).exists():
            QFontDatabase.addApplicationFont(path)
    if family not in QFontDatabase.families():
        family = QApplication.font().family()
    return family
