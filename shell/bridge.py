"""Runs callables in the Qt GUI thread, from any thread.

The one place where the hall client meets Qt: Qt delivers a signal emitted from
another thread as a queued call in the receiver's thread, so view-models are only
ever touched from the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from wire.session import Post


class GuiPoster(QObject):
    """``poster.post(fn)`` runs ``fn`` in the thread this object lives in (the GUI thread).

    Keep the object alive as long as anything may post through it (give it a parent).
    """

    fire = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.fire.connect(_call)

    def post(self, fn: Callable[[], None]) -> None:
        self.fire.emit(fn)


def _call(fn: Callable[[], None]) -> None:
    fn()


def gui_post(parent: QObject) -> Post:
    """A :data:`~wire.session.Post` into ``parent``'s thread (the GUI thread)."""
    return GuiPoster(parent).post
