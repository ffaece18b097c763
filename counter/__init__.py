"""``novbe counter``: the operator's app at one counter (docs/counter.md)."""

FONT_FAMILY = "DejaVu Sans"
"""Has every Azerbaijani letter (ə ğ ı İ ş ç ö ü) and Cyrillic; installed with the app."""
