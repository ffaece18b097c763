"""``novbe supervisor``: the floor manager's desk (docs/supervisor.md)."""

FONT_FAMILY = "DejaVu Sans"
"""Has every Azerbaijani letter (ə ğ ı İ ş ç ö ü) and Cyrillic; installed with the app."""
