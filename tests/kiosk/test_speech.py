"""Spoken guidance rendered for real with espeak-ng, and measured: how long, how loud."""

from __future__ import annotations

import io
import shutil
import subprocess
import wave
from typing import Any

import numpy as np
import pytest

import kiosk.speech
from kiosk.speech import Say, SpeechUnavailable, Voice, speakable
from kiosk.viewmodel import Screen
from novbe.screenshots.kiosk import staged_model
from wire.i18n import catalog
from wire.types import LANGS, Lang

needs_espeak = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="espeak-ng is not installed (Debian package espeak-ng)"
)
LETTERS: dict[str, list[str]] = {x: catalog("kiosk").tr("speech.letters", x).split() for x in LANGS}


@pytest.fixture(scope="module")
def voice() -> Voice:
    return Voice(letters=LETTERS)


def measure(wav: bytes) -> tuple[float, float, float]:
    """(seconds, RMS, peak) of a mono 16-bit WAV, amplitudes in 0..1."""
    with wave.open(io.BytesIO(wav)) as w:
        assert (w.getnchannels(), w.getsampwidth()) == (1, 2)
        samples = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64) / 32768
        seconds = w.getnframes() / w.getframerate()
    return seconds, float(np.sqrt(np.mean(samples**2))), float(np.max(np.abs(samples)))


@pytest.mark.parametrize(
    ("written", "lang", "said"),
    [
        ("Gözləyən: 3 · ~1-3 dəq", "az", "Gözləyən: 3, 1 ilə 3 dəqiqə"),
        ("Təxmini gözləmə: 9-18 dəq", "az", "Təxmini gözləmə: 9 ilə 18 dəqiqə"),
        ("Ожидание: примерно 9-18 мин", "ru", "Ожидание: примерно от 9 до 18 минут"),
        ("Перед вами: 7 чел.", "ru", "Перед вами: 7 человек"),
        ("Estimated wait: 9-18 min", "en", "Estimated wait: 9 to 18 minutes"),
        ("Сегодня: 09:00-19:00", "ru", "Сегодня: с 09:00 до 19:00"),
        ("Today: 09:00-19:00", "en", "Today: from 09:00 to 19:00"),
        ("‹ Geri", "az", "Geri"),
        ("Your number: A015", "en", "Your number: A 15"),
        ("Ваш номер: DN1024", "ru", "Ваш номер: дэ эн 1024"),
        ("Sizin nömrəniz: A015", "az", "Sizin nömrəniz: a 15"),
    ],
)
def test_the_written_screen_is_made_speakable(written: str, lang: Lang, said: str) -> None:
    assert speakable(written, lang, LETTERS[lang]) == said


@needs_espeak
@pytest.mark.parametrize("lang", LANGS)
def test_a_button_is_spoken_aloud(voice: Voice, lang: Lang) -> None:
    text = catalog("kiosk").tr("priority.disabled", lang)
    seconds, rms, peak = measure(voice.render([Say(lang, text)]))
    assert 0.8 < seconds < 6, seconds
    assert rms > 0.02, rms
    assert peak > 0.2, peak


@needs_espeak
@pytest.mark.parametrize("lang", LANGS)
def test_the_ticket_screen_is_read_in_full(voice: Voice, lang: Lang) -> None:
    """What spoken guidance says for the ticket screen, rendered: every line of it."""
    model = staged_model("assist-ticket", lang)
    assert model.screen is Screen.TICKET
    words = model.screen_words()
    assert [w.lang for w in words] == [lang] * len(words)
    assert "A015" in words[0].text
    whole, rms, _ = measure(voice.render(words))
    first, _, _ = measure(voice.render(words[:1]))
    assert 6 < whole < 45, whole
    assert whole > first * 3
    assert rms > 0.02, rms


@needs_espeak
def test_the_start_is_spoken_in_each_language_with_pauses(voice: Voice) -> None:
    model = staged_model("assist-start", "az")
    words = model.screen_words()
    assert [w.lang for w in words] == ["az", "ru", "en"]
    parts = [measure(voice.render([w]))[0] for w in words]
    together, _, _ = measure(voice.render(words))
    assert together == pytest.approx(sum(parts) + 2 * kiosk.speech.PAUSE_S, abs=0.01)


@needs_espeak
def test_a_sentence_is_rendered_once(voice: Voice, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Any] = []
    run = subprocess.run

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return run(*args, **kwargs)

    monkeypatch.setattr(subprocess, "run", counting)
    fresh = Voice()
    first = fresh.render([Say("en", "Spoken once")])
    assert fresh.render([Say("en", "Spoken once")]) == first
    assert len(calls) == 1


def test_without_espeak_speech_is_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kiosk.speech, "ESPEAK", "no-such-espeak-ng")
    assert not kiosk.speech.espeak_available()
    with pytest.raises(SpeechUnavailable, match="espeak-ng is not installed"):
        Voice().render([Say("az", "Salam")])
