"""Wiring of the running kiosk: server connection, printer, view-model and window."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from PySide6.QtCore import QSize
from wire.qt_bridge import QtClientBridge

from wire.client import ClientOptions, ConnState, HallClient, Message
from wire.device import DeviceConfig

from .printing import PrinterService
from .qt_kiosk import KioskWindow
from .viewmodel import KioskViewModel, Timings

log = logging.getLogger("novbe.kiosk")


class KioskApp:
    """One kiosk: everything a device file describes, started and stopped together.

    Must be created in the GUI thread, after the QApplication.
    """

    def __init__(
        self,
        config: DeviceConfig,
        *,
        size: QSize | None = None,
        timings: Timings | None = None,
        client_options: ClientOptions | None = None,
    ) -> None:
        if config.role != "kiosk":
            raise ValueError(f"{config.code}: not a kiosk device file")
        self.config = config
        self.bridge = QtClientBridge(self._on_message, self._on_state)
        self.client = HallClient(
            config.server_url,
            {"role": "kiosk", "device": config.code, "token": config.token, "lang": config.lang},
            on_message=self.bridge.on_message,
            on_state=self.bridge.on_state,
            options=client_options,
        )
        self.printer = (
            PrinterService(config.printer, paper_mm=config.paper_mm) if config.printer is not None else None
        )
        note = None
        if config.printer is not None and urlsplit(config.printer).scheme == "virtual":
            folder = urlsplit(config.printer).path
            note = f"virtual printer: tickets are saved as pictures in {folder}, nothing is printed on paper"
            log.warning("%s (for the demo and tests only; a real kiosk names its printer)", note)
        relay = self.bridge.call_in_gui(lambda fn: fn())
        post: Callable[[Callable[[], None]], None] = relay
        self.model = KioskViewModel(
            self.client,
            self.printer,
            printer_note=note,
            device=config.code,
            default_lang=config.lang,
            clock=time.monotonic,
            post=post,
            timings=timings,
        )
        self.window = KioskWindow(self.model, size=size)

    def _on_message(self, message: Message) -> None:
        self.model.on_message(message)

    def _on_state(self, state: Any) -> None:
        self.model.on_connection(str(state.value if isinstance(state, ConnState) else state))

    def start(self, *, fullscreen: bool | None = None) -> None:
        self.client.start()
        self.window.start_ticking()
        if fullscreen if fullscreen is not None else self.config.fullscreen:
            self.window.showFullScreen()
        else:
            self.window.show()

    def stop(self) -> None:
        self.window.close()
        self.client.stop()
        if self.printer is not None:
            self.printer.close()
