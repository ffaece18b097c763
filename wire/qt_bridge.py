"""Hands a HallClient's callbacks (called on the client's thread) to the Qt GUI thread.

The one place where the wire package meets Qt: Qt delivers a signal emitted from
another thread as a queued call in the receiver's thread, so view-models are only
ever touched from the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from .client import ConnState, Message


class QtClientBridge(QObject):
    """``bridge.on_message`` and ``bridge.on_state`` go to a HallClient; the callables
    given here run in the thread this object lives in (the GUI thread)."""

    message = Signal(object)
    state = Signal(object)

    def __init__(
        self,
        on_message: Callable[[Message], None],
        on_state: Callable[[ConnState], None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.message.connect(on_message)
        self.state.connect(on_state)

    def on_message(self, message: Message) -> None:
        self.message.emit(message)

    def on_state(self, state: ConnState) -> None:
        self.state.emit(state)

    def call_in_gui(self, fn: Callable[..., Any]) -> Callable[..., None]:
        """Wrap ``fn`` so that calling it from any thread runs it in the GUI thread."""
        relay = _Relay(self)
        relay.fire.connect(lambda args: fn(*args))
        return lambda *args: relay.fire.emit(args)


class _Relay(QObject):
    fire = Signal(object)
