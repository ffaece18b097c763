"""The hall display: what the hall sees and hears (docs/display.md)."""

FONT_FAMILY = "DejaVu Sans"
"""Every text on the screen: it has every Azerbaijani letter (Debian's fonts-dejavu-core)."""
