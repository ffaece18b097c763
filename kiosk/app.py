"""Wiring of the running kiosk: the session with the server, the printer, the view-model
and the window."""

from __future__ import annotations

import logging
import time
from urllib.parse import urlsplit

from PySide6.QtCore import QObject, QSize

from hardware.scanner import ScannerReader
from shell.bridge import gui_post
from wire.client import ClientOptions, ConnState
from wire.device import DeviceConfig
from wire.i18n import catalog
from wire.messages import ServerMessage
from wire.session import Session
from wire.types import LANGS

from .printing import PrinterService
from .qt_kiosk import KioskWindow
from .qt_speech import QtSpeaker
from .speech import Voice, espeak_available
from .viewmodel import KioskViewModel, Timings

log = logging.getLogger("novbe.kiosk")


class KioskApp:
    """One kiosk: everything a device file describes, started and stopped together.

    Must be created in the GUI thread, after the QApplication.

    Args:
        config: the kiosk's device file.
        size: the window's size; None: the screen's.
        lang: the start screen's language, instead of the device file's.
        sound: False renders spoken guidance without playing it (tests).
    """

    def __init__(
        self,
        config: DeviceConfig,
        *,
        size: QSize | None = None,
        lang: str | None = None,
        timings: Timings | None = None,
        client_options: ClientOptions | None = None,
        sound: bool = True,
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
        # Spoken guidance: the kiosk's texts read in their own language, with the Latin
        # letters of ticket numbers named as each language names them.
        texts = catalog("kiosk")
        voice = Voice(letters={x: texts.tr("speech.letters", x).split() for x in LANGS})
        self.speaker = QtSpeaker(voice, multimedia=sound, parent=self._gui) if espeak_available() else None
        if self.speaker is None:
            log.error("espeak-ng is not installed (Debian package espeak-ng): the accessible mode is silent")
        else:
            self.speaker.status_changed.connect(self._report_speech)
        self.model = KioskViewModel(
            self.session,
            self.printer,
            printer_note=note,
            device=config.code,
            default_lang=lang or config.lang,
            clock=time.monotonic,
            post=post,
            timings=timings,
            speaker=self.speaker,
            now=self.session.now,
        )
        self.window = KioskWindow(self.model, size=size)
        self._post = post
        self.scanner: ScannerReader | None = None

    def on_message(self, message: ServerMessage) -> None:
        self.model.on_message(message)

    def on_connection(self, state: ConnState) -> None:
        self.model.on_connection(state)

    def _scanned(self, code: str) -> None:
        # From the scanner's thread: the model is used in the GUI thread only.
        def check_in() -> None:
            self.model.scanned(code)

        self._post(check_in)

    def _report_scanner(self, status: str, detail: str | None) -> None:
        self.session.report_health("scanner", status, detail)

    def _report_speech(self, status: str, detail: str) -> None:
        log.info("spoken guidance: %s %s", status, detail)
        self.session.report_health("audio", status, detail or None)

    def start(self, *, fullscreen: bool | None = None) -> None:
        """Connect and start the kiosk's clock.

        Args:
            fullscreen: also show the window, full screen or not; None leaves showing it to
                the caller (``shell.main`` does it for ``novbe kiosk``).
        """
        self.session.start()
        if self.config.scanner:
            # A serial scanner: each code it reads is a booking's check-in.
            self.scanner = ScannerReader(self.config.scanner, self._scanned, self._report_scanner)
            self.scanner.start()
        if self.speaker is None:
            self.session.report_health("audio", "error", "espeak-ng is not installed: no spoken guidance")
        elif self.window.painted:
            self.speaker.start()
        else:
            # The voice's player loads after the first screen is drawn, not before.
            self.window.first_paint.connect(self.speaker.start)
        self.window.start_ticking()
        if fullscreen is True:
            self.window.showFullScreen()
        elif fullscreen is False:
            self.window.show()

    def stop(self) -> None:
        if self.scanner is not None:
            self.scanner.close()
        self.window.close()
        if self.speaker is not None:
            self.speaker.close()
        self.session.stop()
        if self.printer is not None:
            self.printer.close()
