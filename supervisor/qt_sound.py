"""The sound of a new alert: a short two-tone chime through QMediaPlayer.

Never fails: without QtMultimedia (PySide6-Addons, or Debian's libpulse0, missing) or
without a sound card the desk stays silent and says so in :attr:`QtChime.status`; the
alert is still on screen. QMediaPlayer, not QSoundEffect: with no audio device
QSoundEffect goes to an error state, QMediaPlayer plays a WAV through (display/qt_audio.py
measured the same).
"""

from __future__ import annotations

import logging
import math
import struct
import tempfile
import time
import wave
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QUrl

log = logging.getLogger("novbe.supervisor.sound")

RATE = 22_050
TONES = ((880.0, 0.16), (660.0, 0.24))
"""(Hz, seconds): high then low, like a hall's chime, shorter."""
MIN_GAP_S = 2.0
"""Several alerts at once make one chime."""


def write_chime(path: Path, volume: float = 0.6) -> None:
    """Write the chime as a 16-bit mono WAV file."""
    frames = bytearray()
    for freq, seconds in TONES:
        count = int(RATE * seconds)
        for i in range(count):
            # A quick fade in and out: no click at either end.
            envelope = min(1.0, i / 400, (count - i) / 800)
            sample = volume * envelope * math.sin(2 * math.pi * freq * i / RATE)
            frames += struct.pack("<h", int(sample * 32767))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(bytes(frames))


class QtChime(QObject):
    """Plays the chime (:meth:`play`), at most once every :data:`MIN_GAP_S` seconds."""

    def __init__(self, *, enabled: bool = True, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.played = 0
        """Chimes started (for tests)."""
        self.status = "off"
        self._last = -math.inf
        self._dir = tempfile.TemporaryDirectory(prefix="novbe-supervisor-")
        self._player: Any = None
        if not enabled:
            return
        try:
            from PySide6 import QtMultimedia
        except ImportError as exc:
            log.warning("no sound for alerts: QtMultimedia cannot be loaded (%s)", exc)
            self.status = "unavailable"
            return
        path = Path(self._dir.name) / "chime.wav"
        write_chime(path)
        self._player = QtMultimedia.QMediaPlayer(self)
        self._output = QtMultimedia.QAudioOutput(self)
        self._player.setAudioOutput(self._output)
        self._player.setSource(QUrl.fromLocalFile(str(path)))
        self._player.errorOccurred.connect(self._on_error)
        self.status = "ok"

    def play(self) -> None:
        now = time.monotonic()
        if now - self._last < MIN_GAP_S:
            return
        self._last = now
        self.played += 1
        if self._player is None:
            return
        self._player.stop()
        self._player.setPosition(0)
        self._player.play()

    def _on_error(self, *args: object) -> None:
        log.warning("the alert chime cannot be played: %s", self._player.errorString())
        self.status = "error"
