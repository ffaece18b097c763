"""What the hall hears: the view-model's calls played one after another through QMediaPlayer.

The order is decided by ``display.announce.AnnouncementQueue``; this module only renders each
announcement to a WAV file and plays it. The voice packs (2-3 s to build with espeak-ng the first
time) are loaded in a worker thread; until they are ready a call is heard as the chime alone.

Where QtMultimedia is missing (PySide6-Addons or Debian's libpulse0 not installed) the display
runs silently and says so through ``status_changed`` ("error"), which the app reports to the
server as the health of its "audio" component. With no sound card, QMediaPlayer still plays
through to the end; that is reported as "offline".
"""

from __future__ import annotations

import logging
import tempfile
import threading
from collections.abc import Callable, Sequence
from datetime import datetime, time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, QUrl, Signal

from display.announce import (
    Announcement,
    AnnouncementQueue,
    AudioPolicy,
    Call,
    Composer,
    VoicePack,
    ensure_default_packs,
    load_packs,
)
from wire.types import Lang

log = logging.getLogger("novbe.display.audio")

PLAY_DELAY_MS = 40
"""A new call is played this long after it arrives, so that the row is painted first."""


def _multimedia() -> Any:
    """The QtMultimedia module, or None when it cannot be loaded."""
    try:
        from PySide6 import QtMultimedia
    except ImportError as exc:  # PySide6-Addons absent, or libpulse0 missing
        log.warning("no sound: QtMultimedia cannot be loaded (%s)", exc)
        return None
    return QtMultimedia


