"""Spoken guidance played through the kiosk's speaker or headphone jack (QtMultimedia).

The view-model says what to say (:class:`kiosk.speech.Say`); a worker thread renders it to a
WAV with espeak-ng (:class:`kiosk.speech.Voice`) and QMediaPlayer plays it on the system's
default output: the kiosk's speaker, or headphones once plugged in (PulseAudio moves the
default output to them). Whatever is said replaces what is still being said: a citizen who
touches the next button wants to hear that one.

Like the hall display's sound (``display.qt_audio``), a kiosk without QtMultimedia or an
output device still works, silently, and says so through ``status_changed``, which the app
reports to the supervisor as the health of its ``audio`` part.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QUrl, Signal

from shell.multimedia import multimedia as sound

from .speech import Say, SpeechUnavailable, Voice, espeak_available

log = logging.getLogger("novbe.kiosk.speech")

FILES = 3
"""WAV files used in turn: the player may still hold the one before open."""


class QtSpeaker(QObject):
    """The kiosk's voice: :meth:`say` renders in the background and plays.

    Args:
        voice: renders text to WAV.
        multimedia: False renders without playing (tests without a sound device).
    """

    status_changed = Signal(str, str)
    """(status, detail): "ok", "offline" (no sound output) or "error" (cannot speak at all)."""
    spoken = Signal(object, object)
    """(WAV file, the list of :class:`Say` in it): what has just started playing."""
    _rendered = Signal(int, object, object, str)

    def __init__(self, voice: Voice, *, multimedia: bool = True, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.voice = voice
        self.status = ("error", "not started")
        self.last_wav: Path | None = None
        """The last WAV rendered for playing."""
        self._generation = 0
        self._dir = tempfile.TemporaryDirectory(prefix="novbe-kiosk-speech-")
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kiosk-speech")
        self._rendered.connect(self._on_rendered)
        self._wanted = multimedia
        self._mm: Any = None
        self.player: Any = None

    def start(self) -> None:
        """Load the player, check what speaking needs and say how it is (``status_changed``).

        Call it once the kiosk's first screen is up: QtMultimedia takes a moment to load."""
        if self._wanted and self._mm is None:
            self._mm = sound("spoken guidance")
            if self._mm is not None:
                self.player = self._mm.QMediaPlayer(self)
                self._output = self._mm.QAudioOutput(self)
                self.player.setAudioOutput(self._output)
                self.player.errorOccurred.connect(self._on_error)
        if not espeak_available():
            self._set_status("error", "espeak-ng is not installed: no spoken guidance")
        elif not self._wanted:
            self._set_status("offline", "sound turned off: spoken guidance is rendered, not heard")
        elif self._mm is None:
            self._set_status("error", "QtMultimedia is not available: no spoken guidance")
        elif not self._mm.QMediaDevices.audioOutputs():
            self._set_status("offline", "no sound output device: spoken guidance is not heard")
        else:
            self._set_status("ok", "")

    def close(self) -> None:
        self.stop()
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._dir.cleanup()

    # --- the view-model's Speaker ---------------------------------------------------------

    def say(self, parts: Sequence[Say]) -> None:
        self._generation += 1
        generation = self._generation
        path = Path(self._dir.name) / f"say-{generation % FILES}.wav"
        wanted = list(parts)
        self._pool.submit(self._render, generation, wanted, path)

    def stop(self) -> None:
        self._generation += 1
        if self.player is not None:
            self.player.stop()

    # --- internals ------------------------------------------------------------------------

    def _render(self, generation: int, parts: list[Say], path: Path) -> None:
        if generation != self._generation:
            return  # something newer is to be said
        try:
            self.voice.render_to(parts, path)
        except (SpeechUnavailable, OSError) as exc:
            self._emit(generation, None, parts, str(exc))
            return
        self._emit(generation, path, parts, "")

    def _emit(self, generation: int, path: Path | None, parts: list[Say], error: str) -> None:
        try:
            self._rendered.emit(generation, path, parts, error)
        except RuntimeError:
            log.debug("speech rendered after the kiosk closed")

    def _on_rendered(self, generation: int, path: Path | None, parts: list[Say], error: str) -> None:
        if error:
            log.error("spoken guidance failed: %s", error)
            self._set_status("error", error[:400])
            return
        if self.status[0] == "error" and self.status[1] != "not started":
            self.start()  # it speaks again: say so
        if generation != self._generation or path is None:
            return
        self.last_wav = path
        if self.player is not None:
            self.player.stop()
            self.player.setSource(QUrl.fromLocalFile(str(path)))
            self.player.play()
        self.spoken.emit(path, parts)

    def _on_error(self, error: Any, text: str) -> None:
        log.warning("speech player error: %s", text)
        self._set_status("error", f"player: {text}"[:400])

    def _set_status(self, status: str, detail: str) -> None:
        if (status, detail) != self.status:
            self.status = (status, detail)
            self.status_changed.emit(status, detail)
