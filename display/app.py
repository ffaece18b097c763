"""One hall display put together: the session, the view-model, the window and the sound."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QObject

from display.qt_audio import QtAnnouncer, policy_of
from display.qt_display import DisplayWindow
from display.viewmodel import DisplaySettings, DisplayViewModel
from shell.bridge import gui_post
from wire.client import ClientOptions
from wire.device import DeviceConfig
from wire.session import Session
from wire.types import Lang

log = logging.getLogger("novbe.display")


class DisplayApp(QObject):
    """A display device: ``start()`` connects and starts the sound; ``stop()`` ends both and
    closes the window.

    Args:
        config: the display's device file.
        server_url: instead of the device file's.
        lang: the language of the screen's own words, instead of the device file's.
        multimedia: False: calls are shown, not heard (``--silent``).
        voice_dir: where the espeak-ng voice packs are built; None for the user's cache.
    """

    def __init__(
        self,
        config: DeviceConfig,
        *,
        server_url: str | None = None,
        lang: Lang | None = None,
        settings: DisplaySettings | None = None,
        multimedia: bool = True,
        voice_dir: Path | None = None,
        client_options: ClientOptions | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.config = config
        self.model = DisplayViewModel(
            config.code, lang or config.lang, clock=self._server_now, settings=settings
        )
        self.window = DisplayWindow(self.model)
        self.session = Session(
            config, self.model, post=gui_post(self), server_url=server_url, lang=lang, options=client_options
        )
        self.announcer = QtAnnouncer(
            config.languages,
            policy_of(config.volume, [(q.start, q.end) for q in config.quiet_hours]),
            voice_dir=config.voice_pack,
            now=self.model.local_now,
            default_voice_dir=voice_dir,
            multimedia=multimedia,
            parent=self,
        )
        self.model.announce.connect(self.announcer.push)
        self.announcer.status_changed.connect(self._report_audio)

    def start(self) -> None:
        self.announcer.start()
        self.session.start()

    def stop(self) -> None:
        self.session.stop()
        self.announcer.stop()
        self.window.close()

    def _server_now(self) -> datetime:
        return self.session.now()

    def _report_audio(self, status: str, detail: str) -> None:
        log.info("audio: %s %s", status, detail)
        self.session.report_health("audio", status, detail or None)
