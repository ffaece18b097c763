"""Spoken guidance: the kiosk's texts said aloud with espeak-ng, without Qt.

The view-model decides what is said (a screen's summary, a button's name) as written text in
a language, :class:`Say`; :func:`speakable` turns the written form into what a voice should
read ("~9-18 dəq" is "9 ilə 18 dəqiqə", "A015" is "A 15"), and :class:`Voice` renders it to a
WAV with espeak-ng (Debian package ``espeak-ng``, which has Azerbaijani, Russian and English
voices). ``kiosk.qt_speech`` plays the WAV through the kiosk's speaker or headphone jack.

The hall display's announcements (``display.announce``) stitch recorded or generated clips of
fixed words; a kiosk reads free text (service names, waits), so it synthesizes whole
sentences instead.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
import threading
import wave
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from wire.types import Lang

ESPEAK = "espeak-ng"
SPEED_WPM = 140
"""Slower than espeak-ng's 175: listeners are of every age, and not all native speakers."""
PAUSE_S = 0.35
"""Silence between two parts (a sentence in another language, the next line)."""
CACHE = 256
"""Rendered sentences kept: the same buttons are read again and again."""


@dataclass(frozen=True)
class Say:
    """One thing to say, in one language, as it is written on the screen."""

    lang: Lang
    text: str


class SpeechUnavailable(RuntimeError):
    """espeak-ng is missing or failed."""


def espeak_available() -> bool:
    return shutil.which(ESPEAK) is not None


_HOURS = re.compile(r"(\d{1,2}:\d{2})\s*[-–]\s*(\d{1,2}:\d{2})")
_HOURS_WORDS: dict[str, str] = {"az": r"\1 ilə \2 arası", "ru": r"с \1 до \2", "en": r"from \1 to \2"}
_RANGE = re.compile(r"~?(\d+)\s*[-–]\s*(\d+)")
_TICKET = re.compile(r"\b([A-Z]{1,3})0*(\d{1,6})\b")
_RANGE_WORDS: dict[str, str] = {"az": r"\1 ilə \2", "ru": r"от \1 до \2", "en": r"\1 to \2"}
_UNITS: dict[str, tuple[tuple[str, str], ...]] = {
    "az": ((r"\bdəq\b\.?", "dəqiqə"),),
    "ru": ((r"\bмин\b\.?", "минут"), (r"\bчел\.", "человек")),
    "en": ((r"\bmin\b", "minutes"),),
}


def speakable(text: str, lang: Lang, letters: Sequence[str] = ()) -> str:
    """What a voice should read for ``text`` as written in ``lang``: ranges and units in words,
    a ticket number as its letters and its value ("A015" -> "A 15"), symbols a voice would
    spell out or stumble on removed.

    Args:
        letters: how the language names the Latin letters A-Z, in order (a Russian voice
            reads a Latin "A" in English otherwise); empty: leave the letters as they are.
    """
    out = text.replace("\n", ". ")
    for symbol, spoken in (("·", ","), ("—", ","), ("…", "."), ("‹", ""), ("›", ""), ("«", ""), ("»", "")):
        out = out.replace(symbol, spoken)

    def ticket(match: re.Match[str]) -> str:
        prefix = " ".join(letters[ord(c) - ord("A")] if letters else c for c in match.group(1))
        return f"{prefix} {int(match.group(2))}"

    out = _TICKET.sub(ticket, out)
    out = _HOURS.sub(_HOURS_WORDS.get(lang, r"\1 - \2"), out)
    out = _RANGE.sub(_RANGE_WORDS.get(lang, r"\1 - \2"), out)
    for pattern, word in _UNITS.get(lang, ()):
        out = re.sub(pattern, word, out)
    out = out.replace("~", "")
    return re.sub(r"\s+([,.])", r"\1", re.sub(r"\s+", " ", out)).strip()


class Voice:
    """Renders :class:`Say` parts to one WAV with espeak-ng. Thread-safe.

    Args:
        speed: words per minute.
        letters: per language, the names of the Latin letters A-Z (see :func:`speakable`).
    """

    def __init__(self, *, speed: int = SPEED_WPM, letters: Mapping[str, Sequence[str]] | None = None) -> None:
        self.speed = speed
        self.letters = letters or {}
        self._cache: OrderedDict[tuple[str, str], tuple[int, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def render(self, parts: Sequence[Say]) -> bytes:
        """The WAV file (mono, 16-bit) of ``parts`` said in turn, a short pause between them.

        Raises:
            SpeechUnavailable: espeak-ng is missing or failed.
        """
        rate = 0
        frames: list[bytes] = []
        for i, part in enumerate(parts):
            part_rate, pcm = self._sentence(part)
            if rate and part_rate != rate:
                raise SpeechUnavailable(f"espeak-ng changed its sample rate ({rate} Hz, then {part_rate} Hz)")
            rate = part_rate
            if i:
                frames.append(b"\0\0" * round(PAUSE_S * rate))
            frames.append(pcm)
        out = io.BytesIO()
        with wave.open(out, "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(rate or 22050)
            wav.writeframes(b"".join(frames))
        return out.getvalue()

    def render_to(self, parts: Sequence[Say], path: Path) -> Path:
        path.write_bytes(self.render(parts))
        return path

    def _sentence(self, part: Say) -> tuple[int, bytes]:
        text = speakable(part.text, part.lang, self.letters.get(part.lang, ()))
        key = (part.lang, text)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        found = self._espeak(text, part.lang)
        with self._lock:
            self._cache[key] = found
            while len(self._cache) > CACHE:
                self._cache.popitem(last=False)
        return found

    def _espeak(self, text: str, lang: Lang) -> tuple[int, bytes]:
        if not espeak_available():
            raise SpeechUnavailable("espeak-ng is not installed (Debian package espeak-ng)")
        with tempfile.NamedTemporaryFile(suffix=".wav") as tmp:
            try:
                subprocess.run(
                    [ESPEAK, "-v", lang, "-s", str(self.speed), "-w", tmp.name, text],
                    check=True,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    timeout=20,
                )
            except (OSError, subprocess.SubprocessError) as exc:
                raise SpeechUnavailable(f"espeak-ng failed: {exc}") from exc
            try:
                with wave.open(tmp.name, "rb") as wav:
                    if (wav.getnchannels(), wav.getsampwidth()) != (1, 2):
                        raise SpeechUnavailable("espeak-ng did not write mono 16-bit audio")
                    return wav.getframerate(), wav.readframes(wav.getnframes())
            except (wave.Error, EOFError) as exc:
                raise SpeechUnavailable(f"espeak-ng wrote no readable WAV: {exc}") from exc
