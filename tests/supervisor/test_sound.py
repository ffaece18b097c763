"""The alert chime: a real WAV, and no failure without a sound device."""

from __future__ import annotations

import wave
from pathlib import Path
from typing import Any

from supervisor.qt_sound import RATE, TONES, QtChime, write_chime


def test_the_chime_is_a_short_wav(tmp_path: Path) -> None:
    path = tmp_path / "chime.wav"
    write_chime(path)
    with wave.open(str(path)) as sound:
        assert (sound.getnchannels(), sound.getsampwidth(), sound.getframerate()) == (1, 2, RATE)
        seconds = sound.getnframes() / RATE
    assert abs(seconds - sum(t for _, t in TONES)) < 0.01


def test_chime_plays_without_a_sound_device_and_only_once_for_a_burst(qtbot: Any) -> None:
    """The test machine has no sound card: the chime must not fail, and a burst of alerts
    chimes once."""
    chime = QtChime()
    for _ in range(5):
        chime.play()
    qtbot.wait(200)
    assert chime.played == 1
    assert chime.status in ("ok", "error", "unavailable")


def test_a_muted_desk_counts_its_chimes_and_plays_nothing(qtbot: Any) -> None:
    chime = QtChime(enabled=False)
    chime.play()
    assert (chime.played, chime.status) == (1, "off")