class QtAnnouncer(QObject):
    """Plays the calls pushed into it, one at a time.

    Args:
        languages: the spoken languages, in order.
        policy: volume and quiet hours.
        voice_dir: a center's own recorded packs (one directory per language), or None.
        now: the local time, aware (quiet hours read its wall-clock time).
        default_voice_dir: where the espeak-ng packs are built; None for the user's cache.
    """

    status_changed = Signal(str, str)
    """(status, detail): "ok", "offline" (no sound output) or "error" (cannot play at all)."""
    packs_ready = Signal(object)
    dropped = Signal(object, str)
    """(Call, why): a call the hall will never hear (``AnnouncementQueue``'s ``on_drop``)."""
    rendered = Signal(object, object)
    """(Announcement, Path of its WAV): about to be played."""
    _loaded = Signal(object)

    def __init__(
        self,
        languages: Sequence[Lang],
        policy: AudioPolicy,
        *,
        voice_dir: Path | None = None,
        now: Callable[[], datetime] | None = None,
        default_voice_dir: Path | None = None,
        multimedia: bool = True,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.languages = list(languages)
        self.voice_dir = voice_dir
        self.default_voice_dir = default_voice_dir
        self._now = now or (lambda: datetime.now().astimezone())
        self.composer = Composer(packs=[], languages=self.languages, policy=policy, chime=True)
        # The queue composes through self.composer, so the packs can arrive later.
        self.queue = AnnouncementQueue(self._compose, on_drop=self._on_drop)
        self.status = ("error", "not started")
        self._dir = tempfile.TemporaryDirectory(prefix="novbe-display-")
        self._file_no = 0
        self._loaded.connect(self._on_loaded)
        self._stop_lock = threading.Lock()
        self._stopped = False
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self.play_next)
        self._soon = QTimer(self)
        self._soon.setSingleShot(True)
        self._soon.setInterval(PLAY_DELAY_MS)
        self._soon.timeout.connect(self.play_next)
        self._wanted = multimedia
        self._mm = _multimedia() if multimedia else None
        self.player: Any = None
        self._output: Any = None
        if self._mm is not None:
            self.player = self._mm.QMediaPlayer(self)
            self._output = self._mm.QAudioOutput(self)
            self._output.setVolume(1.0)  # the volume is applied when the WAV is rendered
            self.player.setAudioOutput(self._output)
            self.player.mediaStatusChanged.connect(self._on_media_status)
            self.player.errorOccurred.connect(self._on_error)

    @property
    def available(self) -> bool:
        return self.player is not None

    def start(self) -> None:
        """Load the voice packs in the background; start the queue's clock."""
        self._timer.start()
        if not self._wanted:
            self._set_status("offline", "sound turned off: calls are shown, not heard")
        elif self._mm is None:
            self._set_status("error", "QtMultimedia is not available: calls are shown, not heard")
        elif not self._mm.QMediaDevices.audioOutputs():
            self._set_status("offline", "no sound output device")
        else:
            self._set_status("ok", "")
        threading.Thread(target=self._load_packs, name="voice-packs", daemon=True).start()

    def stop(self) -> None:
        # After this the loading thread never touches this object: it may be deleted at once.
        with self._stop_lock:
            self._stopped = True
        self._timer.stop()
        self._soon.stop()
        if self.player is not None:
            self.player.stop()
        self._dir.cleanup()

    def _load_packs(self) -> None:
        packs: list[VoicePack] = []
        try:
            if self.voice_dir is not None:
                packs += load_packs(self.voice_dir, self.languages)
            packs += ensure_default_packs(self.languages, self.default_voice_dir)
        except Exception:  # a display keeps chiming whatever goes wrong with its voices
            log.exception("voice packs could not be loaded")
        with self._stop_lock:
            if self._stopped:
                # The display was closed while the packs were being built: nobody needs them now.
                log.debug("voice packs loaded after the display closed")
                return
            self._loaded.emit(packs)

    def _on_loaded(self, packs: list[VoicePack]) -> None:
        self.composer.packs = packs
        spoken = sorted({p.language for p in packs})
        log.info("voice packs loaded: %s", ", ".join(spoken) or "none (chime only)")
        if self.available and not packs:
            self._set_status(self.status[0], "no voice pack: the hall hears the chime only")
        self.packs_ready.emit(packs)

    def _compose(self, call: Call, now: datetime, *, chained: bool, first_only: bool) -> Announcement:
        return self.composer.compose(call, now, chained=chained, first_only=first_only)

    def _on_drop(self, call: Call, why: str) -> None:
        self.dropped.emit(call, why)

    def push(self, call: Call, at: datetime) -> None:
        """A call to be heard (the view-model's ``announce`` signal)."""
        if not self.available:
            return
        self.queue.push(call, at)
        if not self._soon.isActive():
            self._soon.start()

    def arrived(self, number: str) -> None:
        """The citizen of ticket ``number`` is at the counter (the view-model's ``arrived``)."""
        self.queue.arrived(number)

    def play_next(self) -> None:
        if not self.available:
            return
        announcement = self.queue.next_to_play(self._now())
        if announcement is None:
            return
        # Two files in turn: the player may still hold the previous one open.
        self._file_no = 1 - self._file_no
        path = Path(self._dir.name) / f"call-{self._file_no}.wav"
        try:
            announcement.render_wav(path)
        except OSError as exc:
            log.error("cannot write %s: %s", path, exc)
            self.queue.done()
            return
        self.rendered.emit(announcement, path)
        self.player.setSource(QUrl.fromLocalFile(str(path)))
        self.player.play()

    def _on_media_status(self, status: Any) -> None:
        assert self._mm is not None
        done = self._mm.QMediaPlayer.MediaStatus
        if status == done.EndOfMedia:
            # The next call, if it follows at once, goes without the chime.
            self.queue.done(self._now())
            self._soon.start()
        elif status == done.InvalidMedia:
            self.queue.done()
            self._soon.start()

    def _on_error(self, error: Any, text: str) -> None:
        log.warning("player error: %s", text)
        self.queue.done()
        self._set_status("error", f"player: {text}"[:400])
        self._soon.start()

    def _set_status(self, status: str, detail: str) -> None:
        if (status, detail) != self.status:
            self.status = (status, detail)
            self.status_changed.emit(status, detail)


def policy_of(volume: int, quiet_hours: Sequence[tuple[time, time]]) -> AudioPolicy:
    """The policy of a display's configuration: calls are not heard at all in quiet hours."""
    return AudioPolicy(volume=volume, quiet_hours=list(quiet_hours), quiet_volume=0)
