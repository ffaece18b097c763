"""Wiring of the running kiosk: the session with the server, the printer, the view-model
and the window."""

from __future__ import annotations

import logging
import time
from urllib.parse import urlsplit

from PySide6.QtCore import QObject, QSize

from shell.bridge import gui_post
from wire.client import ClientOptions, ConnState
from wire.device import DeviceConfig
from wire.messages import ServerMessage
from wire.session import Session

from .printing import PrinterService
from .qt_kiosk import KioskWindow
from .viewmodel import KioskViewModel, Timings

log = logging.getLogger("novbe.kiosk")


class KioskApp:
    """One kiosk: everything a device file describes, started and stopped together.

    Must be created in the GUI thread, after the QApplication.

    Args:
        config: the kiosk's device file.
        size: the window's size; None: the screen's.
        lang: the start screen's language, instead of the device file's.
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
        if config.role != "kiosk":
            raise ValueError(f"{config.code}: not a kiosk device file")
        self.config = config
        self._gui = QObject()
        post = gui_post(self._gui)
        # The session hands the server's messages to this object, which passes them on to
        # the view-model: the model is made after the session, which it asks the server through.
        self.session = Session(config, self, post=post, lang=lang, options=client_options)
        self.printer = (
            PrinterService(config.printer, paper_mm=config.paper_mm) if config.printer is not None else None
        )
        note = None
        if config.printer is not None and urlsplit(config.printer).scheme == "virtual":
            folder = urlsplit(config.printer).path
            note = f"virtual printer: tickets are saved as pictures in {folder}, nothing is printed on paper"
            log.warning("%s (for the demo and tests only; a real kiosk names its printer)", note)
        self.model = KioskViewModel(
            self.session,
            self.printer,
            printer_note=note,
            device=config.code,
            default_lang=lang or config.lang,
            clock=time.monotonic,
            post=post,
            timings=timings,
        )
        self.window = KioskWindow(self.model, size=size)

    def on_message(self, message: ServerMessage) -> None:
        self.model.on_message(message)

    def on_connection(self, state: ConnState) -> None:
        self.model.on_connection(state)

    def start(self, *, fullscreen: bool | None = None) -> None:
        """Connect and start the kiosk's clock.

        Args:
            fullscreen: also show the window, full screen or not; None leaves showing it to
                the caller (``shell.main`` does it for ``novbe kiosk``).
        """
        self.session.start()
        self.window.start_ticking()
        if fullscreen is True:
            self.window.showFullScreen()
        elif fullscreen is False:
            self.window.show()

    def stop(self) -> None:
        self.window.close()
        self.session.stop()
        if self.printer is not None:
            self.printer.close()
