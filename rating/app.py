"""Wiring of the running rating terminal: the session with the server, the view-model and
the window."""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QSize

from shell.bridge import gui_post
from wire.client import ClientOptions, ConnState
from wire.device import DeviceConfig
from wire.messages import ServerMessage
from wire.session import Session

from .qt_rating import RatingWindow
from .viewmodel import RatingViewModel, Timings


class RatingApp:
    """One rating terminal: everything its device file describes, started and stopped together.

    Must be created in the GUI thread, after the QApplication.

    Args:
        config: the terminal's device file (``devices/rating-<counter>.toml``).
        size: the window's size; None: the screen's.
        lang: the language when no citizen's is known, instead of the device file's.
    """

    def __init__(
        self,
        config: DeviceConfig,
        *,
        size: QSize | None = None,
        lang: str | None = None,
        timings: Timings | None = None,
        client_options: ClientOptions | None = None,
    ) -> None:
        if config.role != "rating" or config.counter is None:
            raise ValueError(f"{config.code}: not a rating terminal's device file")
        self.config = config
        self._gui = QObject()
        post = gui_post(self._gui)
        # The session hands the server's messages to this object, which passes them on to
        # the view-model: the model is made after the session, which it asks the server through.
        self.session = Session(config, self, post=post, lang=lang, options=client_options)
        self.model = RatingViewModel(
            self.session,
            counter=config.counter,
            device=config.code,
            default_lang=lang or config.lang,
            clock=time.monotonic,
            now=self.session.now,
            post=post,
            timings=timings,
        )
        self.window = RatingWindow(self.model, size=size)

    def on_message(self, message: ServerMessage) -> None:
        self.model.on_message(message)

    def on_connection(self, state: ConnState) -> None:
        self.model.on_connection(state)

    def start(self) -> None:
        """Connect and start the terminal's clock (``shell.main`` shows the window)."""
        self.session.start()
        self.window.start_ticking()

    def stop(self) -> None:
        self.window.close()
        self.session.stop()
