"""One hall display put together: the connection, the view-model, the window and the sound."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject

from display.announce import Lang
from display.qt_audio import QtAnnouncer, policy_of
from display.qt_display import DisplayWindow
from display.viewmodel import DisplaySettings, DisplayViewModel
from wire.client import ConnState, HallClient
from wire.device import DeviceConfig
from wire.qt_bridge import QtClientBridge

log = logging.getLogger("novbe.display")

HEALTH_TIMEOUT_S = 3600.0
"""A health report made while offline waits this long for the connection to come back."""


class DisplayApp(QObject):
    """A display device: ``start()`` connects and shows the window; ``stop()`` ends both."""

    def __init__(
        self,
        config: DeviceConfig,
        *,
        server_url: str | None = None,
        settings: DisplaySettings | None = None,
        multimedia: bool = True,
        voice_dir: Path | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.config = config
        self.model = DisplayViewModel(config.code, config.lang, settings=settings)
        self.window = DisplayWindow(self.model)
        languages: list[Lang] = list(config.languages)
        self.announcer = QtAnnouncer(
            languages,
            policy_of(config.volume, [(q.start, q.end) for q in config.quiet_hours]),
            voice_dir=config.voice_pack,
            now=self.model.local_now,
            default_voice_dir=voice_dir,
            multimedia=multimedia,
            parent=self,
        )
        self.model.announce.connect(self.announcer.push)
        self.bridge = QtClientBridge(self.model.apply, self._on_state, parent=self)
        self.client = HallClient(
            server_url or config.server_url,
            {"role": "display", "device": config.code, "token": config.token, "lang": config.lang},
            on_message=self.bridge.on_message,
            on_state=self.bridge.on_state,
        )
        self.announcer.status_changed.connect(self._report_audio)

    def start(self) -> None:
        self.announcer.start()
        self.client.start()

    def stop(self) -> None:
        self.client.stop()
        self.announcer.stop()
        self.window.close()

    def _on_state(self, state: ConnState) -> None:
        self.model.set_online(state is ConnState.ONLINE)
        if state is ConnState.REFUSED:
            log.error("the server refused this display's token: check %s's device file", self.config.code)

    def _report_audio(self, status: str, detail: str) -> None:
        log.info("audio: %s %s", status, detail)
        self.client.request(
            "report_health", component="audio", status=status, detail=detail or None, timeout=HEALTH_TIMEOUT_S
        )
