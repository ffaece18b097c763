"""Style-sheet helpers shared by the apps' windows."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget


def set_style_property(widget: QWidget, name: str, value: str) -> None:
    """Set a property the style sheet selects on (``QFrame[look="paused"]``) and repolish.

    The value last set is remembered on the Python side: reading an unset property back
    with ``QObject.property`` returns None without taking a reference to it (PySide6
    6.12), and doing that once a second eventually frees None and aborts the process.
    """
    attribute = f"_shown_{name}"
    if getattr(widget, attribute, None) != value:
        setattr(widget, attribute, value)
        widget.setProperty(name, value)
        widget.style().unpolish(widget)
        widget.style().polish(widget)
