"""One hall display put together: the session, the view-model, the window and the sound."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path

from PySide6.QtCore import QObject

from display.qt_audio import QtAnnouncer, policy_of
from display.qt_display import DisplayWindow
from display.viewmodel import DisplaySettings, DisplayViewModel, ScreenLanguages, idle_pictures
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
            config.code,
            clock=self._server_now,
            settings=settings,
            screen=screen_of(config, lang),
            timezone=config.timezone,
            pictures=idle_pictures(config.idle_images),
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
        self.model.arrived.connect(self.announcer.arrived)
        self.announcer.dropped.connect(self.model.call_unannounced)
        self.announcer.status_changed.connect(self._report_audio)
        self.model.unannounced_changed.connect(self._report_audio)

    def start(self) -> None:
        self.announcer.start()
        self.session.start()

    def stop(self) -> None:
        self.session.stop()
        self.announcer.stop()
        self.window.close()

    def _server_now(self) -> datetime:
        return self.session.now()

    def _report_audio(self) -> None:
        status, detail = self.announcer.status
        count = self.model.unannounced
        if count:
            # The supervisor learns that the hall missed calls (each one is in the display's log).
            missed = f"{count} calls today not announced (too late, or the counter moved on)"
            detail = f"{detail}; {missed}" if detail else missed
        log.info("audio: %s %s", status, detail)
        self.session.report_health("audio", status, detail or None)


def screen_of(config: DeviceConfig, lang: Lang | None) -> ScreenLanguages:
    """The screen's languages from the display's file; ``--lang`` shows that language alone."""
    if lang is not None:
        return ScreenLanguages((lang,))
    return ScreenLanguages(
        tuple(config.screen_languages), config.screen_mode, timedelta(seconds=config.screen_every_s)
    )
